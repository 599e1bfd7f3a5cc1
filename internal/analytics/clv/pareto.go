package clv

import (
	"fmt"
	"math"

	"github.com/guanxi-crm/guanxi"
	"gonum.org/v1/gonum/mathext"
)

// ParetoNBD is a fitted Pareto/NBD model (Schmittlein, Morrison & Colombo
// 1987): while alive a customer buys at Poisson rate lambda ~ Gamma(R, Alpha)
// per week and has an exponential lifetime with rate mu ~ Gamma(S, Beta).
type ParetoNBD struct {
	R, Alpha, S, Beta float64
	LogLikelihood     float64
	Customers         int
	FitStats
}

// paretoLogA0 returns ln A0 of Fader & Hardie's "A Note on Deriving the
// Pareto/NBD Model and Related Expressions" (2005), eq. 22/23:
//
//	α ≥ β: A0 = ₂F₁(r+s+x, s+1; r+s+x+1; (α−β)/(α+t_x)) / (α+t_x)^(r+s+x) − (same at T)
//	α < β: A0 = ₂F₁(r+s+x, r+x; r+s+x+1; (β−α)/(β+t_x)) / (β+t_x)^(r+s+x) − (same at T)
//
// It is −Inf when t_x = T.
func paretoLogA0(r, alpha, s, beta, x, tx, T float64) float64 {
	a1 := r + s + x
	var b1, c, d float64
	if alpha >= beta {
		b1, c, d = s+1, alpha, alpha-beta
	} else {
		b1, c, d = r+x, beta, beta-alpha
	}
	lu := math.Log(mathext.Hypergeo(a1, b1, a1+1, d/(c+tx))) - a1*math.Log(c+tx)
	lv := math.Log(mathext.Hypergeo(a1, b1, a1+1, d/(c+T))) - a1*math.Log(c+T)
	if !(lv < lu) {
		return math.Inf(-1)
	}
	return lu + math.Log1p(-math.Exp(lv-lu))
}

// paretoParts returns the x-dependent constant A1 and the two log terms
// L1 = −(r+x) ln(α+T) − s ln(β+T) and L2 = ln s − ln(r+s+x) + ln A0, with
// ln L = A1 + log(e^L1 + e^L2).
func paretoParts(r, alpha, s, beta, x, tx, T float64) (a1, l1, l2 float64) {
	a1 = lgamma(r+x) - lgamma(r) + r*math.Log(alpha) + s*math.Log(beta)
	l1 = -(r+x)*math.Log(alpha+T) - s*math.Log(beta+T)
	l2 = math.Log(s) - math.Log(r+s+x) + paretoLogA0(r, alpha, s, beta, x, tx, T)
	return a1, l1, l2
}

// paretoLogLik returns the log-likelihood of one customer and, when grad is
// non-nil, adds its gradient w.r.t. (r, α, s, β). All terms are
// differentiated analytically except ln A0: the derivatives of ₂F₁ in its
// parameters have no practical closed form, so ln A0 uses a central
// difference in log-parameters (relative step 1e-5).
func paretoLogLik(r, alpha, s, beta, x, tx, T float64, grad []float64) float64 {
	a1, l1, l2 := paretoParts(r, alpha, s, beta, x, tx, T)
	lse, w2 := logAddExp(l1, l2)
	if grad != nil {
		w1 := 1 - w2
		dg := mathext.Digamma
		grad[0] += dg(r+x) - dg(r) + math.Log(alpha) - w1*math.Log(alpha+T) - w2/(r+s+x)
		grad[1] += r/alpha - w1*(r+x)/(alpha+T)
		grad[2] += math.Log(beta) - w1*math.Log(beta+T) + w2*(1/s-1/(r+s+x))
		grad[3] += s/beta - w1*s/(beta+T)
		if w2 > 0 {
			p := [4]float64{r, alpha, s, beta}
			const h = 1e-5
			for j := range 4 {
				up, dn := p, p
				up[j] *= math.Exp(h)
				dn[j] *= math.Exp(-h)
				fu := paretoLogA0(up[0], up[1], up[2], up[3], x, tx, T)
				fd := paretoLogA0(dn[0], dn[1], dn[2], dn[3], x, tx, T)
				grad[j] += w2 * (fu - fd) / (2 * h) / p[j]
			}
		}
	}
	return a1 + lse
}

