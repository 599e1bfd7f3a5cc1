package analytics

import "testing"

func TestNearestRank(t *testing.T) {
	v := []int64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}
	for p, want := range map[int]int64{50: 50, 90: 90, 91: 100, 10: 10, 1: 10, 100: 100} {
		if got := NearestRank(v, p); got != want {
			t.Errorf("p%d = %d, want %d", p, got, want)
		}
	}
	if got := NearestRank([]int64{7}, 50); got != 7 {
		t.Errorf("p50 of one = %d", got)
	}
	if got := NearestRank([]float64{0.5, 1.5, 2.5}, 50); got != 1.5 {
		t.Errorf("p50 of three floats = %v", got)
	}
	if got := NearestRank([]float64(nil), 90); got != 0 {
		t.Errorf("p90 of none = %v, want 0", got)
	}
}
