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
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(c.IDs[a], c.IDs[b]) })

	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(RFMHeader); err != nil {
		return fmt.Errorf("analytics: write rfm: %w", err)
	}
	row := make([]string, len(RFMHeader))
	for _, i := range order {
		row[0] = c.IDs[i]
		row[1] = strconv.Itoa(int(c.RecencyDays[i]))
		row[2] = strconv.Itoa(int(c.Frequency[i]))
		row[3] = guanxi.Money(c.Monetary[i]).String()
		row[4] = strconv.Itoa(int(s.R[i]))
		row[5] = strconv.Itoa(int(s.F[i]))
		row[6] = strconv.Itoa(int(s.M[i]))
		row[7] = cn[i].NameZH()
		row[8] = SegmentOf(s.R[i], s.F[i], s.M[i]).NameEN()
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("analytics: write rfm: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("analytics: write rfm: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("analytics: write rfm: %w", err)
	}
	return nil
}
