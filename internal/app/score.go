package app

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/guanxi-crm/guanxi"
)

// Score scores every customer of the shop as of asOf (YYYY-MM-DD in the
// shop's zone; today when empty) and prints a one-line summary.
func (a *App) Score(ctx context.Context, shopCode, asOf string, asJSON bool, out io.Writer) error {
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
	res, err := a.Scores.Run(ctx, sh, day)
	if err != nil {
		return err
	}
	if asJSON {
		return jsonLine(out, res)
	}
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
	_, err = fmt.Fprintf(out, "shop %s: %d customers scored as of %s (%s%s); repeat-purchase rate %.1f%%, %d cohorts, %d clusters, %d product rules from %d baskets; in %.1fs\n",
		res.Shop, res.Customers, res.AsOf, model, note, 100*res.RepeatRate, res.Cohorts, res.Clusters, res.ProductRules, res.Baskets, res.Seconds)
	return err
}
