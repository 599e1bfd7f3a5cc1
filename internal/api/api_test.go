package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/api"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/care"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/demo/demotest"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/kb"
	"github.com/guanxi-crm/guanxi/internal/order"
	"github.com/guanxi-crm/guanxi/internal/privacy"
	"github.com/guanxi-crm/guanxi/internal/score"
	"github.com/guanxi-crm/guanxi/internal/scorecard"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
	"github.com/guanxi-crm/guanxi/internal/survey"
	"github.com/guanxi-crm/guanxi/internal/webhook"
)

var ctx = context.Background()

type env struct {
	srv          *httptest.Server
	handler      http.Handler
	db           *store.DB
	now          time.Time // the clock of the API and the webhook's replay window
	auth         *auth.Service
	customers    *customer.Service
	webhooks     *webhook.Service
	segments     *segment.Service
	campaigns    *campaign.Service
	care         *care.Service
	surveys      *survey.Service
	shopA, shopB *shop.Shop
}

func newEnv(t testing.TB, db *store.DB, cfg api.Config) *env {
	t.Helper()
	end := time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
	clock := guanxi.FixedClock(end)
	e := &env{db: db, now: end, auth: auth.NewService(db, clock), customers: customer.NewService(db), webhooks: webhook.NewService(db, clock),
		shopA: demotest.Shop(t, db, "a", end, 300, 900), shopB: demotest.Shop(t, db, "b", end, 40, 100)}
	scores := score.NewService(db, clock, slog.New(slog.DiscardHandler))
	if _, err := scores.Run(ctx, e.shopA, end.In(e.shopA.Location())); err != nil {
		t.Fatal(err)
	}
	cfg.Auth, cfg.Customers, cfg.Scores, cfg.Log = e.auth, e.customers, scores, slog.New(slog.DiscardHandler)
	cfg.Shops, cfg.Orders, cfg.Webhooks, cfg.Clock = shop.NewService(db, clock), order.NewService(db), e.webhooks, clock
	e.segments = segment.NewService(db, clock)
	cfg.Scorecard = scorecard.NewService(db, clock, nil)
	cfg.Segments = e.segments
	e.campaigns = campaign.NewService(db, clock, e.segments, nil)
	cfg.Campaigns, cfg.LaunchCampaign, cfg.ResumeCampaign = e.campaigns, e.launchCampaign, e.resumeCampaign
	cfg.KB = kb.NewService(db, clock)
	e.care = care.NewService(db, clock, care.Deps{Segments: e.segments, Campaigns: e.campaigns, Tasks: service.NewService(db, clock), Loyalty: cfg.Loyalty, Coupons: cfg.Coupons})
	cfg.Care, cfg.RunCareRule = e.care, e.care.Run
	e.surveys = survey.NewService(db, clock, e.segments, e.campaigns, service.NewService(db, clock))
	cfg.Surveys, cfg.SendSurvey = e.surveys, e.surveys.Send
	cfg.Writer = order.NewWriter(importer.NewService(db, clock, slog.New(slog.DiscardHandler)))
	if cfg.Privacy == nil {
		cfg.Privacy = privacy.NewService(db, clock)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", api.New(cfg))
	e.handler = mux
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) token(t testing.TB, sh *shop.Shop, scopes ...string) string {
	t.Helper()
	plain, _, err := e.auth.CreateToken(ctx, sh.ID, "test", scopes, nil)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// get calls the API and decodes the JSON answer into out (when not nil).
func (e *env) get(t *testing.T, token, path string, out any) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1"+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("%s: content type %q", path, resp.Header.Get("Content-Type"))
	}
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: %v\n%s", path, err, b)
		}
	}
	return resp.StatusCode, resp.Header, string(b)
}

// errorCode checks the body is the one error shape and returns its code.
func errorCode(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Errorf("not an error object: %s", body)
	}
	return e.Error.Code
}

