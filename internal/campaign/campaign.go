// Package campaign owns campaigns (issue 5 §2-4): what is sent to which
// audience through which channel, the audience snapshot with its random
// holdout, the contact policy every message obeys (consent, opt-outs, holds
// for open complaints, quiet hours, frequency caps), the persisted dispatch
// of the messages and the evaluation of what a campaign earned over its
// holdout.
//
// A campaign's life: a draft is edited and previewed (audience, each
// exclusion counted, the smallest uplift it can detect, a rendered sample);
// launching snapshots the audience into campaign_messages — every customer
// the rule held, each in the target group, the holdout or excluded with the
// reason — with the assignment seed kept on the campaign, so the split can
// be re-derived from the snapshot later; dispatch then sends the target
// group's messages; evaluation compares the groups' orders in the
// attribution window.
package campaign

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Purposes: a service message (order, delivery, care) goes before
// promotions and is not held back by caps or complaints.
const (
	Marketing      = "marketing"
	ServicePurpose = "service"
)

// Channels.
const (
	Email   = "email"
	SMS     = "sms"
	WeChat  = "wechat"
	Webhook = "webhook"
)

// Channels lists the channels a campaign can use.
var Channels = []string{Email, SMS, WeChat, Webhook}

// Schedules.
const (
	Now       = "now"
	At        = "at"
	Recurring = "recurring"
)

// Statuses.
const (
	Draft     = "draft"
	Scheduled = "scheduled"
	Sending   = "sending"
	Paused    = "paused"
	Sent      = "sent"
	Cancelled = "cancelled"
	Failed    = "failed"
)

// Defaults of a new campaign.
const (
	DefaultHoldout     = 0.10
	DefaultAttribution = 7
)

// Campaign is one campaign.
type Campaign struct {
	ID               int64
	ParentID         int64 // a recurring campaign's occurrence: the campaign it repeats
	Name             string
	Theme            string
	Purpose          string // Marketing or Service
	SegmentID        int64  // the saved segment the audience comes from, 0 for a rule of its own
	Rule             *segment.Rule
	Channel          string
	Subject          string // email subject, a template
	Body             string // the message, a template (see Render)
	ProviderTemplate string // SMS / WeChat template id at the provider
	CouponTemplateID int64  // a coupon issued to every target customer, 0 none
	Schedule         string
	SendAt           time.Time // At and Recurring: the (next) send
	RepeatDays       int       // Recurring: days between sends
	Budget           guanxi.Money
	CostPerMessage   guanxi.Money
	HoldoutShare     float64
	Seed             uint64 // holdout assignment seed
	AttributionDays  int
	Status           string
	Counts           Counts
	Error            string
	CreatedBy        int64
	CreatedAt        time.Time
	UpdatedAt        time.Time
	LaunchedAt       time.Time
	FinishedAt       time.Time
	Version          int64
}

// Counts is a campaign's audience and what became of it: each exclusion
// counted, then the eligible customers split into target and holdout.
type Counts struct {
	Audience  int `json:"audience"`   // customers the rule held
	NoAddress int `json:"no_address"` // no email, mobile or openid for the channel
	OptedOut  int `json:"opted_out"`  // withdrew consent for the channel
	NoConsent int `json:"no_consent"` // marketing: never gave consent for the channel
	Held      int `json:"held"`       // marketing: an open complaint or an agent's hold
	Capped    int `json:"capped"`     // marketing: frequency cap reached
	Eligible  int `json:"eligible"`
	Holdout   int `json:"holdout"`
	Budget    int `json:"budget"` // targets beyond what the budget pays for
	Target    int `json:"target"` // messages to send
	// Deferred is how many messages quiet hours push to the next morning at
	// the channel's rate, estimated at preview and launch.
	Deferred int `json:"deferred"`
}

// Excluded is the number of customers left out before the split.
func (c Counts) Excluded() int { return c.NoAddress + c.OptedOut + c.NoConsent + c.Held + c.Capped }

// CouponIssuer issues coupon codes, inside the launch's transaction.
type CouponIssuer interface {
	IssueTx(ctx context.Context, tx *store.Tx, shopID, templateID int64, customerIDs []int64, source string) (map[int64]string, error)
}

// Service manages the campaigns of every shop in db.
type Service struct {
	db       *store.DB
	clock    guanxi.Clock
	segments *segment.Service
	coupons  CouponIssuer // nil: campaigns cannot carry coupons

	// allowPrivate is the operator's switch: every shop's channels may reach
	// private addresses (an on-premise deployment's gateways).
	allowPrivate bool
}

// AllowPrivateNetwork lets every shop's channel providers be on loopback,
// private or CGNAT addresses, as if each had allowed it (serve
// --allow-private-network, for on-premise gateways). Call it before the
// service is used.
func (s *Service) AllowPrivateNetwork(on bool) { s.allowPrivate = on }

