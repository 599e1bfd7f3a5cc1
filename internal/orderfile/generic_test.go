package orderfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// cst is the shop zone the tests read files in (China Standard Time).
var cst = time.FixedZone("CST", 8*3600)

// result is one Next call: a record or a row error.
type result struct {
	rec *Record
	err *RowError
}

// readAll reads every order of r, failing the test on an error that is not
// a *RowError.
func readAll(t *testing.T, r Reader) []result {
	t.Helper()
	var out []result
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			re, ok := AsRowError(err)
			if !ok {
				t.Fatalf("Next: %v", err)
			}
			out = append(out, result{err: re})
			continue
		}
		out = append(out, result{rec: rec})
	}
}

// openFile opens testdata/name in format, read in the cst zone.
func openFile(t *testing.T, format, name string, opt Options) Reader {
	t.Helper()
	path := filepath.Join("testdata", name)
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fh.Close() })
	if opt.Location == nil {
		opt.Location = cst
	}
	r, err := Open(format, path, fh, opt)
	if err != nil {
		t.Fatalf("Open(%s, %s): %v", format, path, err)
	}
	return r
}

func openString(t *testing.T, format, csv string, opt Options) (Reader, error) {
	t.Helper()
	if opt.Location == nil {
		opt.Location = cst
	}
	return Open(format, "in.csv", strings.NewReader(csv), opt)
}

// records reads all of r and fails on any row error.
func records(t *testing.T, r Reader) []*Record {
	t.Helper()
	var recs []*Record
	for _, res := range readAll(t, r) {
		if res.err != nil {
			t.Fatalf("unexpected row error: %v", res.err)
		}
		recs = append(recs, res.rec)
	}
	return recs
}

// checkRecord compares got with want field by field: times by Equal, so the
// zone they carry does not matter, everything else exactly.
func checkRecord(t *testing.T, got, want *Record) {
	t.Helper()
	if !got.PlacedAt.Equal(want.PlacedAt) {
		t.Errorf("%s: PlacedAt = %v, want %v", want.OrderID, got.PlacedAt, want.PlacedAt)
	}
	if !got.PaidAt.Equal(want.PaidAt) {
		t.Errorf("%s: PaidAt = %v, want %v", want.OrderID, got.PaidAt, want.PaidAt)
	}
	g, w := *got, *want
	g.PlacedAt, g.PaidAt, w.PlacedAt, w.PaidAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(g.Customer, w.Customer) {
		t.Errorf("%s: Customer =\n%#v\nwant\n%#v", want.OrderID, g.Customer, w.Customer)
	}
	if !reflect.DeepEqual(g.Lines, w.Lines) {
		t.Errorf("%s: Lines =\n%+v\nwant\n%+v", want.OrderID, g.Lines, w.Lines)
	}
	if !reflect.DeepEqual(g.Attrs, w.Attrs) {
		t.Errorf("%s: Attrs =\n%v\nwant\n%v", want.OrderID, g.Attrs, w.Attrs)
	}
	g.Customer, w.Customer, g.Lines, w.Lines, g.Attrs, w.Attrs = Customer{}, Customer{}, nil, nil, nil, nil
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s: record =\n%+v\nwant\n%+v", want.OrderID, g, w)
	}
}

// checkRowError compares a row error's location and message parts.
// outcome is what a reader must give for one order of a file: the good
// order with id, or the row error err (its File is filled in).
type outcome struct {
	id  string
	err RowError
}

// checkOutcomes compares what a reader gave for the file at path with the
// outcomes wanted, in order.
func checkOutcomes(t *testing.T, path string, res []result, wants []outcome) {
	t.Helper()
	if len(res) != len(wants) {
		t.Fatalf("got %d results, want %d: %+v", len(res), len(wants), res)
	}
	for i, w := range wants {
		if w.id != "" {
			if res[i].rec == nil || res[i].rec.OrderID != w.id {
				t.Errorf("result %d = %+v, want order %s", i, res[i], w.id)
			}
			continue
		}
		w.err.File = path
		checkRowError(t, res[i].err, w.err)
	}
}

func checkRowError(t *testing.T, got *RowError, want RowError) {
	t.Helper()
	if got == nil {
		t.Fatalf("got a record, want a row error at row %d", want.Row)
	}
	if got.File != want.File || got.Row != want.Row || got.Column != want.Column || got.Value != want.Value {
		t.Errorf("row error = %s:%d %q %q, want %s:%d %q %q", got.File, got.Row, got.Column, got.Value, want.File, want.Row, want.Column, want.Value)
	}
	if !strings.Contains(got.Expected, want.Expected) {
		t.Errorf("row %d: Expected = %q, want it to contain %q", want.Row, got.Expected, want.Expected)
	}
	if want.Rows != nil && !reflect.DeepEqual(got.Rows, want.Rows) {
		t.Errorf("row %d: Rows = %q, want %q", want.Row, got.Rows, want.Rows)
	}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, cst) }

