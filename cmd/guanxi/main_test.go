package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/app"
	"github.com/guanxi-crm/guanxi/internal/backup"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

const fixture = "../../internal/importer/testdata/orders.csv"

// guanxi runs the command in-process, as the binary would, and returns its
// exit code, stdout and stderr.
func guanxi(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := guanxi(t, "", args...)
	if code != 0 {
		t.Fatalf("guanxi %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

type summary struct {
	Rows             int `json:"rows"`
	OrdersCreated    int `json:"orders_created"`
	OrdersUpdated    int `json:"orders_updated"`
	CustomersCreated int `json:"customers_created"`
	CustomersMerged  int `json:"customers_merged"`
	Rejected         int `json:"rejected"`
}

func importJSON(t *testing.T, db string, args ...string) summary {
	t.Helper()
	out := mustRun(t, append([]string{"import", "--db", db, "--shop", "s1", "--json"}, args...)...)
	var s summary
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &s); err != nil {
		t.Fatalf("--json line %q: %v", out, err)
	}
	return s
}

func TestCLI(t *testing.T) {
	dbs := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "g.db") },
		"postgres": func(t *testing.T) string {
			dsn, drop := storetest.NewSchema(t, storetest.PostgresURL(t))
			t.Cleanup(drop)
			return dsn
		},
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			db := dbs[engine](t)
			first := importJSON(t, db, fixture)
			if first != (summary{Rows: 9, OrdersCreated: 9, CustomersCreated: 4}) {
				t.Fatalf("first import %+v", first)
			}
			if again := importJSON(t, db, fixture); again.OrdersCreated != 0 || again.OrdersUpdated != 0 {
				t.Fatalf("re-import %+v", again)
			}
			// The orders export is the generic format: it imports into an
			// empty database as the same orders and customers.
			orders := filepath.Join(dir, "orders.csv")
			mustRun(t, "export", "--db", db, "--shop", "s1", "orders", "--out", orders)
			other := dbs[engine](t)
			back := importJSON(t, other, orders)
			if back.OrdersCreated != 9 || back.CustomersCreated != 4 {
				t.Errorf("export imported back: %+v", back)
			}
			if c1, c2 := exportCSV(t, db, "customers", dir), exportCSV(t, other, "customers", dir); !equalCustomers(c1, c2) {
				t.Errorf("customers differ after the round trip:\n%v\n%v", c1, c2)
			}
			// Backup, then restore into an empty database: same customers.
			arch := filepath.Join(dir, "b.tar.gz")
			mustRun(t, "backup", "--db", db, "--out", arch)
			restored := dbs[engine](t)
			if out := mustRun(t, "restore", "--db", restored, arch); !strings.Contains(out, "verified") {
				t.Errorf("restore said %q", out)
			}
			if c1, c3 := exportCSV(t, db, "customers", dir), exportCSV(t, restored, "customers", dir); !equalCustomers(c1, c3) {
				t.Errorf("customers differ after restore")
			}
			if code, _, errOut := guanxi(t, "", "restore", "--db", restored, arch); code != 1 || !strings.Contains(errOut, "empty") && !strings.Contains(errOut, "holds data") && !strings.Contains(errOut, "not empty") {
				t.Errorf("restore into a full database: exit %d, %s", code, errOut)
			}
			// Users.
			if code, _, errOut := guanxi(t, "s3cret-pass\n", "user", "create", "--db", db, "--username", "li", "--shop", "s1", "--role", "agent", "--password-stdin"); code != 0 {
				t.Fatalf("user create: %s", errOut)
			}
			if out := mustRun(t, "user", "list", "--db", db); !strings.Contains(out, "s1:agent") {
				t.Errorf("user list: %s", out)
			}
			if code, _, errOut := guanxi(t, "short\n", "user", "set-password", "--db", db, "--username", "li", "--password-stdin"); code != 1 || !strings.Contains(errOut, "at least") {
				t.Errorf("short password: exit %d %s", code, errOut)
			}
			// Score, then read the shop-level reports back.
			var res struct {
				Customers int     `json:"customers"`
				Repeat    float64 `json:"repeat_rate"`
			}
			if err := json.Unmarshal([]byte(mustRun(t, "score", "--db", db, "--shop", "s1", "--as-of", "2025-12-31", "--json")), &res); err != nil || res.Customers == 0 {
				t.Fatalf("score --json: %+v %v", res, err)
			}
			cube := mustRun(t, "report", "cube", "--db", db, "--shop", "s1", "--by", "month,channel", "--format", "csv")
			rows, err := csv.NewReader(strings.NewReader(cube)).ReadAll()
			if err != nil || len(rows) < 3 || strings.Join(rows[0], ",") != "month,channel,orders,revenue,customers,aov" || rows[len(rows)-1][0] != "TOTAL" {
				t.Errorf("report cube csv: %v\n%s", err, cube)
			}
			if out := mustRun(t, "report", "run", "--db", db, "--shop", "s1", "--format", "json"); !strings.Contains(out, `"as_of": "2025-12-31"`) {
				t.Errorf("report run: %s", out)
			}
			if out := mustRun(t, "jobs", "--db", db, "--shop", "s1", "--json"); !strings.Contains(out, `"kind":"score","source":"manual","status":"done"`) || !strings.Contains(out, `"progress":1`) {
				t.Errorf("the score run is not in the job table as a finished manual job:\n%s", out)
			}
			if code, _, errOut := guanxi(t, "", "report", "cube", "--db", db, "--shop", "s1", "--by", "colour"); code != 1 || !strings.Contains(errOut, `unknown dimension "colour"`) {
				t.Errorf("report cube --by colour: exit %d, %s", code, errOut)
			}
		})
	}
}

