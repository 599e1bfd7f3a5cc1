package clv

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
)

func within(t *testing.T, name string, got, want, rel float64) {
	t.Helper()
	if math.Abs(got-want) > rel*math.Abs(want) {
		t.Errorf("%s = %.5g, want %.5g ± %.0f%%", name, got, want, 100*rel)
	} else {
		t.Logf("%s = %.5g (true %.5g, %+.2f%%)", name, got, want, 100*(got-want)/want)
	}
}

func TestRecoverBGNBDAndGammaGamma(t *testing.T) {
	const r, alpha, a, b = 0.24, 4.41, 0.79, 2.43
	const p, q, g = 6.25, 3.74, 15.44
	d, s := simulateBGNBD(100000, 1, r, alpha, a, b, p, q, g)
	start := time.Now()
	m, err := FitBGNBD(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bgnbd: %d customers, %d repeat buyers, fit %v, %d iterations, %d evaluations, converged %v, LL %.2f",
		len(d.X), len(s.X), time.Since(start), m.Iterations, m.Evaluations, m.Converged, m.LogLikelihood)
	if !m.Converged {
		t.Error("bgnbd fit did not converge")
	}
	within(t, "r", m.R, r, 0.05)
	within(t, "alpha", m.Alpha, alpha, 0.05)
	within(t, "a", m.A, a, 0.05)
	within(t, "b", m.B, b, 0.05)

	start = time.Now()
	gm, err := FitGammaGamma(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("gamma_gamma: %d customers, fit %v, %d iterations, converged %v", gm.Customers, time.Since(start), gm.Iterations, gm.Converged)
	if !gm.Converged {
		t.Error("gamma_gamma fit did not converge")
	}
	within(t, "p", gm.P, p, 0.05)
	within(t, "q", gm.Q, q, 0.05)
	within(t, "gamma", gm.Gamma, g, 0.05)
}

func TestRecoverParetoNBD(t *testing.T) {
	const r, alpha, s, beta = 0.55, 10.58, 0.61, 11.67
	n := 20000
	if testing.Short() {
		n = 3000
	}
	d := simulatePareto(n, 2, r, alpha, s, beta)
	start := time.Now()
	m, err := FitParetoNBD(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pareto: %d customers, fit %v, %d iterations, converged %v: r %.4g alpha %.4g s %.4g beta %.4g",
		n, time.Since(start), m.Iterations, m.Converged, m.R, m.Alpha, m.S, m.Beta)
	// s and beta are weakly identified at this size; check the rates.
	within(t, "r/alpha", m.R/m.Alpha, r/alpha, 0.1)
	within(t, "s/beta", m.S/m.Beta, s/beta, 0.35)
}

func TestDegenerate(t *testing.T) {
	zeros := func(n int) Data {
		d := Data{X: make([]float64, n), Tx: make([]float64, n), T: make([]float64, n)}
		for i := range n {
			d.T[i] = 40
		}
		return d
	}
	cases := []struct {
		name string
		d    Data
		want string
	}{
		{"no customers", Data{}, "needs customers"},
		{"one customer", Data{X: []float64{2}, Tx: []float64{10}, T: []float64{30}}, "at least 2 customers"},
		{"no repeat buyers", zeros(12), "needs repeat buyers: 0 of 12 customers bought twice"},
		{"no history", Data{X: []float64{1, 0}, Tx: []float64{0, 0}, T: []float64{0, 0}}, "needs purchase history"},
		{"ragged", Data{X: []float64{1}, T: []float64{1}}, "differ in length"},
		{"tx after T", Data{X: []float64{1, 0}, Tx: []float64{5, 0}, T: []float64{4, 4}}, "after T"},
		{"NaN", Data{X: []float64{math.NaN(), 0}, Tx: []float64{0, 0}, T: []float64{4, 4}}, "non-finite"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FitBGNBD(tc.d)
			checkInvalid(t, err, tc.want)
			_, err = FitParetoNBD(tc.d)
			checkInvalid(t, err, tc.want)
		})
	}
	spend := []struct {
		name string
		s    Spend
		want string
	}{
		{"no buyers", Spend{}, "needs repeat buyers"},
		{"one buyer", Spend{X: []float64{1}, M: []float64{3}}, "at least 2"},
		{"equal spend", Spend{X: []float64{1, 2}, M: []float64{3, 3}}, "variation"},
		{"x zero", Spend{X: []float64{0, 2}, M: []float64{3, 4}}, "x ≥ 1"},
	}
	for _, tc := range spend {
		t.Run("spend "+tc.name, func(t *testing.T) {
			_, err := FitGammaGamma(tc.s)
			checkInvalid(t, err, tc.want)
		})
	}
	_, err := GammaGamma{P: 1, Q: 0.9, Gamma: 1}.ExpectedSpend(1, 1)
	checkInvalid(t, err, "q > 1")
}

