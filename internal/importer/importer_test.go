package importer_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/orderfile"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

var clock = guanxi.FixedClock(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))

func setup(t *testing.T, db *store.DB) (*importer.Service, *shop.Shop) {
	t.Helper()
	sh := &shop.Shop{Code: "s1", Name: "测试店"}
	if err := shop.NewService(db, clock).Create(context.Background(), sh); err != nil {
		t.Fatal(err)
	}
	return importer.NewService(db, clock, slog.New(slog.DiscardHandler)), sh
}

func importFile(t *testing.T, svc *importer.Service, sh *shop.Shop, path string, opt importer.Options) importer.Summary {
	t.Helper()
	sum, err := svc.ImportFile(context.Background(), sh, path, opt)
	if err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	return sum
}

func count(t *testing.T, db *store.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestImportGeneric(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		svc, sh := setup(t, db)
		sum := importFile(t, svc, sh, "testdata/orders.csv", importer.Options{})
		// C1 and C5 share an email (case differs); C2 and C6 share a phone
		// (spelt differently); C3's phone 13812345678 equals C1's; C4's phone
		// is masked and matches nobody; A6 is a guest.
		want := importer.Summary{File: "testdata/orders.csv", Rows: 9, OrdersCreated: 9, CustomersCreated: 4, CustomersMerged: 0}
		sum.Seconds = 0
		if sum != want {
			t.Fatalf("summary\n got %+v\nwant %+v", sum, want)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM customers WHERE shop_id = ? AND merged_into IS NULL`, sh.ID); n != 4 {
			t.Errorf("customers = %d, want 4", n)
		}
		// C1, C3 (same phone) and C5 (same email) are one person.
		var c1, c3, c5 int64
		for _, p := range []struct {
			ext string
			id  *int64
		}{{"A1", &c1}, {"A4", &c3}, {"A7", &c5}} {
			*p.id = count(t, db, `SELECT customer_id FROM orders WHERE shop_id = ? AND external_id = ?`, sh.ID, p.ext)
		}
		if c1 != c3 || c1 != c5 {
			t.Errorf("A1, A4, A7 belong to %d, %d, %d; want one customer", c1, c3, c5)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM orders WHERE shop_id = ? AND customer_id IS NULL`, sh.ID); n != 1 {
			t.Errorf("guest orders = %d, want 1", n)
		}
		// Stats of the merged customer: A1 100 + A2 50.50 (same day) + A4 80-30; A7 is a return.
		var st customer.Stats
		err := db.QueryRow(context.Background(), `SELECT purchase_days, orders_count, total_spent, refunded FROM customer_stats WHERE shop_id = ? AND customer_id = ?`, sh.ID, c1).
			Scan(&st.PurchaseDays, &st.Orders, &st.TotalSpent, &st.Refunded)
		if err != nil {
			t.Fatal(err)
		}
		if st.PurchaseDays != 2 || st.Orders != 3 || st.TotalSpent != 20050 || st.Refunded != 5000 {
			t.Errorf("stats of C1 = %+v, want 2 days, 3 orders, 200.50 spent, 50.00 refunded", st)
		}
		var status string
		var refunded int64
		if err := db.QueryRow(context.Background(), `SELECT status, refunded FROM orders WHERE shop_id = ? AND external_id = 'A9'`, sh.ID).Scan(&status, &refunded); err != nil || status != "refunded" || refunded != 1000 {
			t.Errorf("A9 status %s refunded %d (%v), want refunded 1000", status, refunded, err)
		}
		assertStatsConsistent(t, db, sh.ID)

		// Importing the same file again changes nothing.
		again := importFile(t, svc, sh, "testdata/orders.csv", importer.Options{})
		if again.OrdersCreated != 0 || again.OrdersUpdated != 0 || again.OrdersUnchanged != 9 || again.CustomersCreated != 0 || again.CustomersMerged != 0 {
			t.Errorf("re-import: %+v", again)
		}
		// A changed row updates its order and the customer's stats.
		changed := filepath.Join(t.TempDir(), "changed.csv")
		b, _ := os.ReadFile("testdata/orders.csv")
		os.WriteFile(changed, []byte(strings.Replace(string(b), "A8,2025-04-01,C6,120.00", "A8,2025-04-01,C6,150.00", 1)), 0o644)
		upd := importFile(t, svc, sh, changed, importer.Options{})
		if upd.OrdersUpdated != 1 || upd.OrdersCreated != 0 || upd.OrdersUnchanged != 8 {
			t.Errorf("changed import: %+v", upd)
		}
		c6 := count(t, db, `SELECT customer_id FROM orders WHERE shop_id = ? AND external_id = 'A8'`, sh.ID)
		if spent := count(t, db, `SELECT total_spent FROM customer_stats WHERE shop_id = ? AND customer_id = ?`, sh.ID, c6); spent != 35000 {
			t.Errorf("C2/C6 spent %d after the change, want 35000", spent)
		}
		assertStatsConsistent(t, db, sh.ID)
	})
}

