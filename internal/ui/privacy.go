package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/internal/privacy"
)

// A customer's data rights on their page (admins only): download
// everything held on them, and erase their personal data. The shop's
// retention limits have a settings page of their own, also admins only.
// Each asks for a reason, which the audit log keeps.

func (u *UI) privacySvc() (*privacy.Service, error) {
	if u.cfg.Privacy == nil {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "no personal-data tools on this server")
	}
	return u.cfg.Privacy, nil
}

func adminOnly(rq *request, what string) error {
	if rq.role != auth.RoleAdmin {
		return guanxi.Errorf(guanxi.EFORBIDDEN, "only a shop admin may %s", what)
	}
	return nil
}

// customerExport: POST /s/{shop}/customers/{id}/export answers with the
// file (JSON, or a zip of CSV files). A POST, so it carries the CSRF token
// and a reason, and is never prefetched.
func (u *UI) customerExport(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := adminOnly(rq, "export a customer's data"); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	svc, err := u.privacySvc()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	id, err := customerID(r)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	format := r.PostFormValue("format")
	if format != "csv" {
		format = "json"
	}
	e, err := svc.Export(r.Context(), rq.shop.ID, rq.shop.Code, id, format, truncateRunes(strings.TrimSpace(r.PostFormValue("reason")), 200))
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	name := rq.shop.Code + "-customer-" + strconv.FormatInt(id, 10)
	w.Header().Set("Cache-Control", "no-store")
	if format == "csv" {
		w.Header().Set("Content-Type", "application/zip")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.zip"`)
		err = e.WriteZip(w)
	} else {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.json"`)
		err = e.WriteJSON(w)
	}
	if err != nil {
		u.log.Error("customer export", "shop", rq.shop.Code, "customer", id, "err", err)
	}
}

// customerErase: POST /s/{shop}/customers/{id}/erase, with a reason and
// the confirmation box ticked.
func (u *UI) customerErase(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := adminOnly(rq, "erase a customer's personal data"); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	svc, err := u.privacySvc()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	id, err := customerID(r)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EINVALID, "confirm: tick the box to confirm the erasure, which cannot be undone"))
		return
	}
	if _, err := svc.Erase(r.Context(), rq.shop.ID, id, truncateRunes(strings.TrimSpace(r.PostFormValue("reason")), 200)); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.log.Info("personal data erased", "shop", rq.shop.Code, "customer", id, "user", rq.sess.User.Username)
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/customers/"+strconv.FormatInt(id, 10)+"?saved=erased", http.StatusSeeOther)
}

// privacyPage is the retention settings page.
type privacyPage struct {
	R     privacy.Retention
	Kinds []string
	Saved bool
	Error string
}

// Has reports whether the timeline limit applies to kind.
func (p *privacyPage) Has(kind string) bool {
	for _, k := range p.R.TimelineKinds {
		if k == kind {
			return true
		}
	}
	return false
}

// privacySettings: GET /s/{shop}/privacy.
func (u *UI) privacySettings(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := adminOnly(rq, "see the retention settings"); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	svc, err := u.privacySvc()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	rt, err := svc.Settings(r.Context(), rq.shop.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &privacyPage{R: rt, Kinds: privacy.TimelineKindChoices, Saved: r.URL.Query().Get("saved") == "1"}
	u.render(w, r, rq, http.StatusOK, "privacy_settings", "", u.view(r, rq, "privacy", p))
}

// privacySave: POST /s/{shop}/privacy.
func (u *UI) privacySave(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := adminOnly(rq, "change the retention settings"); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	svc, err := u.privacySvc()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	num := func(name string) (int, error) {
		s := strings.TrimSpace(r.PostFormValue(name))
		if s == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, guanxi.Errorf(guanxi.EINVALID, "%s: expected a whole number of days, got %q", name, s)
		}
		return n, nil
	}
	var rt privacy.Retention
	var errs []error
	for _, f := range []struct {
		name string
		dst  *int
	}{{"sign_in_days", &rt.SignInDays}, {"audit_days", &rt.AuditDays}, {"timeline_days", &rt.TimelineDays},
		{"campaign_address_days", &rt.CampaignAddressDays}, {"attachment_days", &rt.AttachmentDays}, {"inbound_days", &rt.InboundDays},
		{"survey_comment_days", &rt.SurveyCommentDays}, {"inactive_years", &rt.InactiveYears}} {
		n, err := num(f.name)
		if err != nil {
			errs = append(errs, err)
		}
		*f.dst = n
	}
	rt.TimelineKinds = r.PostForm["timeline_kinds"]
	v, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	rt.Version = v
	if len(errs) == 0 {
		err = svc.SaveSettings(r.Context(), rq.shop.ID, rt)
	} else {
		err = errs[0]
	}
	if err != nil {
		if code := guanxi.ErrorCode(err); code == guanxi.EINVALID || code == guanxi.ECONFLICT {
			p := &privacyPage{R: rt, Kinds: privacy.TimelineKindChoices, Error: i18n.ErrorMessage(rq.locale, err)}
			u.render(w, r, rq, http.StatusBadRequest, "privacy_settings", "", u.view(r, rq, "privacy", p))
			return
		}
		u.fail(w, r, rq, err)
		return
	}
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/privacy?saved=1", http.StatusSeeOther)
}
