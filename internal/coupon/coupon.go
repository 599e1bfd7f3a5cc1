// Package coupon owns coupon templates and the codes issued from them
// (issue 5 §5): a template says what a coupon is worth and how long it
// lasts; Issue and IssueTx give each of a list of customers a code of their
// own (random, from an alphabet without 0/O/1/I, unique in the shop);
// MatchRedemptions marks a code redeemed by the first order of its customer,
// placed while it was valid, whose imported discount-code column carries
// it. Tables: coupon_templates, coupons. A Service is safe for concurrent
// use; each method runs in one transaction, IssueTx in the caller's.
package coupon

import (
	"context"
	"crypto/rand"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Template kinds.
const (
	KindAmount  = "amount"  // Value minor units off
	KindPercent = "percent" // Value percent off
)

// Template statuses: an archived template issues no more codes; codes
// already issued stay valid.
const (
	StatusActive   = "active"
	StatusArchived = "archived"
)

// Template is what a coupon is worth and how long its codes last.
type Template struct {
	ID         int64
	Name       string
	Kind       string
	Value      int64        // KindAmount: minor units (fen); KindPercent: 1–100
	MinSpend   guanxi.Money // the order must reach this
	ValidDays  int          // a code expires this many days after issue (0: only EndsAt)
	EndsAt     time.Time    // a fixed end for every code (zero: only ValidDays)
	CodePrefix string       // upper-case letters and digits put before the 8 random characters
	Status     string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Stats are a template's figures.
type Stats struct {
	Template
	Issued   int64
	Redeemed int64
	Discount guanxi.Money // given by its redeemed codes
}

// Rate is the share of issued codes redeemed, 0 when none were issued.
func (s Stats) Rate() float64 {
	if s.Issued == 0 {
		return 0
	}
	return float64(s.Redeemed) / float64(s.Issued)
}

// Service keeps the coupons of every shop in db.
type Service struct {
	db       *store.DB
	clock    guanxi.Clock
	segments *segment.Service
}

// NewService returns the coupon service of db; segments resolves the saved
// segments IssueToSegment issues to.
func NewService(db *store.DB, clock guanxi.Clock, segments *segment.Service) *Service {
	if clock == nil {
		clock = guanxi.SystemClock{}
	}
	return &Service{db: db, clock: clock, segments: segments}
}

// wrap adds context to an unexpected error and passes guanxi errors through.
func wrap(err error, format string, args ...any) error {
	if err == nil || guanxi.ErrorCode(err) != guanxi.EINTERNAL {
		return err
	}
	return fmt.Errorf("coupon: "+format+": %w", append(args, err)...)
}

var prefixRe = regexp.MustCompile(`^[A-Z0-9]{0,12}$`)

// check normalises a template and refuses a bad one with EINVALID.
func (t *Template) check() error {
	t.Name = strings.TrimSpace(t.Name)
	t.CodePrefix = strings.ToUpper(strings.TrimSpace(t.CodePrefix))
	if t.Status == "" {
		t.Status = StatusActive
	}
	switch {
	case t.Name == "" || len(t.Name) > 200:
		return guanxi.Errorf(guanxi.EINVALID, "name: required, at most 200 bytes")
	case t.Kind != KindAmount && t.Kind != KindPercent:
		return guanxi.Errorf(guanxi.EINVALID, "kind: must be %s or %s", KindAmount, KindPercent)
	case t.Value <= 0 || (t.Kind == KindPercent && t.Value > 100):
		return guanxi.Errorf(guanxi.EINVALID, "value: must be positive, and at most 100 for a percentage")
	case t.MinSpend < 0:
		return guanxi.Errorf(guanxi.EINVALID, "min_spend: cannot be negative")
	case t.ValidDays < 0 || (t.ValidDays == 0 && t.EndsAt.IsZero()):
		return guanxi.Errorf(guanxi.EINVALID, "valid_days: a number of days after issue or a fixed end date is required")
	case !prefixRe.MatchString(t.CodePrefix):
		return guanxi.Errorf(guanxi.EINVALID, "code_prefix: at most 12 letters and digits")
	case t.Status != StatusActive && t.Status != StatusArchived:
		return guanxi.Errorf(guanxi.EINVALID, "status: must be %s or %s", StatusActive, StatusArchived)
	}
	return nil
}

// expiry is when a code issued at now expires.
func (t *Template) expiry(now time.Time) time.Time {
	var end time.Time
	if t.ValidDays > 0 {
		end = now.AddDate(0, 0, t.ValidDays)
	}
	if !t.EndsAt.IsZero() && (end.IsZero() || t.EndsAt.Before(end)) {
		end = t.EndsAt
	}
	return end
}

// discount is what the template takes off an order of amount.
func (t *Template) discount(amount guanxi.Money) guanxi.Money {
	if t.Kind == KindPercent {
		return amount * guanxi.Money(t.Value) / 100
	}
	return min(guanxi.Money(t.Value), amount)
}

// CreateTemplate saves a new template (audited) and sets its ID. A bad one
// is refused with EINVALID.
func (s *Service) CreateTemplate(ctx context.Context, shopID int64, t *Template) error {
	if err := t.check(); err != nil {
		return err
	}
	now := s.clock.Now()
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		id, err := tx.NextIDs(ctx, shopID, "coupon_templates", 1)
		if err != nil {
			return err
		}
		t.ID, t.CreatedAt, t.UpdatedAt = id, now, now
		if _, err := tx.Exec(ctx, `INSERT INTO coupon_templates (shop_id, id, name, kind, value, min_spend, valid_days, ends_at, code_prefix, status, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, shopID, t.ID, t.Name, t.Kind, t.Value, int64(t.MinSpend), store.NullInt(int64(t.ValidDays)), store.NullTime(t.EndsAt),
			t.CodePrefix, t.Status, now.Unix(), now.Unix()); err != nil {
			return err
		}
		return audit.Write(ctx, tx, shopID, "coupon.template.create", "coupon_template", t.ID, t, now)
	})
	return wrap(err, "create template in shop %d", shopID)
}

// UpdateTemplate saves a template's changes (audited); codes already issued
// keep their expiry. An unknown one is ENOTFOUND, a bad one EINVALID.
func (s *Service) UpdateTemplate(ctx context.Context, shopID int64, t *Template) error {
	if err := t.check(); err != nil {
		return err
	}
	now := s.clock.Now()
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		r, err := tx.Exec(ctx, `UPDATE coupon_templates SET name = ?, kind = ?, value = ?, min_spend = ?, valid_days = ?, ends_at = ?, code_prefix = ?, status = ?, updated_at = ?
WHERE shop_id = ? AND id = ?`, t.Name, t.Kind, t.Value, int64(t.MinSpend), store.NullInt(int64(t.ValidDays)), store.NullTime(t.EndsAt), t.CodePrefix, t.Status, now.Unix(), shopID, t.ID)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return guanxi.Errorf(guanxi.ENOTFOUND, "coupon template %d not found", t.ID)
		}
		t.UpdatedAt = now
		return audit.Write(ctx, tx, shopID, "coupon.template.update", "coupon_template", t.ID, t, now)
	})
	return wrap(err, "update template %d", t.ID)
}

// DeleteTemplate deletes a template that has issued no code (audited); one
// that has is refused with ECONFLICT (archive it instead), an unknown one
// is ENOTFOUND.
func (s *Service) DeleteTemplate(ctx context.Context, shopID, id int64) error {
	now := s.clock.Now()
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM coupons WHERE shop_id = ? AND template_id = ?`, shopID, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return guanxi.Errorf(guanxi.ECONFLICT, "coupon template %d has issued %d codes: archive it instead", id, n)
		}
		r, err := tx.Exec(ctx, `DELETE FROM coupon_templates WHERE shop_id = ? AND id = ?`, shopID, id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return guanxi.Errorf(guanxi.ENOTFOUND, "coupon template %d not found", id)
		}
		return audit.Write(ctx, tx, shopID, "coupon.template.delete", "coupon_template", id, nil, now)
	})
	return wrap(err, "delete template %d", id)
}

