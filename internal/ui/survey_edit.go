package ui

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/survey"
)

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

// surveyUpdate saves the editor.
func (u *UI) surveyUpdate(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, sv, ok := u.writableSurvey(w, r, rq)
	if !ok {
		return
	}
	edit := *sv
	f, err := readSurveyForm(r, &edit)
	edit.Version = f.Version
	if err == nil {
		err = svc.Update(r.Context(), rq.shop.ID, &edit)
	}
	if err != nil {
		u.surveyRefused(w, r, rq, svc, sv, &f, err)
		return
	}
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/surveys/"+strconv.FormatInt(sv.ID, 10)+"?notice=saved", http.StatusSeeOther)
}

// surveyAction activates, closes or sends a survey.
func (u *UI) surveyAction(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, sv, ok := u.writableSurvey(w, r, rq)
	if !ok {
		return
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	var err error
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
		u.surveyRefused(w, r, rq, svc, sv, nil, err)
		return
	}
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/surveys/"+strconv.FormatInt(sv.ID, 10)+"?notice="+notice, http.StatusSeeOther)
}

// writableSurvey reads the survey of the path for a change, answering the
// request itself (403 for a role that does not write surveys, 404) when it
// cannot.
func (u *UI) writableSurvey(w http.ResponseWriter, r *http.Request, rq *request) (*survey.Service, *survey.Survey, bool) {
	svc, err := u.surveys()
	if err != nil {
		u.fail(w, r, rq, err)
		return nil, nil, false
	}
	if !canWriteSurveys(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role cannot change surveys"))
		return nil, nil, false
	}
	sv, err := u.surveyOf(r, rq, svc)
	if err != nil {
		u.fail(w, r, rq, err)
		return nil, nil, false
	}
	return svc, sv, true
}

// surveyRefused shows sv's page again with the caller's mistake err (400;
// 409 for a stale version, with the form moved on to the current one), and
// the fields as typed when form is not nil; any other error fails the
// request.
func (u *UI) surveyRefused(w http.ResponseWriter, r *http.Request, rq *request, svc *survey.Service, sv *survey.Survey, form *surveyForm, err error) {
	status, ok := formStatus(err)
	if !ok {
		u.fail(w, r, rq, err)
		return
	}
	p, perr := u.surveyEditPage(r, rq, sv)
	if perr != nil {
		u.fail(w, r, rq, perr)
		return
	}
	if form != nil {
		p.Form = *form
	}
	p.Error = i18n.ErrorMessage(rq.locale, err)
	if status == http.StatusConflict {
		p.Form.Version = sv.Version
	}
	u.renderSurvey(w, r, rq, svc, p, status)
}