func exportCSV(t *testing.T, db, what, dir string) [][]string {
	t.Helper()
	p := filepath.Join(dir, what+"-export.csv")
	mustRun(t, "export", "--db", db, "--shop", "s1", what, "--out", p)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// equalCustomers compares customer exports ignoring created_at, which is
// the time of the import.
func equalCustomers(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	skip := -1
	for i, h := range a[0] {
		if h == "created_at" {
			skip = i
		}
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if j != skip && a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

func TestCLIErrors(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("order_id,order_date,customer_id,amount\nX1,2025-01-01,C1,10\nX2,2025-01-02,C2,ten\n"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bogus"}, 2, "unknown command"},
		{[]string{"serve", "--db", db, "--backup-dir", t.TempDir(), "--backup-every", "10s"}, 1, "at least 1m"},
		{[]string{"serve", "--db", db, "--backup-dir", t.TempDir(), "--backup-keep", "0"}, 1, "keep at least 1"},
		{[]string{"import", "--db", db, fixture}, 2, "Usage"},
		{[]string{"import", "--db", db, "--shop", "s1", bad}, 1, `bad.csv: row 3, column "amount": got "ten", expected an amount`},
		{[]string{"import", "--db", db, "--shop", "s1", "--format", "excel", bad}, 1, "unknown format"},
		{[]string{"import", "--db", db, "--shop", "s1", "--map", "nonsense=X", bad}, 1, "not a column"},
		{[]string{"export", "--db", db, "--shop", "s1", "orders", "--out", filepath.Join(t.TempDir(), "x.pdf")}, 1, ".csv"},
		{[]string{"export", "--db", db, "--shop", "nope", "orders", "--out", filepath.Join(t.TempDir(), "x.csv")}, 1, "not found"},
	} {
		code, out, errOut := guanxi(t, "", tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("guanxi %s: exit %d, want %d with %q; got\n%s%s", strings.Join(tc.args, " "), code, tc.code, tc.want, out, errOut)
		}
	}
	// The failed import left nothing behind, and --skip-bad imports the rest.
	s := importJSON(t, db, "--skip-bad", bad)
	if s.OrdersCreated != 1 || s.Rejected != 1 {
		t.Errorf("--skip-bad: %+v", s)
	}
	if code, out, _ := guanxi(t, "", "--help"); code != 0 || !strings.Contains(out, "guanxi serve") {
		t.Errorf("--help: %d %s", code, out)
	}
	for _, c := range []string{"serve", "import", "export", "backup", "restore", "version"} {
		if code, out, _ := guanxi(t, "", c, "--help"); code != 0 || !strings.Contains(out, "Usage: guanxi "+c) {
			t.Errorf("%s --help: exit %d\n%s", c, code, out)
		}
	}
	if code, out, _ := guanxi(t, "", "user", "--help"); code != 0 || !strings.Contains(out, "set-password") {
		t.Errorf("user --help: exit %d\n%s", code, out)
	}
}

// syncBuffer is a bytes.Buffer safe to write from the server goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs `guanxi serve` in-process on a free port and returns its
// base URL and a function that stops it and returns the exit code.
func startServer(t *testing.T, env map[string]string, args ...string) (string, func() int) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), strings.NewReader(""), &out, &errOut)
	}()
	re := regexp.MustCompile(`http://[0-9.:]+`)
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if u := re.FindString(out.String()); u != "" {
			return u, func() int {
				cancel()
				select {
				case c := <-done:
					return c
				case <-time.After(20 * time.Second):
					t.Fatal("server did not shut down within 20s")
					return -1
				}
			}
		}
		select {
		case c := <-done:
			t.Fatalf("serve exited with %d:\n%s%s", c, out.String(), errOut.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("serve did not start:\n%s%s", out.String(), errOut.String())
	return "", nil
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeHealthMetricsShutdown(t *testing.T) {
	base, stop := startServer(t, nil, "--db", "sqlite:"+filepath.Join(t.TempDir(), "g.db"))
	if code, body := get(t, base+"/healthz"); code != 200 || !strings.Contains(body, `"status":"ok"`) {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(body, "guanxi_http_requests_total") || !strings.Contains(body, "guanxi_db_open_connections") {
		t.Errorf("/metrics: %d %s", code, body)
	}
	if code := stop(); code != 0 {
		t.Errorf("graceful shutdown exited %d", code)
	}
}

// TestServeBackups: serve with a backup directory (from the environment)
// backs up at once when the directory holds none, verified, on /metrics.
func TestServeBackups(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backups")
	base, stopServer := startServer(t, map[string]string{"GUANXI_BACKUP_DIR": dir, "GUANXI_BACKUP_KEEP": "2"}, "--db", "sqlite:"+filepath.Join(t.TempDir(), "g.db"))
	stop := sync.OnceValue(stopServer)
	defer stop()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := get(t, base+"/metrics")
		if strings.Contains(body, "guanxi_backups_total 1\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scheduled backup within 30 s:\n%s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	names, err := app.Backups(dir)
	if err != nil || len(names) != 1 {
		t.Fatalf("backups %v, %v", names, err)
	}
	if _, err := backup.Verify(filepath.Join(dir, names[0])); err != nil {
		t.Fatal(err)
	}
	if code := stop(); code != 0 {
		t.Errorf("graceful shutdown exited %d", code)
	}
}

// TestServeDemo is the quick start: `guanxi serve --demo` on an empty
// database, then a new user signs in and sees the demo shop's customers.
func TestServeDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("generates the demo shop")
	}
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	base, stop := startServer(t, map[string]string{"GUANXI_ADMIN_PASSWORD": "demo-password-1"}, "--db", db, "--demo")
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(base+"/login", url.Values{"username": {"admin"}, "password": {"demo-password-1"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/s/demo/customers" {
		t.Fatalf("after sign-in: %d at %s\n%.500s", resp.StatusCode, resp.Request.URL, body)
	}
	rows := strings.Count(string(body), "/s/demo/customers/")
	if rows < 20 {
		t.Errorf("the customer list links %d customers, want a page of them", rows)
	}
	// A customer page with orders.
	m := regexp.MustCompile(`/s/demo/customers/(\d+)`).FindStringSubmatch(string(body))
	if m == nil {
		t.Fatal("no customer link")
	}
	resp, err = c.Get(base + m[0])
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "¥") {
		t.Errorf("customer page: %d\n%.500s", resp.StatusCode, page)
	}
	// The demo shop is scored when it is made: the page shows a lifecycle
	// stage and a churn risk with its reason.
	if !regexp.MustCompile(`(新客户|活跃客户|沉睡客户|流失客户|忠诚客户)`).Match(page) || !strings.Contains(string(page), "risk-") {
		t.Errorf("customer page shows no scores:\n%s", page)
	}
	// The demo shop has enough history for the model: its figures show, and
	// every value is formatted (no %!f(*float64=…) from a template).
	if !strings.Contains(string(page), "存活概率") || !strings.Contains(string(page), "聚类") || !strings.Contains(string(page), "推荐商品") || strings.Contains(string(page), "%!") {
		t.Errorf("customer page model figures missing or misformatted:\n%s", page)
	}
	// The demo shop's marketing: consent as collected, points earned, and
	// a draft campaign whose preview counts its audience and exclusions.
	resp, err = c.Get(base + "/s/demo/campaigns")
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	cm := regexp.MustCompile(`/s/demo/campaigns/(\d+)">老客召回`).FindStringSubmatch(string(page))
	if resp.StatusCode != 200 || cm == nil {
		t.Fatalf("campaigns: %d\n%.1000s", resp.StatusCode, page)
	}
	resp, err = c.Get(base + "/s/demo/campaigns/" + cm[1])
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	csrf := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(string(page))
	seg := regexp.MustCompile(`<option value="(\d+)" selected>重要挽留客户`).FindStringSubmatch(string(page))
	if csrf == nil || seg == nil {
		t.Fatalf("campaign page has no form:\n%.2000s", page)
	}
	resp, err = c.PostForm(base+"/s/demo/campaigns/"+cm[1], url.Values{"csrf_token": {csrf[1]}, "action": {"preview"}, "name": {"老客召回 · 短信"},
		"purpose": {"marketing"}, "segment_id": {seg[1]}, "channel": {"sms"}, "body": {"{{name|亲}}，好久不见"}, "schedule": {"now"}, "holdout": {"10"}, "attribution_days": {"7"}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	target := regexp.MustCompile(`id="preview-target">([0-9,]+)<`).FindStringSubmatch(string(page))
	if resp.StatusCode != 200 || target == nil || target[1] == "0" || !strings.Contains(string(page), "未授权营销") {
		t.Errorf("campaign preview: %d\n%.3000s", resp.StatusCode, page)
	}
	resp, err = c.Get(base + "/s/demo/loyalty")
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Contains(string(page), "%!") {
		t.Errorf("loyalty: %d", resp.StatusCode)
	}
	// The demo's service team (issue 6): the scorecard of the last three
	// months counts tickets handled and a CSAT, the ticket list has
	// complaints at several steps, and the NPS survey has results.
	fetch := func(path string) string {
		t.Helper()
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.Contains(string(b), "%!") {
			t.Errorf("%s: %d\n%.1000s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	page = []byte(fetch("/s/demo/scorecard?from=" + time.Now().AddDate(0, -3, 0).Format(time.DateOnly)))
	total := regexp.MustCompile(`(?s)<tr class="total">\s*<td><strong>[^<]*</strong></td>\s*<td class="num">([0-9,]+)</td>(.*?)</tr>`).FindStringSubmatch(string(page))
	if total == nil || total[1] == "0" || !regexp.MustCompile(`<span class="muted">\([1-9][0-9]*\)</span>`).MatchString(total[2]) {
		t.Errorf("scorecard: no tickets handled or no CSAT in the shop's row: %q", total)
	}
	page = []byte(fetch("/s/demo/tickets?kind=complaint&open=all"))
	steps := map[string]bool{}
	for _, m := range regexp.MustCompile(`<span class="badge status">([^<]+)</span>`).FindAllStringSubmatch(string(page), -1) {
		steps[m[1]] = true
	}
	if len(steps) < 3 || !steps["已归档"] {
		t.Errorf("complaints at steps %v, want several, some archived", steps)
	}
	page = []byte(fetch("/s/demo/surveys"))
	sv := regexp.MustCompile(`/s/demo/surveys/(\d+)">您会向朋友推荐我们吗？`).FindStringSubmatch(string(page))
	if sv == nil {
		t.Fatalf("no NPS survey in the list:\n%.2000s", page)
	}
	page = []byte(fetch("/s/demo/surveys/" + sv[1]))
	answered := false
	for _, m := range regexp.MustCompile(`<td class="num">-?[0-9.]+</td><td class="num">([0-9]+)</td>`).FindAllStringSubmatch(string(page), -1) {
		answered = answered || m[1] != "0"
	}
	if !answered {
		t.Errorf("NPS survey page shows no NPS answers:\n%.3000s", page)
	}
	// The REST API answers a token made on the command line.
	out := mustRun(t, "token", "create", "--db", db, "--shop", "demo", "--name", "erp", "--scopes", "customers:read,scores:read")
	tok := regexp.MustCompile(`gx_[A-Za-z0-9_-]+`).FindString(out)
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/customers?limit=5", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	apiBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(apiBody), `"next_offset":5`) {
		t.Errorf("GET /api/v1/customers: %d %.300s", resp.StatusCode, apiBody)
	}
	if code, body := get(t, base+"/api/v1/openapi.json"); code != 200 || !strings.Contains(body, `"openapi"`) {
		t.Errorf("openapi.json: %d", code)
	}
	if code := stop(); code != 0 {
		t.Errorf("shutdown exit %d", code)
	}
	// A second start keeps the demo shop as it is.
	base, stop = startServer(t, nil, "--db", db, "--demo")
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("restart: /healthz %d", code)
	}
	stop()
	// The server queued tonight's scoring of the shop, at 02:00 shop time.
	out = mustRun(t, "jobs", "--db", db, "--shop", "demo", "--json")
	if !strings.Contains(out, `"kind":"score","source":"schedule","status":"queued"`) || !strings.Contains(out, "T02:00:00+08:00") && !strings.Contains(out, "T18:00:00Z") {
		t.Errorf("no nightly score job queued:\n%s", out)
	}
}

// TestAnalyzeRFM runs `guanxi analyze rfm` on a CSV alone and compares the
// result with the hand-computed fixture (internal/analytics/testdata/README.md).
func TestAnalyzeRFM(t *testing.T) {
	out := filepath.Join(t.TempDir(), "rfm.csv")
	mustRun(t, "analyze", "rfm", "--orders", "../../internal/analytics/testdata/rfm_orders.csv", "--as-of", "2025-06-30", "--out", out)
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../internal/analytics/testdata/rfm_expected.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("analyze rfm wrote\n%s\nwant\n%s", got, want)
	}
	if code, _, errOut := guanxi(t, "", "analyze", "rfm", "--orders", "nope.csv", "--as-of", "2025-06-30"); code != 1 || !strings.Contains(errOut, "nope.csv") {
		t.Errorf("missing file: exit %d %s", code, errOut)
	}
	if code, _, errOut := guanxi(t, "", "analyze", "rfm", "--orders", out, "--as-of", "June"); code != 1 || !strings.Contains(errOut, "--as-of") {
		t.Errorf("bad date: exit %d %s", code, errOut)
	}
}

func TestAnalyzeModel(t *testing.T) {
	// A shop where nobody bought twice gets a clear message, not NaN.
	once := filepath.Join(t.TempDir(), "once.csv")
	os.WriteFile(once, []byte("order_id,order_date,customer_id,amount\n1,2025-01-01,a,10\n2,2025-02-01,b,20\n3,2025-03-01,c,30\n"), 0o644)
	if code, out, errOut := guanxi(t, "", "analyze", "model", "--orders", once, "--as-of", "2025-06-30", "--json"); code != 1 || !strings.Contains(errOut, "repeat buyers") {
		t.Errorf("no repeat buyers: exit %d\n%s%s", code, out, errOut)
	}
	const uci = "../../../shared/data/online_retail/online_retail.csv"
	if _, err := os.Stat(uci); err != nil {
		t.Skipf("UCI data set not here (%v); CI has it", err)
	}
	out := mustRun(t, "analyze", "model", "--orders", uci, "--as-of", "2011-12-10", "--timezone", "Europe/London", "--json",
		"--map", "order_id=InvoiceNo,order_date=InvoiceDate,customer_id=CustomerID,quantity=Quantity,unit_price=UnitPrice")
	var res struct {
		Model         string             `json:"model"`
		Unit          string             `json:"unit"`
		AsOf          string             `json:"as_of"`
		Customers     int                `json:"customers"`
		Params        map[string]float64 `json:"params"`
		LogLikelihood float64            `json:"log_likelihood"`
		Spend         *struct {
			Model     string             `json:"model"`
			Customers int                `json:"customers"`
			Params    map[string]float64 `json:"params"`
		} `json:"spend"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if res.Model != "bgnbd" || res.Unit != "week" || res.AsOf != "2011-12-10" || res.Customers != 4339 || res.LogLikelihood >= 0 {
		t.Errorf("model object %+v", res)
	}
	for _, k := range []string{"r", "alpha", "a", "b"} {
		if v := res.Params[k]; !(v > 0) {
			t.Errorf("param %s = %v", k, v)
		}
	}
	if res.Spend == nil || res.Spend.Model != "gamma_gamma" || !(res.Spend.Params["q"] > 1) || res.Spend.Customers == 0 {
		t.Errorf("spend %+v", res.Spend)
	}
}

// TestAnalyzeModelHoldout checks the calibration report on real data: the
// actual holdout purchases it reports must equal a count made here straight
// from the CSV (distinct purchase days in the holdout of the customers who
// bought in the calibration period).
func TestAnalyzeModelHoldout(t *testing.T) {
	const uci = "../../../shared/data/online_retail/online_retail.csv"
	f, err := os.Open(uci)
	if err != nil {
		t.Skipf("UCI data set not here (%v); CI has it", err)
	}
	defer f.Close()
	// Invoice → customer, day and net amount in pence (each line rounded once).
	type inv struct {
		cust, day string
		pence     float64
	}
	invoices := map[string]*inv{}
	r := csv.NewReader(f)
	r.Read()
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec[6] == "" {
			continue
		}
		iv := invoices[rec[0]]
		if iv == nil {
			iv = &inv{cust: rec[6], day: rec[4][:10]}
			invoices[rec[0]] = iv
		}
		var q, p float64
		fmt.Sscan(rec[3], &q)
		fmt.Sscan(rec[5], &p)
		iv.pence += math.Round(q * p * 100)
	}
	calib := map[string]bool{}
	holdout := map[string]map[string]bool{}
	for _, iv := range invoices {
		if iv.pence < 0 {
			continue // a return, not a purchase
		}
		switch {
		case iv.day <= "2011-06-30":
			calib[iv.cust] = true
		case iv.day <= "2011-12-09":
			if holdout[iv.cust] == nil {
				holdout[iv.cust] = map[string]bool{}
			}
			holdout[iv.cust][iv.day] = true
		}
	}
	want := 0
	for c := range calib {
		want += len(holdout[c])
	}
	out := mustRun(t, "analyze", "model", "--orders", uci, "--as-of", "2011-06-30", "--holdout-end", "2011-12-09", "--timezone", "Europe/London", "--json",
		"--map", "order_id=InvoiceNo,order_date=InvoiceDate,customer_id=CustomerID,quantity=Quantity,unit_price=UnitPrice")
	var res struct {
		Customers   int `json:"customers"`
		Calibration struct {
			Buckets []struct {
				Customers int `json:"customers"`
			} `json:"buckets"`
			Actual    float64 `json:"actual_total"`
			Predicted float64 `json:"predicted_total"`
			MAE       float64 `json:"mae"`
		} `json:"calibration"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if res.Customers != len(calib) {
		t.Errorf("calibration customers %d, counted %d", res.Customers, len(calib))
	}
	if int(res.Calibration.Actual) != want {
		t.Errorf("actual holdout purchase days %v, counted %d", res.Calibration.Actual, want)
	}
	n := 0
	for _, b := range res.Calibration.Buckets {
		n += b.Customers
	}
	if n != res.Customers || !(res.Calibration.Predicted > 0) || !(res.Calibration.MAE > 0) {
		t.Errorf("calibration %+v", res.Calibration)
	}
}

// TestAnalyzeCohort checks the cohort matrix on a small hand-computed file:
// a joins in January and comes back in March; b joins in January only; c
// joins in February and buys twice that month (one repeat day); a
// cancelled order and one after the as-of date do not count.
func TestAnalyzeCohort(t *testing.T) {
	in := filepath.Join(t.TempDir(), "orders.csv")
	os.WriteFile(in, []byte("order_id,order_date,customer_id,amount,status\n"+
		"1,2025-01-05,a,10,paid\n2,2025-01-20,b,10,paid\n3,2025-02-02,c,10,paid\n4,2025-02-09,c,10,paid\n"+
		"5,2025-03-03,a,10,paid\n6,2025-02-10,b,10,cancelled\n7,2025-04-01,b,10,paid\n"), 0o644)
	out := filepath.Join(t.TempDir(), "cohort.csv")
	sum := mustRun(t, "analyze", "cohort", "--orders", in, "--as-of", "2025-03-31", "--out", out)
	got, _ := os.ReadFile(out)
	want := "cohort,customers,m0,m1,m2\n2025-01,2,1.0000,0.0000,0.5000\n2025-02,1,1.0000,0.0000,\n2025-03,0,,,\n"
	if string(got) != want {
		t.Errorf("cohort matrix\n%s\nwant\n%s", got, want)
	}
	if !strings.Contains(sum, "repeat-purchase rate 66.7%") {
		t.Errorf("summary %q", sum)
	}
}
