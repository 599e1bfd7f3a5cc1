package orderfile

import (
	"cmp"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
)

// shopifyFields maps what the reader uses from Shopify's orders export (Orders
// → Export → CSV) to its headers. Every other order-level column (Currency,
// Subtotal, Taxes, Discount Code, Shipping Method, Fulfilled at, Cancelled
// at, Notes, Note Attributes, Payment Method, Id, Tags, Source, Risk Level,
// Tax N Name/Value, the shipping street, …) is kept in Record.Attrs;
// line-level columns not read here (Lineitem compare at price, Lineitem
// requires shipping, Lineitem taxable, Lineitem fulfillment status, Vendor)
// describe one line, not the order, and are dropped.
var shopifyFields = []struct {
	field   string
	headers []string
}{
	{"name", []string{"Name"}},
	{"email", []string{"Email"}},
	{"financial", []string{"Financial Status"}},
	{"fulfillment", []string{"Fulfillment Status"}},
	{"paid_at", []string{"Paid at"}},
	{"created", []string{"Created at"}},
	{"cancelled_at", []string{"Cancelled at"}},
	{"total", []string{"Total"}},
	{"shipping", []string{"Shipping"}},
	{"discount", []string{"Discount Amount"}},
	{"refunded", []string{"Refunded Amount"}},
	{"accepts", []string{"Accepts Marketing", "Accepts Email Marketing"}},
	{"phone", []string{"Phone"}},
	{"qty", []string{"Lineitem quantity"}},
	{"item", []string{"Lineitem name"}},
	{"price", []string{"Lineitem price"}},
	{"sku", []string{"Lineitem sku"}},
	{"item_discount", []string{"Lineitem discount"}},
	{"bill_name", []string{"Billing Name"}},
	{"bill_street", []string{"Billing Street"}},
	{"bill_address1", []string{"Billing Address1", "Billing Address 1"}},
	{"bill_address2", []string{"Billing Address2", "Billing Address 2"}},
	{"bill_city", []string{"Billing City"}},
	{"bill_zip", []string{"Billing Zip"}},
	{"bill_province", []string{"Billing Province"}},
	{"bill_province_name", []string{"Billing Province Name"}},
	{"bill_country", []string{"Billing Country"}},
	{"bill_phone", []string{"Billing Phone"}},
	{"ship_name", []string{"Shipping Name"}},
	{"ship_city", []string{"Shipping City"}},
	{"ship_province", []string{"Shipping Province"}},
	{"ship_province_name", []string{"Shipping Province Name"}},
	{"ship_phone", []string{"Shipping Phone"}},
}

var shopifyRequired = []string{"name", "financial", "created", "total"}

// shopifyLineOnly are the line-level columns the reader does not use.
var shopifyLineOnly = []string{"Lineitem compare at price", "Lineitem requires shipping", "Lineitem taxable",
	"Lineitem fulfillment status", "Vendor"}

const shopifyStatusExpected = "one of paid, pending, authorized, partially_paid, partially_refunded, refunded, voided, expired"

type shopifyReader struct {
	columns
	opt  Options
	rows grouper
}

// newShopify reads a Shopify orders export. It fails with a *RowError on row
// 1 when the header lacks Name, Financial Status, Created at or Total.
func newShopify(name string, r io.Reader, opt Options) (Reader, error) {
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	f, err := openCSV(name, r)
	if err != nil {
		return nil, err
	}
	s := &shopifyReader{columns: newColumns(f), opt: opt}
	s.rows = grouper{
		f:    f,
		same: func(a, b []string) bool { return s.get(a, "name") == s.get(b, "name") },
		skip: blankRow,
		first: func(r *Record, rec []string, row int) *RowError {
			if err := s.order(r, rec, row); err != nil {
				return err
			}
			return s.addLine(r, rec, row)
		},
		line:     s.addLine,
		newOrder: func(r *Record, row int) { r.File, r.Row, r.Platform, r.Channel = f.name, row, "shopify", "shopify" },
		reuse:    opt.ReuseRecords,
	}
	for _, fd := range shopifyFields {
		if i := f.col(fd.headers...); i >= 0 {
			s.cols[fd.field] = i
			// Cancelled at decides the status and is kept as an attribute
			// too: no Record field holds when the order was cancelled.
			s.used[i] = fd.field != "cancelled_at"
		}
	}
	for _, h := range shopifyLineOnly {
		if i := f.col(h); i >= 0 {
			s.used[i] = true
		}
	}
	for _, req := range shopifyRequired {
		if _, ok := s.cols[req]; !ok {
			return nil, &RowError{File: name, Row: 1, Expected: fmt.Sprintf("a Shopify orders export with a %q column in the header (found %s)",
				shopifyHeader(req), strings.Join(f.header, ", "))}
		}
	}
	return s, nil
}

