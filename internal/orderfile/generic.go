package orderfile

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
)

// Options tune a Reader.
type Options struct {
	// Location is the shop's time zone, for times written without one.
	Location *time.Location
	// Map renames columns: contract column → the file's header, so an export
	// with its own headers can be read without editing it (generic format).
	Map map[string]string
	// ReuseRecords lets Next return the storage of a Record it returned
	// before: a Record is then valid only until the next call to Next. For
	// callers that take what they need from each Record at once, it spares
	// an allocation per order.
	ReuseRecords bool
}

// ParseMap reads a --map flag value: "order_id=InvoiceNo,amount=Total".
func ParseMap(s string) (map[string]string, error) {
	m := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("--map: %q is not column=header", kv)
		}
		if !isGenericColumn(k) {
			return nil, fmt.Errorf("--map: %q is not a column of the generic format (one of %s)", k, strings.Join(genericColumns, ", "))
		}
		m[k] = v
	}
	return m, nil
}

// genericColumns are the columns of the DESIGN.md contract, plus platform,
// which lets an order exported from another platform import back under the
// same key.
var genericColumns = []string{"order_id", "order_date", "customer_id", "amount", "status", "refunded_amount",
	"channel", "province", "city", "category", "sku", "product_name", "quantity", "unit_price",
	"customer_name", "phone", "email", "platform"}

// Indexes of genericColumns, for reading a row's cells without a map lookup.
const (
	gOrderID = iota
	gOrderDate
	gCustomerID
	gAmount
	gStatus
	gRefunded
	gChannel
	gProvince
	gCity
	gCategory
	gSKU
	gProductName
	gQuantity
	gUnitPrice
	gCustomerName
	gPhone
	gEmail
	gPlatform
	nGeneric
)

func isGenericColumn(c string) bool {
	for _, g := range genericColumns {
		if g == c {
			return true
		}
	}
	return false
}

// Open returns a Reader for format ("generic", "taobao" or "shopify") over r;
// name is the file name used in errors.
func Open(format, name string, r io.Reader, opt Options) (Reader, error) {
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	switch format {
	case "generic", "":
		return newGeneric(name, r, opt)
	case "taobao":
		return newTaobao(name, r, opt)
	case "shopify":
		return newShopify(name, r, opt)
	}
	return nil, guanxi.Errorf(guanxi.EINVALID, "unknown format %q (generic, taobao or shopify)", format)
}

type genericReader struct {
	columns
	opt       Options
	rows      grouper
	at        [nGeneric]int // file column of each of genericColumns, -1 when absent
	lineCols  bool          // the file has line columns: every row is a Line
	hasAmount bool
}

// val is the cleaned cell of generic column c (one of the g… constants).
func (g *genericReader) val(rec []string, c int) string { return cell(rec, g.at[c]) }

func newGeneric(name string, r io.Reader, opt Options) (*genericReader, error) {
	f, err := openCSV(name, r)
	if err != nil {
		return nil, err
	}
	return genericOver(f, opt)
}

// genericOver reads the generic format from an opened CSV file.
func genericOver(f *csvFile, opt Options) (*genericReader, error) {
	name := f.name
	g := &genericReader{columns: newColumns(f), opt: opt}
	g.rows = grouper{
		f: f,
		same: func(a, b []string) bool {
			return g.val(a, gOrderID) == g.val(b, gOrderID) && g.platform(a) == g.platform(b)
		},
		first: func(r *Record, rec []string, row int) *RowError {
			if err := g.header(r, rec, row); err != nil {
				return err
			}
			return g.addLine(r, rec, row)
		},
		line:     g.addLine,
		finish:   g.finish,
		newOrder: func(r *Record, row int) { r.File, r.Row = f.name, row },
		reuse:    opt.ReuseRecords,
	}
	for j, c := range genericColumns {
		g.at[j] = -1
		h := c
		if m, ok := opt.Map[c]; ok {
			h = m
		}
		i := f.col(h)
		if i < 0 {
			if _, mapped := opt.Map[c]; mapped {
				return nil, &RowError{File: name, Row: 1, Column: h, Expected: fmt.Sprintf("a column %q (mapped to %s) in the header", h, c)}
			}
			continue
		}
		g.cols[c] = i
		g.at[j] = i
		g.used[i] = true
	}
	for _, req := range []string{"order_id", "order_date", "customer_id"} {
		if _, ok := g.cols[req]; !ok {
			return nil, &RowError{File: name, Row: 1, Expected: fmt.Sprintf("the column %s in the header (found %s)", req, strings.Join(f.header, ", "))}
		}
	}
	_, hasAmount := g.cols["amount"]
	g.hasAmount = hasAmount
	g.lineCols = g.hasLineColumns()
	_, hasQty := g.cols["quantity"]
	_, hasPrice := g.cols["unit_price"]
	if !hasAmount && !(hasQty && hasPrice) {
		return nil, &RowError{File: name, Row: 1, Expected: "an amount column, or quantity and unit_price columns, in the header"}
	}
	return g, nil
}

// Next groups consecutive rows of one order (same order_id and platform)
// into one Record.
func (g *genericReader) Next() (*Record, error) { return g.rows.next() }

// platform is the row's platform column, lower-cased, or "generic".
func (g *genericReader) platform(rec []string) string {
	if p := g.val(rec, gPlatform); p != "" {
		return strings.ToLower(p)
	}
	return "generic"
}

