package app

import (
	"context"
	"fmt"

	"github.com/guanxi-crm/guanxi/internal/job"
	"github.com/guanxi-crm/guanxi/internal/shop"
)

// afterImport brings what depends on a shop's orders up to date after a
// bulk write: points for orders that earned none yet (and reversals for
// refunds), then coupons redeemed by the new orders' discount codes. Both
// are set-based and idempotent, so they run once per import, not per
// order, and a failure can be mended by the next import or the daily job.
func (a *App) afterImport(ctx context.Context, sh *shop.Shop) error {
	orders, points, err := a.Loyalty.EarnPending(ctx, sh.ID)
	if err != nil {
		return fmt.Errorf("points for imported orders of shop %s: %w", sh.Code, err)
	}
	coupons, err := a.Coupons.MatchRedemptions(ctx, sh.ID)
	if err != nil {
		return fmt.Errorf("coupons redeemed by imported orders of shop %s: %w", sh.Code, err)
	}
	if orders > 0 || coupons > 0 {
		a.Log.Info("loyalty after import", "shop", sh.Code, "orders", orders, "points", points, "coupons_redeemed", coupons)
	}
	return nil
}

// loyaltyJob is the shop's daily loyalty upkeep: points past their expiry
// are written off, orders the import path missed earn, coupons are
// matched, and every customer is put in the tier their spend or points now
// reach (up or down; each change goes on the timeline).
func (a *App) loyaltyJob(ctx context.Context, j *job.Job, progress func(string, float64)) (string, error) {
	sh, err := a.Shops.ByID(ctx, j.ShopID)
	if err != nil {
		return "", err
	}
	progress("expire", 0)
	expired, err := a.Loyalty.Expire(ctx, sh.ID, a.Clock.Now())
	if err != nil {
		return "", err
	}
	progress("earn", 0.25)
	if err := a.afterImport(ctx, sh); err != nil {
		return "", err
	}
	progress("tiers", 0.75)
	changes, err := a.Loyalty.EvaluateTiers(ctx, sh.ID)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d points expired, %d tier changes", expired, len(changes)), nil
}