func checkInvalid(t *testing.T, err error, want string) {
	t.Helper()
	var e *guanxi.Error
	if !errors.As(err, &e) || e.Code != guanxi.EINVALID || !strings.Contains(e.Message, want) {
		t.Errorf("err = %v, want EINVALID containing %q", err, want)
	}
}

func TestSufficiency(t *testing.T) {
	d, _ := simulateBGNBD(1000, 3, 0.24, 4.41, 0.79, 2.43, 0, 0, 0)
	rep := Sufficiency(d)
	if rep.Customers != 1000 || rep.RepeatBuyers == 0 || rep.HistoryWeeks < 70 || !rep.Enough {
		t.Errorf("report = %+v", rep)
	}
	rep = Sufficiency(Data{X: []float64{0, 1}, Tx: []float64{0, 1}, T: []float64{3, 3}})
	if rep.Enough || rep.Reason == "" {
		t.Errorf("tiny data reported enough: %+v", rep)
	}
}

func TestPredictions(t *testing.T) {
	m := BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	// FHL 2005 (CDNOW): x=2, t_x=30.43, T=38.86, next 39 weeks ≈ 1.226.
	within(t, "E[Y(39)|2,30.43,38.86]", m.ExpectedPurchases(39, 2, 30.43, 38.86), 1.226, 0.01)
	// Euler-transformed form against the textbook form for small x.
	for _, c := range [][3]float64{{0, 0, 20}, {1, 5, 20}, {3, 18, 40}} {
		x, tx, T := c[0], c[1], c[2]
		tt := 26.0
		zz := tt / (m.Alpha + T + tt)
		h := math.Pow((m.Alpha+T)/(m.Alpha+T+tt), m.R+x) * hyp(m.R+x, m.B+x, m.A+m.B+x-1, zz)
		want := (m.A + m.B + x - 1) / (m.A - 1) * (1 - h) * m.PAlive(x, tx, T)
		within(t, "E[Y]", m.ExpectedPurchases(tt, x, tx, T), want, 1e-8)
	}
	// Large x and T stay finite and sensible.
	e := m.ExpectedPurchases(52, 500, 259, 260)
	if !finite(e) || e < 50 || e > 150 {
		t.Errorf("E[Y(52)|500,259,260] = %g", e)
	}
	if pa := m.PAlive(500, 100, 260); !(pa >= 0 && pa < 1e-10) {
		t.Errorf("PAlive(500, 100, 260) = %g", pa)
	}
	pm := ParetoNBD{R: 0.55, Alpha: 10.58, S: 0.61, Beta: 11.67}
	if pa := pm.PAlive(0, 0, 30); !(pa > 0 && pa <= 1) {
		t.Errorf("pareto PAlive = %g", pa)
	}
	if e := pm.ExpectedPurchases(52, 50, 76, 78); !finite(e) || e <= 0 {
		t.Errorf("pareto E[Y] = %g", e)
	}
	gm := GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	v, err := CLV(12, 0.01, m, gm, 2, 30.43, 38.86, 40)
	if err != nil || !(v > 0) {
		t.Fatalf("CLV = %g, %v", v, err)
	}
	em, _ := gm.ExpectedSpend(2, 40)
	undiscounted, _ := CLV(12, 0, m, gm, 2, 30.43, 38.86, 40)
	within(t, "undiscounted CLV", undiscounted, m.ExpectedPurchases(12*WeeksPerMonth, 2, 30.43, 38.86)*em, 1e-9)
	if v >= undiscounted {
		t.Errorf("discounted CLV %g not below undiscounted %g", v, undiscounted)
	}
}
