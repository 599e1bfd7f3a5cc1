// Package care owns care rules (客户关怀, issue 6 §5, seed 001): a trigger
// that finds customers at a moment of their life with the shop (a
// birthday, days after delivery, dormancy, churn risk rising to high, a
// tier change, a complaint archived, a first order), conditions they must
// meet (a saved segment, a minimum spend, a tier) and one action (a
// message through a campaign channel, a follow-up task for the care team,
// a tag, points, a coupon).
//
// A rule fires at most once per customer and occurrence of its trigger
// (this year's birthday, that order, that dormancy spell, that score run):
// each occurrence is recorded in care_occurrences in the same transaction
// as the action's own record, so a run killed half way and run again, or
// run by another server, does each thing once. Messages go through the
// campaign package's queue, dispatcher and contact policy (consent,
// opt-outs, holds, quiet hours, frequency caps). Every run is recorded
// with what it matched, did and skipped.
//
// The Service is safe for concurrent use; runs of one rule are not meant
// to overlap (the job queue runs one at a time), and if they do the
// occurrence key still lets only one of them act.
package care

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/coupon"
	"github.com/guanxi-crm/guanxi/internal/loyalty"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Triggers.
const (
	Birthday          = "birthday"           // Days before the birthday (0: on the day), shop time
	AfterDelivery     = "after_delivery"     // Days after a shipped or completed order was paid
	Dormant           = "dormant"            // no purchase for Days days
	ChurnHigh         = "churn_high"         // churn risk rose to high in a score run
	TierChange        = "tier_change"        // the member tier changed (Params.Direction: up, down or either)
	ComplaintArchived = "complaint_archived" // Days after a complaint was archived
	FirstOrder        = "first_order"        // Days after a customer's first purchase
)

// Triggers lists the triggers in the order the editor shows them.
var Triggers = []string{Birthday, AfterDelivery, Dormant, ChurnHigh, TierChange, ComplaintArchived, FirstOrder}

// Actions.
const (
	Message = "message" // a message through a campaign channel
	Task    = "task"    // a follow-up task (回访) for the care team
	Tag     = "tag"     // a tag on the customer
	Points  = "points"  // loyalty points
	Coupon  = "coupon"  // a coupon code from a template
)

// Actions lists the actions.
var Actions = []string{Message, Task, Tag, Points, Coupon}

