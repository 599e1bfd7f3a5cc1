package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/coupon"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/loyalty"
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

// pointsJSON is a customer's points: balance, tier and a page of the ledger.
type pointsJSON struct {
	CustomerID int64       `json:"customer_id"`
	Balance    int64       `json:"balance"`
	Value      int64       `json:"value"` // minor units at the shop's point value
	Tier       string      `json:"tier"`  // "" when in none
	TierSince  *time.Time  `json:"tier_since"`
	Entries    []entryJSON `json:"entries"`
	NextBefore *int64      `json:"next_before"` // ?before= of the next page; null on the last
}

type entryJSON struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"`
	Points    int64      `json:"points"`
	OrderID   *int64     `json:"order_id"`
	Reason    string     `json:"reason"`
	Actor     string     `json:"actor"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	Key       string     `json:"idempotency_key,omitempty"`
}

func entryOut(e loyalty.Entry) entryJSON {
	out := entryJSON{ID: e.ID, Kind: e.Kind, Points: e.Points, Reason: e.Reason, Actor: e.Actor, CreatedAt: e.CreatedAt.UTC(), Key: e.Key}
	if e.OrderID != 0 {
		out.OrderID = &e.OrderID
	}
	if !e.ExpiresAt.IsZero() {
		t := e.ExpiresAt.UTC()
		out.ExpiresAt = &t
	}
	return out
}

// loyaltySvc returns the loyalty service, or ENOTFOUND when the server
// runs without one.
func (a *API) loyaltySvc() (*loyalty.Service, error) {
	if a.cfg.Loyalty == nil {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "points are not available on this server")
	}
	return a.cfg.Loyalty, nil
}

// liveCustomer reads the {id} of the path and checks the token's shop has
// that customer (another shop's is not found).
func (a *API) liveCustomer(ctx context.Context, r *http.Request, t *auth.Token) (int64, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, err
	}
	if _, err := a.cfg.Customers.Get(ctx, t.ShopID, id); err != nil {
		return 0, err
	}
	return id, nil
}

// getPoints answers GET /customers/{id}/points: the balance, tier and one
// page of the ledger, newest first (?limit=, ?before=).
func (a *API) getPoints(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.loyaltySvc()
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	before, err := queryInt(r, "before", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	id, err := a.liveCustomer(ctx, r, t)
	if err != nil {
		return err
	}
	out := pointsJSON{CustomerID: id, Entries: []entryJSON{}}
	if out.Balance, err = svc.Balance(ctx, t.ShopID, id); err != nil {
		return err
	}
	st, err := svc.Settings(ctx, t.ShopID)
	if err != nil {
		return err
	}
	out.Value = out.Balance * int64(st.PointValue)
	tier, since, err := svc.CustomerTier(ctx, t.ShopID, id)
	if err != nil {
		return err
	}
	if out.Tier = tier; tier != "" {
		s := since.UTC()
		out.TierSince = &s
	}
	entries, err := svc.Ledger(ctx, t.ShopID, id, int64(before), limit+1)
	if err != nil {
		return err
	}
	if len(entries) > limit {
		entries = entries[:limit]
		next := entries[limit-1].ID
		out.NextBefore = &next
	}
	for _, e := range entries {
		out.Entries = append(out.Entries, entryOut(e))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// pointsInput is the body of POST /customers/{id}/points.
type pointsInput struct {
	Action         string `json:"action"` // adjust or redeem
	Points         int64  `json:"points"`
	Reason         string `json:"reason"`
	IdempotencyKey string `json:"idempotency_key"`
}

// postPoints answers POST /customers/{id}/points: an adjustment (signed
// points, a reason required) or a redemption (positive points, with an
// idempotency key so a retry spends once: a repeat of the key with the same
// customer and points answers the first entry with 200).
func (a *API) postPoints(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.loyaltySvc()
	if err != nil {
		return err
	}
	var in pointsInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	id, err := a.liveCustomer(ctx, r, t)
	if err != nil {
		return err
	}
	var e loyalty.Entry
	switch in.Action {
	case "adjust":
		if in.IdempotencyKey != "" {
			return guanxi.Errorf(guanxi.EINVALID, "idempotency_key: only a redemption takes one")
		}
		e, err = svc.Adjust(ctx, t.ShopID, id, in.Points, in.Reason)
	case "redeem":
		key := strings.TrimSpace(in.IdempotencyKey)
		if key == "" || len(key) > 200 {
			return guanxi.Errorf(guanxi.EINVALID, "idempotency_key: required for a redemption, at most 200 bytes")
		}
		key = "api:" + key // apart from the keys Guanxi writes itself (order:ID)
		e, err = svc.Redeem(ctx, t.ShopID, id, in.Points, in.Reason, key)
		if guanxi.ErrorCode(err) == guanxi.ECONFLICT {
			if first, kerr := svc.EntryByKey(ctx, t.ShopID, key); kerr == nil {
				if first.CustomerID != id || first.Points != -in.Points {
					return guanxi.Errorf(guanxi.ECONFLICT, "idempotency_key: already used for another redemption")
				}
				writeJSON(w, http.StatusOK, entryOut(first))
				return nil
			}
		}
	default:
		return guanxi.Errorf(guanxi.EINVALID, "action: must be adjust or redeem")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, entryOut(e))
	return nil
}

// couponTemplateJSON is a coupon template with its figures.
type couponTemplateJSON struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Kind       string     `json:"kind"`
	Value      int64      `json:"value"`
	MinSpend   int64      `json:"min_spend"`
	ValidDays  int        `json:"valid_days"`
	EndsAt     *time.Time `json:"ends_at"`
	CodePrefix string     `json:"code_prefix"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	Issued     int64      `json:"issued"`
	Redeemed   int64      `json:"redeemed"`
	Rate       float64    `json:"redemption_rate"`
	Discount   int64      `json:"discount"`
}

