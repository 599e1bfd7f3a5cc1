package loyalty

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// The SQL of the loyalty tables, written once for both engines.

// loadSettings returns the shop's rules, or the defaults when it has none.
func loadSettings(ctx context.Context, q interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
}, shopID int64) (Settings, error) {
	var st Settings
	var tiers string
	err := q.QueryRow(ctx, `SELECT points_per_yuan, point_value, expiry_months, tier_basis, tiers FROM loyalty_settings WHERE shop_id = ?`, shopID).
		Scan(&st.PointsPerYuan, &st.PointValue, &st.ExpiryMonths, &st.TierBasis, &tiers)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultSettings(), nil
	}
	if err != nil {
		return Settings{}, err
	}
	if err := decodeTiers(tiers, &st.Tiers); err != nil {
		return Settings{}, err
	}
	return st, nil
}

// requireLive refuses a customer who does not exist or was merged into
// another with ENOTFOUND: points are earned and spent by live customers.
func requireLive(ctx context.Context, tx *store.Tx, shopID, customerID int64) error {
	var live int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM customers WHERE shop_id = ? AND id = ? AND merged_into IS NULL`, shopID, customerID).Scan(&live); err != nil {
		return err
	}
	if live == 0 {
		return guanxi.Errorf(guanxi.ENOTFOUND, "customer %d not found", customerID)
	}
	return nil
}

// lockAccount makes sure the customer has an account row and locks it for
// the rest of tx (an UPDATE takes the row lock on PostgreSQL; SQLite's
// transactions are serial already), returning the balance. Every change to
// a customer's points goes through here first, so two changes to one
// customer never interleave and a debit sees the balance it checks.
func lockAccount(ctx context.Context, tx *store.Tx, shopID, customerID int64, now time.Time) (int64, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO loyalty_accounts (shop_id, customer_id, balance, updated_at) VALUES (?, ?, 0, ?) ON CONFLICT (shop_id, customer_id) DO NOTHING`,
		shopID, customerID, now.Unix()); err != nil {
		return 0, err
	}
	var bal int64
	err := tx.QueryRow(ctx, `UPDATE loyalty_accounts SET updated_at = ? WHERE shop_id = ? AND customer_id = ? RETURNING balance`,
		now.Unix(), shopID, customerID).Scan(&bal)
	return bal, err
}

// addBalance changes a locked account's balance by delta; the table's CHECK
// refuses a negative result.
func addBalance(ctx context.Context, tx *store.Tx, shopID, customerID, delta int64) error {
	_, err := tx.Exec(ctx, `UPDATE loyalty_accounts SET balance = balance + ? WHERE shop_id = ? AND customer_id = ?`, delta, shopID, customerID)
	return err
}

// insertEntry writes one ledger entry with a new id and returns the id.
func insertEntry(ctx context.Context, tx *store.Tx, shopID int64, e *Entry) error {
	id, err := tx.NextIDs(ctx, shopID, "points_ledger", 1)
	if err != nil {
		return err
	}
	e.ID = id
	var order, net, expires, key any
	if e.OrderID != 0 {
		order, net = e.OrderID, int64(e.OrderNet)
	}
	if !e.ExpiresAt.IsZero() {
		expires = e.ExpiresAt.Unix()
	}
	if e.Key != "" {
		key = e.Key
	}
	_, err = tx.Exec(ctx, `INSERT INTO points_ledger (shop_id, id, customer_id, kind, points, remaining, order_id, order_net, reason, actor, created_at, expires_at, idempotency_key)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		shopID, e.ID, e.CustomerID, e.Kind, e.Points, e.Remaining, order, net, e.Reason, e.Actor, e.CreatedAt.Unix(), expires, key)
	return store.MapError(err)
}

// keyExists reports whether an entry with the idempotency key was written.
func keyExists(ctx context.Context, tx *store.Tx, shopID int64, key string) (bool, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM points_ledger WHERE shop_id = ? AND idempotency_key = ?`, shopID, key).Scan(&n)
	return n > 0, err
}

// consume takes n points from the customer's unspent credits, oldest
// first. The account must be locked and hold at least n.
func consume(ctx context.Context, tx *store.Tx, shopID, customerID, n int64) error {
	rows, err := tx.Query(ctx, `SELECT id, remaining FROM points_ledger WHERE shop_id = ? AND customer_id = ? AND remaining > 0 ORDER BY id`, shopID, customerID)
	if err != nil {
		return err
	}
	type lot struct{ id, take int64 }
	var lots []lot
	left := n
	for rows.Next() && left > 0 {
		var l lot
		var rem int64
		if err := rows.Scan(&l.id, &rem); err != nil {
			rows.Close()
			return err
		}
		l.take = min(rem, left)
		left -= l.take
		lots = append(lots, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if left > 0 {
		return fmt.Errorf("customer %d: credits hold %d points less than the balance", customerID, left)
	}
	for _, l := range lots {
		if _, err := tx.Exec(ctx, `UPDATE points_ledger SET remaining = remaining - ? WHERE shop_id = ? AND id = ?`, l.take, shopID, l.id); err != nil {
			return err
		}
	}
	return nil
}

const entryColumns = `id, customer_id, kind, points, remaining, COALESCE(order_id, 0), COALESCE(order_net, 0), reason, actor, created_at, COALESCE(expires_at, 0), COALESCE(idempotency_key, '')`

func scanEntry(rows *sql.Rows) (Entry, error) {
	var e Entry
	var created, expires int64
	err := rows.Scan(&e.ID, &e.CustomerID, &e.Kind, &e.Points, &e.Remaining, &e.OrderID, &e.OrderNet, &e.Reason, &e.Actor, &created, &expires, &e.Key)
	e.CreatedAt = time.Unix(created, 0)
	if expires != 0 {
		e.ExpiresAt = time.Unix(expires, 0)
	}
	return e, err
}

// purchaseStatuses are the order statuses that count as spend and earn points.
const purchaseStatuses = `('paid', 'shipped', 'completed', 'partially_refunded')`
