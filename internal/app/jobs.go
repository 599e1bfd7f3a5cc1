package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/job"
	"github.com/guanxi-crm/guanxi/internal/shop"
)

// scheduler returns a job scheduler with Guanxi's handlers.
func (a *App) scheduler() *job.Scheduler {
	s := job.NewScheduler(a.Jobs, a.Clock, a.Log, func(ctx context.Context) ([]job.ShopZone, error) {
		shops, err := a.Shops.List(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]job.ShopZone, len(shops))
		for i, sh := range shops {
			out[i] = job.ShopZone{ID: sh.ID, Location: sh.Location()}
		}
		return out, nil
	})
	s.Handle("score", a.scoreJob)
	s.Handle("loyalty", a.loyaltyJob)
	s.Handle("dispatch", a.dispatchJob)
	s.Handle("launch", a.launchJob)
	s.Handle("evaluate", a.evaluateJob)
	s.Handle("care", a.careJob)
	s.Handle(EscalateKind, a.escalateJob)
	s.Handle(PrivacyKind, a.privacyJob)
	a.surveyJobs(s)
	return s
}

// scoreJob scores the job's shop as of today in the shop's zone.
func (a *App) scoreJob(ctx context.Context, j *job.Job, progress func(string, float64)) (string, error) {
	sh, err := a.Shops.ByID(ctx, j.ShopID)
	if err != nil {
		return "", err
	}
	res, err := a.Scores.RunWithProgress(ctx, sh, a.Clock.Now().In(sh.Location()), progress)
	if err != nil {
		return "", err
	}
	a.recordSegmentSizes(ctx, sh)
	return scoreSummary(res), nil
}

// recordSegmentSizes records today's sizes (in the shop's zone) of the
// shop's saved segments, after a successful score run, so that they can be
// charted. A failure is logged, not returned: the run itself succeeded.
func (a *App) recordSegmentSizes(ctx context.Context, sh *shop.Shop) {
	now := a.Clock.Now().In(sh.Location())
	day := now.Year()*10000 + int(now.Month())*100 + now.Day()
	if err := a.Segments.RecordSizes(ctx, sh.ID, day); err != nil {
		a.Log.Error("segment sizes not recorded", "shop", sh.Code, "day", day, "err", err)
	}
}

// ParseTimeOfDay reads HH:MM for a daily job; "off" gives ok false.
func ParseTimeOfDay(s string) (hour, minute int, ok bool, err error) {
	if s == "off" || s == "" {
		return 0, 0, false, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, 0, false, guanxi.Errorf(guanxi.EINVALID, "%q: expected a time of day such as 02:00, or off", s)
	}
	return t.Hour(), t.Minute(), true, nil
}

// Jobs prints the latest jobs of a shop (of every shop for "").
func (a *App) ListJobs(ctx context.Context, shopCode string, limit int, asJSON bool, out io.Writer) error {
	var shopID int64
	if shopCode != "" {
		sh, err := a.Shop(ctx, shopCode)
		if err != nil {
			return err
		}
		shopID = sh.ID
	}
	js, err := a.Jobs.List(ctx, shopID, limit)
	if err != nil {
		return err
	}
	if asJSON {
		for _, j := range js {
			if err := jsonLine(out, j); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "shop\tid\tkind\tsource\tstatus\tdue\tprogress\tstage\tresult")
	for _, j := range js {
		res := j.Result
		if j.Error != "" {
			res = "error: " + j.Error
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%3.0f%%\t%s\t%s\n", j.ShopID, j.ID, j.Kind, j.Source, j.Status,
			j.DueAt.Format("2006-01-02 15:04 MST"), 100*j.Progress, j.Stage, strings.ReplaceAll(res, "\t", " "))
	}
	return tw.Flush()
}
