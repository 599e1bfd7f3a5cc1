package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/orderfile"
	"github.com/guanxi-crm/guanxi/internal/shop"
)

// ImportConfig is what `guanxi import` was asked to do.
type ImportConfig struct {
	Shop     string
	ShopName string // for a shop that does not exist yet
	Currency string
	Timezone string
	Format   string
	Map      string // --map column=header,…
	SkipBad  bool
	Rejects  string // rejects file for a single input
	JSON     bool
	Files    []string
	Progress io.Writer // where the progress bar goes; nil for none
}

// Import imports each file into the shop, creating the shop when it does not
// exist yet, and writes one summary line per file to out. It stops at the
// first file that fails; files before it stay imported.
func (a *App) Import(ctx context.Context, cfg ImportConfig, out io.Writer) error {
	if cfg.Shop == "" {
		return fmt.Errorf("--shop is required")
	}
	if len(cfg.Files) == 0 {
		return fmt.Errorf("no file to import")
	}
	if cfg.Rejects != "" && len(cfg.Files) > 1 {
		return fmt.Errorf("--rejects names one file; with several inputs each gets FILE.rejected.csv")
	}
	m, err := orderfile.ParseMap(cfg.Map)
	if err != nil {
		return err
	}
	if len(m) > 0 && cfg.Format != "generic" && cfg.Format != "" {
		return fmt.Errorf("--map applies to the generic format only")
	}
	sh, created, err := a.Shops.Ensure(ctx, shop.Shop{Code: cfg.Shop, Name: cfg.ShopName, Currency: cfg.Currency, Timezone: cfg.Timezone})
	if err != nil {
		return err
	}
	if created {
		a.Log.Info("created shop", "code", sh.Code, "currency", sh.Currency, "timezone", sh.Timezone)
	}
	for _, f := range cfg.Files {
		opt := importer.Options{Format: cmpOr(cfg.Format, "generic"), Map: m, SkipBad: cfg.SkipBad, RejectsPath: cfg.Rejects}
		var bar *progressBar
		if cfg.Progress != nil {
			bar = &progressBar{w: cfg.Progress, name: f}
			opt.Progress = bar.update
		}
		sum, err := a.Importer.ImportFile(ctx, sh, f, opt)
		bar.clear()
		if err != nil {
			return err
		}
		if err := writeSummary(out, sum, cfg.JSON); err != nil {
			return err
		}
	}
	return a.afterImport(ctx, sh)
}

func writeSummary(out io.Writer, s importer.Summary, asJSON bool) error {
	if asJSON {
		return jsonLine(out, s)
	}
	rate := ""
	if s.Seconds > 0 {
		rate = fmt.Sprintf(", %.0f rows/s", float64(s.Rows)/s.Seconds)
	}
	rej := ""
	if s.RejectsFile != "" {
		rej = " → " + s.RejectsFile
	}
	_, err := fmt.Fprintf(out, "%s: %d rows, orders %d created / %d updated / %d unchanged, customers %d created / %d merged, %d rejected%s (%.1fs%s)\n",
		s.File, s.Rows, s.OrdersCreated, s.OrdersUpdated, s.OrdersUnchanged, s.CustomersCreated, s.CustomersMerged, s.Rejected, rej, s.Seconds, rate)
	return err
}

// progressBar draws one self-overwriting line on a terminal.
type progressBar struct {
	w     io.Writer
	name  string
	drawn bool
}

func (b *progressBar) update(p importer.Progress) {
	if p.Done {
		return
	}
	rate := 0.0
	if s := p.Elapsed.Seconds(); s > 0 {
		rate = float64(p.Rows) / s
	}
	line := fmt.Sprintf("%s  %s rows  %s rows/s", b.name, thousands(p.Rows), thousands(int(rate)))
	if p.Total > 0 && p.Bytes > 0 {
		frac := float64(p.Bytes) / float64(p.Total)
		const width = 24
		n := int(frac * width)
		eta := time.Duration(float64(p.Elapsed) * (1 - frac) / frac).Round(time.Second)
		line = fmt.Sprintf("%s [%s%s] %3.0f%%  %s rows  %s rows/s  ETA %s", b.name, strings.Repeat("█", n), strings.Repeat("·", width-n),
			frac*100, thousands(p.Rows), thousands(int(rate)), eta)
	}
	fmt.Fprintf(b.w, "\r\033[K%s", line)
	b.drawn = true
}

func (b *progressBar) clear() {
	if b != nil && b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
	}
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
