package service

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Complaint statuses, the steps of seed 002 §7.2 in order.
const (
	Received         = "received"
	Confirmed        = "confirmed"
	Assessed         = "assessed"
	SolutionProposed = "solution_proposed"
	Executed         = "executed"
	FollowUp         = "follow_up"
	Archived         = "archived"
)

// Statuses of every other ticket.
const (
	Open    = "open"
	Pending = "pending"
	Solved  = "solved"
	Closed  = "closed"
)

// Causes of a complaint (seed 002 §7.1).
var Causes = []string{"product", "logistics", "payment", "after_sale", "information", "expectation"}

// Severities of a complaint, least first.
var Severities = []string{"minor", "major", "critical"}

// complaintFlow is the complaint workflow: each status and the statuses it
// may move to. It is strictly forward, since each step records a fact the
// next relies on (no solution before the cause is assessed); the only way
// back is reopening an archived complaint, which returns it to confirmed so
// it is assessed afresh.
var complaintFlow = map[string][]string{
	Received:         {Confirmed},
	Confirmed:        {Assessed},
	Assessed:         {SolutionProposed},
	SolutionProposed: {Executed},
	Executed:         {FollowUp},
	FollowUp:         {Archived},
	Archived:         {Confirmed},
}

// ticketFlow is every other ticket's flow: waiting on the customer
// (pending) and back, solved, closed, and reopened from solved or closed.
var ticketFlow = map[string][]string{
	Open:    {Pending, Solved},
	Pending: {Open, Solved},
	Solved:  {Closed, Open},
	Closed:  {Open},
}

func initialStatus(kind string) string {
	if kind == Complaint {
		return Received
	}
	return Open
}

func flowOf(kind string) map[string][]string {
	if kind == Complaint {
		return complaintFlow
	}
	return ticketFlow
}

// isReopen reports whether moving from → to reopens a finished ticket.
func isReopen(from, to string) bool {
	return (from == Archived && to == Confirmed) || ((from == Solved || from == Closed) && to == Open)
}

// Step is a move of a ticket to another status, with what that step
// requires: assessed needs Cause and Severity, solution_proposed the
// Solution, follow_up the Outcome, and a reopen the Reason.
type Step struct {
	To       string
	Cause    string
	Severity string
	Solution string
	Outcome  string
	Reason   string
	Note     string // optional: kept on the step's event
}

// Transition moves a ticket along its workflow, recording who and when on
// its history. It fails with ECONFLICT when the ticket changed since
// version was read or the move is not allowed from its current status
// (the message names both), and EINVALID when the step lacks what it
// requires. Archiving a complaint lifts its customer's contact hold;
// reopening puts it back.
func (s *Service) Transition(ctx context.Context, shopID, id, version int64, st Step) (*Ticket, error) {
	now := s.now()
	var out *Ticket
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		t, err := getVersion(ctx, tx, shopID, id, version)
		if err != nil {
			return err
		}
		from := t.Status
		flow := flowOf(t.Kind)
		if _, known := flow[st.To]; !known {
			return invalid("status", "%q is not a status of a %s ticket", st.To, t.Kind)
		}
		if !slices.Contains(flow[from], st.To) {
			return guanxi.Errorf(guanxi.ECONFLICT, "ticket %d cannot move from %s to %s (allowed: %s)",
				id, from, st.To, strings.Join(flow[from], ", "))
		}
		body, err := applyStep(t, st)
		if err != nil {
			return err
		}
		reopen := isReopen(from, st.To)
		t.Status = st.To
		// Any step taken by the desk answers the customer, as a reply does.
		if t.FirstRespondedAt.IsZero() {
			t.FirstRespondedAt = now
		}
		switch {
		case reopen:
			// The resolution clock starts again from the reopen, at the
			// current priority; a new breach may escalate again.
			sla, err := slaOf(ctx, tx, shopID)
			if err != nil {
				return err
			}
			t.ClosedAt, t.ResolvedAt, t.SLAStartedAt, t.ResolutionEscalated = time.Time{}, time.Time{}, now, false
			sla[t.Priority].apply(t)
		case st.To == Executed || st.To == Solved:
			t.ResolvedAt = now
		case st.To == Archived || st.To == Closed:
			t.ClosedAt = now
		case st.To == Open && from == Pending, st.To == Pending:
			// waiting on the customer changes no clock
		}
		if err := save(ctx, tx, shopID, t, now); err != nil {
			return err
		}
		if t.Kind == Complaint {
			switch {
			case st.To == Archived:
				err = release(ctx, tx, shopID, t)
			case reopen:
				err = hold(ctx, tx, shopID, t, now)
			}
			if err != nil {
				return err
			}
		}
		if err := addEvent(ctx, tx, shopID, id, "status", from, st.To, body, now); err != nil {
			return err
		}
		out = t
		return audit.Write(ctx, tx, shopID, "ticket.transition", "ticket", id, map[string]any{"from": from, "to": st.To}, now)
	})
	return out, err
}

// applyStep checks the step's required fields and copies them onto t,
// returning the text its event keeps.
func applyStep(t *Ticket, st Step) (string, error) {
	trim := func(s string) string { return strings.TrimSpace(s) }
	long := func(s string) bool { return utf8.RuneCountInString(s) > 5000 }
	note := trim(st.Note)
	if long(note) {
		return "", invalid("note", "longer than 5000 characters")
	}
	join := func(s string) string {
		if note == "" {
			return s
		}
		if s == "" {
			return note
		}
		return s + "\n" + note
	}
	switch {
	case isReopen(t.Status, st.To):
		r := trim(st.Reason)
		if r == "" {
			return "", invalid("reason", "required to reopen a ticket")
		}
		if long(r) {
			return "", invalid("reason", "longer than 5000 characters")
		}
		return join(r), nil
	case st.To == Assessed:
		if !slices.Contains(Causes, st.Cause) {
			return "", invalid("cause", "%q: expected one of %s", st.Cause, strings.Join(Causes, ", "))
		}
		if !slices.Contains(Severities, st.Severity) {
			return "", invalid("severity", "%q: expected one of %s", st.Severity, strings.Join(Severities, ", "))
		}
		t.Cause, t.Severity = st.Cause, st.Severity
		return join(st.Cause + "/" + st.Severity), nil
	case st.To == SolutionProposed:
		sol := trim(st.Solution)
		if sol == "" {
			return "", invalid("solution", "required to propose a solution")
		}
		if long(sol) {
			return "", invalid("solution", "longer than 5000 characters")
		}
		t.Solution = sol
		return join(sol), nil
	case st.To == FollowUp:
		o := trim(st.Outcome)
		if o == "" {
			return "", invalid("outcome", "required to record the follow-up")
		}
		if long(o) {
			return "", invalid("outcome", "longer than 5000 characters")
		}
		t.Outcome = o
		return join(o), nil
	}
	return join(""), nil
}
