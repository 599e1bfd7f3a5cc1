// Command guanxi is the Guanxi CRM: one binary that serves the web workspace
// and runs the operator commands (import, export, backup, restore, users).
// Each subcommand parses its flags and makes one call into internal/app.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/guanxi-crm/guanxi/internal/app"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/report"
)

const usage = `Guanxi (关系) — a self-hosted CRM for e-commerce shops.

Usage:
  guanxi serve   [--db DSN] [--addr :8080] [--demo] [--score-at 02:00|off] [--backup-dir DIR [--backup-every 24h] [--backup-keep 7]]
  guanxi import  [--db DSN] --shop CODE --format generic|taobao|shopify [--map col=header,…] [--skip-bad] [--json] FILE...
  guanxi export  [--db DSN] --shop CODE customers|orders --out FILE(.csv|.xlsx) [--bom]
  guanxi score   [--db DSN] --shop CODE [--as-of DATE] [--lifecycle …|auto] [--discount-rate R|auto] [--json]
  guanxi report  cube|cohorts|rules|clusters|run [--db DSN] --shop CODE [--by DIM,…] [--where DIM=V,…] [--format table|csv|json]
  guanxi jobs    [--db DSN] [--shop CODE] [--limit N] [--json]
  guanxi dedupe  [--db DSN] --shop CODE [--merge-all --min-score X] [--format table|csv|json]
  guanxi token   create|list|revoke [--db DSN] --shop CODE …   (REST API tokens)
  guanxi webhook secret [--db DSN] --shop CODE   (inbound order webhook's signing secret)
  guanxi backup  [--db DSN] --out FILE
  guanxi restore [--db DSN] FILE
  guanxi user    create|list|set-password|grant|reset-totp [--db DSN] …
  guanxi analyze rfm|model|cohort --orders FILE --as-of DATE …   (on a CSV alone, no database)
  guanxi privacy export|erase|retention --shop CODE …      (a customer's data: export, erasure; retention)
  guanxi version

DSN is sqlite:PATH (default sqlite:guanxi.db) or a postgres:// URL; GUANXI_DB
sets the default. Run 'guanxi COMMAND --help' for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// errUsage marks a mistake in the command line: exit code 2.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func(context.Context, []string, io.Reader, io.Writer, io.Writer) error{
		"serve": cmdServe, "import": cmdImport, "export": cmdExport, "backup": cmdBackup,
		"restore": cmdRestore, "user": cmdUser, "version": cmdVersion, "analyze": cmdAnalyze, "score": cmdScore,
		"report": cmdReport, "jobs": cmdJobs, "token": cmdToken, "dedupe": cmdDedupe, "webhook": cmdWebhook,
		"privacy": cmdPrivacy,
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(stderr, "guanxi: unknown command %q\n\n%s", name, usage)
		return 2
	}
	err := cmd(ctx, args[1:], stdin, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	// Errors carry their context (file, row, column) in their text.
	fmt.Fprintf(stderr, "guanxi %s: %v\n", name, err)
	return 1
}

// newFlags returns a flag set that prints its help to stdout and reports
// mistakes as errUsage.
func newFlags(name, synopsis string, stdout, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: guanxi %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// needsHelp handles a command with subcommands called with none or with
// --help: it prints usage and reports true, with errUsage when there was no
// subcommand at all.
func needsHelp(args []string, stdout io.Writer, usage string) (bool, error) {
	if len(args) > 0 && args[0] != "-h" && args[0] != "--help" {
		return false, nil
	}
	fmt.Fprint(stdout, usage)
	if len(args) == 0 {
		return true, errUsage
	}
	return true, nil
}

func parse(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			fs.SetOutput(stdout)
			fs.Usage()
			return flag.ErrHelp
		}
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	return nil
}

// dbOptions are the flags of every command that opens the database.
type dbOptions struct{ dsn, level, format *string }

func dbFlags(fs *flag.FlagSet) dbOptions {
	return dbOptions{
		dsn:    fs.String("db", app.DSNFromEnv(), "database: sqlite:PATH or postgres://… (env GUANXI_DB)"),
		level:  fs.String("log-level", "info", "log level: debug, info, warn, error"),
		format: fs.String("log-format", "text", "log format: text or json"),
	}
}

// open opens the database the flags name; the caller closes the App.
func (o dbOptions) open(ctx context.Context, stderr io.Writer) (*app.App, error) {
	return app.Open(ctx, app.Config{DB: *o.dsn, LogLevel: *o.level, LogFormat: *o.format, LogOut: stderr})
}

// run opens the database, calls fn with it and closes it.
func (o dbOptions) run(ctx context.Context, stderr io.Writer, fn func(a *app.App) error) error {
	a, err := o.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}

func cmdServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve [--db DSN] [--addr :8080] [--demo] [--score-at 02:00|off]", stdout, stderr)
	dbo := dbFlags(fs)
	addr := fs.String("addr", envOr("GUANXI_ADDR", ":8080"), "address to listen on (env GUANXI_ADDR)")
	demo := fs.Bool("demo", false, "on an empty database, create the demo shop with generated data and an admin login")
	secure := fs.Bool("secure-cookies", os.Getenv("GUANXI_SECURE_COOKIES") == "1", "mark cookies Secure (when served over HTTPS; env GUANXI_SECURE_COOKIES=1)")
	scoreAt := fs.String("score-at", envOr("GUANXI_SCORE_AT", "02:00"), "score every shop each day at this time in the shop's zone, or off (env GUANXI_SCORE_AT)")
	publicURL := fs.String("public-url", os.Getenv("GUANXI_PUBLIC_URL"), "where customers reach this server, for unsubscribe links in campaign messages, e.g. https://crm.example.com (env GUANXI_PUBLIC_URL; default http:// and the listen address)")
	inboundSMTP := fs.String("inbound-smtp", os.Getenv("GUANXI_INBOUND_SMTP"), "receive the shops' service mail by SMTP at this address, e.g. 127.0.0.1:2525: mail to service+<shop code>@… becomes tickets (env GUANXI_INBOUND_SMTP; default off)")
	trustedProxies := fs.String("trusted-proxies", os.Getenv("GUANXI_TRUSTED_PROXIES"), "reverse proxies in front of the server, as addresses or CIDR prefixes (127.0.0.1,10.0.0.0/8): from them, the right-most untrusted X-Forwarded-For hop is the client, for the sign-in throttle and the audit log (env GUANXI_TRUSTED_PROXIES)")
	allowPrivate := fs.Bool("allow-private-network", os.Getenv("GUANXI_ALLOW_PRIVATE_NETWORK") == "1", "let every shop's SMS gateway, webhook, WeChat and SMTP settings point at loopback or private addresses (on-premise gateways); off, only a shop's admin can allow it for the shop (env GUANXI_ALLOW_PRIVATE_NETWORK=1)")
	apiRate := fs.Float64("api-rate", 100, "requests a second each API token may make on average, in bursts of twice that (env GUANXI_API_RATE)")
	backupDir := fs.String("backup-dir", os.Getenv("GUANXI_BACKUP_DIR"), "write a backup of the whole database into this directory on a schedule (env GUANXI_BACKUP_DIR; default off)")
	backupEvery := fs.Duration("backup-every", 24*time.Hour, "with --backup-dir: time between backups (env GUANXI_BACKUP_EVERY)")
	backupKeep := fs.Int("backup-keep", 7, "with --backup-dir: how many backups to keep, the newest (env GUANXI_BACKUP_KEEP)")
	for flag, env := range map[string]string{"api-rate": "GUANXI_API_RATE", "backup-every": "GUANXI_BACKUP_EVERY", "backup-keep": "GUANXI_BACKUP_KEEP"} {
		if v := os.Getenv(env); v != "" {
			if err := fs.Set(flag, v); err != nil {
				return fmt.Errorf("%s: %w", env, err)
			}
		}
	}
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	backups := app.BackupSchedule{Dir: *backupDir, Every: *backupEvery, Keep: *backupKeep}
	if err := backups.Check(); err != nil {
		return fmt.Errorf("--%w", err)
	}
	if *apiRate <= 0 {
		return fmt.Errorf("--api-rate %v: must be above 0", *apiRate)
	}
	hour, minute, daily, err := app.ParseTimeOfDay(*scoreAt)
	if err != nil {
		return fmt.Errorf("--score-at %w", err)
	}
	proxies, err := app.ParseTrustedProxies(*trustedProxies)
	if err != nil {
		return err
	}
	a, err := dbo.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	if *demo {
		if err := a.SeedDemo(ctx, os.Getenv("GUANXI_ADMIN_PASSWORD"), stdout); err != nil {
			return err
		}
	}
	return a.Serve(ctx, app.ServerConfig{Addr: *addr, SecureCookies: *secure, PublicURL: *publicURL, APIRate: *apiRate, InboundSMTP: *inboundSMTP, Backups: backups, AllowPrivateNetwork: *allowPrivate, TrustedProxies: proxies, ScoreDaily: daily, ScoreHour: hour, ScoreMinute: minute, Ready: func(addr string) {
		host := addr
		if strings.HasPrefix(host, "[::]") || strings.HasPrefix(host, "0.0.0.0") {
			host = "localhost" + host[strings.LastIndexByte(host, ':'):]
		}
		fmt.Fprintf(stdout, "Guanxi is running: open http://%s/ (Ctrl-C to stop)\n", host)
	}})
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func cmdImport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("import", "import [--db DSN] --shop CODE --format generic|taobao|shopify [flags] FILE...", stdout, stderr)
	dbo := dbFlags(fs)
	var cfg app.ImportConfig
	fs.StringVar(&cfg.Shop, "shop", "", "shop code (created if it does not exist)")
	fs.StringVar(&cfg.Format, "format", "generic", "file format: generic, taobao or shopify")
	fs.StringVar(&cfg.Map, "map", "", "generic format: map columns to the file's headers, e.g. order_id=InvoiceNo,order_date=InvoiceDate")
	fs.BoolVar(&cfg.SkipBad, "skip-bad", false, "import the good rows and write rejected rows with reasons to FILE.rejected.csv")
	fs.StringVar(&cfg.Rejects, "rejects", "", "with --skip-bad and one FILE: where to write rejected rows")
	fs.BoolVar(&cfg.JSON, "json", false, "print each summary line as a JSON object")
	fs.StringVar(&cfg.ShopName, "shop-name", "", "name of a shop created by this import")
	fs.StringVar(&cfg.Currency, "currency", "CNY", "currency of a shop created by this import")
	fs.StringVar(&cfg.Timezone, "timezone", "Asia/Shanghai", "time zone of a shop created by this import (times without a zone are read in it)")
	noProgress := fs.Bool("no-progress", false, "no progress bar even on a terminal")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	cfg.Files = fs.Args()
	if cfg.Shop == "" || len(cfg.Files) == 0 {
		fs.Usage()
		return errUsage
	}
	if f, ok := stderr.(*os.File); ok && !*noProgress && term.IsTerminal(int(f.Fd())) {
		cfg.Progress = stderr
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// A big import holds its identity index in memory; a soft limit
		// makes the collector run before the heap doubles, keeping a
		// million-customer import under 1 GiB. GOMEMLIMIT overrides it.
		debug.SetMemoryLimit(importMemoryLimit)
	}
	return dbo.run(ctx, stderr, func(a *app.App) error { return a.Import(ctx, cfg, stdout) })
}

// importMemoryLimit is the Go heap size `import` aims to stay under.
const importMemoryLimit = 600 << 20

func cmdExport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("export", "export [--db DSN] --shop CODE customers|orders --out FILE(.csv|.xlsx) [--bom]", stdout, stderr)
	dbo := dbFlags(fs)
	shopCode := fs.String("shop", "", "shop code")
	out := fs.String("out", "", "output file: .csv or .xlsx")
	bom := fs.Bool("bom", false, "CSV: start with a UTF-8 byte order mark, so Excel reads Chinese correctly")
	if err := parse(fs, reorder(args), stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 || *shopCode == "" || *out == "" {
		fs.Usage()
		return errUsage
	}
	return dbo.run(ctx, stderr, func(a *app.App) error { return a.Export(ctx, *shopCode, fs.Arg(0), *out, *bom, stdout) })
}

// reorder moves flags before positional arguments, so that both
// `export customers --out f.csv` and `export --out f.csv customers` work.
func reorder(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && !isBoolFlag(a) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

func isBoolFlag(a string) bool {
	switch strings.TrimLeft(a, "-") {
	case "bom", "json", "skip-bad", "demo", "h", "help", "no-progress", "password-stdin", "secure-cookies":
		return true
	}
	return false
}

func cmdScore(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("score", "score [--db DSN] --shop CODE [--as-of DATE] [--lifecycle new=30,dormant=90,churned=180,loyal=4|auto] [--discount-rate 0.01|auto] [--json]", stdout, stderr)
	dbo := dbFlags(fs)
	shopCode := fs.String("shop", "", "shop code")
	asOf := fs.String("as-of", "", "date to score as of (YYYY-MM-DD in the shop's zone; default today); later orders are ignored")
	asJSON := fs.Bool("json", false, "print the summary line as a JSON object")
	lifecycle := fs.String("lifecycle", "", "set the shop's lifecycle thresholds (days; loyal in purchase days), kept for later runs; auto: derived from the shop's data")
	discount := fs.String("discount-rate", "", "set the shop's monthly discount rate for lifetime value, kept for later runs; auto: 0.01")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if *shopCode == "" {
		fs.Usage()
		return errUsage
	}
	var progress func(string, float64)
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		progress = func(stage string, done float64) {
			fmt.Fprintf(stderr, "\r\033[K%3.0f%%  %s", 100*done, stage)
			if done >= 1 {
				fmt.Fprint(stderr, "\r\033[K")
			}
		}
	}
	return dbo.run(ctx, stderr, func(a *app.App) error {
		if *lifecycle != "" || *discount != "" {
			if err := a.SetScoreSettings(ctx, *shopCode, *lifecycle, *discount); err != nil {
				return err
			}
		}
		return a.Score(ctx, *shopCode, *asOf, *asJSON, stdout, progress)
	})
}

func cmdDedupe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("dedupe", "dedupe [--db DSN] --shop CODE [--merge-all --min-score X] [--format table|csv|json]", stdout, stderr)
	dbo := dbFlags(fs)
	var cfg app.DedupeConfig
	fs.StringVar(&cfg.Shop, "shop", "", "shop code")
	fs.Float64Var(&cfg.MinScore, "min-score", -1, "leave out candidates scoring below this (0-1); required with --merge-all")
	fs.BoolVar(&cfg.MergeAll, "merge-all", false, "merge every listed candidate into its suggested survivor (undoable from the customer page)")
	fs.StringVar(&cfg.Format, "format", "table", "output: table, csv or json")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if cfg.Shop == "" || cfg.MergeAll && cfg.MinScore < 0 {
		fs.Usage()
		return errUsage
	}
	cfg.MinScore = max(cfg.MinScore, 0)
	return dbo.run(ctx, stderr, func(a *app.App) error { return a.Dedupe(ctx, cfg, stdout) })
}

func cmdJobs(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("jobs", "jobs [--db DSN] [--shop CODE] [--limit N] [--json]", stdout, stderr)
	dbo := dbFlags(fs)
	shopCode := fs.String("shop", "", "shop code (every shop when empty)")
	limit := fs.Int("limit", 20, "most jobs to list, newest first")
	asJSON := fs.Bool("json", false, "one JSON object per job")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	return dbo.run(ctx, stderr, func(a *app.App) error { return a.ListJobs(ctx, *shopCode, *limit, *asJSON, stdout) })
}

func cmdBackup(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("backup", "backup [--db DSN] --out FILE", stdout, stderr)
	dbo := dbFlags(fs)
	out := fs.String("out", "", "archive to write (.tar.gz: portable across engines; .db on SQLite: a ready-to-open snapshot)")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return errUsage
	}
	return dbo.run(ctx, stderr, func(a *app.App) error { return a.Backup(ctx, *out, stdout) })
}

func cmdRestore(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("restore", "restore [--db DSN] FILE", stdout, stderr)
	dbo := dbFlags(fs)
	if err := parse(fs, reorder(args), stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	return dbo.run(ctx, stderr, func(a *app.App) error { return a.Restore(ctx, fs.Arg(0), stdout) })
}

func cmdVersion(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("version", "version", stdout, stderr)
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	_, err := fmt.Fprintf(stdout, "guanxi %s\n", app.Version)
	return err
}

const analyzeUsage = `Usage:
  guanxi analyze rfm   --orders FILE --as-of DATE --out FILE.csv [--format generic|taobao|shopify] [--map col=header,…] [--timezone ZONE]
  guanxi analyze model --orders FILE --as-of DATE [--model bgnbd|pareto] [--holdout-end DATE] [--json] [same flags]
  guanxi analyze cohort --orders FILE --as-of DATE --out FILE.csv [same flags]

