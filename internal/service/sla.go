package service

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// SLA is the service level of one priority: how soon the desk must first
// answer a ticket, and how soon resolve it.
type SLA struct {
	FirstResponse time.Duration
	Resolution    time.Duration
}

// DefaultSLAs are the clocks of a shop that has not set its own.
func DefaultSLAs() map[string]SLA {
	return map[string]SLA{
		Urgent: {FirstResponse: 15 * time.Minute, Resolution: 4 * time.Hour},
		High:   {FirstResponse: time.Hour, Resolution: 24 * time.Hour},
		Normal: {FirstResponse: 4 * time.Hour, Resolution: 72 * time.Hour},
		Low:    {FirstResponse: 24 * time.Hour, Resolution: 7 * 24 * time.Hour},
	}
}

// AtRiskShare is the share of a clock's time used from which a ticket is
// at risk of breaching it: warned about before it is too late.
const AtRiskShare = 0.8

// The clocks an Alert or an Escalation is about.
const (
	FirstResponseClock = "first_response"
	ResolutionClock    = "resolution"
)

// apply sets t's due times from its creation (first response) and the
// start of its resolution clock.
func (s SLA) apply(t *Ticket) {
	t.FirstResponseDue = t.CreatedAt.Add(s.FirstResponse)
	t.ResolutionDue = t.SLAStartedAt.Add(s.Resolution)
}

