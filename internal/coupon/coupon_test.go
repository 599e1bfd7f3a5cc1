package coupon_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/coupon"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

var ctx = context.Background()

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if guanxi.ErrorCode(err) != code {
		t.Fatalf("got error %v (%s), want %s", err, guanxi.ErrorCode(err), code)
	}
}

func customer(t *testing.T, db *store.DB, shopID int64, external string) int64 {
	t.Helper()
	var id int64
	if err := db.QueryRow(ctx, `SELECT customer_id FROM orders WHERE shop_id = ? AND external_id = ?`, shopID, external).Scan(&id); err != nil {
		t.Fatalf("order %s: %v", external, err)
	}
	return id
}

func TestTemplateCheck(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		sh := &shop.Shop{Code: "s1", Name: "店一"}
		clock := guanxi.FixedClock(day("2025-02-01"))
		if err := shop.NewService(db, clock).Create(ctx, sh); err != nil {
			t.Fatal(err)
		}
		svc := coupon.NewService(db, clock, segment.NewService(db, clock))
		for _, tc := range []struct {
			name string
			tmpl coupon.Template
		}{
			{"no name", coupon.Template{Kind: coupon.KindAmount, Value: 100, ValidDays: 7}},
			{"bad kind", coupon.Template{Name: "x", Kind: "gift", Value: 100, ValidDays: 7}},
			{"zero value", coupon.Template{Name: "x", Kind: coupon.KindAmount, ValidDays: 7}},
			{"over 100%", coupon.Template{Name: "x", Kind: coupon.KindPercent, Value: 101, ValidDays: 7}},
			{"no validity", coupon.Template{Name: "x", Kind: coupon.KindAmount, Value: 100}},
			{"bad prefix", coupon.Template{Name: "x", Kind: coupon.KindAmount, Value: 100, ValidDays: 7, CodePrefix: "VIP-"}},
		} {
			wantCode(t, svc.CreateTemplate(ctx, sh.ID, &tc.tmpl), guanxi.EINVALID)
		}
		ended := coupon.Template{Name: "春节", Kind: coupon.KindPercent, Value: 10, EndsAt: day("2025-01-31")}
		if err := svc.CreateTemplate(ctx, sh.ID, &ended); err != nil {
			t.Fatal(err)
		}
		_, err := svc.Issue(ctx, sh.ID, ended.ID, nil, "manual")
		wantCode(t, err, guanxi.EINVALID)
		_, err = svc.Issue(ctx, sh.ID, 999, nil, "manual")
		wantCode(t, err, guanxi.ENOTFOUND)
		if err := svc.DeleteTemplate(ctx, sh.ID, ended.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, svc.DeleteTemplate(ctx, sh.ID, ended.ID), guanxi.ENOTFOUND)
	})
}

