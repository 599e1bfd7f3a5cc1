package orderfile

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"testing"
	"unsafe"
)

// stdCSV returns an encoding/csv Reader over text set up as openCSV sets one
// up, the reference memCSV must match.
func stdCSV(text string) *csv.Reader {
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = false
	return cr
}

// diffMemCSV reads text with both memCSV and encoding/csv and describes the
// first difference in records, errors, field positions or input offsets, or
// returns "" if there is none. It also reports how many records it read.
func diffMemCSV(text string) (string, int) {
	want := stdCSV(text)
	got := newMemCSV(text)
	for n := 0; ; n++ {
		wrec, werr := want.Read()
		grec, gerr := got.Read()
		if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
			return fmt.Sprintf("read %d: error %v, want %v", n, gerr, werr), n
		}
		if (wrec == nil) != (grec == nil) || len(wrec) != len(grec) {
			return fmt.Sprintf("read %d: record %q, want %q", n, grec, wrec), n
		}
		for i := range wrec {
			if wrec[i] != grec[i] {
				return fmt.Sprintf("read %d: field %d = %q, want %q (record %q, want %q)", n, i, grec[i], wrec[i], grec, wrec), n
			}
		}
		if w, g := want.InputOffset(), got.InputOffset(); w != g {
			return fmt.Sprintf("read %d: InputOffset %d, want %d", n, g, w), n
		}
		for i := range wrec {
			wl, wc := want.FieldPos(i)
			gl, gc := got.FieldPos(i)
			if wl != gl || wc != gc {
				return fmt.Sprintf("read %d: FieldPos(%d) = %d:%d, want %d:%d (record %q)", n, i, gl, gc, wl, wc, wrec), n
			}
		}
		if werr == io.EOF {
			// A second Read at the end must say io.EOF again.
			wrec, werr = want.Read()
			grec, gerr = got.Read()
			if werr != gerr || wrec != nil || grec != nil {
				return fmt.Sprintf("read again at EOF: %q, %v; want %q, %v", grec, gerr, wrec, werr), n
			}
			if w, g := want.InputOffset(), got.InputOffset(); w != g {
				return fmt.Sprintf("read again at EOF: InputOffset %d, want %d", g, w), n
			}
			return "", n
		}
		if werr != nil {
			// Never happens with LazyQuotes; both must have stopped alike.
			return "", n
		}
	}
}

var memCSVCases = []struct {
	name string
	text string
}{
	{"empty", ""},
	{"newline", "\n"},
	{"crlf only", "\r\n"},
	{"cr only", "\r"},
	{"cr cr", "\r\r"},
	{"cr cr lf", "\r\r\n"},
	{"blank lines", "\n\n\na,b\n\n\nc,d\n\n"},
	{"blank crlf lines", "\r\n\r\na,b\r\n\r\n"},
	{"simple", "a,b,c\nd,e,f\n"},
	{"no final newline", "a,b,c\nd,e,f"},
	{"crlf", "a,b,c\r\nd,e,f\r\n"},
	{"trailing cr at EOF", "a,b\r"},
	{"two trailing cr at EOF", "a,b\r\r"},
	{"lone cr inside", "a\rb,c\r\rd\n"},
	{"cr before comma", "a\r,b\r\n"},
	{"empty fields", ",,\n,\n"},
	{"trailing comma", "a,\r\nb,"},
	{"quoted", `"a","b,c","d""e"` + "\n"},
	{"quoted empty", `"",""` + "\n" + `""`},
	{"quoted only quote", `""""` + "\n"},
	{"quoted ends line crlf", "\"a\"\r\nb\r\n"},
	{"quoted cr then lf", "\"a\"\r\r\nb\n"},
	{"quoted cr not lf", "\"a\"\rb\",c\n"},
	{"multiline", "\"a\nb\",c\nd\n"},
	{"multiline crlf", "\"a\r\nb\r\n\r\nc\",d\r\ne\r\n"},
	{"multiline blank lines", "\"\n\n\n\",x\n"},
	{"multiline lone cr", "\"a\rb\n\rc\",d\n"},
	{"quoted to EOF", "a,\"bc"},
	{"quoted to EOF newline", "a,\"bc\n"},
	{"quoted to EOF crlf", "a,\"bc\r\n"},
	{"quoted to EOF cr", "a,\"bc\r"},
	{"quoted to EOF newline cr", "a,\"bc\n\r"},
	{"quoted to EOF cr cr", "a,\"bc\r\r"},
	{"quote alone at EOF", "a,\""},
	{"quote alone at line end", "a,\"\nb\n"},
	{"bare quote unquoted", "a\"b,c\"\"d,e\"\n"},
	{"lazy quote in quoted", "\"a\"b,c\"\nd\n"},
	{"lazy quote runs lines", "\"a\"b\nc\"d\ne\",f\ng\n"},
	{"lazy quote before quote", "\"a\"\"\"b\",c\n"},
	{"doubled then end", "\"a\"\"\",b\n"},
	{"triple quote", "\"\"\"\n"},
	{"quote after comma inside", "\"a,\"\"b\"\",c\",d\n"},
	{"space before quote", "a, \"b,c\"\n"},
	{"quote after field text", "ab\"c\",d\n"},
	{"unicode", "订单,\"客户,张三\",¥12\n"},
	{"invalid utf8", "\xff,\"\xfe\",\"\xc0\"\"\n"},
	{"long unquoted line", strings.Repeat("x", 5000) + "," + strings.Repeat("y", 5000) + "\nz\n"},
	{"long quoted line", "\"" + strings.Repeat("x\"\"", 3000) + "\r\n" + strings.Repeat("y", 5000) + "\",z\r\nw\r\n"},
	{"long line crlf across buffer", strings.Repeat("x", 4095) + "\r\n" + strings.Repeat("y", 4094) + "\r\n"},
	{"many lines", strings.Repeat("a,\"b\nc\",d\r\n\n", 500)},
}

