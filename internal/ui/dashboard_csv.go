package ui

import (
	"net/http"
	"strconv"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/report"
)

// csvTable is one chart's numbers as CSV rows: strings, int64s,
// guanxi.Money (written in major units) or nil.
type csvTable struct {
	header []string
	rows   [][]any
}

// dashboardCSVs are the charts whose numbers export, by file name.
var dashboardCSVs = map[string]func(u *UI, r *http.Request, rq *request) (csvTable, error){
	"monthly.csv":     (*UI).monthlyCSV,
	"repeat.csv":      (*UI).repeatCSV,
	"pareto.csv":      (*UI).paretoCSV,
	"segments.csv":    func(u *UI, r *http.Request, rq *request) (csvTable, error) { return u.totalsCSV(r, rq, "segment") },
	"tiers.csv":       func(u *UI, r *http.Request, rq *request) (csvTable, error) { return u.totalsCSV(r, rq, "tier") },
	"lifecycle.csv":   func(u *UI, r *http.Request, rq *request) (csvTable, error) { return u.totalsCSV(r, rq, "lifecycle") },
	"churn_bands.csv": func(u *UI, r *http.Request, rq *request) (csvTable, error) { return u.totalsCSV(r, rq, "churn_risk") },
	"cohorts.csv":     (*UI).cohortsCSV,
	"stages.csv":      (*UI).stagesCSV,
	"flows.csv":       (*UI).flowsCSV,
	"provinces.csv":   (*UI).provincesCSV,
	"churn.csv":       (*UI).churnCSV,
}

// dashboardCSV: GET /s/{shop}/dashboard/{chart}, one chart's numbers as CSV
// (UTF-8 with a byte order mark, for Excel; cells that a spreadsheet would
// read as a formula neutralised): see dashboardCSVs for the names.
func (u *UI) dashboardCSV(w http.ResponseWriter, r *http.Request, rq *request) {
	chart := r.PathValue("chart")
	read, ok := dashboardCSVs[chart]
	if !ok {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.ENOTFOUND, "no chart %q", chart))
		return
	}
	if _, err := u.reports(); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	t, err := read(u, r, rq)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.writeCSV(w, rq, chart, t)
}

// share prints a fraction with four decimals.
func share(f float64) string { return strconv.FormatFloat(f, 'f', 4, 64) }

func (u *UI) monthlyCSV(r *http.Request, rq *request) (csvTable, error) {
	p, err := u.dashboardData(r.Context(), rq.shop.ID)
	if err != nil {
		return csvTable{}, err
	}
	t := csvTable{header: []string{"month", "revenue", "orders", "customers", "aov"}}
	for _, row := range p.Monthly.Rows {
		t.rows = append(t.rows, []any{row.Keys[0], row.Revenue, row.Orders, row.Customers, row.AOV})
	}
	return t, nil
}

func (u *UI) repeatCSV(r *http.Request, rq *request) (csvTable, error) {
	ms, err := u.cfg.Reports.RepeatByMonth(r.Context(), rq.shop.ID)
	if err != nil {
		return csvTable{}, err
	}
	t := csvTable{header: []string{"month", "active_customers", "returning_customers", "repeat_rate"}}
	for _, m := range ms {
		t.rows = append(t.rows, []any{m.Month, m.Customers, m.Returning, share(m.Rate)})
	}
	return t, nil
}

func (u *UI) paretoCSV(r *http.Request, rq *request) (csvTable, error) {
	run, err := latestRun(r.Context(), u.cfg.Reports, rq.shop.ID)
	if err != nil {
		return csvTable{}, err
	}
	t := csvTable{header: []string{"customer_share", "revenue_share"}}
	if run != nil {
		for _, pt := range run.Pareto {
			t.rows = append(t.rows, []any{share(pt[0]), share(pt[1])})
		}
	}
	return t, nil
}

// totalsCSV lists the scored customers by a score: customers, their net
// spend and its share of all scored customers' spend.
func (u *UI) totalsCSV(r *http.Request, rq *request, column string) (csvTable, error) {
	ts, err := u.cfg.Reports.ScoreTotals(r.Context(), rq.shop.ID, column)
	if err != nil {
		return csvTable{}, err
	}
	var all int64
	for _, t := range ts {
		all += int64(t.Monetary)
	}
	t := csvTable{header: []string{column, "customers", "revenue", "revenue_share"}}
	for _, x := range ts {
		s := 0.0
		if all != 0 {
			s = float64(x.Monetary) / float64(all)
		}
		t.rows = append(t.rows, []any{x.Value, x.Customers, x.Monetary, share(s)})
	}
	return t, nil
}

