package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/job"
	"github.com/guanxi-crm/guanxi/internal/privacy"
)

// Retention limits run as a daily "privacy" job of each shop at
// PrivacyHour (03:30 shop time, a quiet hour before the morning's work).

// PrivacyKind is the job kind applying a shop's retention limits.
const PrivacyKind = "privacy"

// PrivacyHour and PrivacyMinute are when, shop time, the job runs.
const (
	PrivacyHour   = 3
	PrivacyMinute = 30
)

// Privacy returns the personal-data service: consent history, export,
// erasure and retention.
func (a *App) Privacy() *privacy.Service { return privacy.NewService(a.DB, a.Clock) }

// privacyJob applies the shop's retention limits and, since failed sign-ins
// belong to no shop, purges those past the shortest limit too.
func (a *App) privacyJob(ctx context.Context, j *job.Job, progress func(string, float64)) (string, error) {
	p := a.Privacy()
	got, err := p.ApplyRetention(ctx, j.ShopID)
	if err != nil {
		return got.String(), err
	}
	n, err := p.PurgeSignInFailures(ctx)
	if err != nil {
		return got.String(), err
	}
	if n > 0 {
		got["sign_in_failures"] = n
	}
	a.Log.Info("retention applied", "shop", j.ShopID, "removed", got.String())
	return got.String(), nil
}

// PrivacyExport writes everything held on a customer to path: JSON, or a
// zip of CSV files for "csv".
func (a *App) PrivacyExport(ctx context.Context, shopCode string, id int64, format, path, reason string, out io.Writer) error {
	if format != "json" && format != "csv" {
		return guanxi.Errorf(guanxi.EINVALID, "--format: expected json or csv, got %q", format)
	}
	sh, err := a.Shop(ctx, shopCode)
	if err != nil {
		return err
	}
	e, err := a.Privacy().Export(ctx, sh.ID, sh.Code, id, format, reason)
	if err != nil {
		return err
	}
	// 0600: the file is one person's whole record.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("privacy export: %w", err)
	}
	if format == "json" {
		err = e.WriteJSON(f)
	} else {
		err = e.WriteZip(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return err
	}
	rows := 0
	for _, t := range e.Tables {
		rows += len(t.Rows)
	}
	fmt.Fprintf(out, "exported customer %d: %d rows from %d tables to %s\n", id, rows, len(e.Tables), filepath.Base(path))
	return nil
}

// PrivacyErase erases a customer's personal data.
func (a *App) PrivacyErase(ctx context.Context, shopCode string, id int64, reason string, out io.Writer) error {
	sh, err := a.Shop(ctx, shopCode)
	if err != nil {
		return err
	}
	res, err := a.Privacy().Erase(ctx, sh.ID, id, reason)
	if err != nil {
		return err
	}
	var parts []string
	for t, n := range res.Rows {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", t, n))
		}
	}
	sort.Strings(parts)
	fmt.Fprintf(out, "erased customer %d (%d records): %s\n", id, len(res.Customers), strings.Join(parts, ", "))
	return nil
}

// PrivacyRetention applies a shop's retention limits now.
func (a *App) PrivacyRetention(ctx context.Context, shopCode string, out io.Writer) error {
	sh, err := a.Shop(ctx, shopCode)
	if err != nil {
		return err
	}
	got, err := a.Privacy().ApplyRetention(ctx, sh.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "retention applied: %s\n", got)
	return nil
}
