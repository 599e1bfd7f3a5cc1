package customer_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/demo/demotest"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestSearchWalk checks that a search with many matches, read by walking the
// recent-buyer index, gives the same pages as sorting every match, and that
// the count stops at its cap.
func TestSearchWalk(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sh := demotest.Shop(t, db, "w", time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC), 400, 1200)
		s := customer.NewService(db)
		var surname string
		if err := db.QueryRow(ctx, `SELECT substr(name, 1, 1) FROM customers WHERE shop_id = ? AND name <> '' GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1`, sh.ID).Scan(&surname); err != nil {
			t.Fatal(err)
		}
		channel, province := "", ""
		_ = db.QueryRow(ctx, `SELECT channel FROM orders WHERE shop_id = ? AND channel <> '' GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1`, sh.ID).Scan(&channel)
		_ = db.QueryRow(ctx, `SELECT province FROM customers WHERE shop_id = ? AND province <> '' GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1`, sh.ID).Scan(&province)
		filters := map[string]customer.Filter{
			"surname":          {Query: surname},
			"province":         {Province: &province},
			"channel":          {Channel: &channel},
			"surname+province": {Query: surname, Province: &province},
		}
		defer customer.SetSearchLimits(0, 0)()
		for name, f := range filters {
			for _, off := range []int{0, 7} {
				f.Limit, f.Offset = 10, off
				customer.SetSearchLimits(1_000_000, 1_000_000)
				sorted, err := s.Search(ctx, sh.ID, f)
				if err != nil {
					t.Fatal(err)
				}
				if sorted.Total < 3 {
					t.Fatalf("%s: only %d matches; the fixture needs more", name, sorted.Total)
				}
				customer.SetSearchLimits(0, 1_000_000)
				walked, err := s.Search(ctx, sh.ID, f)
				if err != nil {
					t.Fatal(err)
				}
				ids := func(p customer.Page) (out []int64) {
					for _, r := range p.Customers {
						out = append(out, r.ID)
					}
					return out
				}
				if walked.Total != sorted.Total || !slices.Equal(ids(walked), ids(sorted)) {
					t.Errorf("%s offset %d: walked %d %v, sorted %d %v", name, off, walked.Total, ids(walked), sorted.Total, ids(sorted))
				}
				customer.SetSearchLimits(0, 2)
				capped, err := s.Search(ctx, sh.ID, f)
				if err != nil {
					t.Fatal(err)
				}
				if capped.Total != 2 || !capped.Capped {
					t.Errorf("%s: capped count %d %v, want 2 and capped", name, capped.Total, capped.Capped)
				}
				// Pages go on past a capped count.
				if !slices.Equal(ids(capped), ids(sorted)) {
					t.Errorf("%s offset %d with the count capped: %v, want %v", name, off, ids(capped), ids(sorted))
				}
			}
		}
	})
}
