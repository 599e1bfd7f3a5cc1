package ui

import (
	"context"
	"html/template"
	"net/http"

	"github.com/guanxi-crm/guanxi/internal/report"
)

// flowMonths is how many month-to-month moves the retention page shows.
const flowMonths = 12

// dashboardRetentionPage is how customers come back: the acquisition
// cohorts' retention and the moves between lifecycle stages month to month.
type dashboardRetentionPage struct {
	dashTab
	Run     *report.Run // nil until the shop is scored
	Cohorts []report.CohortRow
	Offsets []int // 0 … the longest cohort's last month, the heat map's columns
	Flows   *report.Flows
	Step    *report.FlowStep // the month whose moves are shown
	From    []string         // the matrix's rows: report.FromStages
	Stages  []string         // its columns: report.LifecycleStages
	Charts  template.JS
}

func (u *UI) dashboardRetentionData(ctx context.Context, shopID int64, to string) (*dashboardRetentionPage, error) {
	rs, err := u.reports()
	if err != nil {
		return nil, err
	}
	p := &dashboardRetentionPage{dashTab: dashTab{"retention"}, From: report.FromStages(), Stages: report.LifecycleStages}
	if p.Run, err = latestRun(ctx, rs, shopID); err != nil || p.Run == nil {
		return p, err
	}
	if p.Cohorts, err = rs.Cohorts(ctx, shopID); err != nil {
		return nil, err
	}
	for _, c := range p.Cohorts {
		for len(p.Offsets) < len(c.Active) {
			p.Offsets = append(p.Offsets, len(p.Offsets))
		}
	}
	rules, err := p.Run.LifecycleRules()
	if err != nil {
		return nil, err
	}
	if p.Flows, err = rs.LifecycleFlows(ctx, shopID, rules, p.Run.AsOf, flowMonths); err != nil {
		return nil, err
	}
	if n := len(p.Flows.Steps); n > 0 {
		p.Step = &p.Flows.Steps[n-1]
		for i := range p.Flows.Steps {
			if p.Flows.Steps[i].To == to {
				p.Step = &p.Flows.Steps[i]
			}
		}
	}
	return p, nil
}

// sankeyLink is one move of the chosen month, between a stage at its
// start and one at its end.
type sankeyLink struct {
	Source string `json:"source"`
	Target string `json:"target"`
	Value  int64  `json:"value"`
}

// dashboardRetention: GET /s/{shop}/dashboard/retention[?to=YYYY-MM-DD],
// the moves shown being those of the month ending at to (the latest when
// absent or unknown).
func (u *UI) dashboardRetention(w http.ResponseWriter, r *http.Request, rq *request) {
	p, err := u.dashboardRetentionData(r.Context(), rq.shop.ID, r.URL.Query().Get("to"))
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	v := u.view(r, rq, "dashboard", p)
	d := map[string]any{"labels": map[string]string{
		"cohort": v.T("dashboard.cohort"), "month_offset": v.T("dashboard.month_offset"), "retention": v.T("dashboard.retention"),
		"customers": v.T("dashboard.customers"),
	}}
	if p.Run != nil {
		var cohorts []string
		cells := [][3]float64{} // [offset, cohort, retention %]
		for i, c := range p.Cohorts {
			cohorts = append(cohorts, c.Cohort)
			for k, ret := range c.Retention {
				cells = append(cells, [3]float64{float64(k), float64(i), pct(ret)})
			}
		}
		d["cohorts"], d["offsets"], d["cells"] = cohorts, p.Offsets, cells
		// Stages at each point, one series per stage.
		series := []map[string]any{}
		for j, st := range report.LifecycleStages {
			vals := []int64{}
			for _, c := range p.Flows.Counts {
				vals = append(vals, c[j])
			}
			series = append(series, map[string]any{"name": v.Label("lifecycle.", st), "data": vals})
		}
		d["points"], d["stages"] = p.Flows.Points, series
		if p.Step != nil {
			// Sankey nodes must differ between the two sides: the start's
			// stages carry the start date.
			var nodes []map[string]string
			var links []sankeyLink
			seen := map[string]bool{}
			node := func(name string) string {
				if !seen[name] {
					seen[name] = true
					nodes = append(nodes, map[string]string{"name": name})
				}
				return name
			}
			for i, from := range p.From {
				for j, to := range p.Stages {
					if n := p.Step.Matrix[i][j]; n > 0 {
						links = append(links, sankeyLink{
							Source: node(v.T("dashboard.flow_node", v.Label("lifecycle.", from), p.Step.From)),
							Target: node(v.T("dashboard.flow_node", v.Label("lifecycle.", to), p.Step.To)),
							Value:  n,
						})
					}
				}
			}
			d["flow_nodes"], d["flow_links"] = nodes, links
		}
	}
	if p.Charts, err = chartJSON(d); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, http.StatusOK, "dashboard_retention", "", v)
}
