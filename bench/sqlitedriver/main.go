// Command sqlitedriver measures the SQLite drivers Guanxi could use on the
// work Guanxi gives them: a bulk insert of order rows into an indexed table,
// point lookups by the order's platform key, and a per-customer aggregate.
//
//	go run .                 # builds each driver, runs each, prints a table
//	go run . -rows 100000    # a quicker run
//
// Each driver is built into its own binary (the cgo and the wasm driver both
// register as "sqlite3", so they cannot share one) with a build tag, and the
// binary run with -child; its figures come back as one JSON line and its
// peak RSS from the kernel.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"math/bits"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// Set by the driver_*.go file its build tag selects.
var (
	driverLabel string                   // name in the table
	driverName  string                   // database/sql driver name
	driverPath  string                   // module path, for its version
	dsn         func(path string) string // data source name for a file
)

// The same pragmas for every driver, run on the one connection.
var pragmas = []string{
	"PRAGMA journal_mode=WAL",
	"PRAGMA synchronous=NORMAL",
	"PRAGMA temp_store=MEMORY",
	"PRAGMA cache_size=-65536",
	"PRAGMA busy_timeout=5000",
}

type result struct {
	Driver     string  `json:"driver"`
	Version    string  `json:"version"`
	SQLite     string  `json:"sqlite"`
	Rows       int     `json:"rows"`
	Lookups    int     `json:"lookups"`
	Groups     int     `json:"groups"`
	PeakRSSMiB float64 `json:"peak_rss_mib"`
	// Wall and CPU (user + system, all threads) seconds of each phase.
	InsertSeconds float64 `json:"insert_s"`
	InsertCPU     float64 `json:"insert_cpu_s"`
	LookupSeconds float64 `json:"lookup_s"`
	LookupCPU     float64 `json:"lookup_cpu_s"`
	AggSeconds    float64 `json:"agg_s"`
	AggCPU        float64 `json:"agg_cpu_s"`
}

func main() {
	child := flag.Bool("child", false, "run the workload with this binary's driver and print one JSON line")
	rows := flag.Int("rows", 1_000_000, "orders to insert")
	lookups := flag.Int("lookups", 200_000, "point lookups")
	batch := flag.Int("batch", 100, "rows per INSERT statement")
	runs := flag.Int("runs", 3, "runs per driver, taken in turns; the table shows the best")
	dir := flag.String("dir", os.TempDir(), "directory for the database files")
	withoutRowid := flag.Bool("without-rowid", false, "make orders a WITHOUT ROWID table, as Guanxi's migration does")
	only := flag.String("drivers", "modernc,ncruces,ncruces-wazero,mattn", "drivers to compare")
	flag.Parse()
	if *child {
		if dsn == nil {
			fatal(fmt.Errorf("built without a driver tag (modernc, ncruces or mattn)"))
		}
		r, err := workload(*dir, *rows, *lookups, *batch, *withoutRowid)
		if err != nil {
			fatal(err)
		}
		if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
			fatal(err)
		}
		return
	}
	if err := compare(strings.Split(*only, ","), *dir, *rows, *lookups, *batch, *runs, *withoutRowid); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "sqlitedriver:", err)
	os.Exit(1)
}

// builds says how each driver is built: extra go build arguments.
var builds = map[string][]string{
	"modernc": {"-tags", "modernc"},
	"ncruces": {"-tags", "ncruces"},
	// The last release that ran SQLite's wasm build on wazero (later ones
	// translate it to Go with wasm2go): go.wazero.mod pins it.
	"ncruces-wazero": {"-modfile", "go.wazero.mod", "-tags", "ncruces,wazero"},
	"mattn":          {"-tags", "mattn"},
}

