package ui

import (
	"net/http"
	"strconv"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/customer"
)

// canEdit reports whether a role may change customer profiles: everyone
// but analysts, whose role is to read.
func canEdit(r auth.Role) bool {
	return r == auth.RoleAdmin || r == auth.RoleAgent || r == auth.RoleCare
}

// customerSave applies the profile form of the customer page. The form
// carries the version it was shown with: an edit made on an older version
// is refused with 409 and nothing is written over the newer change.
func (u *UI) customerSave(w http.ResponseWriter, r *http.Request, rq *request) {
	if !canEdit(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not edit customers"))
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.ENOTFOUND, "no customer %q", r.PathValue("id")))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EINVALID, "the form lacks the version it was made on"))
		return
	}
	e := customer.Edit{Name: r.PostFormValue("name"), Gender: r.PostFormValue("gender"), Birthday: r.PostFormValue("birthday"),
		Province: r.PostFormValue("province"), City: r.PostFormValue("city"), Tags: customer.ParseTags(r.PostFormValue("tags"))}
	if _, err := u.cfg.Customers.Update(r.Context(), rq.shop.ID, id, version, e, rq.sess.User.ID, u.clock.Now()); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.log.Info("customer edited", "shop", rq.shop.Code, "customer", id, "user", rq.sess.User.Username)
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/customers/"+strconv.FormatInt(id, 10)+"?saved=1", http.StatusSeeOther)
}
