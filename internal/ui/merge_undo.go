package ui

import (
	"net/http"
	"strconv"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/i18n"
)

// mergeUndo undoes a merge from the survivor's page: what it moved goes
// back, and fields edited since the merge keep their newer value (the page
// then says so).
func (u *UI) mergeUndo(w http.ResponseWriter, r *http.Request, rq *request) {
	if !canMerge(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not undo merges"))
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.ENOTFOUND, "no merge %q", r.PathValue("id")))
		return
	}
	res, err := u.cfg.Customers.Undo(r.Context(), rq.shop.ID, id, rq.sess.User.ID, u.clock.Now())
	if err != nil {
		u.failSaying(w, r, rq, err, "merge.undo_refused")
		return
	}
	u.log.Info("merge undone", "shop", rq.shop.Code, "merge", id, "survivor", res.SurvivorID, "merged", res.MergedID, "kept", res.Kept, "user", rq.sess.User.Username)
	saved := "undone"
	if len(res.Kept) > 0 {
		saved = "undone_kept"
	}
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/customers/"+strconv.FormatInt(res.SurvivorID, 10)+"?saved="+saved+"#merges", http.StatusSeeOther)
}

func parseRFC3339(s string) (time.Time, error) { return time.Parse(time.RFC3339, s) }

// failSaying answers a refused merge or undo (a conflict or an invalid
// request) with the page's own explanation, which says more than the
// generic message of the code; other errors go to fail.
func (u *UI) failSaying(w http.ResponseWriter, r *http.Request, rq *request, err error, key string) {
	code := guanxi.ErrorCode(err)
	status := map[string]int{guanxi.ECONFLICT: http.StatusConflict, guanxi.EINVALID: http.StatusBadRequest}[code]
	if status == 0 {
		u.fail(w, r, rq, err)
		return
	}
	v := u.view(r, rq, "", errorPage{Status: status, Title: i18n.T(rq.locale, "error.title."+code), Message: i18n.T(rq.locale, key)})
	u.render(w, r, rq, status, "error", "", v)
}
