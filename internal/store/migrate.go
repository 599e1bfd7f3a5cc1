package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/guanxi-crm/guanxi/migrations"
	"github.com/pressly/goose/v3"
)

// migrate brings the schema up to date with the embedded migrations. It runs
// on the write connection, so on SQLite nothing else writes meanwhile.
func (db *DB) migrate(ctx context.Context) error {
	var (
		fsys    fs.FS
		dialect goose.Dialect
		err     error
	)
	switch db.Dialect {
	case Postgres:
		fsys, err = fs.Sub(migrations.Postgres, "postgres")
		dialect = goose.DialectPostgres
	default:
		fsys, err = fs.Sub(migrations.SQLite, "sqlite")
		dialect = goose.DialectSQLite3
	}
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	p, err := goose.NewProvider(dialect, db.write, fsys)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate %s: %w", db.Dialect, err)
	}
	return nil
}

// SchemaVersion returns the newest applied migration, for `guanxi version`
// and the health check.
func (db *DB) SchemaVersion(ctx context.Context) (int64, error) {
	var v sql.NullInt64
	err := db.QueryRow(ctx, `SELECT MAX(version_id) FROM goose_db_version WHERE is_applied`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return v.Int64, nil
}
