package orderfile

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// readParts reads every Record and row error of rs, one reader after another.
func readParts(t testing.TB, rs ...Reader) (recs []*Record, errs []string) {
	t.Helper()
	for _, r := range rs {
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				re, ok := AsRowError(err)
				if !ok {
					errs = append(errs, "final: "+err.Error())
					break
				}
				errs = append(errs, fmt.Sprintf("%d %s %s", re.Row, re.Column, re.Expected))
				continue
			}
			recs = append(recs, rec)
		}
	}
	return recs, errs
}

// samePartsAsWhole checks that reading data in parts gives what one reader
// gives, and returns the number of parts.
func samePartsAsWhole(t testing.TB, data []byte, n int) int {
	t.Helper()
	whole, err := Open("generic", "f.csv", bytes.NewReader(data), Options{Location: time.UTC})
	parts, perr := OpenGenericParts("f.csv", data, Options{Location: time.UTC}, n)
	if (err == nil) != (perr == nil) {
		t.Fatalf("open: whole %v, parts %v", err, perr)
	}
	if err != nil {
		return 0
	}
	wr, we := readParts(t, whole)
	pr, pe := readParts(t, parts...)
	if !reflect.DeepEqual(we, pe) {
		t.Fatalf("errors differ with %d parts:\nwhole %q\nparts %q", len(parts), we, pe)
	}
	if len(wr) != len(pr) {
		t.Fatalf("%d records whole, %d in %d parts", len(wr), len(pr), len(parts))
	}
	for i := range wr {
		if !reflect.DeepEqual(wr[i], pr[i]) {
			t.Fatalf("record %d differs with %d parts:\nwhole %+v\nparts %+v", i, len(parts), wr[i], pr[i])
		}
	}
	return len(parts)
}

// messyOrders writes a generic file of rows rows with multi-row orders,
// quoted fields holding commas, quotes and newlines, CRLF line ends, blank
// lines and a few bad rows.
func messyOrders(rows int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	var b strings.Builder
	b.WriteString("\ufefforder_id,order_date,customer_id,sku,quantity,unit_price,customer_name,\"note, free\"\r\n")
	names := []string{"王芳", `"Li, Wei"`, `"say ""hi"""`, "\"two\nlines\"", `"a"b"`, "plain", `x"y`, "\"\r\n\""}
	order := 0
	for i := 0; i < rows; {
		order++
		lines := 1 + rng.IntN(3)
		for l := 0; l < lines && i < rows; l++ {
			date := fmt.Sprintf("2025-%02d-%02d 10:00:00", 1+rng.IntN(12), 1+rng.IntN(28))
			if rng.IntN(200) == 0 {
				date = "not a date"
			}
			fmt.Fprintf(&b, "O%d,%s,C%d,S%d,%d,%d.%02d,%s,%s\r\n", order, date, rng.IntN(500), rng.IntN(50),
				1+rng.IntN(3), rng.IntN(300), rng.IntN(100), names[rng.IntN(len(names))], names[rng.IntN(len(names))])
			i++
			if rng.IntN(50) == 0 {
				b.WriteString("\r\n")
			}
		}
	}
	return []byte(b.String())
}

func TestOpenGenericPartsMatchesOneReader(t *testing.T) {
	old := minPartSize
	t.Cleanup(func() { minPartSize = old })
	for _, size := range []int{64, 1 << 10, 16 << 10} {
		minPartSize = size
		for seed := range uint64(5) {
			data := messyOrders(3000, seed)
			if got := samePartsAsWhole(t, data, 7); got < 2 {
				t.Fatalf("min part %d, seed %d: %d parts, want several", size, seed, got)
			}
		}
	}
}

// An order whose rows run past every cut point keeps all its rows in one
// part; the file then reads as fewer parts.
func TestOpenGenericPartsKeepsOrdersWhole(t *testing.T) {
	old := minPartSize
	t.Cleanup(func() { minPartSize = old })
	minPartSize = 256
	var b strings.Builder
	b.WriteString("order_id,order_date,customer_id,sku,amount\n")
	for i := range 2000 {
		fmt.Fprintf(&b, "BIG,2025-01-01,c1,S%d,1.00\n", i)
	}
	b.WriteString("LAST,2025-01-02,c2,S1,2.00\n")
	data := []byte(b.String())
	samePartsAsWhole(t, data, 4)
	parts, err := OpenGenericParts("f.csv", data, Options{Location: time.UTC}, 4)
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := readParts(t, parts...)
	if len(recs) != 2 || len(recs[0].Lines) != 2000 {
		t.Fatalf("got %d records, first with %d lines; want 2, 2000", len(recs), len(recs[0].Lines))
	}
}

// A small or GB18030 file is one part.
func TestOpenGenericPartsOnePart(t *testing.T) {
	data := messyOrders(100, 1)
	if n := samePartsAsWhole(t, data, 4); n != 1 {
		t.Fatalf("small file: %d parts", n)
	}
	old := minPartSize
	t.Cleanup(func() { minPartSize = old })
	minPartSize = 64
	gbk := []byte("order_id,order_date,customer_id,amount,customer_name\n")
	for i := range 200 {
		gbk = append(gbk, fmt.Sprintf("O%d,2025-01-01,c,1.00,", i)...)
		gbk = append(gbk, 0xcd, 0xf5, '\n') // 王 in GBK
	}
	if n := samePartsAsWhole(t, gbk, 4); n != 1 {
		t.Fatalf("GB18030 file: %d parts", n)
	}
}

func FuzzGenericParts(f *testing.F) {
	f.Add(messyOrders(40, 1), uint8(3))
	f.Add([]byte("order_id,order_date,customer_id,amount\nA,2025-01-01,c,1.00\nA,2025-01-01,c,2.00\nB,2025-01-02,\"c\nd\",3\n"), uint8(2))
	old := minPartSize
	f.Cleanup(func() { minPartSize = old })
	minPartSize = 16
	f.Fuzz(func(t *testing.T, data []byte, n uint8) {
		samePartsAsWhole(t, data, 1+int(n%8))
	})
}

// With ReuseRecords, each Record read and used at once is the one a reader
// without reuse returns.
func TestReuseRecords(t *testing.T) {
	data := messyOrders(2000, 3)
	plain, err := Open("generic", "f.csv", bytes.NewReader(data), Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	want, wantErrs := readParts(t, plain)
	reuse, err := Open("generic", "f.csv", bytes.NewReader(data), Options{Location: time.UTC, ReuseRecords: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []*Record
	var gotErrs []string
	seen := map[*Record]bool{}
	for {
		rec, err := reuse.Next()
		if err == io.EOF {
			break
		}
		if re, ok := AsRowError(err); ok {
			gotErrs = append(gotErrs, fmt.Sprintf("%d %s %s", re.Row, re.Column, re.Expected))
			continue
		}
		seen[rec] = true
		c := *rec
		c.Lines = append([]Line(nil), rec.Lines...)
		got = append(got, &c)
	}
	if len(seen) > 2 {
		t.Errorf("%d distinct Records, want 2 reused", len(seen))
	}
	if !reflect.DeepEqual(wantErrs, gotErrs) || len(want) != len(got) {
		t.Fatalf("errors %q vs %q, %d vs %d records", wantErrs, gotErrs, len(want), len(got))
	}
	for i := range want {
		if want[i].Lines == nil {
			want[i].Lines = []Line{}
		}
		if got[i].Lines == nil {
			got[i].Lines = []Line{}
		}
		if !reflect.DeepEqual(want[i], got[i]) {
			t.Fatalf("record %d:\n%+v\n%+v", i, want[i], got[i])
		}
	}
}
