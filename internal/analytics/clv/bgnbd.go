package clv

import (
	"fmt"
	"math"

	"github.com/guanxi-crm/guanxi"
	"gonum.org/v1/gonum/mathext"
)

// BGNBD is a fitted BG/NBD model (Fader, Hardie & Lee 2005, "Counting Your
// Customers the Easy Way"): while alive a customer buys at Poisson rate
// lambda ~ Gamma(R, Alpha) per week and after each repeat purchase drops out
// with probability p ~ Beta(A, B).
type BGNBD struct {
	R, Alpha, A, B float64
	LogLikelihood  float64 // total over the fitted customers
	Customers      int
	FitStats
}

// bgnbdLogLik returns the log-likelihood of one customer and, when grad is
// non-nil, adds its gradient with respect to (r, alpha, a, b) to grad.
//
//	ln L = lnΓ(r+x) − lnΓ(r) + r ln α + ln B(a, b+x) − ln B(a, b)
//	       + log( (α+T)^−(r+x) + [x>0] a/(b+x−1) (α+t_x)^−(r+x) )
func bgnbdLogLik(r, alpha, a, b, x, tx, T float64, grad []float64) float64 {
	rx := r + x
	la3 := -rx * math.Log(alpha+T)
	la4 := math.Inf(-1)
	if x > 0 {
		la4 = math.Log(a) - math.Log(b+x-1) - rx*math.Log(alpha+tx)
	}
	lse, w4 := logAddExp(la3, la4)
	ll := lgamma(rx) - lgamma(r) + r*math.Log(alpha) +
		lgamma(a+b) + lgamma(b+x) - lgamma(b) - lgamma(a+b+x) + lse
	if grad != nil {
		w3 := 1 - w4
		dg := mathext.Digamma
		grad[0] += dg(rx) - dg(r) + math.Log(alpha) - w3*math.Log(alpha+T)
		grad[1] += r/alpha - w3*rx/(alpha+T)
		grad[2] += dg(a+b) - dg(a+b+x)
		grad[3] += dg(a+b) + dg(b+x) - dg(b) - dg(a+b+x)
		if x > 0 {
			grad[0] -= w4 * math.Log(alpha+tx)
			grad[1] -= w4 * rx / (alpha + tx)
			grad[2] += w4 / a
			grad[3] -= w4 / (b + x - 1)
		}
	}
	return ll
}

// LogLikelihood1 returns the log-likelihood of one customer under m.
func (m BGNBD) LogLikelihood1(x, tx, T float64) float64 {
	return bgnbdLogLik(m.R, m.Alpha, m.A, m.B, x, tx, T, nil)
}

// bgnbdObjective is the mean negative log-likelihood over d in
// log-parameters, with terms that depend on x alone computed once per
// distinct x. d holds distinct histories weighted by their customer counts
// (see compress).
type bgnbdObjective struct {
	d weighted
	g groups
	// per-group scratch, rewritten at each evaluation
	c4, inv []float64
}

func newBGNBDObjective(d Data) *bgnbdObjective { return newBGNBDObjectiveW(compress(d)) }

func newBGNBDObjectiveW(d weighted) *bgnbdObjective {
	g := groupXW(d.X, d.W)
	return &bgnbdObjective{d: d, g: g, c4: make([]float64, len(g.xs)), inv: make([]float64, len(g.xs))}
}

// eval returns the total log-likelihood and its gradient w.r.t. (r, α, a, b).
func (o *bgnbdObjective) eval(r, alpha, a, b float64, grad []float64) float64 {
	dg := mathext.Digamma
	n := o.d.N
	la := math.Log(alpha)
	ll := n * r * la // r ln α for everyone; terms in x alone are added per group
	var g0 [4]float64
	g0[0] = n * la
	g0[1] = n * r / alpha
	lgr, lgab, lgb := lgamma(r), lgamma(a+b), lgamma(b)
	dgr, dgab, dgb := dg(r), dg(a+b), dg(b)
	lnA := math.Log(a)
	for k, x := range o.g.xs {
		if x == 0 {
			continue
		}
		c := o.g.cnt[k]
		ll += c * (lgamma(r+x) - lgr + lgab + lgamma(b+x) - lgb - lgamma(a+b+x))
		g0[0] += c * (dg(r+x) - dgr)
		dab := dg(a + b + x)
		g0[2] += c * (dgab - dab)
		g0[3] += c * (dgab + dg(b+x) - dgb - dab)
		o.c4[k] = lnA - math.Log(b+x-1)
		o.inv[k] = 1 / (b + x - 1)
	}
	X, Tx, T, W, idx, c4, inv := o.d.X, o.d.Tx, o.d.T, o.d.W, o.g.idx, o.c4, o.inv
	ll += parallelSum(len(X), grad, func(lo, hi int, gr []float64) float64 {
		var s, dr, dal, da, db float64
		for i := lo; i < hi; i++ {
			wt := 1.0
			if W != nil {
				wt = W[i]
			}
			x := X[i]
			rx := r + x
			ia := 1 / (alpha + T[i])
			lt := math.Log(alpha + T[i])
			if x == 0 {
				s -= wt * r * lt
				dr -= wt * lt
				dal -= wt * r * ia
				continue
			}
			ltx := math.Log(alpha + Tx[i])
			k := idx[i]
			// log( e^{-rx lt} + e^{c4 - rx ltx} ), weight w4 of the second
			// term. log(1+e) with e in (0, 1] is exact to an ulp of 1, all
			// a sum of log-likelihoods needs, and cheaper than Log1p.
			d := c4[k] - rx*(ltx-lt)
			var lse, w4 float64
			if d > 0 {
				e := math.Exp(-d)
				lse = d + math.Log(1+e)
				w4 = 1 / (1 + e)
			} else {
				e := math.Exp(d)
				lse = math.Log(1 + e)
				w4 = e / (1 + e)
			}
			w3 := 1 - w4
			s += wt * (lse - rx*lt)
			dr -= wt * (w3*lt + w4*ltx)
			dal -= wt * rx * (w3*ia + w4/(alpha+Tx[i]))
			da += wt * w4
			db -= wt * w4 * inv[k]
		}
		gr[0] += dr
		gr[1] += dal
		gr[2] += da / a
		gr[3] += db
		return s
	})
	for j := range 4 {
		grad[j] += g0[j]
	}
	return ll
}

