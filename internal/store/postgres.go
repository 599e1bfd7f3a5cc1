package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5/stdlib"
)

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
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
