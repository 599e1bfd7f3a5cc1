package service

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// querier is what reads need: the database or a transaction.
type querier interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

const ticketCols = `id, kind, subject, body, customer_id, order_id, channel, priority, assignee_id, team_id, status,
cause, severity, solution, outcome, created_by, created_at, updated_at, closed_at, sla_started_at, first_response_due,
resolution_due, first_responded_at, resolved_at, response_escalated, resolution_escalated, version`

func get(ctx context.Context, q querier, shopID, id int64) (*Ticket, error) {
	ts, err := list(ctx, q, shopID, `WHERE shop_id = ? AND id = ?`, shopID, id)
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "ticket %d not found", id)
	}
	return &ts[0], nil
}

// getVersion reads a ticket for a change, failing with ECONFLICT when it is
// no longer at the version the caller read, so a stale form never
// overwrites someone else's step.
func getVersion(ctx context.Context, tx *store.Tx, shopID, id, version int64) (*Ticket, error) {
	t, err := get(ctx, tx, shopID, id)
	if err != nil {
		return nil, err
	}
	if t.Version != version {
		return nil, guanxi.Errorf(guanxi.ECONFLICT, "ticket %d was changed by someone else (version %d, yours %d): reload it", id, t.Version, version)
	}
	return t, nil
}

func list(ctx context.Context, q querier, shopID int64, where string, args ...any) ([]Ticket, error) {
	rows, err := q.Query(ctx, `SELECT `+ticketCols+` FROM tickets `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("service: tickets of shop %d: %w", shopID, err)
	}
	defer rows.Close()
	var out []Ticket
	for rows.Next() {
		var t Ticket
		var order, assignee, team, by, closed, responded, resolved sql.NullInt64
		var created, updated, started, respDue, resDue, respEsc, resEsc int64
		if err := rows.Scan(&t.ID, &t.Kind, &t.Subject, &t.Body, &t.CustomerID, &order, &t.Channel, &t.Priority, &assignee, &team,
			&t.Status, &t.Cause, &t.Severity, &t.Solution, &t.Outcome, &by, &created, &updated, &closed, &started, &respDue,
			&resDue, &responded, &resolved, &respEsc, &resEsc, &t.Version); err != nil {
			return nil, fmt.Errorf("service: tickets of shop %d: %w", shopID, err)
		}
		t.OrderID, t.AssigneeID, t.TeamID, t.CreatedBy = order.Int64, assignee.Int64, team.Int64, by.Int64
		t.CreatedAt, t.UpdatedAt, t.SLAStartedAt = time.Unix(created, 0), time.Unix(updated, 0), time.Unix(started, 0)
		t.FirstResponseDue, t.ResolutionDue = time.Unix(respDue, 0), time.Unix(resDue, 0)
		t.ClosedAt, t.FirstRespondedAt, t.ResolvedAt = store.TimeOf(closed), store.TimeOf(responded), store.TimeOf(resolved)
		t.ResponseEscalated, t.ResolutionEscalated = respEsc != 0, resEsc != 0
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("service: tickets of shop %d: %w", shopID, err)
	}
	return out, nil
}

// save writes t's mutable fields and bumps its version, guarded by the
// version it was read at. first_responded_at only ever goes from NULL to a
// time, so a reply committed meanwhile (replies take no version) keeps its
// time.
func save(ctx context.Context, tx *store.Tx, shopID int64, t *Ticket, now time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE tickets SET priority = ?, assignee_id = ?, team_id = ?, status = ?, cause = ?, severity = ?,
solution = ?, outcome = ?, updated_at = ?, closed_at = ?, sla_started_at = ?, first_response_due = ?, resolution_due = ?,
first_responded_at = COALESCE(first_responded_at, ?), resolved_at = ?, response_escalated = ?, resolution_escalated = ?,
version = version + 1
WHERE shop_id = ? AND id = ? AND version = ?`,
		t.Priority, store.NullInt(t.AssigneeID), store.NullInt(t.TeamID), t.Status, t.Cause, t.Severity, t.Solution, t.Outcome, now.Unix(),
		store.NullTime(t.ClosedAt), t.SLAStartedAt.Unix(), t.FirstResponseDue.Unix(), t.ResolutionDue.Unix(), store.NullTime(t.FirstRespondedAt),
		store.NullTime(t.ResolvedAt), boolInt(t.ResponseEscalated), boolInt(t.ResolutionEscalated), shopID, t.ID, t.Version)
	if err != nil {
		return fmt.Errorf("service: save ticket %d: %w", t.ID, store.MapError(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("service: save ticket %d: %w", t.ID, err)
	} else if n == 0 {
		return guanxi.Errorf(guanxi.ECONFLICT, "ticket %d was changed by someone else (yours version %d): reload it", t.ID, t.Version)
	}
	t.Version++
	t.UpdatedAt = now
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Filter narrows List. Nil fields match everything.
type Filter struct {
	CustomerID *int64
	AssigneeID *int64
	Kind       *string
	Status     *string
	Open       *bool // true: not yet closed or archived; false: closed or archived
	Before     int64 // tickets with a smaller id: the next page
	Limit      int   // 1–500, default 50
}

// List returns the shop's tickets matching f, newest first.
func (s *Service) List(ctx context.Context, shopID int64, f Filter) ([]Ticket, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	var where strings.Builder
	args := []any{shopID}
	where.WriteString("WHERE shop_id = ?")
	add := func(cond string, v any) {
		where.WriteString(" AND " + cond)
		if v != nil {
			args = append(args, v)
		}
	}
	if f.CustomerID != nil {
		add("customer_id = ?", *f.CustomerID)
	}
	if f.AssigneeID != nil {
		add("assignee_id = ?", *f.AssigneeID)
	}
	if f.Kind != nil {
		add("kind = ?", *f.Kind)
	}
	if f.Status != nil {
		add("status = ?", *f.Status)
	}
	if f.Open != nil {
		if *f.Open {
			add("closed_at IS NULL", nil)
		} else {
			add("closed_at IS NOT NULL", nil)
		}
	}
	if f.Before > 0 {
		add("id < ?", f.Before)
	}
	where.WriteString(" ORDER BY id DESC LIMIT ?")
	args = append(args, f.Limit)
	return list(ctx, s.db, shopID, where.String(), args...)
}
