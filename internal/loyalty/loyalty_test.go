package loyalty_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/loyalty"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

var ctx = context.Background()

// clock is a test clock that the test moves forward.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// setup creates a shop and imports the given testdata files into it.
func setup(t *testing.T, db *store.DB, c *clock, files ...string) *shop.Shop {
	t.Helper()
	sh := &shop.Shop{Code: "s1", Name: "店一"}
	if err := shop.NewService(db, c).Create(ctx, sh); err != nil {
		t.Fatal(err)
	}
	imp := importer.NewService(db, c, slog.New(slog.DiscardHandler))
	for _, f := range files {
		if _, err := imp.ImportFile(ctx, sh, "testdata/"+f, importer.Options{}); err != nil {
			t.Fatalf("import %s: %v", f, err)
		}
	}
	return sh
}

// order returns the id and customer of an imported order.
func order(t *testing.T, db *store.DB, shopID int64, external string) (id, customer int64) {
	t.Helper()
	var c *int64
	if err := db.QueryRow(ctx, `SELECT id, customer_id FROM orders WHERE shop_id = ? AND external_id = ?`, shopID, external).Scan(&id, &c); err != nil {
		t.Fatalf("order %s: %v", external, err)
	}
	if c != nil {
		customer = *c
	}
	return id, customer
}

func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	if guanxi.ErrorCode(err) != code || !strings.Contains(guanxi.ErrorMessage(err), msg) {
		t.Fatalf("got error %v (%s), want %s containing %q", err, guanxi.ErrorCode(err), code, msg)
	}
}

func balance(t *testing.T, svc *loyalty.Service, shopID, customer, want int64) {
	t.Helper()
	got, err := svc.Balance(ctx, shopID, customer)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("balance of %d: got %d, want %d", customer, got, want)
	}
}

