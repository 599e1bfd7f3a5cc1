package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"net/http"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/report"
)

// dashTab names the dashboard page a template shows, for the tab bar
// (dashboard_tabs.html): overview, customers, retention, geography or churn.
type dashTab struct{ Tab string }

// dashboardPage is the shop overview: each chart's numbers, shown as a
// chart by dashboard.js and as a table beside it.
type dashboardPage struct {
	dashTab
	Run     *report.Run // nil until the shop is scored
	Monthly *report.Cube
	Repeat  []report.RepeatMonth
	// Charts is the same data for the script, as JSON in the page (not
	// run: CSP allows scripts from this server only). json.Marshal escapes
	// <, > and &, so the JSON cannot close its <script> element.
	Charts template.JS
}

// chartData is what dashboard.js draws on the overview.
type chartData struct {
	Months       []string       `json:"months"`
	Revenue      []float64      `json:"revenue"` // major units
	Orders       []int64        `json:"orders"`
	Customers    []int64        `json:"customers"`
	RepeatMonths []string       `json:"repeat_months"`
	Active       []int64        `json:"active"`
	RepeatRate   []float64      `json:"repeat_rate"` // percent
	Pareto       [][2]float64   `json:"pareto"`
	Labels       map[string]any `json:"labels"`
}

type labelCount struct {
	Label string `json:"label"`
	Value int64  `json:"value"`
}

// reports returns the report service, ENOTFOUND when the server runs
// without one.
func (u *UI) reports() (*report.Service, error) {
	if u.cfg.Reports == nil {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "dashboards are not available")
	}
	return u.cfg.Reports, nil
}

// latestRun returns the shop's latest score run, nil when it was never
// scored.
func latestRun(ctx context.Context, rs *report.Service, shopID int64) (*report.Run, error) {
	run, err := rs.LatestRun(ctx, shopID)
	if guanxi.ErrorCode(err) == guanxi.ENOTFOUND {
		return nil, nil
	}
	return run, err
}

// chartJSON encodes a page's chart data for its <script type="application/json">.
func chartJSON(d any) (template.JS, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("ui: chart data: %w", err)
	}
	return template.JS(b), nil
}

// major turns minor units into major ones for a chart axis.
func major(m guanxi.Money) float64 { return float64(m) / 100 }

// pct turns a share into a percentage with one decimal, for a chart axis.
func pct(share float64) float64 { return math.Round(share*1000) / 10 }

// dashboardData reads the overview's numbers.
func (u *UI) dashboardData(ctx context.Context, shopID int64) (*dashboardPage, error) {
	rs, err := u.reports()
	if err != nil {
		return nil, err
	}
	p := &dashboardPage{dashTab: dashTab{"overview"}}
	if p.Monthly, err = rs.Cube(ctx, shopID, report.CubeQuery{By: []string{"month"}}); err != nil {
		return nil, err
	}
	if p.Repeat, err = rs.RepeatByMonth(ctx, shopID); err != nil {
		return nil, err
	}
	if p.Run, err = latestRun(ctx, rs, shopID); err != nil {
		return nil, err
	}
	return p, nil
}

// dashboardShow: GET /s/{shop}/dashboard.
func (u *UI) dashboardShow(w http.ResponseWriter, r *http.Request, rq *request) {
	p, err := u.dashboardData(r.Context(), rq.shop.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	v := u.view(r, rq, "dashboard", p)
	d := chartData{Labels: map[string]any{
		"revenue": v.T("dashboard.revenue"), "orders": v.T("dashboard.orders"), "customers": v.T("dashboard.customers"),
		"customer_share": v.T("dashboard.customer_share"), "revenue_share": v.T("dashboard.revenue_share"),
		"active": v.T("dashboard.active"), "repeat_rate": v.T("dashboard.repeat_rate"),
	}}
	for _, row := range p.Monthly.Rows {
		d.Months = append(d.Months, row.Keys[0])
		d.Revenue = append(d.Revenue, major(row.Revenue))
		d.Orders = append(d.Orders, row.Orders)
		d.Customers = append(d.Customers, row.Customers)
	}
	for _, m := range p.Repeat {
		d.RepeatMonths = append(d.RepeatMonths, m.Month)
		d.Active = append(d.Active, m.Customers)
		d.RepeatRate = append(d.RepeatRate, pct(m.Rate))
	}
	if p.Run != nil {
		d.Pareto = p.Run.Pareto
	}
	if p.Charts, err = chartJSON(d); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, http.StatusOK, "dashboard", "", v)
}
