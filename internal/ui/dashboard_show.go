package ui

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/export"
	"github.com/guanxi-crm/guanxi/internal/report"
)

// dashboardPage is the shop overview: each chart's numbers, shown as a
// chart by dashboard.js and as a table beside it.
type dashboardPage struct {
	Run       *report.Run // nil until the shop is scored
	Monthly   *report.Cube
	Segments  []report.Count
	Lifecycle []report.Count
	// Charts is the same data for the script, as JSON in the page (not
	// run: CSP allows scripts from this server only). json.Marshal escapes
	// <, > and &, so the JSON cannot close its <script> element.
	Charts template.JS
}

// chartData is what dashboard.js draws.
type chartData struct {
	Months    []string        `json:"months"`
	Revenue   []float64       `json:"revenue"` // major units
	Orders    []int64         `json:"orders"`
	Customers []int64         `json:"customers"`
	Segments  []labelCount    `json:"segments"`
	Lifecycle []labelCount    `json:"lifecycle"`
	Pareto    [][2]float64    `json:"pareto"`
	Labels    map[string]any  `json:"labels"`
	Empty     map[string]bool `json:"empty"`
}

type labelCount struct {
	Label string `json:"label"`
	Value int64  `json:"value"`
}

// dashboardData reads the overview's numbers.
func (u *UI) dashboardData(ctx context.Context, shopID int64) (*dashboardPage, error) {
	if u.cfg.Reports == nil {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "dashboards are not available")
	}
	p := &dashboardPage{}
	var err error
	if p.Monthly, err = u.cfg.Reports.Cube(ctx, shopID, report.CubeQuery{By: []string{"month"}}); err != nil {
		return nil, err
	}
	if run, err := u.cfg.Reports.LatestRun(ctx, shopID); err == nil {
		p.Run = run
	} else if guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
		return nil, err
	}
	if p.Segments, err = u.cfg.Reports.ScoreCounts(ctx, shopID, "segment"); err != nil {
		return nil, err
	}
	if p.Lifecycle, err = u.cfg.Reports.ScoreCounts(ctx, shopID, "lifecycle"); err != nil {
		return nil, err
	}
	return p, nil
}

// dashboardCSV: GET /s/{shop}/dashboard/{chart}, one chart's numbers as CSV
// (UTF-8 with a byte order mark, for Excel): monthly.csv, segments.csv,
// lifecycle.csv or pareto.csv.
func (u *UI) dashboardCSV(w http.ResponseWriter, r *http.Request, rq *request) {
	p, err := u.dashboardData(r.Context(), rq.shop.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	var header []string
	var rows [][]any
	counts := func(cs []report.Count) {
		for _, c := range cs {
			rows = append(rows, []any{c.Value, c.Customers})
		}
	}
	switch chart := r.PathValue("chart"); chart {
	case "monthly.csv":
		header = []string{"month", "revenue", "orders", "customers", "aov"}
		for _, row := range p.Monthly.Rows {
			rows = append(rows, []any{row.Keys[0], row.Revenue, row.Orders, row.Customers, row.AOV})
		}
	case "segments.csv":
		header = []string{"segment", "customers"}
		counts(p.Segments)
	case "lifecycle.csv":
		header = []string{"lifecycle", "customers"}
		counts(p.Lifecycle)
	case "pareto.csv":
		header = []string{"customer_share", "revenue_share"}
		if p.Run != nil {
			for _, pt := range p.Run.Pareto {
				rows = append(rows, []any{strconv.FormatFloat(pt[0], 'f', 4, 64), strconv.FormatFloat(pt[1], 'f', 4, 64)})
			}
		}
	default:
		u.fail(w, r, rq, guanxi.Errorf(guanxi.ENOTFOUND, "no chart %q", chart))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+rq.shop.Code+"-"+r.PathValue("chart")+`"`)
	c := export.NewCSV(w, export.WithBOM())
	if err := c.WriteHeader(header); err != nil {
		u.log.Warn("dashboard csv", "err", err)
		return
	}
	for _, row := range rows {
		if err := c.WriteRow(row); err != nil {
			u.log.Warn("dashboard csv", "err", err)
			return
		}
	}
	if err := c.Close(); err != nil {
		u.log.Warn("dashboard csv", "err", err)
	}
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
	}, Empty: map[string]bool{}}
	for _, row := range p.Monthly.Rows {
		d.Months = append(d.Months, row.Keys[0])
		d.Revenue = append(d.Revenue, float64(row.Revenue)/100)
		d.Orders = append(d.Orders, row.Orders)
		d.Customers = append(d.Customers, row.Customers)
	}
	for _, c := range p.Segments {
		d.Segments = append(d.Segments, labelCount{v.Label("segment.", c.Value), c.Customers})
	}
	for _, c := range p.Lifecycle {
		d.Lifecycle = append(d.Lifecycle, labelCount{v.Label("lifecycle.", c.Value), c.Customers})
	}
	if p.Run != nil {
		d.Pareto = p.Run.Pareto
	}
	b, err := json.Marshal(d)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p.Charts = template.JS(b)
	u.render(w, r, rq, http.StatusOK, "dashboard", "", v)
}
