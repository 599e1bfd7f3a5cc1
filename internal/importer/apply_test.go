package importer_test

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/orderfile"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// shopState is what an import leaves in a shop, by the orders' own keys,
// to compare two ways of writing the same orders.
func shopState(t *testing.T, db *store.DB, shopID int64) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT o.platform || '/' || o.external_id || ' ' || o.status || ' ' || CAST(o.amount AS TEXT) || ' ' ||
  CAST(o.content_hash AS TEXT) || ' ' || COALESCE(c.name, '-') || ' ' || COALESCE(CAST(s.orders_count AS TEXT), '-') || ' ' ||
  COALESCE(CAST(s.total_spent AS TEXT), '-') || ' ' || COALESCE(CAST(s.purchase_days AS TEXT), '-') || ' ' || COALESCE(CAST(s.refunded AS TEXT), '-')
FROM orders o
LEFT JOIN customers c ON c.shop_id = o.shop_id AND c.id = o.customer_id
LEFT JOIN customer_stats s ON s.shop_id = o.shop_id AND s.customer_id = o.customer_id
WHERE o.shop_id = ? ORDER BY o.platform, o.external_id`, shopID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// Apply, one order at a time, leaves a shop exactly as importing the file
// does: the same orders, content hashes, customers (merged alike) and
// statistics; applying them again changes nothing.
func TestApplyAgreesWithImport(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc, s1 := setup(t, db)
		importFile(t, svc, s1, "testdata/orders.csv", importer.Options{})
		s2 := &shop.Shop{Code: "s2"}
		if err := shop.NewService(db, clock).Create(ctx, s2); err != nil {
			t.Fatal(err)
		}
		read := func() []*orderfile.Record {
			f, err := os.Open("testdata/orders.csv")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rd, err := orderfile.Open("generic", "orders.csv", f, orderfile.Options{Location: s2.Location()})
			if err != nil {
				t.Fatal(err)
			}
			var out []*orderfile.Record
			for {
				rec, err := rd.Next()
				if err == io.EOF {
					return out
				}
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, rec)
			}
		}
		for _, rec := range read() {
			res, err := svc.Apply(ctx, s2, []*orderfile.Record{rec}, importer.ApplyOptions{Source: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 1 || res[0].OrderID == 0 || res[0].Result != importer.Created {
				t.Fatalf("%s: %+v", rec.OrderID, res)
			}
		}
		want, got := shopState(t, db, s1.ID), shopState(t, db, s2.ID)
		if len(want) == 0 || len(want) != len(got) {
			t.Fatalf("import %d orders, apply %d", len(want), len(got))
		}
		for i := range want {
			if want[i] != got[i] {
				t.Errorf("import %s\napply  %s", want[i], got[i])
			}
		}
		if a, b := count(t, db, `SELECT COUNT(*) FROM customer_merges WHERE shop_id = ?`, s1.ID), count(t, db, `SELECT COUNT(*) FROM customer_merges WHERE shop_id = ?`, s2.ID); a != b {
			t.Errorf("merges: import %d, apply %d", a, b)
		}

		// All again in one call: nothing changes.
		res, err := svc.Apply(ctx, s2, read(), importer.ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Result != importer.Unchanged {
				t.Errorf("again: %+v", r)
			}
		}
		again := shopState(t, db, s2.ID)
		for i := range got {
			if got[i] != again[i] {
				t.Errorf("after applying again: %s, was %s", again[i], got[i])
			}
		}
	})
}
