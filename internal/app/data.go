package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/guanxi-crm/guanxi/internal/backup"
	"github.com/guanxi-crm/guanxi/internal/export"
)

// Export writes the shop's customers or orders to path (.csv or .xlsx).
func (a *App) Export(ctx context.Context, shopCode, what, path string, bom bool, out io.Writer) error {
	sh, err := a.Shop(ctx, shopCode)
	if err != nil {
		return err
	}
	start := time.Now()
	n, err := export.ToFile(ctx, a.DB, sh, what, path, bom)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s: %d %s of shop %s (%.1fs)\n", path, n, what, sh.Code, time.Since(start).Seconds())
	return err
}

// Backup writes a consistent archive of the whole database.
func (a *App) Backup(ctx context.Context, path string, out io.Writer) error {
	start := time.Now()
	m, err := backup.Backup(ctx, a.DB, path)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s: %d rows in %d tables, schema %d, from %s (%.1fs)\n", path, m.Rows(), len(m.Tables), m.SchemaVersion, m.Dialect, time.Since(start).Seconds())
	return err
}

// Restore loads an archive into the (empty) database and verifies it.
func (a *App) Restore(ctx context.Context, path string, out io.Writer) error {
	start := time.Now()
	m, err := backup.Restore(ctx, a.DB, path)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s: restored %d rows in %d tables into %s, counts and checksums verified (%.1fs)\n", path, m.Rows(), len(m.Tables), a.DB.Dialect, time.Since(start).Seconds())
	return err
}
