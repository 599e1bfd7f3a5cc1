package clv

import (
	"math"

	"github.com/guanxi-crm/guanxi"
)

// PurchaseModel is a fitted purchase-count model: BGNBD or ParetoNBD.
type PurchaseModel interface {
	ExpectedPurchases(t, x, tx, T float64) float64
}

// WeeksPerMonth is the mean month length in weeks (365.25/12/7).
const WeeksPerMonth = 365.25 / 12 / 7

// CLV returns the discounted expected spend over the next months of a
// customer with purchase history (x, tx, T) in weeks and mean spend m per
// repeat purchase day:
//
//	CLV = Σ_{k=1..months} (E[Y(k·w)] − E[Y((k−1)·w)]) · E[M | x, m] / (1+d)^k
//
// where w = WeeksPerMonth, E[Y(t)] is the model's conditional expected number
// of purchase days in the next t weeks, E[M | x, m] the Gamma-Gamma expected
// spend per purchase day and d the monthly discount rate (each month's spend
// discounted at the month's end). It returns a *guanxi.Error with code
// EINVALID for months < 0, a discount rate ≤ −1 or not finite, or q ≤ 1.
func CLV(months int, monthlyDiscountRate float64, pm PurchaseModel, spend GammaGamma, x, tx, T, m float64) (float64, error) {
	if months < 0 {
		return 0, guanxi.Errorf(guanxi.EINVALID, "clv: months must not be negative, got %d", months)
	}
	if !finite(monthlyDiscountRate) || monthlyDiscountRate <= -1 {
		return 0, guanxi.Errorf(guanxi.EINVALID, "clv: monthly discount rate must be finite and above -1, got %g", monthlyDiscountRate)
	}
	em, err := spend.ExpectedSpend(x, m)
	if err != nil {
		return 0, err
	}
	total, prev := 0.0, 0.0
	for k := 1; k <= months; k++ {
		cur := pm.ExpectedPurchases(float64(k)*WeeksPerMonth, x, tx, T)
		total += (cur - prev) * em / math.Pow(1+monthlyDiscountRate, float64(k))
		prev = cur
	}
	return total, nil
}
