package analytics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func moneyShop(money ...int64) *Customers {
	rows := make([]row, len(money))
	for i, m := range money {
		rows[i] = row{first: 900, last: 900, days: 1, money: m}
	}
	return customersOf(1000, rows...)
}

func TestTiers(t *testing.T) {
	const K, O, S = TierKey, TierOrdinary, TierSmall
	tests := []struct {
		name  string
		money []int64
		want  []Tier
	}{
		// Total 1000, cap 2: 500 and 300 are key (cap reached); from the
		// bottom 0, 5+5, 10+10 make 30 ≤ 50, adding 30 makes 60 > 50.
		{"classic", []int64{10, 500, 5, 300, 100, 40, 30, 10, 5, 0}, []Tier{S, K, S, K, O, O, O, S, S, S}},
		// Total 1000, cap 4: 600 and 200 reach exactly 80%, so 100 is not
		// key; the sixteen 5s are one tie group of 80 > 50, so none is small.
		{"80% tie and tie group over 5%", append([]int64{600, 200, 100, 20}, slices.Repeat([]int64{5}, 16)...),
			append([]Tier{K, K, O, O}, slices.Repeat([]Tier{O}, 16)...)},
		// Cap 1: the tied top two would be 40% of customers.
		{"tie group over the cap", []int64{50, 50, 0, 0, 0}, []Tier{O, O, S, S, S}},
		{"exactly 5% is small", []int64{95, 5}, []Tier{K, S}},
		{"negative spend is small", []int64{-10, 100}, []Tier{S, K}},
		{"one customer", []int64{100}, []Tier{K}},
		{"no revenue", []int64{0, 0}, []Tier{O, O}},
		{"empty", nil, []Tier{}},
	}
	for _, tt := range tests {
		if got := Tiers(moneyShop(tt.money...)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParetoCurve(t *testing.T) {
	// Ranked 600, 300, 100; 6 points put 1/2 customer in each step.
	got := ParetoCurve(moneyShop(300, 100, 600), 6)
	want := []float64{0, 0.3, 0.6, 0.75, 0.9, 0.95, 1}
	if len(got) != len(want) {
		t.Fatalf("%d points, want %d", len(got), len(want))
	}
	for k, p := range got {
		if math.Abs(p.CustomerShare-float64(k)/6) > 1e-12 || math.Abs(p.RevenueShare-want[k]) > 1e-12 {
			t.Errorf("point %d = %+v, want (%v, %v)", k, p, float64(k)/6, want[k])
		}
	}
	if got := ParetoCurve(moneyShop(), 100); got != nil {
		t.Errorf("empty: %v", got)
	}
	if got := ParetoCurve(moneyShop(1), 0); got != nil {
		t.Errorf("0 points: %v", got)
	}
	if got := ParetoCurve(moneyShop(0, 0), 2); got[1] != (CurvePoint{0.5, 0.5}) {
		t.Errorf("no revenue: %v, want the diagonal", got)
	}
}

// TestTiersAndCurveProperties checks random shops: tiers partition the
// customers, follow their rules, and keep ties together; the curve starts at
// (0, 0), never decreases and ends at (1, 1).
func TestTiersAndCurveProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for range 200 {
		n := 1 + rng.IntN(300)
		money := make([]int64, n)
		for i := range money {
			money[i] = int64(rng.ExpFloat64()*rng.ExpFloat64()*5000) - 100 // some negative, many ties near 0
			if rng.IntN(4) == 0 {
				money[i] = int64(rng.IntN(5)) * 1000
			}
		}
		c := moneyShop(money...)
		tiers := Tiers(c)
		var total, key, small int64
		var nKey int
		for i, tr := range tiers {
			r := max(money[i], 0)
			total += r
			switch tr {
			case TierKey:
				key += r
				nKey++
			case TierSmall:
				small += r
			case TierOrdinary:
			default:
				t.Fatalf("invalid tier %d", tr)
			}
			for j := range i {
				if money[j] == money[i] && tiers[j] != tr {
					t.Fatalf("tied customers %d and %d in %v and %v", j, i, tiers[j], tr)
				}
			}
		}
		if len(tiers) != n || nKey > max(1, n/5) || small*20 > total {
			t.Fatalf("n=%d key=%d small revenue %d of %d", n, nKey, small, total)
		}
		curve := ParetoCurve(c, 100)
		if curve[0] != (CurvePoint{}) || curve[100] != (CurvePoint{1, 1}) {
			t.Fatalf("ends %+v %+v", curve[0], curve[100])
		}
		for k := 1; k <= 100; k++ {
			if curve[k].RevenueShare < curve[k-1].RevenueShare || curve[k].CustomerShare <= curve[k-1].CustomerShare {
				t.Fatalf("not monotone at %d: %+v %+v", k, curve[k-1], curve[k])
			}
		}
	}
}

func TestTierNames(t *testing.T) {
	for _, tr := range AllTiers {
		if tr.NameZH() == "" || tr.NameEN() == "" {
			t.Errorf("tier %d unnamed", tr)
		}
	}
	if TierKey.NameZH() != "重要客户" || TierOrdinary.NameZH() != "普通客户" || TierSmall.NameZH() != "小客户" {
		t.Error("zh names")
	}
}
