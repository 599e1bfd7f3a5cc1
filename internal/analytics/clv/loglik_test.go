package clv

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mathext"
)

func hyp(a, b, c, z float64) float64 { return mathext.Hypergeo(a, b, c, z) }

// simpson integrates f over [lo, hi] with n (even) intervals.
func simpson(f func(float64) float64, lo, hi float64, n int) float64 {
	h := (hi - lo) / float64(n)
	s := f(lo) + f(hi)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * f(lo+float64(i)*h)
	}
	return s * h / 3
}

// gammaGrid returns nodes λ_i and weights w_i such that Σ w_i f(λ_i)
// approximates E[f(λ)] for λ ~ Gamma(r, rate alpha) by Simpson's rule after
// substituting λ = v^k with k = ceil(2/r), so the integrand
// k α^r/Γ(r) v^(kr−1) e^(−α v^k) is smooth enough at 0.
func gammaGrid(r, alpha, lmax float64, n int) (nodes, weights []float64) {
	k := math.Ceil(2 / r)
	vmax := math.Pow(lmax, 1/k)
	h := vmax / float64(n)
	c := k * math.Exp(r*math.Log(alpha)-lgamma(r))
	for i := 0; i <= n; i++ {
		w := 2.0
		switch {
		case i == 0 || i == n:
			w = 1
		case i%2 == 1:
			w = 4
		}
		v := float64(i) * h
		l := math.Pow(v, k)
		dens := 0.0
		if v > 0 {
			dens = c * math.Exp((k*r-1)*math.Log(v)-alpha*l)
		}
		nodes = append(nodes, l)
		weights = append(weights, w*h/3*dens)
	}
	return nodes, weights
}

// bgnbdNumeric integrates the individual BG/NBD likelihood
// (1−p)^x λ^x e^(−λT) + [x>0] p(1−p)^(x−1) λ^x e^(−λ t_x) over the mixing
// distributions by quadrature.
func bgnbdNumeric(r, alpha, a, b, x, tx, T float64) float64 {
	nodes, w := gammaGrid(r, alpha, (x+r+30*math.Sqrt(x+r)+60)/alpha, 200000)
	el := func(c float64) float64 {
		s := 0.0
		for i, l := range nodes {
			if l > 0 || x == 0 {
				s += w[i] * math.Exp(x*math.Log(l)-l*c)
			}
		}
		return s
	}
	// p = u^k, k = ceil(2/a): p^(a−1) dp = k u^(ka−1) du.
	bab := math.Exp(lgamma(a) + lgamma(b) - lgamma(a+b))
	k := math.Ceil(2 / a)
	ep := func(f func(p float64) float64) float64 {
		return simpson(func(u float64) float64 { return k * math.Pow(u, k*a-1) * f(math.Pow(u, k)) }, 0, 1, 200000) / bab
	}
	l := el(T) * ep(func(p float64) float64 { return math.Pow(1-p, b-1+x) })
	if x > 0 {
		l += el(tx) * ep(func(p float64) float64 { return p * math.Pow(1-p, b-1+x-1) })
	}
	return math.Log(l)
}

// paretoNumeric integrates the individual Pareto/NBD likelihood
// λ^x e^(−(λ+μ)T) + λ^x μ/(λ+μ) (e^(−(λ+μ)t_x) − e^(−(λ+μ)T)) over λ and μ.
func paretoNumeric(r, alpha, s, beta, x, tx, T float64) float64 {
	const n = 3000
	ln, lw := gammaGrid(r, alpha, (x+r+30*math.Sqrt(x+r)+60)/alpha, n)
	mn, mw := gammaGrid(s, beta, (s+30*math.Sqrt(s)+60)/beta, n)
	tot := 0.0
	for i, l := range ln {
		if l == 0 && x > 0 {
			continue
		}
		lx := math.Pow(l, x)
		for j, m := range mn {
			v := math.Exp(-(l + m) * T)
			if l+m > 0 {
				v += m / (l + m) * (math.Exp(-(l+m)*tx) - math.Exp(-(l+m)*T))
			}
			tot += lw[i] * mw[j] * lx * v
		}
	}
	return math.Log(tot)
}

