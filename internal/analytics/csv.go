package analytics

import (
	"encoding/csv"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/export"
)

// RFMHeader is the header of the `guanxi analyze rfm` CSV (DESIGN.md).
var RFMHeader = []string{"customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "segment_cn", "segment"}

// WriteRFMCSV writes one row per customer of c with its scores s (from RFM)
// under RFMHeader, sorted by customer_id (byte order): monetary with two
// decimals (1234.50), segment_cn the Chinese 8-class name and segment the
// English name of the 11-segment map. It returns the first write error.
func WriteRFMCSV(w io.Writer, c *Customers, s Scores) error {
	n := c.Len()
	if len(s.R) != n || len(s.F) != n || len(s.M) != n {
		return fmt.Errorf("analytics: write rfm: %d customers but %d/%d/%d scores", n, len(s.R), len(s.F), len(s.M))
	}
	cn := CNSegments(c)
	order := sortedByID(c.IDs)

	var hdr strings.Builder
	cw := csv.NewWriter(&hdr)
	_ = cw.Write(RFMHeader) // into memory: cannot fail
	cw.Flush()
	if _, err := io.WriteString(w, hdr.String()); err != nil {
		return fmt.Errorf("analytics: write rfm: %w", err)
	}
	// Rows are appended by hand — the numbers never need quoting, only the
	// customer id goes through the CSV quoting rule — and formatted in
	// chunks on every core, written in order.
	format := func(buf []byte, rows []int32) []byte {
		for _, i := range rows {
			buf = appendCSVField(buf, export.Neutralise(c.IDs[i])) // an id is the shop's data: never a formula
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, int64(c.RecencyDays[i]), 10)
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, int64(c.Frequency[i]), 10)
			buf = append(buf, ',')
			buf = append(buf, guanxi.Money(c.Monetary[i]).String()...)
			buf = append(buf, ',', '0'+byte(s.R[i]), ',', '0'+byte(s.F[i]), ',', '0'+byte(s.M[i]), ',')
			buf = appendCSVField(buf, cn[i].NameZH())
			buf = append(buf, ',')
			buf = appendCSVField(buf, SegmentOf(s.R[i], s.F[i], s.M[i]).NameEN())
			buf = append(buf, '\n')
		}
		return buf
	}
	if err := writeChunks(w, order, format); err != nil {
		return fmt.Errorf("analytics: write rfm: %w", err)
	}
	return nil
}

// writeChunks formats rows in chunks on every core with format and writes
// the chunks to w in order, with a few chunks in flight at a time so that
// memory stays bounded.
func writeChunks(w io.Writer, rows []int32, format func(buf []byte, rows []int32) []byte) error {
	const chunk = 1 << 14
	n := (len(rows) + chunk - 1) / chunk
	workers := runtime.GOMAXPROCS(0)
	done := make([]chan []byte, n)
	for k := range done {
		done[k] = make(chan []byte, 1)
	}
	free := make(chan []byte, 2*workers)
	slots := make(chan struct{}, 2*workers) // chunks formatted but not yet written
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for k := range n {
			select {
			case slots <- struct{}{}:
			case <-stop:
				return
			}
			var buf []byte
			select {
			case buf = <-free:
			default:
			}
			go func() { done[k] <- format(buf[:0], rows[k*chunk:min((k+1)*chunk, len(rows))]) }()
		}
	}()
	for k := range n {
		buf := <-done[k]
		if _, err := w.Write(buf); err != nil {
			return err
		}
		select {
		case free <- buf:
		default:
		}
		<-slots
	}
	return nil
}

// appendCSVField appends v as one CSV field, quoted the way encoding/csv
// quotes it: when it holds a comma, a quote, a line break or starts with a
// space (or is \.), with quotes doubled.
func appendCSVField(b []byte, v string) []byte {
	if !fieldNeedsQuotes(v) {
		return append(b, v...)
	}
	b = append(b, '"')
	for i := 0; i < len(v); i++ {
		if v[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, v[i])
	}
	return append(b, '"')
}

func fieldNeedsQuotes(v string) bool {
	if v == "" {
		return false
	}
	if v == `\.` || v[0] == ' ' || v[0] == '\t' {
		return true
	}
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	return false
}

// sortedByID returns the indexes of ids in byte order of the ids. It sorts
// (first 8 bytes, index) pairs, comparing whole strings only where the first
// 8 bytes tie: far fewer cache misses than comparing strings throughout.
func sortedByID(ids []string) []int32 {
	type key struct {
		prefix uint64
		i      int32
	}
	keys := make([]key, len(ids))
	for i, id := range ids {
		var p uint64
		for j := 0; j < 8; j++ {
			p <<= 8
			if j < len(id) {
				p |= uint64(id[j])
			}
		}
		keys[i] = key{p, int32(i)}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.prefix != b.prefix {
			if a.prefix < b.prefix {
				return -1
			}
			return 1
		}
		return strings.Compare(ids[a.i], ids[b.i])
	})
	order := make([]int32, len(ids))
	for i, k := range keys {
		order[i] = k.i
	}
	return order
}
