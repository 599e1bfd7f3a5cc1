package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/export"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

var clock = guanxi.FixedClock(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))

// load creates shop s1 in db and imports the fixture files into it.
func load(t *testing.T, db *store.DB, files ...string) *shop.Shop {
	t.Helper()
	ctx := context.Background()
	sh := &shop.Shop{Code: "s1", Name: "测试店"}
	if err := shop.NewService(db, clock).Create(ctx, sh); err != nil {
		t.Fatal(err)
	}
	svc := importer.NewService(db, clock, slog.New(slog.DiscardHandler))
	for _, f := range files {
		if _, err := svc.ImportFile(ctx, sh, f, importer.Options{Format: "generic"}); err != nil {
			t.Fatalf("import %s: %v", f, err)
		}
	}
	return sh
}

// fresh opens an empty database on the same engine as db.
func fresh(t *testing.T, db *store.DB) *store.DB {
	t.Helper()
	if db.Dialect == store.Postgres {
		return storetest.Postgres(t)
	}
	return storetest.SQLite(t)
}

func exportCSV(t *testing.T, db *store.DB, sh *shop.Shop, what string) [][]string {
	t.Helper()
	path := filepath.Join(t.TempDir(), what+".csv")
	n, err := export.ToFile(context.Background(), db, sh, what, path, false)
	if err != nil {
		t.Fatalf("export %s: %v", what, err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read back %s: %v", path, err)
	}
	if n != len(recs)-1 {
		t.Errorf("export %s reported %d rows, file has %d", what, n, len(recs)-1)
	}
	return recs
}

// byFirst indexes rows (after the header) by their first cell, each row
// as a map from header to cell.
func byFirst(t *testing.T, recs [][]string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		if _, dup := out[r[0]]; dup {
			t.Fatalf("two rows for %s", r[0])
		}
		out[r[0]] = m
	}
	return out
}

func TestExportOrders(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh := load(t, db, "testdata/orders.csv")
		recs := exportCSV(t, db, sh, "orders")
		want := []string{"order_id", "order_date", "customer_id", "amount", "status", "refunded_amount", "channel",
			"province", "city", "customer_name", "phone", "email", "platform"}
		if !slices.Equal(recs[0], want) {
			t.Fatalf("header %v, want %v", recs[0], want)
		}
		rows := byFirst(t, recs)
		if len(rows) != 9 {
			t.Fatalf("%d orders exported, want 9", len(rows))
		}
		for _, c := range []struct{ order, col, want string }{
			{"A1", "order_date", "2025-01-05T00:00:00+08:00"},
			{"A2", "order_date", "2025-01-05T20:00:00+08:00"},
			{"A2", "amount", "50.50"},
			{"A4", "customer_id", "C1"}, // C3 was merged into C1 (same phone)
			{"A7", "customer_id", "C1"}, // C5 too (same email)
			{"A8", "customer_id", "C2"}, // C6 into C2
			{"A4", "status", "partially_refunded"},
			{"A4", "refunded_amount", "30.00"},
			{"A6", "customer_id", ""}, // a guest
			{"A6", "customer_name", ""},
			{"A7", "amount", "-20.00"}, // a return, still a number
			{"A7", "status", "refunded"},
			{"A7", "refunded_amount", "20.00"},
			{"A1", "email", "wang.fang@example.com"},
			{"A1", "platform", "generic"},
			{"A3", "channel", "tmall"},
		} {
			if got := rows[c.order][c.col]; got != c.want {
				t.Errorf("%s %s = %q, want %q", c.order, c.col, got, c.want)
			}
		}
		// Rows come in time order.
		var dates []string
		for _, r := range recs[1:] {
			dates = append(dates, r[1])
		}
		if !slices.IsSorted(dates) {
			t.Errorf("orders not in time order: %v", dates)
		}
	})
}

