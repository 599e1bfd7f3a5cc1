package analytics

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/orderfile"
)

// TestRFMCSVNeutralisesFormulas: a customer id is the shop's own data and
// goes into a file opened in a spreadsheet, so one that a spreadsheet
// would run comes out with a leading quote; a negative-looking number
// stays as it is.
func TestRFMCSVNeutralisesFormulas(t *testing.T) {
	ids := []string{"=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "-42"}
	var in strings.Builder
	w := csv.NewWriter(&in)
	w.Write([]string{"order_id", "order_date", "customer_id", "amount"})
	for i, id := range ids {
		w.Write([]string{"O" + string(rune('A'+i)), "2025-06-01", id, "10.00"})
	}
	w.Flush()
	r, err := orderfile.Open("generic", "formula.csv", strings.NewReader(in.String()), orderfile.Options{Location: shanghai})
	if err != nil {
		t.Fatal(err)
	}
	c, err := FromOrderfile(r, asOf(t, "2025-06-30"), shanghai)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteRFMCSV(&buf, c, RFM(c)); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, row := range rows[1:] {
		got[row[0]] = true
	}
	for _, id := range c.IDs { // as the reader kept them (it may trim spaces)
		want := id
		if id != "-42" && id != "" && strings.ContainsRune("=+-@\t\r", rune(id[0])) {
			want = "'" + id
		}
		if !got[want] {
			t.Errorf("customer %q: want %q in %v", id, want, got)
		}
	}
	for _, id := range []string{"=1+1", "+cmd", "-2+3", "@SUM(A1)"} {
		if !got["'"+id] {
			t.Errorf("customer %q not neutralised: %v", id, got)
		}
	}
}