func shopifyHeader(field string) string {
	for _, fd := range shopifyFields {
		if fd.field == field {
			return fd.headers[0]
		}
	}
	return field
}

// Next groups consecutive rows with one Name into one Record: the export
// writes a row per line item, the order's own columns on the first only.
func (s *shopifyReader) Next() (*Record, error) { return s.rows.next() }

// order reads the order-level columns of an order's first row.
func (s *shopifyReader) order(r *Record, rec []string, row int) *RowError {
	r.OrderID = s.get(rec, "name")
	if r.OrderID == "" {
		return s.bad(row, rec, "name", "an order name such as #1001")
	}
	const timeExpected = "a date-time such as 2025-03-05 23:37:00 -0500"
	var err error
	if r.PlacedAt, err = ParseTime(s.get(rec, "created"), s.opt.Location); err != nil {
		return s.bad(row, rec, "created", timeExpected)
	}
	if v := s.get(rec, "paid_at"); v != "" {
		if r.PaidAt, err = ParseTime(v, s.opt.Location); err != nil {
			return s.bad(row, rec, "paid_at", timeExpected+", or nothing for an unpaid order")
		}
	}
	cancelled := s.get(rec, "cancelled_at")
	if cancelled != "" {
		if _, err := ParseTime(cancelled, s.opt.Location); err != nil {
			return s.bad(row, rec, "cancelled_at", timeExpected+", or nothing")
		}
	}
	var rerr *RowError
	if r.Amount, rerr = s.money(rec, row, "total", true); rerr != nil {
		return rerr
	}
	if r.ShippingFee, rerr = s.money(rec, row, "shipping", false); rerr != nil {
		return rerr
	}
	if r.Discount, rerr = s.money(rec, row, "discount", false); rerr != nil {
		return rerr
	}
	if r.Refunded, rerr = s.money(rec, row, "refunded", false); rerr != nil {
		return rerr
	}
	if r.Status, rerr = s.status(rec, row, cancelled != ""); rerr != nil {
		return rerr
	}

	r.Customer = Customer{KeyKind: KeyCustomerID, Email: s.get(rec, "email")}
	if r.Customer.AcceptsMarketing, rerr = s.acceptsMarketing(rec, row); rerr != nil {
		return rerr
	}
	bill, ship := s.address(rec, "Billing"), s.address(rec, "Shipping")
	cust, to := bill, ship
	if cust.empty() {
		cust = ship
	}
	if to.empty() {
		to = bill
	}
	r.Province, r.City = to.province, to.city
	r.Customer.Name = cmp.Or(bill.name, ship.name)
	r.Customer.Phone = cmp.Or(s.get(rec, "phone"), bill.phone, ship.phone)
	r.Customer.Province, r.Customer.City, r.Customer.Address = cust.province, cust.city, cust.String()

	for i, used := range s.used {
		if !used && i < len(rec) {
			addAttr(r, s.f.header[i], CleanCell(rec[i]))
		}
	}
	return nil
}

func (s *shopifyReader) money(rec []string, row int, field string, required bool) (guanxi.Money, *RowError) {
	v := s.get(rec, field)
	if v == "" {
		if required {
			return 0, s.bad(row, rec, field, "an amount such as 56.29")
		}
		return 0, nil
	}
	m, err := guanxi.ParseMoney(v)
	if err != nil || m < 0 {
		return 0, s.bad(row, rec, field, "a non-negative amount such as 56.29")
	}
	return m, nil
}

