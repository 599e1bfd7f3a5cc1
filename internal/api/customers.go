package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/customer"
)

// statsJSON is a customer's purchase statistics in the API: money in minor
// units (fen), times in RFC 3339.
type statsJSON struct {
	FirstPurchaseAt *time.Time `json:"first_purchase_at"`
	LastPurchaseAt  *time.Time `json:"last_purchase_at"`
	PurchaseDays    int64      `json:"purchase_days"`
	Orders          int64      `json:"orders"`
	TotalSpent      int64      `json:"total_spent"`
	Refunded        int64      `json:"refunded"`
}

func statsOf(s customer.Stats) statsJSON {
	out := statsJSON{PurchaseDays: s.PurchaseDays, Orders: s.Orders, TotalSpent: s.TotalSpent, Refunded: s.Refunded}
	if s.FirstPurchaseAt > 0 {
		f, l := time.Unix(s.FirstPurchaseAt, 0).UTC(), time.Unix(s.LastPurchaseAt, 0).UTC()
		out.FirstPurchaseAt, out.LastPurchaseAt = &f, &l
	}
	return out
}

// contact shows a phone or e-mail whole to a token with customers:pii,
// masked (138****5678) to any other.
func contact(t *auth.Token, v string, mask func(string) string) string {
	if v == "" || t.Has("customers:pii") {
		return v
	}
	return mask(v)
}

type customerRow struct {
	ID       int64     `json:"id"`
	Name     string    `json:"name"`
	Phone    string    `json:"phone"`
	Email    string    `json:"email"`
	Province string    `json:"province"`
	City     string    `json:"city"`
	Stats    statsJSON `json:"stats"`
}

type customerPage struct {
	Customers []customerRow `json:"customers"`
	Total     int           `json:"total"`
	// TotalCapped says there are more than Total: counting stops there.
	TotalCapped bool `json:"total_capped,omitempty"`
	Limit       int  `json:"limit"`
	Offset      int  `json:"offset"`
	NextOffset  *int `json:"next_offset"` // null on the last page
}

