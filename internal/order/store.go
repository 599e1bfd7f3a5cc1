package order

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Service reads orders. Every query takes the shop as its first argument.
type Service struct {
	db *store.DB
}

// NewService returns a Service on db.
func NewService(db *store.DB) *Service { return &Service{db: db} }

const orderCols = `o.id, o.platform, o.external_id, o.customer_id, o.status, o.placed_at, o.paid_at, o.purchase_day,
       o.amount, o.discount, o.shipping_fee, o.refunded, o.channel, o.province, o.city`

func scanOrder(row interface{ Scan(...any) error }) (*Order, error) {
	var o Order
	var customer, paid, day sql.NullInt64
	var placed int64
	if err := row.Scan(&o.ID, &o.Platform, &o.ExternalID, &customer, &o.Status, &placed, &paid, &day,
		&o.Amount, &o.Discount, &o.ShippingFee, &o.Refunded, &o.Channel, &o.Province, &o.City); err != nil {
		return nil, err
	}
	o.CustomerID, o.PurchaseDay = customer.Int64, int(day.Int64)
	o.PlacedAt = time.Unix(placed, 0)
	if paid.Valid {
		o.PaidAt = time.Unix(paid.Int64, 0)
	}
	return &o, nil
}

// ByCustomer returns the customer's latest orders, newest first, at most
// limit of them (all when limit <= 0), each with its lines. A customer with
// no orders, or of another shop, has none: that is not an error.
func (s *Service) ByCustomer(ctx context.Context, shopID, customerID int64, limit int) ([]Order, error) {
	// The customer's order ids come from orders_customer, then each order by
	// its key. CROSS JOIN fixes that loop order on SQLite, whose planner
	// (with no ANALYZE statistics) would otherwise walk every order of the
	// shop through orders_placed or the primary key to save sorting a few
	// rows; PostgreSQL reads it as a plain join.
	q := `SELECT ` + orderCols + `
FROM (SELECT shop_id, id FROM orders WHERE shop_id = ? AND customer_id = ?) k
CROSS JOIN orders o
WHERE o.shop_id = k.shop_id AND o.id = k.id
ORDER BY o.placed_at DESC, o.id DESC`
	args := []any{shopID, customerID}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("order: orders of customer %d in shop %d: %w", customerID, shopID, err)
	}
	var out []Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("order: orders of customer %d in shop %d: %w", customerID, shopID, err)
		}
		out = append(out, *o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("order: orders of customer %d in shop %d: %w", customerID, shopID, err)
	}
	if err := s.attachLines(ctx, shopID, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Get returns the order with its lines, or an ENOTFOUND error when the shop
// has no such order.
func (s *Service) Get(ctx context.Context, shopID, orderID int64) (*Order, error) {
	o, err := scanOrder(s.db.QueryRow(ctx, `SELECT `+orderCols+` FROM orders o WHERE o.shop_id = ? AND o.id = ?`, shopID, orderID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "order %d not found", orderID)
	}
	if err != nil {
		return nil, fmt.Errorf("order: get %d in shop %d: %w", orderID, shopID, err)
	}
	one := []Order{*o}
	if err := s.attachLines(ctx, shopID, one); err != nil {
		return nil, err
	}
	return &one[0], nil
}

// attachLines reads the lines of the orders, in chunks of ids, and sets
// each order's Lines in line order.
func (s *Service) attachLines(ctx context.Context, shopID int64, orders []Order) error {
	const chunk = 500
	at := make(map[int64]int, len(orders))
	for i := range orders {
		at[orders[i].ID] = i
	}
	for start := 0; start < len(orders); start += chunk {
		part := orders[start:min(start+chunk, len(orders))]
		args := make([]any, 0, len(part)+1)
		args = append(args, shopID)
		for _, o := range part {
			args = append(args, o.ID)
		}
		rows, err := s.db.Query(ctx, `SELECT order_id, line_no, product_id, sku, name, category, quantity, unit_price, amount
FROM order_lines WHERE shop_id = ? AND order_id IN (`+store.In(len(part))+`) ORDER BY order_id, line_no`, args...)
		if err != nil {
			return fmt.Errorf("order: lines in shop %d: %w", shopID, err)
		}
		for rows.Next() {
			var l Line
			var orderID int64
			var product sql.NullInt64
			if err := rows.Scan(&orderID, &l.No, &product, &l.SKU, &l.Name, &l.Category, &l.Quantity, &l.UnitPrice, &l.Amount); err != nil {
				rows.Close()
				return fmt.Errorf("order: lines in shop %d: %w", shopID, err)
			}
			l.ProductID = product.Int64
			o := &orders[at[orderID]]
			o.Lines = append(o.Lines, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("order: lines in shop %d: %w", shopID, err)
		}
	}
	return nil
}
