package backup_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/backup"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestBackupUnderWrites takes backups while writers keep importing orders
// (new and updated, customers merged), editing customers and opening,
// re-prioritising and annotating tickets. For each backup it proves:
//
//   - the backup is one snapshot: the checksums of every table, computed
//     inside the backup's read transaction before it reads anything, equal
//     the manifest's, although writers committed in between (the test
//     waits for some);
//   - the restored copy equals that snapshot, table by table;
//   - the restored copy is consistent: foreign keys hold, every order's
//     customer exists, stats equal a recomputation from the orders, ticket
//     events belong to existing tickets, and the invariants the writers
//     keep across tables in one transaction (an edited customer's version
//     and its edit events, a ticket's version and its priority events, the
//     orders and the import runs that created them) hold.
func TestBackupUnderWrites(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		busy, desk := newShop(t, db, "busy"), newShop(t, db, "desk")
		dir := t.TempDir()
		importFiles(t, db, busy, generate(t, dir, 0, 300))
		importFiles(t, db, desk, "testdata/orders.csv")
		customers := customer.NewService(db)
		tickets := service.NewService(db, clock)
		// The desk shop's customers and their versions before any edit.
		base := map[int64]int64{}
		rows, err := db.Query(ctx, `SELECT id, version FROM customers WHERE shop_id = ? AND merged_into IS NULL ORDER BY id`, desk.ID)
		if err != nil {
			t.Fatal(err)
		}
		var custIDs []int64
		for rows.Next() {
			var id, v int64
			if err := rows.Scan(&id, &v); err != nil {
				t.Fatal(err)
			}
			base[id] = v
			custIDs = append(custIDs, id)
		}
		rows.Close()
		if len(custIDs) < 2 {
			t.Fatalf("%d customers in the desk shop", len(custIDs))
		}

		var writes atomic.Int64
		done := make(chan struct{})
		var wg sync.WaitGroup
		stopped := func() bool {
			select {
			case <-done:
				return true
			default:
				return false
			}
		}
		fail := func(what string, err error) {
			// Conflicts between the two editors are expected; anything
			// else is not.
			if c := guanxi.ErrorCode(err); c != guanxi.ECONFLICT {
				t.Errorf("%s beside the backup: %v", what, err)
			}
		}
		// Imports: new orders of recurring customers, re-imports (updates).
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := importer.NewService(db, clock, slog.New(slog.DiscardHandler))
			for i := 1; !stopped(); i++ {
				f := generate(t, dir, i, 100)
				if i%3 == 0 {
					f = filepath.Join(dir, fmt.Sprintf("gen%d.csv", i/3))
				}
				if _, err := svc.ImportFile(ctx, busy, f, importer.Options{Format: "generic"}); err != nil {
					fail("import", err)
					return
				}
				writes.Add(1)
			}
		}()
		// Two customer editors: the city counts the edits.
		for g := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rnd := rand.New(rand.NewPCG(uint64(g), 1))
				for !stopped() {
					id := custIDs[rnd.IntN(len(custIDs))]
					c, err := customers.Get(ctx, desk.ID, id)
					if err != nil {
						fail("read customer", err)
						return
					}
					n, _ := strconv.Atoi(c.City)
					e := customer.Edit{Name: c.Name, Gender: c.Gender, Birthday: c.Birthday, Province: c.Province, City: strconv.Itoa(n + 1), Tags: c.Tags}
					if _, err := customers.Update(ctx, desk.ID, id, c.Version, e, 0, clock.Now()); err != nil {
						fail("edit customer", err)
						continue
					}
					writes.Add(1)
				}
			}()
		}
		// A ticket desk: open, re-prioritise, annotate.
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(9, 9))
			var ids []int64
			for i := 0; !stopped(); i++ {
				switch p := rnd.IntN(10); {
				case p < 2 || len(ids) == 0:
					tk := &service.Ticket{Kind: "consultation", Subject: fmt.Sprintf("工单 %d", i), CustomerID: custIDs[rnd.IntN(len(custIDs))], Priority: "normal", Channel: "phone"}
					if err := tickets.Create(ctx, desk.ID, tk); err != nil {
						fail("open ticket", err)
						return
					}
					ids = append(ids, tk.ID)
				case p < 7:
					id := ids[rnd.IntN(len(ids))]
					tk, err := tickets.Get(ctx, desk.ID, id)
					if err != nil {
						fail("read ticket", err)
						return
					}
					to := service.Priorities[rnd.IntN(len(service.Priorities))]
					if to == tk.Priority {
						continue
					}
					if _, err := tickets.SetPriority(ctx, desk.ID, id, tk.Version, to); err != nil {
						fail("prioritise ticket", err)
						return
					}
				default:
					if err := tickets.AddNote(ctx, desk.ID, ids[rnd.IntN(len(ids))], fmt.Sprintf("备注 %d\n\"引号\"", i)); err != nil {
						fail("note", err)
						return
					}
				}
				writes.Add(1)
			}
		}()

		type taken struct {
			path   string
			m      backup.Manifest
			sums   map[string]string
			during int64 // writes committed between the snapshot and the backup's reads
		}
		var backups []taken
		for i := range 3 {
			time.Sleep(200 * time.Millisecond)
			b := taken{path: filepath.Join(dir, fmt.Sprintf("b%d.tar.gz", i))}
			b.m, err = backup.BackupWith(ctx, db, b.path, backup.Options{InSnapshot: func(_ context.Context, tx *store.ReadTx) error {
				var err error
				if b.sums, err = backup.Checksums(ctx, tx, db.Dialect); err != nil {
					return err
				}
				// Let the writers commit before the backup reads a row.
				before := writes.Load()
				for deadline := time.Now().Add(5 * time.Second); writes.Load() < before+3 && time.Now().Before(deadline); {
					time.Sleep(10 * time.Millisecond)
				}
				b.during = writes.Load() - before
				return nil
			}})
			if err != nil {
				close(done)
				wg.Wait()
				t.Fatal(err)
			}
			backups = append(backups, b)
		}
		close(done)
		wg.Wait()
		t.Logf("%s: %d writes committed beside 3 backups", db.Dialect, writes.Load())

		for _, b := range backups {
			name := filepath.Base(b.path)
			if b.during == 0 {
				t.Errorf("%s: no write committed while the backup held its snapshot: the test proves nothing", name)
			}
			manifest := map[string]string{}
			for _, tb := range b.m.Tables {
				manifest[tb.Name] = tb.SHA256
			}
			if !reflect.DeepEqual(manifest, b.sums) {
				t.Errorf("%s: the backup is not the snapshot it started with (%d writes in between): %s", name, b.during, diffSums(b.sums, manifest))
			}
			target := same(t, db.Dialect)
			if _, err := backup.Restore(ctx, target, b.path); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var restored map[string]string
			if err := target.View(ctx, func(tx *store.ReadTx) error {
				var err error
				restored, err = backup.Checksums(ctx, tx, target.Dialect)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(restored, b.sums) {
				t.Errorf("%s: the restored copy differs from the source's snapshot: %s", name, diffSums(b.sums, restored))
			}
			assertConsistent(t, target, name, base)
		}
	})
}