func compare(drivers []string, dir string, rows, lookups, batch, runs int, withoutRowid bool) error {
	bin, err := os.MkdirTemp("", "sqlitedriver-bin")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bin)
	exes := make([]string, len(drivers))
	for i, d := range drivers {
		args, ok := builds[d]
		if !ok {
			return fmt.Errorf("unknown driver %q", d)
		}
		exes[i] = filepath.Join(bin, d)
		t0 := time.Now()
		build := exec.Command("go", append(append([]string{"build"}, args...), "-o", exes[i], ".")...)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build %s: %w", d, err)
		}
		fmt.Fprintf(os.Stderr, "built %s in %.1fs\n", d, time.Since(t0).Seconds())
	}
	// Drivers take turns, so a burst of other load on the machine spreads
	// over all of them instead of landing on one.
	all := make([][]result, len(drivers))
	for run := range runs {
		for i, exe := range exes {
			r, err := runChild(exe, dir, rows, lookups, batch, withoutRowid)
			if err != nil {
				return fmt.Errorf("%s: %w", drivers[i], err)
			}
			fmt.Fprintf(os.Stderr, "run %d %-18s insert %5.2fs (cpu %5.2fs)  lookups %5.2fs (cpu %5.2fs)  aggregate %5.2fs (cpu %5.2fs)  peak RSS %3.0f MiB\n",
				run+1, r.Driver, r.InsertSeconds, r.InsertCPU, r.LookupSeconds, r.LookupCPU, r.AggSeconds, r.AggCPU, r.PeakRSSMiB)
			all[i] = append(all[i], r)
		}
	}
	results := make([]result, len(drivers))
	for i, rs := range all {
		results[i] = best(rs)
	}
	table := "rowid table"
	if withoutRowid {
		table = "WITHOUT ROWID table"
	}
	fmt.Printf("%d rows inserted %d a statement in one transaction into a %s; %d point lookups; aggregate over %d customers. Best of %d runs.\n",
		rows, batch, table, lookups, results[0].Groups, runs)
	fmt.Printf("%s, %d cores, %s\n\n", cpuModel(), runtime.NumCPU(), runtime.Version())
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "driver\tversion\tSQLite\tinsert rows/s\trows/CPU-s\tlookups/s\tlookups/CPU-s\taggregate s\tCPU s\tpeak RSS MiB\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%.0f\t%.0f\t%.0f\t%.2f\t%.2f\t%.0f\t\n", r.Driver, r.Version, r.SQLite,
			float64(r.Rows)/r.InsertSeconds, float64(r.Rows)/r.InsertCPU,
			float64(r.Lookups)/r.LookupSeconds, float64(r.Lookups)/r.LookupCPU,
			r.AggSeconds, r.AggCPU, r.PeakRSSMiB)
	}
	return tw.Flush()
}

func runChild(exe, dir string, rows, lookups, batch int, withoutRowid bool) (result, error) {
	var out bytes.Buffer
	cmd := exec.Command(exe, "-child", "-dir", dir, "-rows", strconv.Itoa(rows),
		"-lookups", strconv.Itoa(lookups), "-batch", strconv.Itoa(batch),
		"-without-rowid="+strconv.FormatBool(withoutRowid))
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return result{}, err
	}
	var r result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return result{}, fmt.Errorf("child said %q: %w", out.String(), err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.PeakRSSMiB = float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	return r, nil
}

