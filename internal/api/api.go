// Package api is Guanxi's REST API under /api/v1: JSON, authenticated by
// per-shop bearer tokens with scopes, rate-limited per token, paginated,
// with one error object shape, and described by an OpenAPI 3 document the
// server serves at /api/v1/openapi.json (a test checks that every route is
// documented and every documented route exists). Writes (orders, customer
// profiles and tags, saved segments, campaigns, tickets) need the write scopes; the inbound order webhook at
// /api/v1/webhooks/orders/{shop} is authenticated by its HMAC signature
// instead of a token (webhook.go), and so are the channel providers'
// callbacks under /api/v1/channels (channels.go), among them the chat
// tools' customer messages that become tickets (inbound.go).
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/care"
	"github.com/guanxi-crm/guanxi/internal/coupon"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/inbound"
	"github.com/guanxi-crm/guanxi/internal/kb"
	"github.com/guanxi-crm/guanxi/internal/loyalty"
	"github.com/guanxi-crm/guanxi/internal/order"
	"github.com/guanxi-crm/guanxi/internal/privacy"
	"github.com/guanxi-crm/guanxi/internal/score"
	"github.com/guanxi-crm/guanxi/internal/scorecard"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/survey"
	"github.com/guanxi-crm/guanxi/internal/webhook"
)

//go:embed openapi.json
var openAPI []byte

// Config is what the API needs.
type Config struct {
	Auth      *auth.Service
	Customers *customer.Service
	Scores    *score.Service
	Segments  *segment.Service // saved segments: rules, counts, members, history
	Shops     *shop.Service
	Orders    *order.Service
	Writer    *order.Writer      // creates and updates orders (POST, PUT, webhook)
	Loyalty   *loyalty.Service   // earns points for orders written; points endpoints (nil: none)
	Coupons   *coupon.Service    // coupon templates and codes (nil: none)
	Webhooks  *webhook.Service   // checks the inbound webhook's signatures
	Scorecard *scorecard.Service // the service team's KPIs and the CRM's effectiveness (nil: none)
	KB        *kb.Service        // the knowledge base (nil: none)
	Service   *service.Service   // the service desk: tickets, tasks, canned replies (nil: none)
	Inbound   *inbound.Service   // messages from chat tools into tickets (nil: none)
	// Campaigns are drafted, previewed, evaluated and paused through the
	// service; LaunchCampaign and ResumeCampaign are the app's, which also
	// queue the dispatch (or launch) job.
	Campaigns      *campaign.Service
	LaunchCampaign func(ctx context.Context, shopID, id int64) (*campaign.Campaign, error)
	ResumeCampaign func(ctx context.Context, shopID, id int64) error
	// Surveys are drafted, activated, closed and read through the service;
	// SendSurvey is the app's, which also queues the invites' dispatch.
	// Either nil: the survey endpoints answer 404.
	Surveys    *survey.Service
	SendSurvey func(ctx context.Context, shopID, id int64) (int, error)
	Clock      guanxi.Clock // for edits' times; nil means the system clock
	Log        *slog.Logger
	// Rate and Burst bound each token's requests: Rate a second on
	// average, Burst at once. 0 means 100 a second, bursts of 200.
	Rate  float64
	Burst int

	// Care rules are edited and read through Care; RunCareRule is the
	// app's, which also queues the dispatch of the messages a run queued.
	Care        *care.Service
	RunCareRule func(ctx context.Context, shopID, ruleID int64) (*care.Run, error)

	// Privacy exports and erases a customer's data (nil: 404).
	Privacy *privacy.Service
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
	if cfg.Clock == nil {
		cfg.Clock = guanxi.SystemClock{}
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
	mux.HandleFunc("POST /api/v1"+webhookPath, a.webhook)
	mux.HandleFunc("POST /api/v1"+smsInboundPath, a.callback(a.smsInbound))
	mux.HandleFunc("POST /api/v1"+receiptsPath, a.callback(a.receipts))
	mux.HandleFunc("POST /api/v1"+inboundPath, a.callback(a.inboundMessage))
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, guanxi.Errorf(guanxi.ENOTFOUND, "no API route %s %s", r.Method, r.URL.Path))
	})
	a.handler = mux
	return a
}

// ServeHTTP serves /api/v1/….
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

// Routes lists the endpoints as "METHOD /path" (OpenAPI form, under
// /api/v1), for the document's test: those that need a token, and the
// inbound order webhook and the channels' callbacks (signed instead); not
// the document itself.
func Routes() []string {
	var out []string
	for _, ep := range Endpoints() {
		out = append(out, ep.Method+" "+ep.Path)
	}
	return out
}

