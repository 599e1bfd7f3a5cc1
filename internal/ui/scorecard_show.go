package ui

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strconv"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/export"
	"github.com/guanxi-crm/guanxi/internal/scorecard"
)

// scorecardPage is the scorecard (issue 6 §6): the team's and the agents'
// KPIs over a period, and the CRM's effectiveness month by month. Admins
// and analysts see every agent's row; an agent (and care staff) sees the
// team figures and their own row only — colleagues' individual figures are
// for those who manage and analyse the team, not for comparing among
// peers. The CRM figures are the shop's, shown to every member.
type scorecardPage struct {
	From, To string // the period's first and last days
	Month    string // the last month of the CRM figures, YYYY-MM
	Card     *scorecard.Card
	Eff      *scorecard.Effectiveness
	All      bool     // sees every agent's row
	Metrics  []string // the CRM figures shown with their change
	Offsets  []int    // cohort table columns
	Charts   template.JS
}

// seesAllAgents reports whether a role sees every agent's row.
func seesAllAgents(r auth.Role) bool { return r == auth.RoleAdmin || r == auth.RoleAnalyst }

func (u *UI) scorecard() (*scorecard.Service, error) {
	if u.cfg.Scorecard == nil {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "the scorecard is not available")
	}
	return u.cfg.Scorecard, nil
}

// scorecardData computes the page for ?from=&to=&month=, with the card cut
// to the user's own row unless their role sees all.
func (u *UI) scorecardData(r *http.Request, rq *request) (*scorecardPage, error) {
	sc, err := u.scorecard()
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	now := u.clock.Now()
	period, err := scorecard.ParsePeriod(q.Get("from"), q.Get("to"), rq.shop.Location(), now)
	if err != nil {
		return nil, err
	}
	last, err := scorecard.ParseMonth(q.Get("month"), rq.shop.Location(), now)
	if err != nil {
		return nil, err
	}
	p := &scorecardPage{From: period.FirstDay(), To: period.LastDay(), Month: last.Format("2006-01"),
		All: seesAllAgents(rq.role), Metrics: scorecard.ChangeMetrics}
	if p.Card, err = sc.Card(r.Context(), rq.shop, period); err != nil {
		return nil, err
	}
	if !p.All {
		p.Card = p.Card.ForAgent(rq.sess.User.ID)
	}
	if p.Eff, err = sc.Effectiveness(r.Context(), rq.shop, last); err != nil {
		return nil, err
	}
	for _, c := range p.Eff.Cohorts {
		for len(p.Offsets) < len(c.Retention) {
			p.Offsets = append(p.Offsets, len(p.Offsets))
		}
	}
	return p, nil
}

// scorecardShow: GET /s/{shop}/scorecard[?from=YYYY-MM-DD&to=YYYY-MM-DD&month=YYYY-MM].
func (u *UI) scorecardShow(w http.ResponseWriter, r *http.Request, rq *request) {
	p, err := u.scorecardData(r, rq)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	v := u.view(r, rq, "scorecard", p)
	var months []string
	series := map[string][]any{}
	for _, m := range p.Eff.Months {
		months = append(months, m.Month)
		series["buyers"] = append(series["buyers"], m.Buyers)
		for _, f := range []struct {
			name string
			v    *float64
			pct  bool
		}{{"repeat_rate", m.RepeatRate, true}, {"cum_repeat_rate", m.CumRepeatRate, true}, {"churn_rate", m.ChurnRate, true},
			{"csat", m.CSAT, true}, {"nps", m.NPS, false}, {"complaint_rate", m.ComplaintRate, false}} {
			var x any // null: a gap in the line
			if f.v != nil {
				x = math.Round(*f.v*10) / 10
				if f.pct {
					x = pct(*f.v)
				}
			}
			series[f.name] = append(series[f.name], x)
		}
	}
	labels := map[string]string{}
	for _, k := range append([]string{"buyers"}, scorecard.ChangeMetrics...) {
		labels[k] = v.T("scorecard.m." + k)
	}
	if p.Charts, err = chartJSON(map[string]any{"sc_months": months, "sc": series, "labels": labels}); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, http.StatusOK, "scorecard", "", v)
}