func TestAPI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, api.Config{})
		read := e.token(t, e.shopA, "customers:read")
		full := e.token(t, e.shopA, "customers:read", "customers:pii", "scores:read")
		other := e.token(t, e.shopB, "customers:read", "customers:pii", "scores:read")

		// Authentication and scopes, with the one error shape.
		for _, c := range []struct {
			token, path string
			status      int
			code        string
		}{
			{"", "/customers", 401, "unauthorized"},
			{"gx_nonsense", "/customers", 401, "unauthorized"},
			{"not-even-ours", "/customers/1", 401, "unauthorized"},
			{read, "/customers/1/scores", 403, "forbidden"},
			{read, "/customers/abc", 400, "invalid"},
			{read, "/customers?limit=0", 400, "invalid"},
			{read, "/customers?limit=201", 400, "invalid"},
			{read, "/customers/999999", 404, "not_found"},
			{read, "/nowhere", 404, "not_found"},
		} {
			status, hdr, body := e.get(t, c.token, c.path, nil)
			if status != c.status || errorCode(t, body) != c.code {
				t.Errorf("%s with %.6q: %d %s, want %d %s", c.path, c.token, status, body, c.status, c.code)
			}
			if status == 401 && hdr.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: 401 without WWW-Authenticate", c.path)
			}
		}

		// Pagination walks every live customer once.
		var first struct {
			Total int `json:"total"`
		}
		e.get(t, read, "/customers?limit=1", &first)
		seen := map[int64]bool{}
		for offset := 0; ; {
			var page struct {
				Customers []struct {
					ID    int64  `json:"id"`
					Phone string `json:"phone"`
				} `json:"customers"`
				Total      int  `json:"total"`
				NextOffset *int `json:"next_offset"`
			}
			if status, _, body := e.get(t, read, fmt.Sprintf("/customers?limit=37&offset=%d", offset), &page); status != 200 {
				t.Fatalf("page at %d: %d %s", offset, status, body)
			}
			for _, c := range page.Customers {
				if seen[c.ID] {
					t.Fatalf("customer %d on two pages", c.ID)
				}
				seen[c.ID] = true
				if c.Phone != "" && !strings.Contains(c.Phone, "****") {
					t.Fatalf("phone %q unmasked without customers:pii", c.Phone)
				}
			}
			if page.NextOffset == nil {
				break
			}
			offset = *page.NextOffset
		}
		if len(seen) != first.Total || first.Total == 0 {
			t.Errorf("walked %d customers, total says %d", len(seen), first.Total)
		}

		// One customer: masked or whole by scope; scores with the scope.
		var id int64
		var phone string
		for cid := range seen {
			c, err := e.customers.Get(ctx, e.shopA.ID, cid)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Phone) == 11 && !strings.Contains(c.Phone, "*") {
				id, phone = cid, c.Phone
				break
			}
		}
		if id == 0 {
			t.Fatal("no customer with a phone in the test shop")
		}
		var masked, whole struct {
			ID    int64  `json:"id"`
			Phone string `json:"phone"`
		}
		e.get(t, read, fmt.Sprintf("/customers/%d", id), &masked)
		e.get(t, full, fmt.Sprintf("/customers/%d", id), &whole)
		if masked.ID != id || masked.Phone != guanxi.MaskPhone(phone) || whole.Phone != phone {
			t.Errorf("customer %d: masked %+v, whole %+v, phone %s", id, masked, whole, phone)
		}
		var sc struct {
			Segment   string `json:"segment"`
			Lifecycle string `json:"lifecycle"`
		}
		if status, _, body := e.get(t, full, fmt.Sprintf("/customers/%d/scores", id), &sc); status != 200 || sc.Segment == "" || sc.Lifecycle == "" {
			t.Errorf("scores: %d %s", status, body)
		}

		// Another shop's token sees its own shop only: ids are per shop, so
		// the same number is its own customer or not found.
		var b struct {
			Name string `json:"name"`
		}
		status, _, _ := e.get(t, other, fmt.Sprintf("/customers/%d", id), &b)
		if own, err := e.customers.Get(ctx, e.shopB.ID, id); err == nil {
			if status != 200 || b.Name != own.Name {
				t.Errorf("shop b token, id %d: %d %q, want its own customer %q", id, status, b.Name, own.Name)
			}
		} else if status != 404 {
			t.Errorf("shop b token, id %d of shop a only: %d, want 404", id, status)
		}
		if status, _, _ := e.get(t, other, fmt.Sprintf("/customers/%d/scores", id), nil); status != 404 {
			t.Errorf("shop b (not scored) scores: %d, want 404", status)
		}

		// Revocation takes effect at once.
		toks, err := e.auth.Tokens(ctx, e.shopA.ID)
		if err != nil || len(toks) != 2 {
			t.Fatalf("tokens %v %v", toks, err)
		}
		for _, tk := range toks {
			if err := e.auth.RevokeToken(ctx, e.shopA.ID, tk.ID); err != nil {
				t.Fatal(err)
			}
		}
		if status, _, _ := e.get(t, read, "/customers", nil); status != 401 {
			t.Errorf("revoked token: %d", status)
		}
	})
}

// Each token has its own budget; past it, 429 with Retry-After.
func TestRateLimit(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), api.Config{Rate: 0.001, Burst: 3})
	tok, other := e.token(t, e.shopA, "customers:read"), e.token(t, e.shopA, "customers:read")
	for i := range 3 {
		if status, _, _ := e.get(t, tok, "/customers?limit=1", nil); status != 200 {
			t.Fatalf("request %d: %d", i, status)
		}
	}
	status, hdr, body := e.get(t, tok, "/customers?limit=1", nil)
	if status != 429 || hdr.Get("Retry-After") == "" || errorCode(t, body) != "rate_limited" {
		t.Errorf("over the limit: %d %q %s", status, hdr.Get("Retry-After"), body)
	}
	if status, _, _ := e.get(t, other, "/customers?limit=1", nil); status != 200 {
		t.Errorf("another token: %d", status)
	}
}

// The document is served, and describes exactly the routes the API has.
func TestOpenAPI(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), api.Config{})
	status, _, body := e.get(t, "", "/openapi.json", nil)
	if status != 200 {
		t.Fatalf("openapi.json: %d", status)
	}
	var doc struct {
		OpenAPI string                         `json:"openapi"`
		Paths   map[string]map[string]struct{} `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("not an OpenAPI 3 document: %v", err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(documented)
	routes := append(api.Routes(), "GET /openapi.json")
	slices.Sort(routes)
	if !slices.Equal(documented, routes) {
		t.Errorf("documented %v\nroutes     %v", documented, routes)
	}
	// Every documented route answers (not the catch-all's "no API route").
	tok := e.token(t, e.shopA, auth.Scopes...)
	r := strings.NewReplacer("{id}", "1", "{tag}", "vip", "{platform}", "generic", "{external_id}", "X1", "{shop}", "a")
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt, " ")
		if _, body := e.do(t, method, tok, r.Replace(path), nil, nil); strings.Contains(body, "no API route") {
			t.Errorf("%s is documented but not served", rt)
		}
	}
}