// best takes each figure's best over the runs separately: other load on the
// machine only ever makes a run slower.
func best(rs []result) result {
	m := rs[0]
	low := func(f func(r result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		return slices.Min(v)
	}
	m.InsertSeconds = low(func(r result) float64 { return r.InsertSeconds })
	m.InsertCPU = low(func(r result) float64 { return r.InsertCPU })
	m.LookupSeconds = low(func(r result) float64 { return r.LookupSeconds })
	m.LookupCPU = low(func(r result) float64 { return r.LookupCPU })
	m.AggSeconds = low(func(r result) float64 { return r.AggSeconds })
	m.AggCPU = low(func(r result) float64 { return r.AggCPU })
	m.PeakRSSMiB = low(func(r result) float64 { return r.PeakRSSMiB })
	return m
}

// phase times one phase in wall and CPU seconds.
type phase struct {
	wall time.Time
	cpu  float64
}

func startPhase() phase { return phase{time.Now(), cpuSeconds()} }

func (p phase) end() (wall, cpu float64) {
	return time.Since(p.wall).Seconds(), cpuSeconds() - p.cpu
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for l := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

const schema = `
CREATE TABLE orders (
	shop_id     INTEGER NOT NULL,
	id          INTEGER NOT NULL,
	platform    TEXT    NOT NULL,
	external_id TEXT    NOT NULL,
	customer_id INTEGER,
	status      TEXT    NOT NULL,
	placed_at   INTEGER NOT NULL,
	amount      INTEGER NOT NULL,
	channel     TEXT,
	province    TEXT,
	PRIMARY KEY (shop_id, id)
)%s;
CREATE UNIQUE INDEX orders_external ON orders (shop_id, platform, external_id);
CREATE INDEX orders_customer ON orders (shop_id, customer_id);
`

// rng is splitmix64, so every driver sees the same rows and lookups.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

var (
	statuses  = []string{"paid", "completed", "completed", "paid", "shipped", "cancelled", "refunded"}
	channels  = []string{"tmall", "taobao", "jd", "douyin", "wechat"}
	provinces = []string{"广东", "浙江", "江苏", "上海", "北京", "山东", "福建", "四川", "河南", "湖北"}
)

func externalID(i int) string { return "SO" + strconv.Itoa(10_000_000_000+i) }

func workload(dir string, rows, lookups, batch int, withoutRowid bool) (result, error) {
	ctx := context.Background()
	f, err := os.CreateTemp(dir, "sqlitedriver-*.db")
	if err != nil {
		return result{}, err
	}
	path := f.Name()
	f.Close()
	os.Remove(path)
	defer func() {
		for _, s := range []string{"", "-wal", "-shm"} {
			os.Remove(path + s)
		}
	}()
	db, err := sql.Open(driverName, dsn(path))
	if err != nil {
		return result{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	for _, p := range pragmas {
		if _, err := db.ExecContext(ctx, p); err != nil {
			return result{}, fmt.Errorf("%s: %w", p, err)
		}
	}
	r := result{Driver: driverLabel, Version: moduleVersion(driverPath), Rows: rows, Lookups: lookups}
	if err := db.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&r.SQLite); err != nil {
		return result{}, err
	}
	opt := ""
	if withoutRowid {
		opt = " WITHOUT ROWID"
	}
	for _, s := range strings.Split(fmt.Sprintf(schema, opt), ";") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		if _, err := db.ExecContext(ctx, s); err != nil {
			return result{}, fmt.Errorf("schema: %w", err)
		}
	}

	// (a) bulk insert, one transaction, prepared multi-row statements.
	customers := max(1, rows*2/5)
	ph := startPhase()
	if err := insert(ctx, db, rows, batch, customers); err != nil {
		return result{}, err
	}
	r.InsertSeconds, r.InsertCPU = ph.end()

	// (b) point lookups by the platform key through one prepared statement.
	ph = startPhase()
	stmt, err := db.PrepareContext(ctx, "SELECT id, customer_id, status, amount FROM orders WHERE shop_id = ? AND platform = ? AND external_id = ?")
	if err != nil {
		return result{}, err
	}
	g := &rng{s: 2}
	for range lookups {
		var id, cust, amount int64
		var status string
		if err := stmt.QueryRowContext(ctx, 1, "generic", externalID(g.intn(rows))).Scan(&id, &cust, &status, &amount); err != nil {
			return result{}, fmt.Errorf("lookup: %w", err)
		}
	}
	stmt.Close()
	r.LookupSeconds, r.LookupCPU = ph.end()

	// (c) the per-customer summary.
	ph = startPhase()
	q, err := db.QueryContext(ctx, "SELECT customer_id, count(*), sum(amount), min(placed_at), max(placed_at) FROM orders WHERE shop_id = 1 GROUP BY customer_id")
	if err != nil {
		return result{}, err
	}
	for q.Next() {
		var cust, n, sum, lo, hi int64
		if err := q.Scan(&cust, &n, &sum, &lo, &hi); err != nil {
			q.Close()
			return result{}, err
		}
		r.Groups++
	}
	if err := q.Err(); err != nil {
		return result{}, err
	}
	q.Close()
	r.AggSeconds, r.AggCPU = ph.end()
	return r, nil
}

func insert(ctx context.Context, db *sql.DB, rows, batch, customers int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	const cols = 10
	stmtFor := func(n int) (*sql.Stmt, error) {
		var b strings.Builder
		b.WriteString("INSERT INTO orders (shop_id, id, platform, external_id, customer_id, status, placed_at, amount, channel, province) VALUES ")
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?,?,?,?,?,?,?,?,?,?)")
		}
		return tx.PrepareContext(ctx, b.String())
	}
	full, err := stmtFor(batch)
	if err != nil {
		return err
	}
	g := &rng{s: 1}
	args := make([]any, 0, batch*cols)
	placed := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	for start := 0; start < rows; start += batch {
		n := min(batch, rows-start)
		args = args[:0]
		for i := start; i < start+n; i++ {
			placed += int64(g.intn(120))
			args = append(args, 1, i+1, "generic", externalID(i), 1+g.intn(customers),
				statuses[g.intn(len(statuses))], placed, 100+g.intn(50_000),
				channels[g.intn(len(channels))], provinces[g.intn(len(provinces))])
		}
		st := full
		if n < batch {
			if st, err = stmtFor(n); err != nil {
				return err
			}
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert at row %d: %w", start, err)
		}
	}
	return tx.Commit()
}

func moduleVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "?"
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			return d.Version
		}
	}
	return "?"
}
