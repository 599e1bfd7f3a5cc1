package ui

import (
	"net/http"
	"strconv"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/coupon"
	"github.com/guanxi-crm/guanxi/internal/segment"
)

// canWriteCoupons reports whether a role may design, archive and issue
// coupons: admins and care staff, who run the promotions.
func canWriteCoupons(r auth.Role) bool { return r == auth.RoleAdmin || r == auth.RoleCare }

// coupons returns the coupon service, or ENOTFOUND when the server runs
// without one.
func (u *UI) coupons() (*coupon.Service, error) {
	if u.cfg.Coupons == nil {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "coupons are not available")
	}
	return u.cfg.Coupons, nil
}

// couponForm is the new-template form as typed.
type couponForm struct {
	Name, Kind, Value, MinSpend, ValidDays, EndsAt, CodePrefix string
}

// couponListPage is the shop's 优惠券 page.
type couponListPage struct {
	Templates []coupon.Stats
	Segments  []segment.Segment // to issue to; empty without segments
	CanWrite  bool
	Form      couponForm
	Error     string
	Done      string // "created", "archived", "issued": say so
	Issued    int    // codes just issued
	IssuedTo  int64  // the segment they went to
}

// SegmentName returns the name of one of the page's segments.
func (p *couponListPage) SegmentName(id int64) string {
	for _, s := range p.Segments {
		if s.ID == id {
			return s.Name
		}
	}
	return ""
}

// couponList shows the shop's coupon templates with their figures: codes
// issued and redeemed, the redemption rate and the discount given; to
// admins and care staff, the forms to create, archive and issue.
func (u *UI) couponList(w http.ResponseWriter, r *http.Request, rq *request) {
	q := r.URL.Query()
	p := &couponListPage{Done: q.Get("done"), Form: couponForm{Kind: coupon.KindAmount, ValidDays: "30"}}
	if p.Done == "issued" {
		p.Issued, _ = strconv.Atoi(q.Get("n"))
		p.IssuedTo, _ = strconv.ParseInt(q.Get("segment"), 10, 64)
	}
	u.renderCoupons(w, r, rq, http.StatusOK, p)
}

// renderCoupons reads the templates and segments and renders the page with
// the form p holds.
func (u *UI) renderCoupons(w http.ResponseWriter, r *http.Request, rq *request, status int, p *couponListPage) {
	svc, err := u.coupons()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	ctx := r.Context()
	p.CanWrite = canWriteCoupons(rq.role)
	if p.Templates, err = svc.List(ctx, rq.shop.ID); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if p.CanWrite && u.cfg.Segments != nil {
		if p.Segments, err = u.cfg.Segments.List(ctx, rq.shop.ID); err != nil {
			u.fail(w, r, rq, err)
			return
		}
	}
	u.render(w, r, rq, status, "coupon_list", "", u.view(r, rq, "coupons", p))
}
