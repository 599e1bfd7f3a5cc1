package api

import (
	"context"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/order"
)

// earn credits (or, after a refund, reverses) the points of orders just
// written by POST/PUT or the webhook, one cheap Earn per order. The orders
// are written already, so a failure is logged rather than answered: the
// daily loyalty job earns what was missed. Pending and guest orders earn
// nothing, which is not a failure.
func (a *API) earn(ctx context.Context, shopID int64, written []order.Written) {
	if a.cfg.Loyalty == nil {
		return
	}
	for _, w := range written {
		if w.Result == importer.Unchanged {
			continue
		}
		if _, err := a.cfg.Loyalty.Earn(ctx, shopID, w.ID); err != nil && guanxi.ErrorCode(err) == guanxi.EINTERNAL {
			a.cfg.Log.Error("points not earned for order", "shop", shopID, "order", w.ID, "err", err)
		}
	}
}