var histories = [][3]float64{{0, 0, 38}, {1, 5.3, 30}, {2, 30.43, 38.86}, {7, 12, 60}, {15, 50, 52}}

func TestBGNBDLogLikNumeric(t *testing.T) {
	for _, p := range [][4]float64{{0.24, 4.41, 0.79, 2.43}, {1.7, 12, 2.5, 1.8}} {
		for _, h := range histories {
			got := bgnbdLogLik(p[0], p[1], p[2], p[3], h[0], h[1], h[2], nil)
			want := bgnbdNumeric(p[0], p[1], p[2], p[3], h[0], h[1], h[2])
			if math.Abs(got-want) > 1e-6 {
				t.Errorf("params %v history %v: ln L = %.10f, quadrature %.10f", p, h, got, want)
			}
		}
	}
	// The grouped, parallel objective agrees with the per-customer formula.
	d, _ := simulateBGNBD(30000, 5, 0.24, 4.41, 0.79, 2.43, 0, 0, 0)
	o := newBGNBDObjective(d)
	g1, g2 := make([]float64, 4), make([]float64, 4)
	got := o.eval(0.3, 5, 0.9, 2, g1)
	want := 0.0
	for i := range d.X {
		want += bgnbdLogLik(0.3, 5, 0.9, 2, d.X[i], d.Tx[i], d.T[i], g2)
	}
	if math.Abs(got-want) > 1e-8*math.Abs(want) {
		t.Errorf("objective LL %v, per-customer sum %v", got, want)
	}
	for j := range 4 {
		if math.Abs(g1[j]-g2[j]) > 1e-8*(1+math.Abs(g2[j])) {
			t.Errorf("objective grad[%d] %v, per-customer sum %v", j, g1[j], g2[j])
		}
	}
}

func TestParetoLogLikNumeric(t *testing.T) {
	for _, p := range [][4]float64{
		{0.55, 10.58, 0.61, 11.67}, // alpha < beta (CDNOW)
		{0.8, 15, 1.3, 4},          // alpha ≥ beta
		{1.2, 6, 0.7, 6},           // alpha = beta
	} {
		for _, h := range histories {
			got := paretoLogLik(p[0], p[1], p[2], p[3], h[0], h[1], h[2], nil)
			want := paretoNumeric(p[0], p[1], p[2], p[3], h[0], h[1], h[2])
			if math.Abs(got-want) > 1e-5 {
				t.Errorf("params %v history %v: ln L = %.10f, quadrature %.10f", p, h, got, want)
			}
		}
	}
}

func TestGradients(t *testing.T) {
	check := func(name string, f func(p, g []float64) float64, p []float64) {
		t.Helper()
		g := make([]float64, len(p))
		f(p, g)
		for j := range p {
			h := 1e-6 * math.Max(1, math.Abs(p[j]))
			up, dn := append([]float64(nil), p...), append([]float64(nil), p...)
			up[j] += h
			dn[j] -= h
			fd := (f(up, make([]float64, len(p))) - f(dn, make([]float64, len(p)))) / (2 * h)
			if math.Abs(fd-g[j]) > 1e-5*(1+math.Abs(fd)) {
				t.Errorf("%s at %v: d/dp%d analytic %.8g, finite difference %.8g", name, p, j, g[j], fd)
			}
		}
	}
	for _, h := range histories {
		x, tx, T := h[0], h[1], h[2]
		check("bgnbd", func(p, g []float64) float64 { return bgnbdLogLik(p[0], p[1], p[2], p[3], x, tx, T, g) }, []float64{0.24, 4.41, 0.79, 2.43})
		check("pareto a<b", func(p, g []float64) float64 { return paretoLogLik(p[0], p[1], p[2], p[3], x, tx, T, g) }, []float64{0.55, 10.58, 0.61, 11.67})
		check("pareto a>b", func(p, g []float64) float64 { return paretoLogLik(p[0], p[1], p[2], p[3], x, tx, T, g) }, []float64{0.8, 15, 1.3, 4})
		if x > 0 {
			check("gamma_gamma", func(p, g []float64) float64 { return ggLogLik(p[0], p[1], p[2], x, 35, g) }, []float64{6.25, 3.74, 15.44})
		}
	}
	d, s := simulateBGNBD(30000, 7, 0.24, 4.41, 0.79, 2.43, 6.25, 3.74, 15.44)
	check("bgnbd objective", newBGNBDObjective(d).objective, []float64{-1, 1.2, -0.3, 0.8})
	check("gamma_gamma objective", newGGObjective(s).objective, []float64{1.5, 1.1, 2.5})
	small := Data{X: d.X[:300], Tx: d.Tx[:300], T: d.T[:300]}
	check("pareto objective", paretoObjective(small), []float64{-0.6, 2.3, -0.5, 2.4})
}

