package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guanxi-crm/guanxi/internal/api"
	"github.com/guanxi-crm/guanxi/internal/job"
	"github.com/guanxi-crm/guanxi/internal/order"
	"github.com/guanxi-crm/guanxi/internal/report"
	"github.com/guanxi-crm/guanxi/internal/webhook"
)

// ServerConfig is how the HTTP server listens.
type ServerConfig struct {
	Addr          string // :8080
	SecureCookies bool   // set when served over HTTPS (directly or behind a proxy)
	// Ready, when set, receives the address actually listened on.
	Ready func(addr string)
	// Nightly scoring: when ScoreDaily is set, every shop is scored each
	// day at ScoreHour:ScoreMinute in its own zone, as a job.
	ScoreDaily             bool
	ScoreHour, ScoreMinute int
	// JobPoll is how often the job queue is looked at (30 s when 0).
	JobPoll time.Duration
	// PublicURL is where customers reach this server, for the unsubscribe
	// links of campaign messages ("https://crm.example.com"); default
	// http:// and the listen address.
	PublicURL string
	// APIRate bounds each API token's requests a second (bursts of twice
	// that); 0 is the API's default of 100.
	APIRate float64
	// InboundSMTP, when set, is where the SMTP server receiving the shops'
	// service mail listens (127.0.0.1:2525): mail to service+<shop>@… opens
	// or continues tickets (internal/inbound).
	InboundSMTP string
	// Backups, when its Dir is set, backs the database up there on a
	// schedule, keeping the newest (backups.go).
	Backups BackupSchedule
	// AllowPrivateNetwork lets every shop's channel providers (SMS gateway,
	// webhook, WeChat base URL, SMTP server) be on loopback, private or
	// CGNAT addresses, for on-premise gateways; off, only a shop's admin
	// can allow it for the shop's own channels. Link-local addresses (the
	// cloud metadata service) stay refused. See internal/netguard.
	AllowPrivateNetwork bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (proxy.go); none: the connection's peer is the client.
	TrustedProxies []netip.Prefix
}