// Rule is one care rule.
type Rule struct {
	ID      int64
	Name    string
	Enabled bool
	Trigger string
	Days    int // the trigger's N days
	// Conditions; zero values: none.
	SegmentID int64
	MinSpend  guanxi.Money
	Tier      string
	Action    string
	Params    Params
	CreatedBy int64
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// Params are the trigger's and the action's parameters beyond Days.
type Params struct {
	Direction string `json:"direction,omitempty"` // tier_change: up, down; "" either
	// message
	Channel          string `json:"channel,omitempty"`
	Purpose          string `json:"purpose,omitempty"` // marketing (default) or service
	Subject          string `json:"subject,omitempty"`
	Body             string `json:"body,omitempty"`
	ProviderTemplate string `json:"provider_template,omitempty"`
	// task
	Title      string `json:"title,omitempty"`
	DueDays    int    `json:"due_days,omitempty"`
	AssigneeID int64  `json:"assignee_id,omitempty"`
	TeamID     int64  `json:"team_id,omitempty"`
	// tag
	Tag string `json:"tag,omitempty"`
	// points
	Points int64 `json:"points,omitempty"`
	// coupon
	CouponTemplateID int64 `json:"coupon_template_id,omitempty"`
}

// Run is one run of a rule.
type Run struct {
	ID         int64
	RuleID     int64
	StartedAt  time.Time
	FinishedAt time.Time // zero: running, or killed
	Matched    int       // new occurrences the trigger found
	Acted      int
	Skipped    map[string]int // reason → customers
	Errors     int
	Error      string // the first error
	CampaignID int64  // the message action's campaign, 0 none
}

// SkippedTotal is the number of customers skipped for any reason.
func (r *Run) SkippedTotal() int {
	n := 0
	for _, k := range r.Skipped {
		n += k
	}
	return n
}

// Occurrence is what a rule did for a customer at one occurrence.
type Occurrence struct {
	RuleID       int64
	CustomerID   int64
	CustomerName string
	Key          string
	RunID        int64
	At           time.Time
	Outcome      string // acted or skipped
	Detail       string
}

// Service manages the care rules of every shop in db.
type Service struct {
	db        *store.DB
	clock     guanxi.Clock
	segments  *segment.Service
	campaigns *campaign.Service
	tasks     *service.Service
	loyalty   *loyalty.Service
	coupons   *coupon.Service
}

// Deps are the services a care rule's actions go through.
type Deps struct {
	Segments  *segment.Service
	Campaigns *campaign.Service
	Tasks     *service.Service
	Loyalty   *loyalty.Service
	Coupons   *coupon.Service
}

// NewService returns the care service.
func NewService(db *store.DB, clock guanxi.Clock, d Deps) *Service {
	if clock == nil {
		clock = guanxi.SystemClock{}
	}
	return &Service{db: db, clock: clock, segments: d.Segments, campaigns: d.Campaigns, tasks: d.Tasks, loyalty: d.Loyalty, coupons: d.Coupons}
}

func invalid(field, format string, args ...any) error {
	return guanxi.Errorf(guanxi.EINVALID, field+": "+format, args...)
}

// check validates a rule before it is saved.
func (s *Service) check(ctx context.Context, shopID int64, r *Rule) error {
	r.Name, r.Tier = strings.TrimSpace(r.Name), strings.TrimSpace(r.Tier)
	p := &r.Params
	switch {
	case r.Name == "":
		return invalid("name", "required")
	case utf8.RuneCountInString(r.Name) > 200:
		return invalid("name", "longer than 200 characters")
	case !slices.Contains(Triggers, r.Trigger):
		return invalid("trigger", "%q: expected one of %s", r.Trigger, strings.Join(Triggers, ", "))
	case !slices.Contains(Actions, r.Action):
		return invalid("action", "%q: expected one of %s", r.Action, strings.Join(Actions, ", "))
	case r.MinSpend < 0:
		return invalid("min_spend", "cannot be negative")
	}
	switch r.Trigger {
	case Birthday:
		if r.Days < 0 || r.Days > 30 {
			return invalid("days", "%d: expected 0 to 30 days before the birthday", r.Days)
		}
	case Dormant:
		if r.Days < 1 || r.Days > 3650 {
			return invalid("days", "%d: expected 1 to 3650", r.Days)
		}
	case AfterDelivery, ComplaintArchived, FirstOrder:
		if r.Days < 0 || r.Days > 365 {
			return invalid("days", "%d: expected 0 to 365", r.Days)
		}
	default:
		r.Days = 0
	}
	if r.Trigger != TierChange {
		p.Direction = ""
	}
	if p.Direction != "" && p.Direction != "up" && p.Direction != "down" {
		return invalid("direction", "%q: expected up, down or empty", p.Direction)
	}
	if r.SegmentID != 0 {
		if _, err := s.segments.Get(ctx, shopID, r.SegmentID); err != nil {
			return invalid("segment_id", "%v", guanxi.ErrorMessage(err))
		}
	}
	// Keep only the chosen action's parameters, so a stored rule says what
	// it does and nothing else.
	q := Params{Direction: p.Direction}
	switch r.Action {
	case Message:
		if p.Purpose == "" {
			p.Purpose = campaign.Marketing
		}
		q.Channel, q.Purpose, q.Subject, q.Body, q.ProviderTemplate = p.Channel, p.Purpose, strings.TrimSpace(p.Subject), p.Body, strings.TrimSpace(p.ProviderTemplate)
		if !slices.Contains(campaign.Channels, q.Channel) {
			return invalid("channel", "%q: expected one of %s", q.Channel, strings.Join(campaign.Channels, ", "))
		}
		if q.Purpose != campaign.Marketing && q.Purpose != campaign.ServicePurpose {
			return invalid("purpose", "%q: expected marketing or service", q.Purpose)
		}
		if strings.TrimSpace(q.Body) == "" && q.ProviderTemplate == "" {
			return invalid("body", "required")
		}
		if _, err := campaign.ParseTemplate(q.Body); err != nil {
			return invalid("body", "%v", guanxi.ErrorMessage(err))
		}
		if _, err := campaign.ParseTemplate(q.Subject); err != nil {
			return invalid("subject", "%v", guanxi.ErrorMessage(err))
		}
		if q.Channel == campaign.Email && q.Subject == "" {
			return invalid("subject", "required for email")
		}
		if strings.ContainsAny(q.Subject, "\r\n") {
			return invalid("subject", "must be one line")
		}
	case Task:
		q.Title, q.DueDays, q.AssigneeID, q.TeamID = strings.TrimSpace(p.Title), p.DueDays, p.AssigneeID, p.TeamID
		if utf8.RuneCountInString(q.Title) > 200 {
			return invalid("title", "longer than 200 characters")
		}
		if q.DueDays < 0 || q.DueDays > 90 {
			return invalid("due_days", "%d: expected 0 to 90", q.DueDays)
		}
	case Tag:
		q.Tag = strings.TrimSpace(p.Tag)
		if q.Tag == "" || utf8.RuneCountInString(q.Tag) > 30 || strings.ContainsAny(q.Tag, ",，、") {
			return invalid("tag", "one tag of 1 to 30 characters, without commas")
		}
	case Points:
		q.Points = p.Points
		if q.Points < 1 || q.Points > 1_000_000 {
			return invalid("points", "%d: expected 1 to 1000000", q.Points)
		}
	case Coupon:
		q.CouponTemplateID = p.CouponTemplateID
		if s.coupons == nil {
			return invalid("coupon_template_id", "coupons are not available")
		}
		if _, err := s.coupons.Template(ctx, shopID, q.CouponTemplateID); err != nil {
			return invalid("coupon_template_id", "%v", guanxi.ErrorMessage(err))
		}
	}
	r.Params = q
	return nil
}

const ruleCols = `id, name, enabled, trigger_kind, days, segment_id, min_spend, tier, action, params, created_by, created_at, updated_at, version`

// Create saves a new rule, setting its ID, times and version.
func (s *Service) Create(ctx context.Context, shopID int64, r *Rule) error {
	if err := s.check(ctx, shopID, r); err != nil {
		return err
	}
	now := time.Unix(s.clock.Now().Unix(), 0)
	r.CreatedBy, r.CreatedAt, r.UpdatedAt, r.Version = audit.ActorFrom(ctx).UserID, now, now, 1
	params, _ := json.Marshal(r.Params)
	return s.db.Update(ctx, func(tx *store.Tx) error {
		id, err := tx.NextIDs(ctx, shopID, "care_rules", 1)
		if err != nil {
			return fmt.Errorf("care: create rule in shop %d: %w", shopID, err)
		}
		r.ID = id
		if _, err := tx.Exec(ctx, `INSERT INTO care_rules (shop_id, `+ruleCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			shopID, r.ID, r.Name, r.Enabled, r.Trigger, r.Days, store.NullInt(r.SegmentID), int64(r.MinSpend), r.Tier, r.Action, string(params),
			store.NullInt(r.CreatedBy), now.Unix(), now.Unix(), r.Version); err != nil {
			return fmt.Errorf("care: create rule in shop %d: %w", shopID, store.MapError(err))
		}
		return audit.Write(ctx, tx, shopID, "care_rule.create", "care_rule", id, r, now)
	})
}

// Update saves a rule's fields. It fails with ECONFLICT when the rule
// changed since r.Version was read. The occurrences it already handled
// stay handled.
func (s *Service) Update(ctx context.Context, shopID int64, r *Rule) error {
	if err := s.check(ctx, shopID, r); err != nil {
		return err
	}
	now := time.Unix(s.clock.Now().Unix(), 0)
	params, _ := json.Marshal(r.Params)
	return s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE care_rules SET name = ?, enabled = ?, trigger_kind = ?, days = ?, segment_id = ?, min_spend = ?, tier = ?,
action = ?, params = ?, updated_at = ?, version = version + 1 WHERE shop_id = ? AND id = ? AND version = ?`,
			r.Name, r.Enabled, r.Trigger, r.Days, store.NullInt(r.SegmentID), int64(r.MinSpend), r.Tier, r.Action, string(params), now.Unix(),
			shopID, r.ID, r.Version)
		if err != nil {
			return fmt.Errorf("care: update rule %d: %w", r.ID, store.MapError(err))
		}
		if n, _ := res.RowsAffected(); n == 0 {
			cur, err := getRule(ctx, tx, shopID, r.ID)
			if err != nil {
				return err
			}
			return guanxi.Errorf(guanxi.ECONFLICT, "care rule %d was changed by someone else (version %d, yours %d): reload it", r.ID, cur.Version, r.Version)
		}
		r.Version++
		r.UpdatedAt = now
		return audit.Write(ctx, tx, shopID, "care_rule.update", "care_rule", r.ID, r, now)
	})
}

// Delete removes a rule with its runs and occurrences.
func (s *Service) Delete(ctx context.Context, shopID, id int64) error {
	now := s.clock.Now()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM care_rules WHERE shop_id = ? AND id = ?`, shopID, id)
		if err != nil {
			return fmt.Errorf("care: delete rule %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return guanxi.Errorf(guanxi.ENOTFOUND, "care rule %d not found", id)
		}
		return audit.Write(ctx, tx, shopID, "care_rule.delete", "care_rule", id, nil, now)
	})
}