func TestGenericLines(t *testing.T) {
	// BOM, CRLF line endings, rows of one order grouped into lines.
	path := filepath.Join("testdata", "generic_lines.csv")
	recs := records(t, openFile(t, "generic", "generic_lines.csv", Options{}))
	placed2 := time.Date(2025, 1, 3, 20, 15, 0, 0, cst)
	want := []*Record{
		{
			File: path, Row: 2, Platform: "generic", OrderID: "G-1", Status: StatusCompleted,
			PlacedAt: day(2025, 1, 2), PaidAt: day(2025, 1, 2),
			// 2 × 12.50 + 3 × 0.165 (0.495, rounded once on the line total: 0.50, not 3 × 0.17).
			Amount: 2550, Channel: "web", Province: "浙江省", City: "杭州市",
			Customer: Customer{Key: "C1", KeyKind: KeyCustomerID, Name: "Ann", Phone: "13800000000", Email: "ann@example.com", Province: "浙江省", City: "杭州市"},
			Lines: []Line{
				{SKU: "S1", Name: "Tea", Quantity: 2, UnitPrice: 1250, Amount: 2500},
				{SKU: "S2", Name: "Cup", Quantity: 3, UnitPrice: 17, Amount: 50},
			},
			Attrs: map[string]string{"coupon": "NEW10"},
		},
		{
			File: path, Row: 4, Platform: "generic", OrderID: "G-2", Status: StatusPaid,
			PlacedAt: placed2, PaidAt: placed2, Amount: 1250,
			Customer: Customer{KeyKind: KeyCustomerID},
			Lines:    []Line{{SKU: "S1", Name: "Tea", Quantity: 1, UnitPrice: 1250, Amount: 1250}},
		},
		{
			// A negative amount is a return.
			File: path, Row: 5, Platform: "generic", OrderID: "G-3", Status: StatusRefunded,
			PlacedAt: day(2025, 1, 4), PaidAt: day(2025, 1, 4), Amount: -1250,
			Customer: Customer{Key: "C2", KeyKind: KeyCustomerID},
			Lines:    []Line{{SKU: "S1", Name: "Tea", Quantity: -1, UnitPrice: 1250, Amount: -1250}},
		},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d", len(recs), len(want))
	}
	for i := range want {
		checkRecord(t, recs[i], want[i])
	}
}

