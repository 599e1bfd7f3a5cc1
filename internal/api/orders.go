package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/order"
	"github.com/guanxi-crm/guanxi/internal/shop"
)

type lineJSON struct {
	No        int    `json:"no"`
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Category  string `json:"category"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
	Amount    int64  `json:"amount"`
}

// orderJSON is an order in the API: money in minor units, times in UTC.
type orderJSON struct {
	ID          int64      `json:"id"`
	Platform    string     `json:"platform"`
	ExternalID  string     `json:"external_id"`
	CustomerID  *int64     `json:"customer_id"` // null for a guest order
	Status      string     `json:"status"`
	PlacedAt    time.Time  `json:"placed_at"`
	PaidAt      *time.Time `json:"paid_at"`
	Purchase    bool       `json:"purchase"` // counts as a purchase in the customer's statistics
	Amount      int64      `json:"amount"`
	Discount    int64      `json:"discount"`
	ShippingFee int64      `json:"shipping_fee"`
	Refunded    int64      `json:"refunded"`
	Channel     string     `json:"channel"`
	Province    string     `json:"province"`
	City        string     `json:"city"`
	Lines       []lineJSON `json:"lines"`
	// Result is what a write did: created, updated or unchanged.
	Result string `json:"result,omitempty"`
}

func orderOf(o *order.Order) orderJSON {
	out := orderJSON{ID: o.ID, Platform: o.Platform, ExternalID: o.ExternalID, Status: o.Status, PlacedAt: o.PlacedAt.UTC(),
		Purchase: o.IsPurchase(), Amount: int64(o.Amount), Discount: int64(o.Discount), ShippingFee: int64(o.ShippingFee),
		Refunded: int64(o.Refunded), Channel: o.Channel, Province: o.Province, City: o.City, Lines: []lineJSON{}}
	if o.CustomerID != 0 {
		c := o.CustomerID
		out.CustomerID = &c
	}
	if !o.PaidAt.IsZero() {
		p := o.PaidAt.UTC()
		out.PaidAt = &p
	}
	for _, l := range o.Lines {
		out.Lines = append(out.Lines, lineJSON{No: l.No, SKU: l.SKU, Name: l.Name, Category: l.Category, Quantity: l.Quantity,
			UnitPrice: int64(l.UnitPrice), Amount: int64(l.Amount)})
	}
	return out
}

// getOrder: GET /orders/{id}. Another shop's order is not found.
func (a *API) getOrder(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	return getOne(w, r, t, a.cfg.Orders.Get, orderOf)
}

type orderPage struct {
	Orders     []orderJSON `json:"orders"`
	Total      int         `json:"total"`
	Limit      int         `json:"limit"`
	Offset     int         `json:"offset"`
	NextOffset *int        `json:"next_offset"`
}

// customerOrders: GET /customers/{id}/orders?limit=&offset=, newest first.
func (a *API) customerOrders(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	limit, offset, err := pageParams(r, 50, 200)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if _, err := a.cfg.Customers.Get(ctx, t.ShopID, id); err != nil {
		return err
	}
	os, total, err := a.cfg.Orders.Page(ctx, t.ShopID, id, limit, offset)
	if err != nil {
		return err
	}
	out := orderPage{Orders: make([]orderJSON, len(os)), Total: total, Limit: limit, Offset: offset}
	for i := range os {
		out.Orders[i] = orderOf(&os[i])
	}
	if next := offset + len(os); next < total && len(os) > 0 {
		out.NextOffset = &next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// tokenShop returns the token's shop.
func (a *API) tokenShop(ctx context.Context, t *auth.Token) (*shop.Shop, error) {
	return a.cfg.Shops.ByID(ctx, t.ShopID)
}

// postOrder: POST /orders. Creates the order, or — when the shop has it
// (same platform and external_id) — replaces it if it changed: 201 when
// created, 200 otherwise, with the order as it stands.
func (a *API) postOrder(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	var in order.Input
	if err := decode(w, r, &in); err != nil {
		return err
	}
	return a.writeOrder(w, r, t, in)
}

// putOrder: PUT /orders/{platform}/{external_id}. The body is the whole
// order (as for POST); platform and external_id come from the path.
func (a *API) putOrder(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	var in order.Input
	if err := decode(w, r, &in); err != nil {
		return err
	}
	platform, ext := r.PathValue("platform"), r.PathValue("external_id")
	if in.Platform != "" && in.Platform != platform {
		return guanxi.Errorf(guanxi.EINVALID, "platform: %q differs from the path's %q (leave it out)", in.Platform, platform)
	}
	if in.ExternalID != "" && in.ExternalID != ext {
		return guanxi.Errorf(guanxi.EINVALID, "external_id: %q differs from the path's %q (leave it out)", in.ExternalID, ext)
	}
	in.Platform, in.ExternalID = platform, ext
	return a.writeOrder(w, r, t, in)
}

func (a *API) writeOrder(w http.ResponseWriter, r *http.Request, t *auth.Token, in order.Input) error {
	ctx, cancel := withTimeout(r)
	defer cancel()
	sh, err := a.tokenShop(ctx, t)
	if err != nil {
		return err
	}
	written, err := a.cfg.Writer.Write(ctx, sh, []order.Input{in}, "api:token "+strconv.FormatInt(t.ID, 10), nil)
	if err != nil {
		return err
	}
	a.earn(ctx, t.ShopID, written)
	o, err := a.cfg.Orders.Get(ctx, t.ShopID, written[0].ID)
	if err != nil {
		return err
	}
	out := orderOf(o)
	out.Result = written[0].Result
	status := http.StatusOK
	if out.Result == importer.Created {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/orders/"+strconv.FormatInt(o.ID, 10))
	}
	writeJSON(w, status, out)
	return nil
}
