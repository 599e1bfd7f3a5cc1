// Package service is the service desk (issue 6 §1-2): tickets for pre-sale
// consultations, in-sale (order, payment, delivery) and after-sale (return,
// exchange, repair, refund) questions and complaints, each tied to a
// customer and optionally an order; the enforced complaint workflow of seed
// 002 §7.2 and the simpler open → pending → solved → closed flow of every
// other ticket; SLA clocks per priority with breach detection and
// escalation; and the contact hold that keeps promotions from a customer
// with an open complaint.
//
// It also assigns new tickets (manual, round robin, by skill: assign.go),
// keeps canned replies (canned.go), sends replies through the campaigns'
// channels (reply.go), stores attachments (attach.go) and reads the
// complaint analytics of seed 002 §7.3 (analytics.go).
//
// It owns the tables tickets, ticket_events, sla_policies, tasks,
// service_settings, assign_cursors, agent_skills, canned_replies and
// ticket_attachments, and writes rows of contact_holds (owned by
// internal/campaign, which reads them) in the same transaction as the
// complaint that opens or archives them. Every
// change is a row of ticket_events with who (internal/audit's actor) and
// when, so a ticket's history is complete. Changes take the version the
// caller read and fail with ECONFLICT when the ticket moved on since.
// A Service is safe for concurrent use.
package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Kinds of ticket, grouped as seed 002 §4.1 groups service.
const (
	Consultation = "consultation" // pre-sale
	OrderKind    = "order"        // in-sale
	Payment      = "payment"
	Delivery     = "delivery"
	Return       = "return" // after-sale
	Exchange     = "exchange"
	Repair       = "repair"
	Refund       = "refund"
	Complaint    = "complaint"
)

// Kinds lists every ticket kind.
var Kinds = []string{Consultation, OrderKind, Payment, Delivery, Return, Exchange, Repair, Refund, Complaint}

// Channels a ticket comes from.
var Channels = []string{"ui", "api", "email", "webhook", "phone", "wechat"}

// Priorities, lowest first: escalation moves one step right.
const (
	Low    = "low"
	Normal = "normal"
	High   = "high"
	Urgent = "urgent"
)

// Priorities lists the priorities, lowest first.
var Priorities = []string{Low, Normal, High, Urgent}

// Ticket is one ticket.
type Ticket struct {
	ID         int64
	Kind       string
	Subject    string
	Body       string
	CustomerID int64
	OrderID    int64 // 0: none
	Channel    string
	Priority   string
	AssigneeID int64 // 0: unassigned
	TeamID     int64 // 0: none
	Status     string
	// Complaint fields, filled by the workflow's steps.
	Cause    string
	Severity string
	Solution string
	Outcome  string

	CreatedBy        int64
	CreatedAt        time.Time
	UpdatedAt        time.Time
	ClosedAt         time.Time // zero while open
	SLAStartedAt     time.Time
	FirstResponseDue time.Time
	ResolutionDue    time.Time
	FirstRespondedAt time.Time // zero until the first reply or step
	ResolvedAt       time.Time // zero until executed (complaint) or solved

	ResponseEscalated   bool
	ResolutionEscalated bool
	Version             int64
}

// Open reports whether the ticket is still being worked on.
func (t *Ticket) Open() bool { return t.ClosedAt.IsZero() }

// Event is one entry of a ticket's history.
type Event struct {
	ID       int64
	TicketID int64
	Kind     string // created, status, priority, assign, note, reply, escalation, message (the customer's), attachment
	From, To string
	Body     string
	ActorID  int64
	Actor    string
	At       time.Time
	// A reply sent to the customer (SendReply): the channel, and whether
	// the provider took it (DeliverySent, with its message id in
	// DeliveryDetail) or not (DeliveryFailed, with why). Empty otherwise.
	Channel        string
	Delivery       string
	DeliveryDetail string
}

// Service is the service desk of a database.
type Service struct {
	db    *store.DB
	clock guanxi.Clock
	// channels gives the shop's channel settings for SendReply; set once
	// by SetChannels while wiring.
	channels ChannelSettingsSource
}

// NewService returns the service desk of db; a nil clock is the wall clock.
func NewService(db *store.DB, clock guanxi.Clock) *Service {
	if clock == nil {
		clock = guanxi.SystemClock{}
	}
	return &Service{db: db, clock: clock}
}