// diffSums names the tables whose checksums differ.
func diffSums(want, got map[string]string) string {
	var out []string
	for name, w := range want {
		if got[name] != w {
			out = append(out, name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			out = append(out, name+" (extra)")
		}
	}
	return fmt.Sprint("tables ", out)
}

// assertConsistent checks a restored database's integrity.
func assertConsistent(t *testing.T, db *store.DB, name string, base map[int64]int64) {
	t.Helper()
	for _, v := range foreignKeyViolations(t, db) {
		t.Errorf("%s: foreign key broken: %s", name, v)
	}
	for _, c := range []struct{ what, q string }{
		{"orders whose customer is missing", `SELECT COUNT(*) FROM orders o WHERE o.customer_id IS NOT NULL
AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.shop_id = o.shop_id AND c.id = o.customer_id)`},
		{"ticket events of missing tickets", `SELECT COUNT(*) FROM ticket_events e WHERE NOT EXISTS (SELECT 1 FROM tickets k WHERE k.shop_id = e.shop_id AND k.id = e.ticket_id)`},
		{"stats of missing customers", `SELECT COUNT(*) FROM customer_stats s WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.shop_id = s.shop_id AND c.id = s.customer_id)`},
		// One transaction bumps a ticket's version and records its
		// priority event; a torn read would split them.
		{"tickets whose version disagrees with their history", `SELECT COUNT(*) FROM tickets k WHERE k.version - 1 <>
(SELECT COUNT(*) FROM ticket_events e WHERE e.shop_id = k.shop_id AND e.ticket_id = k.id AND e.kind = 'priority')`},
		// Every order an import run created is there, and no other.
		{"shops whose orders disagree with their import runs", `SELECT COUNT(*) FROM shops s WHERE
(SELECT COUNT(*) FROM orders o WHERE o.shop_id = s.id) <> (SELECT COALESCE(SUM(r.orders_created), 0) FROM import_runs r WHERE r.shop_id = s.id)`},
	} {
		var n int64
		if err := db.QueryRow(ctx, c.q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if n != 0 {
			t.Errorf("%s: %d %s", name, n, c.what)
		}
	}
	// An edited customer's version moved once per edit event.
	for id, v := range base {
		var version, edits int64
		if err := db.QueryRow(ctx, `SELECT c.version, (SELECT COUNT(*) FROM timeline_events e WHERE e.shop_id = c.shop_id AND e.customer_id = c.id AND e.kind = 'edit')
FROM customers c JOIN shops s ON s.id = c.shop_id WHERE s.code = 'desk' AND c.id = ?`, id).Scan(&version, &edits); err != nil {
			t.Fatal(err)
		}
		if version-v != edits {
			t.Errorf("%s: customer %d at version %d (from %d) with %d edit events", name, id, version, v, edits)
		}
	}
	assertStatsConsistent(t, db)
}

// foreignKeyViolations lists the rows whose foreign keys point nowhere,
// whatever the engine enforced when they were written.
func foreignKeyViolations(t *testing.T, db *store.DB) []string {
	t.Helper()
	var out []string
	if db.Dialect == store.SQLite {
		rows, err := db.Query(ctx, `PRAGMA foreign_key_check`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var table, parent string
			var rowid, fk any
			if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s row %v → %s", table, rowid, parent))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	rows, err := db.Query(ctx, `SELECT c.conname, c.conrelid::regclass::text, c.confrelid::regclass::text,
(SELECT string_agg(quote_ident(a.attname), ',' ORDER BY k.n) FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum),
(SELECT string_agg(quote_ident(a.attname), ',' ORDER BY k.n) FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, n) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum)
FROM pg_constraint c JOIN pg_namespace ns ON ns.oid = c.connamespace WHERE c.contype = 'f' AND ns.nspname = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	type fk struct{ name, child, parent, cols, pcols string }
	var fks []fk
	for rows.Next() {
		var f fk
		if err := rows.Scan(&f.name, &f.child, &f.parent, &f.cols, &f.pcols); err != nil {
			t.Fatal(err)
		}
		fks = append(fks, f)
	}
	rows.Close()
	if len(fks) == 0 {
		t.Fatal("no foreign keys found: the check checks nothing")
	}
	for _, f := range fks {
		// MATCH SIMPLE: a row with a NULL in its key references nothing.
		q := `SELECT COUNT(*) FROM ` + f.child + ` x WHERE (` + f.cols + `) IS NOT NULL AND (` + f.cols + `) NOT IN (SELECT ` + f.pcols + ` FROM ` + f.parent + `)`
		var n int64
		if err := db.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if n != 0 {
			out = append(out, fmt.Sprintf("%s: %d rows of %s", f.name, n, f.child))
		}
	}
	return out
}
