package app

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/job"
	"github.com/guanxi-crm/guanxi/internal/score"
)

// Score scores every customer of the shop as of asOf (YYYY-MM-DD in the
// shop's zone; today when empty) and prints a one-line summary. The run is
// recorded in the job table, as a manual job, with its progress; progress,
// when not nil, also receives it.
func (a *App) Score(ctx context.Context, shopCode, asOf string, asJSON bool, out io.Writer, progress func(stage string, done float64)) error {
	sh, err := a.Shop(ctx, shopCode)
	if err != nil {
		return err
	}
	day := a.Clock.Now().In(sh.Location())
	if asOf != "" {
		if day, err = time.ParseInLocation(time.DateOnly, asOf, sh.Location()); err != nil {
			return guanxi.Errorf(guanxi.EINVALID, "--as-of %q: expected a date such as 2025-06-30", asOf)
		}
	}
	j, err := a.Jobs.Start(ctx, sh.ID, "score", job.Manual)
	if err != nil {
		return err
	}
	var res score.Result
	s := a.scheduler()
	s.Handle("score", func(ctx context.Context, j *job.Job, p func(string, float64)) (string, error) {
		res, err = a.Scores.RunWithProgress(ctx, sh, day, func(stage string, done float64) {
			p(stage, done)
			if progress != nil {
				progress(stage, done)
			}
		})
		if err != nil {
			return "", err
		}
		a.recordSegmentSizes(ctx, sh)
		return scoreSummary(res), nil
	})
	if xerr := s.Exec(ctx, j); xerr != nil {
		return xerr
	}
	if err != nil {
		return err
	}
	if asJSON {
		return jsonLine(out, res)
	}
	_, err = fmt.Fprintln(out, scoreSummary(res))
	return err
}

// scoreSummary is a run's one-line summary.
func scoreSummary(res score.Result) string {
	model := "RFM only"
	if res.Model != "" {
		model = res.Model
		for _, k := range slices.Sorted(maps.Keys(res.Params)) {
			model += fmt.Sprintf(" %s=%.4g", k, res.Params[k])
		}
	}
	note := ""
	if res.Note != "" {
		note = "; " + res.Note
	}
	return fmt.Sprintf("shop %s: %d customers scored as of %s (%s%s); repeat-purchase rate %.1f%%, %d cohorts, %d clusters, %d product rules from %d baskets; in %.1fs",
		res.Shop, res.Customers, res.AsOf, model, note, 100*res.RepeatRate, res.Cohorts, res.Clusters, res.ProductRules, res.Baskets, res.Seconds)
}

// SetScoreSettings changes a shop's scoring settings: lifecycle is
// "new=30,dormant=90,churned=180,loyal=4" (any of them) or "auto", discount
// a monthly rate such as 0.01 or "auto"; empty leaves a setting as it is.
func (a *App) SetScoreSettings(ctx context.Context, shopCode, lifecycle, discount string) error {
	sh, err := a.Shop(ctx, shopCode)
	if err != nil {
		return err
	}
	st, err := a.Scores.Settings(ctx, sh.ID)
	if err != nil {
		return err
	}
	if lifecycle != "" {
		if err := st.ParseLifecycle(lifecycle); err != nil {
			return err
		}
	}
	switch discount {
	case "":
	case "auto":
		st.MonthlyDiscount = nil
	default:
		d, err := strconv.ParseFloat(discount, 64)
		if err != nil {
			return guanxi.Errorf(guanxi.EINVALID, "--discount-rate %q: expected a monthly rate such as 0.01", discount)
		}
		st.MonthlyDiscount = &d
	}
	return a.Scores.SaveSettings(ctx, sh.ID, st)
}
