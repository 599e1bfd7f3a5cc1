package customer_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

var clock = guanxi.FixedClock(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))

// load creates a shop and imports the importer's fixture into it: after
// identity resolution it has four customers, 王芳 (C1, C3 and C5 by phone
// and e-mail), 李雷 (C2 and C6 by phone, renamed 钱七 by the later order),
// 赵敏 (a masked phone, a cancelled order) and 孙八 (a refunded order).
func load(t *testing.T, db *store.DB, code, file string) *shop.Shop {
	t.Helper()
	ctx := context.Background()
	sh := &shop.Shop{Code: code}
	if err := shop.NewService(db, clock).Create(ctx, sh); err != nil {
		t.Fatal(err)
	}
	imp := importer.NewService(db, clock, slog.New(slog.DiscardHandler))
	if _, err := imp.ImportFile(ctx, sh, file, importer.Options{}); err != nil {
		t.Fatal(err)
	}
	return sh
}

func ids(p customer.Page) []int64 {
	var out []int64
	for _, r := range p.Customers {
		out = append(out, r.ID)
	}
	return out
}

func idOf(t *testing.T, db *store.DB, shopID int64, externalOrder string) int64 {
	t.Helper()
	var id int64
	if err := db.QueryRow(context.Background(), `SELECT customer_id FROM orders WHERE shop_id = ? AND external_id = ?`, shopID, externalOrder).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestSearch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sh := load(t, db, "s1", "../importer/testdata/orders.csv")
		svc := customer.NewService(db)
		wang, li, zhao := idOf(t, db, sh.ID, "A1"), idOf(t, db, sh.ID, "A3"), idOf(t, db, sh.ID, "A5")

		all, err := svc.Search(ctx, sh.ID, customer.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if all.Total != 4 || len(all.Customers) != 4 || all.Limit != customer.DefaultLimit {
			t.Fatalf("all: total %d, %d rows, limit %d", all.Total, len(all.Customers), all.Limit)
		}
		// Most recent purchase first: 李雷/钱七 (A8, April), 王芳 (A4, March);
		// those who never bought come last.
		if got := ids(all)[:2]; !slices.Equal(got, []int64{li, wang}) {
			t.Errorf("order %v, want %d then %d first", ids(all), li, wang)
		}
		w := all.Customers[1]
		if w.Name != "王芳" || w.Phone != "13812345678" || w.Province != "浙江省" || w.Stats.Orders != 3 || w.Stats.TotalSpent != 20050 ||
			w.Stats.LastPurchaseAt == 0 {
			t.Errorf("王芳's row: %+v", w)
		}
		if last := all.Customers[3]; last.Stats.LastPurchaseAt != 0 || last.Stats.Orders != 0 {
			t.Errorf("last row should be a customer who never bought: %+v", last)
		}

		for _, tc := range []struct {
			q    string
			want []int64
		}{
			{"王", []int64{wang}},
			{"王芳", []int64{wang}},
			{"  王芳 ", []int64{wang}},
			{"芳", nil}, // not a prefix
			{"13812345678", []int64{wang}},
			{"+86 138 1234 5678", []int64{wang}},
			{"0086-138-1234-5678", []int64{wang}},
			{"１３８１２３４５６７８", []int64{wang}}, // full-width digits
			{"5678", nil},                  // a suffix is not a phone
			{"138****5678", nil},           // masked values never match
			{"86-13900001111", []int64{li}},
			{"WANG.FANG@example.COM", []int64{wang}},
			{"qian@qq.com", []int64{li}},
			{"C1", []int64{wang}},                        // platform customer id
			{"C6", []int64{li}},                          // merged: the survivor holds its identities
			{"C", nil},                                   // filled in below: every customer with a platform id
			{strconv.FormatInt(zhao, 10), []int64{zhao}}, // Guanxi id
			{"999999", nil},
			{"'; DROP TABLE customers; --", nil},
		} {
			p, err := svc.Search(ctx, sh.ID, customer.Filter{Query: tc.q})
			if err != nil {
				t.Fatalf("search %q: %v", tc.q, err)
			}
			got := ids(p)
			if tc.q == "C" {
				if p.Total != 4 {
					t.Errorf("search C: %v, want all 4", got)
				}
				continue
			}
			if !slices.Equal(got, tc.want) || p.Total != len(tc.want) {
				t.Errorf("search %q = %v (total %d), want %v", tc.q, got, p.Total, tc.want)
			}
		}

		// Pages.
		p1, _ := svc.Search(ctx, sh.ID, customer.Filter{Limit: 3})
		p2, _ := svc.Search(ctx, sh.ID, customer.Filter{Limit: 3, Offset: 3})
		p3, _ := svc.Search(ctx, sh.ID, customer.Filter{Limit: 3, Offset: 9})
		if got := append(ids(p1), ids(p2)...); !slices.Equal(got, ids(all)) || p2.Total != 4 || len(p3.Customers) != 0 || p3.Total != 4 {
			t.Errorf("pages %v + %v (p3 %v), want %v", ids(p1), ids(p2), ids(p3), ids(all))
		}
		// Province.
		zj := "浙江省"
		if p, _ := svc.Search(ctx, sh.ID, customer.Filter{Province: &zj}); !slices.Equal(ids(p), []int64{wang}) {
			t.Errorf("province 浙江省: %v", ids(p))
		}
		if p, _ := svc.Search(ctx, sh.ID, customer.Filter{Query: "王", Province: &zj}); !slices.Equal(ids(p), []int64{wang}) {
			t.Errorf("王 in 浙江省: %v", ids(p))
		}
		bj := "北京市"
		if p, _ := svc.Search(ctx, sh.ID, customer.Filter{Query: "王", Province: &bj}); p.Total != 0 {
			t.Errorf("王 in 北京市: %v", ids(p))
		}
	})
}

