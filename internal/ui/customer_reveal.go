package ui

import (
	"net/http"
	"strconv"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
)

// canReveal reports whether a role may reveal contact data it sees masked:
// service agents, who must now and then call a customer back. Analysts
// may not; admins and care staff see it anyway.
func canReveal(r auth.Role) bool { return r == auth.RoleAgent || r.SeesPII() }

// customerReveal shows the customer page with phone, e-mail and address
// whole, once, and records in the audit log who saw whose contact data. It
// is a POST so that it needs the CSRF token and is never prefetched; the
// revealed page is not cached (render sets no-store).
func (u *UI) customerReveal(w http.ResponseWriter, r *http.Request, rq *request) {
	if !canReveal(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not see customers' contact data"))
		return
	}
	p, err := u.customerPageData(r, rq)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if p.C.MergedInto != 0 {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.ENOTFOUND, "customer %d was merged into %d", p.C.ID, p.C.MergedInto))
		return
	}
	var fields []string
	for _, f := range []struct{ name, v string }{{"phone", p.C.Phone}, {"email", p.C.Email}, {"address", p.C.Address}} {
		if f.v != "" {
			fields = append(fields, f.name)
		}
	}
	if err := u.cfg.Audit.Record(r.Context(), rq.shop.ID, "customer.reveal", "customer", p.C.ID, map[string]any{"fields": fields, "reason": truncateRunes(r.PostFormValue("reason"), 200)}); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.log.Info("contact data revealed", "shop", rq.shop.Code, "customer", p.C.ID, "user", rq.sess.User.Username)
	v := u.view(r, rq, "customers", p)
	v.Revealed = true
	u.render(w, r, rq, http.StatusOK, "customer_show", "", v)
}

// customerNote adds a note to a customer's timeline.
func (u *UI) customerNote(w http.ResponseWriter, r *http.Request, rq *request) {
	if !canEdit(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not write notes"))
		return
	}
	id, err := customerID(r)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if _, err := u.cfg.Customers.AddNote(r.Context(), rq.shop.ID, id, r.PostFormValue("note"), rq.sess.User.ID, u.clock.Now()); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/customers/"+strconv.FormatInt(id, 10)+"?saved=note#timeline", http.StatusSeeOther)
}

// truncateRunes cuts s to at most n characters.
func truncateRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
