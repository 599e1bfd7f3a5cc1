package ui

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/order"
	"github.com/guanxi-crm/guanxi/internal/privacy"
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
	Events     []customer.Event
	Timeline   []timelineItem
	Merges     []customer.MergeRecord  // merges into this customer, latest first
	Points     *pointsCard             // nil when the server runs without loyalty
	Desk       *customerDesk           // tickets and follow-up tasks; nil without the service desk
	ConsentLog []privacy.ConsentChange // every grant and withdrawal, newest first; nil without the privacy tools
	Erased     *privacy.Erasure        // set when the customer's personal data was erased
	Saved      string                  // "erased" just erased, "1" just edited, "note" a note just added, "points" points adjusted, "merged", "undone", "undone_kept": say so
}

// timelineShown is how many of a customer's latest other events their page lists.
const timelineShown = 100

// customerShow shows a customer's profile, identities, consent, statistics,
// timeline and orders with their lines. A merged-away customer's URL leads
// to the customer they were merged into; a customer of another shop is not
// found.
func (u *UI) customerShow(w http.ResponseWriter, r *http.Request, rq *request) {
	p, err := u.customerPageData(r, rq)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if p.C.MergedInto != 0 {
		http.Redirect(w, r, "/s/"+rq.shop.Code+"/customers/"+strconv.FormatInt(p.C.MergedInto, 10), http.StatusFound)
		return
	}
	p.Saved = r.URL.Query().Get("saved")
	u.render(w, r, rq, http.StatusOK, "customer_show", "", u.view(r, rq, "customers", p))
}

// customerID reads the {id} of a customer URL.
func customerID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, guanxi.Errorf(guanxi.ENOTFOUND, "no customer %q", r.PathValue("id"))
	}
	return id, nil
}

// customerPageData reads everything the customer page shows. For a
// merged-away customer it stops after the profile, whose MergedInto says
// where to go.
func (u *UI) customerPageData(r *http.Request, rq *request) (*customerPage, error) {
	id, err := customerID(r)
	if err != nil {
		return nil, err
	}
	ctx, shopID := r.Context(), rq.shop.ID
	c, err := u.cfg.Customers.Get(ctx, shopID, id)
	if err != nil {
		return nil, err
	}
	p := &customerPage{C: c}
	if c.MergedInto != 0 {
		return p, nil
	}
	if p.Stats, err = u.cfg.Customers.Stats(ctx, shopID, id); err != nil {
		return nil, err
	}
	if p.Identities, err = u.cfg.Customers.Identities(ctx, shopID, id); err != nil {
		return nil, err
	}
	if p.Consents, err = u.cfg.Customers.Consents(ctx, shopID, id); err != nil {
		return nil, err
	}
	if p.Orders, err = u.cfg.Orders.ByCustomer(ctx, shopID, id, ordersShown+1); err != nil {
		return nil, err
	}
	if p.Events, err = u.cfg.Customers.Timeline(ctx, shopID, id, timelineShown); err != nil {
		return nil, err
	}
	if p.Merges, err = u.cfg.Customers.Merges(ctx, shopID, id); err != nil {
		return nil, err
	}
	if u.cfg.Scores != nil {
		if p.Score, err = u.cfg.Scores.Card(ctx, shopID, id); err != nil && guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
			return nil, err
		}
	}
	if p.Points, err = u.pointsOf(r, rq, id); err != nil {
		return nil, err
	}
	if p.Desk, err = u.deskOf(r, rq, id); err != nil {
		return nil, err
	}
	if u.cfg.Privacy != nil {
		if p.ConsentLog, err = u.cfg.Privacy.ConsentHistory(ctx, shopID, id); err != nil {
			return nil, err
		}
		if p.Erased, err = u.cfg.Privacy.Erased(ctx, shopID, id); err != nil {
			return nil, err
		}
	}
	if len(p.Orders) > ordersShown {
		p.Orders, p.MoreOrders = p.Orders[:ordersShown], true
	}
	p.Timeline = timelineOf(p.Orders, p.Events)
	return p, nil
}

// timelineItem is one entry of the merged timeline: an order or an event.
type timelineItem struct {
	At    time.Time
	Order *order.Order
	Event *customer.Event
}

// timelineOf interleaves orders and events, newest first.
func timelineOf(orders []order.Order, events []customer.Event) []timelineItem {
	out := make([]timelineItem, 0, len(orders)+len(events))
	for i := range orders {
		out = append(out, timelineItem{At: orders[i].PlacedAt, Order: &orders[i]})
	}
	for i := range events {
		out = append(out, timelineItem{At: events[i].At, Event: &events[i]})
	}
	slices.SortStableFunc(out, func(a, b timelineItem) int { return b.At.Compare(a.At) })
	return out
}
