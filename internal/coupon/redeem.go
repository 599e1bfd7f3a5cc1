package coupon

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// purchaseStatuses are the order statuses that can redeem a coupon (as in
// internal/loyalty: the order was paid for).
const purchaseStatuses = `('paid', 'shipped', 'completed', 'partially_refunded')`

// use is an order that names a code.
type use struct {
	order, customer, placed int64
	amount, discount        guanxi.Money
}

// MatchRedemptions marks redeemed each open code that an order names in its
// imported discount-code column ("Discount Code" of a Shopify export,
// discount_code, coupon_code, 优惠码, 优惠券; any case; several codes
// separated by commas), when the order is a purchase by the code's customer
// (or by the customer it was merged into) placed between issue and
// expiry. The earliest such order redeems it, once. It returns how many
// codes it marked; running it again marks none. The discount recorded is
// the order's own discount when it has one, the template's otherwise.
func (s *Service) MatchRedemptions(ctx context.Context, shopID int64) (int, error) {
	n, err := s.matchRedemptions(ctx, shopID)
	return n, wrap(err, "match redemptions in shop %d", shopID)
}

func (s *Service) matchRedemptions(ctx context.Context, shopID int64) (int, error) {
	// Only orders placed after the oldest open code can redeem one, which
	// keeps a re-run after a big import from reading all of history.
	var since *int64
	if err := s.db.QueryRow(ctx, `SELECT MIN(issued_at) FROM coupons WHERE shop_id = ? AND redeemed_at IS NULL`, shopID).Scan(&since); err != nil {
		return 0, err
	}
	if since == nil {
		return 0, nil
	}
	rows, err := s.db.Query(ctx, `SELECT id, customer_id, placed_at, amount, discount, CAST(attrs AS TEXT) FROM orders
WHERE shop_id = ? AND placed_at >= ? AND customer_id IS NOT NULL AND status IN `+purchaseStatuses+` AND CAST(attrs AS TEXT) <> '{}'`, shopID, *since)
	if err != nil {
		return 0, err
	}
	uses := map[string][]use{}
	for rows.Next() {
		var u use
		var attrs string
		if err := rows.Scan(&u.order, &u.customer, &u.placed, &u.amount, &u.discount, &attrs); err != nil {
			rows.Close()
			return 0, err
		}
		var m map[string]any
		if json.Unmarshal([]byte(attrs), &m) != nil {
			continue // not an object: no column to read a code from
		}
		for _, c := range orderCodes(m) {
			uses[c] = append(uses[c], u)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(uses) == 0 {
		return 0, err
	}
	codes := slices.Sorted(func(yield func(string) bool) {
		for c := range uses {
			if !yield(c) {
				return
			}
		}
	})
	matched := 0
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		open, err := openCoupons(ctx, tx, shopID, codes)
		if err != nil {
			return err
		}
		var people []int64
		for _, c := range open {
			people = append(people, c.customer)
			for _, u := range uses[c.code] {
				people = append(people, u.customer)
			}
		}
		root, err := survivors(ctx, tx, shopID, people)
		if err != nil {
			return err
		}
		for _, c := range open {
			us := slices.Clone(uses[c.code])
			slices.SortFunc(us, func(a, b use) int { return cmp.Or(cmp.Compare(a.placed, b.placed), cmp.Compare(a.order, b.order)) })
			for _, u := range us {
				if u.placed < c.issued || u.placed > c.expires || root(u.customer) != root(c.customer) {
					continue
				}
				d := u.discount
				if d <= 0 {
					d = c.tmpl.discount(u.amount)
				}
				r, err := tx.Exec(ctx, `UPDATE coupons SET redeemed_at = ?, redeemed_order_id = ?, discount = ? WHERE shop_id = ? AND code = ? AND redeemed_at IS NULL`,
					u.placed, u.order, int64(d), shopID, c.code)
				if err != nil {
					return err
				}
				if n, _ := r.RowsAffected(); n > 0 {
					matched++
				}
				break
			}
		}
		return nil
	})
	return matched, err
}

type openCoupon struct {
	code                      string
	customer, issued, expires int64
	tmpl                      Template
}

// openCoupons returns the shop's unredeemed coupons among codes.
func openCoupons(ctx context.Context, tx *store.Tx, shopID int64, codes []string) ([]openCoupon, error) {
	var out []openCoupon
	for start := 0; start < len(codes); start += inChunk {
		part := codes[start:min(start+inChunk, len(codes))]
		args := []any{shopID}
		for _, c := range part {
			args = append(args, c)
		}
		rows, err := tx.Query(ctx, `SELECT c.code, c.customer_id, c.issued_at, c.expires_at, t.kind, t.value FROM coupons c
JOIN coupon_templates t ON t.shop_id = c.shop_id AND t.id = c.template_id
WHERE c.shop_id = ? AND c.redeemed_at IS NULL AND c.code IN (`+store.In(len(part))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c openCoupon
			if err := rows.Scan(&c.code, &c.customer, &c.issued, &c.expires, &c.tmpl.Kind, &c.tmpl.Value); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// survivors returns a function giving the live customer each of ids ended
// up in after merges (itself when never merged), following chains.
func survivors(ctx context.Context, tx *store.Tx, shopID int64, ids []int64) (func(int64) int64, error) {
	into := map[int64]int64{}
	todo := ids
	for hop := 0; len(todo) > 0 && hop < 16; hop++ {
		var next []int64
		for start := 0; start < len(todo); start += inChunk {
			part := todo[start:min(start+inChunk, len(todo))]
			args := []any{shopID}
			for _, id := range part {
				args = append(args, id)
			}
			rows, err := tx.Query(ctx, `SELECT id, merged_into FROM customers WHERE shop_id = ? AND merged_into IS NOT NULL AND id IN (`+store.In(len(part))+`)`, args...)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var id, to int64
				if err := rows.Scan(&id, &to); err != nil {
					rows.Close()
					return nil, err
				}
				if _, ok := into[id]; !ok {
					into[id] = to
					next = append(next, to)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
		todo = next
	}
	return func(id int64) int64 {
		for range 16 {
			to, ok := into[id]
			if !ok {
				return id
			}
			id = to
		}
		return id
	}, nil
}