// status maps Financial Status, refined by Fulfillment Status for paid
// orders (fulfilled → completed, partial → shipped); a voided or expired
// payment, or a Cancelled at date, makes the order cancelled. A partially
// paid order counts as paid: the buyer committed to it and paid a part.
func (s *shopifyReader) status(rec []string, row int, cancelled bool) (Status, *RowError) {
	var st Status
	switch shopifyWord(s.get(rec, "financial")) {
	case "paid", "partially_paid":
		st = StatusPaid
		switch shopifyWord(s.get(rec, "fulfillment")) {
		case "fulfilled":
			st = StatusCompleted
		case "partial", "partially_fulfilled":
			st = StatusShipped
		}
	case "pending", "authorized":
		st = StatusPending
	case "refunded":
		st = StatusRefunded
	case "partially_refunded":
		st = StatusPartiallyRefunded
	case "voided", "expired":
		st = StatusCancelled
	default:
		return "", s.bad(row, rec, "financial", shopifyStatusExpected)
	}
	if cancelled {
		st = StatusCancelled
	}
	return st, nil
}

// shopifyWord lower-cases a status and joins its words with underscores:
// "Partially Refunded" → partially_refunded.
func shopifyWord(v string) string {
	return strings.Join(strings.Fields(strings.ToLower(v)), "_")
}

func (s *shopifyReader) acceptsMarketing(rec []string, row int) (*bool, *RowError) {
	var b bool
	switch strings.ToLower(s.get(rec, "accepts")) {
	case "":
		return nil, nil
	case "yes", "true", "y", "1":
		b = true
	case "no", "false", "n", "0":
		b = false
	default:
		return nil, s.bad(row, rec, "accepts", "yes or no")
	}
	return &b, nil
}

// addLine reads one row's line item into r. A row with no line-item cells
// (no name, sku, quantity or price) adds no line. A line's amount is
// quantity × Lineitem price, rounded once, less its Lineitem discount; the
// order's amount stays Total, which also holds shipping and taxes.
func (s *shopifyReader) addLine(r *Record, rec []string, row int) *RowError {
	l := Line{Name: s.get(rec, "item"), SKU: s.get(rec, "sku"), Quantity: 1}
	qty, price := s.get(rec, "qty"), s.get(rec, "price")
	if l.Name == "" && l.SKU == "" && qty == "" && price == "" {
		return nil
	}
	if qty != "" {
		q, err := strconv.ParseInt(qty, 10, 64)
		if err != nil || q < 0 || q > 1e9 {
			return s.bad(row, rec, "qty", "a whole number of items")
		}
		l.Quantity = q
	}
	var micro int64
	if price != "" {
		var err error
		micro, err = parseMicro(price)
		if err != nil || micro < 0 {
			return s.bad(row, rec, "price", "a price such as 16.00")
		}
	}
	if micro != 0 && l.Quantity > (1<<62)/micro {
		return s.bad(row, rec, "qty", "a quantity whose total fits an amount")
	}
	l.UnitPrice = microToMoney(micro)
	discount, rerr := s.money(rec, row, "item_discount", false)
	if rerr != nil {
		return rerr
	}
	l.Amount = microToMoney(micro*l.Quantity) - discount
	r.Lines = append(r.Lines, l)
	return nil
}

// shopifyAddress is a billing or shipping address of the export.
type shopifyAddress struct {
	name, street, city, zip, province, country, phone string
}

// address reads the address whose columns start with prefix ("Billing",
// "Shipping"). The province is the full name (Province Name: Ontario) when
// the export has it, else the code (ON).
func (s *shopifyReader) address(rec []string, prefix string) shopifyAddress {
	col := func(suffix string) string { return cell(rec, s.f.col(prefix+" "+suffix)) }
	a := shopifyAddress{name: col("Name"), city: col("City"), zip: col("Zip"), country: col("Country"), phone: col("Phone")}
	a.street = col("Street")
	if a.street == "" {
		a.street = strings.TrimSpace(cmp.Or(col("Address1"), col("Address 1")) + " " + cmp.Or(col("Address2"), col("Address 2")))
	}
	a.province = cmp.Or(col("Province Name"), col("Province"))
	return a
}

func (a shopifyAddress) empty() bool {
	return a.street == "" && a.city == "" && a.zip == "" && a.province == "" && a.country == ""
}

// String is the postal address on one line: "1 Main St, Ottawa, K1A 0B1, Ontario, CA".
func (a shopifyAddress) String() string {
	var parts []string
	for _, p := range []string{a.street, a.city, a.zip, a.province, a.country} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}