// Get returns a rule, or ENOTFOUND.
func (s *Service) Get(ctx context.Context, shopID, id int64) (*Rule, error) {
	return getRule(ctx, s.db, shopID, id)
}

// List returns the shop's rules by id.
func (s *Service) List(ctx context.Context, shopID int64) ([]Rule, error) {
	return listRules(ctx, s.db, `WHERE shop_id = ? ORDER BY id`, shopID)
}

type querier interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func getRule(ctx context.Context, q querier, shopID, id int64) (*Rule, error) {
	rs, err := listRules(ctx, q, `WHERE shop_id = ? AND id = ?`, shopID, id)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "care rule %d not found", id)
	}
	return &rs[0], nil
}

func listRules(ctx context.Context, q querier, where string, args ...any) ([]Rule, error) {
	rows, err := q.Query(ctx, `SELECT `+ruleCols+` FROM care_rules `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("care: rules: %w", err)
	}
	defer rows.Close()
	var out []Rule
	for rows.Next() {
		var r Rule
		var seg, by sql.NullInt64
		var spend, created, updated int64
		var params string
		if err := rows.Scan(&r.ID, &r.Name, &r.Enabled, &r.Trigger, &r.Days, &seg, &spend, &r.Tier, &r.Action, &params, &by, &created, &updated, &r.Version); err != nil {
			return nil, fmt.Errorf("care: rules: %w", err)
		}
		if err := json.Unmarshal([]byte(params), &r.Params); err != nil {
			return nil, fmt.Errorf("care: rule %d params: %w", r.ID, err)
		}
		r.SegmentID, r.CreatedBy, r.MinSpend = seg.Int64, by.Int64, guanxi.Money(spend)
		r.CreatedAt, r.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
		out = append(out, r)
	}
	return out, rows.Err()
}