// header reads the order-level columns from the order's first row.
func (g *genericReader) header(r *Record, rec []string, row int) *RowError {
	r.OrderID = g.val(rec, gOrderID)
	if r.OrderID == "" {
		return g.bad(row, rec, "order_id", "an order id")
	}
	r.Platform = g.platform(rec)
	t, err := ParseTime(g.val(rec, gOrderDate), g.opt.Location)
	if err != nil {
		return g.bad(row, rec, "order_date", "an ISO 8601 date or date-time such as 2025-11-11 or 2025-11-11T20:15:00+08:00")
	}
	r.PlacedAt = t
	r.Status = StatusPaid
	if s := g.val(rec, gStatus); s != "" {
		r.Status = Status(strings.ToLower(s))
		if !r.Status.Valid() {
			return g.bad(row, rec, "status", "one of pending, paid, shipped, completed, cancelled, refunded, partially_refunded")
		}
	}
	if s := g.val(rec, gRefunded); s != "" {
		m, err := guanxi.ParseMoney(s)
		if err != nil || m < 0 {
			return g.bad(row, rec, "refunded_amount", "a non-negative amount such as 12.50")
		}
		r.Refunded = m
	}
	r.Channel = strings.ToLower(g.val(rec, gChannel))
	r.Province = g.val(rec, gProvince)
	r.City = g.val(rec, gCity)
	r.Customer = Customer{
		Key: g.val(rec, gCustomerID), KeyKind: KeyCustomerID,
		Name: g.val(rec, gCustomerName), Phone: g.val(rec, gPhone), Email: g.val(rec, gEmail),
		Province: r.Province, City: r.City,
	}
	for i, used := range g.used {
		if !used && i < len(rec) {
			if v := CleanCell(rec[i]); v != "" {
				if r.Attrs == nil {
					r.Attrs = map[string]string{}
				}
				r.Attrs[strings.TrimSpace(g.f.header[i])] = v
			}
		}
	}
	return nil
}

// addLine reads one row's line columns into r.
func (g *genericReader) addLine(r *Record, rec []string, row int) *RowError {
	var l Line
	l.SKU, l.Name, l.Category = g.val(rec, gSKU), g.val(rec, gProductName), g.val(rec, gCategory)
	l.Quantity = 1
	if s := g.val(rec, gQuantity); s != "" {
		q, err := strconv.ParseInt(s, 10, 64)
		if err != nil || q > 1e9 || q < -1e9 {
			return g.bad(row, rec, "quantity", "a whole number")
		}
		l.Quantity = q
	}
	priceStr := g.val(rec, gUnitPrice)
	var micro int64
	if priceStr != "" {
		var err error
		micro, err = parseMicro(priceStr)
		if err != nil {
			return g.bad(row, rec, "unit_price", "a price such as 12.50")
		}
		l.UnitPrice = microToMoney(micro)
	}
	if s := g.val(rec, gAmount); s != "" {
		m, err := guanxi.ParseMoney(s)
		if err != nil {
			return g.bad(row, rec, "amount", "an amount such as 128.00")
		}
		l.Amount = m
	} else if g.hasAmount && priceStr == "" {
		return g.bad(row, rec, "amount", "an amount such as 128.00")
	} else {
		if priceStr == "" {
			return g.bad(row, rec, "unit_price", "a price such as 12.50 (the row has no amount)")
		}
		if micro != 0 && (l.Quantity > (1<<62)/abs(micro) || l.Quantity < -(1<<62)/abs(micro)) {
			return g.bad(row, rec, "quantity", "a quantity whose total fits an amount")
		}
		l.Amount = microToMoney(micro * l.Quantity)
	}
	if l.SKU != "" || l.Name != "" || g.lineCols {
		r.Lines = append(r.Lines, l)
	}
	r.Amount += l.Amount
	return nil
}

func (g *genericReader) hasLineColumns() bool {
	for _, c := range []string{"sku", "product_name", "quantity", "unit_price"} {
		if _, ok := g.cols[c]; ok {
			return true
		}
	}
	return false
}

// finish applies the contract's order-level rules once all lines are in.
func (g *genericReader) finish(r *Record) {
	if r.Amount < 0 {
		// A negative amount is a return, never a purchase.
		r.Status = StatusRefunded
	}
	if r.Status.IsPurchase() || r.Status == StatusRefunded {
		r.PaidAt = r.PlacedAt
	}
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// parseMicro reads a price to millionths, so that quantity × a price with
// three or more decimals (0.165) rounds once, on the line total.
func parseMicro(s string) (int64, error) {
	t := strings.TrimSpace(strings.ReplaceAll(s, ",", ""))
	for _, p := range []string{"¥", "￥", "$", "£", "€"} {
		t = strings.TrimPrefix(t, p)
	}
	neg := strings.HasPrefix(t, "-")
	t = strings.TrimPrefix(strings.TrimPrefix(t, "-"), "+")
	ip, fp, _ := strings.Cut(t, ".")
	if ip == "" {
		ip = "0"
	}
	if len(fp) > 6 {
		fp = fp[:6]
	}
	if len(ip) > 12 || !allDigits(ip) || !allDigits(fp) || (t == "" || t == ".") {
		return 0, fmt.Errorf("bad price %q", s)
	}
	v, _ := strconv.ParseInt(ip, 10, 64)
	f := int64(0)
	if fp != "" {
		f, _ = strconv.ParseInt((fp + "000000")[:6], 10, 64)
	}
	v = v*1_000_000 + f
	if neg {
		v = -v
	}
	return v, nil
}

// microToMoney rounds millionths to minor units, half away from zero.
func microToMoney(v int64) guanxi.Money {
	if v >= 0 {
		return guanxi.Money((v + 5_000) / 10_000)
	}
	return -guanxi.Money((-v + 5_000) / 10_000)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
