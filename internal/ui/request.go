package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/internal/shop"
)

// request is what the wrappers learnt about a request before its handler
// runs: who is signed in and, on shop pages, the shop and their role there.
type request struct {
	start  time.Time
	locale string
	token  string        // the session cookie's token, "" when none
	sess   *auth.Session // nil when not signed in
	shop   *shop.Shop    // set on shop pages
	role   auth.Role     // the user's role in shop
	shops  []auth.Membership
}

type handler func(w http.ResponseWriter, r *http.Request, rq *request)

const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// secure sets the security headers and refuses cross-origin POSTs (by
// Sec-Fetch-Site or Origin against Host, and, from a client that sends
// neither, by a Referer naming another host), which also protects the
// public forms: sign-in, the second factor, unsubscribe, survey answers and
// KB votes, POSTs made without a session and its CSRF token.
func (u *UI) secure(h http.Handler) http.Handler {
	h = u.cop.Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		if crossReferer(r) {
			u.fail(w, r, u.newRequest(r), guanxi.Errorf(guanxi.EFORBIDDEN, "cross-origin request refused"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// crossReferer reports whether an unsafe request carries neither
// Sec-Fetch-Site nor Origin (which CrossOriginProtection checks) but a
// Referer from another host: an old browser or a proxy that strips Origin.
// A request with no Referer either (a mail provider's one-click
// unsubscribe, curl) is let through to the CSRF token check.
func crossReferer(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	if r.Header.Get("Sec-Fetch-Site") != "" || r.Header.Get("Origin") != "" {
		return false
	}
	ref := r.Header.Get("Referer")
	if ref == "" {
		return false
	}
	p, err := url.Parse(ref)
	return err != nil || !strings.EqualFold(p.Host, r.Host)
}

func (u *UI) newRequest(r *http.Request) *request {
	return &request{start: time.Now(), locale: i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"))}
}

// loadSession fills in the session when the cookie names a live one.
func (u *UI) loadSession(r *http.Request, rq *request) error {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	sess, err := u.cfg.Auth.SessionByToken(r.Context(), c.Value)
	if guanxi.ErrorCode(err) == guanxi.EUNAUTH {
		return nil
	}
	if err != nil {
		return err
	}
	rq.token, rq.sess = c.Value, sess
	rq.locale = i18n.Normalize(sess.User.Locale)
	return nil
}

// public serves a page to anyone, with the session when there is one.
func (u *UI) public(h handler) http.Handler {
	return u.secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := u.newRequest(r)
		if err := u.loadSession(r, rq); err != nil {
			u.fail(w, r, rq, err)
			return
		}
		h(w, r, rq)
	}))
}

// user serves a signed-in user, sending anyone else to the sign-in page,
// and refuses a POST whose CSRF token is not the session's.
func (u *UI) user(h handler) http.Handler {
	return u.secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := u.newRequest(r)
		if err := u.loadSession(r, rq); err != nil {
			u.fail(w, r, rq, err)
			return
		}
		if rq.sess == nil {
			u.toLogin(w, r)
			return
		}
		// Changes made by this request are audited under the user.
		r = r.WithContext(audit.WithActor(r.Context(), audit.Actor{UserID: rq.sess.User.ID, Name: "user:" + rq.sess.User.Username, IP: clientIP(r)}))
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			limit := int64(1 << 20)
			if strings.HasSuffix(r.URL.Path, "/attachments") {
				limit = attachmentBodyLimit // a ticket's file (ticket_attach.go)
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			token := r.Header.Get("X-CSRF-Token")
			if token == "" {
				token = r.PostFormValue("csrf_token")
			}
			if !auth.CSRFEqual(token, rq.sess.CSRFToken) {
				u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "missing or wrong CSRF token"))
				return
			}
		}
		h(w, r, rq)
	}))
}

// member serves a user with a role in the shop of the URL. A shop that does
// not exist and a shop the user has no role in give the same 403, so the
// answer does not tell which shop codes exist.
func (u *UI) member(h handler) http.Handler {
	return u.user(func(w http.ResponseWriter, r *http.Request, rq *request) {
		noAccess := guanxi.Errorf(guanxi.EFORBIDDEN, "no access to this shop")
		sh, err := u.cfg.Shops.ByCode(r.Context(), r.PathValue("shop"))
		if guanxi.ErrorCode(err) == guanxi.ENOTFOUND {
			err = noAccess
		}
		if err != nil {
			u.fail(w, r, rq, err)
			return
		}
		role, err := u.cfg.Auth.RoleIn(r.Context(), rq.sess.User.ID, sh.ID)
		if err != nil {
			if guanxi.ErrorCode(err) == guanxi.EFORBIDDEN {
				err = noAccess
			}
			u.fail(w, r, rq, err)
			return
		}
		if rq.shops, err = u.cfg.Auth.Memberships(r.Context(), rq.sess.User.ID); err != nil {
			u.fail(w, r, rq, err)
			return
		}
		rq.shop, rq.role = sh, role
		h(w, r, rq)
	})
}

// toLogin sends a visitor who is not signed in to the sign-in page, to come
// back here afterwards. An htmx request is told to load the page whole.
func (u *UI) toLogin(w http.ResponseWriter, r *http.Request) {
	target := "/login"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// localPath returns next when it is a path on this site ("/s/x?q=1"), else
// "". It refuses scheme-relative ("//evil"), backslash ("/\evil") and
// absolute URLs, so a sign-in link cannot send the user elsewhere.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\x00\r\n\t") {
		return ""
	}
	p, err := url.Parse(next)
	if err != nil || p.Scheme != "" || p.Host != "" || p.User != nil {
		return ""
	}
	return next
}

// setSessionCookie stores the session token in the browser for ttl. It
// sets Max-Age only, which browsers count from their own clock.
func (u *UI) setSessionCookie(w http.ResponseWriter, token string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", MaxAge: max(int(ttl.Seconds()), 1),
		HttpOnly: true, Secure: u.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func (u *UI) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: u.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

// clientIP is the peer's address, for the session record and the audit log.
func clientIP(r *http.Request) string { return audit.PeerIP(r) }

// pageLink is path with the query v and, past the first, page=N: a list's
// link to one of its pages (v is not changed).
func pageLink(path string, v url.Values, page int) string {
	q := url.Values{}
	for k, vals := range v {
		q[k] = vals
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