func TestShopIsolation(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := load(t, db, "a", "../importer/testdata/orders.csv")
		other := filepath.Join(t.TempDir(), "other.csv")
		csv := "order_id,order_date,customer_id,amount,customer_name,phone,email\nX1,2025-01-01,Z1,1.00,王大锤,13812345678,wang.fang@example.com\n"
		if err := os.WriteFile(other, []byte(csv), 0o644); err != nil {
			t.Fatal(err)
		}
		b := load(t, db, "b", other)
		svc := customer.NewService(db)
		for _, q := range []string{"王", "13812345678", "wang.fang@example.com", "Z1"} {
			p, err := svc.Search(ctx, b.ID, customer.Filter{Query: q})
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != 1 || p.Customers[0].Name != "王大锤" {
				t.Errorf("shop b, search %q: %+v", q, p.Customers)
			}
		}
		if p, _ := svc.Search(ctx, a.ID, customer.Filter{Query: "王大锤"}); p.Total != 0 {
			t.Errorf("shop a finds shop b's customer: %+v", p.Customers)
		}
		// Shop b has one customer; shop a's others are not found through it.
		for id := int64(2); id <= 7; id++ {
			if _, err := svc.Get(ctx, b.ID, id); guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
				t.Errorf("Get(shop b, %d) = %v, want ENOTFOUND", id, err)
			}
		}
	})
}

func TestGet(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sh := load(t, db, "s1", "../importer/testdata/orders.csv")
		svc := customer.NewService(db)
		wang := idOf(t, db, sh.ID, "A1")
		c, err := svc.Get(ctx, sh.ID, wang)
		if err != nil {
			t.Fatal(err)
		}
		if c.Name != "王芳" || c.Phone != "13812345678" || c.Email != "wang.fang@example.com" || c.Province != "浙江省" ||
			c.City != "杭州市" || c.MergedInto != 0 || c.CreatedAt.IsZero() {
			t.Errorf("王芳: %+v", c)
		}
		if _, err := svc.Get(ctx, sh.ID, 999); guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
			t.Errorf("Get(999) = %v, want ENOTFOUND", err)
		}

		// A merged-away customer names its survivor, through merges of
		// merges: K3 is merged into K2 (same phone), then K2 into K1.
		chain := filepath.Join(t.TempDir(), "chain.csv")
		csv := `order_id,order_date,customer_id,amount,customer_name,phone,email
M1,2025-01-01,K1,1.00,一,,k1@example.com
M2,2025-01-02,K2,1.00,二,13900000002,
M3,2025-01-03,K3,1.00,三,,k3@example.com
M4,2025-01-04,K3,1.00,三,13900000002,
M5,2025-01-05,K1,1.00,一,13900000002,
`
		if err := os.WriteFile(chain, []byte(csv), 0o644); err != nil {
			t.Fatal(err)
		}
		ch := load(t, db, "chain", chain)
		for id, want := range map[int64]int64{1: 0, 2: 1, 3: 1} {
			c, err := svc.Get(ctx, ch.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			if c.MergedInto != want {
				t.Errorf("customer %d: merged into %d, want %d", id, c.MergedInto, want)
			}
		}

		// Tags and consent, as later features will write them.
		if _, err := db.Exec(ctx, `UPDATE customers SET tags = ? WHERE shop_id = ? AND id = ?`, `["VIP","茶友"]`, sh.ID, wang); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO customer_consents (shop_id, customer_id, channel, purpose, granted, source, at) VALUES (?, ?, 'sms', 'marketing', ?, 'ui', ?), (?, ?, 'email', 'marketing', ?, 'import:shopify', ?)`,
			sh.ID, wang, false, clock.Now().Unix(), sh.ID, wang, true, clock.Now().Unix()); err != nil {
			t.Fatal(err)
		}
		c, _ = svc.Get(ctx, sh.ID, wang)
		if !slices.Equal(c.Tags, []string{"VIP", "茶友"}) {
			t.Errorf("tags %q", c.Tags)
		}
		cs, err := svc.Consents(ctx, sh.ID, wang)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 2 || cs[0].Channel != "email" || !cs[0].Granted || cs[1].Channel != "sms" || cs[1].Granted || cs[1].Source != "ui" ||
			!cs[1].At.Equal(clock.Now()) {
			t.Errorf("consents %+v", cs)
		}

		idents, err := svc.Identities(ctx, sh.ID, wang)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, i := range idents {
			got = append(got, i.Platform+"/"+i.Kind+"/"+i.Value)
		}
		want := []string{"/email/wang.fang@example.com", "/phone/13812345678", "generic/customer_id/C1", "generic/customer_id/C3", "generic/customer_id/C5"}
		if !slices.Equal(got, want) {
			t.Errorf("identities\n got %q\nwant %q", got, want)
		}

		st, err := svc.Stats(ctx, sh.ID, wang)
		if err != nil {
			t.Fatal(err)
		}
		if st.CustomerID != wang || st.Orders != 3 || st.PurchaseDays != 2 || st.TotalSpent != 20050 || st.Refunded != 5000 ||
			st.FirstPurchaseAt == 0 || st.LastPurchaseAt < st.FirstPurchaseAt || st.AvgSpent() != 6683 {
			t.Errorf("stats %+v", st)
		}
		if st, err := svc.Stats(ctx, sh.ID, 999); err != nil || st.Orders != 0 || st.CustomerID != 999 {
			t.Errorf("stats of nobody: %+v, %v", st, err)
		}
	})
}
