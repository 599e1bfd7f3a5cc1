package ui

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/i18n"
)

// loginSubmit checks the username and password and starts a session. Every
// failure shows the same message, so the page does not tell whether the
// username exists. Cross-origin posts of this form are refused by secure.
func (u *UI) loginSubmit(w http.ResponseWriter, r *http.Request, rq *request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	username, password := r.PostFormValue("username"), r.PostFormValue("password")
	p := &loginPage{Next: localPath(r.PostFormValue("next")), Username: username}
	if lang := r.PostFormValue("lang"); i18n.Supported(lang) {
		rq.locale, p.Lang = lang, lang
	}
	user, err := u.cfg.Auth.Authenticate(r.Context(), username, password, clientIP(r))
	if guanxi.ErrorCode(err) == guanxi.EUNAUTH {
		u.log.Info("sign-in refused", "username", username, "ip", clientIP(r))
		p.Error = i18n.T(rq.locale, "login.failed")
		u.renderLogin(w, r, rq, http.StatusUnauthorized, p)
		return
	}
	var locked *auth.Locked
	if errors.As(err, &locked) {
		u.log.Warn("sign-in locked", "username", username, "ip", clientIP(r), "until", locked.Until)
		p.Error = i18n.T(rq.locale, "login.locked", max(1, int(math.Ceil(locked.Until.Sub(u.clock.Now()).Minutes()))))
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(locked.Until.Sub(u.clock.Now()).Seconds()))))
		u.renderLogin(w, r, rq, http.StatusTooManyRequests, p)
		return
	}
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if rq.token != "" {
		// A new sign-in replaces the browser's old session.
		_ = u.cfg.Auth.EndSession(r.Context(), rq.token)
	}
	if p.Lang != "" && p.Lang != user.Locale {
		if err := u.cfg.Auth.SetLocale(r.Context(), user.ID, p.Lang); err != nil {
			u.log.Warn("keep the language chosen at sign-in", "user", user.ID, "err", err)
		}
	}
	if user.TOTP {
		// The password is right; the second factor comes next, on a
		// token that opens nothing else.
		pending, err := u.cfg.Auth.NewPendingSession(r.Context(), user.ID, r.UserAgent(), clientIP(r))
		if err != nil {
			u.fail(w, r, rq, err)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: PendingCookie, Value: pending, Path: "/login", MaxAge: 300,
			HttpOnly: true, Secure: u.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
		target := "/login/totp"
		if p.Next != "" {
			target += "?next=" + url.QueryEscape(p.Next)
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	token, err := u.cfg.Auth.NewSession(r.Context(), user.ID, r.UserAgent(), clientIP(r))
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.setSessionCookie(w, token, u.cfg.Auth.SessionTTL)
	http.Redirect(w, r, firstOf(p.Next, "/"), http.StatusSeeOther)
}
