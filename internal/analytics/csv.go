package analytics

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
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

	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(RFMHeader); err != nil {
		return fmt.Errorf("analytics: write rfm: %w", err)
	}
	cw.Flush()
	// Rows are appended by hand: the numbers never need quoting and the
	// segment names are fixed, so only the customer id goes through the
	// CSV quoting rule. This halves the time encoding/csv takes.
	var segEN [256]string
	var row []byte
	for _, i := range order {
		row = appendCSVField(row[:0], c.IDs[i])
		row = append(row, ',')
		row = strconv.AppendInt(row, int64(c.RecencyDays[i]), 10)
		row = append(row, ',')
		row = strconv.AppendInt(row, int64(c.Frequency[i]), 10)
		row = append(row, ',')
		row = append(row, guanxi.Money(c.Monetary[i]).String()...)
		row = append(row, ',', '0'+byte(s.R[i]), ',', '0'+byte(s.F[i]), ',', '0'+byte(s.M[i]), ',')
		row = appendCSVField(row, cn[i].NameZH())
		row = append(row, ',')
		seg := SegmentOf(s.R[i], s.F[i], s.M[i])
		if segEN[seg] == "" {
			segEN[seg] = seg.NameEN()
		}
		row = appendCSVField(row, segEN[seg])
		row = append(row, '\n')
		if _, err := bw.Write(row); err != nil {
			return fmt.Errorf("analytics: write rfm: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("analytics: write rfm: %w", err)
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
	return strings.ContainsAny(v, ",\"\r\n")
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