// invalid is a validation error naming the field.
func invalid(field, format string, args ...any) error {
	return guanxi.Errorf(guanxi.EINVALID, field+": "+format, args...)
}

// now is the clock's time to the second, the precision the tables keep, in
// the form the tables read back as (time.Unix: no monotonic reading, local
// zone), so a ticket returned by a change equals the same ticket read again.
func (s *Service) now() time.Time { return time.Unix(s.clock.Now().Unix(), 0) }

func (s *Service) check(t *Ticket) error {
	t.Subject = strings.TrimSpace(t.Subject)
	if t.Priority == "" {
		t.Priority = Normal
	}
	if t.Channel == "" {
		t.Channel = "ui"
	}
	switch {
	case !slices.Contains(Kinds, t.Kind):
		return invalid("kind", "%q: expected one of %s", t.Kind, strings.Join(Kinds, ", "))
	case t.Subject == "":
		return invalid("subject", "required")
	case utf8.RuneCountInString(t.Subject) > 200:
		return invalid("subject", "longer than 200 characters")
	case utf8.RuneCountInString(t.Body) > 20000:
		return invalid("body", "longer than 20000 characters")
	case t.CustomerID <= 0:
		return invalid("customer_id", "required")
	case !slices.Contains(Channels, t.Channel):
		return invalid("channel", "%q: expected one of %s", t.Channel, strings.Join(Channels, ", "))
	case !slices.Contains(Priorities, t.Priority):
		return invalid("priority", "%q: expected one of %s", t.Priority, strings.Join(Priorities, ", "))
	}
	return nil
}

