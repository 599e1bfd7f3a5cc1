package uplift

import (
	"math"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi"
)

// z(0.975) = 1.959964 and z(0.8) = 0.841621, so zsum = 2.801585 for the
// usual alpha 0.05 and power 0.8.
func TestMinimumDetectableUplift(t *testing.T) {
	tests := []struct {
		name             string
		base             float64
		audience         int64
		share, alpha, pw float64
		want             float64
	}{
		// 3,000 customers, 10% holdout: 2,700 vs 300.
		// p(1−p)/(A·h·(1−h)) = 0.02·0.98/(3000·0.1·0.9) = 0.0196/270
		// = 7.259259e-5, sqrt = 0.00852012, × 2.801585 = 0.0238699:
		// the campaign must lift 2% to about 4.4% to be seen reliably.
		{"small shop 10% holdout", 0.02, 3000, 0.1, 0.05, 0.8, 0.0238699},
		// Same shop, even split: 0.0196/750 = 2.613333e-5, sqrt 0.00511208,
		// × 2.801585 = 0.0143219.
		{"small shop 50% holdout", 0.02, 3000, 0.5, 0.05, 0.8, 0.0143219},
		// 20,000 customers, 10%: 0.0196/1800 = 1.088889e-5, sqrt 0.00329983,
		// × 2.801585 = 0.00924476.
		{"larger shop", 0.02, 20000, 0.1, 0.05, 0.8, 0.00924476},
		// 5% base rate, 20% holdout: 0.0475/480 = 9.895833e-5, sqrt
		// 0.00994778, × 2.801585 = 0.0278696.
		{"5% base, 20% holdout", 0.05, 3000, 0.2, 0.05, 0.8, 0.0278696},
		// alpha 0.1, power 0.9: z(0.95) + z(0.9) = 1.644854 + 1.281552
		// = 2.926405; × 0.00852012 = 0.0249333.
		{"alpha 0.1 power 0.9", 0.02, 3000, 0.1, 0.1, 0.9, 0.0249333},
	}
	for _, tt := range tests {
		got, err := MinimumDetectableUplift(tt.base, tt.audience, tt.share, tt.alpha, tt.pw)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !near(got, tt.want, 1e-6) {
			t.Errorf("%s: MDE %.7f, want %.7f", tt.name, got, tt.want)
		}
		// The inverse gives back the share (all shares above are ≤ 0.5).
		h, err := HoldoutShareFor(tt.base, tt.audience, got, tt.alpha, tt.pw)
		if err != nil || !near(h, tt.share, 1e-9) {
			t.Errorf("%s: HoldoutShareFor(MDE) = %v, %v; want %v", tt.name, h, err, tt.share)
		}
	}
}

// TestHoldoutShareFor: to detect 3 points on a 2% base in 3,000 customers,
// h(1−h) = 0.0196·(2.801585/0.03)²/3000 = 0.0196·8720.98/3000 = 0.0569771,
// h = (1 − sqrt(1 − 4·0.0569771))/2 = (1 − 0.878688)/2 = 0.0606562: a 6.1%
// holdout, 182 customers.
func TestHoldoutShareFor(t *testing.T) {
	h, err := HoldoutShareFor(0.02, 3000, 0.03, 0.05, 0.8)
	if err != nil || !near(h, 0.0606562, 1e-6) {
		t.Errorf("HoldoutShareFor(0.02, 3000, 0.03) = %v, %v; want 0.0606562", h, err)
	}
	// One point is not detectable: even 50/50 only reaches 0.0143219.
	_, err = HoldoutShareFor(0.02, 3000, 0.01, 0.05, 0.8)
	if guanxi.ErrorCode(err) != guanxi.EINVALID || !strings.Contains(err.Error(), "0.01432") {
		t.Errorf("undetectable uplift: %v, want EINVALID naming 0.01432", err)
	}
	// A larger MDE needs a smaller holdout.
	prev := 0.5
	for _, mde := range []float64{0.015, 0.02, 0.03, 0.05, 0.1} {
		h, err := HoldoutShareFor(0.02, 3000, mde, 0.05, 0.8)
		if err != nil || !(h > 0 && h < prev) {
			t.Fatalf("mde %v: share %v, %v; want below %v", mde, h, err, prev)
		}
		prev = h
	}
}

func TestPowerInvalid(t *testing.T) {
	tests := []struct {
		name                  string
		base                  float64
		audience              int64
		share, alpha, pw, mde float64
	}{
		{"base 0", 0, 3000, 0.1, 0.05, 0.8, 0.02},
		{"base 1", 1, 3000, 0.1, 0.05, 0.8, 0.02},
		{"audience 1", 0.02, 1, 0.1, 0.05, 0.8, 0.02},
		{"share 0", 0.02, 3000, 0, 0.05, 0.8, 0.02},
		{"share 1", 0.02, 3000, 1, 0.05, 0.8, 0.02},
		{"alpha 0", 0.02, 3000, 0.1, 0, 0.8, 0.02},
		{"power 1", 0.02, 3000, 0.1, 0.05, 1, 0.02},
		{"power NaN", 0.02, 3000, 0.1, 0.05, math.NaN(), 0.02},
		{"mde 0", 0.02, 3000, 0.1, 0.05, 0.8, 0},
	}
	for _, tt := range tests {
		_, err1 := MinimumDetectableUplift(tt.base, tt.audience, tt.share, tt.alpha, tt.pw)
		_, err2 := HoldoutShareFor(tt.base, tt.audience, tt.mde, tt.alpha, tt.pw)
		if guanxi.ErrorCode(err1) != guanxi.EINVALID && guanxi.ErrorCode(err2) != guanxi.EINVALID {
			t.Errorf("%s: errors %v and %v, want EINVALID", tt.name, err1, err2)
		}
	}
}
