package clv

import (
	"fmt"
	"math"

	"github.com/guanxi-crm/guanxi"
	"gonum.org/v1/gonum/mathext"
)

// GammaGamma is a fitted Gamma-Gamma spend model (Fader, Hardie & Lee 2005,
// "RFM and CLV"): spend per purchase day is Gamma(P, ν) with ν ~ Gamma(Q, Gamma)
// across customers, independent of the purchase process.
type GammaGamma struct {
	P, Q, Gamma   float64
	LogLikelihood float64
	Customers     int
	FitStats
}

// ggLogLik is the log-density of the mean spend m over x purchase days:
//
//	ln f = lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q ln γ + (px−1) ln m + px ln x − (px+q) ln(γ+mx)
func ggLogLik(p, q, g, x, m float64, grad []float64) float64 {
	px := p * x
	l := math.Log(g + m*x)
	ll := lgamma(px+q) - lgamma(px) - lgamma(q) + q*math.Log(g) + (px-1)*math.Log(m) + px*math.Log(x) - (px+q)*l
	if grad != nil {
		dg := mathext.Digamma
		grad[0] += x * (dg(px+q) - dg(px) + math.Log(m) + math.Log(x) - l)
		grad[1] += dg(px+q) - dg(q) + math.Log(g) - l
		grad[2] += q/g - (px+q)/(g+m*x)
	}
	return ll
}

type ggObjective struct {
	s       Spend
	g       groups
	sumLnMx []float64 // per group: Σ (ln m + ln x)
	sumLnM  []float64 // per group: Σ ln m
}

func newGGObjective(s Spend) *ggObjective {
	g := groupX(s.X)
	o := &ggObjective{s: s, g: g, sumLnMx: make([]float64, len(g.xs)), sumLnM: make([]float64, len(g.xs))}
	for i, m := range s.M {
		k := g.idx[i]
		o.sumLnM[k] += math.Log(m)
		o.sumLnMx[k] += math.Log(m) + math.Log(s.X[i])
	}
	return o
}

func (o *ggObjective) eval(p, q, gm float64, grad []float64) float64 {
	dg := mathext.Digamma
	var ll float64
	var g0 [3]float64
	lgq, dgq, lg := lgamma(q), dg(q), math.Log(gm)
	for k, x := range o.g.xs {
		c, px := o.g.cnt[k], p*x
		ll += c*(lgamma(px+q)-lgamma(px)-lgq+q*lg+px*math.Log(x)) + (px-1)*o.sumLnM[k]
		g0[0] += x*c*(dg(px+q)-dg(px)) + x*o.sumLnMx[k]
		g0[1] += c * (dg(px+q) - dgq + lg)
		g0[2] += c * q / gm
	}
	X, M := o.s.X, o.s.M
	ll += parallelSum(len(X), grad, func(lo, hi int, gr []float64) float64 {
		var s, dp, dq, dgm float64
		for i := lo; i < hi; i++ {
			x := X[i]
			u := gm + M[i]*x
			l := math.Log(u)
			w := p*x + q
			s -= w * l
			dp -= x * l
			dq -= l
			dgm -= w / u
		}
		gr[0] += dp
		gr[1] += dq
		gr[2] += dgm
		return s
	})
	for j := range 3 {
		grad[j] += g0[j]
	}
	return ll
}

func (o *ggObjective) objective(theta, grad []float64) float64 {
	p, q, g := math.Exp(theta[0]), math.Exp(theta[1]), math.Exp(theta[2])
	ll := o.eval(p, q, g, grad)
	n := float64(len(o.s.X))
	v := [3]float64{p, q, g}
	for j := range 3 {
		grad[j] = -grad[j] * v[j] / n
	}
	return -ll / n
}

// FitGammaGamma fits the Gamma-Gamma model to the repeat buyers in s. It
// returns a *guanxi.Error with code EINVALID when s is malformed (X < 1,
// M ≤ 0), has fewer than two customers, or all mean spends are equal, and a
// wrapped error when the optimiser finds no finite optimum.
func FitGammaGamma(s Spend) (GammaGamma, error) {
	n := len(s.X)
	if len(s.M) != n {
		return GammaGamma{}, guanxi.Errorf(guanxi.EINVALID, "gamma_gamma: columns differ in length: x %d, m %d", n, len(s.M))
	}
	if n == 0 {
		return GammaGamma{}, guanxi.Errorf(guanxi.EINVALID, "gamma_gamma: the spend model needs repeat buyers: got none")
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range n {
		x, m := s.X[i], s.M[i]
		if !finite(x) || !finite(m) || x < 1 || m <= 0 {
			return GammaGamma{}, guanxi.Errorf(guanxi.EINVALID, "gamma_gamma: customer %d: need x ≥ 1 and mean spend > 0, got x %g, m %g", i, x, m)
		}
		lo, hi = min(lo, m), max(hi, m)
	}
	if n < 2 {
		return GammaGamma{}, guanxi.Errorf(guanxi.EINVALID, "gamma_gamma: the spend model needs at least 2 repeat buyers: got %d", n)
	}
	if lo == hi {
		return GammaGamma{}, guanxi.Errorf(guanxi.EINVALID, "gamma_gamma: the spend model needs variation in spend: all %d repeat buyers spend %g per day", n, lo)
	}
	o := newGGObjective(s)
	mm := mean(s.M)
	starts := [][]float64{
		{0, math.Log(2), math.Log(mm)},
		{math.Log(5), math.Log(3), math.Log(2 * mm)},
		{0, 0, 0},
	}
	theta, f, st, err := minimize(o.objective, starts...)
	if err != nil {
		return GammaGamma{}, fmt.Errorf("gamma_gamma: fit %d customers: %w", n, err)
	}
	g := GammaGamma{P: math.Exp(theta[0]), Q: math.Exp(theta[1]), Gamma: math.Exp(theta[2]),
		LogLikelihood: -f * float64(n), Customers: n, FitStats: st}
	if !allFinite([]float64{g.P, g.Q, g.Gamma, g.LogLikelihood}) || g.P == 0 || g.Q == 0 || g.Gamma == 0 {
		return GammaGamma{}, guanxi.Errorf(guanxi.EINVALID, "gamma_gamma: the data does not identify the model: parameters diverged (p %g, q %g, gamma %g)", g.P, g.Q, g.Gamma)
	}
	return g, nil
}

// ExpectedSpend returns the expected spend per purchase day of a customer
// with x repeat purchase days at mean spend m:
//
//	E[M | x, m] = (γ + m·x)·p / (p·x + q − 1)
//
// For x = 0 it is the population mean γp/(q−1). It returns a *guanxi.Error
// with code EINVALID when q ≤ 1, where the population mean is infinite.
func (g GammaGamma) ExpectedSpend(x, m float64) (float64, error) {
	if g.Q <= 1 {
		return 0, guanxi.Errorf(guanxi.EINVALID, "gamma_gamma: expected spend needs q > 1, the fit gave q = %g (spend too heavy-tailed)", g.Q)
	}
	if x == 0 {
		m = 0
	}
	return (g.Gamma + m*x) * g.P / (g.P*x + g.Q - 1), nil
}
