package ui

import (
	"context"
	"html/template"
	"net/http"
	"slices"

	"github.com/guanxi-crm/guanxi/internal/report"
)

// dashboardCustomersPage is the customer base as the latest score run sees
// it: RFM segments, value tiers and lifecycle stages, each with its
// customers and their net spend.
type dashboardCustomersPage struct {
	dashTab
	Run       *report.Run // nil until the shop is scored
	Segments  []report.Total
	Tiers     []report.Total
	Lifecycle []report.Total
	Spend     int64 // the scored customers' net spend, minor units: what shares are of
	Charts    template.JS
}

// Share is a group's part of the scored customers' spend.
func (p *dashboardCustomersPage) Share(t report.Total) float64 {
	if p.Spend == 0 {
		return 0
	}
	return float64(t.Monetary) / float64(p.Spend)
}

// totalChart is one group of customers for dashboard.js.
type totalChart struct {
	Label     string  `json:"label"`
	Customers int64   `json:"value"`
	Revenue   float64 `json:"revenue"` // major units
	Share     float64 `json:"share"`   // percent of the scored customers' spend
}

// tierOrder and the funnel's stage order put rows in a reading order rather
// than by size.
var tierOrder = []string{"key", "ordinary", "small"}

func (u *UI) dashboardCustomersData(ctx context.Context, shopID int64) (*dashboardCustomersPage, error) {
	rs, err := u.reports()
	if err != nil {
		return nil, err
	}
	p := &dashboardCustomersPage{dashTab: dashTab{"customers"}}
	if p.Run, err = latestRun(ctx, rs, shopID); err != nil || p.Run == nil {
		return p, err
	}
	if p.Segments, err = rs.ScoreTotals(ctx, shopID, "segment"); err != nil {
		return nil, err
	}
	if p.Tiers, err = rs.ScoreTotals(ctx, shopID, "tier"); err != nil {
		return nil, err
	}
	if p.Lifecycle, err = rs.ScoreTotals(ctx, shopID, "lifecycle"); err != nil {
		return nil, err
	}
	byOrder := func(order []string) func(a, b report.Total) int {
		return func(a, b report.Total) int { return slices.Index(order, a.Value) - slices.Index(order, b.Value) }
	}
	slices.SortStableFunc(p.Tiers, byOrder(tierOrder))
	slices.SortStableFunc(p.Lifecycle, byOrder(report.LifecycleStages))
	for _, t := range p.Tiers {
		p.Spend += int64(t.Monetary)
	}
	return p, nil
}

// dashboardCustomers: GET /s/{shop}/dashboard/customers.
func (u *UI) dashboardCustomers(w http.ResponseWriter, r *http.Request, rq *request) {
	p, err := u.dashboardCustomersData(r.Context(), rq.shop.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	v := u.view(r, rq, "dashboard", p)
	charts := func(prefix string, ts []report.Total) []totalChart {
		out := []totalChart{}
		for _, t := range ts {
			out = append(out, totalChart{Label: v.Label(prefix, t.Value), Customers: t.Customers, Revenue: major(t.Monetary), Share: pct(p.Share(t))})
		}
		return out
	}
	d := map[string]any{
		"segments": charts("segment.", p.Segments), "tiers": charts("tier.", p.Tiers), "lifecycle": charts("lifecycle.", p.Lifecycle),
		"labels": map[string]string{"customers": v.T("dashboard.customers"), "revenue": v.T("dashboard.revenue"),
			"revenue_share": v.T("dashboard.revenue_share")},
	}
	if p.Charts, err = chartJSON(d); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, http.StatusOK, "dashboard_customers", "", v)
}