func TestExportCustomers(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh := load(t, db, "testdata/orders.csv")
		ctx := context.Background()
		// A customer without a generic identity is written gx-<id>.
		var c4 int64
		if err := db.QueryRow(ctx, `SELECT customer_id FROM orders WHERE shop_id = ? AND external_id = 'A5'`, sh.ID).Scan(&c4); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `DELETE FROM customer_identities WHERE shop_id = ? AND customer_id = ?`, sh.ID, c4); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `UPDATE customers SET tags = '["vip","新客"]', gender = 'f', birthday = '1990-02-03' WHERE shop_id = ? AND id = ?`, sh.ID, c4); err != nil {
			t.Fatal(err)
		}
		// C1 has scores; the others were not scored and get empty cells.
		var c1id int64
		if err := db.QueryRow(ctx, `SELECT customer_id FROM orders WHERE shop_id = ? AND external_id = 'A1'`, sh.ID).Scan(&c1id); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO customer_scores (shop_id, customer_id, as_of, recency_days, frequency, monetary, r, f, m, segment_cn, segment,
lifecycle, tier, churn_risk, churn_reason, churn_reason_en, p_alive, expected_30d, expected_90d, expected_365d, expected_spend, clv_12m, computed_at)
VALUES (?, ?, '2025-06-01', 92, 3, 20050, 4, 5, 5, '重要价值客户', 'Champions', 'active', 'key', 'low', '最近一次购买在92天前', 'last bought 92 days ago',
0.91234, NULL, 1.5, NULL, NULL, 321.98761, 1)`, sh.ID, c1id); err != nil {
			t.Fatal(err)
		}
		recs := exportCSV(t, db, sh, "customers")
		want := []string{"customer_id", "name", "gender", "birthday", "phone", "email", "province", "city", "address", "tags",
			"created_at", "first_purchase_at", "last_purchase_at", "purchase_days", "orders_count", "total_spent", "avg_spent", "refunded",
			"score_as_of", "recency_days", "r", "f", "m", "segment_cn", "segment", "lifecycle", "tier", "churn_risk", "churn_reason",
			"p_alive", "expected_90d", "expected_spend", "clv_12m"}
		if !slices.Equal(recs[0], want) {
			t.Fatalf("header %v, want %v", recs[0], want)
		}
		rows := byFirst(t, recs)
		gx := "gx-" + strconv.FormatInt(c4, 10)
		if got := slices.Sorted(maps.Keys(rows)); !slices.Equal(got, []string{"C1", "C2", "C7", gx}) {
			t.Fatalf("customers %v, want C1, C2, C7, %s (merged ones left out)", got, gx)
		}
		// C1: A1 100 + A2 50.50 (same day) + A4 80-30; A7 is a return of 20.
		c1 := rows["C1"]
		for col, v := range map[string]string{
			"name": "王芳", "phone": "13812345678", "province": "浙江省", "city": "杭州市",
			"created_at": "2025-06-01T08:00:00+08:00", "first_purchase_at": "2025-01-05", "last_purchase_at": "2025-03-01",
			"purchase_days": "2", "orders_count": "3", "total_spent": "200.50", "avg_spent": "66.83", "refunded": "50.00",
			"score_as_of": "2025-06-01", "recency_days": "92", "r": "4", "segment_cn": "重要价值客户", "segment": "Champions",
			"lifecycle": "active", "tier": "key", "churn_risk": "low", "churn_reason": "最近一次购买在92天前",
			"p_alive": "0.9123", "expected_90d": "1.5000", "expected_spend": "", "clv_12m": "321.9876",
		} {
			if c1[col] != v {
				t.Errorf("C1 %s = %q, want %q", col, c1[col], v)
			}
		}
		c := rows[gx]
		for col, v := range map[string]string{
			"tags": "vip;新客", "gender": "f", "birthday": "1990-02-03", "phone": "138****5678",
			"first_purchase_at": "", "orders_count": "0", "total_spent": "0.00", "avg_spent": "", "refunded": "0.00",
			"score_as_of": "", "segment": "", "p_alive": "",
		} {
			if c[col] != v {
				t.Errorf("%s %s = %q, want %q", gx, col, c[col], v)
			}
		}
	})
}

func TestFormulaNeutralised(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh := load(t, db, "testdata/formula.csv")
		cust := byFirst(t, exportCSV(t, db, sh, "customers"))
		if got := cust["X1"]["name"]; got != `'=HYPERLINK("http://x")` {
			t.Errorf("name %q is not neutralised", got)
		}
		if got := cust["X2"]["name"]; got != `'@SUM(A1)` {
			t.Errorf("name %q is not neutralised", got)
		}
		if got := cust["'+X3"]["name"]; got != `'-minus` {
			t.Errorf("customer +X3 (%v) name %q is not neutralised", cust["'+X3"], got)
		}
		if got := cust["X2"]["refunded"]; got != "12.50" {
			t.Errorf("X2 refunded %q, want 12.50", got)
		}
		ord := byFirst(t, exportCSV(t, db, sh, "orders"))
		if got := ord["F2"]["amount"]; got != "-12.50" {
			t.Errorf("amount %q: a negative amount must stay a plain number", got)
		}
		if got := ord["F1"]["channel"]; !strings.HasPrefix(got, "'=") {
			t.Errorf("channel %q is not neutralised", got)
		}
		if got := ord["F1"]["customer_name"]; got != `'=HYPERLINK("http://x")` {
			t.Errorf("customer_name %q is not neutralised", got)
		}
		if got := ord["F3"]["order_date"]; got != "2025-05-03T23:30:00+08:00" {
			t.Errorf("order_date %q", got)
		}
	})
}

