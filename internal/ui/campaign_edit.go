package ui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/internal/segment"
)

// campaignForm is the editor's fields as typed, so a refused form shows
// again with what was entered.
type campaignForm struct {
	Name, Theme, Purpose, Channel, Subject, Body, ProviderTemplate string
	SegmentID, CouponTemplateID                                    int64
	Schedule, SendAt                                               string // SendAt as datetime-local, shop time
	RepeatDays, AttributionDays                                    int
	Budget, Cost                                                   string // yuan
	HoldoutPercent                                                 string
	Version                                                        int64
}

type option struct {
	ID   int64
	Name string
}

type campaignPage struct {
	ID         int64
	Campaign   *campaign.Campaign // nil for a new one
	Form       campaignForm
	Segments   []option
	Coupons    []option
	Channels   []string
	Preview    *campaign.Preview
	Error      string
	CanWrite   bool
	Editable   bool // a draft the user may change
	Deliveries map[string]int
	Result     *campaign.Result
	// Counts are the audience and exclusions: of the preview, or as the
	// campaign was launched.
	Counts *campaign.Counts
	Notice string
}

func campaignFormOf(c *campaign.Campaign, loc *time.Location) campaignForm {
	f := campaignForm{Name: c.Name, Theme: c.Theme, Purpose: c.Purpose, Channel: c.Channel, Subject: c.Subject, Body: c.Body,
		ProviderTemplate: c.ProviderTemplate, SegmentID: c.SegmentID, CouponTemplateID: c.CouponTemplateID, Schedule: c.Schedule,
		RepeatDays: c.RepeatDays, AttributionDays: c.AttributionDays, Version: c.Version,
		Budget: yuan(c.Budget), Cost: yuan(c.CostPerMessage), HoldoutPercent: strconv.FormatFloat(100*c.HoldoutShare, 'f', -1, 64)}
	if !c.SendAt.IsZero() {
		f.SendAt = c.SendAt.In(loc).Format("2006-01-02T15:04")
	}
	return f
}

func yuan(m guanxi.Money) string {
	if m == 0 {
		return ""
	}
	return m.String()
}

// readForm parses the posted editor into the form and a campaign. The
// error names the field at fault.
func readForm(r *http.Request, loc *time.Location, segs *segment.Service) (campaignForm, *campaign.Campaign, error) {
	pf := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := campaignForm{Name: pf("name"), Theme: pf("theme"), Purpose: pf("purpose"), Channel: pf("channel"), Subject: pf("subject"),
		Body: r.PostFormValue("body"), ProviderTemplate: pf("provider_template"), Schedule: pf("schedule"), SendAt: pf("send_at"),
		Budget: pf("budget"), Cost: pf("cost"), HoldoutPercent: pf("holdout")}
	f.SegmentID, _ = strconv.ParseInt(pf("segment_id"), 10, 64)
	f.CouponTemplateID, _ = strconv.ParseInt(pf("coupon_template_id"), 10, 64)
	f.RepeatDays, _ = strconv.Atoi(pf("repeat_days"))
	f.AttributionDays, _ = strconv.Atoi(pf("attribution_days"))
	f.Version, _ = strconv.ParseInt(pf("version"), 10, 64)
	c := &campaign.Campaign{Name: f.Name, Theme: f.Theme, Purpose: f.Purpose, Channel: f.Channel, Subject: f.Subject, Body: f.Body,
		ProviderTemplate: f.ProviderTemplate, SegmentID: f.SegmentID, CouponTemplateID: f.CouponTemplateID, Schedule: f.Schedule,
		RepeatDays: f.RepeatDays, AttributionDays: f.AttributionDays, Version: f.Version}
	if f.SegmentID == 0 {
		return f, nil, guanxi.Errorf(guanxi.EINVALID, "segment_id: choose the audience's segment")
	}
	if f.SendAt != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", f.SendAt, loc)
		if err != nil {
			return f, nil, guanxi.Errorf(guanxi.EINVALID, "send_at: %q is not a date and time", f.SendAt)
		}
		c.SendAt = t
	}
	var err error
	for _, m := range []struct {
		field string
		in    string
		out   *guanxi.Money
	}{{"budget", f.Budget, &c.Budget}, {"cost", f.Cost, &c.CostPerMessage}} {
		if m.in == "" {
			continue
		}
		if *m.out, err = guanxi.ParseMoney(m.in); err != nil {
			return f, nil, guanxi.Errorf(guanxi.EINVALID, "%s: %q is not an amount", m.field, m.in)
		}
	}
	if f.HoldoutPercent != "" {
		h, err := strconv.ParseFloat(f.HoldoutPercent, 64)
		if err != nil {
			return f, nil, guanxi.Errorf(guanxi.EINVALID, "holdout: %q is not a percentage", f.HoldoutPercent)
		}
		c.HoldoutShare = h / 100
	}
	return f, c, nil
}