const runCols = `id, rule_id, started_at, finished_at, matched, acted, skipped, errors, error, campaign_id`

// Runs returns a rule's latest runs, newest first (every rule's when
// ruleID is 0).
func (s *Service) Runs(ctx context.Context, shopID, ruleID int64, limit int) ([]Run, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	where, args := `WHERE shop_id = ?`, []any{shopID}
	if ruleID != 0 {
		where, args = where+` AND rule_id = ?`, append(args, ruleID)
	}
	rows, err := s.db.Query(ctx, `SELECT `+runCols+` FROM care_runs `+where+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("care: runs: %w", err)
	}
	return scanRuns(rows)
}

// LastRuns returns each rule's latest run, by rule id.
func (s *Service) LastRuns(ctx context.Context, shopID int64) (map[int64]Run, error) {
	rows, err := s.db.Query(ctx, `SELECT `+runCols+` FROM care_runs r WHERE shop_id = ?
AND id = (SELECT MAX(id) FROM care_runs l WHERE l.shop_id = r.shop_id AND l.rule_id = r.rule_id)`, shopID)
	if err != nil {
		return nil, fmt.Errorf("care: last runs: %w", err)
	}
	rs, err := scanRuns(rows)
	out := make(map[int64]Run, len(rs))
	for _, r := range rs {
		out[r.RuleID] = r
	}
	return out, err
}

