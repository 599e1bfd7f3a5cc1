package uplift

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/guanxi-crm/guanxi"
)

// Revenue per customer in yuan for a tiny hand example.
//
// Target, n = 10: sum 500, mean 50; squared deviations 6·50² + 50² + 150²
// + 0² + 100² = 15000 + 2500 + 22500 + 0 + 10000 = 50000, variance
// 50000/9 = 5555.556.
// Holdout, n = 8: sum 150, mean 18.75; squared deviations 6·18.75² +
// 31.25² + 81.25² = 2109.375 + 976.5625 + 6601.5625 = 9687.5, variance
// 9687.5/7 = 1383.929.
var (
	handTarget  = []float64{0, 0, 100, 0, 200, 0, 50, 0, 0, 150}
	handHoldout = []float64{0, 50, 0, 0, 0, 0, 100, 0}
)

func TestSample(t *testing.T) {
	tests := []struct {
		name string
		got  Sample
		want Sample
	}{
		{"target", SampleOf(handTarget), Sample{10, 50, 50000.0 / 9}},
		{"holdout", SampleOf(handHoldout), Sample{8, 18.75, 9687.5 / 7}},
		// Σx = 500, Σx² = 100² + 200² + 50² + 150² = 75000:
		// (75000 − 500·50)/9 = 50000/9.
		{"target from sums", SampleFromSums(10, 500, 75000), Sample{10, 50, 50000.0 / 9}},
		{"one value", SampleOf([]float64{7}), Sample{1, 7, 0}},
		{"none", SampleOf(nil), Sample{}},
		{"rounding below zero", SampleFromSums(3, 3, 3-1e-12), Sample{3, 1, 0}},
	}
	for _, tt := range tests {
		if tt.got.N != tt.want.N || !near(tt.got.Mean, tt.want.Mean, 1e-9) || !near(tt.got.Variance, tt.want.Variance, 1e-9) {
			t.Errorf("%s: %+v, want %+v", tt.name, tt.got, tt.want)
		}
	}
	// Two-pass summary keeps precision where sums of squares lose it.
	big := []float64{1e9 + 1, 1e9 + 2, 1e9 + 3}
	if s := SampleOf(big); !near(s.Variance, 1, 1e-6) {
		t.Errorf("SampleOf(1e9+1..3) variance %v, want 1", s.Variance)
	}
}

// TestRevenue checks hand-computed Welch tests at alpha = 0.05. The t
// quantiles and tail probabilities for the fractional degrees of freedom
// were computed by numerical integration of the Student t density (they
// fall between the table values for the neighbouring integer df).
func TestRevenue(t *testing.T) {
	tests := []struct {
		name                      string
		target, holdout           Sample
		cost                      float64
		uplift, lo, hi, df, tt, p float64
		inc, incLo, incHi, roi    float64
	}{
		{
			// vT/nT = 5555.556/10 = 555.5556, vH/nH = 1383.929/8 = 172.9911,
			// se = sqrt(728.5467) = 26.99160, d = 50 − 18.75 = 31.25,
			// t = 31.25/26.99160 = 1.157767,
			// df = 728.5467² / (555.5556²/9 + 172.9911²/7)
			//    = 530780.3 / (34293.55 + 4275.14) = 13.76195,
			// t(0.975, 13.76) = 2.148273 (table: 2.160 at 13, 2.145 at 14),
			// half = 2.148273·26.99160 = 57.98532 → [−26.73532, 89.23532],
			// P = 2·(1 − T(1.157767; 13.76)) = 0.266658.
			// Incremental 31.25·10 = 312.5, interval ×10; cost 200:
			// ROI = (312.5 − 200)/200 = 0.5625.
			name: "hand sample", target: SampleOf(handTarget), holdout: SampleOf(handHoldout), cost: 200,
			uplift: 31.25, lo: -26.73532, hi: 89.23532, df: 13.76195, tt: 1.157767, p: 0.266658,
			inc: 312.5, incLo: -267.3532, incHi: 892.3532, roi: 0.5625,
		},
		{
			// A shop of 3,000, 10% holdout: target 2700 customers, mean ¥12.50,
			// sd ¥60; holdout 300, mean ¥10, sd ¥55; campaign cost ¥3,000.
			// vT/nT = 3600/2700 = 1.333333, vH/nH = 3025/300 = 10.083333,
			// se = sqrt(11.416667) = 3.378856, d = 2.5, t = 0.739895,
			// df = 11.416667² / (1.333333²/2699 + 10.083333²/299)
			//    = 130.3403 / (0.000658680 + 0.340046) = 382.5614,
			// t(0.975, 382.56) = 1.966184, half = 6.643453
			// → [−4.143453, 9.143453], P = 0.459817.
			// Incremental 2.5·2700 = ¥6,750, ROI = (6750 − 3000)/3000 = 1.25,
			// but the interval [−¥11,187, ¥24,687] spans zero.
			name: "shop of 3000", target: Sample{2700, 12.5, 3600}, holdout: Sample{300, 10, 3025}, cost: 3000,
			uplift: 2.5, lo: -4.143453, hi: 9.143453, df: 382.5614, tt: 0.739895, p: 0.459817,
			inc: 6750, incLo: -11187.32, incHi: 24687.32, roi: 1.25,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Revenue(tc.target, tc.holdout, tc.cost, 0.05)
			if err != nil {
				t.Fatal(err)
			}
			check := func(name string, got, want, tol float64) {
				t.Helper()
				if !near(got, want, tol) {
					t.Errorf("%s = %.7g, want %.7g", name, got, want)
				}
			}
			check("uplift", r.Uplift, tc.uplift, 1e-9)
			check("lower", r.Lower, tc.lo, 2e-5)
			check("upper", r.Upper, tc.hi, 2e-5)
			check("df", r.DF, tc.df, 1e-3)
			check("t", r.T, tc.tt, 1e-6)
			check("p", r.P, tc.p, 2e-6)
			check("incremental", r.Incremental, tc.inc, 1e-6)
			check("incremental lower", r.IncrementalLower, tc.incLo, 0.05)
			check("incremental upper", r.IncrementalUpper, tc.incHi, 0.05)
			check("roi", r.ROI, tc.roi, 1e-9)
			check("roi lower", r.ROILower, (tc.incLo-tc.cost)/tc.cost, 1e-4)
			if !r.ROIDefined {
				t.Error("ROI undefined with a positive cost")
			}
		})
	}
}