// listCustomers: GET /customers?q=&province=&segment=&lifecycle=&tier=&limit=&offset=
func (a *API) listCustomers(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	limit, offset, err := pageParams(r, 50, 200)
	if err != nil {
		return err
	}
	f := customer.Filter{Query: r.URL.Query().Get("q"), Limit: limit, Offset: offset}
	if p := r.URL.Query().Get("province"); p != "" {
		f.Province = &p
	}
	if v := r.URL.Query().Get("segment"); v != "" {
		f.Segment = &v
	}
	for _, p := range []struct {
		name  string
		dest  **string
		valid []string
	}{{"lifecycle", &f.Lifecycle, lifecycles}, {"tier", &f.Tier, tiers}} {
		if v := r.URL.Query().Get(p.name); v != "" {
			if !slices.Contains(p.valid, v) {
				return guanxi.Errorf(guanxi.EINVALID, "%s %q: expected one of %s", p.name, v, strings.Join(p.valid, ", "))
			}
			*p.dest = &v
		}
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	page, err := a.cfg.Customers.Search(ctx, t.ShopID, f)
	if err != nil {
		return err
	}
	out := customerPage{Customers: make([]customerRow, len(page.Customers)), Total: page.Total, TotalCapped: page.Capped, Limit: page.Limit, Offset: page.Offset}
	for i, c := range page.Customers {
		out.Customers[i] = customerRow{ID: c.ID, Name: c.Name, Phone: contact(t, c.Phone, guanxi.MaskPhone), Email: contact(t, c.Email, guanxi.MaskEmail),
			Province: c.Province, City: c.City, Stats: statsOf(c.Stats)}
	}
	if next := page.Offset + len(page.Customers); (next < page.Total || page.Capped && len(page.Customers) == page.Limit) && len(page.Customers) > 0 {
		out.NextOffset = &next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type identityJSON struct {
	Platform string `json:"platform"`
	Kind     string `json:"kind"`
	Value    string `json:"value"`
	// Hashed: Value is the keyed hash a phone or e-mail is stored as,
	// which no record of the customer's holds in full any more.
	Hashed bool `json:"hashed,omitempty"`
}

type customerJSON struct {
	ID         int64          `json:"id"`
	Name       string         `json:"name"`
	Gender     string         `json:"gender"`
	Birthday   string         `json:"birthday"`
	Phone      string         `json:"phone"`
	Email      string         `json:"email"`
	Province   string         `json:"province"`
	City       string         `json:"city"`
	Tags       []string       `json:"tags"`
	MergedInto *int64         `json:"merged_into"` // the surviving customer when this one was merged away
	Version    int64          `json:"version"`     // what an edit names (If-Match) to be made on this state
	Identities []identityJSON `json:"identities"`
	Stats      statsJSON      `json:"stats"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// getCustomer: GET /customers/{id}. A customer of another shop is not
// found, exactly like one that does not exist.
func (a *API) getCustomer(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	return a.writeCustomer(ctx, w, t, id)
}

// writeCustomer answers with the customer as it stands, its version as
// the ETag.
func (a *API) writeCustomer(ctx context.Context, w http.ResponseWriter, t *auth.Token, id int64) error {
	c, err := a.cfg.Customers.Get(ctx, t.ShopID, id)
	if err != nil {
		return err
	}
	ids, err := a.cfg.Customers.Identities(ctx, t.ShopID, id)
	if err != nil {
		return err
	}
	st, err := a.cfg.Customers.Stats(ctx, t.ShopID, id)
	if err != nil {
		return err
	}
	out := customerJSON{ID: c.ID, Name: c.Name, Gender: c.Gender, Birthday: c.Birthday,
		Phone: contact(t, c.Phone, guanxi.MaskPhone), Email: contact(t, c.Email, guanxi.MaskEmail),
		Province: c.Province, City: c.City, Tags: c.Tags, Version: c.Version, Identities: identitiesOf(t, ids), Stats: statsOf(st),
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if c.MergedInto != 0 {
		out.MergedInto = &c.MergedInto
	}
	setVersion(w, c.Version)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// identitiesOf shows identities, phones and e-mails masked without
// customers:pii.
func identitiesOf(t *auth.Token, ids []customer.Identity) []identityJSON {
	out := []identityJSON{}
	for _, i := range ids {
		v := i.Value
		switch strings.ToLower(i.Kind) {
		case "phone":
			v = contact(t, v, guanxi.MaskPhone)
		case "email":
			v = contact(t, v, guanxi.MaskEmail)
		}
		if i.Hashed {
			v = i.Value
		}
		out = append(out, identityJSON{Platform: i.Platform, Kind: i.Kind, Value: v, Hashed: i.Hashed})
	}
	return out
}

type scoresJSON struct {
	AsOf          string   `json:"as_of"`
	RecencyDays   int64    `json:"recency_days"`
	Frequency     int64    `json:"frequency"`
	Monetary      int64    `json:"monetary"`
	R             int64    `json:"r"`
	F             int64    `json:"f"`
	M             int64    `json:"m"`
	SegmentCN     string   `json:"segment_cn"`
	Segment       string   `json:"segment"`
	Lifecycle     string   `json:"lifecycle"`
	Tier          string   `json:"tier"`
	ChurnRisk     string   `json:"churn_risk"`
	ChurnReason   string   `json:"churn_reason"`
	ChurnReasonEN string   `json:"churn_reason_en"`
	PAlive        *float64 `json:"p_alive"` // null when the shop's history was not enough for the model
	Expected90d   *float64 `json:"expected_90d"`
	CLV12m        *int64   `json:"clv_12m"` // minor units
	ClusterZH     string   `json:"cluster_zh"`
	ClusterEN     string   `json:"cluster_en"`
	NextProduct   string   `json:"next_product"`
}

// getScores: GET /customers/{id}/scores, the latest score run's figures.
func (a *API) getScores(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	c, err := a.cfg.Scores.Card(ctx, t.ShopID, id)
	if err != nil {
		return err
	}
	out := scoresJSON{AsOf: c.AsOf, RecencyDays: c.RecencyDays, Frequency: c.Frequency, Monetary: int64(c.Monetary),
		R: c.R, F: c.F, M: c.M, SegmentCN: c.SegmentCN, Segment: c.Segment, Lifecycle: c.Lifecycle, Tier: c.Tier,
		ChurnRisk: c.ChurnRisk, ChurnReason: c.ChurnReason, ChurnReasonEN: c.ChurnReasonEN,
		ClusterZH: c.ClusterZH, ClusterEN: c.ClusterEN, NextProduct: c.NextProduct}
	if c.Model {
		p, e, v := c.PAlive, c.Expected90, int64(c.CLV)
		out.PAlive, out.Expected90d, out.CLV12m = &p, &e, &v
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
