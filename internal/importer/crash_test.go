package importer_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// importChildEnv carries "dsn|shop id|orders file|progress file" to an
// importing child.
const importChildEnv = "GUANXI_IMPORT_CHILD"

// TestImportChild is the process the crash test kills: it imports the
// orders file into the shop, writing how many bytes of the file it has read
// to the progress file as it goes. It does nothing in a normal test run.
func TestImportChild(t *testing.T) {
	spec := os.Getenv(importChildEnv)
	if spec == "" {
		t.Skip("run by the crash test only")
	}
	p := strings.Split(spec, "|")
	shopID, _ := strconv.ParseInt(p[1], 10, 64)
	ctx := context.Background()
	db, err := store.Open(ctx, p[0])
	if err != nil {
		t.Fatal(err)
	}
	sh, err := shop.NewService(db, clock).ByID(ctx, shopID)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p[2])
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	pf, err := os.OpenFile(p[3], os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	svc := importer.NewService(db, clock, slog.New(slog.DiscardHandler))
	if _, err := svc.Import(ctx, sh, p[2], &progressReader{r: f, out: pf}, st.Size(), importer.Options{}); err != nil {
		t.Fatal(err)
	}
	// Committed: say so, and wait to be killed (a child that exits on its
	// own fails KillChild; a kill after the commit is counted too).
	var done [8]byte
	binary.LittleEndian.PutUint64(done[:], 1<<40)
	_, _ = pf.WriteAt(done[:], 0)
	time.Sleep(time.Minute)
}

// progressReader reports the bytes read so far to out on every read: the
// parser reads ahead of the writer by a few batches only, so this moves
// with the import all the way through.
type progressReader struct {
	r   io.Reader
	out *os.File
	n   int64
	buf [8]byte
}

func (p *progressReader) Read(b []byte) (int, error) {
	k, err := p.r.Read(b)
	p.n += int64(k)
	binary.LittleEndian.PutUint64(p.buf[:], uint64(p.n))
	_, _ = p.out.WriteAt(p.buf[:], 0)
	return k, err
}

func readProgress(path string) int {
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 8 {
		return 0
	}
	return int(binary.LittleEndian.Uint64(b))
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// writeOrders writes n paid orders of n*2/5 customers in the generic
// format and returns the file's total amount in fen and its order ids.
func writeOrders(t *testing.T, path string, n int) (int64, map[string]bool) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "order_id,order_date,customer_id,amount,status,refunded_amount,customer_name,phone")
	rng := rand.New(rand.NewPCG(7, 7))
	customers := max(1, n*2/5)
	start := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
	var total int64
	ids := make(map[string]bool, n)
	for i := range n {
		c := i
		if i >= customers {
			c = rng.IntN(customers)
		}
		fen := 100 + rng.Int64N(200000)
		refund := ""
		if rng.IntN(20) == 0 {
			refund = fmt.Sprintf("%d.%02d", fen/4/100, fen/4%100)
		}
		id := fmt.Sprintf("X%07d", i)
		ids[id] = true
		total += fen
		at := start.Add(time.Duration(int64(i)*300*24*3600/int64(n+1)) * time.Second)
		fmt.Fprintf(w, "%s,%s,C%d,%d.%02d,paid,%s,客户%d,139%08d\n", id, at.Format("2006-01-02T15:04:05+08:00"), c, fen/100, fen%100, refund, c, c)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return total, ids
}

