package analytics

import (
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"github.com/guanxi-crm/guanxi"
)

// threeGroups returns per customers in each of three well-separated groups,
// interleaved, and each customer's group: 0 loyal big spenders (recent,
// frequent, high spend), 1 newer small buyers in the middle of every
// feature, 2 lapsed one-off buyers. Group 1's values are skewed so its mean
// sits clearly below its median, which is also the shop's median: it reads
// as recent, occasional and low spend.
func threeGroups(per int) (*Customers, []int) {
	c := &Customers{}
	var group []int
	for i := range per {
		u := (float64(i) + 0.5) / float64(per)
		u3 := u * u * u
		for g := range 3 {
			var rec, freq int32
			var yuan float64
			switch g {
			case 0:
				rec, freq, yuan = 2+int32(6*u), 20+int32(10*u), 5000+5000*u
			case 1:
				rec = int32(math.Round(120 - 80*u3))
				freq = int32(math.Round(12 - 9*u3))
				yuan = 800 - 600*u3
			case 2:
				rec, freq, yuan = 500+int32(200*u), 1, 10+20*u
			}
			c.IDs = append(c.IDs, "c"+strconv.Itoa(len(c.IDs)))
			c.RecencyDays = append(c.RecencyDays, rec)
			c.Frequency = append(c.Frequency, freq)
			c.Monetary = append(c.Monetary, int64(math.Round(yuan*100)))
			group = append(group, g)
		}
	}
	return c, group
}

func TestClustersThreeGroups(t *testing.T) {
	for _, per := range []int{100, 20_000} { // exact silhouette; sampled and parallel
		t.Run(strconv.Itoa(per), func(t *testing.T) {
			c, group := threeGroups(per)
			cl, err := Clusters(c, 1)
			if err != nil {
				t.Fatal(err)
			}
			if cl.K != 3 {
				t.Fatalf("K = %d, want 3 (silhouette %.3f)", cl.K, cl.Silhouette)
			}
			if cl.Silhouette <= 0.5 || cl.Silhouette > 1 {
				t.Errorf("silhouette = %v, want well separated", cl.Silhouette)
			}
			// Sorted by mean spend: big spenders, newer buyers, lapsed one-offs.
			for i, g := range group {
				if int(cl.Assign[i]) != g {
					t.Fatalf("customer %d of group %d in cluster %d", i, g, cl.Assign[i])
				}
			}
			wantEN := []string{"recent, frequent, high spend", "recent, occasional, low spend", "lapsed, occasional, low spend"}
			wantZH := []string{"近期购买、高频、高消费", "近期购买、低频、低消费", "久未购买、低频、低消费"}
			if !reflect.DeepEqual(cl.DescEN, wantEN) || !reflect.DeepEqual(cl.DescZH, wantZH) {
				t.Errorf("descriptions = %q / %q, want %q / %q", cl.DescEN, cl.DescZH, wantEN, wantZH)
			}
			if !reflect.DeepEqual(cl.Sizes, []int{per, per, per}) {
				t.Errorf("sizes = %v, want %d each", cl.Sizes, per)
			}
			if len(cl.Centers) != 3 || len(cl.Assign) != c.Len() {
				t.Fatalf("%d centres, %d assignments", len(cl.Centers), len(cl.Assign))
			}
			for j := 1; j < 3; j++ {
				if cl.Centers[j][2] >= cl.Centers[j-1][2] {
					t.Errorf("centres not in decreasing spend: %v", cl.Centers)
				}
			}
			// Group 0's centre in original units: recency ≈ 5 days, 25 orders, ≈ 7,500 yuan.
			if ctr := cl.Centers[0]; math.Abs(ctr[0]-5) > 1 || math.Abs(ctr[1]-24.5) > 1 || math.Abs(ctr[2]-7500) > 50 {
				t.Errorf("centre 0 = %v", ctr)
			}
		})
	}
}

