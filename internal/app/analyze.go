package app

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/analytics"
	"github.com/guanxi-crm/guanxi/internal/analytics/clv"
	"github.com/guanxi-crm/guanxi/internal/orderfile"
)

// AnalyzeConfig is what `guanxi analyze` was asked to do. Analysis reads an
// orders file alone: no database is opened.
type AnalyzeConfig struct {
	Orders string // orders file
	Format string // generic (default), taobao or shopify
	Map    string // generic format: column=header,…
	AsOf   string // YYYY-MM-DD: orders after this day are ignored
	// HoldoutEnd, for `analyze model`, turns as-of into the end of a
	// calibration period: the model is fitted on orders up to AsOf and its
	// predictions are compared with what customers bought up to HoldoutEnd.
	HoldoutEnd string
	Timezone   string // zone of the dates in the file and of day boundaries
	Out        string // output file; "-" or "" for standard output
}

// ordersFile is an orders file read into memory and what it is read as of.
type ordersFile struct {
	cfg   AnalyzeConfig
	data  []byte       // the whole file, mapped read-only where the system allows
	unmap func() error // releases data
	opt   orderfile.Options
	loc   *time.Location
	asOf  time.Time // midnight of the as-of date in loc
}

// openOrders checks the options and opens the orders file. The file is
// mapped into memory (on Unix; read whole elsewhere) so that its parts can be
// parsed on every core, read again when an order's rows turn out to be
// apart, and its text shared by the strings read from it rather than
// copied: on this kind of machine, fresh memory is what parsing a large
// file costs most.
func openOrders(cfg AnalyzeConfig) (*ordersFile, error) {
	if cfg.Orders == "" {
		return nil, guanxi.Errorf(guanxi.EINVALID, "--orders is required")
	}
	loc, err := time.LoadLocation(cmpOr(cfg.Timezone, "Asia/Shanghai"))
	if err != nil {
		return nil, guanxi.Errorf(guanxi.EINVALID, "--timezone %q is not known", cfg.Timezone)
	}
	asOf, err := time.ParseInLocation(time.DateOnly, cfg.AsOf, loc)
	if err != nil {
		return nil, guanxi.Errorf(guanxi.EINVALID, "--as-of %q: expected a date such as 2025-06-30", cfg.AsOf)
	}
	m, err := orderfile.ParseMap(cfg.Map)
	if err != nil {
		return nil, err
	}
	data, unmap, err := mapFile(cfg.Orders)
	if err != nil {
		return nil, guanxi.Errorf(guanxi.EINVALID, "%s: cannot read: %v", cfg.Orders, err)
	}
	return &ordersFile{cfg: cfg, data: data, unmap: unmap, opt: orderfile.Options{Location: loc, Map: m}, loc: loc, asOf: asOf}, nil
}

// Close releases the file's memory. Nothing read from it may be used after.
func (of *ordersFile) Close() error {
	of.data = nil
	return of.unmap()
}

// read feeds the file's orders to accumulators made by newAcc. A generic
// file read in parallel is parsed on every core and its customers are
// sharded, one accumulator per part, each holding all orders of its
// customers (so they combine by concatenation) in any date order;
// otherwise there is one. An
// order whose rows are apart in the file is joined first (DESIGN.md): when
// the parallel pass finds one, the file is read again, whole.
func read[A any](of *ordersFile, parallel bool, newAcc func(ordersHint int) (A, analytics.OrderFunc)) (accs []A, rejected int, err error) {
	defer func() {
		if err != nil {
			// An error may quote the file, whose memory is released when
			// the command ends: keep a copy of its text instead.
			err = guanxi.Errorf(guanxi.ErrorCode(err), "%s", err.Error())
		}
	}()
	format := cmpOr(of.cfg.Format, "generic")
	// Lines bound the orders from above; sizing for them up front spares
	// growing large slices and maps step by step.
	lines := bytes.Count(of.data, []byte{'\n'})
	if parallel && format == "generic" {
		opt := of.opt
		opt.ReuseRecords = true // ReadOrderParts takes what it needs from each at once
		parts, err := orderfile.OpenGenericParts(of.cfg.Orders, of.data, opt, runtime.GOMAXPROCS(0))
		if err != nil {
			return nil, 0, err
		}
		shards := len(parts)
		adds := make([]analytics.OrderFunc, shards)
		accs = make([]A, shards)
		for i := range shards {
			accs[i], adds[i] = newAcc(lines / shards)
		}
		rejected, apart, err := analytics.ReadOrderParts(parts, adds, lines)
		if err != nil || !apart {
			return accs, rejected, err
		}
	}
	rd, err := orderfile.Open(format, of.cfg.Orders, bytes.NewReader(of.data), of.opt)
	if err != nil {
		return nil, 0, err
	}
	acc, add := newAcc(lines)
	rejected, err = analytics.ReadOrdersJoined(rd, add)
	return []A{acc}, rejected, err
}

