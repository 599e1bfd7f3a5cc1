package analytics

import (
	"math"
	"testing"
)

func TestChurnWithPAlive(t *testing.T) {
	c := customersOf(1000,
		row{700, 857, 6, 0},   // gap 157/5 = 31.4, recency 143
		row{857, 857, 1, 0},   // one-time; shop median of the gaps 31.4, 10, 10 is 10
		row{900, 950, 6, 0},   // gap 10, recency 50
		row{900, 950, 6, 0},   // same, P(alive) 0.7
		row{1000, 1000, 1, 0}, // one-time, today; NaN falls back to recency
	)
	got := Churn(c, []float64{0.18, 0.3, 0.2999, 0.7, math.NaN()})
	want := []ChurnRisk{
		{ChurnHigh, "最近一次购买在143天前；通常每31天购买一次；存活概率0.18", "last bought 143 days ago; usually buys every 31 days; P(alive) 0.18"},
		{ChurnMedium, "只购买过一次，在143天前；本店客户通常在10天内回购；存活概率0.30", "bought once, 143 days ago; this shop's customers usually come back within 10 days; P(alive) 0.30"},
		{ChurnHigh, "最近一次购买在50天前；通常每10天购买一次；存活概率0.30", "last bought 50 days ago; usually buys every 10 days; P(alive) 0.30"},
		{ChurnLow, "最近一次购买在50天前；通常每10天购买一次；存活概率0.70", "last bought 50 days ago; usually buys every 10 days; P(alive) 0.70"},
		{ChurnLow, "只购买过一次，在今天；本店客户通常在10天内回购", "bought once, today; this shop's customers usually come back within 10 days"},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("customer %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestChurnFromRecency(t *testing.T) {
	// Repeat buyers with gap 10 (6 purchase days over 50 days), two more
	// with gaps 40 and 50, and one-time buyers against the shop median 10.
	gap10 := func(recency int32) row { return row{950 - recency, 1000 - recency, 6, 0} }
	c := customersOf(1000,
		gap10(15), gap10(16), gap10(30), gap10(31),
		row{800, 960, 5, 0}, // gap 40
		row{700, 900, 5, 0}, // gap 50
		row{857, 857, 1, 0}, // recency 143 > 3 × 10
		row{999, 999, 1, 0}, // recency 1
	)
	got := Churn(c, nil)
	bands := []ChurnBand{ChurnLow, ChurnMedium, ChurnMedium, ChurnHigh, ChurnLow, ChurnMedium, ChurnHigh, ChurnLow}
	for i, b := range bands {
		if got[i].Band != b {
			t.Errorf("customer %d: %s, want %s (%s)", i, got[i].Band.NameEN(), b.NameEN(), got[i].ReasonEN)
		}
	}
	if want := (ChurnRisk{ChurnHigh, "只购买过一次，在143天前；本店客户通常在10天内回购",
		"bought once, 143 days ago; this shop's customers usually come back within 10 days"}); got[6] != want {
		t.Errorf("one-time buyer: %+v", got[6])
	}
	if want := "last bought 15 days ago; usually buys every 10 days"; got[0].ReasonEN != want {
		t.Errorf("reason %q, want %q", got[0].ReasonEN, want)
	}
	if want := "bought once, 1 day ago; this shop's customers usually come back within 10 days"; got[7].ReasonEN != want {
		t.Errorf("reason %q, want %q", got[7].ReasonEN, want)
	}

	// The brief's example: median of the gaps 40 and 50 is 45; 143 > 3 × 45.
	c = customersOf(1000, row{800, 960, 5, 0}, row{700, 900, 5, 0}, row{857, 857, 1, 0})
	want := ChurnRisk{ChurnHigh, "只购买过一次，在143天前；本店客户通常在45天内回购",
		"bought once, 143 days ago; this shop's customers usually come back within 45 days"}
	if got := Churn(c, nil)[2]; got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestChurnNoRepeatBuyers(t *testing.T) {
	// Without repeat buyers the stand-in gap is 60 days: medium after 90,
	// high after 180.
	c := customersOf(1000, row{910, 910, 1, 0}, row{909, 909, 1, 0}, row{820, 820, 1, 0}, row{819, 819, 1, 0})
	got := Churn(c, nil)
	for i, b := range []ChurnBand{ChurnLow, ChurnMedium, ChurnMedium, ChurnHigh} {
		if got[i].Band != b {
			t.Errorf("customer %d: %s, want %s", i, got[i].Band.NameEN(), b.NameEN())
		}
	}
	want := ChurnRisk{ChurnMedium, "只购买过一次，在91天前；本店尚无回头客", "bought once, 91 days ago; this shop has no repeat buyers yet"}
	if got[1] != want {
		t.Errorf("got %+v, want %+v", got[1], want)
	}
	if got := Churn(customersOf(1000), nil); len(got) != 0 {
		t.Errorf("empty: %v", got)
	}
}

func TestChurnLengthMismatchPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	Churn(customersOf(1000, row{900, 900, 1, 0}), []float64{0.5, 0.5})
}

func TestChurnBandNames(t *testing.T) {
	for _, b := range ChurnBands {
		if b.NameZH() == "" || b.NameEN() == "" {
			t.Errorf("band %d unnamed", b)
		}
	}
	if ChurnLow.NameZH()+ChurnMedium.NameZH()+ChurnHigh.NameZH() != "低中高" {
		t.Error("zh names")
	}
}
