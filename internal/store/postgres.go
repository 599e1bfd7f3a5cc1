package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	// pgx prepares every statement, and after five runs PostgreSQL may plan
	// it once for any arguments: for a name search that generic plan cannot
	// tell a surname shared by a million customers from a full name shared
	// by ten, and picks one plan for both. Planning each run costs well
	// under a millisecond here; a wrong plan costs hundreds.
	if _, ok := cfg.RuntimeParams["plan_cache_mode"]; !ok {
		cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(8)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to postgres: %w", err)
	}
	return &DB{Dialect: Postgres, read: db, write: db}, nil
}

// copyFrom bulk-loads rows with PostgreSQL's COPY on the transaction's own
// connection, so the rows are part of the transaction.
func (tx *Tx) copyFrom(ctx context.Context, table string, cols []string, rows [][]any) error {
	return tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: copy into %s: not a pgx connection", table)
		}
		_, err := c.Conn().CopyFrom(ctx, []string{table}, cols, pgxRows(rows))
		return err
	})
}
