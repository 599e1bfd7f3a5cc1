package app

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/analytics"
	"github.com/guanxi-crm/guanxi/internal/analytics/clv"
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

// ModelResult is `analyze model --json`: DESIGN.md's model object.
type ModelResult struct {
	Model         string             `json:"model"`
	Unit          string             `json:"unit"`
	AsOf          string             `json:"as_of"`
	Customers     int                `json:"customers"`
	Params        map[string]float64 `json:"params"`
	LogLikelihood float64            `json:"log_likelihood"`
	Converged     bool               `json:"converged"`
	RepeatBuyers  int                `json:"repeat_buyers"`
	HistoryWeeks  float64            `json:"history_weeks"`
	Enough        bool               `json:"enough_data"`
	Advice        string             `json:"advice,omitempty"`
	Spend         *SpendResult       `json:"spend"`
}

// SpendResult is the Gamma-Gamma part of ModelResult, in major currency units.
type SpendResult struct {
	Model         string             `json:"model"`
	Customers     int                `json:"customers"`
	Params        map[string]float64 `json:"params"`
	LogLikelihood float64            `json:"log_likelihood"`
}

// AnalyzeModel fits BG/NBD ("bgnbd") or Pareto/NBD ("pareto") and the
// Gamma-Gamma spend model to the orders file and prints the result.
func AnalyzeModel(cfg AnalyzeConfig, model string, asJSON bool, out, warn io.Writer) error {
	c, _, err := loadCustomers(cfg)
	if err != nil {
		return err
	}
	d := clv.Data{X: c.X, Tx: c.Tx, T: c.T}
	suff := clv.Sufficiency(d)
	res := ModelResult{Model: model, Unit: "week", AsOf: cfg.AsOf, Customers: c.Len(), RepeatBuyers: suff.RepeatBuyers,
		HistoryWeeks: suff.HistoryWeeks, Enough: suff.Enough}
	if !suff.Enough {
		res.Advice = suff.Reason + "; rely on RFM and recency rules until the shop has more history"
	}
	switch model {
	case "bgnbd", "":
		res.Model = "bgnbd"
		m, err := clv.FitBGNBD(d)
		if err != nil {
			return err
		}
		res.Params = map[string]float64{"r": m.R, "alpha": m.Alpha, "a": m.A, "b": m.B}
		res.LogLikelihood, res.Converged = m.LogLikelihood, m.Converged
	case "pareto":
		m, err := clv.FitParetoNBD(d)
		if err != nil {
			return err
		}
		res.Params = map[string]float64{"r": m.R, "alpha": m.Alpha, "s": m.S, "beta": m.Beta}
		res.LogLikelihood, res.Converged = m.LogLikelihood, m.Converged
	default:
		return guanxi.Errorf(guanxi.EINVALID, "--model %q: use bgnbd or pareto", model)
	}
	// Spend: customers with a repeat purchase day, their mean spend per
	// repeat purchase day (the first day excluded), in major units.
	var sp clv.Spend
	for i, x := range c.X {
		if x >= 1 && c.MeanRepeatSpend[i] > 0 {
			sp.X = append(sp.X, x)
			sp.M = append(sp.M, c.MeanRepeatSpend[i]/100)
		}
	}
	if g, err := clv.FitGammaGamma(sp); err != nil {
		fmt.Fprintf(warn, "spend model not fitted: %v\n", err)
	} else {
		res.Spend = &SpendResult{Model: "gamma_gamma", Customers: g.Customers, LogLikelihood: g.LogLikelihood,
			Params: map[string]float64{"p": g.P, "q": g.Q, "gamma": g.Gamma}}
	}
	if asJSON {
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s\n", b)
		return err
	}
	fmt.Fprintf(out, "%s fitted on %d customers (%d repeat buyers, %.0f weeks of history) as of %s: ", res.Model, res.Customers, res.RepeatBuyers, res.HistoryWeeks, res.AsOf)
	for _, k := range slices.Sorted(maps.Keys(res.Params)) {
		fmt.Fprintf(out, "%s=%.4g ", k, res.Params[k])
	}
	fmt.Fprintf(out, "log-likelihood %.2f", res.LogLikelihood)
	if res.Spend != nil {
		fmt.Fprintf(out, "; gamma-gamma on %d: p=%.4g q=%.4g gamma=%.4g", res.Spend.Customers, res.Spend.Params["p"], res.Spend.Params["q"], res.Spend.Params["gamma"])
	}
	fmt.Fprintln(out)
	if res.Advice != "" {
		fmt.Fprintln(out, "note:", res.Advice)
	}
	return nil
}