func TestGenericAmountColumn(t *testing.T) {
	in := "order_id,order_date,customer_id,amount,status,refunded_amount,platform,Note\n" +
		"A1,2025-02-01 10:00:00,c1,128.00,partially_refunded,28.00,Taobao,gift wrap\n" +
		"A2,2025-02-01,c2,-30.00,completed,,,\n" +
		"A3,2025-02-02,,¥88,PENDING,,,\n"
	r, err := openString(t, "generic", in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs := records(t, r)
	want := []*Record{
		{
			File: "in.csv", Row: 2, Platform: "taobao", OrderID: "A1", Status: StatusPartiallyRefunded,
			PlacedAt: time.Date(2025, 2, 1, 10, 0, 0, 0, cst), PaidAt: time.Date(2025, 2, 1, 10, 0, 0, 0, cst),
			Amount: 12800, Refunded: 2800,
			Customer: Customer{Key: "c1", KeyKind: KeyCustomerID},
			Attrs:    map[string]string{"Note": "gift wrap"},
		},
		{
			File: "in.csv", Row: 3, Platform: "generic", OrderID: "A2", Status: StatusRefunded,
			PlacedAt: day(2025, 2, 1), PaidAt: day(2025, 2, 1), Amount: -3000,
			Customer: Customer{Key: "c2", KeyKind: KeyCustomerID},
		},
		{
			File: "in.csv", Row: 4, Platform: "generic", OrderID: "A3", Status: StatusPending,
			PlacedAt: day(2025, 2, 2), Amount: 8800,
			Customer: Customer{KeyKind: KeyCustomerID},
		},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d", len(recs), len(want))
	}
	for i := range want {
		checkRecord(t, recs[i], want[i])
	}
}

func TestGenericRowErrors(t *testing.T) {
	in := "order_id,order_date,customer_id,amount,status\r\n" +
		"A,2025-01-01,c,10.00,paid\r\n" + // 2 ok
		"B,2025-01-01,c,10.00,lost\r\n" + // 3 bad status
		"C,01/02/2025,c,10.00,paid\r\n" + // 4 bad date
		"D,2025-01-01,c,ten,paid\r\n" + // 5 bad amount…
		"D,2025-01-01,c,5.00,paid\r\n" + // 6 …in an order of two rows
		",2025-01-01,c,5.00,paid\r\n" + // 7 no order id
		"E,2025-01-01,c,10.00,\r\n" // 8 ok
	r, err := openString(t, "generic", in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := readAll(t, r)
	if len(res) != 6 {
		t.Fatalf("got %d results, want 6", len(res))
	}
	if res[0].rec == nil || res[0].rec.OrderID != "A" || res[5].rec == nil || res[5].rec.OrderID != "E" || res[5].rec.Row != 8 {
		t.Fatalf("the good orders around the bad ones: got %+v and %+v", res[0], res[5])
	}
	checkRowError(t, res[1].err, RowError{File: "in.csv", Row: 3, Column: "status", Value: "lost", Expected: "one of pending, paid",
		Rows: [][]string{{"B", "2025-01-01", "c", "10.00", "lost"}}})
	checkRowError(t, res[2].err, RowError{File: "in.csv", Row: 4, Column: "order_date", Value: "01/02/2025", Expected: "ISO 8601"})
	checkRowError(t, res[3].err, RowError{File: "in.csv", Row: 5, Column: "amount", Value: "ten", Expected: "an amount",
		Rows: [][]string{{"D", "2025-01-01", "c", "ten", "paid"}, {"D", "2025-01-01", "c", "5.00", "paid"}}})
	checkRowError(t, res[4].err, RowError{File: "in.csv", Row: 7, Column: "order_id", Value: "", Expected: "an order id"})
	if msg := res[1].err.Error(); msg != `in.csv: row 3, column "status": got "lost", expected one of pending, paid, shipped, completed, cancelled, refunded, partially_refunded` {
		t.Errorf("Error() = %s", msg)
	}
}

func TestGenericHeaderErrors(t *testing.T) {
	tests := []struct {
		name, in string
		opt      Options
		want     string
	}{
		{"empty file", "", Options{}, "a header row"},
		{"no order_id", "order_date,customer_id,amount\n", Options{}, "the column order_id in the header"},
		{"no amount", "order_id,order_date,customer_id,quantity\n", Options{}, "an amount column"},
		{"mapped header missing", "order_id,order_date,customer_id,amount\n", Options{Map: map[string]string{"amount": "Total"}}, `a column "Total"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openString(t, "generic", tt.in, tt.opt)
			re, ok := AsRowError(err)
			if !ok {
				t.Fatalf("err = %v, want a *RowError", err)
			}
			if re.Row != 1 || !strings.Contains(re.Expected, tt.want) {
				t.Errorf("err = %v, want row 1 expecting %q", re, tt.want)
			}
		})
	}
}

func TestGenericMap(t *testing.T) {
	// An export with its own headers, in the shape of the UCI Online Retail data set.
	m, err := ParseMap("order_id=InvoiceNo, order_date=InvoiceDate,customer_id=CustomerID,sku=StockCode,product_name=Description,quantity=Quantity,unit_price=UnitPrice")
	if err != nil {
		t.Fatal(err)
	}
	in := "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n" +
		"536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26,2.55,17850,United Kingdom\n" +
		"536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26,3.39,17850,United Kingdom\n"
	r, err := openString(t, "generic", in, Options{Map: m, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	recs := records(t, r)
	placed := time.Date(2010, 12, 1, 8, 26, 0, 0, time.UTC)
	want := &Record{
		File: "in.csv", Row: 2, Platform: "generic", OrderID: "536365", Status: StatusPaid,
		PlacedAt: placed, PaidAt: placed, Amount: 1530 + 2034,
		Customer: Customer{Key: "17850", KeyKind: KeyCustomerID},
		Lines: []Line{
			{SKU: "85123A", Name: "WHITE HANGING HEART T-LIGHT HOLDER", Quantity: 6, UnitPrice: 255, Amount: 1530},
			{SKU: "71053", Name: "WHITE METAL LANTERN", Quantity: 6, UnitPrice: 339, Amount: 2034},
		},
		Attrs: map[string]string{"Country": "United Kingdom"},
	}
	if len(recs) != 1 {
		t.Fatalf("got %d records, want 1", len(recs))
	}
	checkRecord(t, recs[0], want)
}

func TestParseMap(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]string
		wantErr bool
	}{
		{"", map[string]string{}, false},
		{"order_id=Invoice", map[string]string{"order_id": "Invoice"}, false},
		{" amount = Total , email=E-mail ", map[string]string{"amount": "Total", "email": "E-mail"}, false},
		{"order_id", nil, true},
		{"order_id=", nil, true},
		{"bogus=X", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseMap(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("ParseMap(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestGenericMalformedCSV(t *testing.T) {
	// A broken quote is reported on its own row and reading goes on.
	in := "order_id,order_date,customer_id,amount\n" +
		"A,2025-01-01,c,1.00\n" +
		"B,2025-01-01,\"c\"x\",1.00\n" +
		"C,2025-01-01,c,1.00\n"
	r, err := openString(t, "generic", in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, res := range readAll(t, r) {
		if res.err != nil {
			ids = append(ids, "error")
			continue
		}
		ids = append(ids, res.rec.OrderID)
	}
	// LazyQuotes accepts the stray quote: B reads as an order.
	if strings.Join(ids, ",") != "A,B,C" {
		t.Errorf("orders = %v", ids)
	}
}

func TestOpenUnknownFormat(t *testing.T) {
	_, err := Open("ebay", "x.csv", strings.NewReader(""), Options{})
	if err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("err = %v, want an error naming the formats", err)
	}
}
