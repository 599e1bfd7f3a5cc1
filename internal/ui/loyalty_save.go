package ui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/internal/loyalty"
)

// loyaltySave saves the shop's points rules and tiers from the settings
// form (admins only; the service writes the audit entry in the same
// transaction). Rows of the tier table left without a name are dropped. A
// refused form is shown again, as typed, with the reason.
func (u *UI) loyaltySave(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := requireAdmin(rq); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	svc, err := u.loyaltySvc()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EINVALID, "unreadable form"))
		return
	}
	f := loyaltyForm{PointsPerYuan: r.PostFormValue("points_per_yuan"), PointValue: r.PostFormValue("point_value"),
		ExpiryMonths: r.PostFormValue("expiry_months"), TierBasis: r.PostFormValue("tier_basis")}
	names, thresholds := r.PostForm["tier_name"], r.PostForm["tier_threshold"]
	for i, n := range names {
		row := tierRow{Name: strings.TrimSpace(n)}
		if i < len(thresholds) {
			row.Threshold = strings.TrimSpace(thresholds[i])
		}
		if row.Name != "" || row.Threshold != "" {
			f.Tiers = append(f.Tiers, row)
		}
	}
	st, err := settingsOf(f)
	if err == nil {
		err = svc.SetSettings(r.Context(), rq.shop.ID, st)
	}
	if err != nil {
		var ge *guanxi.Error
		if !errors.As(err, &ge) || ge.Code != guanxi.EINVALID {
			u.fail(w, r, rq, err)
			return
		}
		p := &loyaltyPage{Form: f, Error: i18n.T(rq.locale, "loyalty.invalid", strings.TrimPrefix(ge.Message, "loyalty: "))}
		u.renderLoyalty(w, r, rq, http.StatusBadRequest, p)
		return
	}
	u.log.Info("loyalty settings saved", "shop", rq.shop.Code, "user", rq.sess.User.Username)
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/loyalty?saved=1", http.StatusSeeOther)
}

// settingsOf reads the settings form; a field that is not a number is
// refused with EINVALID naming it.
func settingsOf(f loyaltyForm) (loyalty.Settings, error) {
	var st loyalty.Settings
	var err error
	if st.PointsPerYuan, err = strconv.ParseInt(strings.TrimSpace(f.PointsPerYuan), 10, 64); err != nil {
		return st, guanxi.Errorf(guanxi.EINVALID, "points per yuan: a whole number is required")
	}
	if st.PointValue, err = guanxi.ParseMoney(f.PointValue); err != nil {
		return st, guanxi.Errorf(guanxi.EINVALID, "point value: an amount in yuan is required (0.01)")
	}
	if st.ExpiryMonths, err = strconv.Atoi(strings.TrimSpace(f.ExpiryMonths)); err != nil {
		return st, guanxi.Errorf(guanxi.EINVALID, "expiry months: a whole number is required (0: never)")
	}
	st.TierBasis = f.TierBasis
	for _, row := range f.Tiers {
		t := loyalty.Tier{Name: row.Name}
		if st.TierBasis == loyalty.BasisPoints {
			if t.MinPoints, err = strconv.ParseInt(row.Threshold, 10, 64); err != nil || t.MinPoints < 0 {
				return st, guanxi.Errorf(guanxi.EINVALID, "tier %s: the threshold must be a whole number of points", row.Name)
			}
		} else if t.MinSpend, err = guanxi.ParseMoney(row.Threshold); err != nil || t.MinSpend < 0 {
			return st, guanxi.Errorf(guanxi.EINVALID, "tier %s: the threshold must be an amount in yuan", row.Name)
		}
		st.Tiers = append(st.Tiers, t)
	}
	return st, nil
}