func TestClustersDeterministic(t *testing.T) {
	c := syntheticShop(60_000, 3)
	a, err := Clusters(c, 42)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Clusters(c, 42)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different results")
	}
	prev := runtime.GOMAXPROCS(1)
	one, err := Clusters(c, 42)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, one) {
		t.Fatal("result depends on GOMAXPROCS")
	}
	if a.K < 2 || a.K > 8 || math.IsNaN(a.Silhouette) || len(a.DescEN) != a.K {
		t.Fatalf("K = %d, silhouette %v, %d descriptions", a.K, a.Silhouette, len(a.DescEN))
	}
	total := 0
	for _, s := range a.Sizes {
		if s == 0 {
			t.Errorf("empty cluster in %v", a.Sizes)
		}
		total += s
	}
	if total != c.Len() {
		t.Errorf("sizes sum to %d, want %d", total, c.Len())
	}
}

func TestClustersDegenerate(t *testing.T) {
	small, _ := threeGroups(3) // 9 customers
	same := &Customers{}
	for i := range 50 {
		same.IDs = append(same.IDs, strconv.Itoa(i))
		same.RecencyDays = append(same.RecencyDays, 30)
		same.Frequency = append(same.Frequency, 2)
		same.Monetary = append(same.Monetary, 9900)
	}
	negative := &Customers{ // negative spend counts as 0: identical features
		RecencyDays: make([]int32, 20),
		Frequency:   make([]int32, 20),
		Monetary:    make([]int64, 20),
	}
	for i := range negative.Monetary {
		negative.Monetary[i] = -int64(i) * 100
	}
	mismatched, _ := threeGroups(10)
	mismatched.Monetary = mismatched.Monetary[:5]
	for name, c := range map[string]*Customers{
		"empty": {}, "nine": small, "identical": same, "negative spend": negative, "mismatched": mismatched,
	} {
		_, err := Clusters(c, 1)
		if guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("%s: err = %v, want %s", name, err, guanxi.EINVALID)
		}
	}
}

func TestClustersTwoPoints(t *testing.T) {
	// Only two distinct customers, repeated; only one feature varies.
	c := &Customers{}
	for i := range 12 {
		c.RecencyDays = append(c.RecencyDays, 10)
		c.Frequency = append(c.Frequency, 1)
		c.Monetary = append(c.Monetary, int64(100+i%2*100_000))
	}
	cl, err := Clusters(c, 7)
	if err != nil {
		t.Fatal(err)
	}
	if cl.K != 2 || cl.Silhouette != 1 || !reflect.DeepEqual(cl.Sizes, []int{6, 6}) {
		t.Fatalf("K = %d, silhouette %v, sizes %v", cl.K, cl.Silhouette, cl.Sizes)
	}
	for i, a := range cl.Assign {
		if want := uint8(1 - i%2); a != want {
			t.Fatalf("customer %d in cluster %d, want %d", i, a, want)
		}
	}
	if cl.Centers[0] != [3]float64{10, 1, 1001} || cl.DescEN[0] != "lapsed, occasional, high spend" {
		t.Errorf("cluster 0: %v %q", cl.Centers[0], cl.DescEN[0])
	}
}

// fourGroups returns n customers drawn at random from four well-separated
// groups in shuffled order, and each customer's group: 0 loyal big spenders
// (10%), 1 regulars (30%), 2 lapsed one-off buyers (40%), 3 lapsed former
// big spenders (20%).
func fourGroups(n int, seed uint64) (*Customers, []int) {
	rng := rand.New(rand.NewPCG(seed, 5))
	c := &Customers{
		IDs:         make([]string, n),
		RecencyDays: make([]int32, n),
		Frequency:   make([]int32, n),
		Monetary:    make([]int64, n),
	}
	group := make([]int, n)
	for i := range n {
		var g int
		switch u := rng.Float64(); {
		case u < 0.1:
			g = 0
		case u < 0.4:
			g = 1
		case u < 0.8:
			g = 2
		default:
			g = 3
		}
		var rec, freq int32
		var yuan float64
		switch g {
		case 0:
			rec, freq, yuan = 2+rng.Int32N(8), 20+rng.Int32N(20), 5000+10000*rng.Float64()
		case 1:
			rec, freq, yuan = 30+rng.Int32N(30), 4+rng.Int32N(5), 300+500*rng.Float64()
		case 2:
			rec, freq, yuan = 400+rng.Int32N(300), 1, 10+40*rng.Float64()
		case 3:
			rec, freq, yuan = 200+rng.Int32N(150), 2+rng.Int32N(2), 2000+2000*rng.Float64()
		}
		c.IDs[i] = "c" + strconv.Itoa(i)
		c.RecencyDays[i], c.Frequency[i], c.Monetary[i] = rec, freq, int64(math.Round(yuan*100))
		group[i] = g
	}
	return c, group
}

