package uplift_test

import (
	"fmt"

	"github.com/guanxi-crm/guanxi/internal/uplift"
)

// A shop of 3,000 customers with a 2% base response rate plans a campaign
// with a 10% holdout.
func ExampleMinimumDetectableUplift() {
	mde, err := uplift.MinimumDetectableUplift(0.02, 3000, 0.10, 0.05, 0.80)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("detectable uplift: %.2f percentage points\n", 100*mde)

	h, err := uplift.HoldoutShareFor(0.02, 3000, 0.03, 0.05, 0.80)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("holdout for 3 points: %.1f%%\n", 100*h)

	_, err = uplift.HoldoutShareFor(0.02, 3000, 0.01, 0.05, 0.80)
	fmt.Println(err)
	// Output:
	// detectable uplift: 2.39 percentage points
	// holdout for 3 points: 6.1%
	// uplift: an uplift of 0.01 is not detectable in 3000 customers; even a 50% holdout detects only 0.01432
}

func ExampleConversion() {
	r, err := uplift.Conversion(uplift.Counts{N: 10000, Converters: 250}, uplift.Counts{N: 1000, Converters: 20}, 0.05)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.1f%% vs %.1f%%: uplift %+.2f pts [%.2f, %.2f] (%s), relative %+.0f%%, p = %.2f\n",
		100*r.TargetRate, 100*r.HoldoutRate, 100*r.Uplift, 100*r.Lower, 100*r.Upper, r.Method, 100*r.Relative, r.P)
	// Output:
	// 2.5% vs 2.0%: uplift +0.50 pts [-0.42, 1.42] (wald), relative +25%, p = 0.33
}

func ExampleAssign() {
	const seed = 20261124 // drawn at random once, stored with the campaign
	var held []int64
	for id := int64(1001); id <= 1020; id++ {
		if uplift.Assign(seed, id, 0.10) {
			held = append(held, id)
		}
	}
	fmt.Println("held out:", held)
	fmt.Printf("customer 1015 sits at %.4f: held out from a 20%% share on\n", uplift.Unit(seed, 1015))
	// Output:
	// held out: [1020]
	// customer 1015 sits at 0.1772: held out from a 20% share on
}
