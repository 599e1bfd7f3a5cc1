package analytics

import (
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/orderfile"
)

// Rows of one order apart in a file are lines of that one order (DESIGN.md):
// the parallel pass says so, and the joined read counts the order once with
// the sum of its lines.
func TestOrderRowsApart(t *testing.T) {
	const data = `order_id,order_date,customer_id,sku,amount
A,2025-01-01,c1,S1,10.00
B,2025-01-02,c2,S1,5.00
A,2025-01-01,c1,S2,7.50
C,2025-01-03,c1,S3,-1.00
C,2025-01-03,c1,S4,2.00
`
	open := func() orderfile.Reader {
		r, err := orderfile.Open("generic", "f.csv", strings.NewReader(data), orderfile.Options{Location: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	asOf := time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	b := NewBuilder(asOf, time.UTC)
	if _, apart, err := ReadOrderParts([]orderfile.Reader{open()}, []OrderFunc{b.Add}, 0); err != nil || !apart {
		t.Fatalf("apart %v, %v; want the split order found", apart, err)
	}
	c, err := FromOrderfile(open(), asOf, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]int64{}
	for i, id := range c.IDs {
		got[id] = [2]int64{int64(c.Frequency[i]), c.Monetary[i]}
	}
	// c1: A (17.50) and C (1.00: its lines sum to a purchase); c2: B.
	if want := map[string][2]int64{"c1": {2, 1850}, "c2": {1, 500}}; len(got) != 2 || got["c1"] != want["c1"] || got["c2"] != want["c2"] {
		t.Errorf("got %v, want %v", got, want)
	}
}