Works on an orders file alone, with no database. rfm writes
customer_id,recency_days,frequency,monetary,r,f,m,segment_cn,segment
for every customer with a purchase up to the as-of date (DESIGN.md's RFM contract).
model fits BG/NBD (default) or Pareto/NBD by maximum likelihood, in weeks, and the
Gamma-Gamma spend model; --json prints DESIGN.md's model object.
cohort writes monthly acquisition cohorts × retention: cohort,customers,m0,m1,…
`

func cmdAnalyze(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if help, err := needsHelp(args, stdout, analyzeUsage); help {
		return err
	}
	sub := args[0]
	fs := newFlags("analyze "+sub, "analyze "+sub+" --orders FILE --as-of DATE [flags]", stdout, stderr)
	var cfg app.AnalyzeConfig
	fs.StringVar(&cfg.Orders, "orders", "", "orders file (generic CSV by default)")
	fs.StringVar(&cfg.AsOf, "as-of", "", "date the analysis is as of (YYYY-MM-DD); later orders are ignored")
	fs.StringVar(&cfg.Out, "out", "-", "output file (- for standard output)")
	fs.StringVar(&cfg.Format, "format", "generic", "file format: generic, taobao or shopify")
	fs.StringVar(&cfg.Map, "map", "", "generic format: map columns to the file's headers")
	fs.StringVar(&cfg.Timezone, "timezone", "Asia/Shanghai", "time zone of dates without an offset, and of day boundaries")
	model := fs.String("model", "bgnbd", "model: bgnbd (BG/NBD) or pareto (Pareto/NBD)")
	asJSON := fs.Bool("json", false, "model: print one JSON object")
	fs.StringVar(&cfg.HoldoutEnd, "holdout-end", "", "model: fit on orders up to --as-of and compare predictions with purchases up to this date")
	if err := parse(fs, args[1:], stdout); err != nil {
		return err
	}
	if cfg.Orders == "" || cfg.AsOf == "" {
		fs.Usage()
		return errUsage
	}
	switch sub {
	case "rfm":
		return app.AnalyzeRFM(cfg, stdout)
	case "model":
		return app.AnalyzeModel(cfg, *model, *asJSON, stdout, stderr)
	case "cohort":
		return app.AnalyzeCohort(cfg, stdout)
	}
	fmt.Fprint(stderr, analyzeUsage)
	return errUsage
}

const reportUsage = `Usage:
  guanxi report cube     [--db DSN] --shop CODE [--by DIM,…] [--where DIM=V,…]… [--from DATE] [--to DATE] [--limit N]
  guanxi report cohorts  [--db DSN] --shop CODE
  guanxi report rules    [--db DSN] --shop CODE [--limit N]
  guanxi report clusters [--db DSN] --shop CODE
  guanxi report run      [--db DSN] --shop CODE
Each takes --format table (default), csv or json.

cube aggregates purchase orders (orders, revenue, customers, average order
value) over any of these dimensions, with the grand total:
%s
cohorts, rules, clusters and run read what the latest 'guanxi score' stored:
the monthly cohorts × retention matrix, the product rules (what sells with
what), the k-means clusters, and the run itself (repeat-purchase rate, model).
`

// whereFlag collects repeated --where DIM=V1,V2 filters.
type whereFlag map[string][]string

func (w whereFlag) String() string { return "" }

func (w whereFlag) Set(s string) error {
	dim, vals, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(dim) == "" {
		return fmt.Errorf("%q is not DIM=VALUE,…", s)
	}
	dim = strings.TrimSpace(dim)
	for _, v := range strings.Split(vals, ",") {
		w[dim] = append(w[dim], strings.TrimSpace(v))
	}
	return nil
}

func cmdReport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	var dims strings.Builder
	for _, d := range report.Dimensions() {
		fmt.Fprintf(&dims, "  %-11s %s\n", d[0], d[1])
	}
	if help, err := needsHelp(args, stdout, fmt.Sprintf(reportUsage, dims.String())); help {
		return err
	}
	cfg := app.ReportConfig{Kind: args[0]}
	fs := newFlags("report "+cfg.Kind, "report "+cfg.Kind+" --shop CODE [flags]", stdout, stderr)
	dbo := dbFlags(fs)
	fs.StringVar(&cfg.Shop, "shop", "", "shop code")
	by := fs.String("by", "", "cube: dimensions to group by, comma-separated (see 'guanxi report --help')")
	where := whereFlag{}
	fs.Var(where, "where", "cube: keep only these values of a dimension, DIM=V1,V2 (repeatable)")
	fs.StringVar(&cfg.Cube.From, "from", "", "cube: first purchase date (YYYY-MM-DD)")
	fs.StringVar(&cfg.Cube.To, "to", "", "cube: last purchase date (YYYY-MM-DD)")
	fs.IntVar(&cfg.Limit, "limit", 0, "cube: most groups (largest revenue first; default 10000); rules: most rules (default all)")
	fs.StringVar(&cfg.Format, "format", "table", "output: table, csv or json")
	if err := parse(fs, args[1:], stdout); err != nil {
		return err
	}
	if cfg.Shop == "" {
		fs.Usage()
		return errUsage
	}
	if *by != "" {
		for _, b := range strings.Split(*by, ",") {
			cfg.Cube.By = append(cfg.Cube.By, strings.TrimSpace(b))
		}
	}
	cfg.Cube.Where, cfg.Cube.Limit = where, cfg.Limit
	return dbo.run(ctx, stderr, func(a *app.App) error { return a.Report(ctx, cfg, stdout) })
}

const tokenUsage = `Usage:
  guanxi token create [--db DSN] --shop CODE --name NAME --scopes customers:read,scores:read,…
  guanxi token list   [--db DSN] --shop CODE
  guanxi token revoke [--db DSN] --shop CODE --id N

Scopes: %s. The token is printed once; the API is under /api/v1,
described at /api/v1/openapi.json.
`

func cmdToken(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	usage := fmt.Sprintf(tokenUsage, strings.Join(auth.Scopes, ", "))
	if help, err := needsHelp(args, stdout, usage); help {
		return err
	}
	sub := args[0]
	fs := newFlags("token "+sub, "token "+sub+" --shop CODE [flags]", stdout, stderr)
	dbo := dbFlags(fs)
	shopCode := fs.String("shop", "", "shop code")
	name := fs.String("name", "", "create: what the token is for, e.g. erp-sync")
	scopes := fs.String("scopes", "", "create: comma-separated scopes")
	id := fs.Int64("id", 0, "revoke: the token's id (see list)")
	if err := parse(fs, args[1:], stdout); err != nil {
		return err
	}
	if *shopCode == "" {
		fs.Usage()
		return errUsage
	}
	return dbo.run(ctx, stderr, func(a *app.App) error {
		switch sub {
		case "create":
			return a.CreateToken(ctx, *shopCode, *name, *scopes, stdout)
		case "list":
			return a.ListTokens(ctx, *shopCode, stdout)
		case "revoke":
			return a.RevokeToken(ctx, *shopCode, *id, stdout)
		}
		fmt.Fprint(stderr, usage)
		return errUsage
	})
}

const webhookUsage = `Usage:
  guanxi webhook secret [--db DSN] --shop CODE

Makes (or replaces) the shop's signing secret for the inbound order webhook,
POST /api/v1/webhooks/orders/CODE, and prints it once.
`

func cmdWebhook(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if help, err := needsHelp(args, stdout, webhookUsage); help {
		return err
	}
	if args[0] != "secret" {
		fmt.Fprint(stderr, webhookUsage)
		return errUsage
	}
	fs := newFlags("webhook secret", "webhook secret --shop CODE [flags]", stdout, stderr)
	dbo := dbFlags(fs)
	shopCode := fs.String("shop", "", "shop code")
	if err := parse(fs, args[1:], stdout); err != nil {
		return err
	}
	if *shopCode == "" {
		fs.Usage()
		return errUsage
	}
	return dbo.run(ctx, stderr, func(a *app.App) error { return a.RotateWebhookSecret(ctx, *shopCode, stdout) })
}

const userUsage = `Usage:
  guanxi user create [--db DSN] --username NAME [--name DISPLAY] [--shop CODE --role admin|agent|care|analyst] [--password-stdin]
  guanxi user list [--db DSN]
  guanxi user set-password [--db DSN] --username NAME [--password-stdin]
  guanxi user grant [--db DSN] --username NAME --shop CODE --role ROLE
  guanxi user reset-totp [--db DSN] --username NAME

reset-totp turns off a user's two-step verification (a lost phone) and signs
out their sessions; they can turn it on again under 账户安全.
Without --password-stdin the password is asked for on the terminal.
`

func cmdUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if help, err := needsHelp(args, stdout, userUsage); help {
		return err
	}
	sub := args[0]
	fs := newFlags("user "+sub, "user "+sub+" [flags]", stdout, stderr)
	dbo := dbFlags(fs)
	username := fs.String("username", "", "user name to sign in with")
	display := fs.String("name", "", "display name")
	shopCode := fs.String("shop", "", "shop code")
	role := fs.String("role", "admin", "role in the shop: admin, agent, care or analyst")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := parse(fs, args[1:], stdout); err != nil {
		return err
	}
	needName := sub != "list"
	if needName && *username == "" {
		fs.Usage()
		return errUsage
	}
	readPassword := func() (string, error) {
		if *pwStdin {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && line == "" {
				return "", fmt.Errorf("read password from stdin: %w", err)
			}
			return strings.TrimRight(line, "\r\n"), nil
		}
		f, ok := stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return "", fmt.Errorf("no terminal to ask for the password: use --password-stdin")
		}
		fmt.Fprint(stderr, "Password: ")
		pw, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		return string(pw), err
	}
	a, err := dbo.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	switch sub {
	case "create":
		pw, err := readPassword()
		if err != nil {
			return err
		}
		return a.CreateUser(ctx, *username, *display, pw, *shopCode, *role, stdout)
	case "set-password":
		pw, err := readPassword()
		if err != nil {
			return err
		}
		return a.SetPassword(ctx, *username, pw, stdout)
	case "grant":
		if *shopCode == "" {
			return fmt.Errorf("--shop is required")
		}
		return a.GrantRole(ctx, *username, *shopCode, *role, stdout)
	case "list":
		return a.ListUsers(ctx, stdout)
	case "reset-totp":
		return a.ResetTOTP(ctx, *username, stdout)
	}
	fmt.Fprint(stderr, userUsage)
	return errUsage
}
