package orderfile

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func FuzzGeneric(f *testing.F) {
	f.Add([]byte("order_id,order_date,customer_id,amount\nA,2025-01-01,c,1.00\n"))
	f.Add([]byte("order_id,order_date,customer_id,quantity,unit_price\nA,2025-01-01,c,3,0.165\nA,2025-01-01,c,-2,99999999999.999999\n"))
	fuzzFormat(f, "generic", "generic_*.csv")
}

func FuzzTaobao(f *testing.F) { fuzzFormat(f, "taobao", "taobao_*.csv") }

func FuzzShopify(f *testing.F) { fuzzFormat(f, "shopify", "shopify_*.csv") }

// fuzzFormat seeds f with the testdata files matching glob and checks that
// reading any input in format neither panics nor loops, and that every
// record it returns has an order id and a valid status.
func fuzzFormat(f *testing.F, format, glob string) {
	paths, err := filepath.Glob(filepath.Join("testdata", glob))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seed files for %s: %v", glob, err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Open(format, "fuzz.csv", bytes.NewReader(data), Options{Location: time.UTC})
		if err != nil {
			return
		}
		// Each Next consumes at least one line, so more results than lines
		// means the reader is stuck.
		limit := bytes.Count(data, []byte("\n")) + 2
		for range limit {
			rec, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				re, ok := AsRowError(err)
				if !ok {
					return // final
				}
				if re.File != "fuzz.csv" || re.Row < 1 {
					t.Fatalf("row error without a place: %v", re)
				}
				continue
			}
			if rec.OrderID == "" {
				t.Fatalf("record on row %d without an order id", rec.Row)
			}
			if !rec.Status.Valid() {
				t.Fatalf("order %q: invalid status %q", rec.OrderID, rec.Status)
			}
			if rec.Row < 2 {
				t.Fatalf("order %q on row %d", rec.OrderID, rec.Row)
			}
		}
		t.Fatalf("more than %d results from %d lines", limit, limit-2)
	})
}