// NewService returns the campaign service. coupons may be nil.
func NewService(db *store.DB, clock guanxi.Clock, segments *segment.Service, coupons CouponIssuer) *Service {
	if clock == nil {
		clock = guanxi.SystemClock{}
	}
	return &Service{db: db, clock: clock, segments: segments, coupons: coupons}
}

// invalid is a validation error naming the field.
func invalid(field, format string, args ...any) error {
	return guanxi.Errorf(guanxi.EINVALID, field+": "+format, args...)
}

// check validates a campaign before it is saved, filling defaults.
func (s *Service) check(ctx context.Context, shopID int64, c *Campaign) error {
	c.Name, c.Theme = strings.TrimSpace(c.Name), strings.TrimSpace(c.Theme)
	if c.Purpose == "" {
		c.Purpose = Marketing
	}
	if c.Schedule == "" {
		c.Schedule = Now
	}
	if c.AttributionDays == 0 {
		c.AttributionDays = DefaultAttribution
	}
	switch {
	case c.Name == "":
		return invalid("name", "required")
	case utf8.RuneCountInString(c.Name) > 200:
		return invalid("name", "longer than 200 characters")
	case utf8.RuneCountInString(c.Theme) > 500:
		return invalid("theme", "longer than 500 characters")
	case c.Purpose != Marketing && c.Purpose != ServicePurpose:
		return invalid("purpose", "%q: expected marketing or service", c.Purpose)
	case !validChannel(c.Channel):
		return invalid("channel", "%q: expected one of %s", c.Channel, strings.Join(Channels, ", "))
	case c.HoldoutShare < 0 || c.HoldoutShare > 0.5:
		return invalid("holdout_share", "%v: expected 0 to 0.5", c.HoldoutShare)
	case c.AttributionDays < 1 || c.AttributionDays > 90:
		return invalid("attribution_days", "%d: expected 1 to 90", c.AttributionDays)
	case c.Budget < 0 || c.CostPerMessage < 0:
		return invalid("budget", "budget and cost per message cannot be negative")
	case c.CouponTemplateID != 0 && s.coupons == nil:
		return invalid("coupon_template_id", "coupons are not available")
	}
	switch c.Schedule {
	case Now:
		c.SendAt, c.RepeatDays = time.Time{}, 0
	case At, Recurring:
		if c.SendAt.IsZero() {
			return invalid("send_at", "required for a %s schedule", c.Schedule)
		}
		if c.Schedule == Recurring && (c.RepeatDays < 1 || c.RepeatDays > 366) {
			return invalid("repeat_days", "%d: expected 1 to 366", c.RepeatDays)
		}
		if c.Schedule == At {
			c.RepeatDays = 0
		}
	default:
		return invalid("schedule", "%q: expected now, at or recurring", c.Schedule)
	}
	if c.SegmentID != 0 {
		seg, err := s.segments.Get(ctx, shopID, c.SegmentID)
		if err != nil {
			return invalid("segment_id", "%v", guanxi.ErrorMessage(err))
		}
		c.Rule = seg.Rule
	}
	if c.Rule == nil {
		return invalid("rule", "an audience is required: a saved segment or a rule")
	}
	if _, err := ParseTemplate(c.Body); err != nil {
		return invalid("body", "%v", guanxi.ErrorMessage(err))
	}
	if strings.TrimSpace(c.Body) == "" && c.ProviderTemplate == "" {
		return invalid("body", "required")
	}
	if _, err := ParseTemplate(c.Subject); err != nil {
		return invalid("subject", "%v", guanxi.ErrorMessage(err))
	}
	if c.Channel == Email && strings.TrimSpace(c.Subject) == "" {
		return invalid("subject", "required for email")
	}
	if strings.ContainsAny(c.Subject, "\r\n") {
		return invalid("subject", "must be one line")
	}
	return nil
}

func validChannel(ch string) bool {
	for _, c := range Channels {
		if c == ch {
			return true
		}
	}
	return false
}

// newSeed draws a holdout seed; 63 bits, so it fits the database's integer.
func newSeed() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return binary.LittleEndian.Uint64(b[:]) >> 1
}

const campaignCols = `id, parent_id, name, theme, purpose, segment_id, rule, channel, subject, body, provider_template,
coupon_template_id, schedule, send_at, repeat_days, budget, cost_per_message, holdout_share, seed, attribution_days,
status, counts, error, created_by, created_at, updated_at, launched_at, finished_at, version`