// checkRefs checks that the customer, order, assignee and team named by t
// exist in the shop, so a wrong id is a clear EINVALID rather than a foreign
// key failure (or, for the unconstrained order and team, a dangling id).
func checkRefs(ctx context.Context, tx *store.Tx, shopID int64, t *Ticket) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM customers WHERE shop_id = ? AND id = ?`, shopID, t.CustomerID).Scan(&n); err != nil {
		return fmt.Errorf("service: check customer %d: %w", t.CustomerID, err)
	}
	if n == 0 {
		return invalid("customer_id", "customer %d not found", t.CustomerID)
	}
	if t.OrderID != 0 {
		var owner *int64
		err := tx.QueryRow(ctx, `SELECT customer_id FROM orders WHERE shop_id = ? AND id = ?`, shopID, t.OrderID).Scan(&owner)
		if err != nil {
			if guanxi.ErrorCode(store.MapError(err)) == guanxi.ENOTFOUND {
				return invalid("order_id", "order %d not found", t.OrderID)
			}
			return fmt.Errorf("service: check order %d: %w", t.OrderID, err)
		}
		if owner == nil || *owner != t.CustomerID {
			return invalid("order_id", "order %d is not customer %d's", t.OrderID, t.CustomerID)
		}
	}
	return checkAssignee(ctx, tx, shopID, t.AssigneeID, t.TeamID)
}

func checkAssignee(ctx context.Context, tx *store.Tx, shopID, userID, teamID int64) error {
	var n int
	if userID != 0 {
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM shop_members WHERE shop_id = ? AND user_id = ?`, shopID, userID).Scan(&n); err != nil {
			return fmt.Errorf("service: check assignee %d: %w", userID, err)
		}
		if n == 0 {
			return invalid("assignee_id", "user %d is not a member of this shop", userID)
		}
	}
	if teamID != 0 {
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM teams WHERE shop_id = ? AND id = ?`, shopID, teamID).Scan(&n); err != nil {
			return fmt.Errorf("service: check team %d: %w", teamID, err)
		}
		if n == 0 {
			return invalid("team_id", "team %d not found", teamID)
		}
	}
	return nil
}

// Create opens a ticket, setting its ID, status, SLA due times and version.
// A ticket without an assignee is assigned automatically when the shop's
// assignment mode is round_robin or skill (see AutoAssign), recorded as an
// assign event with body auto:<mode>.
// A complaint also holds promotions from its customer (contact_holds, reason
// complaint:<id>) in the same transaction, until it is archived. It fails
// with EINVALID for a bad field or a customer, order, assignee or team the
// shop does not have.
func (s *Service) Create(ctx context.Context, shopID int64, t *Ticket) error {
	if err := s.check(t); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error { return s.create(ctx, tx, shopID, t) })
}

// CreateIn is Create within the caller's transaction, for a ticket that
// must exist only together with other rows (internal/inbound's key of the
// message that opened it).
func (s *Service) CreateIn(ctx context.Context, tx *store.Tx, shopID int64, t *Ticket) error {
	if err := s.check(t); err != nil {
		return err
	}
	return s.create(ctx, tx, shopID, t)
}

func (s *Service) create(ctx context.Context, tx *store.Tx, shopID int64, t *Ticket) error {
	now := s.now()
	if err := checkRefs(ctx, tx, shopID, t); err != nil {
		return err
	}
	// A ticket nobody was given goes to an agent as the shop's
	// assignment mode says (none under manual, or when nobody can).
	auto := ""
	if t.AssigneeID == 0 {
		st, err := settingsOf(ctx, tx, shopID)
		if err != nil {
			return err
		}
		if st.AssignMode != AssignManual {
			if t.AssigneeID, err = pickAgent(ctx, tx, shopID, st.AssignMode, t.Kind, t.TeamID); err != nil {
				return err
			}
			if t.AssigneeID != 0 {
				auto = st.AssignMode
			}
		}
	}
	sla, err := slaOf(ctx, tx, shopID)
	if err != nil {
		return err
	}
	id, err := tx.NextIDs(ctx, shopID, "tickets", 1)
	if err != nil {
		return fmt.Errorf("service: create ticket in shop %d: %w", shopID, err)
	}
	a := audit.ActorFrom(ctx)
	t.ID, t.Status, t.Version = id, initialStatus(t.Kind), 1
	t.Cause, t.Severity, t.Solution, t.Outcome = "", "", "", ""
	t.CreatedBy, t.CreatedAt, t.UpdatedAt, t.SLAStartedAt = a.UserID, now, now, now
	t.ClosedAt, t.FirstRespondedAt, t.ResolvedAt = time.Time{}, time.Time{}, time.Time{}
	t.ResponseEscalated, t.ResolutionEscalated = false, false
	sla[t.Priority].apply(t)
	if _, err := tx.Exec(ctx, `INSERT INTO tickets (shop_id, id, kind, subject, body, customer_id, order_id, channel, priority,
assignee_id, team_id, status, created_by, created_at, updated_at, sla_started_at, first_response_due, resolution_due, version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		shopID, id, t.Kind, t.Subject, t.Body, t.CustomerID, store.NullInt(t.OrderID), t.Channel, t.Priority,
		store.NullInt(t.AssigneeID), store.NullInt(t.TeamID), t.Status, store.NullInt(t.CreatedBy), now.Unix(), now.Unix(), now.Unix(),
		t.FirstResponseDue.Unix(), t.ResolutionDue.Unix(), t.Version); err != nil {
		return fmt.Errorf("service: create ticket in shop %d: %w", shopID, store.MapError(err))
	}
	if err := addEvent(ctx, tx, shopID, id, "created", "", t.Status, t.Subject, now); err != nil {
		return err
	}
	if auto != "" {
		if err := addEvent(ctx, tx, shopID, id, "assign", fmt.Sprintf("user:0 team:%d", t.TeamID),
			fmt.Sprintf("user:%d team:%d", t.AssigneeID, t.TeamID), "auto:"+auto, now); err != nil {
			return err
		}
	}
	if t.Kind == Complaint {
		if err := hold(ctx, tx, shopID, t, now); err != nil {
			return err
		}
	}
	return audit.Write(ctx, tx, shopID, "ticket.create", "ticket", id,
		map[string]any{"kind": t.Kind, "customer_id": t.CustomerID, "priority": t.Priority}, now)
}

// holdReason names a complaint's contact hold; internal/campaign shows it.
func holdReason(ticketID int64) string { return fmt.Sprintf("complaint:%d", ticketID) }