// Effects counts each rule's occurrences acted on, by rule id.
func (s *Service) Effects(ctx context.Context, shopID int64) (map[int64]int, error) {
	rows, err := s.db.Query(ctx, `SELECT rule_id, COUNT(*) FROM care_occurrences WHERE shop_id = ? AND outcome = 'acted' GROUP BY rule_id`, shopID)
	if err != nil {
		return nil, fmt.Errorf("care: effects: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

func scanRuns(rows *sql.Rows) ([]Run, error) {
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var started int64
		var finished, camp sql.NullInt64
		var skipped string
		if err := rows.Scan(&r.ID, &r.RuleID, &started, &finished, &r.Matched, &r.Acted, &skipped, &r.Errors, &r.Error, &camp); err != nil {
			return nil, fmt.Errorf("care: runs: %w", err)
		}
		r.StartedAt, r.CampaignID = time.Unix(started, 0), camp.Int64
		if finished.Valid {
			r.FinishedAt = time.Unix(finished.Int64, 0)
		}
		if err := json.Unmarshal([]byte(skipped), &r.Skipped); err != nil {
			return nil, fmt.Errorf("care: run %d: %w", r.ID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Occurrences returns a rule's latest occurrences, newest first.
func (s *Service) Occurrences(ctx context.Context, shopID, ruleID int64, limit int) ([]Occurrence, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.db.Query(ctx, `SELECT o.rule_id, o.customer_id, COALESCE(c.name, ''), o.occurrence, o.run_id, o.at, o.outcome, o.detail
FROM care_occurrences o LEFT JOIN customers c ON c.shop_id = o.shop_id AND c.id = o.customer_id
WHERE o.shop_id = ? AND o.rule_id = ? ORDER BY o.at DESC, o.customer_id DESC LIMIT ?`, shopID, ruleID, limit)
	if err != nil {
		return nil, fmt.Errorf("care: occurrences of rule %d: %w", ruleID, err)
	}
	defer rows.Close()
	var out []Occurrence
	for rows.Next() {
		var o Occurrence
		var at int64
		if err := rows.Scan(&o.RuleID, &o.CustomerID, &o.CustomerName, &o.Key, &o.RunID, &at, &o.Outcome, &o.Detail); err != nil {
			return nil, fmt.Errorf("care: occurrences of rule %d: %w", ruleID, err)
		}
		o.At = time.Unix(at, 0)
		out = append(out, o)
	}
	return out, rows.Err()
}

var errNoRows = sql.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, errNoRows) }