// Create saves a new draft, setting its ID, seed and times.
func (s *Service) Create(ctx context.Context, shopID int64, c *Campaign) error {
	if err := s.check(ctx, shopID, c); err != nil {
		return err
	}
	now := s.clock.Now().Truncate(time.Second)
	c.Status, c.Seed, c.CreatedAt, c.UpdatedAt, c.Version = Draft, newSeed(), now, now, 1
	return s.db.Update(ctx, func(tx *store.Tx) error {
		id, err := tx.NextIDs(ctx, shopID, "campaigns", 1)
		if err != nil {
			return fmt.Errorf("campaign: create in shop %d: %w", shopID, err)
		}
		c.ID = id
		if err := insertCampaign(ctx, tx, shopID, c); err != nil {
			return err
		}
		return audit.Write(ctx, tx, shopID, "campaign.create", "campaign", id, map[string]any{"name": c.Name, "channel": c.Channel}, now)
	})
}

func insertCampaign(ctx context.Context, tx *store.Tx, shopID int64, c *Campaign) error {
	counts, _ := json.Marshal(c.Counts)
	_, err := tx.Exec(ctx, `INSERT INTO campaigns (shop_id, `+campaignCols+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		shopID, c.ID, store.NullInt(c.ParentID), c.Name, c.Theme, c.Purpose, store.NullInt(c.SegmentID), string(c.Rule.JSON()), c.Channel,
		c.Subject, c.Body, c.ProviderTemplate, store.NullInt(c.CouponTemplateID), c.Schedule, store.NullTime(c.SendAt), c.RepeatDays,
		int64(c.Budget), int64(c.CostPerMessage), c.HoldoutShare, int64(c.Seed), c.AttributionDays, c.Status, string(counts),
		c.Error, store.NullInt(c.CreatedBy), c.CreatedAt.Unix(), c.UpdatedAt.Unix(), store.NullTime(c.LaunchedAt), store.NullTime(c.FinishedAt), c.Version)
	if err != nil {
		return fmt.Errorf("campaign: save %q in shop %d: %w", c.Name, shopID, store.MapError(err))
	}
	return nil
}

