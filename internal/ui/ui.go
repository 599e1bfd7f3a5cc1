// Package ui serves Guanxi's web pages: server-rendered html/template pages
// with small htmx interactions, signed in with a session cookie, every
// state-changing form carrying the session's CSRF token, and every shop page
// checked against the user's role in that shop on the server. Handlers only
// translate HTTP to service calls and errors to pages; the SQL lives in the
// domain packages. A *UI holds no per-request state and is safe for
// concurrent use.
package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/care"
	"github.com/guanxi-crm/guanxi/internal/coupon"
	"github.com/guanxi-crm/guanxi/internal/customer"
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
	"github.com/guanxi-crm/guanxi/internal/survey"
	"github.com/guanxi-crm/guanxi/web"
)

// Config is what the pages need.
type Config struct {
	Auth      *auth.Service
	Shops     *shop.Service
	Customers *customer.Service
	Orders    *order.Service
	Scores    *score.Service     // nil: the customer page shows no scores
	Reports   *report.Service    // nil: no dashboard
	Segments  *segment.Service   // nil: no segment pages
	Loyalty   *loyalty.Service   // nil: no points or tiers
	Coupons   *coupon.Service    // nil: no coupon pages
	Scorecard *scorecard.Service // nil: no scorecard page
	KB        *kb.Service        // nil: no knowledge base pages
	// Campaigns and CampaignJobs (which queues launches and dispatch):
	// nil, no campaign pages.
	Campaigns    *campaign.Service
	CampaignJobs CampaignJobs
	// Surveys and SurveyJobs (which queues a survey's sending): nil, no
	// survey pages and no /f/ links.
	Surveys    *survey.Service
	SurveyJobs SurveyJobs
	Audit      *audit.Service
	Log        *slog.Logger // nil discards
	Clock      guanxi.Clock // nil is the system clock
	// SecureCookies marks cookies Secure; set it whenever users reach the
	// server over HTTPS (directly or through a proxy).
	SecureCookies bool

	// Care rules and CareJobs (which runs a rule now and queues its
	// messages' dispatch): nil, no care pages.
	Care     *care.Service
	CareJobs CareJobs
	// Service is the service desk (tickets, follow-up tasks, SLA): nil, no
	// desk pages.
	Service *service.Service
	// Privacy is the personal-data tools (a customer's export and erasure,
	// the retention limits): nil, none.
	Privacy *privacy.Service
}

// UI is the web interface. Mount it with Register.
type UI struct {
	cfg    Config
	log    *slog.Logger
	clock  guanxi.Clock
	pages  map[string]*template.Template
	static fs.FS
	assets map[string]string // file under static/ → its URL with a content hash
	cop    *http.CrossOriginProtection
}

// SessionCookie is the name of the cookie that holds the session token.
const SessionCookie = "guanxi_session"

// pageNames are the templates under web/templates, each parsed with
// layout.html (and the dashboards with their tab bar, dashboard_tabs.html).
var pageNames = []string{"login", "shops", "customer_list", "customer_show", "dashboard", "error",
	"login_totp", "settings_security", "audit_list", "member_list",
	"dashboard_customers", "dashboard_retention", "dashboard_geography", "dashboard_churn",
	"duplicates", "duplicate_preview", "segment_list", "segment_edit",
	"loyalty", "coupon_list", "scorecard",
	"campaign_list", "campaign_edit", "campaign_matrix", "channel_settings", "unsubscribe",
	"care_list", "care_edit",
	"ticket_list", "ticket_new", "ticket_show", "task_list", "service_settings", "ticket_analytics",
	"survey_list", "survey_edit", "survey_form", "privacy_settings",
}

// New parses the embedded templates and returns the UI, or an error when a
// service is missing or a template does not parse.
func New(cfg Config) (*UI, error) {
	if cfg.Auth == nil || cfg.Shops == nil || cfg.Customers == nil || cfg.Orders == nil || cfg.Audit == nil {
		return nil, errors.New("ui: Config needs Auth, Shops, Customers, Orders and Audit")
	}
	u := &UI{cfg: cfg, log: cfg.Log, clock: cfg.Clock, pages: map[string]*template.Template{}}
	if u.log == nil {
		u.log = slog.New(slog.DiscardHandler)
	}
	if u.clock == nil {
		u.clock = guanxi.SystemClock{}
	}
	static, err := fs.Sub(web.Static, "static")
	if err != nil {
		return nil, fmt.Errorf("ui: static files: %w", err)
	}
	u.static = static
	if u.assets, err = hashAssets(static); err != nil {
		return nil, err
	}
	for _, name := range pageNames {
		files := []string{"templates/layout.html", "templates/" + name + ".html"}
		if strings.HasPrefix(name, "dashboard") {
			files = append(files, "templates/dashboard_tabs.html")
		}
		t, err := template.New(name).ParseFS(web.Templates, files...)
		if err != nil {
			return nil, fmt.Errorf("ui: template %s: %w", name, err)
		}
		u.pages[name] = t
	}
	u.cop = http.NewCrossOriginProtection()
	u.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.fail(w, r, u.newRequest(r), guanxi.Errorf(guanxi.EFORBIDDEN, "cross-origin request refused"))
	}))
	return u, nil
}

// hashAssets maps every static file to a URL carrying a hash of its content,
// so browsers may cache it for good and still see a new version at once.
func hashAssets(static fs.FS) (map[string]string, error) {
	out := map[string]string{}
	err := fs.WalkDir(static, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".md") {
			return err // notes such as vendor/README.md are not served
		}
		b, err := fs.ReadFile(static, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[path] = "/static/" + path + "?v=" + hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ui: static files: %w", err)
	}
	return out, nil
}
