package ui

import (
	"context"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/report"
)

// dashboardChurnPage is the customers at high risk of churning, most
// valuable first, to act on.
type dashboardChurnPage struct {
	dashTab
	Run      *report.Run // nil until the shop is scored
	Bands    []report.Total
	List     report.AtRiskPage
	Sort     string // clv or monetary
	From, To int    // 1-based positions of the first and last row shown
	Prev     string // URL of the previous page, "" on the first
	Next     string // URL of the next page, "" on the last
	SortURL  map[string]string
	Charts   template.JS
}

// churnBandOrder is the bands' reading order.
var churnBandOrder = map[string]int{"high": 0, "medium": 1, "low": 2}

// CLV is a listed customer's 12-month value in minor units, for Money;
// nil when the model was not fitted.
func (p *dashboardChurnPage) CLV(a report.AtRisk) any {
	if a.CLV == nil {
		return nil
	}
	return guanxi.Money(math.Round(*a.CLV * 100))
}

func (u *UI) dashboardChurnData(ctx context.Context, shopID int64, sort string, page int) (*dashboardChurnPage, error) {
	rs, err := u.reports()
	if err != nil {
		return nil, err
	}
	p := &dashboardChurnPage{dashTab: dashTab{"churn"}, Sort: sort}
	if p.Run, err = latestRun(ctx, rs, shopID); err != nil || p.Run == nil {
		return p, err
	}
	if p.Bands, err = rs.ScoreTotals(ctx, shopID, "churn_risk"); err != nil {
		return nil, err
	}
	for i := 1; i < len(p.Bands); i++ { // three rows: insertion sort by band
		for j := i; j > 0 && churnBandOrder[p.Bands[j].Value] < churnBandOrder[p.Bands[j-1].Value]; j-- {
			p.Bands[j], p.Bands[j-1] = p.Bands[j-1], p.Bands[j]
		}
	}
	if p.List, err = rs.HighChurnRisk(ctx, shopID, sort, pageSize, (page-1)*pageSize); err != nil {
		return nil, err
	}
	return p, nil
}

// dashboardChurn: GET /s/{shop}/dashboard/churn[?sort=clv|monetary&page=n].
// Phones and e-mails are masked for roles that do not see PII.
func (u *UI) dashboardChurn(w http.ResponseWriter, r *http.Request, rq *request) {
	qs := r.URL.Query()
	sort := qs.Get("sort")
	if _, ok := report.AtRiskOrders[sort]; !ok {
		sort = "clv"
	}
	page, _ := strconv.Atoi(qs.Get("page"))
	page = max(page, 1)
	p, err := u.dashboardChurnData(r.Context(), rq.shop.ID, sort, page)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	link := func(sort string, page int) string {
		keep := url.Values{}
		if sort != "clv" {
			keep.Set("sort", sort)
		}
		return pageLink(r.URL.Path, keep, page)
	}
	p.SortURL = map[string]string{"clv": link("clv", 1), "monetary": link("monetary", 1)}
	if n := len(p.List.Customers); n > 0 {
		p.From, p.To = p.List.Offset+1, p.List.Offset+n
	}
	if page > 1 {
		p.Prev = link(sort, page-1)
	}
	if p.List.Offset+len(p.List.Customers) < p.List.Total {
		p.Next = link(sort, page+1)
	}
	v := u.view(r, rq, "dashboard", p)
	bands := []labelCount{}
	for _, b := range p.Bands {
		bands = append(bands, labelCount{v.Label("churn.", b.Value), b.Customers})
	}
	if p.Charts, err = chartJSON(map[string]any{"bands": bands, "labels": map[string]string{"customers": v.T("dashboard.customers")}}); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, http.StatusOK, "dashboard_churn", "", v)
}
