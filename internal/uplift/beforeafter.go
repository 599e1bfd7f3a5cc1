package uplift

import "github.com/guanxi-crm/guanxi"

// BeforeAfterResult compares average daily sales in a window before a
// campaign's launch with a window after it.
type BeforeAfterResult struct {
	BeforeDays, AfterDays     int
	BeforePerDay, AfterPerDay float64 // mean sales per day in each window
	// Difference is AfterPerDay − BeforePerDay.
	Difference float64
	// Ratio is AfterPerDay / BeforePerDay (1.2 is "+20%"). It is not
	// defined when nothing sold before; then RatioDefined is false and
	// Ratio is 0.
	Ratio        float64
	RatioDefined bool
}

// BeforeAfter compares sales per day before and after a launch. before and
// after hold one total per calendar day, days without sales included as 0,
// in any unit (yuan, fen, orders).
//
// This is a description, not a measurement of the campaign's effect:
// seasons, holidays (双11, 618), price changes and other campaigns move
// sales as much as the campaign does. Use windows of whole weeks to cancel
// the weekday pattern, and prefer Conversion and Revenue against a holdout
// to claim an uplift.
//
// It returns an EINVALID error when either window is empty.
func BeforeAfter(before, after []float64) (BeforeAfterResult, error) {
	if len(before) == 0 || len(after) == 0 {
		return BeforeAfterResult{}, guanxi.Errorf(guanxi.EINVALID,
			"uplift: before/after windows of %d and %d days, need at least 1 each", len(before), len(after))
	}
	r := BeforeAfterResult{
		BeforeDays:   len(before),
		AfterDays:    len(after),
		BeforePerDay: mean(before),
		AfterPerDay:  mean(after),
	}
	r.Difference = r.AfterPerDay - r.BeforePerDay
	if r.BeforePerDay != 0 {
		r.Ratio, r.RatioDefined = r.AfterPerDay/r.BeforePerDay, true
	}
	return r, nil
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
