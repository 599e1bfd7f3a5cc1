package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/internal/survey"
)

// One1 shows a figure with one decimal (NPS, CSAT %).
func (v *view) One1(x float64) string { return fmt.Sprintf("%.1f", x) }

// Mean2 shows a mean with two decimals.
func (v *view) Mean2(x float64) string { return fmt.Sprintf("%.2f", x) }

// ScoreText shows a response's score, "—" for none.
func (v *view) ScoreText(s *int) string {
	if s == nil {
		return "—"
	}
	return strconv.Itoa(*s)
}

// AnswerText shows a stored answer: a list joined with 、, else as is.
func (v *view) AnswerText(a any) string {
	if xs, ok := a.([]any); ok {
		parts := make([]string, len(xs))
		for i, x := range xs {
			parts[i] = fmt.Sprint(x)
		}
		return strings.Join(parts, "、")
	}
	return fmt.Sprint(a)
}

// Seq is 0..n-1 for the score buttons (NPS 0-10) and lo..hi otherwise.
func (v *view) Seq(lo, hi int) []int {
	out := make([]int, 0, hi-lo+1)
	for i := lo; i <= hi; i++ {
		out = append(out, i)
	}
	return out
}

// Has reports whether a multiple-choice answer holds an option.
func (v *view) Has(vals []string, s string) bool {
	for _, x := range vals {
		if x == s {
			return true
		}
	}
	return false
}

type surveyFormPage struct {
	Token    string
	Form     *survey.Form
	Status   string // "", thanks, invalid, expired
	Error    string
	Values   map[string][]string // what was typed, kept on an error
	Lang     string              // the locale switch's other language
	LangName string
}

// surveyFormLocale: a customer's page follows ?lang= (zh-CN, en) first,
// then the browser.
func surveyFormLocale(r *http.Request, rq *request) {
	if l := r.URL.Query().Get("lang"); i18n.Supported(l) {
		rq.locale = l
	}
}

func (p *surveyFormPage) other(locale string) {
	if locale == i18n.En {
		p.Lang, p.LangName = i18n.ZhCN, "中文"
	} else {
		p.Lang, p.LangName = i18n.En, "English"
	}
}

// surveyFormShow is the page a survey link opens: no sign-in, the signed
// token in the path is the credential. A forged or damaged link is 404, an
// expired one (or a closed survey's) 410, an answered one shows thanks.
func (u *UI) surveyFormShow(w http.ResponseWriter, r *http.Request, rq *request) {
	surveyFormLocale(r, rq)
	svc, err := u.surveys()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &surveyFormPage{Token: r.PathValue("token")}
	p.other(rq.locale)
	f, err := svc.Open(r.Context(), p.Token)
	p.Form = f
	status := u.surveyFormStatus(p, err)
	if status == 0 {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, status, "survey_form", "", u.view(r, rq, "", p))
}

// surveyFormStatus sets the page's state for Open's or Respond's error and
// returns the HTTP status, 0 for an error the page does not explain.
func (u *UI) surveyFormStatus(p *surveyFormPage, err error) int {
	switch {
	case err == nil && p.Form != nil && p.Form.Answered:
		p.Status = "thanks"
		return http.StatusOK
	case err == nil:
		return http.StatusOK
	case errors.Is(err, survey.ErrLinkInvalid):
		p.Status, p.Form = "invalid", nil
		return http.StatusNotFound
	case errors.Is(err, survey.ErrLinkExpired):
		p.Status, p.Form = "expired", nil
		return http.StatusGone
	}
	return 0
}

// surveyFormSubmit records the answer. The same-origin check of every POST
// (the UI wrapper) and the signed token stand in for a CSRF token: there is
// no session to ride.
func (u *UI) surveyFormSubmit(w http.ResponseWriter, r *http.Request, rq *request) {
	surveyFormLocale(r, rq)
	svc, err := u.surveys()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EINVALID, "form too large or malformed"))
		return
	}
	p := &surveyFormPage{Token: r.PathValue("token"), Values: r.PostForm}
	p.other(rq.locale)
	f, err := svc.Open(r.Context(), p.Token)
	p.Form = f
	if status := u.surveyFormStatus(p, err); status != http.StatusOK || p.Status == "thanks" {
		if status == 0 {
			u.fail(w, r, rq, err)
			return
		}
		u.render(w, r, rq, status, "survey_form", "", u.view(r, rq, "", p))
		return
	}
	a := survey.Answer{Comment: r.PostFormValue("comment"), Answers: map[string]any{}}
	if s := r.PostFormValue("score"); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			a.Score = &n
		}
	}
	for _, q := range f.Survey.Questions {
		vals := r.PostForm["q_"+q.ID]
		switch {
		case len(vals) == 0:
		case q.Type == survey.Multiple:
			a.Answers[q.ID] = vals
		default:
			a.Answers[q.ID] = vals[0]
		}
	}
	_, err = svc.Respond(r.Context(), p.Token, a)
	switch {
	case err == nil, guanxi.ErrorCode(err) == guanxi.ECONFLICT: // answered, maybe by a double click
		p.Status = "thanks"
		u.render(w, r, rq, http.StatusOK, "survey_form", "", u.view(r, rq, "", p))
	case guanxi.ErrorCode(err) == guanxi.EINVALID && !errors.Is(err, survey.ErrLinkExpired):
		p.Error = i18n.T(rq.locale, "surveyform.invalid", questionOf(rq.locale, f.Survey, err))
		u.render(w, r, rq, http.StatusBadRequest, "survey_form", "", u.view(r, rq, "", p))
	default:
		if status := u.surveyFormStatus(p, err); status != 0 {
			u.render(w, r, rq, status, "survey_form", "", u.view(r, rq, "", p))
			return
		}
		u.fail(w, r, rq, err)
	}
}

// questionOf names the question an answer's error is about, in words the
// customer reads: the service's message starts with the field
// ("answers.flavour: required", "score: choose 0 to 10").
func questionOf(locale string, sv *survey.Survey, err error) string {
	field, _, _ := strings.Cut(guanxi.ErrorMessage(err), ":")
	if id, ok := strings.CutPrefix(field, "answers."); ok {
		for _, q := range sv.Questions {
			if q.ID == id {
				return q.Text
			}
		}
	}
	switch {
	case field == "score" && sv.Kind == survey.NPS:
		return i18n.T(locale, "surveyform.nps_score")
	case field == "score":
		return i18n.T(locale, "surveyform.csat_question")
	case field == "comment":
		return i18n.T(locale, "surveyform.comment")
	}
	return i18n.ErrorMessage(locale, err)
}
