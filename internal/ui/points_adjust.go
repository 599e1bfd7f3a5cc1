package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/internal/loyalty"
)

// canAdjustPoints reports whether a role may add or take a customer's
// points by hand: admins and service agents, who settle complaints with
// them.
func canAdjustPoints(r auth.Role) bool { return r == auth.RoleAdmin || r == auth.RoleAgent }

// ledgerShown is how many of a customer's latest points entries their page lists.
const ledgerShown = 20

// pointsCard is the customer page's points and tier.
type pointsCard struct {
	Balance   int64
	Value     guanxi.Money // the balance at the shop's point value
	Tier      string
	Ledger    []loyalty.Entry
	CanAdjust bool
	Error     string // why an adjustment just failed
	Points    string // the adjustment as typed, shown again after a failure
	Reason    string
}

// pointsOf reads a customer's points card, or nil when the server runs
// without loyalty.
func (u *UI) pointsOf(r *http.Request, rq *request, customerID int64) (*pointsCard, error) {
	svc := u.cfg.Loyalty
	if svc == nil {
		return nil, nil
	}
	ctx, shopID := r.Context(), rq.shop.ID
	pc := &pointsCard{CanAdjust: canAdjustPoints(rq.role)}
	var err error
	if pc.Balance, err = svc.Balance(ctx, shopID, customerID); err != nil {
		return nil, err
	}
	st, err := svc.Settings(ctx, shopID)
	if err != nil {
		return nil, err
	}
	pc.Value = guanxi.Money(pc.Balance) * st.PointValue
	if pc.Tier, _, err = svc.CustomerTier(ctx, shopID, customerID); err != nil {
		return nil, err
	}
	if pc.Ledger, err = svc.Ledger(ctx, shopID, customerID, 0, ledgerShown); err != nil {
		return nil, err
	}
	return pc, nil
}

// pointsAdjust adds or takes a customer's points by hand, with a reason
// (admins and agents; the service writes the audit entry in the same
// transaction). A refused adjustment — no reason, not a number, or more
// taken than the customer has — shows the customer page again with the
// reason, 400 or 409.
func (u *UI) pointsAdjust(w http.ResponseWriter, r *http.Request, rq *request) {
	if !canAdjustPoints(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not adjust points"))
		return
	}
	svc, err := u.loyaltySvc()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	id, err := customerID(r)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	raw, reason := strings.TrimSpace(r.PostFormValue("points")), strings.TrimSpace(r.PostFormValue("reason"))
	points, perr := strconv.ParseInt(strings.TrimPrefix(raw, "+"), 10, 64)
	if perr != nil {
		err = guanxi.Errorf(guanxi.EINVALID, "points: a whole number is required")
	} else {
		_, err = svc.Adjust(r.Context(), rq.shop.ID, id, points, reason)
	}
	code := guanxi.ErrorCode(err)
	if code == guanxi.EINVALID || code == guanxi.ECONFLICT {
		p, perr := u.customerPageData(r, rq)
		if perr != nil {
			u.fail(w, r, rq, perr)
			return
		}
		status, key := http.StatusBadRequest, "points.invalid"
		if code == guanxi.ECONFLICT {
			status, key = http.StatusConflict, "points.insufficient"
		}
		if p.Points != nil {
			p.Points.Error, p.Points.Points, p.Points.Reason = i18n.T(rq.locale, key), raw, reason
		}
		u.render(w, r, rq, status, "customer_show", "", u.view(r, rq, "customers", p))
		return
	}
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.log.Info("points adjusted", "shop", rq.shop.Code, "customer", id, "points", points, "user", rq.sess.User.Username)
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/customers/"+strconv.FormatInt(id, 10)+"?saved=points#points", http.StatusSeeOther)
}