// assertStatsConsistent checks the stored stats equal a derivation from
// the orders (for new customers they come from the in-memory path).
func assertStatsConsistent(t *testing.T, db *store.DB, shopID int64) {
	t.Helper()
	bad, err := customer.CheckStats(context.Background(), db, shopID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range bad {
		t.Errorf("customer %d: stored stats %+v, derived from orders %+v", m.CustomerID, m.Stored, m.Derived)
	}
}

func TestImportMergesCustomers(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		svc, sh := setup(t, db)
		dir := t.TempDir()
		first := filepath.Join(dir, "a.csv")
		os.WriteFile(first, []byte("order_id,order_date,customer_id,amount,phone,email\nB1,2025-01-01,X1,10,13800000001,\nB2,2025-01-02,X2,20,,x2@example.com\n"), 0o644)
		importFile(t, svc, sh, first, importer.Options{})
		// One row names X3 with X1's phone and X2's email: all three are one.
		second := filepath.Join(dir, "b.csv")
		os.WriteFile(second, []byte("order_id,order_date,customer_id,amount,phone,email\nB3,2025-01-03,X3,30,+86 138-0000-0001,X2@EXAMPLE.COM\n"), 0o644)
		sum := importFile(t, svc, sh, second, importer.Options{})
		if sum.CustomersMerged != 1 || sum.CustomersCreated != 0 {
			t.Fatalf("summary %+v, want one merge and no new customer", sum)
		}
		if n := count(t, db, `SELECT COUNT(DISTINCT customer_id) FROM orders WHERE shop_id = ?`, sh.ID); n != 1 {
			t.Errorf("orders belong to %d customers, want 1", n)
		}
		var reason string
		if err := db.QueryRow(context.Background(), `SELECT reason FROM customer_merges WHERE shop_id = ?`, sh.ID).Scan(&reason); err != nil || reason != "same email x***@example.com" {
			t.Errorf("merge reason %q (%v)", reason, err)
		}
		if n := count(t, db, `SELECT orders_count FROM customer_stats s JOIN customers c ON c.shop_id = s.shop_id AND c.id = s.customer_id WHERE s.shop_id = ? AND c.merged_into IS NULL`, sh.ID); n != 3 {
			t.Errorf("survivor has %d orders, want 3", n)
		}
		assertStatsConsistent(t, db, sh.ID)
	})
}

