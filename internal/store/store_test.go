package store_test

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
	"github.com/guanxi-crm/guanxi/migrations"
)

func TestRebind(t *testing.T) {
	db := &store.DB{Dialect: store.Postgres}
	got := db.Rebind(`SELECT * FROM t WHERE a = ? AND b = '?' AND c IN (?, ?)`)
	want := `SELECT * FROM t WHERE a = $1 AND b = '?' AND c IN ($2, $3)`
	if got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestEngines(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		v, err := db.SchemaVersion(ctx)
		if err != nil || v < 1 {
			t.Fatalf("schema version %d, %v", v, err)
		}
		var shopID int64
		err = db.Update(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `INSERT INTO shops (code, name, created_at) VALUES (?, ?, ?) RETURNING id`, "s1", "Shop", 1).Scan(&shopID)
		})
		if err != nil {
			t.Fatal(err)
		}
		// Counters hand out consecutive ranges.
		err = db.Update(ctx, func(tx *store.Tx) error {
			a, err := tx.NextIDs(ctx, shopID, "customers", 10)
			if err != nil {
				return err
			}
			b, err := tx.NextIDs(ctx, shopID, "customers", 5)
			if err != nil {
				return err
			}
			if a != 1 || b != 11 {
				t.Errorf("ranges start at %d and %d, want 1 and 11", a, b)
			}
			// Bulk insert, larger than one statement's worth of rows.
			rows := make([][]any, 1000)
			for i := range rows {
				rows[i] = []any{shopID, int64(i + 1), "名字", int64(1), int64(1)}
			}
			return tx.Insert(ctx, "customers", []string{"shop_id", "id", "name", "created_at", "updated_at"}, rows)
		})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM customers WHERE shop_id = ? AND name = ?`, shopID, "名字").Scan(&n); err != nil || n != 1000 {
			t.Fatalf("count %d, %v", n, err)
		}
		// A failed transaction leaves nothing behind, and a duplicate is a conflict.
		err = db.Update(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE customers SET name = 'x' WHERE shop_id = ?`, shopID); err != nil {
				return err
			}
			return tx.Insert(ctx, "customers", []string{"shop_id", "id", "name", "created_at", "updated_at"}, [][]any{{shopID, int64(1), "dup", int64(1), int64(1)}})
		})
		if guanxi.ErrorCode(err) != guanxi.ECONFLICT {
			t.Fatalf("duplicate insert: got %v (code %q), want a conflict", err, guanxi.ErrorCode(err))
		}
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM customers WHERE shop_id = ? AND name = 'x'`, shopID).Scan(&n); err != nil || n != 0 {
			t.Fatalf("rolled-back update is visible: %d, %v", n, err)
		}
		err = db.QueryRow(ctx, `SELECT id FROM customers WHERE shop_id = ? AND id = ?`, shopID, 999999).Scan(&n)
		if !errors.Is(err, sql.ErrNoRows) || guanxi.ErrorCode(store.MapError(err)) != guanxi.ENOTFOUND {
			t.Fatalf("missing row: %v", err)
		}
	})
}

// TestMigrationParity checks the two engines' schemas have the same files,
// tables and columns in the same order: one schema, two spellings.
func TestMigrationParity(t *testing.T) {
	lite, _ := fs.Glob(migrations.SQLite, "sqlite/*.sql")
	pg, _ := fs.Glob(migrations.Postgres, "postgres/*.sql")
	base := func(s []string) []string {
		out := make([]string, len(s))
		for i, p := range s {
			out[i] = p[strings.IndexByte(p, '/')+1:]
		}
		return out
	}
	if !slices.Equal(base(lite), base(pg)) || len(lite) == 0 {
		t.Fatalf("migration files differ: %v vs %v", lite, pg)
	}
	for i := range lite {
		a, _ := fs.ReadFile(migrations.SQLite, lite[i])
		b, _ := fs.ReadFile(migrations.Postgres, pg[i])
		if sa, sb := shape(string(a)), shape(string(b)); !slices.Equal(sa, sb) {
			t.Errorf("%s: tables/columns differ:\nsqlite:   %v\npostgres: %v", lite[i], sa, sb)
		}
	}
}

var (
	createRe = regexp.MustCompile(`(?i)CREATE TABLE (\w+)`)
	colRe    = regexp.MustCompile(`^\s+(\w+)\s+(?:INTEGER|BIGINT|TEXT|BOOLEAN|JSONB|REAL|DOUBLE)`)
	indexRe  = regexp.MustCompile(`(?i)CREATE (?:UNIQUE )?INDEX (\w+) ON (\w+) \(([^)]*)\)`)
	renameRe = regexp.MustCompile(`(?i)ALTER TABLE (\w+) RENAME TO (\w+)`)
)

// shape lists a migration's tables, columns and indexes. A table created
// only to be renamed over an existing one is SQLite's way to change a
// CHECK (PostgreSQL alters the constraint): it is left out, and the tests
// that write every column of the rebuilt table on both engines check it.
func shape(sql string) []string {
	rebuilt := map[string]bool{}
	for _, m := range renameRe.FindAllStringSubmatch(sql, -1) {
		rebuilt[m[1]] = true
	}
	var out []string
	skip := false
	for _, line := range strings.Split(sql, "\n") {
		if m := createRe.FindStringSubmatch(line); m != nil {
			if skip = rebuilt[m[1]]; !skip {
				out = append(out, "table "+m[1])
			}
		} else if strings.HasPrefix(line, ")") {
			skip = false
		} else if skip {
			continue
		} else if m := colRe.FindStringSubmatch(line); m != nil {
			out = append(out, m[1])
		} else if m := indexRe.FindStringSubmatch(line); m != nil {
			// PostgreSQL says where NULLs sort; SQLite puts them last in DESC anyway.
			out = append(out, "index "+m[1]+" "+m[2]+" "+strings.ReplaceAll(m[3], " NULLS LAST", ""))
		}
	}
	return out
}

// TestViewPlanned checks that PostgreSQL plans every statement of a planned
// view afresh, and only there.
func TestViewPlanned(t *testing.T) {
	db := storetest.Postgres(t)
	ctx := context.Background()
	for _, c := range []struct {
		view func(context.Context, func(*store.ReadTx) error) error
		want string
	}{{db.ViewPlanned, "force_custom_plan"}, {db.View, "auto"}} {
		var mode, workers string
		if err := c.view(ctx, func(tx *store.ReadTx) error {
			if err := tx.QueryRow(ctx, `SHOW plan_cache_mode`).Scan(&mode); err != nil {
				return err
			}
			return tx.QueryRow(ctx, `SHOW max_parallel_workers_per_gather`).Scan(&workers)
		}); err != nil {
			t.Fatal(err)
		}
		if mode != c.want || (c.want == "force_custom_plan") != (workers == "0") {
			t.Errorf("plan_cache_mode %q, max_parallel_workers_per_gather %s; want %q", mode, workers, c.want)
		}
	}
}