// Template returns one template, or ENOTFOUND.
func (s *Service) Template(ctx context.Context, shopID, id int64) (*Template, error) {
	t, err := getTemplate(ctx, s.db, shopID, id)
	return t, wrap(err, "template %d", id)
}

// List returns the shop's templates with their figures, newest first.
func (s *Service) List(ctx context.Context, shopID int64) ([]Stats, error) {
	out, err := listStats(ctx, s.db, shopID)
	return out, wrap(err, "list templates of shop %d", shopID)
}

// IssueTx gives each customer a new code of the template, inside the
// caller's transaction (a campaign issues with its own writes), and returns
// customer id → code. Ids repeated in customerIDs get one code. source says
// why ("segment:12", "campaign:7", "manual"). It refuses an unknown
// template or customer (or one merged into another) with ENOTFOUND and an
// archived or ended template with EINVALID, before writing anything. Codes
// are written in bulk, so a million customers is a few seconds' work.
func (s *Service) IssueTx(ctx context.Context, tx *store.Tx, shopID, templateID int64, customerIDs []int64, source string) (map[int64]string, error) {
	out, err := s.issueTx(ctx, tx, shopID, templateID, customerIDs, source)
	if err != nil {
		return nil, wrap(err, "issue template %d to %d customers", templateID, len(customerIDs))
	}
	return out, nil
}

