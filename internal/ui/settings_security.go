package ui

import (
	"errors"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/i18n"
)

// securityPage is the user's own sign-in settings: the second factor.
type securityPage struct {
	Enrolment *auth.Enrolment // a secret to scan, while TOTP is off
	// QR is the enrolment's QR code, a data: URL made by the server (so
	// html/template may put it in src unfiltered).
	QR    template.URL
	Error string
	Done  string // "on" or "off" just now
}

// securityShow shows whether the user signs in with a second factor and,
// when not, a fresh secret as a QR code to turn it on with.
func (u *UI) securityShow(w http.ResponseWriter, r *http.Request, rq *request) {
	p := &securityPage{Done: r.URL.Query().Get("done")}
	if !rq.sess.User.TOTP {
		var err error
		if p.Enrolment, err = u.cfg.Auth.NewEnrolment(rq.sess.User.Username); err != nil {
			u.fail(w, r, rq, err)
			return
		}
	}
	u.renderSecurity(w, r, rq, http.StatusOK, p)
}

func (u *UI) renderSecurity(w http.ResponseWriter, r *http.Request, rq *request, status int, p *securityPage) {
	if p.Enrolment != nil && strings.HasPrefix(p.Enrolment.QR, "data:image/png;base64,") {
		p.QR = template.URL(p.Enrolment.QR) // made by auth.NewEnrolment, never from input
	}
	u.render(w, r, rq, status, "settings_security", "", u.view(r, rq, "", p))
}

// totpEnable turns the second factor on once the code shows the user's
// authenticator holds the secret; a wrong code shows the same secret again.
func (u *UI) totpEnable(w http.ResponseWriter, r *http.Request, rq *request) {
	secret, code := r.PostFormValue("secret"), digits(r.PostFormValue("code"))
	// The password first, through the sign-in throttle: else whoever holds
	// a session (a stolen cookie, a browser left open) could put their
	// own authenticator on the account and lock its owner out.
	_, err := u.cfg.Auth.Authenticate(r.Context(), rq.sess.User.Username, r.PostFormValue("password"), clientIP(r))
	var locked *auth.Locked
	switch {
	case errors.As(err, &locked):
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(locked.Until.Sub(u.clock.Now()).Seconds()))))
		p := &securityPage{Error: i18n.T(rq.locale, "login.locked", max(1, int(math.Ceil(locked.Until.Sub(u.clock.Now()).Minutes()))))}
		if p.Enrolment, err = u.cfg.Auth.EnrolmentOf(rq.sess.User.Username, secret); err != nil {
			u.fail(w, r, rq, err)
			return
		}
		u.renderSecurity(w, r, rq, http.StatusTooManyRequests, p)
		return
	case guanxi.ErrorCode(err) == guanxi.EUNAUTH:
		err = guanxi.Errorf(guanxi.EUNAUTH, "wrong password") // shown as the page's one message below
	case err == nil:
		err = u.cfg.Auth.EnableTOTP(r.Context(), rq.sess.User.ID, secret, code)
	}
	if guanxi.ErrorCode(err) == guanxi.EUNAUTH {
		p := &securityPage{Error: i18n.T(rq.locale, "totp.wrong_disable")}
		if p.Enrolment, err = u.cfg.Auth.EnrolmentOf(rq.sess.User.Username, secret); err != nil {
			u.fail(w, r, rq, err)
			return
		}
		u.renderSecurity(w, r, rq, http.StatusUnprocessableEntity, p)
		return
	}
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	// Whoever else holds a session of this user (a stolen cookie, a
	// forgotten browser) signed in without the factor: they are signed out.
	if err := u.cfg.Auth.EndOtherSessions(r.Context(), rq.sess.User.ID, rq.token); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.log.Info("second factor on", "user", rq.sess.User.Username)
	http.Redirect(w, r, "/settings/security?done=on", http.StatusSeeOther)
}

// totpDisable turns the second factor off, with the password and a code.
// It signs out every session, this one included.
func (u *UI) totpDisable(w http.ResponseWriter, r *http.Request, rq *request) {
	err := u.cfg.Auth.DisableTOTP(r.Context(), rq.sess.User.ID, r.PostFormValue("password"), digits(r.PostFormValue("code")))
	var locked *auth.Locked
	if errors.As(err, &locked) {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(locked.Until.Sub(u.clock.Now()).Seconds()))))
		u.renderSecurity(w, r, rq, http.StatusTooManyRequests, &securityPage{
			Error: i18n.T(rq.locale, "login.locked", max(1, int(math.Ceil(locked.Until.Sub(u.clock.Now()).Minutes()))))})
		return
	}
	if guanxi.ErrorCode(err) == guanxi.EUNAUTH {
		u.renderSecurity(w, r, rq, http.StatusUnprocessableEntity, &securityPage{Error: i18n.T(rq.locale, "totp.wrong_disable")})
		return
	}
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.log.Info("second factor off", "user", rq.sess.User.Username)
	u.clearSessionCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// digits keeps the digits of a typed code ("123 456" → "123456").
func digits(s string) string {
	out := make([]byte, 0, 6)
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			out = append(out, s[i])
		}
	}
	return string(out)
}
