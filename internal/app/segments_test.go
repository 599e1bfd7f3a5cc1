package app

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/demo/demotest"
	"github.com/guanxi-crm/guanxi/internal/job"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// A score run, manual or nightly, records the day's size of each saved
// segment of the shop.
func TestScoreRecordsSegmentSizes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := openTest(t, db)
		sh := demotest.Shop(t, a.DB, "s1", time.Now(), 60, 200)
		rule, err := segment.ParseRule([]byte(`{"field": "orders_count", "op": "gte", "value": 1}`))
		if err != nil {
			t.Fatal(err)
		}
		seg := &segment.Segment{Name: "buyers", Rule: rule}
		if err := a.Segments.Create(ctx, sh.ID, seg); err != nil {
			t.Fatal(err)
		}
		want, err := a.Segments.Count(ctx, sh.ID, rule)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Score(ctx, "s1", "", false, io.Discard, nil); err != nil {
			t.Fatal(err)
		}
		now := time.Now().In(sh.Location())
		day := now.Year()*10000 + int(now.Month())*100 + now.Day()
		sizes, err := a.Segments.History(ctx, sh.ID, seg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(sizes) != 1 || sizes[0] != (segment.Size{Day: day, Customers: want}) {
			t.Errorf("after guanxi score: sizes %v, want day %d with %d customers", sizes, day, want)
		}
		// The nightly job records too: a segment saved anew has no history
		// until it runs.
		if err := a.Segments.Delete(ctx, sh.ID, seg.ID); err != nil {
			t.Fatal(err)
		}
		seg = &segment.Segment{Name: "buyers", Rule: rule}
		if err := a.Segments.Create(ctx, sh.ID, seg); err != nil {
			t.Fatal(err)
		}
		if _, err := a.scoreJob(ctx, &job.Job{ShopID: sh.ID}, func(string, float64) {}); err != nil {
			t.Fatal(err)
		}
		if sizes, err = a.Segments.History(ctx, sh.ID, seg.ID); err != nil || len(sizes) != 1 || sizes[0].Customers != want {
			t.Errorf("after the nightly job: sizes %v, %v", sizes, err)
		}
	})
}
