package app

import (
	"context"
	"fmt"
	"time"

	"github.com/guanxi-crm/guanxi/internal/job"
	"github.com/guanxi-crm/guanxi/internal/survey"
)

// Survey jobs (issue 6 §3), per shop:
//
//	survey_csat      every 15 minutes: invite the customers of tickets closed
//	                 since (survey.InviteClosedTickets), then queue a dispatch
//	survey_dispatch  send the queued invites; when some wait (quiet hours,
//	                 a temporary failure, a full batch) it queues itself again
//
// survey_csat is planned daily at 00:00 as a backstop, and queues its own
// next run 15 minutes after each run with the scheduler's source, so the
// daily plan sees it pending and adds none.
const (
	surveyCSATJob     = "survey_csat"
	surveyDispatchJob = "survey_dispatch"
	surveySource      = "survey"
	surveyCSATEvery   = 15 * time.Minute
)

// newSurveys builds the survey service; its detractor tasks go through a
// service desk of the same database.
func newSurveys(a *App) *survey.Service {
	return survey.NewService(a.DB, a.Clock, a.Segments, a.Campaigns, a.Desk)
}

// surveyJobs registers the survey jobs' handlers and plan on sch.
func (a *App) surveyJobs(sch *job.Scheduler) {
	sch.Handle(surveyCSATJob, a.surveyCSATJob)
	sch.Handle(surveyDispatchJob, a.surveyDispatchJob)
	sch.Every(job.Daily{Kind: surveyCSATJob, Hour: 0, Minute: 0})
}

// PlanSurveys queues a CSAT run now for every shop that has none queued,
// so a server that starts does not wait for the daily backstop.
func (a *App) PlanSurveys(ctx context.Context) error {
	shops, err := a.Shops.List(ctx)
	if err != nil {
		return err
	}
	for _, sh := range shops {
		pending, err := a.Jobs.Pending(ctx, sh.ID, surveyCSATJob, job.Schedule)
		if err != nil {
			return err
		}
		if !pending {
			if _, err := a.Jobs.Enqueue(ctx, sh.ID, surveyCSATJob, job.Schedule, a.Clock.Now()); err != nil {
				return err
			}
		}
	}
	return nil
}

// queueSurveyDispatch queues the shop's invite dispatch at due unless one
// is already queued.
func (a *App) queueSurveyDispatch(ctx context.Context, shopID int64, due time.Time) error {
	pending, err := a.Jobs.Pending(ctx, shopID, surveyDispatchJob, surveySource)
	if err != nil || pending {
		return err
	}
	_, err = a.Jobs.Enqueue(ctx, shopID, surveyDispatchJob, surveySource, due)
	return err
}

// surveyCSATJob invites the customers of newly closed tickets and queues
// its next run.
func (a *App) surveyCSATJob(ctx context.Context, j *job.Job, _ func(string, float64)) (string, error) {
	now := a.Clock.Now()
	n, err := a.Surveys.InviteClosedTickets(ctx, j.ShopID)
	if err == nil && n > 0 {
		err = a.queueSurveyDispatch(ctx, j.ShopID, now)
	}
	// The next run is queued even after a failure: the job must keep going.
	pending, perr := a.Jobs.Pending(ctx, j.ShopID, surveyCSATJob, job.Schedule)
	if perr == nil && !pending {
		_, perr = a.Jobs.Enqueue(ctx, j.ShopID, surveyCSATJob, job.Schedule, now.Add(surveyCSATEvery))
	}
	if err != nil {
		return "", err
	}
	if perr != nil {
		return "", perr
	}
	return fmt.Sprintf("%d CSAT invites queued", n), nil
}

// surveyDispatchJob sends the shop's queued invites.
func (a *App) surveyDispatchJob(ctx context.Context, j *job.Job, _ func(string, float64)) (string, error) {
	out, err := a.Surveys.Dispatch(ctx, j.ShopID, a.Dispatcher.PublicURL, 500)
	if err != nil {
		return out.String(), err
	}
	if !out.Next.IsZero() {
		next := out.Next
		if !next.After(a.Clock.Now()) {
			next = a.Clock.Now().Add(time.Second)
		}
		if err := a.queueSurveyDispatch(ctx, j.ShopID, next); err != nil {
			return out.String(), err
		}
	}
	return out.String(), nil
}

// SendSurvey queues an NPS or custom survey's invites to its segment and
// their dispatch now; it returns how many invites it queued.
func (a *App) SendSurvey(ctx context.Context, shopID, id int64) (int, error) {
	n, err := a.Surveys.Send(ctx, shopID, id)
	if err != nil {
		return 0, err
	}
	return n, a.queueSurveyDispatch(ctx, shopID, a.Clock.Now())
}
