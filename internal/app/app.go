// Package app wires Guanxi together: configuration, the store, the domain
// services, the demo shop and the HTTP server. cmd/guanxi calls into it and
// holds no logic of its own. An *App is safe for concurrent use.
package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/coupon"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/inbound"
	"github.com/guanxi-crm/guanxi/internal/job"
	"github.com/guanxi-crm/guanxi/internal/kb"
	"github.com/guanxi-crm/guanxi/internal/loyalty"
	"github.com/guanxi-crm/guanxi/internal/report"
	"github.com/guanxi-crm/guanxi/internal/score"
	"github.com/guanxi-crm/guanxi/internal/scorecard"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/survey"
)

// Version is set at build time with -ldflags "-X …/internal/app.Version=v1.2.3".
var Version = "dev"

// DefaultDSN is the database used when neither --db nor GUANXI_DB says.
const DefaultDSN = "sqlite:guanxi.db"

// DSNFromEnv returns GUANXI_DB, or DefaultDSN.
func DSNFromEnv() string {
	if v := strings.TrimSpace(os.Getenv("GUANXI_DB")); v != "" {
		return v
	}
	return DefaultDSN
}

// Config is what an operator can set.
type Config struct {
	DB        string // sqlite:PATH or postgres://…
	LogLevel  string // debug, info, warn, error
	LogFormat string // text or json
	LogOut    io.Writer
}

// App is an open Guanxi: its database and services.
type App struct {
	DB        *store.DB
	Log       *slog.Logger
	Clock     guanxi.Clock
	Shops     *shop.Service
	Auth      *auth.Service
	Importer  *importer.Service
	Scores    *score.Service
	Reports   *report.Service
	Scorecard *scorecard.Service // the service team's KPIs and the CRM's effectiveness (issue 6 §6)
	Jobs      *job.Store
	Audit     *audit.Service
	Customers *customer.Service
	Segments  *segment.Service
	Loyalty   *loyalty.Service
	Coupons   *coupon.Service
	Campaigns *campaign.Service
	// KB is the knowledge base, one for the pages and the API so they share
	// its per-shop search index.
	KB *kb.Service
	// Dispatcher sends campaigns' messages, as jobs of the server's queue;
	// its PublicURL (for unsubscribe links) is set by Serve.
	Dispatcher *campaign.Dispatcher
	// Desk is the service desk (tickets, tasks, canned replies,
	// attachments); its replies go through the campaigns' channels.
	Desk *service.Service
	// Inbound turns mail (the SMTP server of serve --inbound-smtp) and chat
	// tools' messages (the API's inbound webhook) into tickets.
	Inbound *inbound.Service
	desk    deskMetrics
	backups backupMetrics // scheduled backups (backups.go)
	// Surveys: CSAT, NPS and questionnaires (jobs in surveys.go).
	Surveys *survey.Service
}

// NewLogger returns the structured logger the config asks for.
func NewLogger(cfg Config) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cmpOr(cfg.LogLevel, "info"))); err != nil {
		level = slog.LevelInfo
	}
	out := cfg.LogOut
	if out == nil {
		out = os.Stderr
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(out, opts))
	}
	return slog.New(slog.NewTextHandler(out, opts))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Open opens the database (migrating it) and builds the services.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.DB == "" {
		cfg.DB = DSNFromEnv()
	}
	log := NewLogger(cfg)
	keys, source, err := store.LoadKeys()
	if err != nil {
		return nil, err
	}
	db, err := store.OpenWithKeys(ctx, cfg.DB, keys)
	if err != nil {
		return nil, err
	}
	if source != store.EnvFieldKey {
		// Kept in a file the key may end up in the same backup as the
		// database it protects; the operator is told where it is.
		log.Warn("phones and e-mails are sealed with a field key read from a file: keep it apart from the database's backups, or set "+store.EnvFieldKey,
			"key", source, "fingerprint", keys.Fingerprint())
	} else {
		log.Debug("field key", "source", source, "fingerprint", keys.Fingerprint())
	}
	clock := guanxi.SystemClock{}
	a := &App{
		DB:       db,
		Log:      log,
		Clock:    clock,
		Shops:    shop.NewService(db, clock),
		Auth:     auth.NewService(db, clock),
		Importer: importer.NewService(db, clock, log),
		Scores:   score.NewService(db, clock, log),
		Reports:  report.NewService(db),
		Jobs:     job.NewStore(db, clock),
		Audit:    audit.NewService(db, clock),
		// One customer service for the pages and the API, so they share
		// its per-shop caches (filter counts, duplicate candidates).
		Customers: customer.NewService(db),
	}
	a.Segments = segment.NewService(db, clock)
	a.Scorecard = scorecard.NewService(db, clock, a.Reports)
	a.Loyalty = loyalty.NewService(db, clock)
	a.Coupons = coupon.NewService(db, clock, a.Segments)
	a.Campaigns = campaign.NewService(db, clock, a.Segments, a.Coupons)
	a.KB = kb.NewService(db, clock)
	a.Dispatcher = campaign.NewDispatcher(a.Campaigns, log, "")
	a.Desk = service.NewService(db, clock)
	a.Desk.SetChannels(a.Campaigns)
	a.Inbound = inbound.NewService(db, a.Desk, a.Shops, clock, log)
	a.Surveys = newSurveys(a)
	return a, nil
}

// Close closes the database.
func (a *App) Close() error {
	a.Dispatcher.Close()
	return a.DB.Close()
}

// Shop returns the shop with the code or a clear error.
func (a *App) Shop(ctx context.Context, code string) (*shop.Shop, error) {
	if code == "" {
		return nil, guanxi.Errorf(guanxi.EINVALID, "--shop is required")
	}
	sh, err := a.Shops.ByCode(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("shop %q: %w", code, err)
	}
	return sh, nil
}

// jsonLine writes v as one line of JSON: the --json summary of a command.
func jsonLine(out io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", b)
	return err
}