func TestImportBadInput(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		svc, sh := setup(t, db)
		dir := t.TempDir()
		bad := filepath.Join(dir, "bad.csv")
		os.WriteFile(bad, []byte("order_id,order_date,customer_id,amount\nD1,2025-01-01,C1,10\nD2,2025-13-45,C2,20\nD3,2025-01-03,C3,abc\nD4,2025-01-04,C4,40\n"), 0o644)
		_, err := svc.ImportFile(context.Background(), sh, bad, importer.Options{})
		re, ok := orderfile.AsRowError(err)
		if !ok || re.File != bad || re.Row != 3 || re.Column != "order_date" {
			t.Fatalf("error %v, want a row error naming %s row 3 column order_date", err, bad)
		}
		if !strings.Contains(err.Error(), "row 3") || !strings.Contains(err.Error(), `"order_date"`) {
			t.Errorf("message %q does not name row and column", err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM orders WHERE shop_id = ?`, sh.ID); n != 0 {
			t.Fatalf("a failed import left %d orders", n)
		}
		sum := importFile(t, svc, sh, bad, importer.Options{SkipBad: true})
		if sum.OrdersCreated != 2 || sum.Rejected != 2 || sum.RejectsFile != bad+".rejected.csv" {
			t.Fatalf("skip-bad summary %+v", sum)
		}
		rej, _ := os.ReadFile(sum.RejectsFile)
		lines := strings.Split(strings.TrimSpace(string(rej)), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "order_id,order_date,customer_id,amount,error") ||
			!strings.HasPrefix(lines[1], "D2,2025-13-45,C2,20,") || !strings.Contains(lines[2], `column ""amount""`) {
			t.Errorf("rejects file:\n%s", rej)
		}
	})
}

func TestImportLinesAndProducts(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		svc, sh := setup(t, db)
		p := filepath.Join(t.TempDir(), "lines.csv")
		// L1's lines are split by L2's row: the generic contract joins them.
		os.WriteFile(p, []byte("order_id,order_date,customer_id,sku,product_name,quantity,unit_price\n"+
			"L1,2025-01-01,C1,S1,Tea,2,0.165\nL1,2025-01-01,C1,S2,Cup,1,12.00\nL2,2025-01-02,C2,S1,Tea,10,0.165\nL1,2025-01-01,C1,S3,Pot,1,88.00\n"), 0o644)
		sum := importFile(t, svc, sh, p, importer.Options{})
		if sum.OrdersCreated != 2 || sum.Rows != 4 {
			t.Errorf("summary %+v", sum)
		}
		// 2 × 0.165 = 0.33; 12.00; 88.00 → 100.33. 10 × 0.165 = 1.65.
		if a := count(t, db, `SELECT amount FROM orders WHERE shop_id = ? AND external_id = 'L1'`, sh.ID); a != 10033 {
			t.Errorf("L1 amount %d, want 10033", a)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM order_lines WHERE shop_id = ?`, sh.ID); n != 4 {
			t.Errorf("lines %d, want 4", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM products WHERE shop_id = ?`, sh.ID); n != 3 {
			t.Errorf("products %d, want 3", n)
		}
		assertStatsConsistent(t, db, sh.ID)
		again := importFile(t, svc, sh, p, importer.Options{})
		if n := count(t, db, `SELECT COUNT(*) FROM order_lines WHERE shop_id = ?`, sh.ID); n != 4 || again.OrdersCreated != 0 {
			t.Errorf("after re-import: %d lines, %+v", n, again)
		}
		if a := count(t, db, `SELECT amount FROM orders WHERE shop_id = ? AND external_id = 'L1'`, sh.ID); a != 10033 {
			t.Errorf("L1 amount after re-import %d, want 10033", a)
		}
	})
}

// TestRejectsFileNeutralisesFormulas: the rejects file goes back to a
// spreadsheet to be fixed, so its cells — the file's own — are neutralised
// like every export; importing it again reads the values as they were.
func TestRejectsFileNeutralisesFormulas(t *testing.T) {
	db := storetest.SQLite(t)
	svc, sh := setup(t, db)
	bad := filepath.Join(t.TempDir(), "formula.csv")
	cells := []string{"=1+1", "+cmd", "-2+3", "@SUM(A1)", "=HYPERLINK(\"http://x\")"}
	var b strings.Builder
	b.WriteString("order_id,order_date,customer_id,amount\nOK1,2025-01-01,C1,10\n")
	for i, c := range cells {
		fmt.Fprintf(&b, "R%d,2025-01-02,\"%s\",not-a-number\n", i, strings.ReplaceAll(c, `"`, `""`))
	}
	os.WriteFile(bad, []byte(b.String()), 0o644)
	sum := importFile(t, svc, sh, bad, importer.Options{SkipBad: true})
	if sum.Rejected != len(cells) {
		t.Fatalf("summary %+v", sum)
	}
	f, err := os.Open(sum.RejectsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, r := range rows[1:] {
		got[r[2]] = true
		if e := r[len(r)-1]; e != "" && strings.ContainsRune("=+-@", rune(e[0])) {
			t.Errorf("error cell %q is a formula", e)
		}
	}
	for _, c := range cells {
		if !got["'"+c] {
			t.Errorf("customer_id %q not neutralised in the rejects file: %v", c, got)
		}
	}
}

// TestImportRefusesWorkbookNamedCSV: the importer goes by the bytes: an
// Excel workbook (a zip) saved as orders.csv is refused, naming the file,
// and nothing is imported.
func TestImportRefusesWorkbookNamedCSV(t *testing.T) {
	db := storetest.SQLite(t)
	svc, sh := setup(t, db)
	path := filepath.Join(t.TempDir(), "orders.csv")
	os.WriteFile(path, []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml"), 0o644)
	_, err := svc.ImportFile(context.Background(), sh, path, importer.Options{})
	if guanxi.ErrorCode(err) != guanxi.EINVALID || !strings.Contains(err.Error(), "orders.csv") || !strings.Contains(err.Error(), "xlsx") {
		t.Fatalf("import of a workbook named .csv: %v, want EINVALID naming the file", err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM orders WHERE shop_id = ?`, sh.ID); n != 0 {
		t.Fatalf("%d orders imported", n)
	}
}
