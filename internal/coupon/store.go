package coupon

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// The SQL of the coupon tables, written once for both engines.

type querier interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

const templateColumns = `t.id, t.name, t.kind, t.value, t.min_spend, COALESCE(t.valid_days, 0), COALESCE(t.ends_at, 0), t.code_prefix, t.status, t.created_at, t.updated_at`

func scanTemplate(sc interface{ Scan(...any) error }, t *Template, extra ...any) error {
	var ends, created, updated int64
	if err := sc.Scan(append([]any{&t.ID, &t.Name, &t.Kind, &t.Value, &t.MinSpend, &t.ValidDays, &ends, &t.CodePrefix, &t.Status, &created, &updated}, extra...)...); err != nil {
		return err
	}
	if ends != 0 {
		t.EndsAt = time.Unix(ends, 0)
	}
	t.CreatedAt, t.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
	return nil
}

func getTemplate(ctx context.Context, q querier, shopID, id int64) (*Template, error) {
	var t Template
	err := scanTemplate(q.QueryRow(ctx, `SELECT `+templateColumns+` FROM coupon_templates t WHERE t.shop_id = ? AND t.id = ?`, shopID, id), &t)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "coupon template %d not found", id)
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func listStats(ctx context.Context, q querier, shopID int64) ([]Stats, error) {
	rows, err := q.Query(ctx, `SELECT `+templateColumns+`, COUNT(c.code), COUNT(c.redeemed_at), COALESCE(SUM(c.discount), 0)
FROM coupon_templates t LEFT JOIN coupons c ON c.shop_id = t.shop_id AND c.template_id = t.id
WHERE t.shop_id = ? GROUP BY t.shop_id, t.id ORDER BY t.id DESC`, shopID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Stats
	for rows.Next() {
		var s Stats
		if err := scanTemplate(rows, &s.Template, &s.Issued, &s.Redeemed, &s.Discount); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// inChunk bounds the ids or codes of one IN list, well under either
// engine's limit on bound parameters.
const inChunk = 1000

// requireLive refuses, with ENOTFOUND, customer ids that are not live
// customers of the shop (unknown, or merged into another).
func requireLive(ctx context.Context, tx *store.Tx, shopID int64, ids []int64) error {
	for start := 0; start < len(ids); start += inChunk {
		part := ids[start:min(start+inChunk, len(ids))]
		args := make([]any, 0, len(part)+1)
		args = append(args, shopID)
		for _, id := range part {
			args = append(args, id)
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM customers WHERE shop_id = ? AND merged_into IS NULL AND id IN (`+store.In(len(part))+`)`, args...).Scan(&n); err != nil {
			return err
		}
		if n != len(part) {
			return guanxi.Errorf(guanxi.ENOTFOUND, "%d of the customers are not found or were merged into others", len(part)-n)
		}
	}
	return nil
}

// existingCodes returns which of codes the shop has issued already.
func existingCodes(ctx context.Context, tx *store.Tx, shopID int64, codes []string) (map[string]bool, error) {
	used := map[string]bool{}
	for start := 0; start < len(codes); start += inChunk {
		part := codes[start:min(start+inChunk, len(codes))]
		args := make([]any, 0, len(part)+1)
		args = append(args, shopID)
		for _, c := range part {
			args = append(args, c)
		}
		rows, err := tx.Query(ctx, `SELECT code FROM coupons WHERE shop_id = ? AND code IN (`+store.In(len(part))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				rows.Close()
				return nil, err
			}
			used[c] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return used, nil
}