func BenchmarkFitBGNBD(b *testing.B) {
	d, _ := simulateBGNBD(1000000, 11, 0.24, 4.41, 0.79, 2.43, 0, 0, 0)
	b.ResetTimer()
	for b.Loop() {
		m, err := FitBGNBD(d)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(m.Evaluations), "evals")
		b.ReportMetric(float64(m.Iterations), "iters")
	}
}

// dayGrained rounds t_x and T down to whole days, as Guanxi computes them
// (days / 7), keeping t_x ≤ T.
func dayGrained(d Data) Data {
	out := Data{X: d.X, Tx: make([]float64, len(d.X)), T: make([]float64, len(d.X))}
	for i := range d.X {
		out.T[i] = math.Floor(d.T[i]*7) / 7
		out.Tx[i] = math.Floor(d.Tx[i]*7) / 7
	}
	return out
}

// BenchmarkFitBGNBDDays is BenchmarkFitBGNBD on whole-day times, which is
// what Guanxi feeds the fit.
func BenchmarkFitBGNBDDays(b *testing.B) {
	d, _ := simulateBGNBD(1000000, 11, 0.24, 4.41, 0.79, 2.43, 0, 0, 0)
	d = dayGrained(d)
	b.ResetTimer()
	for b.Loop() {
		m, err := FitBGNBD(d)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(m.Evaluations), "evals")
		b.ReportMetric(float64(m.Iterations), "iters")
	}
}

// TestCompressedFit checks that fitting the distinct histories with weights
// gives the parameters and log-likelihood of the per-customer objective.
func TestCompressedFit(t *testing.T) {
	d, _ := simulateBGNBD(5000, 13, 0.24, 4.41, 0.79, 2.43, 0, 0, 0)
	d = dayGrained(d)
	w := compress(d)
	if w.W == nil || len(w.X) >= len(d.X) || w.N != float64(len(d.X)) {
		t.Fatalf("day-grained data did not compress: %d of %d", len(w.X), len(d.X))
	}
	start := []float64{0, 2, 0, 0}
	full := newBGNBDObjectiveW(unweighted(d)).objective
	comp := newBGNBDObjectiveW(w).objective
	x1, f1, _, err1 := minimize(full, start)
	x2, f2, _, err2 := minimize(comp, start)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if math.Abs(f1-f2) > 1e-9*math.Abs(f1) {
		t.Errorf("log-likelihood: per-customer %v, compressed %v", f1, f2)
	}
	for j := range x1 {
		p1, p2 := math.Exp(x1[j]), math.Exp(x2[j])
		if math.Abs(p1-p2) > 1e-9*p1 {
			t.Errorf("parameter %d: per-customer %v, compressed %v", j, p1, p2)
		}
	}
	m, err := FitBGNBD(d)
	if err != nil || math.Abs(m.LogLikelihood+f1*float64(len(d.X))) > 1e-9*math.Abs(m.LogLikelihood) {
		t.Errorf("FitBGNBD LL %v (err %v), per-customer %v", m.LogLikelihood, err, -f1*float64(len(d.X)))
	}
}
