package uplift

import (
	"math"

	"github.com/guanxi-crm/guanxi"
	"gonum.org/v1/gonum/stat/distuv"
)

// Sample summarises one group's revenue per customer: its size, mean and
// unbiased sample variance (divisor N − 1). Customers who bought nothing
// count with revenue 0; leaving them out would compare buyers, not groups.
type Sample struct {
	N        int64
	Mean     float64
	Variance float64
}

// SampleOf summarises per-customer values in two passes, which is
// numerically safer than sums of squares. With fewer than two values the
// variance is 0.
func SampleOf(values []float64) Sample {
	s := Sample{N: int64(len(values))}
	if len(values) == 0 {
		return s
	}
	var sum float64
	for _, v := range values {
		sum += v
	}
	s.Mean = sum / float64(len(values))
	if len(values) < 2 {
		return s
	}
	var ss, c float64
	for _, v := range values {
		d := v - s.Mean
		ss += d * d
		c += d
	}
	// Corrected two-pass formula: c is ~0 but absorbs rounding in the mean.
	s.Variance = (ss - c*c/float64(len(values))) / float64(len(values)-1)
	return s
}

// SampleFromSums summarises a group from SQL-style aggregates: the count,
// the sum and the sum of squares of per-customer values. Prefer SampleOf
// when the values are at hand: when the mean is large against the spread,
// sum − sum²/n loses precision. A variance made slightly negative by
// rounding is clamped to 0.
func SampleFromSums(n int64, sum, sumSq float64) Sample {
	s := Sample{N: n}
	if n == 0 {
		return s
	}
	s.Mean = sum / float64(n)
	if n > 1 {
		s.Variance = max(0, (sumSq-sum*s.Mean)/float64(n-1))
	}
	return s
}

// RevenueResult is the uplift of a campaign on revenue per customer.
type RevenueResult struct {
	TargetMean  float64 // mean revenue per target customer
	HoldoutMean float64 // mean revenue per holdout customer
	// Uplift is TargetMean − HoldoutMean, the revenue the campaign added per
	// target customer; Lower and Upper bound its Welch (1 − alpha) interval.
	Uplift, Lower, Upper float64
	// DF is the Welch–Satterthwaite degrees of freedom, T the Welch t
	// statistic and P its two-sided p-value. When both groups have zero
	// variance DF is +Inf, the interval is the point and P is 1 if the means
	// are equal and 0 otherwise.
	DF, T, P float64
	// Incremental is Uplift × target size: the revenue the campaign added
	// in total, with IncrementalLower and IncrementalUpper the interval
	// scaled the same way.
	Incremental, IncrementalLower, IncrementalUpper float64
	// ROI is (Incremental − cost) / cost, and ROILower and ROIUpper the
	// same for the interval's ends. They are defined only for a positive
	// cost; with cost 0 ROIDefined is false and they are 0.
	ROI, ROILower, ROIUpper float64
	ROIDefined              bool
}

// Revenue compares revenue per customer between the target and holdout
// groups with Welch's unequal-variance t-test, and turns the difference
// into incremental revenue and ROI given the campaign's cost (in the same
// unit as the revenue, e.g. yuan or fen).
//
// Revenue per customer is skewed (most customers spend nothing), so the
// t interval relies on the central limit theorem: it is fine for hundreds
// of customers per group and rough for a few dozen.
//
// It returns an EINVALID error when either group has fewer than two
// customers, a variance is negative or not finite, cost is negative, or
// alpha is outside (0, 1).
func Revenue(target, holdout Sample, cost, alpha float64) (RevenueResult, error) {
	if err := checkSample("target", target); err != nil {
		return RevenueResult{}, err
	}
	if err := checkSample("holdout", holdout); err != nil {
		return RevenueResult{}, err
	}
	if !(cost >= 0) || math.IsInf(cost, 1) {
		return RevenueResult{}, guanxi.Errorf(guanxi.EINVALID, "uplift: campaign cost %v is not a finite amount ≥ 0", cost)
	}
	if err := checkAlpha(alpha); err != nil {
		return RevenueResult{}, err
	}
	r := RevenueResult{TargetMean: target.Mean, HoldoutMean: holdout.Mean, Uplift: target.Mean - holdout.Mean}
	nT, nH := float64(target.N), float64(holdout.N)
	vT, vH := target.Variance/nT, holdout.Variance/nH
	se := math.Sqrt(vT + vH)
	if se > 0 {
		r.DF = (vT + vH) * (vT + vH) / (vT*vT/(nT-1) + vH*vH/(nH-1))
		r.T = r.Uplift / se
		t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: r.DF}
		r.P = 2 * t.Survival(math.Abs(r.T))
		half := t.Quantile(1-alpha/2) * se
		r.Lower, r.Upper = r.Uplift-half, r.Uplift+half
	} else {
		r.DF = math.Inf(1)
		r.Lower, r.Upper = r.Uplift, r.Uplift
		r.P = 1
		if r.Uplift != 0 {
			r.T = math.Copysign(math.Inf(1), r.Uplift)
			r.P = 0
		}
	}
	r.Incremental = r.Uplift * nT
	r.IncrementalLower = r.Lower * nT
	r.IncrementalUpper = r.Upper * nT
	if cost > 0 {
		r.ROIDefined = true
		r.ROI = (r.Incremental - cost) / cost
		r.ROILower = (r.IncrementalLower - cost) / cost
		r.ROIUpper = (r.IncrementalUpper - cost) / cost
	}
	return r, nil
}

func checkSample(group string, s Sample) error {
	if s.N < 2 {
		return guanxi.Errorf(guanxi.EINVALID, "uplift: %s group has %d customers, need at least 2", group, s.N)
	}
	if !(s.Variance >= 0) || math.IsInf(s.Variance, 1) || math.IsNaN(s.Mean) || math.IsInf(s.Mean, 0) {
		return guanxi.Errorf(guanxi.EINVALID, "uplift: %s group has mean %v and variance %v", group, s.Mean, s.Variance)
	}
	return nil
}