// Serve runs the HTTP server until ctx is done, then shuts down gracefully,
// letting requests in flight finish for up to 15 seconds.
func (a *App) Serve(ctx context.Context, cfg ServerConfig) error {
	if err := cfg.Backups.Check(); err != nil {
		return err
	}
	a.Campaigns.AllowPrivateNetwork(cfg.AllowPrivateNetwork)
	h, err := a.Handler(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	smtpLn, err := a.listenInbound(cfg.InboundSMTP)
	if err != nil {
		_ = ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	a.Log.Info("listening", "addr", ln.Addr().String(), "db", a.DB.Dialect, "version", Version)
	if cfg.Ready != nil {
		cfg.Ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// The job runner stops with the server; a job it is running is queued
	// again and runs anew at the next start.
	jctx, stopJobs := context.WithCancel(ctx)
	defer stopJobs()
	var jobs sync.WaitGroup
	// The queue always runs: campaigns are dispatched by it. Nightly
	// scoring and loyalty upkeep are planned only when asked for.
	sch := a.scheduler()
	if cfg.ScoreDaily {
		sch.Every(job.Daily{Kind: "score", Hour: cfg.ScoreHour, Minute: cfg.ScoreMinute})
		// Loyalty upkeep (expiry, tiers) runs with the nightly maintenance,
		// a quarter of an hour before scoring so its spend is settled.
		at := (cfg.ScoreHour*60 + cfg.ScoreMinute + 24*60 - 15) % (24 * 60)
		sch.Every(job.Daily{Kind: "loyalty", Hour: at / 60, Minute: at % 60})
	}
	// Campaign results are measured every morning, before the team reads them.
	sch.Every(job.Daily{Kind: "evaluate", Hour: 6, Minute: 0})
	// Care rules run every morning, then hourly (see care.go).
	sch.Every(job.Daily{Kind: "care", Hour: CareHour, Minute: 0})
	sch.Every(job.Daily{Kind: PrivacyKind, Hour: PrivacyHour, Minute: PrivacyMinute})
	if cfg.JobPoll > 0 {
		sch.Poll = cfg.JobPoll
	}
	a.Dispatcher.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if a.Dispatcher.PublicURL == "" {
		a.Dispatcher.PublicURL = "http://" + ln.Addr().String()
	}
	// CSAT invites run every 15 minutes from the start, not from midnight.
	if err := a.PlanSurveys(jctx); err != nil {
		a.Log.Error("survey jobs not planned", "err", err)
	}
	jobs.Go(func() { sch.Run(jctx) })
	jobs.Go(func() { a.warm(jctx) })
	if smtpLn != nil {
		jobs.Go(func() { a.serveInbound(jctx, smtpLn) })
	}
	jobs.Go(func() { a.escalationLoop(jctx) })
	if cfg.Backups.Dir != "" {
		jobs.Go(func() { a.backupLoop(jctx, cfg.Backups) })
	}
	defer jobs.Wait()
	select {
	case err := <-errc:
		stopJobs()
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Handler returns the whole HTTP handler: operator endpoints and the UI.
func (a *App) Handler(cfg ServerConfig) (http.Handler, error) {
	mux := http.NewServeMux()
	m := &metrics{start: time.Now(), codes: map[int]*atomic.Int64{}}
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) { a.writeMetrics(w, m) })
	if err := a.registerUI(mux, cfg); err != nil {
		return nil, err
	}
	mux.Handle("/api/v1/", api.New(api.Config{Auth: a.Auth, Customers: a.Customers, Scores: a.Scores, Segments: a.Segments, Log: a.Log,
		Shops: a.Shops, Orders: order.NewService(a.DB), Writer: order.NewWriter(a.Importer), Loyalty: a.Loyalty, Coupons: a.Coupons, Webhooks: webhook.NewService(a.DB, a.Clock), Clock: a.Clock,
		Service: a.Desk, Inbound: a.Inbound, Privacy: a.Privacy(),
		Campaigns: a.Campaigns, LaunchCampaign: a.LaunchCampaign, ResumeCampaign: a.ResumeCampaign,
		Scorecard: a.Scorecard,
		KB:        a.KB,
		Care:      a.Care(), RunCareRule: a.RunCareRule,
		Surveys: a.Surveys, SendSurvey: a.SendSurvey,
		Rate: cfg.APIRate, Burst: int(2 * cfg.APIRate)}))
	return behindProxies(cfg.TrustedProxies, a.observe(mux, m)), nil
}

// healthz answers 200 when the database answers, 503 otherwise.
func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	v, err := a.DB.SchemaVersion(ctx)
	if err == nil {
		err = a.DB.Ping(ctx)
	}
	if err != nil {
		a.Log.Warn("health check failed", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, `{"status":"unavailable","db":%q}`+"\n", string(a.DB.Dialect))
		return
	}
	fmt.Fprintf(w, `{"status":"ok","db":%q,"schema":%d,"version":%q}`+"\n", string(a.DB.Dialect), v, Version)
}

// metrics are the figures /metrics exposes in Prometheus' text format.
type metrics struct {
	start    time.Time
	mu       sync.Mutex
	codes    map[int]*atomic.Int64
	inflight atomic.Int64
	durSum   atomic.Int64 // microseconds
	durCount atomic.Int64
}

func (m *metrics) count(code int) {
	m.mu.Lock()
	c, ok := m.codes[code]
	if !ok {
		c = &atomic.Int64{}
		m.codes[code] = c
	}
	m.mu.Unlock()
	c.Add(1)
}

func (a *App) writeMetrics(w http.ResponseWriter, m *metrics) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	fmt.Fprintf(w, "# HELP guanxi_http_requests_total HTTP requests by status code.\n# TYPE guanxi_http_requests_total counter\n")
	m.mu.Lock()
	for code, c := range m.codes {
		fmt.Fprintf(w, "guanxi_http_requests_total{code=\"%d\"} %d\n", code, c.Load())
	}
	m.mu.Unlock()
	fmt.Fprintf(w, "# HELP guanxi_http_request_duration_seconds Time spent serving requests.\n# TYPE guanxi_http_request_duration_seconds summary\n")
	fmt.Fprintf(w, "guanxi_http_request_duration_seconds_sum %s\n", strconv.FormatFloat(float64(m.durSum.Load())/1e6, 'f', 6, 64))
	fmt.Fprintf(w, "guanxi_http_request_duration_seconds_count %d\n", m.durCount.Load())
	fmt.Fprintf(w, "# TYPE guanxi_http_requests_in_flight gauge\nguanxi_http_requests_in_flight %d\n", m.inflight.Load())
	read, write := a.DB.Stats()
	fmt.Fprintf(w, "# TYPE guanxi_db_open_connections gauge\nguanxi_db_open_connections{pool=\"read\"} %d\nguanxi_db_open_connections{pool=\"write\"} %d\n", read.OpenConnections, write.OpenConnections)
	fmt.Fprintf(w, "# TYPE guanxi_db_wait_count_total counter\nguanxi_db_wait_count_total{pool=\"read\"} %d\nguanxi_db_wait_count_total{pool=\"write\"} %d\n", read.WaitCount, write.WaitCount)
	fmt.Fprintf(w, "# HELP guanxi_campaign_messages_total Campaign messages dispatched by channel and outcome (queued: to retry).\n# TYPE guanxi_campaign_messages_total counter\n")
	for k, n := range a.Dispatcher.Outcomes() {
		fmt.Fprintf(w, "guanxi_campaign_messages_total{channel=%q,outcome=%q} %d\n", k[0], k[1], n)
	}
	a.writeDeskMetrics(w)
	a.writeBackupMetrics(w)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(w, "# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintf(w, "# TYPE go_memstats_heap_alloc_bytes gauge\ngo_memstats_heap_alloc_bytes %d\n", ms.HeapAlloc)
	fmt.Fprintf(w, "# TYPE guanxi_uptime_seconds gauge\nguanxi_uptime_seconds %d\n", int64(time.Since(m.start).Seconds()))
	fmt.Fprintf(w, "# TYPE guanxi_build_info gauge\nguanxi_build_info{version=%q,db=%q} 1\n", Version, string(a.DB.Dialect))
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// observe logs each request once and counts it for /metrics; a panic in a
// handler becomes a logged 500, not a dead connection.
func (a *App) observe(next http.Handler, m *metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		m.inflight.Add(1)
		defer func() {
			m.inflight.Add(-1)
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				a.Log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p))
				if sw.code == 0 {
					http.Error(sw, "internal error", http.StatusInternalServerError)
				}
			}
			d := time.Since(start)
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			m.count(code)
			m.durSum.Add(d.Microseconds())
			m.durCount.Add(1)
			if r.URL.Path != "/healthz" && r.URL.Path != "/metrics" {
				a.Log.Info("http", "method", r.Method, "path", r.URL.Path, "status", code, "ms", float64(d.Microseconds())/1000)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// warm loads each shop's in-memory figures (the dashboards' facts, the
// customer list's filter counts) once the server is up, so that the first
// person to open a page does not wait a second or more for a big shop's.
func (a *App) warm(ctx context.Context) {
	shops, err := a.Shops.List(ctx)
	if err != nil {
		a.Log.Warn("warm up: list shops", "err", err)
		return
	}
	for _, sh := range shops {
		start := time.Now()
		if _, err := a.Customers.Facets(ctx, sh.ID); err != nil {
			a.Log.Warn("warm up: filter counts", "shop", sh.Code, "err", err)
		}
		// The questions the customer list and the overview ask first.
		for _, by := range []string{"channel", "month"} {
			if _, err := a.Reports.Cube(ctx, sh.ID, report.CubeQuery{By: []string{by}}); err != nil && ctx.Err() == nil {
				a.Log.Warn("warm up: dashboard facts", "shop", sh.Code, "err", err)
			}
		}
		if ctx.Err() != nil {
			return
		}
		a.Log.Info("warmed up", "shop", sh.Code, "seconds", time.Since(start).Seconds())
	}
}
