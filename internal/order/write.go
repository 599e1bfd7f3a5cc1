package order

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/orderfile"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Input is one order as an outside system (an ERP, an OMS, a webhook
// sender) sends it: the fields of DESIGN.md's orders CSV contract, with
// money in minor units (fen) and the buyer's identities in Customer. Its
// JSON names are those of the REST API, and validation errors name them.
type Input struct {
	ExternalID  string            `json:"external_id"`
	Platform    string            `json:"platform"` // default "generic"
	Status      string            `json:"status"`   // default "paid"
	PlacedAt    string            `json:"placed_at"`
	PaidAt      string            `json:"paid_at"`
	Amount      *int64            `json:"amount"` // default: the sum of the lines
	Discount    int64             `json:"discount"`
	ShippingFee int64             `json:"shipping_fee"`
	Refunded    int64             `json:"refunded"`
	Channel     string            `json:"channel"`
	Province    string            `json:"province"`
	City        string            `json:"city"`
	Customer    CustomerInput     `json:"customer"`
	Lines       []LineInput       `json:"lines"`
	Attrs       map[string]string `json:"attrs"`
}

// CustomerInput is the buyer of an Input. At most one of ID, BuyerNick and
// OpenID (the platform's own id of the buyer); with none of them and no
// usable phone, e-mail or unionid the order is a guest order.
type CustomerInput struct {
	ID               string `json:"id"`
	BuyerNick        string `json:"buyer_nick"`
	OpenID           string `json:"openid"`
	UnionID          string `json:"unionid"`
	Name             string `json:"name"`
	Phone            string `json:"phone"`
	Email            string `json:"email"`
	Province         string `json:"province"`
	City             string `json:"city"`
	Address          string `json:"address"`
	AcceptsMarketing *bool  `json:"accepts_marketing"`
}

// LineInput is one line of an Input.
type LineInput struct {
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Category  string `json:"category"`
	Quantity  *int64 `json:"quantity"` // default 1
	UnitPrice int64  `json:"unit_price"`
	Amount    *int64 `json:"amount"` // default quantity × unit_price
}

// Limits of an Input.
const (
	MaxLines  = 1000
	maxMoney  = int64(1e13) // 1000 亿元 in fen: far beyond any order, far from overflow
	maxQty    = int64(1e9)
	maxAttrs  = 50
	maxString = 500
)

var platformRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,31}$`)

// text checks one string field: valid UTF-8, no control characters, at
// most max characters. It returns the value trimmed.
func text(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", guanxi.Errorf(guanxi.EINVALID, "%s: control characters or invalid UTF-8 are not allowed", field)
	}
	if utf8.RuneCountInString(s) > max {
		return "", guanxi.Errorf(guanxi.EINVALID, "%s: at most %d characters", field, max)
	}
	return s, nil
}

func money(field string, v int64, neg bool) error {
	if v > maxMoney || v < -maxMoney || (!neg && v < 0) {
		lo := "0"
		if neg {
			lo = fmt.Sprint(-maxMoney)
		}
		return guanxi.Errorf(guanxi.EINVALID, "%s: %d is out of range (minor units, from %s to %d)", field, v, lo, maxMoney)
	}
	return nil
}

// Record checks the input and returns it as an orderfile.Record, the form
// the importer writes; times without an offset are in loc (the shop's zone).
// An EINVALID error names the JSON field at fault, e.g. "lines[2].quantity".
func (in *Input) Record(loc *time.Location) (*orderfile.Record, error) {
	var err error
	rec := &orderfile.Record{File: "api", Row: 1}
	str := func(field string, s string, max int) string {
		if err != nil {
			return ""
		}
		var v string
		v, err = text(field, s, max)
		return v
	}
	rec.OrderID = str("external_id", in.ExternalID, 100)
	platform := strings.ToLower(str("platform", in.Platform, 32))
	status := strings.ToLower(str("status", in.Status, 32))
	placed := str("placed_at", in.PlacedAt, 64)
	paid := str("paid_at", in.PaidAt, 64)
	rec.Channel = strings.ToLower(str("channel", in.Channel, 32))
	rec.Province = str("province", in.Province, 50)
	rec.City = str("city", in.City, 50)
	if err != nil {
		return nil, err
	}
	if rec.OrderID == "" {
		return nil, guanxi.Errorf(guanxi.EINVALID, "external_id: required (the order's number on its platform)")
	}
	if platform == "" {
		platform = "generic"
	}
	if !platformRe.MatchString(platform) {
		return nil, guanxi.Errorf(guanxi.EINVALID, "platform %q: expected a short lower-case name such as generic, taobao, tmall, jd, douyin, shopify", platform)
	}
	rec.Platform = platform
	rec.Status = orderfile.StatusPaid
	if status != "" {
		rec.Status = orderfile.Status(status)
		if !rec.Status.Valid() {
			return nil, guanxi.Errorf(guanxi.EINVALID, "status %q: expected one of pending, paid, shipped, completed, cancelled, refunded, partially_refunded", status)
		}
	}
	if placed == "" {
		return nil, guanxi.Errorf(guanxi.EINVALID, "placed_at: required (an ISO 8601 date-time such as 2025-11-11T20:15:00+08:00)")
	}
	if rec.PlacedAt, err = when("placed_at", placed, loc); err != nil {
		return nil, err
	}
	if paid != "" {
		if rec.PaidAt, err = when("paid_at", paid, loc); err != nil {
			return nil, err
		}
	} else if rec.Status.IsPurchase() || rec.Status == orderfile.StatusRefunded {
		rec.PaidAt = rec.PlacedAt // as the CSV contract reads it
	}
	for _, m := range []struct {
		field string
		v     int64
	}{{"discount", in.Discount}, {"shipping_fee", in.ShippingFee}, {"refunded", in.Refunded}} {
		if err := money(m.field, m.v, false); err != nil {
			return nil, err
		}
	}
	rec.Discount, rec.ShippingFee, rec.Refunded = guanxi.Money(in.Discount), guanxi.Money(in.ShippingFee), guanxi.Money(in.Refunded)

	if len(in.Lines) > MaxLines {
		return nil, guanxi.Errorf(guanxi.EINVALID, "lines: at most %d lines", MaxLines)
	}
	var sum int64
	for i, l := range in.Lines {
		f := fmt.Sprintf("lines[%d].", i)
		var line orderfile.Line
		line.SKU = str(f+"sku", l.SKU, 100)
		line.Name = str(f+"name", l.Name, 200)
		line.Category = str(f+"category", l.Category, 100)
		if err != nil {
			return nil, err
		}
		line.Quantity = 1
		if l.Quantity != nil {
			line.Quantity = *l.Quantity
		}
		if line.Quantity > maxQty || line.Quantity < -maxQty {
			return nil, guanxi.Errorf(guanxi.EINVALID, "%squantity: %d is out of range (±%d)", f, line.Quantity, maxQty)
		}
		if err := money(f+"unit_price", l.UnitPrice, true); err != nil {
			return nil, err
		}
		line.UnitPrice = guanxi.Money(l.UnitPrice)
		if l.Amount != nil {
			if err := money(f+"amount", *l.Amount, true); err != nil {
				return nil, err
			}
			line.Amount = guanxi.Money(*l.Amount)
		} else {
			if l.UnitPrice != 0 && (line.Quantity > maxMoney/abs(l.UnitPrice) || line.Quantity < -maxMoney/abs(l.UnitPrice)) {
				return nil, guanxi.Errorf(guanxi.EINVALID, "%squantity: quantity × unit_price is out of range", f)
			}
			line.Amount = guanxi.Money(line.Quantity * l.UnitPrice)
		}
		sum += int64(line.Amount)
		if sum > maxMoney || sum < -maxMoney {
			return nil, guanxi.Errorf(guanxi.EINVALID, "lines: the lines' total is out of range")
		}
		rec.Lines = append(rec.Lines, line)
	}
	switch {
	case in.Amount != nil:
		if err := money("amount", *in.Amount, true); err != nil {
			return nil, err
		}
		rec.Amount = guanxi.Money(*in.Amount)
	case len(in.Lines) > 0:
		rec.Amount = guanxi.Money(sum)
	default:
		return nil, guanxi.Errorf(guanxi.EINVALID, "amount: required when there are no lines (minor units, e.g. 12800 for ¥128.00)")
	}
	if rec.Amount < 0 {
		rec.Status = orderfile.StatusRefunded // a negative amount is a return, never a purchase
	}

	c := &in.Customer
	cu := orderfile.Customer{}
	id := str("customer.id", c.ID, 100)
	nick := str("customer.buyer_nick", c.BuyerNick, 100)
	openid := str("customer.openid", c.OpenID, 100)
	unionid := str("customer.unionid", c.UnionID, 100)
	cu.Name = str("customer.name", c.Name, 100)
	cu.Phone = str("customer.phone", c.Phone, 40)
	cu.Email = str("customer.email", c.Email, 254)
	cu.Province = str("customer.province", c.Province, 50)
	cu.City = str("customer.city", c.City, 50)
	cu.Address = str("customer.address", c.Address, maxString)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, k := range []struct{ v, kind string }{{id, orderfile.KeyCustomerID}, {nick, orderfile.KeyBuyerNick}, {openid, orderfile.KeyOpenID}} {
		if k.v != "" {
			cu.Key, cu.KeyKind = k.v, k.kind
			n++
		}
	}
	if n > 1 {
		return nil, guanxi.Errorf(guanxi.EINVALID, "customer: give at most one of id, buyer_nick and openid (the buyer's id on the order's platform)")
	}
	if cu.Province == "" {
		cu.Province, cu.City = rec.Province, rec.City
	}
	cu.AcceptsMarketing = c.AcceptsMarketing
	rec.Customer = cu

	if len(in.Attrs) > maxAttrs {
		return nil, guanxi.Errorf(guanxi.EINVALID, "attrs: at most %d attributes", maxAttrs)
	}
	for k, v := range in.Attrs {
		key := str("attrs (a key)", k, 64)
		val := str("attrs."+key, v, maxString)
		if err != nil {
			return nil, err
		}
		if key == "" || val == "" {
			continue
		}
		if rec.Attrs == nil {
			rec.Attrs = map[string]string{}
		}
		rec.Attrs[key] = val
	}
	if unionid != "" {
		if rec.Attrs == nil {
			rec.Attrs = map[string]string{}
		}
		rec.Attrs["unionid"] = unionid // where the importer looks for it
	}
	return rec, nil
}

func when(field, s string, loc *time.Location) (time.Time, error) {
	t, err := orderfile.ParseTime(s, loc)
	if err != nil || t.Year() < 1990 || t.Year() > 2200 {
		return time.Time{}, guanxi.Errorf(guanxi.EINVALID, "%s %q: expected an ISO 8601 date or date-time such as 2025-11-11 or 2025-11-11T20:15:00+08:00", field, s)
	}
	return t, nil
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Writer creates and updates orders sent one by one, through the
// importer's path, so that customer resolution, identities, merges,
// customer_stats and content_hash behave exactly as for an imported file.
// It is safe for concurrent use.
type Writer struct {
	imp *importer.Service
}

// NewWriter returns a Writer that writes through imp.
func NewWriter(imp *importer.Service) *Writer { return &Writer{imp: imp} }

// Written is what Write did with one order.
type Written struct {
	ID     int64
	Result string // importer.Created, Updated or Unchanged
}

// Write checks every input, then writes them all in one transaction (all or
// none): a new order is created, a changed one replaced whole, an unchanged
// one left alone. An invalid input is an EINVALID error naming the field,
// prefixed with "[i]." when there are several. inTx, when not nil, runs in
// the same transaction before the orders are written (a webhook records its
// delivery there).
func (w *Writer) Write(ctx context.Context, sh *shop.Shop, ins []Input, source string, inTx func(ctx context.Context, tx *store.Tx) error) ([]Written, error) {
	recs := make([]*orderfile.Record, len(ins))
	for i := range ins {
		rec, err := ins[i].Record(sh.Location())
		if err != nil {
			if len(ins) > 1 {
				return nil, guanxi.Errorf(guanxi.EINVALID, "[%d].%s", i, guanxi.ErrorMessage(err))
			}
			return nil, err
		}
		recs[i] = rec
	}
	applied, err := w.imp.Apply(ctx, sh, recs, importer.ApplyOptions{Source: source, InTx: inTx})
	if err != nil {
		if guanxi.ErrorCode(err) != guanxi.EINTERNAL {
			return nil, err
		}
		return nil, fmt.Errorf("order: write %d orders in shop %d: %w", len(ins), sh.ID, err)
	}
	out := make([]Written, len(applied))
	for i, a := range applied {
		out[i] = Written{ID: a.OrderID, Result: a.Result}
	}
	return out, nil
}

// ByKey returns the id of the shop's order with the platform's order
// number, or an ENOTFOUND error.
func (s *Service) ByKey(ctx context.Context, shopID int64, platform, externalID string) (int64, error) {
	var id int64
	err := s.db.QueryRow(ctx, `SELECT id FROM orders WHERE shop_id = ? AND platform = ? AND external_id = ?`, shopID, platform, externalID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, guanxi.Errorf(guanxi.ENOTFOUND, "order %s/%s not found", platform, externalID)
	}
	if err != nil {
		return 0, fmt.Errorf("order: %s/%s in shop %d: %w", platform, externalID, shopID, err)
	}
	return id, nil
}

// Page returns one page of the customer's orders, newest first, with their
// lines, and how many orders the customer has in all.
func (s *Service) Page(ctx context.Context, shopID, customerID int64, limit, offset int) ([]Order, int, error) {
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM orders WHERE shop_id = ? AND customer_id = ?`, shopID, customerID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("order: count orders of customer %d in shop %d: %w", customerID, shopID, err)
	}
	if total == 0 || offset >= total {
		return []Order{}, total, nil
	}
	// As in ByCustomer: the customer's order ids first, then each order.
	rows, err := s.db.Query(ctx, `SELECT `+orderCols+`
FROM (SELECT shop_id, id FROM orders WHERE shop_id = ? AND customer_id = ?) k
CROSS JOIN orders o
WHERE o.shop_id = k.shop_id AND o.id = k.id
ORDER BY o.placed_at DESC, o.id DESC
LIMIT ? OFFSET ?`, shopID, customerID, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("order: orders of customer %d in shop %d: %w", customerID, shopID, err)
	}
	out := []Order{}
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("order: orders of customer %d in shop %d: %w", customerID, shopID, err)
		}
		out = append(out, *o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("order: orders of customer %d in shop %d: %w", customerID, shopID, err)
	}
	if err := s.attachLines(ctx, shopID, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}