func TestRevenueEdges(t *testing.T) {
	// No spread in either group: the difference is known exactly.
	r, err := Revenue(Sample{5, 10, 0}, Sample{5, 8, 0}, 0, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	if r.Lower != 2 || r.Upper != 2 || r.P != 0 || !math.IsInf(r.DF, 1) || r.ROIDefined {
		t.Errorf("zero variance: %+v", r)
	}
	r, err = Revenue(Sample{5, 10, 0}, Sample{5, 10, 0}, 100, 0.05)
	if err != nil || r.P != 1 || r.ROI != -1 {
		t.Errorf("equal constants: %+v, %v; want P 1 and ROI −1", r, err)
	}

	invalid := []struct {
		name            string
		target, holdout Sample
		cost, alpha     float64
	}{
		{"empty holdout", Sample{100, 5, 1}, Sample{}, 10, 0.05},
		{"one-customer target", Sample{1, 5, 0}, Sample{100, 5, 1}, 10, 0.05},
		{"negative variance", Sample{100, 5, -1}, Sample{100, 5, 1}, 10, 0.05},
		{"NaN mean", Sample{100, math.NaN(), 1}, Sample{100, 5, 1}, 10, 0.05},
		{"negative cost", Sample{100, 5, 1}, Sample{100, 5, 1}, -10, 0.05},
		{"NaN cost", Sample{100, 5, 1}, Sample{100, 5, 1}, math.NaN(), 0.05},
		{"alpha 0", Sample{100, 5, 1}, Sample{100, 5, 1}, 10, 0},
	}
	for _, tt := range invalid {
		_, err := Revenue(tt.target, tt.holdout, tt.cost, tt.alpha)
		if guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("%s: error %v, want code %s", tt.name, err, guanxi.EINVALID)
		}
	}
}

// TestRevenueIntervalProperties: the Welch interval contains the point
// estimate and widens as alpha shrinks, on random skewed samples.
func TestRevenueIntervalProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		target := SampleOf(randRevenue(rng))
		holdout := SampleOf(randRevenue(rng))
		prev := -1.0
		for _, a := range []float64{0.2, 0.1, 0.05, 0.01, 0.001} {
			r, err := Revenue(target, holdout, 100, a)
			if err != nil {
				t.Fatal(err)
			}
			if !(r.Lower <= r.Uplift && r.Uplift <= r.Upper) || !(r.P >= 0 && r.P <= 1) {
				t.Fatalf("%+v vs %+v alpha %v: %+v", target, holdout, a, r)
			}
			if w := r.Upper - r.Lower; w <= prev {
				t.Fatalf("%+v vs %+v: width %v at alpha %v not above %v", target, holdout, w, a, prev)
			} else {
				prev = w
			}
		}
	}
}

// randRevenue draws 2..500 customers of whom a few buy, with exponential
// basket sizes, and at least one buyer so the variance is positive.
func randRevenue(rng *rand.Rand) []float64 {
	xs := make([]float64, 2+rng.IntN(499))
	buy := 0.02 + 0.3*rng.Float64()
	for i := range xs {
		if rng.Float64() < buy {
			xs[i] = 50 + 200*rng.ExpFloat64()
		}
	}
	xs[0] = 99
	return xs
}
