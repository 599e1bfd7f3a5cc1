// Package inbound turns messages from outside into tickets of the service
// desk (issue 6 §1): e-mail received by a small SMTP server (smtp.go,
// mail.go) and messages that chat and social tools post to the API's
// inbound webhook (payload.go). Each message is matched to a customer by
// platform identity, phone or e-mail (a minimal customer is created for a
// stranger), then either appended to the ticket it continues or opens a
// consultation.
//
// The customer's words are a message event on the ticket (never an
// internal note). A message is recorded once: its source and message id
// are the key of a row of inbound_messages, written in the same
// transaction as the ticket or event it became, so a resend after a crash,
// or the same message delivered twice at once (even to two processes),
// never opens a second ticket. That row is also how a later e-mail's
// In-Reply-To finds its thread. It owns the table inbound_messages and
// writes tickets and their events through internal/service. The Service is
// safe for concurrent use.
package inbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Contact is who a message says it is from.
type Contact struct {
	Name       string `json:"name"`
	Phone      string `json:"phone"`
	Email      string `json:"email"`
	Platform   string `json:"platform"`    // e.g. wechat, weibo, douyin, taobao
	PlatformID string `json:"platform_id"` // the sender's id on that platform (openid, buyer nick …)
}

// Attachment is a file that came with a message.
type Attachment struct {
	Name        string
	ContentType string // as the sender declared it; the desk sniffs its own
	Data        []byte
}

// Message is one message from outside.
type Message struct {
	Source          string // email, wechat, weibo, douyin, a tool's name
	MessageID       string // unique per source: a retry carries the same one
	InReplyTo       []string
	TicketRef       int64 // a [#id] in the subject: the ticket it answers
	Customer        Contact
	Subject         string
	Text            string
	OrderExternalID string
	Attachments     []Attachment
}

// Result is what became of a message.
type Result struct {
	TicketID    int64 `json:"ticket_id"`
	CustomerID  int64 `json:"customer_id"`
	Created     bool  `json:"created"`      // a new ticket; false: appended to TicketID
	Duplicate   bool  `json:"duplicate"`    // seen before: nothing was written
	NewCustomer bool  `json:"new_customer"` // the sender was not known and was added
	Attachments int   `json:"attachments"`  // attachments stored
}

// Service receives messages for the shops of a database.
type Service struct {
	db    *store.DB
	desk  *service.Service
	shops *shop.Service
	clock guanxi.Clock
	log   *slog.Logger
	mu    sync.Mutex // one message at a time: not needed for correctness (the key is), it saves a duplicate's wasted work
}

// NewService returns the inbound service, which records messages on desk's
// tickets; a nil log discards.
func NewService(db *store.DB, desk *service.Service, shops *shop.Service, clock guanxi.Clock, log *slog.Logger) *Service {
	if clock == nil {
		clock = guanxi.SystemClock{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, desk: desk, shops: shops, clock: clock, log: log}
}

// Limits of a message's fields.
const (
	maxText    = 20000
	maxSubject = 200
	maxID      = 200
)

func invalid(field, format string, args ...any) error {
	return guanxi.Errorf(guanxi.EINVALID, field+": "+format, args...)
}

// channelOf is the ticket channel of a source.
func channelOf(source string) string {
	switch source {
	case "email":
		return "email"
	case "wechat":
		return "wechat"
	}
	return "webhook"
}

// check cleans m and names the field at fault.
func check(m *Message) error {
	m.Source = strings.ToLower(strings.TrimSpace(m.Source))
	m.MessageID = strings.TrimSpace(m.MessageID)
	m.Subject = strings.Join(strings.Fields(m.Subject), " ")
	m.Text = strings.TrimSpace(strings.ToValidUTF8(m.Text, "\uFFFD"))
	c := &m.Customer
	c.Name, c.Phone, c.Email = strings.TrimSpace(c.Name), strings.TrimSpace(c.Phone), strings.TrimSpace(c.Email)
	c.Platform, c.PlatformID = strings.ToLower(strings.TrimSpace(c.Platform)), strings.TrimSpace(c.PlatformID)
	switch {
	case m.Source == "" || len(m.Source) > 40 || strings.ContainsFunc(m.Source, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.')
	}):
		return invalid("source", "%q: expected 1-40 letters, digits, '-', '_' or '.'", m.Source)
	case m.MessageID == "" || len(m.MessageID) > maxID || strings.ContainsFunc(m.MessageID, func(r rune) bool { return r < ' ' || r == ']' }):
		return invalid("message_id", "required, at most %d bytes, no control characters or ']'", maxID)
	case m.Text == "" && m.Subject == "":
		return invalid("text", "required (or a subject)")
	case utf8.RuneCountInString(m.Text) > maxText:
		return invalid("text", "longer than %d characters", maxText)
	case c.Phone == "" && c.Email == "" && c.PlatformID == "":
		return invalid("customer", "a phone, an email or a platform_id is required to know who wrote")
	case c.PlatformID != "" && c.Platform == "":
		return invalid("customer.platform", "required with platform_id")
	case c.Phone != "" && guanxi.NormalizePhone(c.Phone) == "":
		return invalid("customer.phone", "%q is not a phone number", c.Phone)
	case c.Email != "" && guanxi.NormalizeEmail(c.Email) == "":
		return invalid("customer.email", "%q is not an e-mail address", c.Email)
	case utf8.RuneCountInString(c.Name) > 100 || len(c.PlatformID) > 200 || len(c.Platform) > 40:
		return invalid("customer", "name, platform or platform_id too long")
	case utf8.RuneCountInString(m.OrderExternalID) > 100:
		return invalid("order_external_id", "longer than 100 characters")
	}
	if utf8.RuneCountInString(m.Subject) > maxSubject {
		m.Subject = string([]rune(m.Subject)[:maxSubject-1]) + "…"
	}
	return nil
}

