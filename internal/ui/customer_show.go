package ui

import (
	"net/http"
	"strconv"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/order"
	"github.com/guanxi-crm/guanxi/internal/score"
)

// ordersShown is how many of a customer's latest orders their page lists.
const ordersShown = 100

// customerPage is one customer's page.
type customerPage struct {
	C          *customer.Customer
	Stats      customer.Stats
	Identities []customer.Identity
	Consents   []customer.Consent
	Orders     []order.Order
	MoreOrders bool        // the customer has more orders than are shown
	Score      *score.Card // nil until `guanxi score` has scored the customer
	Saved      bool        // just edited: say so
}

// customerShow shows a customer's profile, identities, consent, statistics
// and orders with their lines. A merged-away customer's URL leads to the
// customer they were merged into; a customer of another shop is not found.
func (u *UI) customerShow(w http.ResponseWriter, r *http.Request, rq *request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.ENOTFOUND, "no customer %q", r.PathValue("id")))
		return
	}
	ctx, shopID := r.Context(), rq.shop.ID
	c, err := u.cfg.Customers.Get(ctx, shopID, id)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if c.MergedInto != 0 {
		http.Redirect(w, r, "/s/"+rq.shop.Code+"/customers/"+strconv.FormatInt(c.MergedInto, 10), http.StatusFound)
		return
	}
	p := &customerPage{C: c, Saved: r.URL.Query().Get("saved") == "1"}
	if p.Stats, err = u.cfg.Customers.Stats(ctx, shopID, id); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if p.Identities, err = u.cfg.Customers.Identities(ctx, shopID, id); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if p.Consents, err = u.cfg.Customers.Consents(ctx, shopID, id); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if p.Orders, err = u.cfg.Orders.ByCustomer(ctx, shopID, id, ordersShown+1); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if u.cfg.Scores != nil {
		if p.Score, err = u.cfg.Scores.Card(ctx, shopID, id); err != nil && guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
			u.fail(w, r, rq, err)
			return
		}
	}
	if len(p.Orders) > ordersShown {
		p.Orders, p.MoreOrders = p.Orders[:ordersShown], true
	}
	u.render(w, r, rq, http.StatusOK, "customer_show", "", u.view(r, rq, "customers", p))
}
