package ui

import (
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/guanxi-crm/guanxi/internal/service"
)

// analyticsPeriods are the periods the complaint analytics offer, in months.
var analyticsPeriods = []int{3, 6, 12, 24}

type ticketAnalyticsPage struct {
	A       *service.ComplaintAnalytics
	Months  int
	Periods []int
	Charts  template.JS
}

// ticketAnalytics shows seed 002 §7.3's complaint analytics over the last
// months (12 by default, this month included): the complaints and their
// rate per 1,000 orders month by month, the Pareto of causes, the hours
// each workflow step took (p50, p90) and the customers who complained more
// than once. The charts are drawn by ticket_analytics.js from the page's
// JSON; the tables carry the same numbers.
func (u *UI) ticketAnalytics(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.desk()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	months, _ := strconv.Atoi(r.URL.Query().Get("months"))
	if !slices.Contains(analyticsPeriods, months) {
		months = 12
	}
	now := u.clock.Now().In(rq.shop.Location())
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location())
	from, to := first.AddDate(0, -(months-1), 0), first.AddDate(0, 1, 0)
	a, err := svc.Analytics(r.Context(), rq.shop.ID, from, to)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	type chart struct {
		Months     []string  `json:"months"`
		Complaints []int     `json:"complaints"`
		Rate       []float64 `json:"rate"`
		Causes     []string  `json:"causes"`
		Counts     []int     `json:"counts"`
		Cumulative []float64 `json:"cumulative"`
		Labels     struct {
			Complaints string `json:"complaints"`
			Rate       string `json:"rate"`
			Cumulative string `json:"cumulative"`
		} `json:"labels"`
	}
	var c chart
	for _, m := range a.Months {
		c.Months = append(c.Months, m.Month)
		c.Complaints = append(c.Complaints, m.Complaints)
		c.Rate = append(c.Rate, math.Round(m.Rate*100)/100)
	}
	for _, cs := range a.Causes {
		c.Causes = append(c.Causes, u.tr(rq, "ticket.cause."+cs.Cause))
		c.Counts = append(c.Counts, cs.Count)
		c.Cumulative = append(c.Cumulative, pct(cs.Cumulative))
	}
	c.Labels.Complaints, c.Labels.Rate, c.Labels.Cumulative = u.tr(rq, "analytics.complaints"), u.tr(rq, "analytics.rate"), u.tr(rq, "analytics.cumulative")
	p := &ticketAnalyticsPage{A: a, Months: months, Periods: analyticsPeriods}
	if p.Charts, err = chartJSON(c); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, http.StatusOK, "ticket_analytics", "", u.view(r, rq, "tickets", p))
}

// Hours formats hours with one decimal.
func (v *view) Hours(h float64) string { return strconv.FormatFloat(math.Round(h*10)/10, 'f', 1, 64) }