// errSeen rolls back a message whose key another transaction wrote first.
var errSeen = errors.New("inbound: message seen before")

// Receive records m in the shop: on the ticket it continues, or on a new
// consultation, as a message event with its source. A message seen before
// (same source and message id) changes nothing and answers the first
// result's ticket with Duplicate set. It fails with EINVALID naming the
// field at fault.
func (s *Service) Receive(ctx context.Context, shopID int64, m *Message) (Result, error) {
	if err := check(m); err != nil {
		return Result{}, err
	}
	who := m.Customer.Email
	if who == "" {
		who = cmpOr(m.Customer.PlatformID, m.Customer.Phone)
	}
	ctx = audit.WithActor(ctx, audit.Actor{Name: m.Source + ":" + truncate(who, 60)})
	s.mu.Lock()
	defer s.mu.Unlock()
	if res, ok, err := s.seen(ctx, shopID, m); err != nil || ok {
		return res, err
	}
	var res Result
	var err error
	res.CustomerID, res.NewCustomer, err = s.customer(ctx, shopID, m.Customer)
	if err != nil {
		return Result{}, err
	}
	target, err := s.thread(ctx, shopID, res.CustomerID, m)
	if err != nil {
		return Result{}, err
	}
	stored, listed := s.attachmentsNote(m)
	body := cmpOr(m.Text, m.Subject) + listed
	if target != 0 && m.Subject != "" && m.Text != "" && m.Source == "email" {
		// A new ticket's subject is the e-mail's; a reply's is not kept elsewhere.
		body = m.Subject + "\n\n" + m.Text + listed
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		res.TicketID, res.Created = target, false
		if target == 0 {
			t := &service.Ticket{Kind: service.Consultation, Subject: subjectOf(m), Body: m.Text, CustomerID: res.CustomerID,
				Channel: channelOf(m.Source), Priority: service.Normal}
			if m.OrderExternalID != "" {
				var err error
				if t.OrderID, err = s.order(ctx, tx, shopID, res.CustomerID, m.OrderExternalID); err != nil {
					return err
				}
			}
			if err := s.desk.CreateIn(ctx, tx, shopID, t); err != nil {
				return err
			}
			res.TicketID, res.Created = t.ID, true
		}
		eventID, err := s.desk.AddMessageIn(ctx, tx, shopID, res.TicketID, m.Source, truncate(body, maxText))
		if err != nil {
			return err
		}
		// Last, so a concurrent twin waits here for the first to commit
		// (PostgreSQL) or never gets this far (SQLite's write lock), then
		// finds the key taken and rolls all of its work back.
		r, err := tx.Exec(ctx, `INSERT INTO inbound_messages (shop_id, source, message_id, ticket_id, event_id, received_at)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (shop_id, source, message_id) DO NOTHING`,
			shopID, m.Source, m.MessageID, res.TicketID, eventID, s.clock.Now().Unix())
		if err != nil {
			return fmt.Errorf("inbound: key of message %s %q: %w", m.Source, m.MessageID, err)
		}
		if n, err := r.RowsAffected(); err != nil {
			return fmt.Errorf("inbound: key of message %s %q: %w", m.Source, m.MessageID, err)
		} else if n == 0 {
			return errSeen
		}
		return nil
	})
	if errors.Is(err, errSeen) {
		res, _, err := s.seen(ctx, shopID, m)
		return res, err
	}
	if err != nil {
		return Result{}, err
	}
	if !res.Created {
		s.wake(ctx, shopID, res.TicketID)
	}
	res.Attachments = s.store(ctx, shopID, res.TicketID, stored)
	return res, nil
}

