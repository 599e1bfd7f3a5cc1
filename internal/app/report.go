package app

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/export"
	"github.com/guanxi-crm/guanxi/internal/report"
)

// ReportConfig is what `guanxi report` was asked for.
type ReportConfig struct {
	Shop   string
	Kind   string // cube, cohorts, rules, clusters, run
	Cube   report.CubeQuery
	Limit  int    // rules: how many
	Format string // table (default), csv or json
}

// Report prints one of the shop's reports.
func (a *App) Report(ctx context.Context, cfg ReportConfig, out io.Writer) error {
	sh, err := a.Shop(ctx, cfg.Shop)
	if err != nil {
		return err
	}
	var header []string
	var rows [][]string
	var value any
	note := "" // printed under a table
	switch cfg.Kind {
	case "cube":
		c, err := a.Reports.Cube(ctx, sh.ID, cfg.Cube)
		if err != nil {
			return err
		}
		value = c
		header = append(append([]string{}, c.By...), "orders", "revenue", "customers", "aov")
		for _, r := range append(c.Rows, c.Total) {
			keys := r.Keys
			if keys == nil { // the total
				keys = make([]string, len(c.By))
				if len(keys) > 0 {
					keys[0] = "TOTAL"
				}
			}
			rows = append(rows, append(append([]string{}, keys...), strconv.FormatInt(r.Orders, 10), r.Revenue.String(), strconv.FormatInt(r.Customers, 10), r.AOV.String()))
		}
		if c.Truncated {
			note = fmt.Sprintf("(only the %d groups with the most revenue are shown; see --limit)\n", len(c.Rows))
		}
	case "cohorts":
		cs, err := a.Reports.Cohorts(ctx, sh.ID)
		if err != nil {
			return err
		}
		value = cs
		header = []string{"cohort", "customers"}
		for k := range len(cs) {
			header = append(header, "m"+strconv.Itoa(k))
		}
		for _, c := range cs {
			row := []string{c.Cohort, strconv.FormatInt(c.Size, 10)}
			for _, r := range c.Retention {
				row = append(row, strconv.FormatFloat(r, 'f', 4, 64))
			}
			rows = append(rows, row)
		}
	case "rules":
		rs, err := a.Reports.Rules(ctx, sh.ID, cfg.Limit)
		if err != nil {
			return err
		}
		value = rs
		header = []string{"rule", "if bought", "then", "orders", "support", "confidence", "lift"}
		for _, r := range rs {
			var names []string
			for _, p := range r.Antecedent {
				names = append(names, productLabel(p))
			}
			rows = append(rows, []string{strconv.FormatInt(r.No, 10), strings.Join(names, " + "), productLabel(r.Consequent),
				strconv.FormatInt(r.Baskets, 10), strconv.FormatFloat(r.Support, 'f', 4, 64), strconv.FormatFloat(r.Confidence, 'f', 4, 64), strconv.FormatFloat(r.Lift, 'f', 2, 64)})
		}
	case "clusters":
		cs, err := a.Reports.Clusters(ctx, sh.ID)
		if err != nil {
			return err
		}
		value = cs
		header = []string{"cluster", "customers", "recency_days", "frequency", "monetary", "label_zh", "label_en"}
		for _, c := range cs {
			rows = append(rows, []string{strconv.FormatInt(c.Cluster, 10), strconv.FormatInt(c.Customers, 10),
				strconv.FormatFloat(c.Recency, 'f', 1, 64), strconv.FormatFloat(c.Frequency, 'f', 2, 64), strconv.FormatFloat(c.Monetary, 'f', 2, 64), c.LabelZH, c.LabelEN})
		}
	case "run":
		r, err := a.Reports.LatestRun(ctx, sh.ID)
		if err != nil {
			return err
		}
		value = r
		header = []string{"as_of", "customers", "model", "repeat_rate", "clusters", "baskets", "seconds", "note"}
		rows = [][]string{{r.AsOf, strconv.FormatInt(r.Customers, 10), r.Model, strconv.FormatFloat(r.RepeatRate, 'f', 4, 64),
			strconv.FormatInt(r.Clusters, 10), strconv.FormatInt(r.Baskets, 10), strconv.FormatFloat(r.Seconds, 'f', 1, 64), r.Note}}
	default:
		return guanxi.Errorf(guanxi.EINVALID, "unknown report %q (cube, cohorts, rules, clusters or run)", cfg.Kind)
	}
	switch cfg.Format {
	case "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(value)
	case "csv":
		w := csv.NewWriter(out)
		if err := w.Write(header); err != nil {
			return err
		}
		for _, r := range rows {
			// Product names and labels come from the shop's data: a
			// spreadsheet must not run them as formulas.
			export.NeutraliseRecord(r)
		}
		if err := w.WriteAll(rows); err != nil {
			return err
		}
		return w.Error()
	case "table", "":
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(header, "\t"))
		for _, r := range rows {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err := io.WriteString(out, note)
		return err
	}
	return guanxi.Errorf(guanxi.EINVALID, "--format %q: table, csv or json", cfg.Format)
}

func productLabel(p report.Product) string {
	if p.Name != "" {
		return p.Name + " (" + p.SKU + ")"
	}
	if p.SKU != "" {
		return p.SKU
	}
	return "#" + strconv.FormatInt(p.ID, 10)
}