// hold keeps promotions from a complaint's customer while it is open.
func hold(ctx context.Context, tx *store.Tx, shopID int64, t *Ticket, now time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO contact_holds (shop_id, customer_id, reason, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT (shop_id, customer_id, reason) DO NOTHING`, shopID, t.CustomerID, holdReason(t.ID), now.Unix()); err != nil {
		return fmt.Errorf("service: hold customer %d for complaint %d: %w", t.CustomerID, t.ID, err)
	}
	return nil
}

// release lifts a complaint's hold.
func release(ctx context.Context, tx *store.Tx, shopID int64, t *Ticket) error {
	if _, err := tx.Exec(ctx, `DELETE FROM contact_holds WHERE shop_id = ? AND customer_id = ? AND reason = ?`,
		shopID, t.CustomerID, holdReason(t.ID)); err != nil {
		return fmt.Errorf("service: release customer %d from complaint %d: %w", t.CustomerID, t.ID, err)
	}
	return nil
}

// addEvent appends to a ticket's history under the context's actor.
func addEvent(ctx context.Context, tx *store.Tx, shopID, ticketID int64, kind, from, to, body string, now time.Time) error {
	return addEventAs(ctx, tx, shopID, ticketID, audit.ActorFrom(ctx), kind, from, to, body, now)
}

func addEventAs(ctx context.Context, tx *store.Tx, shopID, ticketID int64, a audit.Actor, kind, from, to, body string, now time.Time) error {
	_, err := insertEvent(ctx, tx, shopID, ticketID, a, kind, from, to, body, "", now)
	return err
}

// insertEvent appends to a ticket's history and returns the event's id.
func insertEvent(ctx context.Context, tx *store.Tx, shopID, ticketID int64, a audit.Actor, kind, from, to, body, channel string, now time.Time) (int64, error) {
	id, err := tx.NextIDs(ctx, shopID, "ticket_events", 1)
	if err != nil {
		return 0, fmt.Errorf("service: ticket %d %s event: %w", ticketID, kind, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO ticket_events (shop_id, ticket_id, id, kind, from_value, to_value, body, actor_id, actor, at, channel)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, shopID, ticketID, id, kind, from, to, body, store.NullInt(a.UserID), a.Name, now.Unix(), channel); err != nil {
		return 0, fmt.Errorf("service: ticket %d %s event: %w", ticketID, kind, err)
	}
	return id, nil
}

// AddMessageIn records, within the caller's transaction, a message the
// customer wrote (an inbound e-mail or chat message; never an internal
// note), with the source it came through, and returns the event's id. It
// does not reopen a ticket waiting on the customer: the caller does, as a
// workflow step with its own version check.
func (s *Service) AddMessageIn(ctx context.Context, tx *store.Tx, shopID, ticketID int64, source, body string) (int64, error) {
	body = strings.TrimSpace(body)
	switch {
	case body == "":
		return 0, invalid("body", "required")
	case utf8.RuneCountInString(body) > 20000:
		return 0, invalid("body", "longer than 20000 characters")
	}
	now := s.now()
	if _, err := get(ctx, tx, shopID, ticketID); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE tickets SET updated_at = ? WHERE shop_id = ? AND id = ?`, now.Unix(), shopID, ticketID); err != nil {
		return 0, fmt.Errorf("service: message on ticket %d: %w", ticketID, err)
	}
	return insertEvent(ctx, tx, shopID, ticketID, audit.ActorFrom(ctx), "message", "", "", body, source, now)
}

// Get returns a ticket, or ENOTFOUND.
func (s *Service) Get(ctx context.Context, shopID, id int64) (*Ticket, error) {
	return get(ctx, s.db, shopID, id)
}