func (s *Service) issueTx(ctx context.Context, tx *store.Tx, shopID, templateID int64, customerIDs []int64, source string) (map[int64]string, error) {
	t, err := getTemplate(ctx, tx, shopID, templateID)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	expires := t.expiry(now)
	switch {
	case t.Status != StatusActive:
		return nil, guanxi.Errorf(guanxi.EINVALID, "coupon template %d is archived", templateID)
	case !expires.After(now):
		return nil, guanxi.Errorf(guanxi.EINVALID, "coupon template %d has ended", templateID)
	}
	ids := make([]int64, 0, len(customerIDs))
	seen := make(map[int64]bool, len(customerIDs))
	for _, id := range customerIDs {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if err := requireLive(ctx, tx, shopID, ids); err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(ids))
	const chunk = 5000
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		codes, err := newCodes(ctx, tx, shopID, t.CodePrefix, len(part))
		if err != nil {
			return nil, err
		}
		rows := make([][]any, len(part))
		for i, id := range part {
			rows[i] = []any{shopID, codes[i], templateID, id, source, now.Unix(), expires.Unix()}
			out[id] = codes[i]
		}
		if err := tx.Insert(ctx, "coupons", []string{"shop_id", "code", "template_id", "customer_id", "source", "issued_at", "expires_at"}, rows); err != nil {
			return nil, err
		}
	}
	return out, audit.Write(ctx, tx, shopID, "coupon.issue", "coupon_template", templateID, map[string]any{"customers": len(ids), "source": source}, now)
}

// Issue is IssueTx in a transaction of its own.
func (s *Service) Issue(ctx context.Context, shopID, templateID int64, customerIDs []int64, source string) (map[int64]string, error) {
	var out map[int64]string
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.IssueTx(ctx, tx, shopID, templateID, customerIDs, source)
		return err
	})
	return out, err
}

// IssueToSegment issues a code of the template to every current member of
// the saved segment, with source "segment:ID", and returns how many were
// issued. An unknown segment is ENOTFOUND.
func (s *Service) IssueToSegment(ctx context.Context, shopID, templateID, segmentID int64) (int, error) {
	seg, err := s.segments.Get(ctx, shopID, segmentID)
	if err != nil {
		return 0, err
	}
	var members []int64
	for offset := 0; ; offset += segment.MaxLimit {
		page, err := s.segments.Members(ctx, shopID, seg.Rule, segment.MaxLimit, offset)
		if err != nil {
			return 0, fmt.Errorf("coupon: members of segment %d: %w", segmentID, err)
		}
		members = append(members, page...)
		if len(page) < segment.MaxLimit {
			break
		}
	}
	if len(members) == 0 {
		return 0, nil
	}
	codes, err := s.Issue(ctx, shopID, templateID, members, fmt.Sprintf("segment:%d", segmentID))
	return len(codes), err
}

// codeAlphabet has no 0, O, 1 or I, which people misread. Its 32 letters
// make each random byte's low 5 bits an unbiased pick.
const codeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// codeLen random characters give 2^40 codes: a million codes in a shop
// collide now and then, so newCodes checks and draws again.
const codeLen = 8

// randomCode returns prefix and codeLen random characters.
func randomCode(prefix string) string {
	var b [codeLen]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24)
	for i := range b {
		b[i] = codeAlphabet[b[i]&31]
	}
	return prefix + string(b[:])
}

// newCodes returns n distinct codes not yet used in the shop.
func newCodes(ctx context.Context, tx *store.Tx, shopID int64, prefix string, n int) ([]string, error) {
	codes := make([]string, 0, n)
	taken := make(map[string]bool, n)
	for len(codes) < n {
		var fresh []string
		for len(codes)+len(fresh) < n {
			c := randomCode(prefix)
			if !taken[c] {
				taken[c] = true
				fresh = append(fresh, c)
			}
		}
		used, err := existingCodes(ctx, tx, shopID, fresh)
		if err != nil {
			return nil, err
		}
		for _, c := range fresh {
			if !used[c] {
				codes = append(codes, c)
			}
		}
	}
	return codes, nil
}

// codeKeys are the order columns (lower case, as imported from a file's
// header) that hold the discount codes an order used.
var codeKeys = map[string]bool{
	"discount code": true, "discount codes": true, "discount_code": true, "discount_codes": true,
	"coupon_code": true, "coupon code": true, "coupon": true, "优惠码": true, "优惠券": true, "优惠券码": true,
}

// orderCodes returns the codes an order's attributes name, upper case. A
// value may list several (Shopify joins them with commas).
func orderCodes(attrs map[string]any) []string {
	var out []string
	for k, v := range attrs {
		s, ok := v.(string)
		if !ok || !codeKeys[strings.ToLower(strings.TrimSpace(k))] {
			continue
		}
		for _, c := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == ';' || r == ' ' }) {
			out = append(out, strings.ToUpper(c))
		}
	}
	return out
}
