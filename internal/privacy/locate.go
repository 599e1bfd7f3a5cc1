package privacy

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/guanxi-crm/guanxi/internal/store"
)

// Place is where Locate found a value: a column of a table, and how many
// rows hold it.
type Place struct {
	Table, Column, Value string
	Rows                 int64
}

func (p Place) String() string {
	return fmt.Sprintf("%s.%s holds %q in %d rows", p.Table, p.Column, p.Value, p.Rows)
}

// Locate searches every text, JSON and binary column of every table, as
// the engine's catalogue lists them (so a table added later is searched
// too), for each value as a substring. It answers "where is this person's
// data still held?" after an erasure, and proves that phones and e-mails
// are held nowhere in the clear. It reads every row: for checks and tests,
// not for pages. columns is how many columns were searched.
func Locate(ctx context.Context, db *store.DB, values []string) (found []Place, columns int, err error) {
	cat, names, err := catalogue(ctx, db, db.Dialect)
	if err != nil {
		return nil, 0, err
	}
	for _, table := range names {
		for _, c := range cat[table] {
			var expr string
			switch {
			case c.kind == colBlob && db.Dialect == store.Postgres:
				expr = "position(convert_to(?, 'UTF8') in " + c.name + ") > 0"
			case c.kind == colBlob:
				expr = "instr(" + c.name + ", CAST(? AS BLOB)) > 0"
			case c.kind == colOther:
				continue
			case db.Dialect == store.Postgres:
				expr = "strpos(CAST(" + c.name + " AS TEXT), ?) > 0"
			default:
				expr = "instr(" + c.name + ", ?) > 0"
			}
			columns++
			// One pass over the column for all values first: nearly
			// always none is there, and then one scan is all it costs.
			hit, err := anyIn(ctx, db, table, expr, values)
			if err != nil {
				return nil, columns, fmt.Errorf("privacy: locate in %s.%s: %w", table, c.name, err)
			}
			if !hit {
				continue
			}
			for _, v := range values {
				var n int64
				if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM "+table+" WHERE "+expr, v).Scan(&n); err != nil {
					return nil, columns, fmt.Errorf("privacy: locate in %s.%s: %w", table, c.name, err)
				}
				if n > 0 {
					found = append(found, Place{Table: table, Column: c.name, Value: v, Rows: n})
				}
			}
		}
	}
	return found, columns, nil
}

// anyIn reports whether a row of table matches expr for one of values,
// asking for at most 500 values at once (engines bound a query's
// parameters).
func anyIn(ctx context.Context, db *store.DB, table, expr string, values []string) (bool, error) {
	for part := range slices.Chunk(values, 500) {
		var n int64
		err := db.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM "+table+" WHERE "+
			strings.Repeat("("+expr+") OR ", len(part)-1)+"("+expr+") LIMIT 1) m", anys(part)...).Scan(&n)
		if err != nil || n > 0 {
			return n > 0, err
		}
	}
	return false, nil
}