func TestNeutralise(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "abc": "abc", "-12.50": "-12.50", "+3": "+3", "12": "12", "-": "'-", "-.5": "'-.5", "-1.": "'-1.",
		"=1+1": "'=1+1", "+86 138": "'+86 138", "-1+2": "'-1+2", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"a=b": "a=b", "1e5": "1e5", "-1e5": "'-1e5",
	} {
		if got := export.Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBOM(t *testing.T) {
	db := storetest.SQLite(t)
	sh := load(t, db, "testdata/orders.csv")
	dir := t.TempDir()
	for _, bom := range []bool{false, true} {
		path := filepath.Join(dir, "orders.csv")
		if _, err := export.ToFile(context.Background(), db, sh, "orders", path, bom); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		if got := bytes.HasPrefix(b, []byte("\xEF\xBB\xBForder_id,")); got != bom {
			t.Errorf("bom %v: file starts %q", bom, b[:12])
		}
		if !bom && !bytes.HasPrefix(b, []byte("order_id,")) {
			t.Errorf("file starts %q", b[:12])
		}
		// Either way the importer reads it back.
		other := storetest.SQLite(t)
		osh := load(t, other, path)
		var n int
		if err := other.QueryRow(context.Background(), `SELECT COUNT(*) FROM orders WHERE shop_id = ?`, osh.ID).Scan(&n); err != nil || n != 9 {
			t.Errorf("bom %v: re-imported %d orders (%v), want 9", bom, n, err)
		}
	}
}

func TestXLSX(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh := load(t, db, "testdata/orders.csv", "testdata/formula.csv")
		dir := t.TempDir()
		for _, what := range []string{"customers", "orders"} {
			path := filepath.Join(dir, what+".xlsx")
			n, err := export.ToFile(context.Background(), db, sh, what, path, true)
			if err != nil {
				t.Fatal(err)
			}
			f, err := excelize.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := f.GetRows(what)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows)-1 != n {
				t.Errorf("%s: %d rows in the sheet, export said %d", what, len(rows)-1, n)
			}
			csvRows := exportCSV(t, db, sh, what)
			if len(csvRows) != len(rows) || !slices.Equal(rows[0], csvRows[0]) {
				t.Fatalf("%s: xlsx header %v (%d rows), csv %v (%d rows)", what, rows[0], len(rows), csvRows[0], len(csvRows))
			}
		}
		f, err := excelize.OpenFile(filepath.Join(dir, "customers.xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, _ := f.GetRows("customers")
		find := func(id string) int {
			for i, r := range rows {
				if r[0] == id {
					return i + 1
				}
			}
			t.Fatalf("customer %s not in the sheet", id)
			return 0
		}
		cellAt := func(col, row int) string {
			name, _ := excelize.CoordinatesToCellName(col, row)
			return name
		}
		for _, c := range []struct{ id, name string }{{"X1", `=HYPERLINK("http://x")`}, {"X2", "@SUM(A1)"}, {"+X3", "-minus"}} {
			ref := cellAt(2, find(c.id))
			v, _ := f.GetCellValue("customers", ref)
			typ, _ := f.GetCellType("customers", ref)
			formula, _ := f.GetCellFormula("customers", ref)
			if v != c.name || typ != excelize.CellTypeInlineString || formula != "" {
				t.Errorf("%s name cell %s = %q (type %v, formula %q), want the text %q", c.id, ref, v, typ, formula, c.name)
			}
		}
		// Amounts are numbers with two decimals; counts are numbers.
		r := find("C1")
		for col, want := range map[int]string{16: "200.50", 17: "66.83", 18: "50.00", 15: "3"} {
			ref := cellAt(col, r)
			v, _ := f.GetCellValue("customers", ref)
			raw, _ := f.GetCellValue("customers", ref, excelize.Options{RawCellValue: true})
			typ, _ := f.GetCellType("customers", ref)
			if v != want || typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString {
				t.Errorf("C1 %s = %q (raw %q, type %v), want the number %s", ref, v, raw, typ, want)
			}
		}
		o, err := excelize.OpenFile(filepath.Join(dir, "orders.xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		orows, _ := o.GetRows("orders")
		for i, row := range orows {
			if row[0] == "F2" {
				raw, _ := o.GetCellValue("orders", cellAt(4, i+1), excelize.Options{RawCellValue: true})
				if raw != "-12.5" {
					t.Errorf("F2 amount raw %q, want the number -12.5", raw)
				}
			}
		}
	})
}

func TestToFileErrors(t *testing.T) {
	db := storetest.SQLite(t)
	sh := load(t, db)
	dir := t.TempDir()
	for _, c := range []struct{ what, file string }{{"customers", "x.txt"}, {"customers", "x"}, {"products", "x.csv"}} {
		_, err := export.ToFile(context.Background(), db, sh, c.what, filepath.Join(dir, c.file), false)
		if guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("%s to %s: %v, want an invalid error", c.what, c.file, err)
		}
		if _, serr := os.Stat(filepath.Join(dir, c.file)); serr == nil {
			t.Errorf("%s left a file behind", c.file)
		}
	}
	// An empty shop exports a header alone.
	recs := exportCSV(t, db, sh, "customers")
	if len(recs) != 1 || recs[0][0] != "customer_id" {
		t.Errorf("empty export: %v", recs)
	}
}

// TestRoundTrip imports the fixture, exports the orders, imports the export
// into an empty database and checks the same orders, statuses, amounts and
// customer statistics come back.
func TestRoundTrip(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh := load(t, db, "testdata/orders.csv", "testdata/formula.csv")
		path := filepath.Join(t.TempDir(), "orders.csv")
		if _, err := export.ToFile(context.Background(), db, sh, "orders", path, true); err != nil {
			t.Fatal(err)
		}
		other := fresh(t, db)
		osh := load(t, other, path)
		if a, b := orders(t, db, sh), orders(t, other, osh); !reflect.DeepEqual(a, b) {
			t.Errorf("orders differ after the round trip:\nbefore %v\nafter  %v", a, b)
		}
		before, after := byFirst(t, exportCSV(t, db, sh, "customers")), byFirst(t, exportCSV(t, other, osh, "customers"))
		if len(before) != 7 || !reflect.DeepEqual(before, after) {
			t.Errorf("customers differ after the round trip:\nbefore %v\nafter  %v", before, after)
		}
	})
}

type orderRow struct {
	platform, ext, status  string
	amount, refunded, time int64
}

func orders(t *testing.T, db *store.DB, sh *shop.Shop) []orderRow {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT platform, external_id, status, amount, refunded, placed_at FROM orders
WHERE shop_id = ? ORDER BY platform, external_id`, sh.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []orderRow
	for rows.Next() {
		var o orderRow
		if err := rows.Scan(&o.platform, &o.ext, &o.status, &o.amount, &o.refunded, &o.time); err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}