// buildCustomers builds the shards of a read into Customers.
func buildCustomers(bs []*analytics.Builder, rejected int) *analytics.Customers {
	c := analytics.BuildShards(bs)
	c.RejectedRows = rejected
	return c
}

// loadCustomers reads the orders file into per-customer summaries, whose
// ids share the file's memory: they are valid until of is closed.
func loadCustomers(of *ordersFile) (*analytics.Customers, error) {
	bs, rejected, err := read(of, true, func(orders int) (*analytics.Builder, analytics.OrderFunc) {
		b := analytics.NewBuilder(of.asOf, of.loc)
		b.Grow(orders, orders/4)
		return b, b.Add
	})
	if err != nil {
		return nil, err
	}
	return buildCustomers(bs, rejected), nil
}

// AnalyzeRFM writes every customer's recency, frequency, monetary value,
// R/F/M scores and both segment maps (DESIGN.md's RFM contract) to cfg.Out,
// and a summary line to out.
func AnalyzeRFM(cfg AnalyzeConfig, out io.Writer) error {
	start := time.Now()
	of, err := openOrders(cfg)
	if err != nil {
		return err
	}
	defer of.Close()
	c, err := loadCustomers(of)
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
	Calibration   *Calibration       `json:"calibration,omitempty"`
}

// Calibration compares a model's predictions for a holdout period with the
// purchases that happened, so a shop can see whether to trust it.
type Calibration struct {
	HoldoutEnd   string           `json:"holdout_end"`
	HoldoutWeeks float64          `json:"holdout_weeks"`
	Buckets      []CalibrationRow `json:"buckets"`
	// MAE is the mean absolute error per customer of predicted against
	// actual repeat purchase days in the holdout.
	MAE       float64 `json:"mae"`
	Predicted float64 `json:"predicted_total"`
	Actual    float64 `json:"actual_total"`
}

// CalibrationRow is one calibration-period frequency (repeat purchase days).
type CalibrationRow struct {
	Frequency string  `json:"frequency"` // "0" … "6", "7+"
	Customers int     `json:"customers"`
	Predicted float64 `json:"predicted"` // mean per customer
	Actual    float64 `json:"actual"`
}

// calibrate compares pm's predictions over the holdout with what the
// customers of the calibration period c bought by the holdout's end (h).
func calibrate(cfg AnalyzeConfig, c, h *analytics.Customers, pm clv.PurchaseModel) *Calibration {
	weeks := float64(h.AsOfDay-c.AsOfDay) / 7
	later := make(map[string]int, h.Len())
	for i, id := range h.IDs {
		later[id] = i
	}
	const top = 7
	rows := make([]CalibrationRow, top+1)
	cal := &Calibration{HoldoutEnd: cfg.HoldoutEnd, HoldoutWeeks: weeks}
	for i, id := range c.IDs {
		pred := pm.ExpectedPurchases(weeks, c.X[i], c.Tx[i], c.T[i])
		// Distinct purchase days up to the holdout end less those up to
		// the as-of date: the days bought on in the holdout.
		actual := float64(h.PurchaseDays[later[id]] - c.PurchaseDays[i])
		b := min(int(c.X[i]), top)
		rows[b].Customers++
		rows[b].Predicted += pred
		rows[b].Actual += actual
		cal.Predicted += pred
		cal.Actual += actual
		cal.MAE += math.Abs(pred - actual)
	}
	for b := range rows {
		rows[b].Frequency = strconv.Itoa(b)
		if b == top {
			rows[b].Frequency += "+"
		}
		if n := float64(rows[b].Customers); n > 0 {
			rows[b].Predicted /= n
			rows[b].Actual /= n
		}
	}
	cal.Buckets = rows
	if n := c.Len(); n > 0 {
		cal.MAE /= float64(n)
	}
	return cal
}

