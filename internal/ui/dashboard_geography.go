package ui

import (
	"context"
	"html/template"
	"net/http"
	"slices"

	"github.com/guanxi-crm/guanxi/internal/report"
)

// provincesCharted is how many provinces the bar chart shows; the table
// and the CSV have them all.
const provincesCharted = 20

// dashboardGeographyPage is sales by ship-to province.
type dashboardGeographyPage struct {
	dashTab
	Provinces *report.Cube // by province, most revenue first
	Charts    template.JS
}

func (u *UI) dashboardGeographyData(ctx context.Context, shopID int64) (*dashboardGeographyPage, error) {
	rs, err := u.reports()
	if err != nil {
		return nil, err
	}
	p := &dashboardGeographyPage{dashTab: dashTab{"geography"}}
	if p.Provinces, err = rs.Cube(ctx, shopID, report.CubeQuery{By: []string{"province"}}); err != nil {
		return nil, err
	}
	slices.SortStableFunc(p.Provinces.Rows, func(a, b report.CubeRow) int {
		if a.Revenue != b.Revenue {
			return int(b.Revenue - a.Revenue)
		}
		return int(b.Orders - a.Orders)
	})
	return p, nil
}

// dashboardGeography: GET /s/{shop}/dashboard/geography.
func (u *UI) dashboardGeography(w http.ResponseWriter, r *http.Request, rq *request) {
	p, err := u.dashboardGeographyData(r.Context(), rq.shop.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	v := u.view(r, rq, "dashboard", p)
	names, revenue, orders, customers := []string{}, []float64{}, []int64{}, []int64{}
	for _, row := range p.Provinces.Rows[:min(len(p.Provinces.Rows), provincesCharted)] {
		names = append(names, provinceName(v, row.Keys[0]))
		revenue = append(revenue, major(row.Revenue))
		orders = append(orders, row.Orders)
		customers = append(customers, row.Customers)
	}
	d := map[string]any{"provinces": names, "revenue": revenue, "orders": orders, "customers": customers,
		"labels": map[string]string{"revenue": v.T("dashboard.revenue"), "orders": v.T("dashboard.orders"), "customers": v.T("dashboard.customers")}}
	if p.Charts, err = chartJSON(d); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, http.StatusOK, "dashboard_geography", "", v)
}

// provinceName shows a province, or says it is unknown.
func provinceName(v *view, p string) string {
	if p == "" {
		return v.T("dashboard.province_unknown")
	}
	return p
}

// ProvinceName is provinceName for templates.
func (v *view) ProvinceName(p string) string { return provinceName(v, p) }
