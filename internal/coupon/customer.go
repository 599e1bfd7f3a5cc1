package coupon

import (
	"context"
	"time"
)

// Coupon is one code issued to a customer.
type Coupon struct {
	Code         string
	TemplateID   int64
	TemplateName string
	CustomerID   int64
	Source       string
	IssuedAt     time.Time
	ExpiresAt    time.Time
	RedeemedAt   time.Time // zero while open
	OrderID      int64     // the order that redeemed it, 0 while open
	Discount     int64     // minor units the redemption took off
}

// ForCustomer returns the codes issued to a customer, newest first (at most
// limit, 1–500, default 100). An unknown customer has none.
func (s *Service) ForCustomer(ctx context.Context, shopID, customerID int64, limit int) ([]Coupon, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.db.Query(ctx, `SELECT c.code, c.template_id, t.name, c.customer_id, c.source, c.issued_at, c.expires_at,
  COALESCE(c.redeemed_at, 0), COALESCE(c.redeemed_order_id, 0), c.discount
FROM coupons c JOIN coupon_templates t ON t.shop_id = c.shop_id AND t.id = c.template_id
WHERE c.shop_id = ? AND c.customer_id = ? ORDER BY c.issued_at DESC, c.code LIMIT ?`, shopID, customerID, limit)
	if err != nil {
		return nil, wrap(err, "coupons of customer %d", customerID)
	}
	defer rows.Close()
	var out []Coupon
	for rows.Next() {
		var c Coupon
		var issued, expires, redeemed int64
		if err := rows.Scan(&c.Code, &c.TemplateID, &c.TemplateName, &c.CustomerID, &c.Source, &issued, &expires, &redeemed, &c.OrderID, &c.Discount); err != nil {
			return nil, wrap(err, "coupons of customer %d", customerID)
		}
		c.IssuedAt, c.ExpiresAt = time.Unix(issued, 0), time.Unix(expires, 0)
		if redeemed != 0 {
			c.RedeemedAt = time.Unix(redeemed, 0)
		}
		out = append(out, c)
	}
	return out, wrap(rows.Err(), "coupons of customer %d", customerID)
}
