package ui

import (
	"math"
	"net/http"

	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/internal/survey"
)

// surveyShow is a survey's page: the editor, its invites, its results
// (tables and a monthly chart) and its latest responses.
func (u *UI) surveyShow(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.surveys()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	sv, err := u.surveyOf(r, rq, svc)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p, err := u.surveyEditPage(r, rq, sv)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	switch n := r.URL.Query().Get("notice"); n {
	case "saved", "active", "closed":
		p.Notice = "surveys.notice." + n
	case "sent":
		p.Notice = "surveys.notice.sent"
	}
	u.renderSurvey(w, r, rq, svc, p, http.StatusOK)
}

func (u *UI) renderSurvey(w http.ResponseWriter, r *http.Request, rq *request, svc *survey.Service, p *surveyEditPage, status int) {
	ctx, shopID, id := r.Context(), rq.shop.ID, p.Survey.ID
	var err error
	if p.Counts, err = svc.InviteCounts(ctx, shopID, id); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	from, to := u.surveyPeriod(rq, r)
	p.From, p.To = from.Format("2006-01"), to.AddDate(0, 0, -1).Format("2006-01")
	if p.Results, err = svc.SurveyResults(ctx, shopID, id, from, to); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if p.Responses, err = svc.Responses(ctx, shopID, id, 0, 50); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	// The chart: NPS or CSAT (% satisfied) by month; a month without
	// answers is a gap, not a zero.
	chart := map[string]any{"kind": p.Survey.Kind, "labels": map[string]string{"nps": "NPS", "csat": i18n.T(rq.locale, "surveys.csat_pct")}}
	var months []string
	var values []any
	for _, m := range p.Results.Months {
		months = append(months, m.Key)
		switch {
		case p.Survey.Kind == survey.NPS && m.NPSCount > 0:
			values = append(values, math.Round(m.NPS*10)/10)
		case p.Survey.Kind == survey.CSAT && m.CSATCount > 0:
			values = append(values, math.Round(m.CSAT*10)/10)
		default:
			values = append(values, nil)
		}
	}
	chart["months"], chart["values"] = months, values
	p.Tables = []groupTable{{"surveys.by_month", "survey-months", p.Results.Months}, {"surveys.by_segment", "survey-segments", p.Results.Segments}}
	if p.Survey.Kind == survey.CSAT {
		p.Tables = append(p.Tables, groupTable{"surveys.by_agent", "survey-agents", p.Results.Agents})
	}
	if p.Charts, err = chartJSON(chart); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, status, "survey_edit", "", u.view(r, rq, "surveys", p))
}