// campaignPageFor fills the editor's choices.
func (u *UI) campaignPageFor(r *http.Request, rq *request, p *campaignPage) error {
	p.Channels, p.CanWrite = campaign.Channels, canWriteCampaigns(rq.role)
	var err error
	p.Segments, p.Coupons, err = u.audienceOptions(r, rq)
	return err
}

// audienceOptions are the choices of a form that picks who to reach and
// what to give them: the shop's segments and its active coupon templates
// (none where the server runs without them). Campaigns and care rules
// both offer them.
func (u *UI) audienceOptions(r *http.Request, rq *request) (segments, coupons []option, err error) {
	if u.cfg.Segments != nil {
		segs, err := u.cfg.Segments.List(r.Context(), rq.shop.ID)
		if err != nil {
			return nil, nil, err
		}
		for _, s := range segs {
			segments = append(segments, option{s.ID, s.Name})
		}
	}
	if u.cfg.Coupons != nil {
		ts, err := u.cfg.Coupons.List(r.Context(), rq.shop.ID)
		if err != nil {
			return nil, nil, err
		}
		for _, t := range ts {
			if t.Status == "active" {
				coupons = append(coupons, option{t.ID, t.Name})
			}
		}
	}
	return segments, coupons, nil
}

// campaignNew shows an empty editor with the defaults.
func (u *UI) campaignNew(w http.ResponseWriter, r *http.Request, rq *request) {
	if !canWriteCampaigns(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not create campaigns"))
		return
	}
	if _, err := u.campaigns(); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &campaignPage{Editable: true, Form: campaignForm{Purpose: campaign.Marketing, Channel: campaign.SMS, Schedule: campaign.Now,
		AttributionDays: campaign.DefaultAttribution, HoldoutPercent: "10"}}
	if id, err := strconv.ParseInt(r.URL.Query().Get("segment"), 10, 64); err == nil {
		p.Form.SegmentID = id
	}
	if err := u.campaignPageFor(r, rq, p); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.render(w, r, rq, http.StatusOK, "campaign_edit", "", u.view(r, rq, "campaigns", p))
}

// campaignCreate saves a new draft (action save) or shows what launching it
// now would do (action preview) without saving.
func (u *UI) campaignCreate(w http.ResponseWriter, r *http.Request, rq *request) {
	u.campaignSave(w, r, rq, nil)
}

// campaignUpdate saves a draft's changes, or previews them.
func (u *UI) campaignUpdate(w http.ResponseWriter, r *http.Request, rq *request) {
	if _, c, ok := u.writableCampaign(w, r, rq); ok {
		u.campaignSave(w, r, rq, c)
	}
}

// writableCampaign reads the campaign of the path for a change, answering
// the request itself (403 for a role that does not write campaigns, first,
// so that no campaign's existence shows; 404) when it cannot.
func (u *UI) writableCampaign(w http.ResponseWriter, r *http.Request, rq *request) (*campaign.Service, *campaign.Campaign, bool) {
	if !canWriteCampaigns(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not change campaigns"))
		return nil, nil, false
	}
	svc, err := u.campaigns()
	if err != nil {
		u.fail(w, r, rq, err)
		return nil, nil, false
	}
	c, err := u.campaignOf(r, rq, svc)
	if err != nil {
		u.fail(w, r, rq, err)
		return nil, nil, false
	}
	return svc, c, true
}