// Update saves a draft's fields. It fails with ECONFLICT when the campaign
// changed since version was read or is no longer a draft.
func (s *Service) Update(ctx context.Context, shopID int64, c *Campaign) error {
	if err := s.check(ctx, shopID, c); err != nil {
		return err
	}
	now := s.clock.Now().Truncate(time.Second)
	return s.db.Update(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE campaigns SET name = ?, theme = ?, purpose = ?, segment_id = ?, rule = ?, channel = ?,
subject = ?, body = ?, provider_template = ?, coupon_template_id = ?, schedule = ?, send_at = ?, repeat_days = ?, budget = ?,
cost_per_message = ?, holdout_share = ?, attribution_days = ?, updated_at = ?, version = version + 1
WHERE shop_id = ? AND id = ? AND version = ? AND status = 'draft'`,
			c.Name, c.Theme, c.Purpose, store.NullInt(c.SegmentID), string(c.Rule.JSON()), c.Channel, c.Subject, c.Body, c.ProviderTemplate,
			store.NullInt(c.CouponTemplateID), c.Schedule, store.NullTime(c.SendAt), c.RepeatDays, int64(c.Budget), int64(c.CostPerMessage),
			c.HoldoutShare, c.AttributionDays, now.Unix(), shopID, c.ID, c.Version)
		if err != nil {
			return fmt.Errorf("campaign: update %d in shop %d: %w", c.ID, shopID, store.MapError(err))
		}
		if n, _ := res.RowsAffected(); n == 0 {
			cur, err := s.get(ctx, tx, shopID, c.ID)
			if err != nil {
				return err
			}
			if cur.Status != Draft {
				return guanxi.Errorf(guanxi.ECONFLICT, "campaign %d is %s: only a draft can be edited", c.ID, cur.Status)
			}
			return guanxi.Errorf(guanxi.ECONFLICT, "campaign %d was changed by someone else (version %d, yours %d): reload it", c.ID, cur.Version, c.Version)
		}
		c.Version++
		c.UpdatedAt = now
		return audit.Write(ctx, tx, shopID, "campaign.update", "campaign", c.ID, map[string]any{"name": c.Name}, now)
	})
}

// querier is what reads need: the database or a transaction.
type querier interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// Get returns a campaign, or ENOTFOUND.
func (s *Service) Get(ctx context.Context, shopID, id int64) (*Campaign, error) {
	return s.get(ctx, s.db, shopID, id)
}

func (s *Service) get(ctx context.Context, q querier, shopID, id int64) (*Campaign, error) {
	cs, err := s.list(ctx, q, shopID, `WHERE shop_id = ? AND id = ?`, shopID, id)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "campaign %d not found", id)
	}
	return &cs[0], nil
}

// List returns the shop's campaigns, newest first.
func (s *Service) List(ctx context.Context, shopID int64) ([]Campaign, error) {
	return s.list(ctx, s.db, shopID, `WHERE shop_id = ? ORDER BY id DESC`, shopID)
}

func (s *Service) list(ctx context.Context, q querier, shopID int64, where string, args ...any) ([]Campaign, error) {
	rows, err := q.Query(ctx, `SELECT `+campaignCols+` FROM campaigns `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("campaign: list shop %d: %w", shopID, err)
	}
	defer rows.Close()
	var out []Campaign
	for rows.Next() {
		var c Campaign
		var parent, seg, coupon, sendAt, by, launched, finished sql.NullInt64
		var rule, counts string
		var budget, cost, seed, created, updated int64
		if err := rows.Scan(&c.ID, &parent, &c.Name, &c.Theme, &c.Purpose, &seg, &rule, &c.Channel, &c.Subject, &c.Body,
			&c.ProviderTemplate, &coupon, &c.Schedule, &sendAt, &c.RepeatDays, &budget, &cost, &c.HoldoutShare, &seed,
			&c.AttributionDays, &c.Status, &counts, &c.Error, &by, &created, &updated, &launched, &finished, &c.Version); err != nil {
			return nil, fmt.Errorf("campaign: list shop %d: %w", shopID, err)
		}
		if c.Rule, err = segment.ParseRule([]byte(rule)); err != nil {
			return nil, fmt.Errorf("campaign: shop %d campaign %d: stored rule: %w", shopID, c.ID, err)
		}
		if err := json.Unmarshal([]byte(counts), &c.Counts); err != nil {
			return nil, fmt.Errorf("campaign: shop %d campaign %d: stored counts: %w", shopID, c.ID, err)
		}
		c.ParentID, c.SegmentID, c.CouponTemplateID, c.CreatedBy = parent.Int64, seg.Int64, coupon.Int64, by.Int64
		c.Budget, c.CostPerMessage, c.Seed = guanxi.Money(budget), guanxi.Money(cost), uint64(seed)
		c.SendAt, c.LaunchedAt, c.FinishedAt = store.TimeOf(sendAt), store.TimeOf(launched), store.TimeOf(finished)
		c.CreatedAt, c.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("campaign: list shop %d: %w", shopID, err)
	}
	return out, nil
}

// Delete removes a draft or cancelled campaign.
func (s *Service) Delete(ctx context.Context, shopID, id int64) error {
	now := s.clock.Now()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		c, err := s.get(ctx, tx, shopID, id)
		if err != nil {
			return err
		}
		if c.Status != Draft && c.Status != Cancelled {
			return guanxi.Errorf(guanxi.ECONFLICT, "campaign %d is %s: only a draft or a cancelled campaign can be deleted", id, c.Status)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM campaign_results WHERE shop_id = ? AND campaign_id = ?`, shopID, id); err != nil {
			return fmt.Errorf("campaign: delete %d: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM campaign_messages WHERE shop_id = ? AND campaign_id = ?`, shopID, id); err != nil {
			return fmt.Errorf("campaign: delete %d: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM campaigns WHERE shop_id = ? AND id = ?`, shopID, id); err != nil {
			return fmt.Errorf("campaign: delete %d: %w", id, err)
		}
		return audit.Write(ctx, tx, shopID, "campaign.delete", "campaign", id, map[string]any{"name": c.Name}, now)
	})
}

// setStatus moves a campaign from one of the statuses in from to status.
func (s *Service) setStatus(ctx context.Context, shopID, id int64, status string, from ...string) error {
	now := s.clock.Now()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		c, err := s.get(ctx, tx, shopID, id)
		if err != nil {
			return err
		}
		ok := false
		for _, f := range from {
			ok = ok || c.Status == f
		}
		if !ok {
			return guanxi.Errorf(guanxi.ECONFLICT, "campaign %d is %s: cannot become %s", id, c.Status, status)
		}
		if _, err := tx.Exec(ctx, `UPDATE campaigns SET status = ?, updated_at = ?, version = version + 1 WHERE shop_id = ? AND id = ?`,
			status, now.Unix(), shopID, id); err != nil {
			return fmt.Errorf("campaign: %s %d: %w", status, id, err)
		}
		return audit.Write(ctx, tx, shopID, "campaign."+status, "campaign", id, map[string]any{"from": c.Status}, now)
	})
}

// Pause stops a sending campaign's dispatch after the batch in flight.
func (s *Service) Pause(ctx context.Context, shopID, id int64) error {
	return s.setStatus(ctx, shopID, id, Paused, Sending)
}

// Resume lets a paused campaign send again.
func (s *Service) Resume(ctx context.Context, shopID, id int64) error {
	return s.setStatus(ctx, shopID, id, Sending, Paused)
}

// Cancel stops a scheduled, sending or paused campaign for good; messages
// already sent stay sent.
func (s *Service) Cancel(ctx context.Context, shopID, id int64) error {
	return s.setStatus(ctx, shopID, id, Cancelled, Scheduled, Sending, Paused, Draft)
}

var errNoRows = sql.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, errNoRows) }
