package uplift

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/guanxi-crm/guanxi"
)

func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol
}

// TestConversion checks the hand-computed examples below at alpha = 0.05,
// z = 1.959964.
func TestConversion(t *testing.T) {
	tests := []struct {
		name            string
		target, holdout Counts
		method          string
		uplift, lo, hi  float64
		relative        float64
		relOK           bool
		z, p            float64
	}{
		{
			// pT = 250/10000 = 0.025, pH = 20/1000 = 0.02, d = 0.005,
			// relative 0.005/0.02 = 0.25.
			// Wald: se = sqrt(0.025·0.975/10000 + 0.02·0.98/1000)
			//          = sqrt(2.4375e-6 + 1.96e-5) = sqrt(2.20375e-5) = 0.00469441;
			//   half = 1.959964 · 0.00469441 = 0.00920088 → [−0.00420088, 0.01420088].
			// Pooled: p̄ = 270/11000 = 0.0245455;
			//   se0 = sqrt(0.0245455·0.9754545·(1/10000 + 1/1000))
			//       = sqrt(0.0239430·0.0011) = 0.00513199;
			//   z = 0.005/0.00513199 = 0.974282, P = erfc(0.974282/√2) = 0.329917.
			name: "wald", target: Counts{10000, 250}, holdout: Counts{1000, 20},
			method: MethodWald, uplift: 0.005, lo: -0.00420088, hi: 0.01420088,
			relative: 0.25, relOK: true, z: 0.974282, p: 0.329917,
		},
		{
			// 3 converters in the holdout: too few for Wald, so Newcombe.
			// pT = 60/2700 = 0.0222222, pH = 3/300 = 0.01, d = 0.0122222,
			// relative 0.0122222/0.01 = 1.22222. With z² = 3.841459:
			// Wilson target: den = 1 + 3.841459/2700 = 1.0014228,
			//   centre = (0.0222222 + 3.841459/5400)/den = 0.0229010,
			//   half = z/den·sqrt(0.0222222·0.9777778/2700 + 3.841459/(4·2700²))
			//        = 0.0055974 → [0.0173036, 0.0284984];
			// Wilson holdout: den = 1.0128049, centre = 0.0161951,
			//   half = 0.0127884 → [0.0034066, 0.0289835].
			// L = d − sqrt((pT−lT)² + (uH−pH)²)
			//   = 0.0122222 − sqrt(0.0049186² + 0.0189835²) = −0.0073881,
			// U = d + sqrt((uT−pT)² + (pH−lH)²)
			//   = 0.0122222 + sqrt(0.0062762² + 0.0065934²) = 0.0213252.
			// Pooled: p̄ = 63/3000 = 0.021, se0 = sqrt(0.021·0.979·(1/2700 + 1/300))
			//   = 0.00872608, z = 1.400655, P = 0.161317.
			name: "newcombe few converters", target: Counts{2700, 60}, holdout: Counts{300, 3},
			method: MethodNewcombe, uplift: 0.0122222, lo: -0.0073881, hi: 0.0213252,
			relative: 1.222222, relOK: true, z: 1.400655, p: 0.161317,
		},
		{
			// Nobody converted. Wilson at p = 0 is [0, z²/(n + z²)]:
			// target 3.841459/503.841459 = 0.0076243, holdout
			// 3.841459/53.841459 = 0.0713476, so the interval is
			// [−0.0713476, 0.0076243]. Pooled se is 0: z = 0, P = 1.
			name: "zero converters", target: Counts{500, 0}, holdout: Counts{50, 0},
			method: MethodNewcombe, uplift: 0, lo: -0.0713476, hi: 0.0076243,
			relOK: false, z: 0, p: 1,
		},
		{
			// Holdout without converters: relative uplift undefined.
			// pT = 8/400 = 0.02; Wilson target [0.0101684, 0.0389634],
			// holdout [0, 3.841459/43.841459 = 0.0876216].
			// L = 0.02 − sqrt(0.0098316² + 0.0876216²) = −0.0681715,
			// U = 0.02 + sqrt(0.0189634² + 0) = 0.0389634.
			// Pooled: p̄ = 8/440 = 0.0181818,
			//   se0 = sqrt(0.0181818·0.9818182·(1/400 + 1/40)) = 0.0221565,
			//   z = 0.02/0.0221565 = 0.902671, P = 0.366701.
			name: "holdout zero converters", target: Counts{400, 8}, holdout: Counts{40, 0},
			method: MethodNewcombe, uplift: 0.02, lo: -0.0681715, hi: 0.0389634,
			relOK: false, z: 0.902671, p: 0.366701,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Conversion(tt.target, tt.holdout, 0.05)
			if err != nil {
				t.Fatal(err)
			}
			if r.Method != tt.method {
				t.Errorf("method %q, want %q", r.Method, tt.method)
			}
			const tol = 2e-6
			check := func(name string, got, want float64) {
				t.Helper()
				if !near(got, want, tol) {
					t.Errorf("%s = %.7f, want %.7f", name, got, want)
				}
			}
			check("uplift", r.Uplift, tt.uplift)
			check("lower", r.Lower, tt.lo)
			check("upper", r.Upper, tt.hi)
			check("relative", r.Relative, tt.relative)
			check("z", r.Z, tt.z)
			check("p", r.P, tt.p)
			if r.RelativeDefined != tt.relOK {
				t.Errorf("RelativeDefined %v, want %v", r.RelativeDefined, tt.relOK)
			}
		})
	}
}

