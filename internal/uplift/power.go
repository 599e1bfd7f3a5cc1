package uplift

import (
	"math"

	"github.com/guanxi-crm/guanxi"
	"gonum.org/v1/gonum/stat/distuv"
)

// MinimumDetectableUplift returns the smallest absolute uplift in response
// rate (0.01 is one percentage point) that a campaign on audience customers
// with the given holdout share detects with probability power, in a
// two-sided test at level alpha:
//
//	MDE = (z(1 − alpha/2) + z(power)) · sqrt(p(1 − p) / (audience · h · (1 − h)))
//
// where p is baseRate, the expected response rate without the campaign,
// and h the holdout share, so the groups hold audience·(1 − h) and
// audience·h customers. Both groups' variances are taken at the base rate,
// the usual normal approximation; it is optimistic when the base rate times
// the holdout size is below about 10 converters. Typical values are alpha
// 0.05 and power 0.8.
//
// It returns an EINVALID error when baseRate is outside (0, 1), audience is
// below 2, holdoutShare outside (0, 1), alpha outside (0, 1) or power
// outside (0, 1).
func MinimumDetectableUplift(baseRate float64, audience int64, holdoutShare, alpha, power float64) (float64, error) {
	zsum, err := checkPower(baseRate, audience, alpha, power)
	if err != nil {
		return 0, err
	}
	if !(holdoutShare > 0 && holdoutShare < 1) {
		return 0, guanxi.Errorf(guanxi.EINVALID, "uplift: holdout share %v outside (0, 1)", holdoutShare)
	}
	return zsum * math.Sqrt(baseRate*(1-baseRate)/(float64(audience)*holdoutShare*(1-holdoutShare))), nil
}

// HoldoutShareFor is the inverse of MinimumDetectableUplift: the smallest
// holdout share h ≤ 0.5 at which a campaign on audience customers detects
// an absolute uplift of mde, solving h(1 − h) = p(1 − p)·(zsum/mde)² /
// audience. Under the same assumptions, a larger share up to 0.5 only
// detects smaller uplifts.
//
// It returns an EINVALID error for the invalid arguments listed at
// MinimumDetectableUplift, for mde not in (0, 1), and when even an even
// split cannot detect mde; that error's message states the smallest uplift
// the audience can detect.
func HoldoutShareFor(baseRate float64, audience int64, mde, alpha, power float64) (float64, error) {
	zsum, err := checkPower(baseRate, audience, alpha, power)
	if err != nil {
		return 0, err
	}
	if !(mde > 0 && mde < 1) {
		return 0, guanxi.Errorf(guanxi.EINVALID, "uplift: detectable uplift %v outside (0, 1)", mde)
	}
	k := baseRate * (1 - baseRate) * (zsum / mde) * (zsum / mde) / float64(audience) // = h(1 − h)
	if k > 0.25 {
		best := zsum * math.Sqrt(baseRate*(1-baseRate)/(float64(audience)*0.25))
		return 0, guanxi.Errorf(guanxi.EINVALID,
			"uplift: an uplift of %.4g is not detectable in %d customers; even a 50%% holdout detects only %.4g", mde, audience, best)
	}
	// Smaller root of h² − h + k = 0, written to avoid cancellation for small k.
	return 2 * k / (1 + math.Sqrt(1-4*k)), nil
}

func checkPower(baseRate float64, audience int64, alpha, power float64) (zsum float64, err error) {
	if !(baseRate > 0 && baseRate < 1) {
		return 0, guanxi.Errorf(guanxi.EINVALID, "uplift: base rate %v outside (0, 1)", baseRate)
	}
	if audience < 2 {
		return 0, guanxi.Errorf(guanxi.EINVALID, "uplift: audience of %d customers, need at least 2", audience)
	}
	if err := checkAlpha(alpha); err != nil {
		return 0, err
	}
	if !(power > 0 && power < 1) {
		return 0, guanxi.Errorf(guanxi.EINVALID, "uplift: power %v outside (0, 1)", power)
	}
	return zCrit(alpha) + distuv.UnitNormal.Quantile(power), nil
}