func TestMemCSV(t *testing.T) {
	for _, c := range memCSVCases {
		t.Run(c.name, func(t *testing.T) {
			if d, _ := diffMemCSV(c.text); d != "" {
				t.Errorf("%q: %s", c.text, d)
			}
		})
	}
}

func TestMemCSVRecords(t *testing.T) {
	text := "a,\"b,c\",\"d\"\"e\"\r\n\r\n\"f\r\ng\",h\"i,\"j\"k\",l\n\"m"
	m := newMemCSV(text)
	var got [][]string
	for {
		rec, err := m.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rec)
	}
	want := [][]string{{"a", "b,c", "d\"e"}, {"f\ng", "h\"i", "j\"k", "l"}, {"m"}}
	if d, _ := diffMemCSV(text); d != "" {
		t.Error(d)
	}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("records %q, want %q", got, want)
	}
	// Records are the caller's: appending to one leaves the next alone.
	got[0] = append(got[0], "x")
	if got[1][0] != "f\ng" {
		t.Errorf("append to record 0 changed record 1: %q", got[1])
	}
}

// TestMemCSVZeroCopy checks that fields that need no unescaping are
// substrings of the text, and that reading allocates far less than once per
// record when no field needs unescaping.
func TestMemCSVZeroCopy(t *testing.T) {
	text := strings.ReplaceAll(memCSVBenchText(1000), `""`, "'")
	lo := uintptr(unsafe.Pointer(unsafe.StringData(text)))
	hi := lo + uintptr(len(text))
	m := newMemCSV(text)
	rows := 0
	for {
		rec, err := m.Read()
		if err == io.EOF {
			break
		}
		rows++
		for i, f := range rec {
			if f == "" || strings.Contains(f, `"`) {
				continue
			}
			if p := uintptr(unsafe.Pointer(unsafe.StringData(f))); p < lo || p >= hi {
				t.Fatalf("row %d field %d %q is a copy", rows, i, f)
			}
		}
	}
	allocs := testing.AllocsPerRun(5, func() {
		m := newMemCSV(text)
		for {
			if _, err := m.Read(); err == io.EOF {
				break
			}
		}
	})
	if allocs > float64(rows)/20 {
		t.Errorf("%v allocations for %d rows", allocs, rows)
	}
}

func TestMemCSVFieldPosPanics(t *testing.T) {
	m := newMemCSV("a,b\n")
	if _, err := m.Read(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("FieldPos(2) did not panic")
		}
	}()
	m.FieldPos(2)
}

func FuzzMemCSV(f *testing.F) {
	for _, c := range memCSVCases {
		if len(c.text) < 1000 {
			f.Add([]byte(c.text))
		}
	}
	f.Add([]byte(memCSVBenchText(5)))
	f.Fuzz(func(t *testing.T, data []byte) {
		if d, _ := diffMemCSV(string(data)); d != "" {
			t.Errorf("%q: %s", data, d)
		}
	})
}

// memCSVBenchText returns a header and rows order rows of 11 columns, a few
// of them quoted with commas (and now and then a doubled quote).
func memCSVBenchText(rows int) string {
	var b strings.Builder
	b.WriteString("order_id,order_date,customer_id,customer_name,email,phone,address,sku,quantity,unit_price,note\n")
	for i := 0; i < rows; i++ {
		note := "ok"
		if i%10 == 0 {
			note = `"gift, wrap ""red"""`
		}
		fmt.Fprintf(&b, "ORD%07d,2025-%02d-%02d 10:%02d:00,CUST%05d,Customer %d,user%d@example.com,+86 138%08d,\"%d Nanjing Road, Shanghai\",SKU-%04d,%d,%d.%02d,%s\n",
			i, i%12+1, i%28+1, i%60, i%5000, i%5000, i%5000, i, i%900+1, i%1000, i%7+1, i%500, i%100, note)
	}
	return b.String()
}

const memCSVBenchRows = 100000

func BenchmarkMemCSV(b *testing.B) {
	text := memCSVBenchText(memCSVBenchRows)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		m := newMemCSV(text)
		n := 0
		for {
			if _, err := m.Read(); err != nil {
				break
			}
			n++
		}
		if n != memCSVBenchRows+1 {
			b.Fatalf("%d records", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(memCSVBenchRows+1), "ns/row")
}

func BenchmarkEncodingCSV(b *testing.B) {
	text := memCSVBenchText(memCSVBenchRows)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r := stdCSV(text)
		n := 0
		for {
			if _, err := r.Read(); err != nil {
				break
			}
			n++
		}
		if n != memCSVBenchRows+1 {
			b.Fatalf("%d records", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(memCSVBenchRows+1), "ns/row")
}