func slaOf(ctx context.Context, q querier, shopID int64) (map[string]SLA, error) {
	out := DefaultSLAs()
	rows, err := q.Query(ctx, `SELECT priority, first_response_min, resolution_min FROM sla_policies WHERE shop_id = ?`, shopID)
	if err != nil {
		return nil, fmt.Errorf("service: SLA of shop %d: %w", shopID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		var first, res int64
		if err := rows.Scan(&p, &first, &res); err != nil {
			return nil, fmt.Errorf("service: SLA of shop %d: %w", shopID, err)
		}
		out[p] = SLA{FirstResponse: time.Duration(first) * time.Minute, Resolution: time.Duration(res) * time.Minute}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("service: SLA of shop %d: %w", shopID, err)
	}
	return out, nil
}

// SLAs returns the shop's clocks per priority.
func (s *Service) SLAs(ctx context.Context, shopID int64) (map[string]SLA, error) {
	return slaOf(ctx, s.db, shopID)
}

// SetSLA sets the shop's clocks of one priority, in whole minutes. Tickets
// already open keep the due times they were given: a promise made to a
// customer does not move because the policy did. It fails with EINVALID
// for an unknown priority or a clock outside 1 minute to 365 days.
func (s *Service) SetSLA(ctx context.Context, shopID int64, priority string, sla SLA) error {
	if !slices.Contains(Priorities, priority) {
		return invalid("priority", "%q: expected low, normal, high or urgent", priority)
	}
	for name, d := range map[string]time.Duration{"first_response": sla.FirstResponse, "resolution": sla.Resolution} {
		if d < time.Minute || d > 365*24*time.Hour || d%time.Minute != 0 {
			return invalid(name, "%v: expected whole minutes from 1 minute to 365 days", d)
		}
	}
	if sla.Resolution < sla.FirstResponse {
		return invalid("resolution", "%v is shorter than the first response's %v", sla.Resolution, sla.FirstResponse)
	}
	now := s.now()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO sla_policies (shop_id, priority, first_response_min, resolution_min, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (shop_id, priority) DO UPDATE SET first_response_min = excluded.first_response_min,
resolution_min = excluded.resolution_min, updated_at = excluded.updated_at`,
			shopID, priority, int64(sla.FirstResponse/time.Minute), int64(sla.Resolution/time.Minute), now.Unix()); err != nil {
			return fmt.Errorf("service: set SLA %s of shop %d: %w", priority, shopID, err)
		}
		return audit.Write(ctx, tx, shopID, "sla.update", "shop", shopID, map[string]any{
			"priority": priority, "first_response_min": int64(sla.FirstResponse / time.Minute), "resolution_min": int64(sla.Resolution / time.Minute)}, now)
	})
}

// Alert is an open ticket that breached one of its clocks or is at risk of
// doing so.
type Alert struct {
	TicketID int64
	Priority string
	Clock    string // FirstResponseClock or ResolutionClock
	Due      time.Time
	Used     float64 // share of the clock's time used at the time asked; ≥ 1 when breached
	Breached bool
}

// alertsOf returns t's alerts at time at: a clock still running (no first
// response yet; not yet resolved) that has used AtRiskShare of its time.
func alertsOf(t *Ticket, at time.Time) []Alert {
	if !t.Open() {
		return nil
	}
	var out []Alert
	check := func(clock string, start, due, stopped time.Time) {
		if !stopped.IsZero() {
			return
		}
		span := due.Sub(start)
		used := 1.0
		if span > 0 {
			used = float64(at.Sub(start)) / float64(span)
		}
		breached := at.After(due)
		if breached || used >= AtRiskShare {
			out = append(out, Alert{TicketID: t.ID, Priority: t.Priority, Clock: clock, Due: due, Used: used, Breached: breached})
		}
	}
	check(FirstResponseClock, t.CreatedAt, t.FirstResponseDue, t.FirstRespondedAt)
	check(ResolutionClock, t.SLAStartedAt, t.ResolutionDue, t.ResolvedAt)
	return out
}

// openTickets returns the shop's open tickets with a clock still running.
func openTickets(ctx context.Context, q querier, shopID int64) ([]Ticket, error) {
	return list(ctx, q, shopID, `WHERE shop_id = ? AND closed_at IS NULL AND (first_responded_at IS NULL OR resolved_at IS NULL) ORDER BY id`, shopID)
}

// Alerts lists the shop's open tickets that at time at have breached a
// clock or used AtRiskShare of it, breached first, then by due time.
func (s *Service) Alerts(ctx context.Context, shopID int64, at time.Time) ([]Alert, error) {
	ts, err := openTickets(ctx, s.db, shopID)
	if err != nil {
		return nil, err
	}
	var out []Alert
	for i := range ts {
		out = append(out, alertsOf(&ts[i], at)...)
	}
	slices.SortStableFunc(out, func(a, b Alert) int {
		switch {
		case a.Breached != b.Breached:
			if a.Breached {
				return -1
			}
			return 1
		case !a.Due.Equal(b.Due):
			return a.Due.Compare(b.Due)
		}
		return int(a.TicketID - b.TicketID)
	})
	return out, nil
}

// Escalation is one breach that raised a ticket's priority.
type Escalation struct {
	TicketID int64
	Clock    string
	From, To string // priorities; equal when the ticket was already urgent
}

// Escalate raises by one step the priority of every open ticket of the shop
// that breached a clock by now, recomputing its due times and recording an
// escalation event. Each breach escalates once: the ticket remembers which
// clock escalated it (a reopen restarts the resolution clock and with it
// that memory), so running Escalate again, as a job does, changes nothing
// until a new breach. An urgent ticket stays urgent, but its breach is
// still recorded once.
func (s *Service) Escalate(ctx context.Context, shopID int64) ([]Escalation, error) {
	now := s.now()
	var out []Escalation
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		ts, err := openTickets(ctx, tx, shopID)
		if err != nil {
			return err
		}
		sla, err := slaOf(ctx, tx, shopID)
		if err != nil {
			return err
		}
		for i := range ts {
			t := &ts[i]
			// The clocks in turn, re-checked after each raise, since a raise
			// shortens the other clock.
			for _, clock := range []string{FirstResponseClock, ResolutionClock} {
				if !breached(t, clock, now) {
					continue
				}
				from := t.Priority
				to := raise(from)
				if clock == FirstResponseClock {
					t.ResponseEscalated = true
				} else {
					t.ResolutionEscalated = true
				}
				t.Priority = to
				sla[to].apply(t)
				if err := save(ctx, tx, shopID, t, now); err != nil {
					if guanxi.ErrorCode(err) == guanxi.ECONFLICT {
						// Changed by an agent since read: the next sweep
						// sees it as it is now, and one busy ticket does
						// not hold up the others' escalation.
						break
					}
					return err
				}
				body := fmt.Sprintf("%s due %s", clock, dueOf(t, clock, from, sla).Format(time.RFC3339))
				if err := addEvent(ctx, tx, shopID, t.ID, "escalation", from, to, body, now); err != nil {
					return err
				}
				out = append(out, Escalation{TicketID: t.ID, Clock: clock, From: from, To: to})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("service: escalate in shop %d: %w", shopID, err)
	}
	return out, nil
}

// breached reports whether t's clock ran out by now and has not escalated t yet.
func breached(t *Ticket, clock string, now time.Time) bool {
	if !t.Open() {
		return false
	}
	if clock == FirstResponseClock {
		return !t.ResponseEscalated && t.FirstRespondedAt.IsZero() && now.After(t.FirstResponseDue)
	}
	return !t.ResolutionEscalated && t.ResolvedAt.IsZero() && now.After(t.ResolutionDue)
}

// dueOf is when clock was due at priority p, for the escalation's record.
func dueOf(t *Ticket, clock, p string, sla map[string]SLA) time.Time {
	if clock == FirstResponseClock {
		return t.CreatedAt.Add(sla[p].FirstResponse)
	}
	return t.SLAStartedAt.Add(sla[p].Resolution)
}

// raise returns the priority one step above p; urgent stays urgent.
func raise(p string) string {
	i := slices.Index(Priorities, p)
	if i < 0 || i == len(Priorities)-1 {
		return Urgent
	}
	return Priorities[i+1]
}
