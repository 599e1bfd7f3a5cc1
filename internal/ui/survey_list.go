package ui

import (
	"context"
	"encoding/json"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/internal/segment"
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

type surveyEditPage struct {
	Survey    *survey.Survey // nil: new
	Form      surveyForm
	Segments  []segment.Segment
	Channels  []string
	Kinds     []string
	CanWrite  bool
	Editable  bool // kind and questions may change (a draft)
	Notice    string
	Error     string
	Counts    survey.Counts
	Results   *survey.Results
	From, To  string // the period shown, 2025-01
	Responses []survey.Response
	Charts    template.JS
	Tables    []groupTable // results by month, segment and agent
}

type groupTable struct {
	Title, ID string
	Rows      []survey.Group
}

// surveyForm is the editor's fields as typed, kept on an error.
type surveyForm struct {
	Kind, Title, Intro, Questions, Channel string
	SegmentID                              int64
	ExpiresDays                            int
	Version                                int64
}

func surveyFormOf(s *survey.Survey) surveyForm {
	qs, _ := json.MarshalIndent(s.Questions, "", "  ")
	q := string(qs)
	if len(s.Questions) == 0 {
		q = ""
	}
	return surveyForm{Kind: s.Kind, Title: s.Title, Intro: s.Intro, Questions: q, Channel: s.Channel, SegmentID: s.SegmentID,
		ExpiresDays: s.ExpiresDays, Version: s.Version}
}

func (u *UI) surveyEditPage(r *http.Request, rq *request, s *survey.Survey) (*surveyEditPage, error) {
	p := &surveyEditPage{Survey: s, Channels: campaign.Channels, Kinds: survey.Kinds, CanWrite: canWriteSurveys(rq.role),
		Editable: s == nil || s.Status == survey.Draft}
	if s != nil {
		p.Form = surveyFormOf(s)
	} else {
		p.Form = surveyForm{Kind: survey.NPS, ExpiresDays: 14, Channel: campaign.SMS}
	}
	if u.cfg.Segments != nil {
		var err error
		if p.Segments, err = u.cfg.Segments.List(r.Context(), rq.shop.ID); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// surveyNew shows an empty editor.
func (u *UI) surveyNew(w http.ResponseWriter, r *http.Request, rq *request) {
	if _, err := u.surveys(); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if !canWriteSurveys(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role cannot create surveys"))
		return
	}
	p, err := u.surveyEditPage(r, rq, nil)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, http.StatusOK, "survey_edit", "", u.view(r, rq, "surveys", p))
}

// readSurveyForm reads the editor's fields into sv.
func readSurveyForm(r *http.Request, sv *survey.Survey) (surveyForm, error) {
	f := surveyForm{Kind: r.PostFormValue("kind"), Title: r.PostFormValue("title"), Intro: r.PostFormValue("intro"),
		Questions: r.PostFormValue("questions"), Channel: r.PostFormValue("channel")}
	f.SegmentID, _ = strconv.ParseInt(r.PostFormValue("segment_id"), 10, 64)
	f.ExpiresDays, _ = strconv.Atoi(r.PostFormValue("expires_days"))
	f.Version, _ = strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	sv.Kind, sv.Title, sv.Intro, sv.Channel, sv.SegmentID, sv.ExpiresDays = f.Kind, f.Title, f.Intro, f.Channel, f.SegmentID, f.ExpiresDays
	if f.ExpiresDays == 0 && r.PostFormValue("expires_days") != "" {
		return f, guanxi.Errorf(guanxi.EINVALID, "expires_days: a whole number of days")
	}
	sv.Questions = nil
	if q := strings.TrimSpace(f.Questions); q != "" {
		if err := json.Unmarshal([]byte(q), &sv.Questions); err != nil {
			return f, guanxi.Errorf(guanxi.EINVALID, "questions: not valid JSON: %v", err)
		}
	}
	return f, nil
}

// surveyCreate saves a new draft.
func (u *UI) surveyCreate(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.surveys()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if !canWriteSurveys(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role cannot create surveys"))
		return
	}
	sv := &survey.Survey{}
	f, err := readSurveyForm(r, sv)
	if err == nil {
		err = svc.Create(r.Context(), rq.shop.ID, sv)
	}
	if err != nil {
		if guanxi.ErrorCode(err) != guanxi.EINVALID {
			u.fail(w, r, rq, err)
			return
		}
		p, perr := u.surveyEditPage(r, rq, nil)
		if perr != nil {
			u.fail(w, r, rq, perr)
			return
		}
		p.Form, p.Error = f, i18n.ErrorMessage(rq.locale, err)
		u.render(w, r, rq, http.StatusBadRequest, "survey_edit", "", u.view(r, rq, "surveys", p))
		return
	}
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/surveys/"+strconv.FormatInt(sv.ID, 10)+"?notice=saved", http.StatusSeeOther)
}

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

// surveyUpdate saves the editor.
func (u *UI) surveyUpdate(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.surveys()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if !canWriteSurveys(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role cannot change surveys"))
		return
	}
	sv, err := u.surveyOf(r, rq, svc)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	edit := *sv
	f, err := readSurveyForm(r, &edit)
	edit.Version = f.Version
	if err == nil {
		err = svc.Update(r.Context(), rq.shop.ID, &edit)
	}
	if err != nil {
		if c := guanxi.ErrorCode(err); c != guanxi.EINVALID && c != guanxi.ECONFLICT {
			u.fail(w, r, rq, err)
			return
		}
		p, perr := u.surveyEditPage(r, rq, sv)
		if perr != nil {
			u.fail(w, r, rq, perr)
			return
		}
		p.Form, p.Error = f, i18n.ErrorMessage(rq.locale, err)
		status := http.StatusBadRequest
		if guanxi.ErrorCode(err) == guanxi.ECONFLICT {
			status, p.Form.Version = http.StatusConflict, sv.Version
		}
		u.renderSurvey(w, r, rq, svc, p, status)
		return
	}
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/surveys/"+strconv.FormatInt(sv.ID, 10)+"?notice=saved", http.StatusSeeOther)
}

// surveyAction activates, closes or sends a survey.
func (u *UI) surveyAction(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.surveys()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if !canWriteSurveys(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role cannot change surveys"))
		return
	}
	sv, err := u.surveyOf(r, rq, svc)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	notice := ""
	switch a := r.PathValue("action"); a {
	case "activate":
		_, err = svc.SetStatus(r.Context(), rq.shop.ID, sv.ID, version, survey.Active)
		notice = "active"
	case "close":
		_, err = svc.SetStatus(r.Context(), rq.shop.ID, sv.ID, version, survey.Closed)
		notice = "closed"
	case "send":
		_, err = u.cfg.SurveyJobs.SendSurvey(r.Context(), rq.shop.ID, sv.ID)
		notice = "sent"
	default:
		err = guanxi.Errorf(guanxi.ENOTFOUND, "no survey action %q", a)
	}
	if err != nil {
		if c := guanxi.ErrorCode(err); c != guanxi.EINVALID && c != guanxi.ECONFLICT {
			u.fail(w, r, rq, err)
			return
		}
		p, perr := u.surveyEditPage(r, rq, sv)
		if perr != nil {
			u.fail(w, r, rq, perr)
			return
		}
		p.Error = i18n.ErrorMessage(rq.locale, err)
		status := http.StatusBadRequest
		if guanxi.ErrorCode(err) == guanxi.ECONFLICT {
			status = http.StatusConflict
		}
		u.renderSurvey(w, r, rq, svc, p, status)
		return
	}
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/surveys/"+strconv.FormatInt(sv.ID, 10)+"?notice="+notice, http.StatusSeeOther)
}