// wake puts a ticket waiting on the customer (pending) back to open, now
// that the customer wrote. The message is recorded already, so a failure
// (someone changed the ticket meanwhile) is only logged.
func (s *Service) wake(ctx context.Context, shopID, id int64) {
	t, err := s.desk.Get(ctx, shopID, id)
	if err == nil && t.Status == service.Pending {
		_, err = s.desk.Transition(ctx, shopID, id, t.Version, service.Step{To: service.Open, Note: "客户回复 the customer wrote"})
	}
	if err != nil {
		s.log.Warn("inbound: ticket not reopened after the customer wrote", "shop", shopID, "ticket", id, "err", err)
	}
}

// attachmentsNote splits the message's attachments into those to store and
// the note's list of their names (every one, so none goes unmentioned).
func (s *Service) attachmentsNote(m *Message) ([]Attachment, string) {
	if len(m.Attachments) == 0 {
		return nil, ""
	}
	var b strings.Builder
	b.WriteString("\n\n附件 attachments:")
	for _, a := range m.Attachments {
		fmt.Fprintf(&b, "\n- %s (%s, %d bytes)", truncate(a.Name, 100), a.ContentType, len(a.Data))
	}
	return m.Attachments, b.String()
}

// store saves the attachments through the desk, which checks their size,
// number and sniffed type; one refused is logged and skipped: the message
// itself is recorded and its text names every file. They are stored after
// the message's transaction (the desk checks each in its own), so a crash
// in between keeps the message, listing files that a resend will not add.
func (s *Service) store(ctx context.Context, shopID, ticketID int64, as []Attachment) int {
	n := 0
	for _, a := range as {
		if _, err := s.desk.AddAttachment(ctx, shopID, ticketID, a.Name, bytes.NewReader(a.Data)); err != nil {
			s.log.Warn("inbound attachment not stored", "shop", shopID, "ticket", ticketID, "name", a.Name, "err", err)
			continue
		}
		n++
	}
	return n
}

// thread returns the open ticket m continues, or 0 for a new one: a [#id]
// of the sender's own ticket, a reply to a message already recorded, or
// (for chat tools, whose messages carry no thread) the sender's open
// ticket from the same source.
func (s *Service) thread(ctx context.Context, shopID, customerID int64, m *Message) (int64, error) {
	if m.TicketRef > 0 {
		t, err := s.desk.Get(ctx, shopID, m.TicketRef)
		switch {
		case err == nil && t.CustomerID == customerID && t.Open():
			return t.ID, nil
		case err != nil && guanxi.ErrorCode(err) != guanxi.ENOTFOUND:
			return 0, err
		}
		// Another customer's, closed or unknown: a new ticket, never a
		// message on someone else's.
	}
	for _, ref := range m.InReplyTo {
		if ref = strings.TrimSpace(ref); ref == "" || len(ref) > maxID {
			continue
		}
		if id, err := s.received(ctx, shopID, customerID, m.Source, ref); err != nil || id != 0 {
			return id, err
		}
	}
	if m.Source != "email" {
		return s.received(ctx, shopID, customerID, m.Source, "")
	}
	return 0, nil
}

func subjectOf(m *Message) string {
	if m.Subject != "" {
		return m.Subject
	}
	line, _, _ := strings.Cut(m.Text, "\n")
	if line = strings.TrimSpace(line); utf8.RuneCountInString(line) > 40 {
		line = string([]rune(line)[:39]) + "…"
	}
	return cmpOr(line, "(无主题)")
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Shop returns the shop a code names: ENOTFOUND for none.
func (s *Service) Shop(ctx context.Context, code string) (*shop.Shop, error) {
	sh, err := s.shops.ByCode(ctx, code)
	if guanxi.ErrorCode(err) == guanxi.EINVALID {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "no shop %q", code)
	}
	return sh, err
}
