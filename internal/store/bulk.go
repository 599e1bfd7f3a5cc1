package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// sqliteMaxVars is SQLite's default limit on bound parameters per statement.
const sqliteMaxVars = 32766

// Insert writes rows into table in bulk, inside the transaction: COPY on
// PostgreSQL, prepared multi-row INSERTs on SQLite. Every row must have
// len(cols) values. It is for new rows; a conflict fails the transaction.
func (tx *Tx) Insert(ctx context.Context, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if tx.db.Dialect == Postgres {
		if err := tx.copyFrom(ctx, table, cols, rows); err != nil {
			return fmt.Errorf("store: copy into %s: %w", table, MapError(err))
		}
		return nil
	}
	per := min(256, sqliteMaxVars/len(cols))
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	args := make([]any, 0, per*len(cols))
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args = args[:0]
		for _, r := range chunk {
			args = append(args, r...)
		}
		var err error
		if len(chunk) == per {
			if full == nil {
				if full, err = tx.tx.PrepareContext(ctx, insertSQL(table, cols, per)); err != nil {
					return fmt.Errorf("store: insert into %s: %w", table, err)
				}
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.tx.ExecContext(ctx, insertSQL(table, cols, len(chunk)), args...)
		}
		if err != nil {
			return fmt.Errorf("store: insert into %s: %w", table, MapError(err))
		}
	}
	return nil
}

func insertSQL(table string, cols []string, n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(table)
	b.WriteString(" (")
	b.WriteString(strings.Join(cols, ", "))
	b.WriteString(") VALUES ")
	one := "(" + In(len(cols)) + ")"
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(one)
	}
	return b.String()
}

// pgxRows adapts [][]any to pgx.CopyFromSource.
func pgxRows(rows [][]any) pgx.CopyFromSource { return pgx.CopyFromRows(rows) }