func paretoObjective(d Data) objective {
	n := float64(len(d.X))
	return func(theta, grad []float64) float64 {
		p := [4]float64{math.Exp(theta[0]), math.Exp(theta[1]), math.Exp(theta[2]), math.Exp(theta[3])}
		ll := parallelSumSmall(len(d.X), grad, func(lo, hi int, gr []float64) float64 {
			s := 0.0
			for i := lo; i < hi; i++ {
				s += paretoLogLik(p[0], p[1], p[2], p[3], d.X[i], d.Tx[i], d.T[i], gr)
			}
			return s
		})
		for j := range 4 {
			grad[j] = -grad[j] * p[j] / n
		}
		return -ll / n
	}
}

// FitParetoNBD fits a Pareto/NBD model to d by maximum likelihood. Errors
// are as for FitBGNBD. It is much slower than FitBGNBD: every customer costs
// ten ₂F₁ evaluations per gradient.
func FitParetoNBD(d Data) (ParetoNBD, error) {
	if _, err := d.validate("pareto"); err != nil {
		return ParetoNBD{}, err
	}
	meanX, meanT := mean(d.X), mean(d.T)
	rate := max(meanX/max(meanT, 1e-9), 1e-6)
	starts := [][]float64{
		{0, math.Log(1 / rate), 0, math.Log(meanT)},
		{math.Log(0.5), math.Log(meanT), math.Log(0.5), math.Log(meanT)},
		{0, 0, 0, 0},
	}
	theta, f, st, err := minimize(paretoObjective(d), starts...)
	if err != nil {
		return ParetoNBD{}, fmt.Errorf("pareto: fit %d customers: %w", len(d.X), err)
	}
	m := ParetoNBD{R: math.Exp(theta[0]), Alpha: math.Exp(theta[1]), S: math.Exp(theta[2]), Beta: math.Exp(theta[3]),
		LogLikelihood: -f * float64(len(d.X)), Customers: len(d.X), FitStats: st}
	if !allFinite([]float64{m.R, m.Alpha, m.S, m.Beta, m.LogLikelihood}) || m.R == 0 || m.Alpha == 0 || m.S == 0 || m.Beta == 0 {
		return ParetoNBD{}, guanxi.Errorf(guanxi.EINVALID, "pareto: the data does not identify the model: parameters diverged (r %g, alpha %g, s %g, beta %g)", m.R, m.Alpha, m.S, m.Beta)
	}
	return m, nil
}

// LogLikelihood1 returns the log-likelihood of one customer under m.
func (m ParetoNBD) LogLikelihood1(x, tx, T float64) float64 {
	return paretoLogLik(m.R, m.Alpha, m.S, m.Beta, x, tx, T, nil)
}

// PAlive returns the probability that a customer with history (x, tx, T) is
// still alive at T: 1 / (1 + s/(r+s+x) (α+T)^(r+x) (β+T)^s A0).
func (m ParetoNBD) PAlive(x, tx, T float64) float64 {
	_, l1, l2 := paretoParts(m.R, m.Alpha, m.S, m.Beta, x, tx, T)
	return 1 / (1 + math.Exp(l2-l1))
}

// ExpectedPurchases returns the expected number of purchase days in the next
// t weeks of a customer with history (x, tx, T):
//
//	E[Y(t)] = (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)] · P(alive)
//
// with the limit (r+x)(β+T)/(α+T) · ln((β+T+t)/(β+T)) · P(alive) at s = 1.
func (m ParetoNBD) ExpectedPurchases(t, x, tx, T float64) float64 {
	if t <= 0 {
		return 0
	}
	return (m.R + x) * (m.Beta + T) / (m.Alpha + T) * survivalIntegral(m.S, (m.Beta+T)/(m.Beta+T+t)) * m.PAlive(x, tx, T)
}

// ExpectedPurchasesNew returns the expected number of repeat purchase days
// in the first t weeks after a new customer's first purchase:
// rβ/(α(s−1)) · [1 − (β/(β+t))^(s−1)].
func (m ParetoNBD) ExpectedPurchasesNew(t float64) float64 {
	if t <= 0 {
		return 0
	}
	return m.R * m.Beta / m.Alpha * survivalIntegral(m.S, m.Beta/(m.Beta+t))
}

// survivalIntegral returns [1 − rho^(s−1)]/(s−1), or −ln rho at s = 1.
func survivalIntegral(s, rho float64) float64 {
	lr := math.Log(rho)
	if math.Abs(s-1) < 1e-10 {
		return -lr
	}
	return -math.Expm1((s-1)*lr) / (s - 1)
}