// TestImportCrash imports a generated orders file (GUANXI_CRASH_ORDERS,
// default 20,000; the figure is 1,000,000) in a child process and
// kills it with SIGKILL at GUANXI_CRASH_KILLS points (default 20) spread
// over the file, restarting the import of the same file each time, then
// lets it finish. Every order must be there exactly once with the file's
// amounts, the customer statistics must equal a recomputation from the
// orders, and each killed import must have left nothing behind.
func TestImportCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	n := envInt("GUANXI_CRASH_ORDERS", 20000)
	kills := envInt("GUANXI_CRASH_KILLS", 20)
	path := filepath.Join(t.TempDir(), "orders.csv")
	wantSum, wantIDs := writeOrders(t, path, n)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	size := int(st.Size())
	storetest.CrashEngines(t, func(t *testing.T, dsn string, db *store.DB) {
		ctx := context.Background()
		began := time.Now()
		svc, sh := setup(t, db)
		state := func() (orders, runs int64) {
			return count(t, db, `SELECT COUNT(*) FROM orders WHERE shop_id = ?`, sh.ID),
				count(t, db, `SELECT COUNT(*) FROM import_runs WHERE shop_id = ?`, sh.ID)
		}
		// Most kills land at byte offsets from 3% to 97% of the file; the
		// parser reads a few batches ahead of the writer, and after the
		// last byte come the statistics and the commit, so the last few
		// kills land at growing delays after the whole file was read.
		tail := []time.Duration{20 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond}
		if kills < 2*len(tail) {
			tail = nil
		}
		spread := kills - len(tail)
		mid := 0
		var committed int64
		for k := range kills {
			prog := filepath.Join(t.TempDir(), "progress")
			point := size * (3 + 94*k/max(1, spread-1)) / 100
			var eof time.Time
			progress := func() int { return readProgress(prog) }
			if k >= spread {
				point = size + int(tail[k-spread]/time.Microsecond)
				progress = func() int {
					p := readProgress(prog)
					switch {
					case p < size:
						return p
					case p > size:
						return p // committed
					case eof.IsZero():
						eof = time.Now()
					}
					return size + int(time.Since(eof)/time.Microsecond)
				}
			}
			storetest.KillChild(t, "TestImportChild", fmt.Sprintf("%s=%s|%d|%s|%s", importChildEnv, dsn, sh.ID, path, prog),
				[]int{point}, progress)
			orders, runs := state()
			switch {
			case runs == committed && (orders == 0) == (runs == 0):
				mid++ // killed inside the import's transaction: nothing kept
			case runs == committed+1 && orders == int64(n):
				committed = runs // killed after the commit: the import is whole
			default:
				t.Fatalf("after kill %d at progress %d (file %d bytes): %d orders and %d import runs (had %d): a partial import survived",
					k+1, point, size, orders, runs, committed)
			}
			if orders != 0 && orders != int64(n) {
				t.Fatalf("after kill %d: %d orders of %d", k+1, orders, n)
			}
		}
		_, runsBefore := state()
		sum := importFile(t, svc, sh, path, importer.Options{})
		if sum.Rows != n || sum.OrdersCreated+sum.OrdersUnchanged != n || sum.OrdersUpdated != 0 {
			t.Fatalf("final import %+v, want %d rows created or unchanged", sum, n)
		}
		orders, runs := state()
		if orders != int64(n) || runs != runsBefore+1 {
			t.Fatalf("%d orders and %d import runs after the final import, want %d and %d", orders, runs, n, runsBefore+1)
		}
		if c := count(t, db, `SELECT COUNT(DISTINCT external_id) FROM orders WHERE shop_id = ?`, sh.ID); c != int64(n) {
			t.Fatalf("%d distinct order ids, want %d", c, n)
		}
		rows, err := db.Query(ctx, `SELECT external_id FROM orders WHERE shop_id = ?`, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			if !wantIDs[id] {
				t.Fatalf("order %s is not in the file", id)
			}
			seen++
		}
		rows.Close()
		if seen != n {
			t.Fatalf("%d orders, want %d", seen, n)
		}
		if s := count(t, db, `SELECT SUM(amount) FROM orders WHERE shop_id = ?`, sh.ID); s != wantSum {
			t.Fatalf("orders sum to %d fen, the file to %d", s, wantSum)
		}
		wantCust := int64(max(1, n*2/5))
		if c := count(t, db, `SELECT COUNT(*) FROM customers WHERE shop_id = ? AND merged_into IS NULL`, sh.ID); c != wantCust {
			t.Fatalf("%d customers, want %d", c, wantCust)
		}
		// customer_stats against a recomputation from the orders.
		if bad := count(t, db, `SELECT COUNT(*) FROM customers c
LEFT JOIN customer_stats s ON s.shop_id = c.shop_id AND s.customer_id = c.id
LEFT JOIN (SELECT customer_id, COUNT(purchase_day) AS n, COUNT(DISTINCT purchase_day) AS days,
       SUM(CASE WHEN purchase_day IS NOT NULL THEN amount - refunded ELSE 0 END) AS spent, SUM(refunded) AS refunded,
       MIN(CASE WHEN purchase_day IS NOT NULL THEN placed_at END) AS first, MAX(CASE WHEN purchase_day IS NOT NULL THEN placed_at END) AS last
     FROM orders WHERE shop_id = ? GROUP BY customer_id) o ON o.customer_id = c.id
WHERE c.shop_id = ? AND c.merged_into IS NULL AND (s.customer_id IS NULL OR o.customer_id IS NULL
   OR s.orders_count <> o.n OR s.purchase_days <> o.days OR s.total_spent <> o.spent OR s.refunded <> o.refunded
   OR s.first_purchase_at <> o.first OR s.last_purchase_at <> o.last)`, sh.ID, sh.ID); bad != 0 {
			t.Fatalf("%d customers' statistics differ from their orders", bad)
		}
		if c := count(t, db, `SELECT COUNT(*) FROM customer_stats WHERE shop_id = ?`, sh.ID); c != wantCust {
			t.Fatalf("%d customer_stats rows, want %d", c, wantCust)
		}
		if r := count(t, db, `SELECT COUNT(*) FROM import_runs WHERE shop_id = ? AND rows_read = ? AND orders_created + orders_unchanged = ?`, sh.ID, n, n); r != runs {
			t.Fatalf("%d of %d import runs read the whole file", r, runs)
		}
		if c := count(t, db, `SELECT COALESCE(SUM(orders_created), 0) FROM import_runs WHERE shop_id = ?`, sh.ID); c != int64(n) {
			t.Fatalf("import runs created %d orders in all, want %d", c, n)
		}
		t.Logf("%d orders (%d bytes): %d kills, %d inside the import's transaction, %d after its commit; %.1fs",
			n, size, kills, mid, kills-mid, time.Since(began).Seconds())
	})
}
