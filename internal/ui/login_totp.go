package ui

import (
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/i18n"
)

// PendingCookie holds the token of a sign-in waiting for its second factor.
// It is sent to /login paths only and lives five minutes.
const PendingCookie = "guanxi_pending"

type totpPage struct {
	Next  string
	Error string
}

func (u *UI) clearPendingCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: PendingCookie, Value: "", Path: "/login", MaxAge: -1,
		HttpOnly: true, Secure: u.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
}

// pendingToken returns the pending sign-in's token, or "" when there is no
// live one (it lapsed, or this browser never passed the password).
func (u *UI) pendingToken(r *http.Request) string {
	c, err := r.Cookie(PendingCookie)
	if err != nil || c.Value == "" {
		return ""
	}
	if _, err := u.cfg.Auth.PendingSession(r.Context(), c.Value); err != nil {
		return ""
	}
	return c.Value
}

// loginTOTPShow asks for the authenticator's code, the second step of a
// sign-in with TOTP.
func (u *UI) loginTOTPShow(w http.ResponseWriter, r *http.Request, rq *request) {
	next := localPath(r.URL.Query().Get("next"))
	if u.pendingToken(r) == "" {
		u.clearPendingCookie(w)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	u.render(w, r, rq, http.StatusOK, "login_totp", "", u.view(r, rq, "", &totpPage{Next: next}))
}

// loginTOTPSubmit checks the code and, when it is right, starts the real
// session on a new token. Wrong codes count against the username as wrong
// passwords do.
func (u *UI) loginTOTPSubmit(w http.ResponseWriter, r *http.Request, rq *request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	p := &totpPage{Next: localPath(r.PostFormValue("next"))}
	pending := u.pendingToken(r)
	if pending == "" {
		u.clearPendingCookie(w)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	code := digits(r.PostFormValue("code"))
	token, err := u.cfg.Auth.CompleteTOTP(r.Context(), pending, code, r.UserAgent(), clientIP(r))
	var locked *auth.Locked
	switch {
	case errors.As(err, &locked):
		u.clearPendingCookie(w)
		p.Error = i18n.T(rq.locale, "login.locked", max(1, int(math.Ceil(locked.Until.Sub(u.clock.Now()).Minutes()))))
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(locked.Until.Sub(u.clock.Now()).Seconds()))))
		u.render(w, r, rq, http.StatusTooManyRequests, "login_totp", "", u.view(r, rq, "", p))
		return
	case guanxi.ErrorCode(err) == guanxi.EUNAUTH:
		u.log.Info("second factor refused", "ip", clientIP(r))
		p.Error = i18n.T(rq.locale, "totp.wrong")
		u.render(w, r, rq, http.StatusUnauthorized, "login_totp", "", u.view(r, rq, "", p))
		return
	case err != nil:
		u.fail(w, r, rq, err)
		return
	}
	u.clearPendingCookie(w)
	u.setSessionCookie(w, token, u.cfg.Auth.SessionTTL)
	http.Redirect(w, r, firstOf(p.Next, "/"), http.StatusSeeOther)
}
