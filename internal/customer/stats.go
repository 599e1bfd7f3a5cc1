package customer

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/guanxi-crm/guanxi/internal/store"
)

// Stats are a customer's sufficient statistics, derived from their orders:
// purchases are orders in a purchase status (paid, shipped, completed,
// partially refunded) with a non-negative amount, timed at placement.
type Stats struct {
	CustomerID      int64
	FirstPurchaseAt int64 // Unix seconds; 0 when the customer never bought
	LastPurchaseAt  int64
	PurchaseDays    int64 // distinct purchase days in the shop's time zone
	Orders          int64 // purchase orders
	TotalSpent      int64 // minor units, net of refunds
	Refunded        int64 // refunds and returns over all orders
}

// AvgSpent is the average net spend per purchase order, in minor units.
func (s Stats) AvgSpent() int64 {
	if s.Orders == 0 {
		return 0
	}
	return s.TotalSpent / s.Orders
}

var statsCols = []string{"shop_id", "customer_id", "first_purchase_at", "last_purchase_at", "purchase_days",
	"orders_count", "total_spent", "refunded", "updated_at"}

// InsertStats writes the stats of customers that have none yet, in bulk.
func InsertStats(ctx context.Context, tx *store.Tx, shopID int64, stats []Stats, now int64) error {
	rows := make([][]any, len(stats))
	for i, s := range stats {
		rows[i] = []any{shopID, s.CustomerID, store.NullInt(s.FirstPurchaseAt), store.NullInt(s.LastPurchaseAt), s.PurchaseDays,
			s.Orders, s.TotalSpent, s.Refunded, now}
	}
	if err := tx.Insert(ctx, "customer_stats", statsCols, rows); err != nil {
		return fmt.Errorf("customer: insert stats: %w", err)
	}
	return nil
}

// RecomputeStats derives the stats of the given customers from their orders
// again and stores them, replacing what was there. Merged-away customers get
// no stats row. It is the one place that defines the statistics in SQL; the
// importer's in-memory path must agree with it (a test checks).
func RecomputeStats(ctx context.Context, tx *store.Tx, shopID int64, ids []int64, now int64) error {
	const chunk = 500
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		args := make([]any, 0, len(part)+1)
		args = append(args, shopID)
		for _, id := range part {
			args = append(args, id)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM customer_stats WHERE shop_id = ? AND customer_id IN (`+store.In(len(part))+`)`, args...); err != nil {
			return fmt.Errorf("customer: recompute stats: %w", err)
		}
		rows, err := tx.Query(ctx, derivedStats+` AND c.id IN (`+store.In(len(part))+`) GROUP BY c.id`, args...)
		if err != nil {
			return fmt.Errorf("customer: recompute stats: %w", err)
		}
		out, err := scanStats(rows)
		if err != nil {
			return fmt.Errorf("customer: recompute stats: %w", err)
		}
		if err := InsertStats(ctx, tx, shopID, out, now); err != nil {
			return err
		}
	}
	return nil
}

// derivedStats derives live customers' statistics from their orders; the
// caller appends its own conditions and GROUP BY c.id.
const derivedStats = `
SELECT c.id,
       MIN(CASE WHEN o.purchase_day IS NOT NULL THEN o.placed_at END),
       MAX(CASE WHEN o.purchase_day IS NOT NULL THEN o.placed_at END),
       COUNT(DISTINCT o.purchase_day),
       COUNT(o.purchase_day),
       COALESCE(SUM(CASE WHEN o.purchase_day IS NOT NULL THEN o.amount - o.refunded END), 0),
       COALESCE(SUM(o.refunded), 0)
FROM customers c
LEFT JOIN orders o ON o.shop_id = c.shop_id AND o.customer_id = c.id
WHERE c.shop_id = ? AND c.merged_into IS NULL`

func scanStats(rows *sql.Rows) ([]Stats, error) {
	defer rows.Close()
	var out []Stats
	for rows.Next() {
		var s Stats
		var first, last *int64
		if err := rows.Scan(&s.CustomerID, &first, &last, &s.PurchaseDays, &s.Orders, &s.TotalSpent, &s.Refunded); err != nil {
			return nil, err
		}
		if first != nil {
			s.FirstPurchaseAt, s.LastPurchaseAt = *first, *last
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// StatsMismatch is a customer whose stored statistics are not what their
// orders say: Stored is nil when the row is missing, Derived nil when there
// should be none (a merged-away or deleted customer).
type StatsMismatch struct {
	CustomerID      int64
	Stored, Derived *Stats
}

// CheckStats compares every stored statistics row of the shop with a
// derivation from the orders, reading only, and returns the differences:
// none when imports and merges kept them right.
func CheckStats(ctx context.Context, db *store.DB, shopID int64) ([]StatsMismatch, error) {
	rows, err := db.Query(ctx, derivedStats+` GROUP BY c.id`, shopID)
	if err != nil {
		return nil, fmt.Errorf("customer: check stats: %w", err)
	}
	derived, err := scanStats(rows)
	if err != nil {
		return nil, fmt.Errorf("customer: check stats: %w", err)
	}
	rows, err = db.Query(ctx, `SELECT customer_id, first_purchase_at, last_purchase_at, purchase_days, orders_count, total_spent, refunded
FROM customer_stats WHERE shop_id = ?`, shopID)
	if err != nil {
		return nil, fmt.Errorf("customer: check stats: %w", err)
	}
	stored, err := scanStats(rows)
	if err != nil {
		return nil, fmt.Errorf("customer: check stats: %w", err)
	}
	have := make(map[int64]*Stats, len(stored))
	for i := range stored {
		have[stored[i].CustomerID] = &stored[i]
	}
	var out []StatsMismatch
	for i := range derived {
		d := &derived[i]
		s, ok := have[d.CustomerID]
		delete(have, d.CustomerID)
		if !ok || *s != *d {
			out = append(out, StatsMismatch{CustomerID: d.CustomerID, Stored: s, Derived: d})
		}
	}
	for id, s := range have {
		out = append(out, StatsMismatch{CustomerID: id, Stored: s})
	}
	slices.SortFunc(out, func(a, b StatsMismatch) int { return cmp.Compare(a.CustomerID, b.CustomerID) })
	return out, nil
}