// Endpoint is a route and the token scope it needs ("" for the inbound
// order webhook and the channels' callbacks, which are signed instead).
type Endpoint struct{ Method, Path, Scope string }

// Endpoints lists every route with its scope, for the access tests.
func Endpoints() []Endpoint {
	var out []Endpoint
	for _, rt := range (&API{}).routes() {
		out = append(out, Endpoint{rt.method, rt.path, rt.scope})
	}
	return append(out, Endpoint{"POST", webhookPath, ""}, Endpoint{"POST", smsInboundPath, ""}, Endpoint{"POST", receiptsPath, ""},
		Endpoint{"POST", inboundPath, ""})
}

// routes lists the endpoints.
func (a *API) routes() []route {
	return []route{
		{"GET", "/customers", "customers:read", a.listCustomers},
		{"GET", "/customers/{id}", "customers:read", a.getCustomer},
		{"GET", "/customers/{id}/scores", "scores:read", a.getScores},
		{"GET", "/customers/{id}/identities", "customers:read", a.getIdentities},
		{"GET", "/customers/{id}/orders", "orders:read", a.customerOrders},
		{"PATCH", "/customers/{id}", "customers:write", a.patchCustomer},
		{"POST", "/customers/{id}/tags", "customers:write", a.addTags},
		{"DELETE", "/customers/{id}/tags/{tag}", "customers:write", a.deleteTag},
		{"GET", "/customers/{id}/export", "customers:pii", a.exportCustomer},
		{"DELETE", "/customers/{id}/personal-data", "customers:pii", a.eraseCustomer},
		{"GET", "/tags", "customers:read", a.listTags},
		{"GET", "/segments", "scores:read", a.listSegments},
		{"POST", "/segments/count", "segments:read", a.countSegment},
		{"GET", "/saved-segments", "segments:read", a.listSavedSegments},
		{"POST", "/saved-segments", "segments:write", a.createSavedSegment},
		{"GET", "/saved-segments/{id}", "segments:read", a.getSavedSegment},
		{"PUT", "/saved-segments/{id}", "segments:write", a.putSavedSegment},
		{"DELETE", "/saved-segments/{id}", "segments:write", a.deleteSavedSegment},
		{"GET", "/saved-segments/{id}/members", "segments:read", a.savedSegmentMembers},
		{"GET", "/saved-segments/{id}/history", "segments:read", a.savedSegmentHistory},
		{"GET", "/orders/{id}", "orders:read", a.getOrder},
		{"POST", "/orders", "orders:write", a.postOrder},
		{"PUT", "/orders/{platform}/{external_id}", "orders:write", a.putOrder},
		{"GET", "/customers/{id}/points", "loyalty:read", a.getPoints},
		{"POST", "/customers/{id}/points", "loyalty:write", a.postPoints},
		{"GET", "/customers/{id}/coupons", "loyalty:read", a.customerCoupons},
		{"GET", "/coupon-templates", "loyalty:read", a.listCouponTemplates},
		{"GET", "/campaigns", "campaigns:read", a.listCampaigns},
		{"POST", "/campaigns", "campaigns:write", a.createCampaign},
		{"POST", "/campaigns/preview", "campaigns:read", a.previewCampaign},
		{"GET", "/campaigns/matrix", "campaigns:read", a.campaignMatrix},
		{"GET", "/campaigns/{id}", "campaigns:read", a.getCampaign},
		{"PUT", "/campaigns/{id}", "campaigns:write", a.putCampaign},
		{"DELETE", "/campaigns/{id}", "campaigns:write", a.deleteCampaign},
		{"POST", "/campaigns/{id}/launch", "campaigns:write", a.campaignAction(a.launch)},
		{"POST", "/campaigns/{id}/pause", "campaigns:write", a.campaignAction(a.pauseCampaign)},
		{"POST", "/campaigns/{id}/resume", "campaigns:write", a.campaignAction(a.resume)},
		{"POST", "/campaigns/{id}/cancel", "campaigns:write", a.campaignAction(a.cancelCampaign)},
		{"POST", "/campaigns/{id}/evaluate", "campaigns:write", a.evaluateCampaign},
		{"GET", "/campaigns/{id}/result", "campaigns:read", a.campaignResult},
		{"GET", "/scorecard/agents", "reports:read", a.scorecardAgents},
		{"GET", "/scorecard/teams", "reports:read", a.scorecardTeams},
		{"GET", "/scorecard/effectiveness", "reports:read", a.scorecardEffectiveness},
		{"GET", "/kb/categories", "kb:read", a.listKBCategories},
		{"POST", "/kb/categories", "kb:write", a.createKBCategory},
		{"PUT", "/kb/categories/{id}", "kb:write", a.putKBCategory},
		{"DELETE", "/kb/categories/{id}", "kb:write", a.deleteKBCategory},
		{"GET", "/kb/articles", "kb:read", a.listKBArticles},
		{"POST", "/kb/articles", "kb:write", a.createKBArticle},
		{"GET", "/kb/articles/{id}", "kb:read", a.getKBArticle},
		{"PUT", "/kb/articles/{id}", "kb:write", a.putKBArticle},
		{"DELETE", "/kb/articles/{id}", "kb:write", a.deleteKBArticle},
		{"GET", "/kb/search", "kb:read", a.searchKB},
		{"GET", "/care/rules", "care:read", a.listCareRules},
		{"POST", "/care/rules", "care:write", a.createCareRule},
		{"GET", "/care/rules/{id}", "care:read", a.getCareRule},
		{"PUT", "/care/rules/{id}", "care:write", a.putCareRule},
		{"DELETE", "/care/rules/{id}", "care:write", a.deleteCareRule},
		{"POST", "/care/rules/{id}/run", "care:write", a.runCareRule},
		{"GET", "/care/rules/{id}/runs", "care:read", a.careRuleRuns},
		{"GET", "/tickets", "tickets:read", a.listTickets},
		{"POST", "/tickets", "tickets:write", a.createTicket},
		{"GET", "/tickets/alerts", "tickets:read", a.ticketAlerts},
		{"GET", "/tickets/{id}", "tickets:read", a.getTicket},
		{"POST", "/tickets/{id}/transition", "tickets:write", a.transitionTicket},
		{"POST", "/tickets/{id}/assign", "tickets:write", a.assignTicket},
		{"POST", "/tickets/{id}/priority", "tickets:write", a.priorityTicket},
		{"POST", "/tickets/{id}/notes", "tickets:write", a.ticketText(func(s *service.Service) func(context.Context, int64, int64, string) error { return s.AddNote })},
		{"POST", "/tickets/{id}/replies", "tickets:write", a.replyTicket},
		{"GET", "/tickets/{id}/attachments", "tickets:read", a.listAttachments},
		{"POST", "/tickets/{id}/attachments", "tickets:write", a.uploadAttachment},
		{"GET", "/attachments/{id}", "tickets:read", a.downloadAttachment},
		{"GET", "/complaints/analytics", "tickets:read", a.complaintAnalytics},
		{"GET", "/tasks", "tickets:read", a.listTasks},
		{"POST", "/tasks", "tickets:write", a.createTask},
		{"GET", "/tasks/{id}", "tickets:read", a.getTask},
		{"POST", "/tasks/{id}/finish", "tickets:write", a.finishTask},
		{"POST", "/tasks/{id}/assign", "tickets:write", a.assignTask},
		{"GET", "/canned-replies", "tickets:read", a.listCanned},
		{"POST", "/canned-replies", "tickets:write", a.createCanned},
		{"GET", "/canned-replies/{id}", "tickets:read", a.getCanned},
		{"PUT", "/canned-replies/{id}", "tickets:write", a.putCanned},
		{"DELETE", "/canned-replies/{id}", "tickets:write", a.deleteCanned},
		{"GET", "/surveys", "surveys:read", a.listSurveys},
		{"POST", "/surveys", "surveys:write", a.createSurvey},
		{"GET", "/surveys/{id}", "surveys:read", a.getSurvey},
		{"PUT", "/surveys/{id}", "surveys:write", a.putSurvey},
		{"POST", "/surveys/{id}/activate", "surveys:write", a.surveyStatus(survey.Active)},
		{"POST", "/surveys/{id}/close", "surveys:write", a.surveyStatus(survey.Closed)},
		{"POST", "/surveys/{id}/send", "surveys:write", a.sendSurvey},
		{"GET", "/surveys/{id}/responses", "surveys:read", a.surveyResponses},
		{"GET", "/surveys/{id}/results", "surveys:read", a.surveyResults},
		{"GET", "/survey-results", "surveys:read", a.shopSurveyResults},
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
		// Changes made with the token are audited under it.
		r = r.WithContext(audit.WithActor(r.Context(), audit.Actor{Name: "token:" + strconv.FormatInt(t.ID, 10) + " " + t.Name, IP: audit.PeerIP(r)}))
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
	codeTooLarge:      http.StatusRequestEntityTooLarge,
	codeTimeout:       http.StatusServiceUnavailable,
}

// codeTooLarge is the error code of a request body over maxBody.
const codeTooLarge = "too_large"

// codeTimeout is the error code of a request that ran out of its time
// (withTimeout): the client may narrow it or try later.
const codeTimeout = "timeout"

// maxBody bounds every request body, the webhook's included.
const maxBody = 1 << 20

// decode reads the JSON request body into v: at most maxBody bytes, one
// value, no unknown fields. Its errors name the field at fault.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonError(err)
		}
		return guanxi.Errorf(guanxi.EINVALID, "body: one JSON value expected, found more after it")
	}
	return nil
}