func (o *bgnbdObjective) objective(theta, grad []float64) float64 {
	r, alpha, a, b := math.Exp(theta[0]), math.Exp(theta[1]), math.Exp(theta[2]), math.Exp(theta[3])
	ll := o.eval(r, alpha, a, b, grad)
	n := o.d.N
	p := [4]float64{r, alpha, a, b}
	for j := range 4 {
		grad[j] = -grad[j] * p[j] / n
	}
	return -ll / n
}

// FitBGNBD fits a BG/NBD model to d by maximum likelihood. It returns a
// *guanxi.Error with code EINVALID when d is malformed or cannot identify the
// model (no customers, one customer, no repeat buyers, no history), and a
// wrapped error when the optimiser finds no finite optimum. A fit that ends
// without meeting the convergence criteria is returned with Converged false.
func FitBGNBD(d Data) (BGNBD, error) {
	if _, err := d.validate("bgnbd"); err != nil {
		return BGNBD{}, err
	}
	o := newBGNBDObjective(d)
	meanX, meanT := mean(d.X), mean(d.T)
	rate := max(meanX/max(meanT, 1e-9), 1e-6)
	starts := [][]float64{
		{0, math.Log(1 / rate), 0, 0},
		{math.Log(0.5), math.Log(meanT), math.Log(0.5), math.Log(2)},
		{0, 0, 0, 0},
	}
	// On large data, start from the fit to a systematic subsample: it costs
	// a fraction of one full evaluation per iteration and leaves the full
	// fit a few iterations from the optimum.
	polishEvals := 0
	if sub, ok := o.d.subsample(subsampleSize); ok {
		so := newBGNBDObjectiveW(sub).objective
		if th, _, sst, err := minimize(so, starts...); err == nil && sst.Converged {
			var x0 []float64
			x0, polishEvals = newtonPolish(o.objective, so, th)
			starts = append([][]float64{x0}, starts...)
		}
	}
	theta, f, st, err := minimize(o.objective, starts...)
	st.Evaluations += polishEvals // of the full data; the subsample fit is not counted
	if err != nil {
		return BGNBD{}, fmt.Errorf("bgnbd: fit %d customers: %w", len(d.X), err)
	}
	m := BGNBD{
		R: math.Exp(theta[0]), Alpha: math.Exp(theta[1]), A: math.Exp(theta[2]), B: math.Exp(theta[3]),
		LogLikelihood: -f * o.d.N, Customers: len(d.X), FitStats: st,
	}
	if !allFinite([]float64{m.R, m.Alpha, m.A, m.B, m.LogLikelihood}) || m.R == 0 || m.Alpha == 0 || m.A == 0 || m.B == 0 {
		return BGNBD{}, guanxi.Errorf(guanxi.EINVALID, "bgnbd: the data does not identify the model: parameters diverged (r %g, alpha %g, a %g, b %g)", m.R, m.Alpha, m.A, m.B)
	}
	return m, nil
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(max(len(v), 1))
}

// PAlive returns the probability that a customer with history (x, tx, T) is
// still alive at T.
func (m BGNBD) PAlive(x, tx, T float64) float64 {
	if x == 0 {
		return 1
	}
	l := math.Log(m.A) - math.Log(m.B+x-1) + (m.R+x)*(math.Log(m.Alpha+T)-math.Log(m.Alpha+tx))
	return 1 / (1 + math.Exp(l))
}

// ExpectedPurchases returns the expected number of repeat purchase days in
// the next t weeks of a customer with history (x, tx, T) (FHL 2005, eq. 10):
//
//	E[Y(t)] = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))] · P(alive)
//
// The bracket is evaluated after Euler's transformation,
// (1−z)^(r+x) ₂F₁(r+x, b+x; c; z) = (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; c; z),
// whose parameters do not grow with x, so it stays finite for large x and T.
func (m BGNBD) ExpectedPurchases(t, x, tx, T float64) float64 {
	if t <= 0 {
		return 0
	}
	a := m.A
	if math.Abs(a-1) < 1e-7 { // removable singularity at a = 1
		lo, hi := m, m
		lo.A, hi.A = 1-1e-5, 1+1e-5
		return (lo.ExpectedPurchases(t, x, tx, T) + hi.ExpectedPurchases(t, x, tx, T)) / 2
	}
	z := t / (m.Alpha + T + t)
	c := a + m.B + x - 1
	h := math.Exp((a-1)*math.Log1p(-z)) * mathext.Hypergeo(a+m.B-1-m.R, a-1, c, z)
	return c / (a - 1) * (1 - h) * m.PAlive(x, tx, T)
}

// ExpectedPurchasesNew returns the expected number of repeat purchase days
// in the first t weeks after a new customer's first purchase.
func (m BGNBD) ExpectedPurchasesNew(t float64) float64 {
	return m.ExpectedPurchases(t, 0, 0, 0)
}