// coupons returns the coupon service, or ENOTFOUND when the server runs
// without one.
func (a *API) coupons() (*coupon.Service, error) {
	if a.cfg.Coupons == nil {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "coupons are not available on this server")
	}
	return a.cfg.Coupons, nil
}

// listCouponTemplates answers GET /coupon-templates: every template of the
// shop with its figures, newest first.
func (a *API) listCouponTemplates(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.coupons()
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	list, err := svc.List(ctx, t.ShopID)
	if err != nil {
		return err
	}
	out := struct {
		Templates []couponTemplateJSON `json:"templates"`
	}{Templates: []couponTemplateJSON{}}
	for _, s := range list {
		j := couponTemplateJSON{ID: s.ID, Name: s.Name, Kind: s.Kind, Value: s.Value, MinSpend: int64(s.MinSpend), ValidDays: s.ValidDays,
			CodePrefix: s.CodePrefix, Status: s.Status, CreatedAt: s.CreatedAt.UTC(), Issued: s.Issued, Redeemed: s.Redeemed,
			Rate: s.Rate(), Discount: int64(s.Discount)}
		if !s.EndsAt.IsZero() {
			e := s.EndsAt.UTC()
			j.EndsAt = &e
		}
		out.Templates = append(out.Templates, j)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// couponJSON is one code issued to a customer.
type couponJSON struct {
	Code         string     `json:"code"`
	TemplateID   int64      `json:"template_id"`
	TemplateName string     `json:"template_name"`
	Source       string     `json:"source"`
	IssuedAt     time.Time  `json:"issued_at"`
	ExpiresAt    time.Time  `json:"expires_at"`
	RedeemedAt   *time.Time `json:"redeemed_at"`
	OrderID      *int64     `json:"order_id"`
	Discount     int64      `json:"discount"`
}

// customerCoupons answers GET /customers/{id}/coupons: the codes issued to
// the customer, newest first (?limit=).
func (a *API) customerCoupons(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.coupons()
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 100, 1, 500)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	id, err := a.liveCustomer(ctx, r, t)
	if err != nil {
		return err
	}
	list, err := svc.ForCustomer(ctx, t.ShopID, id, limit)
	if err != nil {
		return err
	}
	out := struct {
		CustomerID int64        `json:"customer_id"`
		Coupons    []couponJSON `json:"coupons"`
	}{CustomerID: id, Coupons: []couponJSON{}}
	for _, c := range list {
		j := couponJSON{Code: c.Code, TemplateID: c.TemplateID, TemplateName: c.TemplateName, Source: c.Source,
			IssuedAt: c.IssuedAt.UTC(), ExpiresAt: c.ExpiresAt.UTC(), Discount: c.Discount}
		if !c.RedeemedAt.IsZero() {
			at, order := c.RedeemedAt.UTC(), c.OrderID
			j.RedeemedAt, j.OrderID = &at, &order
		}
		out.Coupons = append(out.Coupons, j)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