// jsonError turns a JSON decoding error into an EINVALID error naming the
// field, or a too_large one.
func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &mbe):
		return guanxi.Errorf(codeTooLarge, "body: over the limit of %d bytes", mbe.Limit)
	case errors.Is(err, io.EOF):
		return guanxi.Errorf(guanxi.EINVALID, "body: a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return guanxi.Errorf(guanxi.EINVALID, "body: the JSON ends too soon")
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return guanxi.Errorf(guanxi.EINVALID, "%s: expected %s, got a JSON %s", field, jsonType(te.Type.Kind().String()), te.Value)
	case errors.As(err, &se):
		return guanxi.Errorf(guanxi.EINVALID, "body: not valid JSON (at byte %d)", se.Offset)
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return guanxi.Errorf(guanxi.EINVALID, "%s: unknown field", strings.Trim(f, `"`))
	}
	return guanxi.Errorf(guanxi.EINVALID, "body: %v", err)
}

func jsonType(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"):
		return "a whole number (money in minor units: 12800 for ¥128.00)"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case kind == "slice":
		return "an array"
	case kind == "map", kind == "struct", kind == "ptr":
		return "an object"
	}
	return kind
}

func writeError(w http.ResponseWriter, err error) {
	var b errorBody
	b.Error.Code = guanxi.ErrorCode(err)
	b.Error.Message = guanxi.ErrorMessage(err)
	if b.Error.Code == guanxi.EINTERNAL && errors.Is(err, context.DeadlineExceeded) {
		b.Error.Code, b.Error.Message = codeTimeout, "the request took longer than 10 seconds: narrow it, or try again later"
		w.Header().Set("Retry-After", "10")
	}
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

// pageParams reads a list's ?limit= (1 to most, def when absent) and
// ?offset=.
func pageParams(r *http.Request, def, most int) (limit, offset int, err error) {
	if limit, err = queryInt(r, "limit", def, 1, most); err != nil {
		return 0, 0, err
	}
	offset, err = queryInt(r, "offset", 0, 0, 1<<30)
	return limit, offset, err
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

// getOne answers a GET of one record by the {id} of the path: get reads it
// in the token's shop (another shop's is not found), out shapes it.
// deleteOne deletes the record named by the path's id and answers
// {"id", "deleted": true}.
func deleteOne(w http.ResponseWriter, r *http.Request, t *auth.Token, del func(ctx context.Context, shopID, id int64) error) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if err := del(ctx, t.ShopID, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "deleted": true})
	return nil
}

// listAll answers {key: [out(item)…]} with the shop's items, in the order
// list returns them.
func listAll[T any, J any](w http.ResponseWriter, r *http.Request, t *auth.Token, key string,
	list func(ctx context.Context, shopID int64) ([]T, error), out func(*T) J) error {
	ctx, cancel := withTimeout(r)
	defer cancel()
	items, err := list(ctx, t.ShopID)
	if err != nil {
		return err
	}
	res := make([]J, len(items))
	for i := range items {
		res[i] = out(&items[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{key: res})
	return nil
}

// setVersion names a record's version as its ETag, the value a change's
// If-Match must carry (versionOf reads it back).
func setVersion(w http.ResponseWriter, version int64) {
	w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(version, 10)))
}

func getOne[T any, J any](w http.ResponseWriter, r *http.Request, t *auth.Token, get func(ctx context.Context, shopID, id int64) (T, error), out func(T) J) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	v, err := get(ctx, t.ShopID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out(v))
	return nil
}