func count(t *testing.T, db *store.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestLedger walks hand-worked figures through every operation, with the
// default rules (a point per yuan, 12 months).
func TestLedger(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		c := &clock{t: day("2025-04-01")}
		sh := setup(t, db, c, "orders.csv")
		svc := loyalty.NewService(db, c)
		a1, c1 := order(t, db, sh.ID, "A1")
		a2, _ := order(t, db, sh.ID, "A2")
		a3, c2 := order(t, db, sh.ID, "A3")
		a4, _ := order(t, db, sh.ID, "A4")
		g1, _ := order(t, db, sh.ID, "G1")

		earn := func(id, want int64) {
			t.Helper()
			got, err := svc.Earn(ctx, sh.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("earn for order %d: got %d, want %d", id, got, want)
			}
		}
		earn(a1, 100)
		earn(a1, 0) // idempotent
		c.Set(day("2025-05-15"))
		earn(a2, 250) // 250.50 yuan, floored
		c.Set(day("2025-06-10"))
		earn(a4, 300)
		_, err := svc.Earn(ctx, sh.ID, a3)
		wantCode(t, err, guanxi.EINVALID, "pending")
		_, err = svc.Earn(ctx, sh.ID, g1)
		wantCode(t, err, guanxi.EINVALID, "guest")
		balance(t, svc, sh.ID, c1, 350)

		// Redemption takes A1's 100 and 20 of A2's lot.
		if _, err := svc.Redeem(ctx, sh.ID, c1, 120, "coupon", "redeem:1"); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Redeem(ctx, sh.ID, c1, 1, "coupon", "redeem:1")
		wantCode(t, err, guanxi.ECONFLICT, "already exists")
		_, err = svc.Redeem(ctx, sh.ID, c1, 231, "coupon", "")
		wantCode(t, err, guanxi.ECONFLICT, "insufficient points")
		_, err = svc.Adjust(ctx, sh.ID, c1, -500, "mistake")
		wantCode(t, err, guanxi.ECONFLICT, "insufficient points")
		_, err = svc.Adjust(ctx, sh.ID, c1, 20, " ")
		wantCode(t, err, guanxi.EINVALID, "reason")
		if _, err := svc.Adjust(ctx, sh.ID, c1, 20, "生日礼"); err != nil {
			t.Fatal(err)
		}
		balance(t, svc, sh.ID, c1, 250)
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE shop_id = ? AND action = 'loyalty.adjust'`, sh.ID); n != 1 {
			t.Fatalf("%d loyalty.adjust audit entries, want 1", n)
		}

		// A refund of 100 of A4's 300 yuan reverses a third of its points, once.
		imp := importer.NewService(db, c, slog.New(slog.DiscardHandler))
		if _, err := imp.ImportFile(ctx, sh, "testdata/refund.csv", importer.Options{}); err != nil {
			t.Fatal(err)
		}
		earn(a4, -100)
		earn(a4, 0)
		balance(t, svc, sh.ID, c2, 200)

		l, err := svc.Liability(ctx, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		if l != (loyalty.Liability{Points: 450, Value: 450, Customers: 2}) {
			t.Fatalf("liability %+v", l)
		}
		fc, err := svc.ExpiryForecast(ctx, sh.ID, day("2026-03-20"), 4)
		if err != nil {
			t.Fatal(err)
		}
		want := []loyalty.MonthPoints{{"2026-03", 0}, {"2026-04", 0}, {"2026-05", 230}, {"2026-06", 200}}
		if !slices.Equal(fc, want) {
			t.Fatalf("forecast %v, want %v", fc, want)
		}

		// A2's unspent 230 expire; A1 was spent, the adjustment never expires.
		n, err := svc.Expire(ctx, sh.ID, day("2026-05-20"))
		if err != nil || n != 230 {
			t.Fatalf("expire: %d, %v; want 230", n, err)
		}
		if n, err := svc.Expire(ctx, sh.ID, day("2026-05-20")); err != nil || n != 0 {
			t.Fatalf("expire again: %d, %v; want 0", n, err)
		}
		balance(t, svc, sh.ID, c1, 20)
		balance(t, svc, sh.ID, c2, 200)

		// The ledger, newest first, two a page.
		var kinds []string
		before := int64(0)
		for range 5 {
			page, err := svc.Ledger(ctx, sh.ID, c1, before, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				kinds = append(kinds, fmt.Sprintf("%s%+d", e.Kind, e.Points))
			}
			before = page[len(page)-1].ID
		}
		if got := strings.Join(kinds, " "); got != "expire-230 adjust+20 redeem-120 earn+250 earn+100" {
			t.Fatalf("ledger: %s", got)
		}

		// Tiers by spend: C1 spent 350.50, C2 200 net of the refund.
		st := loyalty.DefaultSettings()
		st.Tiers = []loyalty.Tier{{Name: "银卡", MinSpend: 20000}, {Name: "金卡", MinSpend: 30000}}
		if err := svc.SetSettings(ctx, sh.ID, st); err != nil {
			t.Fatal(err)
		}
		tiers := func(want ...loyalty.TierChange) {
			t.Helper()
			got, err := svc.EvaluateTiers(ctx, sh.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("tier changes %v, want %v", got, want)
			}
		}
		tiers(loyalty.TierChange{CustomerID: c1, To: "金卡"}, loyalty.TierChange{CustomerID: c2, To: "银卡"})
		tiers()
		// By points: C1 holds 20, C2 200.
		st.TierBasis = loyalty.BasisPoints
		st.Tiers = []loyalty.Tier{{Name: "银卡", MinPoints: 100}, {Name: "金卡", MinPoints: 1000}}
		if err := svc.SetSettings(ctx, sh.ID, st); err != nil {
			t.Fatal(err)
		}
		tiers(loyalty.TierChange{CustomerID: c1, From: "金卡"})
		if n := count(t, db, `SELECT COUNT(*) FROM timeline_events WHERE shop_id = ? AND customer_id = ? AND kind = 'tier'`, sh.ID, c1); n != 2 {
			t.Fatalf("%d tier events for C1, want 2", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM member_tiers WHERE shop_id = ?`, sh.ID); n != 1 {
			t.Fatalf("%d member tiers, want 1", n)
		}
		st.Tiers = []loyalty.Tier{{Name: "银卡", MinPoints: 100}, {Name: "金卡", MinPoints: 100}}
		wantCode(t, svc.SetSettings(ctx, sh.ID, st), guanxi.EINVALID, "must need more")

		// A merged-away customer can no longer redeem, but their points still expire.
		if _, err := db.Exec(ctx, `UPDATE customers SET merged_into = ? WHERE shop_id = ? AND id = ?`, c1, sh.ID, c2); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Redeem(ctx, sh.ID, c2, 1, "", "")
		wantCode(t, err, guanxi.ENOTFOUND, "not found")
		if n, err := svc.Expire(ctx, sh.ID, day("2026-07-01")); err != nil || n != 200 {
			t.Fatalf("expire C2: %d, %v; want 200", n, err)
		}
	})
}