// Events returns a ticket's history, oldest first, or ENOTFOUND.
func (s *Service) Events(ctx context.Context, shopID, id int64) ([]Event, error) {
	if _, err := s.Get(ctx, shopID, id); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, kind, from_value, to_value, body, actor_id, actor, at, channel, delivery, delivery_detail FROM ticket_events
WHERE shop_id = ? AND ticket_id = ? ORDER BY id`, shopID, id)
	if err != nil {
		return nil, fmt.Errorf("service: events of ticket %d: %w", id, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e := Event{TicketID: id}
		var actor *int64
		var at int64
		if err := rows.Scan(&e.ID, &e.Kind, &e.From, &e.To, &e.Body, &actor, &e.Actor, &at, &e.Channel, &e.Delivery, &e.DeliveryDetail); err != nil {
			return nil, fmt.Errorf("service: events of ticket %d: %w", id, err)
		}
		if actor != nil {
			e.ActorID = *actor
		}
		e.At = time.Unix(at, 0)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("service: events of ticket %d: %w", id, err)
	}
	return out, nil
}

// AddNote records an internal note, which the customer never sees. Notes
// only append, so they take no version and never conflict.
func (s *Service) AddNote(ctx context.Context, shopID, id int64, body string) error {
	return s.addText(ctx, shopID, id, "note", body)
}

// Reply records a reply given to the customer outside Guanxi (on the
// phone, in a chat tool); SendReply sends one. The first reply stops the
// first response clock.
func (s *Service) Reply(ctx context.Context, shopID, id int64, body string) error {
	return s.addText(ctx, shopID, id, "reply", body)
}

func (s *Service) addText(ctx context.Context, shopID, id int64, kind, body string) error {
	body = strings.TrimSpace(body)
	switch {
	case body == "":
		return invalid("body", "required")
	case utf8.RuneCountInString(body) > 20000:
		return invalid("body", "longer than 20000 characters")
	}
	now := s.now()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		t, err := get(ctx, tx, shopID, id)
		if err != nil {
			return err
		}
		q, args := `UPDATE tickets SET updated_at = ? WHERE shop_id = ? AND id = ?`, []any{now.Unix(), shopID, id}
		if kind == "reply" {
			if !t.Open() {
				return guanxi.Errorf(guanxi.ECONFLICT, "ticket %d is %s: reopen it to reply", id, t.Status)
			}
			q = `UPDATE tickets SET updated_at = ?, first_responded_at = COALESCE(first_responded_at, ?) WHERE shop_id = ? AND id = ?`
			args = []any{now.Unix(), now.Unix(), shopID, id}
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("service: %s on ticket %d: %w", kind, id, err)
		}
		return addEvent(ctx, tx, shopID, id, kind, "", "", body, now)
	})
}

// SetPriority changes a ticket's priority and recomputes its SLA due times
// from the shop's clocks for the new priority.
func (s *Service) SetPriority(ctx context.Context, shopID, id, version int64, priority string) (*Ticket, error) {
	if !slices.Contains(Priorities, priority) {
		return nil, invalid("priority", "%q: expected one of %s", priority, strings.Join(Priorities, ", "))
	}
	now := s.now()
	var out *Ticket
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		t, err := getVersion(ctx, tx, shopID, id, version)
		if err != nil {
			return err
		}
		if t.Priority == priority {
			out = t
			return nil
		}
		from := t.Priority
		if err := setPriority(ctx, tx, shopID, t, priority, now); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, shopID, id, "priority", from, priority, "", now); err != nil {
			return err
		}
		out = t
		return audit.Write(ctx, tx, shopID, "ticket.priority", "ticket", id, map[string]any{"from": from, "to": priority}, now)
	})
	return out, err
}

// setPriority saves t with its new priority and due times, bumping its
// version; the caller checked the version in the same transaction.
func setPriority(ctx context.Context, tx *store.Tx, shopID int64, t *Ticket, priority string, now time.Time) error {
	sla, err := slaOf(ctx, tx, shopID)
	if err != nil {
		return err
	}
	t.Priority = priority
	sla[priority].apply(t)
	return save(ctx, tx, shopID, t, now)
}

// Assign gives a ticket to a user and/or a team of the shop (0 leaves it
// unassigned).
func (s *Service) Assign(ctx context.Context, shopID, id, version, userID, teamID int64) (*Ticket, error) {
	now := s.now()
	var out *Ticket
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		t, err := getVersion(ctx, tx, shopID, id, version)
		if err != nil {
			return err
		}
		if err := checkAssignee(ctx, tx, shopID, userID, teamID); err != nil {
			return err
		}
		from := fmt.Sprintf("user:%d team:%d", t.AssigneeID, t.TeamID)
		t.AssigneeID, t.TeamID = userID, teamID
		if err := save(ctx, tx, shopID, t, now); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, shopID, id, "assign", from, fmt.Sprintf("user:%d team:%d", userID, teamID), "", now); err != nil {
			return err
		}
		out = t
		return audit.Write(ctx, tx, shopID, "ticket.assign", "ticket", id, map[string]any{"user_id": userID, "team_id": teamID}, now)
	})
	return out, err
}