// scorecardCSV: GET /s/{shop}/scorecard/csv?table=agents|teams|effectiveness
// (and the page's period and month), one table as CSV like the dashboards'.
func (u *UI) scorecardCSV(w http.ResponseWriter, r *http.Request, rq *request) {
	table := r.URL.Query().Get("table")
	if table == "" {
		table = "agents"
	}
	if table != "agents" && table != "teams" && table != "effectiveness" {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EINVALID, "table: expected agents, teams or effectiveness"))
		return
	}
	p, err := u.scorecardData(r, rq)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	var t csvTable
	kpiHeader := []string{"handled", "first_response_n", "first_response_p50_s", "first_response_p90_s", "resolution_n", "resolution_p50_s", "resolution_p90_s",
		"response_breaches", "resolution_breaches", "csat_responses", "csat_satisfied", "csat", "tasks_done", "tasks_overdue"}
	kpiRow := func(k scorecard.KPI) []any {
		return []any{int64(k.Handled), int64(k.FirstResponse.N), k.FirstResponse.P50, k.FirstResponse.P90, int64(k.Resolution.N), k.Resolution.P50, k.Resolution.P90,
			int64(k.ResponseBreaches), int64(k.ResolutionBreaches), int64(k.CSATResponses), int64(k.CSATSatisfied), shareOrNil(k.CSAT), int64(k.TasksDone), int64(k.TasksOverdue)}
	}
	switch table {
	case "agents":
		t.header = append([]string{"from", "to", "user_id", "agent"}, kpiHeader...)
		for _, a := range p.Card.Agents {
			t.rows = append(t.rows, append([]any{p.From, p.To, a.UserID, a.Name}, kpiRow(a.KPI)...))
		}
	case "teams":
		t.header = append([]string{"from", "to", "team_id", "team", "backlog", "complaints", "complaints_per_1000_orders"}, kpiHeader...)
		for _, tm := range append(p.Card.Teams, p.Card.Shop) {
			name := tm.Name
			if tm.ID == 0 {
				name = "*"
			}
			t.rows = append(t.rows, append([]any{p.From, p.To, tm.ID, name, int64(tm.Backlog), int64(tm.Complaints), shareOrNil(tm.Rate)}, kpiRow(tm.KPI)...))
		}
	default:
		t.header = []string{"month", "buyers", "returning", "repeat_rate", "customers", "repeat_buyers", "cum_repeat_rate", "prev_buyers", "churned", "churn_rate",
			"orders", "complaints", "complaint_rate", "nps_responses", "promoters", "detractors", "nps", "csat_responses", "csat_satisfied", "csat"}
		for _, name := range scorecard.ChangeMetrics {
			t.header = append(t.header, name+"_change", name+"_change_rel")
		}
		for _, m := range p.Eff.Months {
			row := []any{m.Month, int64(m.Buyers), int64(m.Returning), shareOrNil(m.RepeatRate), int64(m.Customers), int64(m.RepeatBuyers), shareOrNil(m.CumRepeatRate),
				int64(m.PrevBuyers), int64(m.Churned), shareOrNil(m.ChurnRate), int64(m.Orders), int64(m.Complaints), shareOrNil(m.ComplaintRate),
				int64(m.NPSResponses), int64(m.Promoters), int64(m.Detractors), shareOrNil(m.NPS), int64(m.CSATResponses), int64(m.CSATSatisfied), shareOrNil(m.CSAT)}
			for _, name := range scorecard.ChangeMetrics {
				if c := m.Change[name]; c != nil {
					row = append(row, share(c.Abs), shareOrNil(c.Rel))
				} else {
					row = append(row, nil, nil)
				}
			}
			t.rows = append(t.rows, row)
		}
	}
	u.writeCSV(w, rq, "scorecard-"+table+".csv", t)
}

func shareOrNil(v *float64) any {
	if v == nil {
		return nil
	}
	return share(*v)
}

// Dur formats a duration in seconds: minutes under an hour, else hours.
func (v *view) Dur(t scorecard.Times, p90 bool) string {
	if t.N == 0 {
		return "—"
	}
	s := t.P50
	if p90 {
		s = t.P90
	}
	if s < 3600 {
		return v.T("scorecard.minutes", strconv.FormatInt((s+30)/60, 10))
	}
	return v.T("scorecard.hours", strconv.FormatFloat(float64(s)/3600, 'f', 1, 64))
}

// Opt formats a rate that may be undefined: a share as a percentage, or
// with kind "num" a plain number with one decimal.
func (v *view) Opt(x *float64, kind string) string {
	if x == nil {
		return "—"
	}
	if kind == "num" {
		return strconv.FormatFloat(*x, 'f', 1, 64)
	}
	return fmt.Sprintf("%.1f%%", 100**x)
}

// Metric is a month's figure by name, formatted.
func (v *view) Metric(m scorecard.Month, name string) string {
	switch name {
	case "buyers":
		return v.Num(int64(m.Buyers))
	case "repeat_rate":
		return v.Opt(m.RepeatRate, "")
	case "cum_repeat_rate":
		return v.Opt(m.CumRepeatRate, "")
	case "churn_rate":
		return v.Opt(m.ChurnRate, "")
	case "csat":
		return v.Opt(m.CSAT, "")
	case "nps":
		return v.Opt(m.NPS, "num")
	case "complaint_rate":
		return v.Opt(m.ComplaintRate, "num")
	}
	return ""
}

// ChangeOf formats a month's change of a figure: percentage points for
// shares, the plain difference otherwise, and the relative change.
func (v *view) ChangeOf(m scorecard.Month, name string) string {
	c := m.Change[name]
	if c == nil {
		return "—"
	}
	var abs string
	switch name {
	case "buyers":
		abs = fmt.Sprintf("%+.0f", c.Abs)
	case "nps", "complaint_rate":
		abs = fmt.Sprintf("%+.1f", c.Abs)
	default:
		abs = fmt.Sprintf("%+.1f pp", 100*c.Abs)
	}
	if c.Rel == nil {
		return abs
	}
	return fmt.Sprintf("%s (%+.0f%%)", abs, 100**c.Rel)
}

// writeCSV sends a table as a CSV download: UTF-8 with a byte order mark
// (for Excel), cells a spreadsheet would run as formulas neutralised by
// export.Neutralise. Every CSV the pages offer (dashboards, scorecard) goes
// through it.
func (u *UI) writeCSV(w http.ResponseWriter, rq *request, name string, t csvTable) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+rq.shop.Code+"-"+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	c := export.NewCSV(w, export.WithBOM())
	if err := c.WriteHeader(t.header); err != nil {
		u.log.Warn("csv download", "file", name, "err", err)
		return
	}
	for _, row := range t.rows {
		if err := c.WriteRow(row); err != nil {
			u.log.Warn("csv download", "file", name, "err", err)
			return
		}
	}
	if err := c.Close(); err != nil {
		u.log.Warn("csv download", "file", name, "err", err)
	}
}

// TeamRows are the teams and then the whole shop.
func (p *scorecardPage) TeamRows() []scorecard.Team {
	return append(append([]scorecard.Team{}, p.Card.Teams...), p.Card.Shop)
}
