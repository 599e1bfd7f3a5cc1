package loyalty

import (
	"context"
	"fmt"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// pendingBatch is how many orders EarnPending credits per transaction: big
// enough that a 3,000,000-order import is a few hundred transactions, small
// enough that the single SQLite writer is never held for long.
const pendingBatch = 5000

// EarnPending credits the points of every purchase order of the shop's live
// customers that has none yet, and reverses points of orders refunded since
// they earned, so that orders written in bulk (file imports) earn exactly
// what Earn would have given each of them. It returns the orders that
// earned or lost points and the net change in points. New credits are
// written set-based, pendingBatch orders a transaction; reversals, which
// are rare and must consume credits oldest first, go through Earn one by
// one. Running it again changes nothing.
func (s *Service) EarnPending(ctx context.Context, shopID int64) (orders int, points int64, err error) {
	st, err := s.Settings(ctx, shopID)
	if err != nil {
		return 0, 0, err
	}
	// Orders whose net amount earns no point (all of them when a shop earns
	// nothing per yuan) are skipped, not recorded: the cursor moves past
	// them so one run reads each order once.
	var after int64
	for st.PointsPerYuan > 0 {
		n, pts, last, err := s.earnBatch(ctx, shopID, st, after)
		if err != nil {
			return orders, points, wrap(err, "earn pending orders of shop %d", shopID)
		}
		orders, points = orders+n, points+pts
		if last == 0 {
			break
		}
		after = last
	}
	refunded, err := s.refundedSince(ctx, shopID)
	if err != nil {
		return orders, points, wrap(err, "refunded orders of shop %d", shopID)
	}
	for _, id := range refunded {
		change, err := s.Earn(ctx, shopID, id)
		// The order may have lost its customer or been merged away since
		// the query: that is not a reason to stop the others.
		if err != nil && guanxi.ErrorCode(err) == guanxi.EINTERNAL {
			return orders, points, err
		}
		if change != 0 {
			orders++
			points += change
		}
	}
	return orders, points, nil
}

// earnBatch credits up to pendingBatch unearned orders with ids above
// after, and returns how many earned, their points, and the last order id
// looked at (0 when there were none left).
func (s *Service) earnBatch(ctx context.Context, shopID int64, st Settings, after int64) (n int, points, last int64, err error) {
	now := s.clock.Now()
	var expires any
	if st.ExpiryMonths > 0 {
		expires = now.AddDate(0, st.ExpiryMonths, 0).Unix()
	}
	actor := audit.ActorFrom(ctx).Name
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT o.id, o.customer_id, CASE WHEN o.amount > o.refunded THEN o.amount - o.refunded ELSE 0 END
FROM orders o JOIN customers c ON c.shop_id = o.shop_id AND c.id = o.customer_id AND c.merged_into IS NULL
WHERE o.shop_id = ? AND o.id > ? AND o.status IN `+purchaseStatuses+`
  AND NOT EXISTS (SELECT 1 FROM points_ledger l WHERE l.shop_id = o.shop_id AND l.order_id = o.id)
ORDER BY o.id LIMIT ?`, shopID, after, pendingBatch)
		if err != nil {
			return err
		}
		var ins [][]any
		for rows.Next() {
			var id, customer, net int64
			if err := rows.Scan(&id, &customer, &net); err != nil {
				rows.Close()
				return err
			}
			last = id
			if p := net * st.PointsPerYuan / 100; p > 0 {
				ins = append(ins, []any{shopID, int64(0), customer, KindEarn, p, p, id, net, fmt.Sprintf("order %d", id), actor, now.Unix(), expires, fmt.Sprintf("order:%d", id)})
				points += p
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ins) == 0 {
			return err
		}
		first, err := tx.NextIDs(ctx, shopID, "points_ledger", int64(len(ins)))
		if err != nil {
			return err
		}
		for i, r := range ins {
			r[1] = first + int64(i)
		}
		if err := tx.Insert(ctx, "points_ledger", []string{"shop_id", "id", "customer_id", "kind", "points", "remaining", "order_id", "order_net",
			"reason", "actor", "created_at", "expires_at", "idempotency_key"}, ins); err != nil {
			return err
		}
		// The balances move by the sum of the new entries, one statement
		// for the batch; the ids are consecutive, so the range is theirs.
		if _, err := tx.Exec(ctx, `INSERT INTO loyalty_accounts (shop_id, customer_id, balance, updated_at)
SELECT shop_id, customer_id, SUM(points), ? FROM points_ledger WHERE shop_id = ? AND id >= ? AND id < ? GROUP BY shop_id, customer_id
ON CONFLICT (shop_id, customer_id) DO UPDATE SET balance = loyalty_accounts.balance + excluded.balance, updated_at = excluded.updated_at`,
			now.Unix(), shopID, first, first+int64(len(ins))); err != nil {
			return err
		}
		n = len(ins)
		return nil
	})
	return n, points, last, err
}

// refundedSince returns the orders that earned points and whose net amount
// fell below the one their points were last computed from.
func (s *Service) refundedSince(ctx context.Context, shopID int64) ([]int64, error) {
	return store.IDs(ctx, s.db, `SELECT o.id FROM orders o
WHERE o.shop_id = ? AND o.customer_id IS NOT NULL AND (o.refunded > 0 OR o.status IN ('refunded', 'cancelled'))
  AND CASE WHEN o.status IN ('refunded', 'cancelled') OR o.refunded >= o.amount THEN 0 ELSE o.amount - o.refunded END <
      (SELECT MIN(l.order_net) FROM points_ledger l WHERE l.shop_id = o.shop_id AND l.order_id = o.id AND l.kind IN ('earn', 'reverse'))
ORDER BY o.id`, shopID)
}
