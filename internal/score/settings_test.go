package score_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/demo/demotest"
	"github.com/guanxi-crm/guanxi/internal/score"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// A shop's own lifecycle thresholds are kept and applied; what it leaves
// unset stays derived from its data; nonsense is refused.
func TestScoreSettings(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		end := time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
		sh := demotest.Shop(t, db, "d1", end, 300, 900)
		svc := score.NewService(db, guanxi.FixedClock(end), slog.New(slog.DiscardHandler))
		var st score.Settings
		if err := st.ParseLifecycle("dormant=40, churned=100"); err != nil {
			t.Fatal(err)
		}
		d := 0.02
		st.MonthlyDiscount = &d
		if err := svc.SaveSettings(ctx, sh.ID, st); err != nil {
			t.Fatal(err)
		}
		res, err := svc.Run(ctx, sh, end.In(sh.Location()))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(res.Rules, "dormant > 40 days, churned > 100 days") || !strings.Contains(res.Rules, "set for the shop: dormant=40, churned=100; the rest") {
			t.Errorf("rules %q", res.Rules)
		}
		var wrong int64
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM customer_scores WHERE shop_id = ? AND ((recency_days > 100) <> (lifecycle = 'churned') OR (recency_days > 40 AND recency_days <= 100) <> (lifecycle = 'dormant'))`, sh.ID).Scan(&wrong); err != nil || wrong != 0 {
			t.Errorf("%d customers staged against the shop's thresholds (%v)", wrong, err)
		}
		got, err := svc.Settings(ctx, sh.ID)
		if err != nil || got.DormantDays == nil || *got.DormantDays != 40 || got.NewDays != nil || got.MonthlyDiscount == nil || *got.MonthlyDiscount != 0.02 {
			t.Errorf("settings read back %+v %v", got, err)
		}
		for _, bad := range []string{"dormant=0", "sleepy=30", "dormant=x", "dormant=90,churned=60"} {
			var b score.Settings
			err := b.ParseLifecycle(bad)
			if err == nil {
				err = svc.SaveSettings(ctx, sh.ID, b)
			}
			if guanxi.ErrorCode(err) != guanxi.EINVALID {
				t.Errorf("%q: %v, want EINVALID", bad, err)
			}
		}
		// A set threshold that contradicts a derived one fails the run with
		// a message, rather than staging customers by nonsense.
		var late score.Settings
		_ = late.ParseLifecycle("dormant=5000")
		if err := svc.SaveSettings(ctx, sh.ID, late); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Run(ctx, sh, end.In(sh.Location())); guanxi.ErrorCode(err) != guanxi.EINVALID || !strings.Contains(err.Error(), "before churned") {
			t.Errorf("contradicting thresholds: %v", err)
		}
		if err := late.ParseLifecycle("auto"); err != nil || late.DormantDays != nil {
			t.Errorf("auto: %+v %v", late, err)
		}
	})
}
