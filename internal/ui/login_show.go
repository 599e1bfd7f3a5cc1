package ui

import (
	"net/http"
	"net/url"

	"github.com/guanxi-crm/guanxi/internal/i18n"
)

// loginPage is the sign-in form.
type loginPage struct {
	Next      string
	Username  string
	Error     string
	Lang      string // a language chosen on this page, kept for the user after sign-in
	LangLinks []langLink
}

type langLink struct {
	Label, Lang, URL string
	Current          bool
}

// loginShow shows the sign-in form, in the language of ?lang= or of the
// browser. A signed-in user goes on to where they were going.
func (u *UI) loginShow(w http.ResponseWriter, r *http.Request, rq *request) {
	next := localPath(r.URL.Query().Get("next"))
	if rq.sess != nil {
		http.Redirect(w, r, firstOf(next, "/"), http.StatusSeeOther)
		return
	}
	p := &loginPage{Next: next}
	if lang := r.URL.Query().Get("lang"); i18n.Supported(lang) {
		rq.locale, p.Lang = lang, lang
	}
	u.renderLogin(w, r, rq, http.StatusOK, p)
}

func (u *UI) renderLogin(w http.ResponseWriter, r *http.Request, rq *request, status int, p *loginPage) {
	for _, l := range []struct{ lang, label string }{{i18n.ZhCN, "中文"}, {i18n.En, "English"}} {
		q := url.Values{"lang": {l.lang}}
		if p.Next != "" {
			q.Set("next", p.Next)
		}
		p.LangLinks = append(p.LangLinks, langLink{Label: l.label, Lang: l.lang, URL: "/login?" + q.Encode(), Current: l.lang == rq.locale})
	}
	u.render(w, r, rq, status, "login", "", u.view(r, rq, "", p))
}

// firstOf returns the first of its arguments that is not empty.
func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
