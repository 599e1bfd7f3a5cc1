package loyalty_test

import (
	"log/slog"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/loyalty"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestEarnPending checks that the batch path credits what Earn would have,
// once, skips pending and guest orders, and reverses a later refund.
func TestEarnPending(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		c := &clock{t: day("2025-04-01")}
		sh := setup(t, db, c, "orders.csv")
		svc := loyalty.NewService(db, c)
		a1, c1 := order(t, db, sh.ID, "A1")
		_, c2 := order(t, db, sh.ID, "A4")
		// A1 earned already by the per-order path: the batch leaves it be.
		if _, err := svc.Earn(ctx, sh.ID, a1); err != nil {
			t.Fatal(err)
		}
		pending := func(wantOrders int, wantPoints int64) {
			t.Helper()
			n, p, err := svc.EarnPending(ctx, sh.ID)
			if err != nil {
				t.Fatal(err)
			}
			if n != wantOrders || p != wantPoints {
				t.Fatalf("EarnPending: got %d orders, %d points; want %d, %d", n, p, wantOrders, wantPoints)
			}
		}
		pending(2, 550) // A2 250 (250.50 floored), A4 300; A3 pending, G1 guest
		pending(0, 0)
		balance(t, svc, sh.ID, c1, 350)
		balance(t, svc, sh.ID, c2, 300)
		if n := count(t, db, `SELECT COUNT(*) FROM points_ledger WHERE shop_id = ? AND kind = 'earn' AND expires_at = ?`, sh.ID, day("2026-04-01").Unix()); n != 3 {
			t.Fatalf("earn entries expiring 2026-04-01: got %d, want 3", n)
		}

		// A refund of 100 of A4's 300 yuan takes back a third, once.
		imp := importer.NewService(db, c, slog.New(slog.DiscardHandler))
		if _, err := imp.ImportFile(ctx, sh, "testdata/refund.csv", importer.Options{}); err != nil {
			t.Fatal(err)
		}
		pending(1, -100)
		pending(0, 0)
		balance(t, svc, sh.ID, c2, 200)
		// The balances are the sums of the ledger.
		if n := count(t, db, `SELECT COUNT(*) FROM loyalty_accounts a WHERE a.shop_id = ? AND a.balance <> (SELECT COALESCE(SUM(points), 0) FROM points_ledger l WHERE l.shop_id = a.shop_id AND l.customer_id = a.customer_id)`, sh.ID); n != 0 {
			t.Fatalf("%d accounts out of balance with the ledger", n)
		}

		// A shop that earns nothing per yuan earns nothing in bulk either.
		st := loyalty.DefaultSettings()
		st.PointsPerYuan = 0
		if err := svc.SetSettings(ctx, sh.ID, st); err != nil {
			t.Fatal(err)
		}
		pending(0, 0)
	})
}
