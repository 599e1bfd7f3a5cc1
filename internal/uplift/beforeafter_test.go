package uplift

import (
	"testing"

	"github.com/guanxi-crm/guanxi"
)

func TestBeforeAfter(t *testing.T) {
	tests := []struct {
		name          string
		before, after []float64
		want          BeforeAfterResult
	}{
		{
			// Before: 7 days, 700 in all → 100/day. After: 7 days, 840 → 120/day.
			// Difference 20, ratio 1.2.
			name:   "week vs week",
			before: []float64{80, 90, 100, 100, 110, 120, 100},
			after:  []float64{100, 110, 120, 130, 140, 120, 120},
			want:   BeforeAfterResult{7, 7, 100, 120, 20, 1.2, true},
		},
		{
			// Windows of different length: 300/3 = 100 vs 180/2 = 90;
			// difference −10, ratio 0.9.
			name:   "unequal windows",
			before: []float64{100, 100, 100},
			after:  []float64{80, 100},
			want:   BeforeAfterResult{3, 2, 100, 90, -10, 0.9, true},
		},
		{
			// Nothing sold before: ratio undefined.
			name:   "no sales before",
			before: []float64{0, 0},
			after:  []float64{5, 15},
			want:   BeforeAfterResult{2, 2, 0, 10, 10, 0, false},
		},
	}
	for _, tt := range tests {
		got, err := BeforeAfter(tt.before, tt.after)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got.BeforeDays != tt.want.BeforeDays || got.AfterDays != tt.want.AfterDays ||
			got.RatioDefined != tt.want.RatioDefined ||
			!near(got.BeforePerDay, tt.want.BeforePerDay, 1e-9) || !near(got.AfterPerDay, tt.want.AfterPerDay, 1e-9) ||
			!near(got.Difference, tt.want.Difference, 1e-9) || !near(got.Ratio, tt.want.Ratio, 1e-9) {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
	for _, in := range [][2][]float64{{nil, {1}}, {{1}, {}}} {
		if _, err := BeforeAfter(in[0], in[1]); guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("BeforeAfter(%v, %v): %v, want EINVALID", in[0], in[1], err)
		}
	}
}
