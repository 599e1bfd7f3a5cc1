package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/care"
)

// careForm is the editor's fields as typed, so a refused form shows again
// with what was entered.
type careForm struct {
	Name                      string
	Enabled                   bool
	Trigger, Direction        string
	Days                      int
	SegmentID                 int64
	MinSpend, Tier            string // MinSpend in yuan
	Action                    string
	Channel, Purpose, Subject string
	Body, ProviderTemplate    string
	Title                     string
	DueDays                   int
	AssigneeID, TeamID        int64
	Tag                       string
	Points                    int64
	CouponTemplateID, Version int64
}

type carePage struct {
	ID          int64
	Rule        *care.Rule // nil for a new one
	Form        careForm
	Triggers    []string
	Actions     []string
	Channels    []string
	Segments    []option
	Coupons     []option
	Runs        []care.Run
	Occurrences []care.Occurrence
	Error       string
	Notice      string
	CanWrite    bool
}

func careFormOf(r *care.Rule) careForm {
	p := r.Params
	f := careForm{Name: r.Name, Enabled: r.Enabled, Trigger: r.Trigger, Direction: p.Direction, Days: r.Days, SegmentID: r.SegmentID,
		MinSpend: yuan(r.MinSpend), Tier: r.Tier, Action: r.Action, Channel: p.Channel, Purpose: p.Purpose, Subject: p.Subject,
		Body: p.Body, ProviderTemplate: p.ProviderTemplate, Title: p.Title, DueDays: p.DueDays, AssigneeID: p.AssigneeID, TeamID: p.TeamID,
		Tag: p.Tag, Points: p.Points, CouponTemplateID: p.CouponTemplateID, Version: r.Version}
	return f
}

// readCareForm parses the posted editor into the form and a rule. The
// error names the field at fault.
func readCareForm(r *http.Request) (careForm, *care.Rule, error) {
	pf := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	num := func(k string) int64 { n, _ := strconv.ParseInt(pf(k), 10, 64); return n }
	f := careForm{Name: pf("name"), Enabled: r.PostFormValue("enabled") == "on", Trigger: pf("trigger"), Direction: pf("direction"),
		Days: int(num("days")), SegmentID: num("segment_id"), MinSpend: pf("min_spend"), Tier: pf("tier"), Action: pf("action"),
		Channel: pf("channel"), Purpose: pf("purpose"), Subject: pf("subject"), Body: r.PostFormValue("body"), ProviderTemplate: pf("provider_template"),
		Title: pf("title"), DueDays: int(num("due_days")), AssigneeID: num("assignee_id"), TeamID: num("team_id"), Tag: pf("tag"),
		Points: num("points"), CouponTemplateID: num("coupon_template_id"), Version: num("version")}
	rule := &care.Rule{Name: f.Name, Enabled: f.Enabled, Trigger: f.Trigger, Days: f.Days, SegmentID: f.SegmentID, Tier: f.Tier,
		Action: f.Action, Version: f.Version, Params: care.Params{Direction: f.Direction, Channel: f.Channel, Purpose: f.Purpose,
			Subject: f.Subject, Body: f.Body, ProviderTemplate: f.ProviderTemplate, Title: f.Title, DueDays: f.DueDays,
			AssigneeID: f.AssigneeID, TeamID: f.TeamID, Tag: f.Tag, Points: f.Points, CouponTemplateID: f.CouponTemplateID}}
	if f.MinSpend != "" {
		m, err := guanxi.ParseMoney(f.MinSpend)
		if err != nil {
			return f, nil, guanxi.Errorf(guanxi.EINVALID, "min_spend: %q is not an amount", f.MinSpend)
		}
		rule.MinSpend = m
	}
	return f, rule, nil
}

// carePageFor fills the editor's choices.
func (u *UI) carePageFor(r *http.Request, rq *request, p *carePage) error {
	p.Triggers, p.Actions, p.Channels, p.CanWrite = care.Triggers, care.Actions, campaign.Channels, canWriteCare(rq.role)
	var err error
	p.Segments, p.Coupons, err = u.audienceOptions(r, rq)
	return err
}

// careNew shows an empty editor: a birthday message by SMS.
func (u *UI) careNew(w http.ResponseWriter, r *http.Request, rq *request) {
	if !canWriteCare(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not create care rules"))
		return
	}
	if _, err := u.careRules(); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &carePage{Form: careForm{Enabled: true, Trigger: care.Birthday, Action: care.Message, Channel: campaign.SMS, Purpose: campaign.Marketing, DueDays: 3}}
	if err := u.carePageFor(r, rq, p); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, http.StatusOK, "care_edit", "", u.view(r, rq, "care", p))
}