func TestConversionInvalid(t *testing.T) {
	tests := []struct {
		name            string
		target, holdout Counts
		alpha           float64
	}{
		{"empty holdout", Counts{1000, 20}, Counts{0, 0}, 0.05},
		{"empty target", Counts{0, 0}, Counts{100, 2}, 0.05},
		{"negative size", Counts{1000, 20}, Counts{-5, 0}, 0.05},
		{"more converters than customers", Counts{10, 11}, Counts{100, 2}, 0.05},
		{"negative converters", Counts{10, 1}, Counts{100, -2}, 0.05},
		{"alpha 0", Counts{10, 1}, Counts{100, 2}, 0},
		{"alpha 1", Counts{10, 1}, Counts{100, 2}, 1},
		{"alpha NaN", Counts{10, 1}, Counts{100, 2}, math.NaN()},
	}
	for _, tt := range tests {
		_, err := Conversion(tt.target, tt.holdout, tt.alpha)
		if guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("%s: error %v, want code %s", tt.name, err, guanxi.EINVALID)
		}
	}
	_, err := Conversion(Counts{1000, 20}, Counts{}, 0.05)
	if want := "uplift: holdout group is empty"; err == nil || err.Error() != want {
		t.Errorf("empty holdout: %v, want %q", err, want)
	}
}

// TestConversionIntervalProperties checks on random groups, with both
// interval methods, that the interval contains the point estimate, stays
// in [−1, 1], and widens as alpha shrinks.
func TestConversionIntervalProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphas := []float64{0.2, 0.1, 0.05, 0.01, 0.001}
	methods := map[string]int{}
	for range 2000 {
		target := randCounts(rng)
		holdout := randCounts(rng)
		prevWidth := -1.0
		for _, a := range alphas {
			r, err := Conversion(target, holdout, a)
			if err != nil {
				t.Fatal(err)
			}
			methods[r.Method]++
			if !(r.Lower <= r.Uplift && r.Uplift <= r.Upper) {
				t.Fatalf("%v vs %v alpha %v: %v outside [%v, %v]", target, holdout, a, r.Uplift, r.Lower, r.Upper)
			}
			if r.Method == MethodNewcombe && (r.Lower < -1-1e-12 || r.Upper > 1+1e-12) {
				t.Fatalf("%v vs %v: Newcombe interval [%v, %v] leaves [−1, 1]", target, holdout, r.Lower, r.Upper)
			}
			if !(r.P >= 0 && r.P <= 1) {
				t.Fatalf("%v vs %v: p-value %v", target, holdout, r.P)
			}
			// The method depends on the counts only, so widths compare.
			w := r.Upper - r.Lower
			if w <= prevWidth {
				t.Fatalf("%v vs %v: width %v at alpha %v not above %v", target, holdout, w, a, prevWidth)
			}
			prevWidth = w
		}
	}
	if methods[MethodWald] == 0 || methods[MethodNewcombe] == 0 {
		t.Errorf("property test exercised methods %v, want both", methods)
	}
}

func randCounts(rng *rand.Rand) Counts {
	n := 1 + rng.Int64N(5000)
	p := rng.Float64() * rng.Float64() // mostly small rates, as in campaigns
	var x int64
	if rng.IntN(10) == 0 {
		x = rng.Int64N(n + 1) // any rate, including 0 and 1
	} else {
		x = int64(math.Round(p * float64(n)))
	}
	return Counts{N: n, Converters: x}
}
