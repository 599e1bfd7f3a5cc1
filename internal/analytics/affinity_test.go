package analytics

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/guanxi-crm/guanxi"
)

// handBaskets is the textbook shop: 0 bread, 1 milk, 2 diapers, 3 beer,
// 4 eggs, 5 cola, 6 candles (bought alone once), 7 never bought. The last
// basket lists milk twice.
//
// Item counts: bread 5, milk 5, diapers 4, beer 3, eggs 1, cola 2,
// candles 1, item 7 none. With the default minimum count of 2 the frequent
// pairs are {0,1} 4, {0,2} 3, {0,3} 2, {1,2} 3, {1,3} 2, {1,5} 2, {2,3} 3,
// {2,5} 2 and the frequent triples {0,1,2}, {0,2,3}, {1,2,3}, {1,2,5}, 2
// each.
var handBaskets = [][]int32{
	{0, 1},
	{0, 2, 3, 4},
	{1, 2, 3, 5},
	{0, 1, 2, 3},
	{0, 1, 2, 5},
	{6},
	{1, 0, 1},
}

func mineHand(t *testing.T) Affinity {
	t.Helper()
	a, err := MineRules(handBaskets, 8, AffinityOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func findRule(a Affinity, cons int32, ante ...int32) (int, *Rule) {
	for i := range a.Rules {
		if r := &a.Rules[i]; r.Consequent == cons && slices.Equal(r.Antecedent, ante) {
			return i, r
		}
	}
	return -1, nil
}

func ruleName(r Rule) string { return fmt.Sprintf("%v→%d", r.Antecedent, r.Consequent) }

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*max(1, math.Abs(b)) }

func TestAffinityHandExample(t *testing.T) {
	a := mineHand(t)
	if a.Baskets != 7 || a.MinCount != 2 {
		t.Fatalf("Baskets %d, MinCount %d; want 7, 2", a.Baskets, a.MinCount)
	}
	if want := []int{5, 5, 4, 3, 1, 2, 1, 0}; !slices.Equal(a.ItemCount, want) {
		t.Fatalf("ItemCount %v, want %v", a.ItemCount, want)
	}
	// Every frequent itemset of two or three items gives one rule per item,
	// all above the default confidence of 0.05: 8×2 + 4×3.
	if len(a.Rules) != 28 {
		t.Fatalf("%d rules, want 28", len(a.Rules))
	}
	for _, c := range []struct {
		ante  []int32
		cons  int32
		count int
		conf  float64
		lift  float64
	}{
		// {milk, diapers} in 3 baskets, 2 with cola; cola in 2 of 7.
		{[]int32{1, 2}, 5, 2, 2. / 3, (2. / 3) / (2. / 7)},
		// beer in 3 baskets, all with diapers; diapers in 4 of 7.
		{[]int32{3}, 2, 3, 1, 7. / 4},
		{[]int32{1, 2}, 3, 2, 2. / 3, (2. / 3) / (3. / 7)},
		// {bread, milk} in 4 baskets (the duplicate milk counts once), 2 with diapers.
		{[]int32{0, 1}, 2, 2, 2. / 4, (2. / 4) / (4. / 7)},
		{[]int32{1}, 0, 4, 4. / 5, (4. / 5) / (5. / 7)},
	} {
		_, r := findRule(a, c.cons, c.ante...)
		if r == nil {
			t.Errorf("no rule %v→%d", c.ante, c.cons)
			continue
		}
		if r.Count != c.count || !near(r.Support, float64(c.count)/7) || !near(r.Confidence, c.conf) || !near(r.Lift, c.lift) {
			t.Errorf("%s: count %d support %v confidence %v lift %v; want %d %v %v %v",
				ruleName(*r), r.Count, r.Support, r.Confidence, r.Lift, c.count, float64(c.count)/7, c.conf, c.lift)
		}
	}
	for _, r := range [][]int32{{0, 5}, {5, 0}, {3, 5}, {4, 0}, {6, 0}} { // itemsets in 1 basket or with rare items
		if i, _ := findRule(a, r[1], r[0]); i >= 0 {
			t.Errorf("unexpected rule %v", a.Rules[i])
		}
	}
	// The full order: lift, confidence, count, antecedent, consequent.
	want := []string{
		"[1 2]→5",                                                           // lift 7/3
		"[3]→2", "[0 3]→2", "[1 3]→2", "[1 5]→2", "[5]→2", "[2]→3", "[2]→5", // 7/4
		"[0 2]→3", "[1 2]→3", // 14/9
		"[2 5]→1", "[5]→1", "[1]→5", // 7/5
		"[0]→1", "[1]→0", // 28/25
		"[2]→0", "[2]→1", "[0]→2", "[1]→2", // 21/20
		"[0 2]→1", "[1 2]→0", "[2 3]→0", "[2 3]→1", "[3]→0", "[3]→1", "[0]→3", "[1]→3", // 14/15
		"[0 1]→2", // 7/8
	}
	var got []string
	for _, r := range a.Rules {
		got = append(got, ruleName(r))
	}
	if !slices.Equal(got, want) {
		t.Errorf("rule order\n got %v\nwant %v", got, want)
	}

	top, err := MineRules(handBaskets, 8, AffinityOptions{MaxRules: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(top.Rules, a.Rules[:3]) {
		t.Errorf("MaxRules 3: got %v", top.Rules)
	}
	strict, err := MineRules(handBaskets, 8, AffinityOptions{MinConfidence: 0.75})
	if err != nil {
		t.Fatal(err)
	}
	var keep []Rule
	for _, r := range a.Rules {
		if r.Confidence >= 0.75 {
			keep = append(keep, r)
		}
	}
	if !reflect.DeepEqual(strict.Rules, keep) {
		t.Errorf("MinConfidence 0.75: got %d rules, want %d", len(strict.Rules), len(keep))
	}
	// MinSupport 3/7 leaves {0,1}, {0,2}, {1,2}, {2,3}: 8 rules.
	sup, err := MineRules(handBaskets, 8, AffinityOptions{MinSupport: 3. / 7})
	if err != nil {
		t.Fatal(err)
	}
	if sup.MinCount != 3 || len(sup.Rules) != 8 {
		t.Errorf("MinSupport 3/7: MinCount %d, %d rules; want 3, 8", sup.MinCount, len(sup.Rules))
	}
	pairs, err := MineRules(handBaskets, 8, AffinityOptions{MaxLen: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs.Rules) != 16 {
		t.Errorf("MaxLen 2: %d rules, want 16", len(pairs.Rules))
	}
}

// randomBaskets returns n baskets over nItems items with skewed popularity,
// duplicates, empty and single-item baskets, and two planted associations.
func randomBaskets(rng *rand.Rand, n, nItems int) [][]int32 {
	baskets := make([][]int32, n)
	for i := range baskets {
		k := rng.IntN(7)
		b := make([]int32, 0, k+2)
		for range k {
			b = append(b, int32(int(rng.ExpFloat64()*float64(nItems)/4)%nItems))
		}
		if slices.Contains(b, 1) && rng.IntN(2) == 0 {
			b = append(b, 2)
		}
		if slices.Contains(b, 3) && slices.Contains(b, 4) && rng.IntN(3) > 0 {
			b = append(b, int32(nItems-1))
		}
		baskets[i] = b
	}
	return baskets
}

// bruteItemsets counts every subset of 1..maxLen distinct items of every
// basket and keeps those in at least minCount baskets.
func bruteItemsets(baskets [][]int32, minCount, maxLen int) map[string]int {
	all := map[string]int{}
	for _, b := range baskets {
		d := slices.Compact(slices.Sorted(slices.Values(b)))
		var rec func(start int, cur []int32)
		rec = func(start int, cur []int32) {
			if len(cur) > 0 {
				all[fmt.Sprint(cur)]++
			}
			if len(cur) == maxLen {
				return
			}
			for i := start; i < len(d); i++ {
				rec(i+1, append(cur, d[i]))
			}
		}
		rec(0, make([]int32, 0, maxLen))
	}
	for k, c := range all {
		if c < minCount {
			delete(all, k)
		}
	}
	return all
}

func TestAffinityFPGrowthMatchesBruteForce(t *testing.T) {
	for _, c := range []struct {
		seed                        uint64
		n, nItems, minCount, maxLen int
	}{
		{1, 300, 12, 2, 3},
		{2, 300, 12, 5, 3},
		{3, 1000, 20, 3, 3},
		{4, 1000, 20, 20, 3},
		{5, 500, 10, 1, 3},
		{6, 2000, 15, 4, 4},
		{7, 150_000, 30, 40, 3}, // several parts in the counting passes
		{8, 200, 300, 30, 3},    // long baskets: sort keys tie, tails compared
	} {
		t.Run(fmt.Sprint(c.seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(c.seed, 11))
			baskets := randomBaskets(rng, c.n, c.nItems)
			if c.nItems > 100 {
				for i := range baskets {
					for range 8 + rng.IntN(16) {
						baskets[i] = append(baskets[i], int32(rng.IntN(24)))
					}
				}
			}
			sets, err := frequentItemsets(baskets, c.nItems, c.minCount, c.maxLen)
			if err != nil {
				t.Fatal(err)
			}
			want := bruteItemsets(baskets, c.minCount, c.maxLen)
			got := map[string]int{}
			for i, s := range sets {
				if i > 0 {
					p := sets[i-1].items
					if len(p) > len(s.items) || len(p) == len(s.items) && slices.Compare(p, s.items) >= 0 {
						t.Fatalf("itemsets out of order: %v before %v", p, s.items)
					}
				}
				got[fmt.Sprint(s.items)] = s.count
			}
			if !reflect.DeepEqual(got, want) {
				for k, v := range want {
					if got[k] != v {
						t.Errorf("itemset %s: got %d, want %d", k, got[k], v)
					}
				}
				for k, v := range got {
					if _, ok := want[k]; !ok {
						t.Errorf("itemset %s: got %d, not frequent", k, v)
					}
				}
				t.FailNow()
			}
			long := 0
			for k := range want {
				if strings.Count(k, " ") == c.maxLen-1 {
					long++
				}
			}
			t.Logf("%d frequent itemsets, %d of %d items", len(want), long, c.maxLen)

			// Rules from the same counts, unsorted and unlimited.
			a, err := MineRules(baskets, c.nItems, AffinityOptions{MinCount: c.minCount, MinSupport: 1e-12,
				MinConfidence: 1e-9, MaxLen: c.maxLen, MaxRules: math.MaxInt})
			if err != nil {
				t.Fatal(err)
			}
			nRules := 0
			for k, cnt := range want {
				var items []int32
				for f := range strings.FieldsSeq(strings.Trim(k, "[]")) {
					var v int32
					fmt.Sscan(f, &v)
					items = append(items, v)
				}
				for d := range items {
					if len(items) < 2 {
						break
					}
					nRules++
					ante := slices.Delete(slices.Clone(items), d, d+1)
					_, r := findRule(a, items[d], ante...)
					antes := want[fmt.Sprint(ante)]
					n := float64(len(baskets))
					conf := float64(cnt) / float64(antes)
					if r == nil || r.Count != cnt || !near(r.Support, float64(cnt)/n) || !near(r.Confidence, conf) ||
						!near(r.Lift, conf/(float64(a.ItemCount[items[d]])/n)) {
						t.Fatalf("rule %v→%d: got %+v, want count %d confidence %v", ante, items[d], r, cnt, conf)
					}
				}
			}
			if len(a.Rules) != nRules {
				t.Errorf("%d rules, want %d", len(a.Rules), nRules)
			}
			for i := 1; i < len(a.Rules); i++ {
				p, r := a.Rules[i-1], a.Rules[i]
				if p.Lift < r.Lift*(1-1e-12) || p.Lift <= r.Lift*(1+1e-12) && p.Confidence < r.Confidence*(1-1e-12) {
					t.Fatalf("rules out of order: %+v before %+v", p, r)
				}
			}
		})
	}
}

func TestAffinityDuplicatesInBasket(t *testing.T) {
	dup, err := MineRules([][]int32{{1, 1, 1, 2}, {2, 1, 2}, {0, 0}}, 3, AffinityOptions{})
	if err != nil {
		t.Fatal(err)
	}
	clean, err := MineRules([][]int32{{1, 2}, {1, 2}, {0}}, 3, AffinityOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(dup, clean) {
		t.Errorf("with duplicates %+v\nwithout %+v", dup, clean)
	}
	if want := []int{1, 2, 2}; !slices.Equal(dup.ItemCount, want) {
		t.Errorf("ItemCount %v, want %v", dup.ItemCount, want)
	}
	if _, r := findRule(dup, 2, 1); r == nil || r.Count != 2 || r.Confidence != 1 || !near(r.Lift, 1.5) {
		t.Errorf("rule [1]→2: %+v", r)
	}
	// A long basket takes the sorting path.
	long := make([]int32, 0, 40)
	for i := range 40 {
		long = append(long, int32(i%5))
	}
	sets, err := frequentItemsets([][]int32{long, long}, 5, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 15 || sets[0].count != 2 || sets[14].count != 2 {
		t.Errorf("long baskets: %v", sets)
	}
}

func TestAffinityInvalidInput(t *testing.T) {
	for _, c := range []struct {
		baskets [][]int32
		nItems  int
		opt     AffinityOptions
		want    string
	}{
		{[][]int32{{0, 1}, {2, 5}}, 5, AffinityOptions{}, "basket 1 holds item id 5, outside 0..4"},
		{[][]int32{{0, 1}, {2}, {}, {3, -1, 9}}, 5, AffinityOptions{}, "basket 3 holds item id -1"},
		{[][]int32{{0}}, 0, AffinityOptions{}, "basket 0 holds item id 0, but there are no items"},
		{nil, -1, AffinityOptions{}, "item count -1"},
		{nil, 3, AffinityOptions{MinSupport: 1.5}, "MinSupport"},
		{nil, 3, AffinityOptions{MinSupport: math.NaN()}, "MinSupport"},
		{nil, 3, AffinityOptions{MinCount: -1}, "MinCount"},
		{nil, 3, AffinityOptions{MinConfidence: -0.1}, "MinConfidence"},
		{nil, 3, AffinityOptions{MaxLen: 1}, "MaxLen"},
		{nil, 3, AffinityOptions{MaxLen: 9}, "MaxLen"},
		{nil, 3, AffinityOptions{MaxRules: -1}, "MaxRules"},
	} {
		_, err := MineRules(c.baskets, c.nItems, c.opt)
		if guanxi.ErrorCode(err) != guanxi.EINVALID || !strings.Contains(guanxi.ErrorMessage(err), c.want) {
			t.Errorf("%v, %d, %+v: error %v, want EINVALID with %q", c.baskets, c.nItems, c.opt, err, c.want)
		}
	}
	// In a large input, counted in parts, the first bad basket is named.
	big := make([][]int32, 300_000)
	for i := range big {
		big[i] = []int32{int32(i % 4), int32(i % 3)}
	}
	big[120_000] = []int32{1, 7}
	big[250_000] = []int32{8}
	if _, err := MineRules(big, 4, AffinityOptions{}); !strings.Contains(fmt.Sprint(err), "basket 120000 holds item id 7") {
		t.Errorf("large input: %v", err)
	}
}

func noNaN(t *testing.T, a Affinity, s []Suggestion) {
	t.Helper()
	for _, r := range a.Rules {
		for _, v := range []float64{r.Support, r.Confidence, r.Lift} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("rule %+v", r)
			}
		}
	}
	for _, x := range s {
		if math.IsNaN(x.Confidence) || math.IsInf(x.Confidence, 0) {
			t.Errorf("suggestion %+v", x)
		}
	}
}

func TestAffinityEmpty(t *testing.T) {
	a, err := MineRules(nil, 4, AffinityOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Baskets != 0 || !slices.Equal(a.ItemCount, []int{0, 0, 0, 0}) || len(a.Rules) != 0 {
		t.Errorf("no baskets: %+v", a)
	}
	s := a.NextProducts([][]int32{{}, {0, 1}, {0, 1, 2, 3}})
	want := []Suggestion{{0, -1, 0}, {2, -1, 0}, {-1, -1, 0}}
	if !slices.Equal(s, want) {
		t.Errorf("suggestions %v, want %v", s, want)
	}
	noNaN(t, a, s)

	none, err := MineRules(nil, 0, AffinityOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := none.NextProducts([][]int32{{}, {3}}); !slices.Equal(s, []Suggestion{{-1, -1, 0}, {-1, -1, 0}}) {
		t.Errorf("no items: %v", s)
	}
	if s := none.NextProducts(nil); len(s) != 0 {
		t.Errorf("no customers: %v", s)
	}

	// Single-item and empty baskets count but make no rules.
	single, err := MineRules([][]int32{{0}, {1}, {}, {1}, {2, 2}}, 3, AffinityOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if single.Baskets != 5 || !slices.Equal(single.ItemCount, []int{1, 2, 1}) || len(single.Rules) != 0 {
		t.Errorf("single items: %+v", single)
	}
	s = single.NextProducts([][]int32{{1}})
	if !slices.Equal(s, []Suggestion{{0, -1, 0.2}}) {
		t.Errorf("single items: suggestions %v", s)
	}
	noNaN(t, single, s)
}

func TestAffinityNextProducts(t *testing.T) {
	a := mineHand(t)
	rule := func(cons int32, ante ...int32) Suggestion {
		i, r := findRule(a, cons, ante...)
		if r == nil {
			t.Fatalf("no rule %v→%d", ante, cons)
		}
		return Suggestion{cons, int32(i), r.Confidence}
	}
	cases := []struct {
		name    string
		history []int32
		want    Suggestion
	}{
		{"beer buyer gets diapers", []int32{3}, rule(2, 3)},
		// Applicable: [1]→0 0.8 beats [2]→0 and [2]→3 at 0.75 and the
		// [1 2] rules at 2/3.
		{"milk and diapers", []int32{2, 1}, rule(0, 1)},
		// [3]→2 has confidence 1 but diapers are bought; [2]→0 and [2]→1
		// tie on confidence and lift, [2]→0 comes first in Rules.
		{"consequent bought is skipped", []int32{3, 2}, rule(0, 2)},
		// [1 5]→2 and [5]→2 tie on confidence 1 and lift; [1 5]→2 comes first.
		{"two-item antecedent", []int32{5, 1, 6}, rule(2, 1, 5)},
		{"no rule: most popular", []int32{4}, Suggestion{0, -1, 5. / 7}},
		{"nothing bought", nil, Suggestion{0, -1, 5. / 7}},
		{"duplicates and unknown ids ignored", []int32{7, 99, -3, 7}, Suggestion{0, -1, 5. / 7}},
		{"popular items bought, rules used up", []int32{0, 1, 2, 3, 5}, Suggestion{4, -1, 1. / 7}},
		{"only the unsold item left", []int32{6, 5, 4, 3, 2, 1, 0}, Suggestion{7, -1, 0}},
		{"bought everything", []int32{7, 6, 5, 4, 3, 2, 1, 0}, Suggestion{-1, -1, 0}},
	}
	history := make([][]int32, len(cases))
	for i, c := range cases {
		history[i] = c.history
	}
	got := a.NextProducts(history)
	for i, c := range cases {
		if got[i] != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got[i], c.want)
		}
	}
	noNaN(t, a, got)
	if !slices.Equal(history[1], []int32{2, 1}) || !slices.Equal(history[6], []int32{7, 99, -3, 7}) {
		t.Error("NextProducts modified its input")
	}
}

// naiveSuggest is NextProducts without the index: every rule, every time.
func naiveSuggest(a Affinity, h []int32) Suggestion {
	has := func(x int32) bool { return slices.Contains(h, x) }
	best := -1
	for i, r := range a.Rules {
		ok := !has(r.Consequent)
		for _, x := range r.Antecedent {
			ok = ok && has(x)
		}
		if ok && (best < 0 || r.Confidence > a.Rules[best].Confidence ||
			r.Confidence == a.Rules[best].Confidence && r.Lift > a.Rules[best].Lift) {
			best = i
		}
	}
	if best >= 0 {
		return Suggestion{a.Rules[best].Consequent, int32(best), a.Rules[best].Confidence}
	}
	pick := int32(-1)
	for x := range int32(len(a.ItemCount)) {
		if !has(x) && (pick < 0 || a.ItemCount[x] > a.ItemCount[pick]) {
			pick = x
		}
	}
	if pick < 0 {
		return Suggestion{-1, -1, 0}
	}
	return Suggestion{pick, -1, float64(a.ItemCount[pick]) / float64(a.Baskets)}
}

func TestAffinityNextProductsMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const nItems = 25
	a, err := MineRules(randomBaskets(rng, 5000, nItems), nItems, AffinityOptions{MinCount: 5, MaxRules: 400, MaxLen: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Rules) < 100 {
		t.Fatalf("only %d rules", len(a.Rules))
	}
	history := randomBaskets(rng, 3*affinityChunk+17, nItems)
	for i := 0; i < len(history); i += 97 { // some who bought nearly everything
		for x := range int32(nItems) {
			if rng.IntN(10) > 0 {
				history[i] = append(history[i], x)
			}
		}
	}
	got := a.NextProducts(history)
	fell := 0
	for i, h := range history {
		if want := naiveSuggest(a, h); got[i] != want {
			t.Fatalf("customer %d %v: got %+v, want %+v", i, h, got[i], want)
		}
		if got[i].Rule < 0 {
			fell++
		}
	}
	t.Logf("%d rules, %d of %d customers on the popularity fallback", len(a.Rules), fell, len(history))
}

// benchBaskets returns n baskets over nItems items like a shop's orders:
// Zipf-distributed popularity (a few best sellers, a long tail), mostly one
// to three items, and planted associations: 60 pairs where buying the first
// item brings the second along 35% of the time, and 15 triples where the
// first two bring the third half the time.
func benchBaskets(seed uint64, n, nItems int) [][]int32 {
	rng := rand.New(rand.NewPCG(seed, 99))
	zipf := rand.NewZipf(rng, 1.1, 8, uint64(nItems-1))
	perm := rng.Perm(nItems) // popularity unrelated to id
	pick := func() int32 { return int32(perm[zipf.Uint64()]) }
	type pair struct{ a, b int32 }
	pairs := make(map[int32][]int32)
	for range 60 {
		p := pair{pick(), int32(rng.IntN(nItems))}
		pairs[p.a] = append(pairs[p.a], p.b)
	}
	type triple struct{ a, b, c int32 }
	var triples []triple
	for range 15 {
		triples = append(triples, triple{pick(), pick(), int32(rng.IntN(nItems))})
	}
	flat := make([]int32, 0, n*3)
	off := make([]int, 1, n+1)
	for range n {
		start := len(flat)
		k := 1
		switch u := rng.Float64(); {
		case u < 0.45:
		case u < 0.72:
			k = 2
		case u < 0.88:
			k = 3
		case u < 0.96:
			k = 4
		default:
			k = 5 + rng.IntN(6)
		}
		for range k {
			flat = append(flat, pick())
		}
		for _, x := range flat[start:] {
			for _, y := range pairs[x] {
				if rng.Float64() < 0.35 {
					flat = append(flat, y)
				}
			}
		}
		for _, tr := range triples {
			b := flat[start:]
			if slices.Contains(b, tr.a) && slices.Contains(b, tr.b) && rng.IntN(2) == 0 {
				flat = append(flat, tr.c)
			}
		}
		off = append(off, len(flat))
	}
	baskets := make([][]int32, n)
	for i := range baskets {
		baskets[i] = flat[off[i]:off[i+1]:off[i+1]]
	}
	return baskets
}

var benchShopBaskets = sync.OnceValue(func() [][]int32 { return benchBaskets(5, 3_000_000, 500) })

// BenchmarkMineRules mines 3,000,000 orders over 500 items with the
// default options (minimum count 3,000, itemsets up to 3 items).
func BenchmarkMineRules(b *testing.B) { benchMine(b, AffinityOptions{}) }

// BenchmarkMineRulesLowSupport mines the same orders down to itemsets
// bought 100 times, which makes tens of thousands of frequent itemsets.
func BenchmarkMineRulesLowSupport(b *testing.B) {
	benchMine(b, AffinityOptions{MinSupport: 100. / 3_000_000})
}

func benchMine(b *testing.B, opt AffinityOptions) {
	baskets := benchShopBaskets()
	b.ReportAllocs()
	b.ResetTimer()
	var a Affinity
	for b.Loop() {
		var err error
		if a, err = MineRules(baskets, 500, opt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(a.Rules)), "rules")
}

// BenchmarkNextProducts suggests for 1,000,000 customers of one to five
// items from 1,000 rules.
func BenchmarkNextProducts(b *testing.B) {
	a, err := MineRules(benchBaskets(6, 300_000, 500), 500, AffinityOptions{MinSupport: 1e-4, MinConfidence: 0.02})
	if err != nil {
		b.Fatal(err)
	}
	history := benchBaskets(7, 1_000_000, 500)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		a.NextProducts(history)
	}
	b.ReportMetric(float64(len(a.Rules)), "rules")
}

// TestAffinitySortTxns checks the packed-key sort against a plain
// lexicographic sort, with long transactions that share the packed prefix.
func TestAffinitySortTxns(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	const nRanks = 300 // 9 bits a rank: 7 ranks after the first in the key
	tx := txns{off: []int{0}}
	for range 3000 {
		k := 1 + rng.IntN(14)
		set := map[int32]bool{}
		for len(set) < k {
			if len(set) < 9 && rng.IntN(4) > 0 {
				set[int32(len(set))] = true // a shared prefix 0, 1, 2, …
			} else {
				set[int32(rng.IntN(nRanks))] = true
			}
		}
		tx.data = append(tx.data, slices.Sorted(maps.Keys(set))...)
		tx.off = append(tx.off, len(tx.data))
	}
	order := sortTxns(&tx, nRanks, true)
	want := make([]int32, tx.len())
	for i := range want {
		want[i] = int32(i)
	}
	slices.SortStableFunc(want, func(i, j int32) int { return slices.Compare(tx.at(i), tx.at(j)) })
	for i := range want {
		if !slices.Equal(tx.at(order[i]), tx.at(want[i])) {
			t.Fatalf("position %d: %v, want %v", i, tx.at(order[i]), tx.at(want[i]))
		}
	}
}

// TestAffinityNextProductsOddRules feeds NextProducts rules MineRules never
// makes: an empty antecedent (it applies to everyone), an unsorted
// antecedent, and rules naming unknown items or their own consequent, which
// are ignored.
func TestAffinityNextProductsOddRules(t *testing.T) {
	a := Affinity{
		Baskets:   10,
		ItemCount: []int{10, 5, 3},
		Rules: []Rule{
			{Antecedent: nil, Consequent: 2, Confidence: 0.3, Lift: 1},
			{Antecedent: []int32{5}, Consequent: 1, Confidence: 1, Lift: 9},
			{Antecedent: []int32{1}, Consequent: 1, Confidence: 1, Lift: 9},
			{Antecedent: []int32{1, 0}, Consequent: 2, Confidence: 0.9, Lift: 3},
			{Antecedent: []int32{0}, Consequent: 7, Confidence: 1, Lift: 9},
		},
	}
	got := a.NextProducts([][]int32{{}, {0, 1}, {2}, {1}, {0}})
	want := []Suggestion{{2, 0, 0.3}, {2, 3, 0.9}, {0, -1, 1}, {2, 0, 0.3}, {2, 0, 0.3}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