func (u *UI) campaignSave(w http.ResponseWriter, r *http.Request, rq *request, cur *campaign.Campaign) {
	if !canWriteCampaigns(rq.role) {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not change campaigns"))
		return
	}
	svc, err := u.campaigns()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	ctx := r.Context()
	loc := rq.shop.Location()
	f, c, err := readForm(r, loc, u.cfg.Segments)
	p := &campaignPage{Form: f, Editable: true, Campaign: cur}
	if cur != nil {
		p.ID = cur.ID
	}
	if perr := u.campaignPageFor(r, rq, p); perr != nil {
		u.fail(w, r, rq, perr)
		return
	}
	if err == nil {
		if cur != nil {
			c.ID, c.Seed = cur.ID, cur.Seed
		}
		if r.PostFormValue("action") == "preview" {
			p.Preview, err = svc.Preview(ctx, rq.shop.ID, c)
		} else if cur == nil {
			c.CreatedBy = rq.sess.User.ID
			err = svc.Create(ctx, rq.shop.ID, c)
		} else {
			err = svc.Update(ctx, rq.shop.ID, c)
		}
	}
	if err != nil {
		if status, ok := formStatus(err); ok {
			p.Error = i18n.ErrorMessage(rq.locale, err)
			u.render(w, r, rq, status, "campaign_edit", "", u.view(r, rq, "campaigns", p))
		} else {
			u.fail(w, r, rq, err)
		}
		return
	}
	if p.Preview != nil {
		p.Counts = &p.Preview.Counts
		u.render(w, r, rq, http.StatusOK, "campaign_edit", "", u.view(r, rq, "campaigns", p))
		return
	}
	u.log.Info("campaign saved", "shop", rq.shop.Code, "campaign", c.ID, "user", rq.sess.User.Username)
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/campaigns/"+strconv.FormatInt(c.ID, 10)+"?saved=1", http.StatusSeeOther)
}

// campaignShow is a campaign's page: the editor while it is a draft; then
// its audience and exclusions, delivery, and its result over the holdout.
func (u *UI) campaignShow(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.campaigns()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	c, err := u.campaignOf(r, rq, svc)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &campaignPage{ID: c.ID, Campaign: c, Form: campaignFormOf(c, rq.shop.Location())}
	if err := u.campaignPageFor(r, rq, p); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p.Editable = p.CanWrite && c.Status == campaign.Draft
	if n := r.URL.Query().Get("done"); n != "" {
		p.Notice = "campaigns.done." + n
	} else if r.URL.Query().Get("saved") == "1" {
		p.Notice = "campaigns.saved"
	}
	if !c.LaunchedAt.IsZero() {
		p.Counts = &c.Counts
		if p.Deliveries, err = svc.Deliveries(r.Context(), rq.shop.ID, c.ID); err != nil {
			u.fail(w, r, rq, err)
			return
		}
		if p.Result, err = svc.Result(r.Context(), rq.shop.ID, c.ID); err != nil {
			u.fail(w, r, rq, err)
			return
		}
	}
	u.render(w, r, rq, http.StatusOK, "campaign_edit", "", u.view(r, rq, "campaigns", p))
}

// campaignAction launches, pauses, resumes, cancels, evaluates or deletes a
// campaign, then shows its page again.
func (u *UI) campaignAction(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, c, ok := u.writableCampaign(w, r, rq)
	if !ok {
		return
	}
	var err error
	ctx, shopID := r.Context(), rq.shop.ID
	action := r.PathValue("action")
	switch action {
	case "launch":
		_, err = u.cfg.CampaignJobs.LaunchCampaign(ctx, shopID, c.ID)
	case "pause":
		err = svc.Pause(ctx, shopID, c.ID)
	case "resume":
		err = u.cfg.CampaignJobs.ResumeCampaign(ctx, shopID, c.ID)
	case "cancel":
		err = svc.Cancel(ctx, shopID, c.ID)
	case "evaluate":
		err = svc.Evaluate(ctx, shopID, c.ID)
	case "delete":
		if err = svc.Delete(ctx, shopID, c.ID); err == nil {
			http.Redirect(w, r, "/s/"+rq.shop.Code+"/campaigns", http.StatusSeeOther)
			return
		}
	default:
		err = guanxi.Errorf(guanxi.ENOTFOUND, "no action %q", action)
	}
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.log.Info("campaign "+action, "shop", rq.shop.Code, "campaign", c.ID, "user", rq.sess.User.Username)
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/campaigns/"+strconv.FormatInt(c.ID, 10)+"?done="+action, http.StatusSeeOther)
}
