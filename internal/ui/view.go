package ui

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/internal/shop"
)

// view is what every template gets: the request's user, shop and locale,
// with methods templates call to translate, format and mask, and the page's
// own Data.
type view struct {
	Locale string
	User   *auth.User // nil when not signed in
	CSRF   string
	Shop   *shop.Shop // nil outside a shop
	Role   auth.Role
	Shops  []auth.Membership
	Path   string // this page, for "come back here" fields
	Nav    string // the active navigation item
	Data   any
	// Revealed shows this page's contact data whole to a role that sees it
	// masked: set by an audited reveal.
	Revealed bool

	assets map[string]string
	loc    *time.Location
}

func (u *UI) view(r *http.Request, rq *request, nav string, data any) *view {
	v := &view{Locale: rq.locale, Shop: rq.shop, Role: rq.role, Shops: rq.shops, Path: r.URL.RequestURI(),
		Nav: nav, Data: data, assets: u.assets, loc: time.UTC}
	if rq.sess != nil {
		v.User, v.CSRF = rq.sess.User, rq.sess.CSRFToken
	}
	if rq.shop != nil {
		v.loc = rq.shop.Location()
	}
	return v
}

// T translates a catalog key.
func (v *view) T(key string, args ...any) string { return i18n.T(v.Locale, key, args...) }

// Label translates prefix+value ("platform." + "taobao"), or shows the value
// itself when the catalog has no entry: an unknown platform keeps its name.
func (v *view) Label(prefix, value string) string {
	if value == "" {
		return ""
	}
	if msg, ok := i18n.Lookup(v.Locale, prefix+value); ok {
		return msg
	}
	return value
}

// Asset returns the URL of a static file, with its content hash.
func (v *view) Asset(name string) string {
	if a, ok := v.assets[name]; ok {
		return a
	}
	return "/static/" + name
}

// Percent formats a share (0.42) as a whole percentage ("42%").
func (v *view) Percent(share float64) string { return fmt.Sprintf("%.0f%%", 100*share) }

// Money formats minor units (int64 or guanxi.Money) in the shop's currency.
func (v *view) Money(amount any) string {
	var m guanxi.Money
	switch a := amount.(type) {
	case guanxi.Money:
		m = a
	case int64:
		m = guanxi.Money(a)
	case int:
		m = guanxi.Money(a)
	default:
		return fmt.Sprint(amount)
	}
	cur := "CNY"
	if v.Shop != nil {
		cur = v.Shop.Currency
	}
	return i18n.Money(v.Locale, cur, m)
}

// Num formats an integer with thousands separators.
func (v *view) Num(n any) string {
	switch x := n.(type) {
	case int:
		return i18n.Number(int64(x))
	case int64:
		return i18n.Number(x)
	}
	return fmt.Sprint(n)
}

// When formats a time.Time or Unix seconds in the shop's time zone as
// 2006-01-02 15:04; the zero time and 0 give "".
func (v *view) When(t any) string { return i18n.DateTime(asTime(t), v.loc) }

// Day formats a time.Time or Unix seconds as the shop's date, 2006-01-02.
func (v *view) Day(t any) string { return i18n.Date(asTime(t), v.loc) }

func asTime(t any) time.Time {
	switch x := t.(type) {
	case time.Time:
		return x
	case int64:
		if x != 0 {
			return time.Unix(x, 0)
		}
	}
	return time.Time{}
}

// Join lists values for a text field: "a, b".
func (v *view) Join(vals []string) string { return strings.Join(vals, ", ") }

// CanEdit reports whether the user's role in this shop may edit customers.
func (v *view) CanEdit() bool { return canEdit(v.Role) }

// SeesPII reports whether the user's role in this shop sees contact data
// whole, or this page was revealed to them.
func (v *view) SeesPII() bool { return v.Role.SeesPII() || v.Revealed }

// CanReveal reports whether the user may reveal masked contact data (with
// an audit entry): service agents, who need a phone number now and then.
func (v *view) CanReveal() bool { return canReveal(v.Role) }

// IsAdmin reports whether the user is an admin of this shop.
func (v *view) IsAdmin() bool { return v.Role == auth.RoleAdmin }

// Phone shows a phone whole to roles that see PII and as 138****5678 to others.
func (v *view) Phone(s string) string {
	if s == "" || v.SeesPII() {
		return s
	}
	return guanxi.MaskPhone(s)
}

// Email shows an e-mail whole to roles that see PII and as a***@example.com to others.
func (v *view) Email(s string) string {
	if s == "" || v.SeesPII() {
		return s
	}
	return guanxi.MaskEmail(s)
}

// Contact masks an identity value by its kind: phones and e-mails as
// above, platform ids as they are.
func (v *view) Contact(kind, value string) string {
	switch kind {
	case "phone":
		return v.Phone(value)
	case "email":
		return v.Email(value)
	}
	return value
}

// Name is a customer's name, or "#id" for a customer without one.
func (v *view) Name(name string, id int64) string {
	if name != "" {
		return name
	}
	return v.T("customer.unnamed", id)
}

// render executes a page (or, with block set, one of its templates such as
// an htmx fragment) into a buffer and writes it, so a template error becomes
// a clean 500 rather than half a page.
func (u *UI) render(w http.ResponseWriter, r *http.Request, rq *request, status int, page, block string, v *view) {
	t, ok := u.pages[page]
	if !ok {
		u.fail(w, r, rq, fmt.Errorf("ui: no page %q", page))
		return
	}
	if block == "" {
		block = "layout"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, v); err != nil {
		u.log.Error("render", "page", page, "block", block, "path", r.URL.Path, "err", err)
		if page != "error" {
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		}
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "HX-Request, Cookie, Accept-Language")
	h.Set("Content-Language", v.Locale)
	h.Set("Server-Timing", fmt.Sprintf("app;dur=%.1f", float64(time.Since(rq.start).Microseconds())/1000))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

type errorPage struct {
	Status  int
	Title   string
	Message string
}

// fail answers with the error page for err's code. Internal errors are
// logged here, once, with their detail; the page shows a generic message.
// A forbidden page never shows the shop (its name would leak).
func (u *UI) fail(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	code := guanxi.ErrorCode(err)
	status := map[string]int{
		guanxi.ENOTFOUND:  http.StatusNotFound,
		guanxi.EFORBIDDEN: http.StatusForbidden,
		guanxi.EUNAUTH:    http.StatusUnauthorized,
		guanxi.EINVALID:   http.StatusBadRequest,
		guanxi.ECONFLICT:  http.StatusConflict,
		guanxi.ELIMIT:     http.StatusTooManyRequests,
	}[code]
	if status == 0 {
		status = http.StatusInternalServerError
		u.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if code == guanxi.EFORBIDDEN {
		rq.shop, rq.role = nil, ""
	}
	v := u.view(r, rq, "", errorPage{Status: status, Title: i18n.T(rq.locale, "error.title."+code), Message: i18n.ErrorMessage(rq.locale, err)})
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-History-Restore-Request") != "true" {
		u.render(w, r, rq, status, "error", "main", v)
		return
	}
	u.render(w, r, rq, status, "error", "", v)
}
