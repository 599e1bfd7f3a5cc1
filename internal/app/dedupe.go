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
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/export"
)

// DedupeConfig is what `guanxi dedupe` was asked for.
type DedupeConfig struct {
	Shop     string
	MinScore float64 // 0–1; candidates below it are left out
	MergeAll bool    // merge every candidate at or above MinScore into its suggested survivor
	Format   string  // table (default), csv or json
}

// dedupeRow is one candidate as `guanxi dedupe` prints it.
type dedupeRow struct {
	Survivor int64     `json:"survivor_id"`
	Merged   int64     `json:"merged_id"`
	Score    float64   `json:"score"`
	Reasons  []string  `json:"reasons"`
	Names    [2]string `json:"names"`
	MergeID  int64     `json:"merge_id,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// Dedupe lists the shop's duplicate candidates, best first, or with
// MergeAll merges them (each pair in its own transaction, recorded with
// source "cli" and undoable from the customer's page) and lists what each
// did. It ends with a one-line summary on table output.
func (a *App) Dedupe(ctx context.Context, cfg DedupeConfig, out io.Writer) error {
	sh, err := a.Shop(ctx, cfg.Shop)
	if err != nil {
		return err
	}
	switch cfg.Format {
	case "", "table", "csv", "json":
	default:
		return guanxi.Errorf(guanxi.EINVALID, "--format %q: table, csv or json", cfg.Format)
	}
	if cfg.MinScore < 0 || cfg.MinScore > 1 {
		return guanxi.Errorf(guanxi.EINVALID, "--min-score %g: between 0 and 1", cfg.MinScore)
	}
	svc := customer.NewService(a.DB)
	p, err := svc.Duplicates(ctx, sh.ID, customer.DupeFilter{MinScore: cfg.MinScore, Limit: -1})
	if err != nil {
		return err
	}
	rows := make([]dedupeRow, len(p.Candidates))
	for i, c := range p.Candidates {
		r := dedupeRow{Survivor: c.A.ID, Merged: c.B.ID, Score: c.Score, Names: [2]string{c.A.Name, c.B.Name}}
		for _, reason := range c.Reasons {
			r.Reasons = append(r.Reasons, reason.Text())
		}
		rows[i] = r
	}
	merged, refused := 0, 0
	if cfg.MergeAll && len(rows) > 0 {
		reqs := make([]customer.MergeRequest, len(p.Candidates))
		for i, c := range p.Candidates {
			reqs[i] = customer.MergeRequest{SurvivorID: c.A.ID, MergedID: c.B.ID, SurvivorVersion: c.A.Version, MergedVersion: c.B.Version, Source: "cli"}
		}
		for i, res := range svc.MergeMany(ctx, sh.ID, reqs, a.Clock.Now()) {
			if res.Err != nil {
				rows[i].Error = guanxi.ErrorMessage(res.Err)
				refused++
				continue
			}
			rows[i].MergeID = res.MergeID
			merged++
		}
	}
	summary := fmt.Sprintf("shop %s: %d duplicate candidates with score ≥ %.2f (found in %.1fs)", sh.Code, len(rows), cfg.MinScore, p.Seconds)
	if cfg.MergeAll {
		summary += fmt.Sprintf("; merged %d, refused %d", merged, refused)
	}
	if p.SkippedBlocks > 0 {
		summary += fmt.Sprintf("; %d very common name or address groups not compared pairwise", p.SkippedBlocks)
	}
	header := []string{"survivor_id", "merged_id", "score", "survivor_name", "merged_name", "reasons"}
	if cfg.MergeAll {
		header = append(header, "merge_id", "error")
	}
	record := func(r dedupeRow) []string {
		rec := []string{strconv.FormatInt(r.Survivor, 10), strconv.FormatInt(r.Merged, 10), strconv.FormatFloat(r.Score, 'f', 3, 64),
			r.Names[0], r.Names[1], strings.Join(r.Reasons, "; ")}
		if cfg.MergeAll {
			id := ""
			if r.MergeID != 0 {
				id = strconv.FormatInt(r.MergeID, 10)
			}
			rec = append(rec, id, r.Error)
		}
		return rec
	}
	switch cfg.Format {
	case "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"shop": sh.Code, "min_score": cfg.MinScore, "candidates": rows, "merged": merged, "refused": refused,
			"skipped_blocks": p.SkippedBlocks})
	case "csv":
		w := csv.NewWriter(out)
		if err := w.Write(header); err != nil {
			return err
		}
		for _, r := range rows {
			// Names come from the shop's data: never a formula in a spreadsheet.
			if err := w.Write(export.NeutraliseRecord(record(r))); err != nil {
				return err
			}
		}
		w.Flush()
		return w.Error()
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(record(r), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, summary)
	return err
}
