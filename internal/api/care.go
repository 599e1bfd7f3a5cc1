package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/care"
)

// Care rules under /care/rules: created, edited (If-Match on the version
// or a version field), deleted, run now, and their runs and occurrences
// read. Money is in minor units (fen).

type careRuleJSON struct {
	ID        int64       `json:"id"`
	Name      string      `json:"name"`
	Enabled   bool        `json:"enabled"`
	Trigger   string      `json:"trigger"`
	Days      int         `json:"days"`
	SegmentID *int64      `json:"segment_id"`
	MinSpend  int64       `json:"min_spend"`
	Tier      string      `json:"tier"`
	Action    string      `json:"action"`
	Params    care.Params `json:"params"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
	Version   int64       `json:"version"`
}

func careRuleOf(r *care.Rule) careRuleJSON {
	return careRuleJSON{ID: r.ID, Name: r.Name, Enabled: r.Enabled, Trigger: r.Trigger, Days: r.Days, SegmentID: idOrNil(r.SegmentID),
		MinSpend: int64(r.MinSpend), Tier: r.Tier, Action: r.Action, Params: r.Params, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version}
}

type careRunJSON struct {
	ID         int64          `json:"id"`
	RuleID     int64          `json:"rule_id"`
	StartedAt  time.Time      `json:"started_at"`
	FinishedAt *time.Time     `json:"finished_at"`
	Matched    int            `json:"matched"`
	Acted      int            `json:"acted"`
	Skipped    map[string]int `json:"skipped"`
	Errors     int            `json:"errors"`
	Error      string         `json:"error"`
	CampaignID *int64         `json:"campaign_id"`
}

func careRunOf(r *care.Run) careRunJSON {
	sk := r.Skipped
	if sk == nil {
		sk = map[string]int{}
	}
	return careRunJSON{ID: r.ID, RuleID: r.RuleID, StartedAt: r.StartedAt.UTC(), FinishedAt: timeOrNil(r.FinishedAt), Matched: r.Matched,
		Acted: r.Acted, Skipped: sk, Errors: r.Errors, Error: r.Error, CampaignID: idOrNil(r.CampaignID)}
}

type careInput struct {
	Version   *int64      `json:"version"` // PUT only, unless If-Match is sent
	Name      string      `json:"name"`
	Enabled   *bool       `json:"enabled"` // absent: true
	Trigger   string      `json:"trigger"`
	Days      int         `json:"days"`
	SegmentID int64       `json:"segment_id"`
	MinSpend  int64       `json:"min_spend"`
	Tier      string      `json:"tier"`
	Action    string      `json:"action"`
	Params    care.Params `json:"params"`
}

func (in *careInput) rule() *care.Rule {
	r := &care.Rule{Name: in.Name, Enabled: in.Enabled == nil || *in.Enabled, Trigger: in.Trigger, Days: in.Days, SegmentID: in.SegmentID,
		MinSpend: guanxi.Money(in.MinSpend), Tier: in.Tier, Action: in.Action, Params: in.Params}
	return r
}

func (a *API) careService() (*care.Service, error) {
	if a.cfg.Care == nil {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "care rules are not available on this server")
	}
	return a.cfg.Care, nil
}

func writeCareRule(w http.ResponseWriter, status int, r *care.Rule) {
	setVersion(w, r.Version)
	writeJSON(w, status, careRuleOf(r))
}

func (a *API) listCareRules(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.careService()
	if err != nil {
		return err
	}
	return listAll(w, r, t, "rules", svc.List, careRuleOf)
}

func (a *API) getCareRule(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.careService()
	if err != nil {
		return err
	}
	return getOne(w, r, t, svc.Get, careRuleOf)
}

func (a *API) createCareRule(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.careService()
	if err != nil {
		return err
	}
	var in careInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Version != nil {
		return guanxi.Errorf(guanxi.EINVALID, "version: not allowed on a new rule")
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	rule := in.rule()
	if err := svc.Create(ctx, t.ShopID, rule); err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/care/rules/"+strconv.FormatInt(rule.ID, 10))
	writeCareRule(w, http.StatusCreated, rule)
	return nil
}

func (a *API) putCareRule(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.careService()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in careInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	version, err := versionOf(r, in.Version, "rule", "/care/rules/{id}")
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if _, err := svc.Get(ctx, t.ShopID, id); err != nil {
		return err
	}
	rule := in.rule()
	rule.ID, rule.Version = id, version
	if err := svc.Update(ctx, t.ShopID, rule); err != nil {
		return err
	}
	if rule, err = svc.Get(ctx, t.ShopID, id); err != nil {
		return err
	}
	writeCareRule(w, http.StatusOK, rule)
	return nil
}

func (a *API) deleteCareRule(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.careService()
	if err != nil {
		return err
	}
	return deleteOne(w, r, t, svc.Delete)
}

// runCareRule runs the rule now, within the request: a rule's run is its
// new occurrences, not its history, so it is short.
func (a *API) runCareRule(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	if a.cfg.RunCareRule == nil {
		return guanxi.Errorf(guanxi.ENOTFOUND, "care rules are not available on this server")
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	run, err := a.cfg.RunCareRule(ctx, t.ShopID, id)
	if err != nil && run == nil {
		return err
	}
	writeJSON(w, http.StatusOK, careRunOf(run))
	return nil
}

func (a *API) careRuleRuns(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.careService()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if _, err := svc.Get(ctx, t.ShopID, id); err != nil {
		return err
	}
	runs, err := svc.Runs(ctx, t.ShopID, id, 50)
	if err != nil {
		return err
	}
	occ, err := svc.Occurrences(ctx, t.ShopID, id, 100)
	if err != nil {
		return err
	}
	type occJSON struct {
		CustomerID int64     `json:"customer_id"`
		Occurrence string    `json:"occurrence"`
		RunID      int64     `json:"run_id"`
		At         time.Time `json:"at"`
		Outcome    string    `json:"outcome"`
		Detail     string    `json:"detail"`
	}
	out := struct {
		Runs        []careRunJSON `json:"runs"`
		Occurrences []occJSON     `json:"occurrences"`
	}{Runs: []careRunJSON{}, Occurrences: []occJSON{}}
	for i := range runs {
		out.Runs = append(out.Runs, careRunOf(&runs[i]))
	}
	for _, o := range occ {
		out.Occurrences = append(out.Occurrences, occJSON{o.CustomerID, o.Key, o.RunID, o.At.UTC(), o.Outcome, o.Detail})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
