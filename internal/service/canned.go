package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// CannedReply is a prepared answer (快捷回复) an agent picks while
// replying. Its body may use the placeholders {{name}} (the customer),
// {{order}} (the ticket's order number) and {{shop}}, each with an optional
// fallback ({{name|亲}}): internal/campaign's template language, so a shop
// learns one.
type CannedReply struct {
	ID        int64
	Title     string
	Body      string
	Kind      string // the ticket kind it suits; "" for every kind
	CreatedBy int64
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

func checkCanned(c *CannedReply) error {
	c.Title, c.Body = strings.TrimSpace(c.Title), strings.TrimSpace(c.Body)
	switch {
	case c.Title == "":
		return invalid("title", "required")
	case utf8.RuneCountInString(c.Title) > 100:
		return invalid("title", "longer than 100 characters")
	case c.Body == "":
		return invalid("body", "required")
	case utf8.RuneCountInString(c.Body) > 5000:
		return invalid("body", "longer than 5000 characters")
	case c.Kind != "" && !slices.Contains(Kinds, c.Kind):
		return invalid("kind", "%q: expected one of %s, or none", c.Kind, strings.Join(Kinds, ", "))
	}
	if _, err := campaign.ParseTemplateFor(c.Body, campaign.ServicePlaceholders); err != nil {
		return invalid("body", "%s", guanxi.ErrorMessage(err))
	}
	return nil
}

const cannedCols = `id, title, body, kind, created_by, created_at, updated_at, version`

func scanCanned(rows *sql.Rows) (CannedReply, error) {
	var c CannedReply
	var by sql.NullInt64
	var created, updated int64
	err := rows.Scan(&c.ID, &c.Title, &c.Body, &c.Kind, &by, &created, &updated, &c.Version)
	c.CreatedBy, c.CreatedAt, c.UpdatedAt = by.Int64, time.Unix(created, 0), time.Unix(updated, 0)
	return c, err
}

// CannedReplies lists the shop's canned replies by title; with a kind,
// those for that kind and those for every kind.
func (s *Service) CannedReplies(ctx context.Context, shopID int64, kind string) ([]CannedReply, error) {
	q, args := `SELECT `+cannedCols+` FROM canned_replies WHERE shop_id = ?`, []any{shopID}
	if kind != "" {
		q += ` AND kind IN ('', ?)`
		args = append(args, kind)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY title, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("service: canned replies of shop %d: %w", shopID, err)
	}
	defer rows.Close()
	var out []CannedReply
	for rows.Next() {
		c, err := scanCanned(rows)
		if err != nil {
			return nil, fmt.Errorf("service: canned replies of shop %d: %w", shopID, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CannedReply returns one canned reply, or ENOTFOUND.
func (s *Service) CannedReply(ctx context.Context, shopID, id int64) (*CannedReply, error) {
	return cannedOf(ctx, s.db, shopID, id)
}

func cannedOf(ctx context.Context, q querier, shopID, id int64) (*CannedReply, error) {
	rows, err := q.Query(ctx, `SELECT `+cannedCols+` FROM canned_replies WHERE shop_id = ? AND id = ?`, shopID, id)
	if err != nil {
		return nil, fmt.Errorf("service: canned reply %d: %w", id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "canned reply %d not found", id)
	}
	c, err := scanCanned(rows)
	if err != nil {
		return nil, fmt.Errorf("service: canned reply %d: %w", id, err)
	}
	return &c, nil
}

// CreateCannedReply saves a new canned reply, setting its ID and version.
// It fails with EINVALID for a missing title or body, an unknown kind or a
// placeholder other than name, order and shop.
func (s *Service) CreateCannedReply(ctx context.Context, shopID int64, c *CannedReply) error {
	if err := checkCanned(c); err != nil {
		return err
	}
	now := s.now()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		id, err := tx.NextIDs(ctx, shopID, "canned_replies", 1)
		if err != nil {
			return fmt.Errorf("service: create canned reply: %w", err)
		}
		c.ID, c.Version, c.CreatedBy, c.CreatedAt, c.UpdatedAt = id, 1, audit.ActorFrom(ctx).UserID, now, now
		if _, err := tx.Exec(ctx, `INSERT INTO canned_replies (shop_id, id, title, body, kind, created_by, created_at, updated_at, version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)`, shopID, id, c.Title, c.Body, c.Kind, store.NullInt(c.CreatedBy), now.Unix(), now.Unix()); err != nil {
			return fmt.Errorf("service: create canned reply: %w", err)
		}
		return audit.Write(ctx, tx, shopID, "canned_reply.create", "canned_reply", id, map[string]any{"title": c.Title, "kind": c.Kind}, now)
	})
}

// UpdateCannedReply saves c's title, body and kind, guarded by c.Version
// (ECONFLICT when someone saved it since), and bumps the version.
func (s *Service) UpdateCannedReply(ctx context.Context, shopID int64, c *CannedReply) error {
	if err := checkCanned(c); err != nil {
		return err
	}
	now := s.now()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := cannedOf(ctx, tx, shopID, c.ID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE canned_replies SET title = ?, body = ?, kind = ?, updated_at = ?, version = version + 1
WHERE shop_id = ? AND id = ? AND version = ?`, c.Title, c.Body, c.Kind, now.Unix(), shopID, c.ID, c.Version)
		if err != nil {
			return fmt.Errorf("service: update canned reply %d: %w", c.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return guanxi.Errorf(guanxi.ECONFLICT, "canned reply %d was changed by someone else: reload it", c.ID)
		}
		c.Version++
		c.UpdatedAt = now
		return audit.Write(ctx, tx, shopID, "canned_reply.update", "canned_reply", c.ID, map[string]any{"title": c.Title, "kind": c.Kind}, now)
	})
}

// DeleteCannedReply deletes a canned reply, or fails with ENOTFOUND.
func (s *Service) DeleteCannedReply(ctx context.Context, shopID, id int64) error {
	now := s.now()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM canned_replies WHERE shop_id = ? AND id = ?`, shopID, id)
		if err != nil {
			return fmt.Errorf("service: delete canned reply %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return guanxi.Errorf(guanxi.ENOTFOUND, "canned reply %d not found", id)
		}
		return audit.Write(ctx, tx, shopID, "canned_reply.delete", "canned_reply", id, nil, now)
	})
}

// RenderCannedReply fills a canned reply's placeholders for a ticket: the
// customer's name, the order number (the platform's, as the customer
// knows it) and the shop's name. The agent edits the text before sending
// it (SendReply or Reply).
func (s *Service) RenderCannedReply(ctx context.Context, shopID, cannedID, ticketID int64) (string, error) {
	c, err := s.CannedReply(ctx, shopID, cannedID)
	if err != nil {
		return "", err
	}
	return s.RenderReply(ctx, shopID, ticketID, c.Body)
}

// RenderReply fills the placeholders {{name}}, {{order}} and {{shop}} of
// body for a ticket, failing with EINVALID for a malformed template.
func (s *Service) RenderReply(ctx context.Context, shopID, ticketID int64, body string) (string, error) {
	tpl, err := campaign.ParseTemplateFor(body, campaign.ServicePlaceholders)
	if err != nil {
		return "", invalid("body", "%s", guanxi.ErrorMessage(err))
	}
	t, err := s.Get(ctx, shopID, ticketID)
	if err != nil {
		return "", err
	}
	var v campaign.Vars
	err = s.db.QueryRow(ctx, `SELECT c.name, s.name, COALESCE((SELECT o.external_id FROM orders o WHERE o.shop_id = c.shop_id AND o.id = ?), '')
FROM customers c JOIN shops s ON s.id = c.shop_id WHERE c.shop_id = ? AND c.id = ?`, t.OrderID, shopID, t.CustomerID).Scan(&v.Name, &v.Shop, &v.Order)
	if errors.Is(err, sql.ErrNoRows) {
		return "", guanxi.Errorf(guanxi.ENOTFOUND, "customer %d of ticket %d not found", t.CustomerID, t.ID)
	}
	if err != nil {
		return "", fmt.Errorf("service: reply values of ticket %d: %w", ticketID, err)
	}
	if guanxi.IsMasked(v.Name) {
		v.Name = "" // a masked name (张**) is no way to greet anyone: the fallback reads better
	}
	return tpl.Render(v), nil
}
