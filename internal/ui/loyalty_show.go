package ui

import (
	"html/template"
	"net/http"
	"strconv"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/internal/loyalty"
)

// forecastMonths is how many months the loyalty page forecasts expiry for:
// this month and the next 12, so points earned today under the default
// 12-month expiry are in it.
const forecastMonths = 13

// loyaltySvc returns the loyalty service, or ENOTFOUND when the server runs
// without one.
func (u *UI) loyaltySvc() (*loyalty.Service, error) {
	if u.cfg.Loyalty == nil {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "points are not available")
	}
	return u.cfg.Loyalty, nil
}

// tierRow is one row of the settings form's tier table: a name and its
// threshold as typed (yuan for spend, a whole number for points).
type tierRow struct {
	Name      string
	Threshold string
}

// loyaltyForm is the settings form as shown or as typed.
type loyaltyForm struct {
	PointsPerYuan string
	PointValue    string // yuan
	ExpiryMonths  string
	TierBasis     string
	Tiers         []tierRow
}

// loyaltyPage is the shop's 会员与积分 page.
type loyaltyPage struct {
	Form      loyaltyForm
	Liability loyalty.Liability
	Forecast  []loyalty.MonthPoints
	Tiers     []loyalty.TierCount
	Charts    template.JS
	CanEdit   bool
	Saved     bool
	Error     string
}

// emptyTierRows is how many blank tier rows the form offers for new tiers.
const emptyTierRows = 2

// formOf shows saved settings in the form.
func formOf(st loyalty.Settings) loyaltyForm {
	f := loyaltyForm{PointsPerYuan: strconv.FormatInt(st.PointsPerYuan, 10), PointValue: st.PointValue.String(),
		ExpiryMonths: strconv.Itoa(st.ExpiryMonths), TierBasis: st.TierBasis}
	for _, t := range st.Tiers {
		th := t.MinSpend.String()
		if st.TierBasis == loyalty.BasisPoints {
			th = strconv.FormatInt(t.MinPoints, 10)
		}
		f.Tiers = append(f.Tiers, tierRow{Name: t.Name, Threshold: th})
	}
	return f
}

// loyaltyShow shows the shop's points rules (a form for admins), what it
// owes in points, the points due to expire month by month and how many
// members each tier holds.
func (u *UI) loyaltyShow(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.loyaltySvc()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	st, err := svc.Settings(r.Context(), rq.shop.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &loyaltyPage{Form: formOf(st), Saved: r.URL.Query().Get("saved") == "1"}
	u.renderLoyalty(w, r, rq, http.StatusOK, p)
}

// renderLoyalty reads the page's figures and renders it with the form p
// holds (saved or as typed).
func (u *UI) renderLoyalty(w http.ResponseWriter, r *http.Request, rq *request, status int, p *loyaltyPage) {
	svc, err := u.loyaltySvc()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	ctx, shopID := r.Context(), rq.shop.ID
	p.CanEdit = rq.role == auth.RoleAdmin
	for len(p.Form.Tiers) < emptyTierRows || p.Form.Tiers[len(p.Form.Tiers)-1].Name != "" {
		p.Form.Tiers = append(p.Form.Tiers, tierRow{})
		if len(p.Form.Tiers) >= 20 {
			break
		}
	}
	if p.Liability, err = svc.Liability(ctx, shopID); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if p.Forecast, err = svc.ExpiryForecast(ctx, shopID, u.clock.Now().In(rq.shop.Location()), forecastMonths); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if p.Tiers, err = svc.TierCounts(ctx, shopID); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	chart := struct {
		Months []string          `json:"expiry_months"`
		Points []int64           `json:"expiry_points"`
		Labels map[string]string `json:"labels"`
	}{Labels: map[string]string{"points": i18n.T(rq.locale, "loyalty.points")}}
	for _, m := range p.Forecast {
		chart.Months = append(chart.Months, m.Month)
		chart.Points = append(chart.Points, m.Points)
	}
	if p.Charts, err = chartJSON(chart); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, status, "loyalty", "", u.view(r, rq, "loyalty", p))
}
