package uplift

import (
	"math"

	"github.com/guanxi-crm/guanxi"
)

// Counts is one group's size and how many of its customers converted
// (bought, within the campaign's attribution window).
type Counts struct {
	N          int64
	Converters int64
}

// Rate returns Converters / N, or 0 for an empty group.
func (c Counts) Rate() float64 {
	if c.N == 0 {
		return 0
	}
	return float64(c.Converters) / float64(c.N)
}

// Interval methods reported in ConversionResult.Method.
const (
	MethodWald     = "wald"     // normal approximation, unpooled standard error
	MethodNewcombe = "newcombe" // Newcombe's hybrid of two Wilson score intervals
)

// waldMinCount is the smallest number of converters and of non-converters
// each group needs before the Wald interval is trusted.
const waldMinCount = 10

// ConversionResult is the uplift of a campaign on the response rate.
type ConversionResult struct {
	TargetRate  float64 // converters / customers in the target group
	HoldoutRate float64 // converters / customers in the holdout group
	// Uplift is the absolute uplift TargetRate − HoldoutRate, a difference
	// of proportions (0.005 is half a percentage point).
	Uplift float64
	// Lower and Upper bound the (1 − alpha) confidence interval of Uplift,
	// computed by Method.
	Lower, Upper float64
	Method       string
	// Relative is Uplift / HoldoutRate (0.25 is "+25%"). It is not defined
	// when the holdout has no converters; then RelativeDefined is false and
	// Relative is 0.
	Relative        float64
	RelativeDefined bool
	// Z is the pooled two-proportion z statistic and P its two-sided
	// p-value. When no customer or every customer converted in both groups
	// the rates cannot differ: Z is 0 and P is 1.
	Z, P float64
}

// Conversion compares the response rates of the target and holdout groups.
//
// The interval is the Wald interval, difference ± z·sqrt(pT(1−pT)/nT +
// pH(1−pH)/nH), when both groups have at least 10 converters and 10
// non-converters; otherwise, where the normal approximation breaks down
// (few or no converters, tiny holdout), it is Newcombe's hybrid score
// interval built from the Wilson intervals of each rate, which stays
// inside [−1, 1] and does not collapse to a point at zero converters. The
// p-value is from the pooled two-proportion z-test, itself a normal
// approximation: with only a handful of converters treat it as a rough
// guide.
//
// It returns an EINVALID error when either group is empty, when converters
// are negative or exceed the group size, or when alpha is outside (0, 1).
func Conversion(target, holdout Counts, alpha float64) (ConversionResult, error) {
	if err := checkCounts("target", target); err != nil {
		return ConversionResult{}, err
	}
	if err := checkCounts("holdout", holdout); err != nil {
		return ConversionResult{}, err
	}
	if err := checkAlpha(alpha); err != nil {
		return ConversionResult{}, err
	}
	pT, pH := target.Rate(), holdout.Rate()
	nT, nH := float64(target.N), float64(holdout.N)
	r := ConversionResult{TargetRate: pT, HoldoutRate: pH, Uplift: pT - pH}
	if pH > 0 {
		r.Relative, r.RelativeDefined = r.Uplift/pH, true
	}

	z := zCrit(alpha)
	if waldOK(target) && waldOK(holdout) {
		half := z * math.Sqrt(pT*(1-pT)/nT+pH*(1-pH)/nH)
		r.Lower, r.Upper, r.Method = r.Uplift-half, r.Uplift+half, MethodWald
	} else {
		lT, uT := wilson(pT, nT, z)
		lH, uH := wilson(pH, nH, z)
		r.Lower = r.Uplift - math.Hypot(pT-lT, uH-pH)
		r.Upper = r.Uplift + math.Hypot(uT-pT, pH-lH)
		r.Method = MethodNewcombe
	}

	pool := float64(target.Converters+holdout.Converters) / (nT + nH)
	se := math.Sqrt(pool * (1 - pool) * (1/nT + 1/nH))
	if se > 0 {
		r.Z = r.Uplift / se
		r.P = twoSidedNormalP(r.Z)
	} else {
		r.P = 1
	}
	return r, nil
}

func checkCounts(group string, c Counts) error {
	if c.N <= 0 {
		return guanxi.Errorf(guanxi.EINVALID, "uplift: %s group is empty", group)
	}
	if c.Converters < 0 || c.Converters > c.N {
		return guanxi.Errorf(guanxi.EINVALID, "uplift: %s group has %d converters among %d customers", group, c.Converters, c.N)
	}
	return nil
}

func waldOK(c Counts) bool {
	return c.Converters >= waldMinCount && c.N-c.Converters >= waldMinCount
}

// wilson returns the Wilson score interval of a proportion p observed in n
// trials, for the normal quantile z.
func wilson(p, n, z float64) (lo, hi float64) {
	z2 := z * z
	den := 1 + z2/n
	centre := (p + z2/(2*n)) / den
	half := z / den * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	return max(0, centre-half), min(1, centre+half)
}
