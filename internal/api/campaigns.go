package api

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/uplift"
)

// Campaigns under /campaigns: drafts are created, edited (If-Match on the
// version), previewed and launched; a launched campaign is paused, resumed,
// cancelled and evaluated against its holdout. Money is in minor units
// (fen) like the rest of the API; estimated amounts (uplift per customer,
// incremental revenue) are numbers of fen, not always whole.

// num is a figure that is written as null when it is not finite (a Welch
// test of two groups without variance has infinite degrees of freedom).
type num float64

func (n num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// fen turns an amount in yuan (the statistics' unit) into fen.
func fen(yuan float64) num { return num(math.Round(yuan*10000) / 100) }

func idOrNil(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// campaignJSON is a campaign as the API shows it.
type campaignJSON struct {
	ID               int64           `json:"id"`
	ParentID         *int64          `json:"parent_id"`
	Name             string          `json:"name"`
	Theme            string          `json:"theme"`
	Purpose          string          `json:"purpose"`
	SegmentID        *int64          `json:"segment_id"`
	Rule             json.RawMessage `json:"rule"`
	Channel          string          `json:"channel"`
	Subject          string          `json:"subject"`
	Body             string          `json:"body"`
	ProviderTemplate string          `json:"provider_template"`
	CouponTemplateID *int64          `json:"coupon_template_id"`
	Schedule         string          `json:"schedule"`
	SendAt           *time.Time      `json:"send_at"`
	RepeatDays       int             `json:"repeat_days"`
	Budget           int64           `json:"budget"`
	CostPerMessage   int64           `json:"cost_per_message"`
	HoldoutShare     float64         `json:"holdout_share"`
	Seed             string          `json:"seed"` // a 63-bit number, as a string: too wide for a JSON number in JavaScript
	AttributionDays  int             `json:"attribution_days"`
	Status           string          `json:"status"`
	Counts           campaign.Counts `json:"counts"`
	Error            string          `json:"error"`
	CreatedAt        time.Time       `json:"created_at"`
	UpdatedAt        time.Time       `json:"updated_at"`
	LaunchedAt       *time.Time      `json:"launched_at"`
	FinishedAt       *time.Time      `json:"finished_at"`
	Version          int64           `json:"version"`
}

func campaignOf(c *campaign.Campaign) campaignJSON {
	return campaignJSON{
		ID: c.ID, ParentID: idOrNil(c.ParentID), Name: c.Name, Theme: c.Theme, Purpose: c.Purpose, SegmentID: idOrNil(c.SegmentID),
		Rule: c.Rule.JSON(), Channel: c.Channel, Subject: c.Subject, Body: c.Body, ProviderTemplate: c.ProviderTemplate,
		CouponTemplateID: idOrNil(c.CouponTemplateID), Schedule: c.Schedule, SendAt: timeOrNil(c.SendAt), RepeatDays: c.RepeatDays,
		Budget: int64(c.Budget), CostPerMessage: int64(c.CostPerMessage), HoldoutShare: c.HoldoutShare,
		Seed: strconv.FormatUint(c.Seed, 10), AttributionDays: c.AttributionDays, Status: c.Status, Counts: c.Counts, Error: c.Error,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), LaunchedAt: timeOrNil(c.LaunchedAt), FinishedAt: timeOrNil(c.FinishedAt),
		Version: c.Version,
	}
}

// writeCampaign answers with the campaign and its version as the ETag.
func writeCampaign(w http.ResponseWriter, status int, c *campaign.Campaign) {
	setVersion(w, c.Version)
	writeJSON(w, status, campaignOf(c))
}

// campaignInput is the body of POST /campaigns, PUT /campaigns/{id} and
// POST /campaigns/preview.
type campaignInput struct {
	ID               *int64          `json:"id"`      // preview only: a saved campaign, with no other field
	Version          *int64          `json:"version"` // PUT only, unless If-Match is sent
	Name             string          `json:"name"`
	Theme            string          `json:"theme"`
	Purpose          string          `json:"purpose"`
	SegmentID        int64           `json:"segment_id"`
	Rule             json.RawMessage `json:"rule"`
	Channel          string          `json:"channel"`
	Subject          string          `json:"subject"`
	Body             string          `json:"body"`
	ProviderTemplate string          `json:"provider_template"`
	CouponTemplateID int64           `json:"coupon_template_id"`
	Schedule         string          `json:"schedule"`
	SendAt           string          `json:"send_at"`
	RepeatDays       int             `json:"repeat_days"`
	Budget           int64           `json:"budget"`
	CostPerMessage   *int64          `json:"cost_per_message"` // absent: the channel's cost per message
	HoldoutShare     *float64        `json:"holdout_share"`    // absent: 0.10
	AttributionDays  int             `json:"attribution_days"`
}

// campaignFrom makes the campaign the input describes; the service checks
// the rest (and names the field at fault).
func (a *API) campaignFrom(ctx context.Context, shopID int64, in *campaignInput) (*campaign.Campaign, error) {
	c := &campaign.Campaign{
		Name: in.Name, Theme: in.Theme, Purpose: in.Purpose, SegmentID: in.SegmentID, Channel: in.Channel, Subject: in.Subject,
		Body: in.Body, ProviderTemplate: in.ProviderTemplate, CouponTemplateID: in.CouponTemplateID, Schedule: in.Schedule,
		RepeatDays: in.RepeatDays, Budget: guanxi.Money(in.Budget), HoldoutShare: campaign.DefaultHoldout,
		AttributionDays: in.AttributionDays,
	}
	if in.HoldoutShare != nil {
		c.HoldoutShare = *in.HoldoutShare
	}
	hasRule := len(in.Rule) > 0 && string(in.Rule) != "null"
	switch {
	case in.SegmentID < 0:
		return nil, guanxi.Errorf(guanxi.EINVALID, "segment_id: expected a positive whole number")
	case in.SegmentID != 0 && hasRule:
		return nil, guanxi.Errorf(guanxi.EINVALID, "rule: give a segment_id or a rule, not both")
	case hasRule:
		rule, err := segment.ParseRule(in.Rule)
		if err != nil {
			msg := guanxi.ErrorMessage(err)
			if guanxi.ErrorCode(err) != guanxi.EINVALID || strings.HasPrefix(msg, "rule:") {
				return nil, err
			}
			return nil, guanxi.Errorf(guanxi.EINVALID, "rule.%s", msg)
		}
		c.Rule = rule
	}
	if in.SendAt != "" {
		t, err := time.Parse(time.RFC3339, in.SendAt)
		if err != nil {
			return nil, guanxi.Errorf(guanxi.EINVALID, "send_at %q: expected an RFC 3339 time, e.g. 2025-07-01T10:00:00+08:00", in.SendAt)
		}
		c.SendAt = t
	}
	switch {
	case in.CostPerMessage != nil:
		c.CostPerMessage = guanxi.Money(*in.CostPerMessage)
	case slices.Contains(campaign.Channels, in.Channel):
		st, err := a.cfg.Campaigns.ChannelSettings(ctx, shopID, in.Channel)
		if err != nil {
			return nil, err
		}
		c.CostPerMessage = st.CostPerMessage
	}
	return c, nil
}

// listCampaigns: GET /campaigns, the shop's campaigns, newest first.
func (a *API) listCampaigns(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	return listAll(w, r, t, "campaigns", a.cfg.Campaigns.List, campaignOf)
}

// createCampaign: POST /campaigns, a new draft: 201 with the campaign.
func (a *API) createCampaign(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	var in campaignInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.ID != nil || in.Version != nil {
		return guanxi.Errorf(guanxi.EINVALID, "id, version: not allowed on a new campaign")
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	c, err := a.campaignFrom(ctx, t.ShopID, &in)
	if err != nil {
		return err
	}
	if err := a.cfg.Campaigns.Create(ctx, t.ShopID, c); err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/campaigns/"+strconv.FormatInt(c.ID, 10))
	writeCampaign(w, http.StatusCreated, c)
	return nil
}

// getCampaign: GET /campaigns/{id}, with its version as the ETag.
func (a *API) getCampaign(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	c, err := a.cfg.Campaigns.Get(ctx, t.ShopID, id)
	if err != nil {
		return err
	}
	writeCampaign(w, http.StatusOK, c)
	return nil
}

// putCampaign: PUT /campaigns/{id}, a draft's fields replaced, on the
// version named by If-Match or the body's version: 409 when the campaign
// changed since or is no longer a draft, and nothing is written.
func (a *API) putCampaign(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in campaignInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.ID != nil && *in.ID != id {
		return guanxi.Errorf(guanxi.EINVALID, "id: %d differs from the path's %d", *in.ID, id)
	}
	version, err := versionOf(r, in.Version, "campaign", "/campaigns/{id}")
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if _, err := a.cfg.Campaigns.Get(ctx, t.ShopID, id); err != nil {
		return err // another shop's campaign is not found before the body is judged
	}
	c, err := a.campaignFrom(ctx, t.ShopID, &in)
	if err != nil {
		return err
	}
	c.ID, c.Version = id, version
	if err := a.cfg.Campaigns.Update(ctx, t.ShopID, c); err != nil {
		return err
	}
	if c, err = a.cfg.Campaigns.Get(ctx, t.ShopID, id); err != nil {
		return err
	}
	writeCampaign(w, http.StatusOK, c)
	return nil
}

// deleteCampaign: DELETE /campaigns/{id}, a draft or cancelled campaign
// with its audience snapshot and results.
func (a *API) deleteCampaign(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	return deleteOne(w, r, t, a.cfg.Campaigns.Delete)
}

// campaignAction answers POST /campaigns/{id}/launch, pause, resume and
// cancel with the campaign after the change; 409 when its status does not
// allow it.
func (a *API) campaignAction(act func(ctx context.Context, shopID, id int64) error) func(http.ResponseWriter, *http.Request, *auth.Token) error {
	return func(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		ctx, cancel := withTimeout(r)
		defer cancel()
		if err := act(ctx, t.ShopID, id); err != nil {
			return err
		}
		c, err := a.cfg.Campaigns.Get(ctx, t.ShopID, id)
		if err != nil {
			return err
		}
		writeCampaign(w, http.StatusOK, c)
		return nil
	}
}

// launch starts a draft through the app, which queues its dispatch (or its
// launch at the scheduled time).
func (a *API) launch(ctx context.Context, shopID, id int64) error {
	if a.cfg.LaunchCampaign == nil {
		return guanxi.Errorf(guanxi.EINTERNAL, "api: campaigns cannot be launched: LaunchCampaign is not configured")
	}
	_, err := a.cfg.LaunchCampaign(ctx, shopID, id)
	return err
}

// resume lets a paused campaign send again through the app, which queues
// its dispatch.
func (a *API) resume(ctx context.Context, shopID, id int64) error {
	if a.cfg.ResumeCampaign == nil {
		return guanxi.Errorf(guanxi.EINTERNAL, "api: campaigns cannot be resumed: ResumeCampaign is not configured")
	}
	return a.cfg.ResumeCampaign(ctx, shopID, id)
}

func (a *API) pauseCampaign(ctx context.Context, shopID, id int64) error {
	return a.cfg.Campaigns.Pause(ctx, shopID, id)
}

func (a *API) cancelCampaign(ctx context.Context, shopID, id int64) error {
	return a.cfg.Campaigns.Cancel(ctx, shopID, id)
}

// previewJSON is what launching the campaign now would do.
type previewJSON struct {
	Counts   countsJSON   `json:"counts"`
	Cost     int64        `json:"cost"` // target messages × cost per message
	Power    powerJSON    `json:"power"`
	Samples  []sampleJSON `json:"samples"`
	Campaign *int64       `json:"campaign_id"` // the saved campaign previewed, null for a body
}

type countsJSON struct {
	campaign.Counts
	Excluded int `json:"excluded"` // no_address + opted_out + no_consent + held + capped
}

type powerJSON struct {
	BaseRate float64       `json:"base_rate"`
	MDE      float64       `json:"mde"` // absolute uplift in the response rate; 0 with a note when unknown
	Options  []powerOption `json:"options"`
	Note     string        `json:"note"`
}

type powerOption struct {
	HoldoutShare float64 `json:"holdout_share"`
	MDE          float64 `json:"mde"`
}

type sampleJSON struct {
	CustomerID int64  `json:"customer_id"`
	To         string `json:"to"` // masked without customers:pii
	Subject    string `json:"subject"`
	Text       string `json:"text"`
}

// previewCampaign: POST /campaigns/preview, the audience a launch would
// take now with every exclusion counted, the power hint and rendered
// samples. The body is a campaign (as for POST /campaigns) or {"id": N}
// for a saved one, previewed with its own holdout seed. Nothing is saved.
func (a *API) previewCampaign(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	var in campaignInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	var c *campaign.Campaign
	var err error
	if in.ID != nil {
		if in.Name != "" || in.Channel != "" || len(in.Rule) > 0 || in.SegmentID != 0 || in.Body != "" {
			return guanxi.Errorf(guanxi.EINVALID, "id: a saved campaign is previewed as it is: send no other field")
		}
		if c, err = a.cfg.Campaigns.Get(ctx, t.ShopID, *in.ID); err != nil {
			return err
		}
	} else if c, err = a.campaignFrom(ctx, t.ShopID, &in); err != nil {
		return err
	}
	p, err := a.cfg.Campaigns.Preview(ctx, t.ShopID, c)
	if err != nil {
		return err
	}
	out := previewJSON{
		Counts: countsJSON{Counts: p.Counts, Excluded: p.Counts.Excluded()}, Cost: int64(p.Cost), Campaign: in.ID,
		Power:   powerJSON{BaseRate: p.Power.BaseRate, MDE: p.Power.MDE, Note: p.Power.Note, Options: []powerOption{}},
		Samples: []sampleJSON{},
	}
	for _, o := range p.Power.Options {
		out.Power.Options = append(out.Power.Options, powerOption{HoldoutShare: o.Share, MDE: o.MDE})
	}
	for _, s := range p.Samples {
		to := s.To
		if !t.Has("customers:pii") {
			switch c.Channel {
			case campaign.SMS:
				to = guanxi.MaskPhone(to)
			case campaign.Email:
				to = guanxi.MaskEmail(to)
			}
		}
		out.Samples = append(out.Samples, sampleJSON{CustomerID: s.CustomerID, To: to, Subject: s.Subject, Text: s.Text})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// cellJSON is one group's figures.
type cellJSON struct {
	Customers      int     `json:"customers"`
	Converters     int     `json:"converters"`
	Orders         int     `json:"orders"`
	Revenue        int64   `json:"revenue"` // net of refunds, in the attribution window
	Sent           int     `json:"sent"`
	ConversionRate float64 `json:"conversion_rate"`
	RevenuePer     num     `json:"revenue_per_customer"`
}

func cellOf(c campaign.Cell) cellJSON {
	out := cellJSON{Customers: c.Customers, Converters: c.Converters, Orders: c.Orders, Revenue: int64(c.Revenue), Sent: c.Sent}
	if c.Customers > 0 {
		out.ConversionRate = float64(c.Converters) / float64(c.Customers)
		out.RevenuePer = fen(float64(c.Revenue) / 100 / float64(c.Customers))
	}
	return out
}

type conversionJSON struct {
	TargetRate  float64 `json:"target_rate"`
	HoldoutRate float64 `json:"holdout_rate"`
	Uplift      float64 `json:"uplift"` // absolute, in the rate
	Lower       float64 `json:"ci_lower"`
	Upper       float64 `json:"ci_upper"`
	Method      string  `json:"method"`
	Relative    *num    `json:"relative"` // null when the holdout has no converter
	Z           num     `json:"z"`
	P           num     `json:"p_value"`
}

func conversionOf(c *uplift.ConversionResult) *conversionJSON {
	if c == nil {
		return nil
	}
	out := &conversionJSON{TargetRate: c.TargetRate, HoldoutRate: c.HoldoutRate, Uplift: c.Uplift, Lower: c.Lower, Upper: c.Upper,
		Method: c.Method, Z: num(c.Z), P: num(c.P)}
	if c.RelativeDefined {
		rel := num(c.Relative)
		out.Relative = &rel
	}
	return out
}

type revenueJSON struct {
	TargetMean       num  `json:"target_mean"` // fen per customer
	HoldoutMean      num  `json:"holdout_mean"`
	Uplift           num  `json:"uplift"` // fen per target customer
	Lower            num  `json:"ci_lower"`
	Upper            num  `json:"ci_upper"`
	DF               num  `json:"df"` // null when infinite
	T                num  `json:"t"`
	P                num  `json:"p_value"`
	Incremental      num  `json:"incremental_revenue"` // fen: uplift × target customers
	IncrementalLower num  `json:"incremental_ci_lower"`
	IncrementalUpper num  `json:"incremental_ci_upper"`
	ROI              *num `json:"roi"` // (incremental − cost) / cost; null without cost
	ROILower         *num `json:"roi_ci_lower"`
	ROIUpper         *num `json:"roi_ci_upper"`
}

func revenueOf(r *uplift.RevenueResult) *revenueJSON {
	if r == nil {
		return nil
	}
	out := &revenueJSON{TargetMean: fen(r.TargetMean), HoldoutMean: fen(r.HoldoutMean), Uplift: fen(r.Uplift), Lower: fen(r.Lower),
		Upper: fen(r.Upper), DF: num(r.DF), T: num(r.T), P: num(r.P), Incremental: fen(r.Incremental),
		IncrementalLower: fen(r.IncrementalLower), IncrementalUpper: fen(r.IncrementalUpper)}
	if r.ROIDefined {
		roi, lo, hi := num(r.ROI), num(r.ROILower), num(r.ROIUpper)
		out.ROI, out.ROILower, out.ROIUpper = &roi, &lo, &hi
	}
	return out
}

type beforeAfterJSON struct {
	BeforeDays   int  `json:"before_days"`
	AfterDays    int  `json:"after_days"`
	BeforePerDay num  `json:"before_per_day"` // fen of the target group's net sales a day
	AfterPerDay  num  `json:"after_per_day"`
	Difference   num  `json:"difference"`
	Ratio        *num `json:"ratio"` // null when nothing sold before
}

type segmentResultJSON struct {
	Segment    string          `json:"segment"`
	Target     cellJSON        `json:"target"`
	Holdout    cellJSON        `json:"holdout"`
	Conversion *conversionJSON `json:"conversion"`
	Revenue    *revenueJSON    `json:"revenue"`
}

// resultJSON is a campaign's evaluation.
type resultJSON struct {
	CampaignID  int64               `json:"campaign_id"`
	Evaluated   bool                `json:"evaluated"`
	EvaluatedAt *time.Time          `json:"evaluated_at"`
	WindowStart *time.Time          `json:"window_start"`
	WindowEnd   *time.Time          `json:"window_end"`
	Complete    bool                `json:"complete"` // the attribution window has closed
	Target      cellJSON            `json:"target"`
	Holdout     cellJSON            `json:"holdout"`
	Conversion  *conversionJSON     `json:"conversion"` // null when the groups cannot be compared (see note)
	Revenue     *revenueJSON        `json:"revenue"`
	Incremental *num                `json:"incremental_revenue"` // fen; as revenue.incremental_revenue
	Cost        int64               `json:"cost"`                // fen: messages sent × cost per message
	ROI         *num                `json:"roi"`
	Note        string              `json:"note"`
	BeforeAfter *beforeAfterJSON    `json:"before_after"`
	Segments    []segmentResultJSON `json:"segments"`
}

func resultOf(id int64, r *campaign.Result) resultJSON {
	out := resultJSON{CampaignID: id, Evaluated: r.Evaluated, EvaluatedAt: timeOrNil(r.EvaluatedAt), WindowStart: timeOrNil(r.WindowStart),
		WindowEnd: timeOrNil(r.WindowEnd), Complete: r.Complete, Target: cellOf(r.Target), Holdout: cellOf(r.Holdout),
		Conversion: conversionOf(r.Conversion), Revenue: revenueOf(r.Revenue), Cost: int64(r.Cost), Note: r.Note,
		Segments: []segmentResultJSON{}}
	if out.Revenue != nil {
		out.Incremental, out.ROI = &out.Revenue.Incremental, out.Revenue.ROI
	}
	if ba := r.BeforeAfter; ba != nil {
		out.BeforeAfter = &beforeAfterJSON{BeforeDays: ba.BeforeDays, AfterDays: ba.AfterDays, BeforePerDay: fen(ba.BeforePerDay),
			AfterPerDay: fen(ba.AfterPerDay), Difference: fen(ba.Difference)}
		if ba.RatioDefined {
			ratio := num(ba.Ratio)
			out.BeforeAfter.Ratio = &ratio
		}
	}
	for _, s := range r.Segments {
		out.Segments = append(out.Segments, segmentResultJSON{Segment: s.Segment, Target: cellOf(s.Target), Holdout: cellOf(s.Holdout),
			Conversion: conversionOf(s.Conversion), Revenue: revenueOf(s.Revenue)})
	}
	return out
}

// campaignResult: GET /campaigns/{id}/result, the latest evaluation: the
// target group against the holdout, in total and per RFM segment.
func (a *API) campaignResult(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	res, err := a.cfg.Campaigns.Result(ctx, t.ShopID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resultOf(id, res))
	return nil
}

// evaluateCampaign: POST /campaigns/{id}/evaluate, measures the campaign's
// groups now (the daily job does it too) and answers with the result.
func (a *API) evaluateCampaign(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if err := a.cfg.Campaigns.Evaluate(ctx, t.ShopID, id); err != nil {
		return err
	}
	res, err := a.cfg.Campaigns.Result(ctx, t.ShopID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resultOf(id, res))
	return nil
}

type matrixCellJSON struct {
	Channel          string  `json:"channel"`
	Segment          string  `json:"segment"`
	Campaigns        int     `json:"campaigns"`
	Contacts         int     `json:"contacts"` // messages sent
	Cost             int64   `json:"cost"`
	CostPerContact   num     `json:"cost_per_contact"` // fen
	TargetCustomers  int     `json:"target_customers"`
	HoldoutCustomers int     `json:"holdout_customers"`
	ResponseRate     float64 `json:"response_rate"`
	HoldoutRate      float64 `json:"holdout_rate"`
	Incremental      num     `json:"incremental_revenue"` // fen
	ROI              *num    `json:"roi"`                 // null without cost
}

// campaignMatrix: GET /campaigns/matrix, channel × RFM segment across the
// shop's evaluated campaigns: which channel pays for which segment.
func (a *API) campaignMatrix(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	ctx, cancel := withTimeout(r)
	defer cancel()
	cells, err := a.cfg.Campaigns.Matrix(ctx, t.ShopID)
	if err != nil {
		return err
	}
	out := make([]matrixCellJSON, len(cells))
	for i, m := range cells {
		out[i] = matrixCellJSON{Channel: m.Channel, Segment: m.Segment, Campaigns: m.Campaigns, Contacts: m.Sent, Cost: int64(m.Cost),
			CostPerContact: fen(m.CostPerContact()), TargetCustomers: m.Target.Customers, HoldoutCustomers: m.Holdout.Customers,
			ResponseRate: m.ResponseRate(), HoldoutRate: m.HoldoutRate(), Incremental: fen(m.Incremental)}
		if roi, ok := m.ROI(); ok {
			v := num(roi)
			out[i].ROI = &v
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"cells": out})
	return nil
}
