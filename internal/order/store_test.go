package order_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/order"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

var clock = guanxi.FixedClock(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))

func load(t *testing.T, db *store.DB, code string, files ...string) *shop.Shop {
	t.Helper()
	ctx := context.Background()
	sh := &shop.Shop{Code: code}
	if err := shop.NewService(db, clock).Create(ctx, sh); err != nil {
		t.Fatal(err)
	}
	imp := importer.NewService(db, clock, slog.New(slog.DiscardHandler))
	for _, f := range files {
		if _, err := imp.ImportFile(ctx, sh, f, importer.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	return sh
}

func TestByCustomer(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sh := load(t, db, "s1", "../importer/testdata/orders.csv")
		lines := load(t, db, "s2", "../orderfile/testdata/generic_lines.csv")
		svc := order.NewService(db)
		var wang, ann int64
		for _, c := range []struct {
			shop int64
			ext  string
			id   *int64
		}{{sh.ID, "A1", &wang}, {lines.ID, "G-1", &ann}} {
			if err := db.QueryRow(ctx, `SELECT customer_id FROM orders WHERE shop_id = ? AND external_id = ?`, c.shop, c.ext).Scan(c.id); err != nil {
				t.Fatal(err)
			}
		}

		// 王芳: A1, A2 (5 Jan), A4 (1 Mar), A7 (a return, 4 Mar): newest first.
		os, err := svc.ByCustomer(ctx, sh.ID, wang, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range os {
			got = append(got, o.ExternalID)
		}
		if len(got) != 4 || got[0] != "A7" || got[1] != "A4" || got[3] != "A1" {
			t.Fatalf("orders of 王芳: %v, want A7, A4, A2, A1", got)
		}
		a4 := os[1]
		if a4.Status != order.StatusPartiallyRefunded || a4.Amount != 8000 || a4.Refunded != 3000 || a4.Net() != 5000 ||
			!a4.IsPurchase() || a4.Channel != "douyin" || a4.Province != "北京市" || a4.CustomerID != wang || a4.Platform != "generic" {
			t.Errorf("A4: %+v", a4)
		}
		if os[0].IsPurchase() {
			t.Errorf("A7, a return, counts as a purchase: %+v", os[0])
		}
		if limited, _ := svc.ByCustomer(ctx, sh.ID, wang, 2); len(limited) != 2 || limited[0].ExternalID != "A7" {
			t.Errorf("limit 2: %+v", limited)
		}

		// Lines, in order, with exact money.
		os, err = svc.ByCustomer(ctx, lines.ID, ann, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(os) != 1 || len(os[0].Lines) != 2 {
			t.Fatalf("Ann's orders: %+v", os)
		}
		l := os[0].Lines
		if l[0].No >= l[1].No || l[0].SKU != "S1" || l[0].Name != "Tea" || l[0].Quantity != 2 || l[0].UnitPrice != 1250 || l[0].Amount != 2500 ||
			l[1].SKU != "S2" || l[1].Quantity != 3 || l[1].UnitPrice != 17 {
			t.Errorf("lines %+v", l)
		}
		if os[0].Amount != l[0].Amount+l[1].Amount {
			t.Errorf("G-1 amount %d, want the sum of its lines", os[0].Amount)
		}

		// Get, and the shop boundary.
		o, err := svc.Get(ctx, lines.ID, os[0].ID)
		if err != nil || o.ExternalID != "G-1" || len(o.Lines) != 2 {
			t.Errorf("Get: %+v, %v", o, err)
		}
		if _, err := svc.Get(ctx, lines.ID, 99999); guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
			t.Errorf("Get(missing) = %v, want ENOTFOUND", err)
		}
		// Ids are per shop: the same numbers name other orders and customers
		// in another shop, and a shop's reads never return another's rows.
		if o, err := svc.Get(ctx, sh.ID, os[0].ID); err != nil || o.ExternalID == "G-1" {
			t.Errorf("Get in s1 of s2's order id: %+v, %v", o, err)
		}
		s2, err := svc.ByCustomer(ctx, lines.ID, wang, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range s2 {
			if o.ExternalID[0] == 'A' {
				t.Errorf("shop s2 returned shop s1's order %s", o.ExternalID)
			}
		}
	})
}
