package customer

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Event is one entry of a customer's timeline other than an order: a note,
// an edit, a merge, a message, a ticket, a visit (回访).
type Event struct {
	ID         int64
	Kind       string // note, edit, merge, unmerge, message, ticket, visit, import…
	At         time.Time
	ActorID    int64  // the user who made it, 0 when none
	ActorName  string // their display name or username, "" when none
	Title      string
	Data       map[string]any
	CustomerID int64
}

// Timeline returns a customer's latest events, newest first, at most limit.
// Orders are not here: the caller has them from the order service.
func (s *Service) Timeline(ctx context.Context, shopID, id int64, limit int) ([]Event, error) {
	rows, err := s.db.Query(ctx, `SELECT e.id, e.kind, e.occurred_at, e.actor_id, COALESCE(NULLIF(u.display_name, ''), u.username, ''), e.title, e.data
FROM timeline_events e LEFT JOIN users u ON u.id = e.actor_id
WHERE e.shop_id = ? AND e.customer_id = ? ORDER BY e.occurred_at DESC, e.id DESC LIMIT ?`, shopID, id, limit)
	if err != nil {
		return nil, fmt.Errorf("customer: timeline of %d: %w", id, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		var actor *int64
		var data string
		if err := rows.Scan(&e.ID, &e.Kind, &at, &actor, &e.ActorName, &e.Title, &data); err != nil {
			return nil, fmt.Errorf("customer: timeline of %d: %w", id, err)
		}
		e.At, e.CustomerID = time.Unix(at, 0), id
		if actor != nil {
			e.ActorID = *actor
		}
		_ = json.Unmarshal([]byte(data), &e.Data) // a malformed document shows as no data
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("customer: timeline of %d: %w", id, err)
	}
	msgs, err := s.messages(ctx, shopID, id, limit)
	if err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		return out, nil
	}
	out = append(out, msgs...)
	slices.SortStableFunc(out, func(a, b Event) int { return b.At.Compare(a.At) })
	return out[:min(len(out), limit)], nil
}

// messages are the campaign messages sent to the customer, as timeline
// events of kind message: they live in the campaigns' snapshots rather than
// as timeline rows, which a million-recipient campaign would multiply.
func (s *Service) messages(ctx context.Context, shopID, id int64, limit int) ([]Event, error) {
	rows, err := s.db.Query(ctx, `SELECT m.campaign_id, m.sent_at, c.name, c.channel, c.purpose, m.status
FROM campaign_messages m JOIN campaigns c ON c.shop_id = m.shop_id AND c.id = m.campaign_id
WHERE m.shop_id = ? AND m.customer_id = ? AND m.sent_at IS NOT NULL ORDER BY m.sent_at DESC LIMIT ?`, shopID, id, limit)
	if err != nil {
		return nil, fmt.Errorf("customer: messages of %d: %w", id, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var cid, at int64
		var name, ch, purpose, status string
		if err := rows.Scan(&cid, &at, &name, &ch, &purpose, &status); err != nil {
			return nil, fmt.Errorf("customer: messages of %d: %w", id, err)
		}
		out = append(out, Event{ID: cid, Kind: "message", At: time.Unix(at, 0), Title: name, CustomerID: id,
			Data: map[string]any{"campaign_id": cid, "channel": ch, "purpose": purpose, "status": status}})
	}
	return out, rows.Err()
}

// MaxNoteLen is the longest note, in characters.
const MaxNoteLen = 2000

// AddNote writes a note by actor (a user id) on a live customer's timeline
// and the audit log, and returns the event's id. An empty or over-long note
// is refused with EINVALID.
func (s *Service) AddNote(ctx context.Context, shopID, id int64, text string, actor int64, now time.Time) (int64, error) {
	text = strings.TrimSpace(text)
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return 0, guanxi.Errorf(guanxi.EINVALID, "note: write something")
	case n > MaxNoteLen:
		return 0, guanxi.Errorf(guanxi.EINVALID, "note: at most %d characters (this one has %d)", MaxNoteLen, n)
	}
	data, _ := json.Marshal(map[string]string{"text": text})
	var ev int64
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var live int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM customers WHERE shop_id = ? AND id = ? AND merged_into IS NULL`, shopID, id).Scan(&live); err != nil {
			return err
		}
		if live == 0 {
			return guanxi.Errorf(guanxi.ENOTFOUND, "customer %d not found", id)
		}
		var err error
		if ev, err = tx.NextIDs(ctx, shopID, "timeline_events", 1); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO timeline_events (shop_id, id, customer_id, kind, occurred_at, actor_id, title, data) VALUES (?, ?, ?, 'note', ?, ?, '', ?)`,
			shopID, ev, id, now.Unix(), actor, string(data)); err != nil {
			return err
		}
		return audit.Write(ctx, tx, shopID, "customer.note", "customer", id, map[string]any{"event": ev, "chars": utf8.RuneCountInString(text)}, now)
	})
	if err != nil {
		if guanxi.ErrorCode(err) != guanxi.EINTERNAL {
			return 0, err
		}
		return 0, fmt.Errorf("customer: note on %d: %w", id, err)
	}
	return ev, nil
}
