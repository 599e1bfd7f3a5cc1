package analytics

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/orderfile"
)

var shanghai = time.FixedZone("CST", 8*3600)

func asOf(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.ParseInLocation("2006-01-02", s, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// loadFixture reads a generic orders CSV from testdata through the real
// orderfile reader.
func loadFixture(t *testing.T, name, date string) *Customers {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := orderfile.Open("generic", name, f, orderfile.Options{Location: shanghai})
	if err != nil {
		t.Fatal(err)
	}
	c, err := FromOrderfile(r, asOf(t, date), shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRFMFixture checks every r, f, m and both segments of a hand-computed
// shop of 12 customers (testdata/rfm_expected.csv; the working is in
// testdata/README.md).
func TestRFMFixture(t *testing.T) {
	c := loadFixture(t, "rfm_orders.csv", "2025-06-30")
	if c.RejectedRows != 0 {
		t.Errorf("RejectedRows = %d, want 0", c.RejectedRows)
	}
	var buf bytes.Buffer
	if err := WriteRFMCSV(&buf, c, RFM(c)); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "rfm_expected.csv"))
	if err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	if !bytes.Equal(got, want) {
		gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := range max(len(gl), len(wl)) {
			var g, w []byte
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if !bytes.Equal(g, w) {
				t.Errorf("line %d:\n got %s\nwant %s", i+1, g, w)
			}
		}
	}
}

// TestFixtureSummaries checks the builder rules on the fixture: returns,
// cancelled, pending and refunded orders, orders after the as-of date (also
// by time zone), same-day orders, out-of-order dates, guests, and a customer
// with no purchase.
func TestFixtureSummaries(t *testing.T) {
	c := loadFixture(t, "rfm_orders.csv", "2025-06-30")
	if c.Len() != 12 {
		t.Fatalf("%d customers, want 12 (c13 has only a cancelled order; guests are nobody): %v", c.Len(), c.IDs)
	}
	idx := map[string]int{}
	for i, id := range c.IDs {
		idx[id] = i
	}
	if _, ok := idx["c13"]; ok {
		t.Error("c13 (no purchase) is present")
	}
	if _, ok := idx[""]; ok {
		t.Error("guest present")
	}
	day := func(s string) int32 { return DayOf(asOf(t, s), shanghai) }
	tests := []struct {
		id                  string
		recency, freq, days int32
		money               int64
		first, last         string
		x, tx, tt, mrs      float64
	}{
		// The -50 return, the order of 2025-07-01 and nothing else is left out.
		{"c01", 0, 5, 5, 100000, "2025-01-10", "2025-06-30", 4, 171.0 / 7, 171.0 / 7, 20000},
		// Two orders on 2025-06-30 (one at 23:30 local) count twice in
		// frequency, once in purchase days; 2025-06-30T16:30Z is 07-01 local.
		{"c02", 0, 3, 2, 50000, "2025-06-01", "2025-06-30", 1, 29.0 / 7, 29.0 / 7, 40000},
		{"c03", 3, 1, 1, 5000, "2025-06-27", "2025-06-27", 0, 0, 3.0 / 7, 0},
		// Partially refunded: net of refunded_amount.
		{"c04", 10, 2, 2, 50000, "2025-02-20", "2025-06-20", 1, 120.0 / 7, 130.0 / 7, 20000},
		// Cancelled and after-as-of orders are left out.
		{"c05", 10, 1, 1, 2000, "2025-06-20", "2025-06-20", 0, 0, 10.0 / 7, 0},
		// Dates out of order, two orders on the first day.
		{"c06", 30, 4, 3, 80000, "2024-11-11", "2025-05-31", 2, 201.0 / 7, 231.0 / 7, 20000},
		{"c08", 60, 1, 1, 12000, "2025-05-01", "2025-05-01", 0, 0, 60.0 / 7, 0},
		{"c09", 90, 6, 6, 200000, "2024-07-01", "2025-04-01", 5, 274.0 / 7, 364.0 / 7, 32000},
		// The repeat day has two orders (5 + 5); the first day is excluded.
		{"c10", 200, 3, 2, 2000, "2024-08-08", "2024-12-12", 1, 126.0 / 7, 326.0 / 7, 1000},
	}
	for _, tt := range tests {
		i, ok := idx[tt.id]
		if !ok {
			t.Errorf("%s missing", tt.id)
			continue
		}
		got := []any{c.RecencyDays[i], c.Frequency[i], c.PurchaseDays[i], c.Monetary[i], c.FirstDay[i], c.LastDay[i]}
		want := []any{tt.recency, tt.freq, tt.days, tt.money, day(tt.first), day(tt.last)}
		if !slices.Equal(got, want) {
			t.Errorf("%s: recency, frequency, days, monetary, first, last = %v, want %v", tt.id, got, want)
		}
		gotF := []float64{c.X[i], c.Tx[i], c.T[i], c.MeanRepeatSpend[i]}
		wantF := []float64{tt.x, tt.tx, tt.tt, tt.mrs}
		for k := range gotF {
			if d := gotF[k] - wantF[k]; d > 1e-9 || d < -1e-9 {
				t.Errorf("%s: x, t_x, T, mean repeat spend = %v, want %v", tt.id, gotF, wantF)
				break
			}
		}
	}
}

type order struct {
	id       string
	at       string
	net      int64
	purchase bool
}

func TestBuilderRules(t *testing.T) {
	type want struct {
		freq, days int32
		money      int64
		recency    int32
		x, mrs     float64
	}
	tests := []struct {
		name   string
		orders []order
		want   map[string]want
	}{
		{"one order", []order{{"a", "2025-06-30T12:00:00+08:00", 100, true}},
			map[string]want{"a": {1, 1, 100, 0, 0, 0}}},
		{"not a purchase", []order{{"a", "2025-06-01T12:00:00+08:00", 100, true}, {"a", "2025-06-02T12:00:00+08:00", 900, false}},
			map[string]want{"a": {1, 1, 100, 29, 0, 0}}},
		{"only non-purchases", []order{{"a", "2025-06-01T12:00:00+08:00", 100, false}},
			map[string]want{}},
		{"guest", []order{{"", "2025-06-01T12:00:00+08:00", 100, true}},
			map[string]want{}},
		{"after as-of", []order{{"a", "2025-06-01T12:00:00+08:00", 100, true}, {"a", "2025-07-01T00:00:00+08:00", 100, true}, {"b", "2025-07-02T00:00:00+08:00", 100, true}},
			map[string]want{"a": {1, 1, 100, 29, 0, 0}}},
		{"as-of day counts to its end", []order{{"a", "2025-06-30T23:59:59+08:00", 100, true}, {"a", "2025-06-30T15:59:59Z", 100, true}},
			map[string]want{"a": {2, 1, 200, 0, 0, 0}}},
		{"same day", []order{{"a", "2025-06-01T09:00:00+08:00", 100, true}, {"a", "2025-06-01T21:00:00+08:00", 50, true}, {"a", "2025-06-10T09:00:00+08:00", 30, true}, {"a", "2025-06-10T10:00:00+08:00", 40, true}},
			map[string]want{"a": {4, 2, 220, 20, 1, 70}}},
		{"unordered", []order{{"a", "2025-06-10T09:00:00+08:00", 30, true}, {"a", "2025-06-01T09:00:00+08:00", 100, true}, {"a", "2025-06-10T10:00:00+08:00", 40, true}, {"a", "2025-06-01T21:00:00+08:00", 50, true}, {"a", "2025-06-05T21:00:00+08:00", 10, true}},
			map[string]want{"a": {5, 3, 230, 20, 2, 40}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder(asOf(t, "2025-06-30"), shanghai)
			for _, o := range tt.orders {
				at, err := time.Parse(time.RFC3339, o.at)
				if err != nil {
					t.Fatal(err)
				}
				b.Add(o.id, at, o.net, o.purchase)
			}
			c := b.Build()
			if c.Len() != len(tt.want) {
				t.Fatalf("customers %v, want %d", c.IDs, len(tt.want))
			}
			for i, id := range c.IDs {
				w, ok := tt.want[id]
				if !ok {
					t.Fatalf("unexpected customer %q", id)
				}
				got := want{c.Frequency[i], c.PurchaseDays[i], c.Monetary[i], c.RecencyDays[i], c.X[i], c.MeanRepeatSpend[i]}
				if got != w {
					t.Errorf("%s: got %+v, want %+v", id, got, w)
				}
			}
		})
	}
}

func TestRFMOneCustomer(t *testing.T) {
	b := NewBuilder(asOf(t, "2025-06-30"), shanghai)
	b.Add("only", asOf(t, "2025-06-01"), 1234, true)
	c := b.Build()
	s := RFM(c)
	if s.R[0] != 1 || s.F[0] != 1 || s.M[0] != 1 {
		t.Errorf("N=1 scores %d%d%d, want 111", s.R[0], s.F[0], s.M[0])
	}
	if got := CNSegments(c)[0]; got != GeneralRetain {
		t.Errorf("N=1 class %s, want 一般挽留客户", got.NameZH())
	}
	var buf bytes.Buffer
	if err := WriteRFMCSV(&buf, c, s); err != nil {
		t.Fatal(err)
	}
	want := "customer_id,recency_days,frequency,monetary,r,f,m,segment_cn,segment\nonly,29,1,12.34,1,1,1,一般挽留客户,Lost\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestRFMEmpty(t *testing.T) {
	c := NewBuilder(asOf(t, "2025-06-30"), shanghai).Build()
	s := RFM(c)
	if len(s.R) != 0 {
		t.Fatal("scores for no customers")
	}
	var buf bytes.Buffer
	if err := WriteRFMCSV(&buf, c, s); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "customer_id,recency_days,frequency,monetary,r,f,m,segment_cn,segment\n" {
		t.Errorf("got %q", buf.String())
	}
}

// refQuintiles is the contract taken literally: RANK() by counting the
// values strictly before each one. O(N²).
func refQuintiles[T int32 | int64](vals []T, desc bool) []uint8 {
	n := len(vals)
	out := make([]uint8, n)
	for i, v := range vals {
		below := 0
		for _, w := range vals {
			if (!desc && w < v) || (desc && w > v) {
				below++
			}
		}
		out[i] = uint8(1 + 5*below/n)
	}
	return out
}

// TestQuintilesMatchContract compares both ranking paths (counting and
// sorting) with the literal contract on random data full of ties.
func TestQuintilesMatchContract(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 50, 997} {
		for _, spread := range []int64{1, 3, 10, 1000, 1 << 40} {
			v64 := make([]int64, n)
			v32 := make([]int32, n)
			for i := range n {
				v64[i] = rng.Int64N(spread) - spread/2
				v32[i] = int32(rng.Int64N(min(spread, 1<<30)))
			}
			for _, desc := range []bool{false, true} {
				got := make([]uint8, n)
				quintiles(v64, desc, got)
				if want := refQuintiles(v64, desc); !slices.Equal(got, want) {
					t.Fatalf("int64 n=%d spread=%d desc=%v:\n got %v\nwant %v\nvals %v", n, spread, desc, got, want, v64)
				}
				quintiles(v32, desc, got)
				if want := refQuintiles(v32, desc); !slices.Equal(got, want) {
					t.Fatalf("int32 n=%d spread=%d desc=%v:\n got %v\nwant %v", n, spread, desc, got, want)
				}
			}
		}
	}
}

func TestQuintilesAllTied(t *testing.T) {
	got := make([]uint8, 7)
	quintiles([]int64{5, 5, 5, 5, 5, 5, 5}, false, got)
	if !slices.Equal(got, []uint8{1, 1, 1, 1, 1, 1, 1}) {
		t.Errorf("all tied: %v, want all 1", got)
	}
	quintiles([]int64{5, 5, 5, 5, 5, 5, 5}, true, got)
	if !slices.Equal(got, []uint8{1, 1, 1, 1, 1, 1, 1}) {
		t.Errorf("all tied, descending: %v, want all 1", got)
	}
}

func TestSegmentOf(t *testing.T) {
	// The grid of segment.go, row FM = 5 first, R = 1…5 left to right.
	grid := [5][5]Segment{
		{CantLoseThem, AtRisk, Loyal, Loyal, Champions},
		{AtRisk, AtRisk, Loyal, Loyal, Loyal},
		{AtRisk, AtRisk, NeedAttention, PotentialLoyalist, PotentialLoyalist},
		{Lost, Hibernating, AboutToSleep, PotentialLoyalist, PotentialLoyalist},
		{Lost, Lost, AboutToSleep, Promising, New},
	}
	seen := map[Segment]bool{}
	for fm := uint8(1); fm <= 5; fm++ {
		for r := uint8(1); r <= 5; r++ {
			want := grid[5-fm][r-1]
			seen[want] = true
			if got := SegmentOf(r, fm, fm); got != want {
				t.Errorf("R%d FM%d: %s, want %s", r, fm, got.NameEN(), want.NameEN())
			}
		}
	}
	if len(seen) != len(Segments) {
		t.Errorf("grid has %d segments, want %d", len(seen), len(Segments))
	}
	// Half scores round up: (4+5)/2 = 4.5 → FM 5.
	tests := []struct {
		r, f, m uint8
		want    Segment
	}{
		{5, 4, 5, Champions},
		{5, 5, 4, Champions},
		{5, 3, 4, Loyal},
		{1, 4, 5, CantLoseThem},
		{1, 1, 2, Lost},
		{2, 1, 2, Hibernating},
		{5, 1, 1, New},
		{5, 1, 2, PotentialLoyalist},
		{4, 1, 1, Promising},
		{3, 2, 3, NeedAttention},
	}
	for _, tt := range tests {
		if got := SegmentOf(tt.r, tt.f, tt.m); got != tt.want {
			t.Errorf("SegmentOf(%d,%d,%d) = %s, want %s", tt.r, tt.f, tt.m, got.NameEN(), tt.want.NameEN())
		}
	}
	for _, s := range Segments {
		if s.NameZH() == "" || s.NameEN() == "" {
			t.Errorf("segment %d has no name", s)
		}
	}
}

// TestCNSegmentsAtMean checks that a value equal to the mean is not high.
func TestCNSegmentsAtMean(t *testing.T) {
	c := &Customers{
		IDs:         []string{"a", "b", "c"},
		RecencyDays: []int32{10, 20, 30}, // mean 20
		Frequency:   []int32{2, 2, 5},    // mean 3
		Monetary:    []int64{100, 300, 200},
	}
	want := []CNSegment{GeneralDevelopment, ImportantRetain, GeneralKeep}
	if got := CNSegments(c); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func BenchmarkRFM(b *testing.B) {
	c := syntheticShop(1_000_000, 7)
	b.ReportAllocs()
	for b.Loop() {
		RFM(c)
	}
}

// BenchmarkRFMWideMonetary forces the sorting path on monetary (a span far
// wider than N), as in a shop with a few very large spenders.
func BenchmarkRFMWideMonetary(b *testing.B) {
	c := syntheticShop(1_000_000, 7)
	for i := range c.Monetary {
		c.Monetary[i] *= 1000
	}
	b.ReportAllocs()
	for b.Loop() {
		RFM(c)
	}
}

// BenchmarkBuilder adds 3,000,000 purchase orders of 1,000,000 customers,
// dates out of order, and builds the summaries.
func BenchmarkBuilder(b *testing.B) {
	const orders, customers = 3_000_000, 1_000_000
	rng := rand.New(rand.NewPCG(3, 5))
	ids := make([]string, customers)
	for i := range ids {
		ids[i] = "cust-" + strconv.Itoa(i)
	}
	base := time.Date(2023, 1, 1, 0, 0, 0, 0, shanghai)
	type o struct {
		id  string
		at  time.Time
		net int64
	}
	in := make([]o, orders)
	for i := range in {
		in[i] = o{ids[rng.IntN(customers)], base.Add(time.Duration(rng.IntN(900*24)) * time.Hour), int64(rng.IntN(50000))}
	}
	asOf := time.Date(2025, 6, 30, 0, 0, 0, 0, shanghai)
	b.ResetTimer()
	for b.Loop() {
		bl := NewBuilder(asOf, shanghai)
		for _, x := range in {
			bl.Add(x.id, x.at, x.net, true)
		}
		bl.Build()
	}
}
