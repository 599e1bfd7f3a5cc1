// Package uplift is the statistics of campaigns measured against a holdout
// control group: the deterministic holdout split (Assign, Unit), the uplift in
// response rate (Conversion) and in revenue per customer (Revenue) with
// confidence intervals and p-values, the power hint shown before launch
// (MinimumDetectableUplift, HoldoutShareFor), and a naive before/after
// comparison of daily sales (BeforeAfter).
//
// It is pure maths on numbers and slices: it imports no database package,
// keeps no state, does not retain or modify its inputs, and is safe for
// concurrent use. Invalid arguments are reported as *guanxi.Error with code
// guanxi.EINVALID and a message naming the offending value.
//
// Shared assumptions: customers are assigned to target or holdout at random
// (by Assign) before the campaign, each customer is counted once, and
// outcomes of different customers are independent. Intervals and p-values
// are two-sided; alpha is the significance level, so a 95% interval is
// alpha = 0.05.
package uplift

import (
	"math"

	"github.com/guanxi-crm/guanxi"
	"gonum.org/v1/gonum/stat/distuv"
)

// zCrit returns the standard normal quantile z with P(|Z| > z) = alpha.
func zCrit(alpha float64) float64 {
	return distuv.UnitNormal.Quantile(1 - alpha/2)
}

// twoSidedNormalP returns P(|Z| >= |z|) for a standard normal Z.
func twoSidedNormalP(z float64) float64 {
	return math.Erfc(math.Abs(z) / math.Sqrt2)
}

// checkAlpha reports an error unless alpha is in (0, 1).
func checkAlpha(alpha float64) error {
	if !(alpha > 0 && alpha < 1) {
		return guanxi.Errorf(guanxi.EINVALID, "uplift: alpha %v outside (0, 1)", alpha)
	}
	return nil
}
