package ui

import "net/http"

// Register mounts the pages on mux. Each route names who may use it:
//
//	public  anyone (a signed-in user is recognised but not required)
//	user    a signed-in user; POSTs must carry the session's CSRF token
//	member  a user with any role in the shop named by {shop}, checked with
//	        auth.RoleIn on every request; others get 403 whether or not the
//	        shop exists
//
// Every response carries the security headers (CSP with scripts from 'self'
// only, nosniff, Referrer-Policy, frame-ancestors 'none'), and every POST is
// refused when the browser says it comes from another origin.
func (u *UI) Register(mux *http.ServeMux) {
	mux.Handle("GET /static/", u.secure(http.HandlerFunc(u.serveStatic)))

	mux.Handle("GET /login", u.public(u.loginShow))
	mux.Handle("POST /login", u.public(u.loginSubmit))
	mux.Handle("POST /logout", u.user(u.logoutSubmit))
	mux.Handle("POST /settings/locale", u.user(u.localeSave))
	mux.Handle("GET /{$}", u.user(u.homeShow))

	mux.Handle("GET /s/{shop}/{$}", u.member(u.shopHome))
	mux.Handle("GET /s/{shop}/customers", u.member(u.customerList))
	mux.Handle("GET /s/{shop}/customers/{id}", u.member(u.customerShow))
	mux.Handle("POST /s/{shop}/customers/{id}", u.member(u.customerSave))
	mux.Handle("GET /s/{shop}/dashboard", u.member(u.dashboardShow))
	mux.Handle("GET /s/{shop}/dashboard/{chart}", u.member(u.dashboardCSV))
}
