package app

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/analytics"
	"github.com/guanxi-crm/guanxi/internal/orderfile"
)

// AnalyzeConfig is what `guanxi analyze` was asked to do. Analysis reads an
// orders file alone: no database is opened.
type AnalyzeConfig struct {
	Orders   string // orders file
	Format   string // generic (default), taobao or shopify
	Map      string // generic format: column=header,…
	AsOf     string // YYYY-MM-DD: orders after this day are ignored
	Timezone string // zone of the dates in the file and of day boundaries
	Out      string // output file; "-" or "" for standard output
}

// loadCustomers reads the orders file into per-customer summaries.
func loadCustomers(cfg AnalyzeConfig) (*analytics.Customers, *time.Location, error) {
	if cfg.Orders == "" {
		return nil, nil, guanxi.Errorf(guanxi.EINVALID, "--orders is required")
	}
	loc, err := time.LoadLocation(cmpOr(cfg.Timezone, "Asia/Shanghai"))
	if err != nil {
		return nil, nil, guanxi.Errorf(guanxi.EINVALID, "--timezone %q is not known", cfg.Timezone)
	}
	asOf, err := time.ParseInLocation(time.DateOnly, cfg.AsOf, loc)
	if err != nil {
		return nil, nil, guanxi.Errorf(guanxi.EINVALID, "--as-of %q: expected a date such as 2025-06-30", cfg.AsOf)
	}
	m, err := orderfile.ParseMap(cfg.Map)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(cfg.Orders)
	if err != nil {
		return nil, nil, guanxi.Errorf(guanxi.EINVALID, "%s: cannot open: %v", cfg.Orders, err)
	}
	defer f.Close()
	rd, err := orderfile.Open(cmpOr(cfg.Format, "generic"), cfg.Orders, bufio.NewReaderSize(f, 1<<20), orderfile.Options{Location: loc, Map: m})
	if err != nil {
		return nil, nil, err
	}
	c, err := analytics.FromOrderfile(rd, asOf, loc)
	if err != nil {
		return nil, nil, err
	}
	return c, loc, nil
}

// AnalyzeRFM writes every customer's recency, frequency, monetary value,
// R/F/M scores and both segment maps (DESIGN.md's RFM contract) to cfg.Out,
// and a summary line to out.
func AnalyzeRFM(cfg AnalyzeConfig, out io.Writer) error {
	start := time.Now()
	c, _, err := loadCustomers(cfg)
	if err != nil {
		return err
	}
	w, closeOut, err := openOut(cfg.Out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := analytics.WriteRFMCSV(bw, c, analytics.RFM(c)); err != nil {
		closeOut()
		return fmt.Errorf("analyze rfm: %w", err)
	}
	if err := bw.Flush(); err != nil {
		closeOut()
		return fmt.Errorf("analyze rfm: %w", err)
	}
	if err := closeOut(); err != nil {
		return fmt.Errorf("analyze rfm: %w", err)
	}
	skipped := ""
	if c.RejectedRows > 0 {
		skipped = fmt.Sprintf(", %d unreadable rows skipped", c.RejectedRows)
	}
	if cfg.Out != "" && cfg.Out != "-" {
		_, err = fmt.Fprintf(out, "%s: %d customers scored as of %s → %s%s (%.2fs)\n", cfg.Orders, c.Len(), cfg.AsOf, cfg.Out, skipped, time.Since(start).Seconds())
	}
	return err
}

// openOut opens path for writing, or standard output for "" and "-".
func openOut(path string) (io.Writer, func() error, error) {
	if path == "" || path == "-" {
		return os.Stdout, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, guanxi.Errorf(guanxi.EINVALID, "%s: cannot create: %v", path, err)
	}
	return f, f.Close, nil
}
