package ui

import (
	"net/http"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/i18n"
)

// localeSave stores the user's language and goes back to the page they were on.
func (u *UI) localeSave(w http.ResponseWriter, r *http.Request, rq *request) {
	locale := r.PostFormValue("locale")
	if !i18n.Supported(locale) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EINVALID, "unknown language %q", locale))
		return
	}
	if err := u.cfg.Auth.SetLocale(r.Context(), rq.sess.User.ID, locale); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	http.Redirect(w, r, firstOf(localPath(r.PostFormValue("next")), "/"), http.StatusSeeOther)
}