// careCreate saves a new rule.
func (u *UI) careCreate(w http.ResponseWriter, r *http.Request, rq *request) {
	u.careSave(w, r, rq, nil)
}

// careUpdate saves a rule's changes.
func (u *UI) careUpdate(w http.ResponseWriter, r *http.Request, rq *request) {
	if _, rule, ok := u.writableCare(w, r, rq); ok {
		u.careSave(w, r, rq, rule)
	}
}

// writableCare reads the rule of the path for a change, answering the
// request itself (403 for a role that does not write care rules, first, so
// that no rule's existence shows; 404) when it cannot.
func (u *UI) writableCare(w http.ResponseWriter, r *http.Request, rq *request) (*care.Service, *care.Rule, bool) {
	if !canWriteCare(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not change care rules"))
		return nil, nil, false
	}
	svc, err := u.careRules()
	if err != nil {
		u.fail(w, r, rq, err)
		return nil, nil, false
	}
	rule, err := careRuleOf(r, rq, svc)
	if err != nil {
		u.fail(w, r, rq, err)
		return nil, nil, false
	}
	return svc, rule, true
}

func (u *UI) careSave(w http.ResponseWriter, r *http.Request, rq *request, cur *care.Rule) {
	if !canWriteCare(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not change care rules"))
		return
	}
	svc, err := u.careRules()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	f, rule, err := readCareForm(r)
	p := &carePage{Form: f, Rule: cur}
	if cur != nil {
		p.ID = cur.ID
	}
	if perr := u.carePageFor(r, rq, p); perr != nil {
		u.fail(w, r, rq, perr)
		return
	}
	if err == nil {
		if cur == nil {
			err = svc.Create(r.Context(), rq.shop.ID, rule)
		} else {
			rule.ID = cur.ID
			err = svc.Update(r.Context(), rq.shop.ID, rule)
		}
	}
	if err != nil {
		msg, status, ok := formError(rq.locale, err)
		if !ok {
			u.fail(w, r, rq, err)
			return
		}
		p.Error = msg
		u.render(w, r, rq, status, "care_edit", "", u.view(r, rq, "care", p))
		return
	}
	u.log.Info("care rule saved", "shop", rq.shop.Code, "rule", rule.ID, "user", rq.sess.User.Username)
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/care/"+strconv.FormatInt(rule.ID, 10)+"?saved=1", http.StatusSeeOther)
}

// careShow is a rule's page: its editor (read-only for those who may not
// write), its recent runs and the occurrences it handled — customer, when,
// what was done or why not.
func (u *UI) careShow(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.careRules()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	rule, err := careRuleOf(r, rq, svc)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &carePage{ID: rule.ID, Rule: rule, Form: careFormOf(rule)}
	if err := u.carePageFor(r, rq, p); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	switch {
	case r.URL.Query().Get("saved") == "1":
		p.Notice = "care.saved"
	case r.URL.Query().Get("ran") != "":
		p.Notice = "care.ran"
	}
	ctx := r.Context()
	if p.Runs, err = svc.Runs(ctx, rq.shop.ID, rule.ID, 20); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if p.Occurrences, err = svc.Occurrences(ctx, rq.shop.ID, rule.ID, 100); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, http.StatusOK, "care_edit", "", u.view(r, rq, "care", p))
}

// careRun runs a rule now; its page then shows the run.
func (u *UI) careRun(w http.ResponseWriter, r *http.Request, rq *request) {
	_, rule, ok := u.writableCare(w, r, rq)
	if !ok {
		return
	}
	run, err := u.cfg.CareJobs.RunCareRule(r.Context(), rq.shop.ID, rule.ID)
	if err != nil && run == nil {
		u.fail(w, r, rq, err)
		return
	}
	u.log.Info("care rule run", "shop", rq.shop.Code, "rule", rule.ID, "user", rq.sess.User.Username, "acted", run.Acted, "errors", run.Errors)
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/care/"+strconv.FormatInt(rule.ID, 10)+"?ran="+strconv.FormatInt(run.ID, 10), http.StatusSeeOther)
}

// careDelete deletes a rule with its runs and occurrences.
func (u *UI) careDelete(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, rule, ok := u.writableCare(w, r, rq)
	if !ok {
		return
	}
	if err := svc.Delete(r.Context(), rq.shop.ID, rule.ID); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.log.Info("care rule deleted", "shop", rq.shop.Code, "rule", rule.ID, "user", rq.sess.User.Username)
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/care", http.StatusSeeOther)
}
