// Package demotest imports a generated demo shop into a test database, for
// tests that need a realistic shop: several years of orders with product
// lines, provinces, channels and repeat buyers.
package demotest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/demo"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/orderfile"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Shop creates shop code in db (Asia/Shanghai) and imports a generated shop
// of about the given customers and orders whose last day is end.
func Shop(t testing.TB, db *store.DB, code string, end time.Time, customers, orders int) *shop.Shop {
	t.Helper()
	ctx := context.Background()
	clock := guanxi.FixedClock(end)
	sh := &shop.Shop{Code: code, Timezone: "Asia/Shanghai"}
	if err := shop.NewService(db, clock).Create(ctx, sh); err != nil {
		t.Fatal(err)
	}
	var recs []*orderfile.Record
	cfg := demo.Config{Seed: 7, Customers: customers, Orders: orders, End: end}
	if err := demo.Generate(cfg, func(r *orderfile.Record) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	next := func() (*orderfile.Record, error) {
		if len(recs) == 0 {
			return nil, io.EOF
		}
		r := recs[0]
		recs = recs[1:]
		return r, nil
	}
	if _, err := importer.NewService(db, clock, slog.New(slog.DiscardHandler)).ImportRecords(ctx, sh, "demo", next); err != nil {
		t.Fatal(err)
	}
	return sh
}
