package ui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/coupon"
	"github.com/guanxi-crm/guanxi/internal/i18n"
)

// couponCreate saves a new coupon template from the page's form (admins
// and care staff; the service writes the audit entry). A refused form is
// shown again, as typed, with the reason.
func (u *UI) couponCreate(w http.ResponseWriter, r *http.Request, rq *request) {
	if !canWriteCoupons(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not change coupons"))
		return
	}
	svc, err := u.coupons()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	f := couponForm{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Value: strings.TrimSpace(r.PostFormValue("value")),
		MinSpend: strings.TrimSpace(r.PostFormValue("min_spend")), ValidDays: strings.TrimSpace(r.PostFormValue("valid_days")),
		EndsAt: strings.TrimSpace(r.PostFormValue("ends_at")), CodePrefix: r.PostFormValue("code_prefix")}
	t, err := templateOf(f, rq.shop.Location())
	if err == nil {
		err = svc.CreateTemplate(r.Context(), rq.shop.ID, t)
	}
	if guanxi.ErrorCode(err) == guanxi.EINVALID {
		p := &couponListPage{Form: f, Error: i18n.T(rq.locale, "coupons.invalid", guanxi.ErrorMessage(err))}
		u.renderCoupons(w, r, rq, http.StatusBadRequest, p)
		return
	}
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.log.Info("coupon template created", "shop", rq.shop.Code, "template", t.ID, "user", rq.sess.User.Username)
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/coupons?done=created", http.StatusSeeOther)
}

// templateOf reads the new-template form: the value is yuan off for an
// amount and a whole percentage for a percentage; the end date is the
// last day codes are valid, in the shop's time zone.
func templateOf(f couponForm, loc *time.Location) (*coupon.Template, error) {
	t := &coupon.Template{Name: f.Name, Kind: f.Kind, CodePrefix: f.CodePrefix}
	switch f.Kind {
	case coupon.KindAmount:
		m, err := guanxi.ParseMoney(f.Value)
		if err != nil {
			return nil, guanxi.Errorf(guanxi.EINVALID, "value: an amount in yuan is required")
		}
		t.Value = int64(m)
	case coupon.KindPercent:
		n, err := strconv.ParseInt(f.Value, 10, 64)
		if err != nil {
			return nil, guanxi.Errorf(guanxi.EINVALID, "value: a whole percentage is required")
		}
		t.Value = n
	}
	if f.MinSpend != "" {
		m, err := guanxi.ParseMoney(f.MinSpend)
		if err != nil {
			return nil, guanxi.Errorf(guanxi.EINVALID, "min_spend: an amount in yuan is required")
		}
		t.MinSpend = m
	}
	if f.ValidDays != "" {
		n, err := strconv.Atoi(f.ValidDays)
		if err != nil {
			return nil, guanxi.Errorf(guanxi.EINVALID, "valid_days: a whole number of days is required")
		}
		t.ValidDays = n
	}
	if f.EndsAt != "" {
		d, err := time.ParseInLocation("2006-01-02", f.EndsAt, loc)
		if err != nil {
			return nil, guanxi.Errorf(guanxi.EINVALID, "ends_at: a date is required (2006-01-02)")
		}
		t.EndsAt = d.AddDate(0, 0, 1) // valid through the whole day
	}
	return t, nil
}

// couponTemplate reads the {id} of a template URL and the template, in
// the request's shop (another shop's is not found).
func (u *UI) couponTemplate(r *http.Request, rq *request, svc *coupon.Service) (*coupon.Template, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "no coupon template %q", r.PathValue("id"))
	}
	return svc.Template(r.Context(), rq.shop.ID, id)
}

// couponArchive archives a template: it issues no more codes, and codes
// already issued stay valid.
func (u *UI) couponArchive(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, t, ok := u.writableTemplate(w, r, rq)
	if !ok {
		return
	}
	t.Status = coupon.StatusArchived
	if err := svc.UpdateTemplate(r.Context(), rq.shop.ID, t); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.log.Info("coupon template archived", "shop", rq.shop.Code, "template", t.ID, "user", rq.sess.User.Username)
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/coupons?done=archived", http.StatusSeeOther)
}

// couponIssue issues a code of the template to every current member of a
// saved segment of the shop, and shows how many were issued.
func (u *UI) couponIssue(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, t, ok := u.writableTemplate(w, r, rq)
	if !ok {
		return
	}
	segID, err := strconv.ParseInt(r.PostFormValue("segment"), 10, 64)
	if err != nil || segID <= 0 {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EINVALID, "choose a saved segment to issue to"))
		return
	}
	n, err := svc.IssueToSegment(r.Context(), rq.shop.ID, t.ID, segID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.log.Info("coupons issued", "shop", rq.shop.Code, "template", t.ID, "segment", segID, "codes", n, "user", rq.sess.User.Username)
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/coupons?done=issued&n="+strconv.Itoa(n)+"&segment="+strconv.FormatInt(segID, 10), http.StatusSeeOther)
}

// writableTemplate reads the coupon template of the path for a change,
// answering the request itself when it cannot: 403 for a role that does
// not write coupons (first, so no template's existence shows), 404.
func (u *UI) writableTemplate(w http.ResponseWriter, r *http.Request, rq *request) (*coupon.Service, *coupon.Template, bool) {
	if !canWriteCoupons(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not change coupons"))
		return nil, nil, false
	}
	svc, err := u.coupons()
	if err != nil {
		u.fail(w, r, rq, err)
		return nil, nil, false
	}
	t, err := u.couponTemplate(r, rq, svc)
	if err != nil {
		u.fail(w, r, rq, err)
		return nil, nil, false
	}
	return svc, t, true
}