// TestIssueAndRedeem issues codes, imports orders that use them, and checks
// which redeem: only the code's customer, within its validity, once.
func TestIssueAndRedeem(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		clock := guanxi.FixedClock(day("2025-02-01"))
		sh := &shop.Shop{Code: "s1", Name: "店一"}
		if err := shop.NewService(db, clock).Create(ctx, sh); err != nil {
			t.Fatal(err)
		}
		imp := importer.NewService(db, clock, slog.New(slog.DiscardHandler))
		if _, err := imp.ImportFile(ctx, sh, "testdata/orders.csv", importer.Options{}); err != nil {
			t.Fatal(err)
		}
		c1, c2, c3 := customer(t, db, sh.ID, "A1"), customer(t, db, sh.ID, "A2"), customer(t, db, sh.ID, "A3")
		segs := segment.NewService(db, clock)
		svc := coupon.NewService(db, clock, segs)
		tmpl := coupon.Template{Name: "满100减20", Kind: coupon.KindAmount, Value: 2000, MinSpend: 10000, ValidDays: 30, CodePrefix: "vip"}
		if err := svc.CreateTemplate(ctx, sh.ID, &tmpl); err != nil {
			t.Fatal(err)
		}
		_, err := svc.Issue(ctx, sh.ID, tmpl.ID, []int64{c1, 424242}, "manual")
		wantCode(t, err, guanxi.ENOTFOUND)
		codes, err := svc.Issue(ctx, sh.ID, tmpl.ID, []int64{c1, c2, c2}, "manual")
		if err != nil {
			t.Fatal(err)
		}
		format := regexp.MustCompile(`^VIP[2-9A-HJ-NP-Z]{8}$`)
		if len(codes) != 2 || codes[c1] == codes[c2] || !format.MatchString(codes[c1]) || !format.MatchString(codes[c2]) {
			t.Fatalf("codes: %v", codes)
		}

		// B1: C1 uses its code (lower case, beside another) — redeems.
		// B2: C3 uses C2's code — not theirs. B3: C2 after expiry (03-03).
		// B4: C2 in time, under the Chinese column name — redeems.
		// B5: C1 again — the code is spent.
		file := filepath.Join(t.TempDir(), "later.csv")
		csv := fmt.Sprintf(`order_id,order_date,customer_id,amount,status,Discount Code,优惠码
B1,2025-02-10,C1,120.00,paid,"WELCOME, %s",
B2,2025-02-11,C3,150.00,paid,%s,
B3,2025-03-20,C2,150.00,paid,,%s
B4,2025-02-20,C2,50.00,paid,,%s
B5,2025-02-25,C1,150.00,paid,%s,
`, strings.ToLower(codes[c1]), codes[c2], codes[c2], codes[c2], codes[c1])
		if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := imp.ImportFile(ctx, sh, file, importer.Options{}); err != nil {
			t.Fatal(err)
		}
		for _, want := range []int{2, 0} {
			n, err := svc.MatchRedemptions(ctx, sh.ID)
			if err != nil {
				t.Fatal(err)
			}
			if n != want {
				t.Fatalf("matched %d, want %d", n, want)
			}
		}
		for code, order := range map[string]string{codes[c1]: "B1", codes[c2]: "B4"} {
			var got string
			if err := db.QueryRow(ctx, `SELECT o.external_id FROM coupons c JOIN orders o ON o.shop_id = c.shop_id AND o.id = c.redeemed_order_id WHERE c.shop_id = ? AND c.code = ?`,
				sh.ID, code).Scan(&got); err != nil || got != order {
				t.Fatalf("code %s redeemed by %q (%v), want %s", code, got, err, order)
			}
		}
		stats, err := svc.List(ctx, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Discounts: 20 yuan off B1; B4's 50 yuan order takes 20 off too.
		if len(stats) != 1 || stats[0].Issued != 2 || stats[0].Redeemed != 2 || stats[0].Discount != 4000 || stats[0].Rate() != 1 {
			t.Fatalf("stats: %+v", stats)
		}

		// A segment of everyone who bought: the three customers.
		rule, err := segment.ParseRule([]byte(`{"field":"orders_count","op":"gte","value":1}`))
		if err != nil {
			t.Fatal(err)
		}
		seg := &segment.Segment{Name: "买过", Rule: rule}
		if err := segs.Create(ctx, sh.ID, seg); err != nil {
			t.Fatal(err)
		}
		n, err := svc.IssueToSegment(ctx, sh.ID, tmpl.ID, seg.ID)
		if err != nil || n != 3 {
			t.Fatalf("issued to segment: %d, %v; want 3", n, err)
		}
		var src int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM coupons WHERE shop_id = ? AND source = ? AND customer_id IN (?, ?, ?)`, sh.ID, fmt.Sprintf("segment:%d", seg.ID), c1, c2, c3).Scan(&src); err != nil || src != 3 {
			t.Fatalf("segment coupons: %d, %v", src, err)
		}
		wantCode(t, svc.DeleteTemplate(ctx, sh.ID, tmpl.ID), guanxi.ECONFLICT)
	})
}

// TestIssueMany issues to more customers than one insert batch holds, in
// the caller's transaction, and checks every code is distinct.
func TestIssueMany(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		clock := guanxi.FixedClock(day("2025-02-01"))
		sh := &shop.Shop{Code: "s1", Name: "店一"}
		if err := shop.NewService(db, clock).Create(ctx, sh); err != nil {
			t.Fatal(err)
		}
		const n = 12_000
		if err := db.Update(ctx, func(tx *store.Tx) error {
			rows := make([][]any, n)
			for i := range rows {
				rows[i] = []any{sh.ID, int64(i + 1), "", 1, 1}
			}
			return tx.Insert(ctx, "customers", []string{"shop_id", "id", "name", "created_at", "updated_at"}, rows)
		}); err != nil {
			t.Fatal(err)
		}
		svc := coupon.NewService(db, clock, segment.NewService(db, clock))
		tmpl := coupon.Template{Name: "八折", Kind: coupon.KindPercent, Value: 20, ValidDays: 7}
		if err := svc.CreateTemplate(ctx, sh.ID, &tmpl); err != nil {
			t.Fatal(err)
		}
		ids := make([]int64, n)
		for i := range ids {
			ids[i] = int64(i + 1)
		}
		var codes map[int64]string
		if err := db.Update(ctx, func(tx *store.Tx) error {
			var err error
			codes, err = svc.IssueTx(ctx, tx, sh.ID, tmpl.ID, ids, "campaign:7")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, c := range codes {
			seen[c] = true
		}
		var stored int
		if err := db.QueryRow(ctx, `SELECT COUNT(DISTINCT code) FROM coupons WHERE shop_id = ? AND source = 'campaign:7'`, sh.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if len(codes) != n || len(seen) != n || stored != n {
			t.Fatalf("codes %d, distinct %d, stored %d; want %d", len(codes), len(seen), stored, n)
		}
	})
}