// loadCalibration reads the orders file once into the summaries as of the
// calibration end (cfg.AsOf) and as of the holdout end.
func loadCalibration(of *ordersFile, cfg AnalyzeConfig) (c, h *analytics.Customers, err error) {
	end, err := time.ParseInLocation(time.DateOnly, cfg.HoldoutEnd, of.loc)
	if err != nil {
		return nil, nil, guanxi.Errorf(guanxi.EINVALID, "--holdout-end %q: expected a date such as 2025-12-31", cfg.HoldoutEnd)
	}
	if !end.After(of.asOf) {
		return nil, nil, guanxi.Errorf(guanxi.EINVALID, "--holdout-end %s must be after --as-of %s", cfg.HoldoutEnd, cfg.AsOf)
	}
	type pair struct{ c, h *analytics.Builder }
	ps, rejected, err := read(of, true, func(orders int) (pair, analytics.OrderFunc) {
		p := pair{analytics.NewBuilder(of.asOf, of.loc), analytics.NewBuilder(end, of.loc)}
		p.c.Grow(orders, orders/2)
		p.h.Grow(orders, orders/2)
		return p, func(id string, at time.Time, net int64, purchase bool) {
			p.c.Add(id, at, net, purchase)
			p.h.Add(id, at, net, purchase)
		}
	})
	if err != nil {
		return nil, nil, err
	}
	cs, hs := make([]*analytics.Builder, len(ps)), make([]*analytics.Builder, len(ps))
	for i, p := range ps {
		cs[i], hs[i] = p.c, p.h
	}
	return buildCustomers(cs, rejected), buildCustomers(hs, rejected), nil
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
	of, err := openOrders(cfg)
	if err != nil {
		return err
	}
	defer of.Close()
	var c, h *analytics.Customers
	if cfg.HoldoutEnd != "" {
		c, h, err = loadCalibration(of, cfg)
	} else {
		c, err = loadCustomers(of)
	}
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
	var (
		bgnbd  clv.BGNBD
		pareto clv.ParetoNBD
	)
	switch model {
	case "bgnbd", "":
		res.Model = "bgnbd"
		if bgnbd, err = clv.FitBGNBD(d); err != nil {
			return err
		}
		m := bgnbd
		res.Params = map[string]float64{"r": m.R, "alpha": m.Alpha, "a": m.A, "b": m.B}
		res.LogLikelihood, res.Converged = m.LogLikelihood, m.Converged
	case "pareto":
		if pareto, err = clv.FitParetoNBD(d); err != nil {
			return err
		}
		m := pareto
		res.Params = map[string]float64{"r": m.R, "alpha": m.Alpha, "s": m.S, "beta": m.Beta}
		res.LogLikelihood, res.Converged = m.LogLikelihood, m.Converged
	default:
		return guanxi.Errorf(guanxi.EINVALID, "--model %q: use bgnbd or pareto", model)
	}
	// Spend: customers with a repeat purchase day, their mean spend per
	// repeat purchase day (the first day excluded), in major units.
	if cfg.HoldoutEnd != "" {
		var pm clv.PurchaseModel
		if res.Model == "pareto" {
			pm = pareto
		} else {
			pm = bgnbd
		}
		res.Calibration = calibrate(cfg, c, h, pm)
	}
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
		return jsonLine(out, res)
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
	if cal := res.Calibration; cal != nil {
		fmt.Fprintf(out, "holdout %s to %s (%.1f weeks): repeat purchase days per customer, predicted against actual\n", res.AsOf, cal.HoldoutEnd, cal.HoldoutWeeks)
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "frequency\tcustomers\tpredicted\tactual\t")
		for _, r := range cal.Buckets {
			fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t\n", r.Frequency, r.Customers, r.Predicted, r.Actual)
		}
		tw.Flush()
		fmt.Fprintf(out, "total predicted %.0f, actual %.0f; mean absolute error per customer %.3f\n", cal.Predicted, cal.Actual, cal.MAE)
	}
	return nil
}

// AnalyzeCohort writes the monthly acquisition cohorts × retention matrix
// (cohort,customers,m0,m1,…) to cfg.Out and a summary with the shop's
// repeat-purchase rate to out.
func AnalyzeCohort(cfg AnalyzeConfig, out io.Writer) error {
	start := time.Now()
	of, err := openOrders(cfg)
	if err != nil {
		return err
	}
	defer of.Close()
	bs, rejected, err := read(of, false, func(int) (*analytics.CohortBuilder, analytics.OrderFunc) {
		b := analytics.NewCohortBuilder(of.asOf, of.loc)
		return b, b.Add
	})
	if err != nil {
		return err
	}
	c := bs[0].Build()
	c.RejectedRows = rejected
	w, closeOut, err := openOut(cfg.Out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	err = analytics.WriteCohortCSV(bw, c)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("analyze cohort: %w", err)
	}
	if cfg.Out != "" && cfg.Out != "-" {
		_, err = fmt.Fprintf(out, "%s: %d cohorts, %d customers, repeat-purchase rate %.1f%% as of %s → %s (%.2fs)\n",
			cfg.Orders, len(c.Months), c.Customers(), 100*c.RepeatRate(), cfg.AsOf, cfg.Out, time.Since(start).Seconds())
	}
	return err
}