func (u *UI) cohortsCSV(r *http.Request, rq *request) (csvTable, error) {
	cs, err := u.cfg.Reports.Cohorts(r.Context(), rq.shop.ID)
	if err != nil {
		return csvTable{}, err
	}
	t := csvTable{header: []string{"cohort", "size", "month_offset", "active", "revenue", "retention"}}
	for _, c := range cs {
		for k := range c.Active {
			t.rows = append(t.rows, []any{c.Cohort, c.Size, int64(k), c.Active[k], c.Revenue[k], share(c.Retention[k])})
		}
	}
	return t, nil
}

// flows reads the retention page's lifecycle flows.
func (u *UI) flows(r *http.Request, rq *request) (*report.Flows, error) {
	p, err := u.dashboardRetentionData(r.Context(), rq.shop.ID, "")
	if err != nil {
		return nil, err
	}
	if p.Flows == nil {
		return &report.Flows{}, nil
	}
	return p.Flows, nil
}

func (u *UI) stagesCSV(r *http.Request, rq *request) (csvTable, error) {
	f, err := u.flows(r, rq)
	if err != nil {
		return csvTable{}, err
	}
	t := csvTable{header: append([]string{"date"}, report.LifecycleStages...)}
	for i, pt := range f.Points {
		row := []any{pt}
		for _, n := range f.Counts[i] {
			row = append(row, n)
		}
		t.rows = append(t.rows, row)
	}
	return t, nil
}

func (u *UI) flowsCSV(r *http.Request, rq *request) (csvTable, error) {
	f, err := u.flows(r, rq)
	if err != nil {
		return csvTable{}, err
	}
	t := csvTable{header: []string{"from_date", "to_date", "from_stage", "to_stage", "customers"}}
	from := report.FromStages()
	for _, s := range f.Steps {
		for i, row := range s.Matrix {
			for j, n := range row {
				t.rows = append(t.rows, []any{s.From, s.To, from[i], report.LifecycleStages[j], n})
			}
		}
	}
	return t, nil
}

func (u *UI) provincesCSV(r *http.Request, rq *request) (csvTable, error) {
	p, err := u.dashboardGeographyData(r.Context(), rq.shop.ID)
	if err != nil {
		return csvTable{}, err
	}
	t := csvTable{header: []string{"province", "revenue", "orders", "customers", "aov"}}
	for _, row := range p.Provinces.Rows {
		t.rows = append(t.rows, []any{row.Keys[0], row.Revenue, row.Orders, row.Customers, row.AOV})
	}
	return t, nil
}

// churnCSV lists every customer at high risk of churn (up to 10,000), in
// the page's order, contacts masked as on the page.
func (u *UI) churnCSV(r *http.Request, rq *request) (csvTable, error) {
	sort := r.URL.Query().Get("sort")
	if _, ok := report.AtRiskOrders[sort]; !ok {
		sort = "clv"
	}
	list, err := u.cfg.Reports.HighChurnRisk(r.Context(), rq.shop.ID, sort, 10000, 0)
	if err != nil {
		return csvTable{}, err
	}
	t := csvTable{header: []string{"customer_id", "name", "phone", "email", "province", "segment", "lifecycle",
		"recency_days", "orders", "monetary", "clv_12m", "reason_zh", "reason_en"}}
	pii := rq.role.SeesPII()
	for _, a := range list.Customers {
		phone, email := a.Phone, a.Email
		if !pii {
			if phone != "" {
				phone = guanxi.MaskPhone(phone)
			}
			if email != "" {
				email = guanxi.MaskEmail(email)
			}
		}
		var clv any
		if a.CLV != nil {
			clv = strconv.FormatFloat(*a.CLV, 'f', 2, 64)
		}
		t.rows = append(t.rows, []any{a.ID, a.Name, phone, email, a.Province, a.Segment, a.Lifecycle,
			a.RecencyDays, a.Frequency, a.Monetary, clv, a.ReasonZH, a.ReasonEN})
	}
	return t, nil
}
