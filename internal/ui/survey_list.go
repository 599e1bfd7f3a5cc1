package ui

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/survey"
)

// SurveyJobs sends a survey now: queues its invites and their dispatch
// (the app does it: the pages only ask).
type SurveyJobs interface {
	SendSurvey(ctx context.Context, shopID, id int64) (int, error)
}

// canWriteSurveys: admins and care staff (customer care owns satisfaction
// measurement, seed 001) create, activate, send and close surveys; agents
// and analysts read their results.
func canWriteSurveys(r auth.Role) bool { return r == auth.RoleAdmin || r == auth.RoleCare }

func (u *UI) surveys() (*survey.Service, error) {
	if u.cfg.Surveys == nil || u.cfg.SurveyJobs == nil {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "surveys are not available")
	}
	return u.cfg.Surveys, nil
}

func (u *UI) surveyOf(r *http.Request, rq *request, svc *survey.Service) (*survey.Survey, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "no survey %q", r.PathValue("id"))
	}
	return svc.Get(r.Context(), rq.shop.ID, id)
}

type surveyRow struct {
	survey.Survey
	Counts survey.Counts
}

type surveyListPage struct {
	Surveys  []surveyRow
	Totals   *survey.Results
	CanWrite bool
}

// surveyList lists the shop's surveys with their invites, and the shop's
// NPS and CSAT over the last twelve months.
func (u *UI) surveyList(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.surveys()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	ss, err := svc.List(r.Context(), rq.shop.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &surveyListPage{CanWrite: canWriteSurveys(rq.role)}
	for _, s := range ss {
		row := surveyRow{Survey: s}
		if row.Counts, err = svc.InviteCounts(r.Context(), rq.shop.ID, s.ID); err != nil {
			u.fail(w, r, rq, err)
			return
		}
		p.Surveys = append(p.Surveys, row)
	}
	from, to := u.surveyPeriod(rq, r)
	if p.Totals, err = svc.Results(r.Context(), rq.shop.ID, from, to); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, http.StatusOK, "survey_list", "", u.view(r, rq, "surveys", p))
}

// surveyPeriod is the months ?from=2025-01&to=2025-12 (both included) in
// shop time, by default the last twelve up to this one.
func (u *UI) surveyPeriod(rq *request, r *http.Request) (time.Time, time.Time) {
	loc := rq.shop.Location()
	now := u.clock.Now().In(loc)
	to := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, loc)
	from := to.AddDate(-1, 0, 0)
	if t, err := time.ParseInLocation("2006-01", r.URL.Query().Get("to"), loc); err == nil {
		to = t.AddDate(0, 1, 0)
	}
	if t, err := time.ParseInLocation("2006-01", r.URL.Query().Get("from"), loc); err == nil && t.Before(to) {
		from = t
	}
	if to.Sub(from) > 5*366*24*time.Hour { // at most five years of months
		from = to.AddDate(-5, 0, 0)
	}
	return from, to
}