// TestClustersLargeSampled checks the sampled path (more customers than
// clusterSample): the right k, clusters that match the groups, and the same
// result from the same seed.
func TestClustersLargeSampled(t *testing.T) {
	const n = 200_000
	c, group := fourGroups(n, 3)
	cl, err := Clusters(c, 9)
	if err != nil {
		t.Fatal(err)
	}
	if cl.K != 4 {
		t.Fatalf("K = %d, want 4 (silhouette %.3f, sizes %v)", cl.K, cl.Silhouette, cl.Sizes)
	}
	if cl.Silhouette <= 0.5 || cl.Silhouette > 1 {
		t.Errorf("silhouette = %v, want well separated", cl.Silhouette)
	}
	// Purity: the share of customers in their cluster's majority group.
	var tally [clusterMaxK][4]int
	for i, g := range group {
		tally[cl.Assign[i]][g]++
	}
	agree := 0
	for j := range cl.K {
		agree += slices.Max(tally[j][:])
	}
	if purity := float64(agree) / n; purity < 0.95 {
		t.Errorf("purity = %.4f, want > 0.95; cluster × group counts %v", purity, tally[:cl.K])
	}
	// Sorted by mean spend: big spenders, lapsed big spenders, regulars, one-offs.
	for j, want := range []int{0, 3, 1, 2} {
		if maj := slices.Index(tally[j][:], slices.Max(tally[j][:])); maj != want {
			t.Errorf("cluster %d is mostly group %d, want %d", j, maj, want)
		}
	}
	total := 0
	for _, s := range cl.Sizes {
		total += s
	}
	if total != n || len(cl.Assign) != n {
		t.Fatalf("sizes sum to %d, %d assignments, want %d", total, len(cl.Assign), n)
	}

	again, err := Clusters(c, 9)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cl, again) {
		t.Fatal("same seed, different results")
	}
	prev := runtime.GOMAXPROCS(1)
	one, err := Clusters(c, 9)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cl, one) {
		t.Fatal("result depends on GOMAXPROCS")
	}
}

// TestClustersLargeRare checks that a large shop whose customers are nearly
// all alike still clusters when the sample would likely miss the rare ones.
func TestClustersLargeRare(t *testing.T) {
	const n = 100_000
	c := &Customers{
		RecencyDays: make([]int32, n),
		Frequency:   make([]int32, n),
		Monetary:    make([]int64, n),
	}
	for i := range n {
		c.RecencyDays[i], c.Frequency[i], c.Monetary[i] = 30, 1, 9900
	}
	for i := range 3 {
		r := n/3*i + 17
		c.RecencyDays[r], c.Frequency[r], c.Monetary[r] = 400+int32(i), 5, 500_000
	}
	cl, err := Clusters(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	if cl.K != 2 || !reflect.DeepEqual(cl.Sizes, []int{3, n - 3}) {
		t.Fatalf("K = %d, sizes %v, want 2 clusters of 3 and %d", cl.K, cl.Sizes, n-3)
	}
}

// syntheticShop returns n customers with loosely structured, skewed recency,
// frequency and spend, like a real shop's.
func syntheticShop(n int, seed uint64) *Customers {
	rng := rand.New(rand.NewPCG(seed, 11))
	c := &Customers{
		IDs:         make([]string, n),
		RecencyDays: make([]int32, n),
		Frequency:   make([]int32, n),
		Monetary:    make([]int64, n),
	}
	for i := range n {
		c.RecencyDays[i] = int32(rng.IntN(730))
		c.Frequency[i] = 1 + int32(rng.ExpFloat64()*1.5)
		c.Monetary[i] = int64(c.Frequency[i]) * int64(1000+rng.ExpFloat64()*15000)
	}
	return c
}

func BenchmarkClusters(b *testing.B) {
	c := syntheticShop(1_000_000, 7)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Clusters(c, 1); err != nil {
			b.Fatal(err)
		}
	}
}
