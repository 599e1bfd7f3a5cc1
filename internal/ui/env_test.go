package ui_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/care"
	"github.com/guanxi-crm/guanxi/internal/coupon"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/kb"
	"github.com/guanxi-crm/guanxi/internal/loyalty"
	"github.com/guanxi-crm/guanxi/internal/order"
	"github.com/guanxi-crm/guanxi/internal/privacy"
	"github.com/guanxi-crm/guanxi/internal/report"
	"github.com/guanxi-crm/guanxi/internal/score"
	"github.com/guanxi-crm/guanxi/internal/scorecard"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/survey"
	"github.com/guanxi-crm/guanxi/internal/ui"
)

// password is every test user's password.
const password = "correct horse battery"

// env is a Guanxi web server on a loopback port with two shops loaded from
// testdata through the real importer, and users:
//
//	alice  admin of shop a      ann   analyst of shop a
//	bob    admin of shop b      multi agent of a and analyst of b
//	carl   care staff of shop a
type env struct {
	srv       *httptest.Server
	db        *store.DB
	auth      *auth.Service
	shopA     *shop.Shop
	shopB     *shop.Shop
	logBuf    *strings.Builder
	routes    []string // every pattern the UI registered
	campaigns *campaign.Service
	care      *care.Service
	surveys   *survey.Service
}

// recorder lists the patterns registered on a mux.
type recorder struct {
	mux      *http.ServeMux
	patterns []string
}

func (r *recorder) Handle(pattern string, h http.Handler) {
	r.patterns = append(r.patterns, pattern)
	r.mux.Handle(pattern, h)
}

func newEnv(t testing.TB, db *store.DB) *env {
	t.Helper()
	ctx := context.Background()
	clock := guanxi.SystemClock{}
	var logBuf strings.Builder
	log := slog.New(slog.NewTextHandler(&logBuf, nil))
	shops := shop.NewService(db, clock)
	e := &env{db: db, auth: auth.NewService(db, clock), logBuf: &logBuf,
		shopA: &shop.Shop{Code: "a", Name: "西湖茶庄"}, shopB: &shop.Shop{Code: "b", Name: "中原百货"}}
	for _, sh := range []*shop.Shop{e.shopA, e.shopB} {
		if err := shops.Create(ctx, sh); err != nil {
			t.Fatal(err)
		}
	}
	imp := importer.NewService(db, clock, slog.New(slog.DiscardHandler))
	for _, f := range []struct {
		sh     *shop.Shop
		path   string
		format string
	}{
		{e.shopA, "testdata/shop_a.csv", "generic"},
		{e.shopA, "testdata/shop_a_taobao.csv", "taobao"},
		{e.shopB, "testdata/shop_b.csv", "generic"},
	} {
		if _, err := imp.ImportFile(ctx, f.sh, f.path, importer.Options{Format: f.format}); err != nil {
			t.Fatalf("import %s: %v", f.path, err)
		}
	}
	for _, u := range []struct {
		name   string
		grants map[*shop.Shop]auth.Role
	}{
		{"alice", map[*shop.Shop]auth.Role{e.shopA: auth.RoleAdmin}},
		{"ann", map[*shop.Shop]auth.Role{e.shopA: auth.RoleAnalyst}},
		{"bob", map[*shop.Shop]auth.Role{e.shopB: auth.RoleAdmin}},
		{"multi", map[*shop.Shop]auth.Role{e.shopA: auth.RoleAgent, e.shopB: auth.RoleAnalyst}},
		{"carl", map[*shop.Shop]auth.Role{e.shopA: auth.RoleCare}},
	} {
		usr, err := e.auth.CreateUser(ctx, u.name, strings.ToUpper(u.name[:1])+u.name[1:], password)
		if err != nil {
			t.Fatal(err)
		}
		for sh, role := range u.grants {
			if err := e.auth.Grant(ctx, usr.ID, sh.ID, role); err != nil {
				t.Fatal(err)
			}
		}
	}
	scores := score.NewService(db, clock, slog.New(slog.DiscardHandler))
	if _, err := scores.Run(ctx, e.shopA, time.Date(2025, 12, 31, 0, 0, 0, 0, e.shopA.Location())); err != nil {
		t.Fatal(err)
	}
	e.campaigns = campaign.NewService(db, clock, segment.NewService(db, clock), nil)
	e.care = care.NewService(db, clock, care.Deps{Segments: segment.NewService(db, clock), Campaigns: e.campaigns, Tasks: service.NewService(db, clock),
		Loyalty: loyalty.NewService(db, clock), Coupons: coupon.NewService(db, clock, segment.NewService(db, clock))})
	desk := service.NewService(db, clock)
	desk.SetChannels(e.campaigns)
	e.surveys = survey.NewService(db, clock, segment.NewService(db, clock), e.campaigns, service.NewService(db, clock))
	web, err := ui.New(ui.Config{Auth: e.auth, Shops: shops, Customers: customer.NewService(db), Orders: order.NewService(db),
		Scores: scores, Reports: report.NewService(db), Scorecard: scorecard.NewService(db, clock, nil), Segments: segment.NewService(db, clock), Audit: audit.NewService(db, clock), Log: log, Clock: clock,
		Loyalty: loyalty.NewService(db, clock), Coupons: coupon.NewService(db, clock, segment.NewService(db, clock)),
		Campaigns: e.campaigns, CampaignJobs: launchNow{e.campaigns},
		KB:   kb.NewService(db, clock),
		Care: e.care, CareJobs: runNow{e.care},
		Service: desk,
		Surveys: e.surveys, SurveyJobs: sendNow{e.surveys},
		Privacy: privacy.NewService(db, clock),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	rec := &recorder{mux: mux}
	web.Register(rec)
	e.routes = rec.patterns
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// customerID returns the id of the live customer of the shop with the name.
// customersSvc is the customer service over the env's database.
func (e *env) customersSvc() *customer.Service { return customer.NewService(e.db) }

func (e *env) customerID(t testing.TB, sh *shop.Shop, name string) int64 {
	t.Helper()
	var id int64
	if err := e.db.QueryRow(context.Background(), `SELECT id FROM customers WHERE shop_id = ? AND name = ? AND merged_into IS NULL`, sh.ID, name).Scan(&id); err != nil {
		t.Fatalf("customer %s of shop %s: %v", name, sh.Code, err)
	}
	return id
}

// client is a browser stand-in: it keeps cookies and does not follow
// redirects, so tests see them.
type client struct {
	t    testing.TB
	base string
	http *http.Client
}

func (e *env) client(t testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: e.srv.URL, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(req *http.Request) page {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// get fetches a path; headers come in name, value pairs.
func (c *client) get(path string, headers ...string) page {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

func (c *client) post(path string, form url.Values, headers ...string) page {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

// signIn signs in through the form and returns the redirect it got.
func (c *client) signIn(username string) string {
	c.t.Helper()
	p := c.post("/login", url.Values{"username": {username}, "password": {password}})
	if p.status != http.StatusSeeOther {
		c.t.Fatalf("sign in as %s: status %d\n%s", username, p.status, p.body)
	}
	return p.header.Get("Location")
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf returns the CSRF token from a signed-in page.
func (c *client) csrf() string {
	c.t.Helper()
	p := c.get("/s/a/customers")
	m := csrfRe.FindStringSubmatch(p.body)
	if m == nil {
		c.t.Fatalf("no CSRF token on /s/a/customers (status %d)", p.status)
	}
	return m[1]
}
