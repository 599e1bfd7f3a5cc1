package app

import (
	"context"
	"fmt"
	"time"

	"github.com/guanxi-crm/guanxi/internal/care"
	"github.com/guanxi-crm/guanxi/internal/job"
)

// Care rules run as "care" jobs of each shop: planned daily at CareHour
// (09:00 shop time, after the night's scoring and loyalty upkeep, out of
// quiet hours), and each run queues the next an hour later, so event
// triggers (a complaint archived, a tier change, a score run) are cared for
// within the hour. Every rule is idempotent per customer and occurrence, so
// the repeats do nothing twice. The messages a run queues are sent by the
// campaign dispatch job.

// CareHour is the hour of the day, shop time, of the planned care run.
const CareHour = 9

// careEvery is the gap between care runs after the planned one.
const careEvery = time.Hour

// Care returns the care rules' service.
func (a *App) Care() *care.Service {
	return care.NewService(a.DB, a.Clock, care.Deps{Segments: a.Segments, Campaigns: a.Campaigns,
		Tasks: a.Desk, Loyalty: a.Loyalty, Coupons: a.Coupons})
}

// careJob runs the shop's enabled care rules, queues the dispatch of their
// messages and the next run.
func (a *App) careJob(ctx context.Context, j *job.Job, progress func(string, float64)) (string, error) {
	runs, err := a.Care().RunDue(ctx, j.ShopID)
	acted, errs := 0, 0
	for _, r := range runs {
		acted += r.Acted
		errs += r.Errors
	}
	if qerr := a.queueCareDispatch(ctx, j.ShopID); qerr != nil && err == nil {
		err = qerr
	}
	summary := fmt.Sprintf("%d care rules run: %d customers cared for, %d errors", len(runs), acted, errs)
	if err != nil {
		return summary, err
	}
	// The hourly chain has a source of its own, so the scheduler still
	// plans the daily run beside it. A shop with no enabled rule waits for
	// the daily run rather than queueing 24 empty jobs a day.
	if len(runs) == 0 {
		return summary, nil
	}
	pending, err := a.Jobs.Pending(ctx, j.ShopID, "care", "hourly")
	if err == nil && !pending {
		_, err = a.Jobs.Enqueue(ctx, j.ShopID, "care", "hourly", a.Clock.Now().Add(careEvery))
	}
	return summary, err
}

// queueCareDispatch makes sure every care campaign still sending has its
// dispatch queued, also one a killed run left behind.
func (a *App) queueCareDispatch(ctx context.Context, shopID int64) error {
	ids, err := a.Care().SendingCampaigns(ctx, shopID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := (campaignQueue{a.Jobs}).Dispatch(ctx, shopID, id, a.Clock.Now()); err != nil {
			return err
		}
	}
	return nil
}

// RunCareRule runs one rule now ("run now" in the UI and API) and queues
// the dispatch of the messages it queued.
func (a *App) RunCareRule(ctx context.Context, shopID, ruleID int64) (*care.Run, error) {
	run, err := a.Care().Run(ctx, shopID, ruleID)
	if err != nil {
		return run, err
	}
	if run.CampaignID != 0 {
		err = (campaignQueue{a.Jobs}).Dispatch(ctx, shopID, run.CampaignID, a.Clock.Now())
	}
	return run, err
}
