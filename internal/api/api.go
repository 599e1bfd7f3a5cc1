// Package api is Guanxi's REST API under /api/v1: JSON, authenticated by
// per-shop bearer tokens with scopes, rate-limited per token, paginated,
// with one error object shape, and described by an OpenAPI 3 document the
// server serves at /api/v1/openapi.json (a test checks that every route is
// documented and every documented route exists).
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/score"
)

//go:embed openapi.json
var openAPI []byte

// Config is what the API needs.
type Config struct {
	Auth      *auth.Service
	Customers *customer.Service
	Scores    *score.Service
	Log       *slog.Logger
	// Rate and Burst bound each token's requests: Rate a second on
	// average, Burst at once. 0 means 100 a second, bursts of 200.
	Rate  float64
	Burst int
}

// API serves /api/v1.
type API struct {
	cfg     Config
	mu      sync.Mutex
	limits  map[string]*rate.Limiter // by token, "shop/id"
	handler http.Handler
}

// route is one endpoint: what the OpenAPI document must describe.
type route struct {
	method, path string // path in OpenAPI form: /customers/{id}
	scope        string // "" for none (the document itself)
	handle       func(w http.ResponseWriter, r *http.Request, t *auth.Token) error
}

// New returns the API.
func New(cfg Config) *API {
	if cfg.Rate <= 0 {
		cfg.Rate = 100
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 200
	}
	a := &API{cfg: cfg, limits: map[string]*rate.Limiter{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPI)
	})
	for _, rt := range a.routes() {
		mux.HandleFunc(rt.method+" /api/v1"+rt.path, a.guard(rt))
	}
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, guanxi.Errorf(guanxi.ENOTFOUND, "no API route %s %s", r.Method, r.URL.Path))
	})
	a.handler = mux
	return a
}

// ServeHTTP serves /api/v1/….
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

// Routes lists the endpoints that need a token as "METHOD /path" (OpenAPI
// form, under /api/v1), for the document's test.
func Routes() []string {
	var out []string
	for _, rt := range (&API{}).routes() {
		out = append(out, rt.method+" "+rt.path)
	}
	return out
}

// routes lists the endpoints.
func (a *API) routes() []route {
	return []route{
		{"GET", "/customers", "customers:read", a.listCustomers},
		{"GET", "/customers/{id}", "customers:read", a.getCustomer},
		{"GET", "/customers/{id}/scores", "scores:read", a.getScores},
	}
}

// guard authenticates the bearer token, checks its scope and rate, then
// runs the handler and turns its error into the error object.
func (a *API) guard(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		plain, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="guanxi"`)
			writeError(w, guanxi.Errorf(guanxi.EUNAUTH, "an Authorization: Bearer <token> header is required"))
			return
		}
		t, err := a.cfg.Auth.TokenFor(r.Context(), strings.TrimSpace(plain))
		if err != nil {
			if guanxi.ErrorCode(err) == guanxi.EUNAUTH {
				w.Header().Set("WWW-Authenticate", `Bearer realm="guanxi", error="invalid_token"`)
			}
			writeError(w, err)
			return
		}
		if !a.allow(t) {
			w.Header().Set("Retry-After", "1")
			writeError(w, guanxi.Errorf(guanxi.ELIMIT, "rate limit of this token exceeded: slow down"))
			return
		}
		if rt.scope != "" && !t.Has(rt.scope) {
			writeError(w, guanxi.Errorf(guanxi.EFORBIDDEN, "this token lacks the scope %s", rt.scope))
			return
		}
		if err := rt.handle(w, r, t); err != nil {
			if guanxi.ErrorCode(err) == guanxi.EINTERNAL {
				a.cfg.Log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			writeError(w, err)
		}
	}
}

// allow spends one request of the token's budget.
func (a *API) allow(t *auth.Token) bool {
	key := strconv.FormatInt(t.ShopID, 10) + "/" + strconv.FormatInt(t.ID, 10)
	a.mu.Lock()
	l := a.limits[key]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(a.cfg.Rate), a.cfg.Burst)
		a.limits[key] = l
	}
	a.mu.Unlock()
	return l.Allow()
}

// errorBody is the one shape of every error: {"error":{"code","message"}}.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

var statusOf = map[string]int{
	guanxi.ENOTFOUND:  http.StatusNotFound,
	guanxi.EINVALID:   http.StatusBadRequest,
	guanxi.ECONFLICT:  http.StatusConflict,
	guanxi.EFORBIDDEN: http.StatusForbidden,
	guanxi.EUNAUTH:    http.StatusUnauthorized,
	guanxi.ELIMIT:     http.StatusTooManyRequests,
}

func writeError(w http.ResponseWriter, err error) {
	var b errorBody
	b.Error.Code = guanxi.ErrorCode(err)
	b.Error.Message = guanxi.ErrorMessage(err)
	status, ok := statusOf[b.Error.Code]
	if !ok {
		status, b.Error.Message = http.StatusInternalServerError, "internal error"
	}
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// pathID reads the {id} path value.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, guanxi.Errorf(guanxi.EINVALID, "id %q: expected a positive whole number", r.PathValue("id"))
	}
	return id, nil
}

// queryInt reads an optional whole-number query parameter within [lo, hi].
func queryInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, guanxi.Errorf(guanxi.EINVALID, "%s %q: expected a whole number from %d to %d", name, s, lo, hi)
	}
	return n, nil
}

// withTimeout bounds one request's database work.
func withTimeout(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), 10*time.Second)
}
