package uplift

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestUnitGolden pins the hash so that a stored campaign seed re-derives
// the same split in every future release. The expected values were
// computed independently in Python:
//
//	h = sha256(b"guanxi/uplift/holdout/v1\x00" + seed.to_bytes(8, "little")
//	           + id.to_bytes(8, "little", signed=True)).digest()
//	(int.from_bytes(h[:8], "big") >> 11) / 2**53
func TestUnitGolden(t *testing.T) {
	tests := []struct {
		seed uint64
		id   int64
		want float64
	}{
		{0, 0, 0.4386730024621226},
		{1, 1, 0.4358438763692092},
		{20261124, 1001, 0.39225031016283063},
		{20261124, -5, 0.8531971400909198},
		{math.MaxUint64, math.MaxInt64, 0.15539639017577034},
	}
	for _, tt := range tests {
		if got := Unit(tt.seed, tt.id); got != tt.want {
			t.Errorf("Unit(%d, %d) = %v, want %v", tt.seed, tt.id, got, tt.want)
		}
	}
	// 0.392 < 0.4 but not < 0.39: customer 1001 is held out at 40% only.
	if !Assign(20261124, 1001, 0.40) || Assign(20261124, 1001, 0.39) {
		t.Error("Assign(20261124, 1001, ·) disagrees with Unit = 0.39225")
	}
}

// TestAssignShare checks that the holdout is close to the share asked for.
// Its size is Binomial(n, h): with n = 100,000 the standard deviation is
// sqrt(n·h·(1−h)), e.g. sqrt(100000·0.1·0.9) = 94.9 for h = 0.1, and we
// allow 5 of them (a false alarm once in 1.7 million seeds).
func TestAssignShare(t *testing.T) {
	const n = 100_000
	for _, seed := range []uint64{1, 42, 20261124} {
		for _, h := range []float64{0.01, 0.05, 0.1, 0.2, 0.5} {
			held := 0
			for id := range int64(n) {
				if Assign(seed, id+1, h) {
					held++
				}
			}
			want := n * h
			bound := 5 * math.Sqrt(n*h*(1-h))
			if math.Abs(float64(held)-want) > bound {
				t.Errorf("seed %d share %v: %d held out, want %v ± %.0f", seed, h, held, want, bound)
			}
		}
	}
}

// TestAssignStable checks that the split depends only on seed and id: not
// on the order customers are seen in, nor on who else is in the audience,
// and that raising the share never moves anyone out of the holdout.
func TestAssignStable(t *testing.T) {
	const seed, h = 7, 0.1
	ids := make([]int64, 5000)
	for i := range ids {
		ids[i] = int64(i)*7919 + 13
	}
	first := make(map[int64]bool, len(ids))
	for _, id := range ids {
		first[id] = Assign(seed, id, h)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	for _, id := range ids[:len(ids)/3] { // a reordered, smaller audience
		if got := Assign(seed, id, h); got != first[id] {
			t.Fatalf("customer %d: assigned %v, earlier %v", id, got, first[id])
		}
		if first[id] && !Assign(seed, id, 0.2) {
			t.Fatalf("customer %d left the holdout when the share rose to 0.2", id)
		}
	}
	for _, id := range ids[:100] {
		if Assign(seed, id, 0) || !Assign(seed, id, 1) || Assign(seed, id, math.NaN()) {
			t.Fatalf("customer %d: shares 0, 1 and NaN must give false, true, false", id)
		}
	}
}

// TestAssignSeedsIndependent checks that two campaigns' holdouts overlap
// about as much as independent draws would: h² of the audience, here
// 0.01 · 100,000 = 1,000, with standard deviation sqrt(1000·0.99) = 31.5.
func TestAssignSeedsIndependent(t *testing.T) {
	const n, h = 100_000, 0.1
	both := 0
	for id := range int64(n) {
		if Assign(101, id, h) && Assign(102, id, h) {
			both++
		}
	}
	if math.Abs(float64(both)-1000) > 5*31.5 {
		t.Errorf("%d customers held out by both seeds, want about 1000", both)
	}
}
