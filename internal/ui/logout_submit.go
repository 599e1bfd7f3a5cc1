package ui

import "net/http"

// logoutSubmit ends the session and clears its cookie.
func (u *UI) logoutSubmit(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := u.cfg.Auth.EndSession(r.Context(), rq.token); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.clearSessionCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
