package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/job"
)

// Campaign jobs. Each names its campaign in the job's source,
// "campaign:ID": dispatch sends its due messages, launch starts a
// scheduled (or recurring) campaign at its time, evaluate measures every
// campaign whose attribution window is open (daily).

func campaignSource(id int64) string { return "campaign:" + strconv.FormatInt(id, 10) }

func campaignOf(j *job.Job) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(j.Source, "campaign:"), 10, 64)
	if err != nil || !strings.HasPrefix(j.Source, "campaign:") {
		return 0, fmt.Errorf("job %d: source %q does not name a campaign", j.ID, j.Source)
	}
	return id, nil
}

// CampaignQueue queues the campaigns' jobs; the campaign service calls it
// when a campaign is launched, resumed or scheduled.
type campaignQueue struct{ jobs *job.Store }

func (q campaignQueue) Dispatch(ctx context.Context, shopID, id int64, due time.Time) error {
	return q.once(ctx, shopID, "dispatch", id, due)
}

func (q campaignQueue) Launch(ctx context.Context, shopID, id int64, due time.Time) error {
	return q.once(ctx, shopID, "launch", id, due)
}

// once queues a job unless one for the campaign is already queued.
func (q campaignQueue) once(ctx context.Context, shopID int64, kind string, id int64, due time.Time) error {
	pending, err := q.jobs.Pending(ctx, shopID, kind, campaignSource(id))
	if err != nil || pending {
		return err
	}
	_, err = q.jobs.Enqueue(ctx, shopID, kind, campaignSource(id), due)
	return err
}

// dispatchJob sends a campaign's due messages; when some are due later
// (retries, quiet hours) it queues itself again for then.
func (a *App) dispatchJob(ctx context.Context, j *job.Job, progress func(string, float64)) (string, error) {
	id, err := campaignOf(j)
	if err != nil {
		return "", err
	}
	out, err := a.Dispatcher.Run(ctx, j.ShopID, id, progress)
	if err != nil {
		return out.String(), err
	}
	if !out.Next.IsZero() {
		next := out.Next
		if !next.After(a.Clock.Now()) {
			next = a.Clock.Now().Add(time.Second)
		}
		if err := (campaignQueue{a.Jobs}).Dispatch(ctx, j.ShopID, id, next); err != nil {
			return out.String(), err
		}
	}
	return out.String(), nil
}

// launchJob starts a scheduled campaign: its audience is taken now. A
// recurring campaign starts an occurrence and is queued for its next time.
func (a *App) launchJob(ctx context.Context, j *job.Job, _ func(string, float64)) (string, error) {
	id, err := campaignOf(j)
	if err != nil {
		return "", err
	}
	c, err := a.Campaigns.Get(ctx, j.ShopID, id)
	if err != nil {
		return "", err
	}
	if c.Status != campaign.Scheduled {
		return "campaign is " + c.Status + "; not started", nil
	}
	if c.SendAt.After(a.Clock.Now()) { // moved later since the job was queued
		return "not due yet", (campaignQueue{a.Jobs}).Launch(ctx, j.ShopID, id, c.SendAt)
	}
	run, err := a.Campaigns.Start(ctx, j.ShopID, id)
	if err != nil {
		return "", err
	}
	q := campaignQueue{a.Jobs}
	if err := q.Dispatch(ctx, j.ShopID, run.ID, a.Clock.Now()); err != nil {
		return "", err
	}
	if c.Schedule == campaign.Recurring {
		parent, err := a.Campaigns.Get(ctx, j.ShopID, id)
		if err != nil {
			return "", err
		}
		if err := q.Launch(ctx, j.ShopID, id, parent.SendAt); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("campaign %d started: %d messages, %d held out", run.ID, run.Counts.Target, run.Counts.Holdout), nil
}

// evaluateJob measures the shop's campaigns whose windows are open.
func (a *App) evaluateJob(ctx context.Context, j *job.Job, _ func(string, float64)) (string, error) {
	n, err := a.Campaigns.EvaluateDue(ctx, j.ShopID)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d campaigns evaluated", n), nil
}

// LaunchCampaign launches a draft: a campaign for now starts at once and
// its dispatch is queued; one for later waits for its launch job.
func (a *App) LaunchCampaign(ctx context.Context, shopID, id int64) (*campaign.Campaign, error) {
	c, err := a.Campaigns.Launch(ctx, shopID, id)
	if err != nil {
		return nil, err
	}
	q := campaignQueue{a.Jobs}
	switch c.Status {
	case campaign.Sending:
		err = q.Dispatch(ctx, shopID, c.ID, a.Clock.Now())
	case campaign.Scheduled:
		err = q.Launch(ctx, shopID, c.ID, c.SendAt)
	default:
		err = guanxi.Errorf(guanxi.EINTERNAL, "campaign %d is %s after launch", c.ID, c.Status)
	}
	return c, err
}

// ResumeCampaign lets a paused campaign send again.
func (a *App) ResumeCampaign(ctx context.Context, shopID, id int64) error {
	if err := a.Campaigns.Resume(ctx, shopID, id); err != nil {
		return err
	}
	return (campaignQueue{a.Jobs}).Dispatch(ctx, shopID, id, a.Clock.Now())
}
