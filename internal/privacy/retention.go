package privacy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Retention is how long a shop keeps each kind of data; 0 keeps it. The
// defaults keep everything but failed sign-ins (30 days: they only serve to
// slow password guessing), since deleting is for the shop to decide.
type Retention struct {
	SignInDays          int      // failed sign-ins; not per shop: the shortest set wins
	AuditDays           int      // audit log entries
	TimelineDays        int      // timeline events of TimelineKinds
	TimelineKinds       []string // e.g. survey, care; none: the limit is off
	CampaignAddressDays int      // a sent message's address is blanked
	AttachmentDays      int      // a ticket attachment's bytes are deleted
	InboundDays         int      // a received mail's or chat message's text is deleted
	SurveyCommentDays   int      // a survey answer's comment is deleted
	InactiveYears       int      // a customer without an order that long is erased
	Version             int64
}

// TimelineKindChoices are the timeline kinds a limit may apply to; orders
// are not among them, since they are the shop's books.
var TimelineKindChoices = []string{"note", "edit", "consent", "survey", "care", "tier", "merge", "unmerge"}

// Settings returns the shop's retention limits (the defaults if never set).
func (s *Service) Settings(ctx context.Context, shopID int64) (Retention, error) {
	r := Retention{SignInDays: 30}
	var kinds string
	err := s.db.QueryRow(ctx, `SELECT sign_in_days, audit_days, timeline_days, timeline_kinds, campaign_address_days, attachment_days,
inbound_days, survey_comment_days, inactive_years, version FROM privacy_settings WHERE shop_id = ?`, shopID).Scan(
		&r.SignInDays, &r.AuditDays, &r.TimelineDays, &kinds, &r.CampaignAddressDays, &r.AttachmentDays,
		&r.InboundDays, &r.SurveyCommentDays, &r.InactiveYears, &r.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("privacy: settings: %w", err)
	}
	r.TimelineKinds = strings.Fields(kinds)
	return r, nil
}

// SaveSettings stores the shop's limits. version is the one read (0 for
// never saved): a change made meanwhile is refused, not overwritten.
func (s *Service) SaveSettings(ctx context.Context, shopID int64, r Retention) error {
	for name, v := range map[string]int{"sign_in_days": r.SignInDays, "audit_days": r.AuditDays, "timeline_days": r.TimelineDays,
		"campaign_address_days": r.CampaignAddressDays, "attachment_days": r.AttachmentDays, "inbound_days": r.InboundDays,
		"survey_comment_days": r.SurveyCommentDays, "inactive_years": r.InactiveYears} {
		if v < 0 || v > 36500 {
			return guanxi.Errorf(guanxi.EINVALID, "%s: expected 0 (keep) to 36500, got %d", name, v)
		}
	}
	if r.AuditDays > 0 && r.AuditDays < 180 {
		// The log is how a breach is found out afterwards.
		return guanxi.Errorf(guanxi.EINVALID, "audit_days: keep the audit log at least 180 days, or 0 to keep it")
	}
	if r.InactiveYears > 0 && r.InactiveYears < 2 {
		return guanxi.Errorf(guanxi.EINVALID, "inactive_years: at least 2, or 0 to keep customers")
	}
	for _, k := range r.TimelineKinds {
		ok := false
		for _, c := range TimelineKindChoices {
			ok = ok || c == k
		}
		if !ok {
			return guanxi.Errorf(guanxi.EINVALID, "timeline_kinds: unknown kind %q", k)
		}
	}
	now := s.clock.Now()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if err := ensureSettings(ctx, tx, shopID, now.Unix()); err != nil {
			return err
		}
		q := `UPDATE privacy_settings SET sign_in_days = ?, audit_days = ?, timeline_days = ?, timeline_kinds = ?, campaign_address_days = ?,
attachment_days = ?, inbound_days = ?, survey_comment_days = ?, inactive_years = ?, updated_at = ?, version = version + 1
WHERE shop_id = ? AND (version = ? OR ? = 0)`
		res, err := tx.Exec(ctx, q, r.SignInDays, r.AuditDays, r.TimelineDays, strings.Join(r.TimelineKinds, " "), r.CampaignAddressDays,
			r.AttachmentDays, r.InboundDays, r.SurveyCommentDays, r.InactiveYears, now.Unix(), shopID, r.Version, r.Version)
		if err != nil {
			return fmt.Errorf("privacy: save settings: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return guanxi.Errorf(guanxi.ECONFLICT, "retention settings were changed by someone else: reload and try again")
		}
		return audit.Write(ctx, tx, shopID, "privacy.settings", "shop", shopID, r, now)
	})
}

// Applied counts what one retention run removed, per kind of data.
type Applied map[string]int64

// String is the counts as one line, for the job's result.
func (a Applied) String() string {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, a[k])
	}
	if b.Len() == 0 {
		return "nothing due"
	}
	return b.String()
}

// ApplyRetention removes what the shop's limits say is due at the clock's
// now, and records the counts in the audit log. Customers inactive too long
// are erased one by one, each in its own transaction, as Erase does.
func (s *Service) ApplyRetention(ctx context.Context, shopID int64) (Applied, error) {
	r, err := s.Settings(ctx, shopID)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	before := func(days int) int64 { return now.Add(-time.Duration(days) * 24 * time.Hour).Unix() }
	out := Applied{}
	ctx = audit.WithActor(ctx, audit.Actor{Name: "system:retention"})
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		exec := func(what string, days int, q string, args ...any) error {
			if days <= 0 {
				return nil
			}
			res, err := tx.Exec(ctx, q, args...)
			if err != nil {
				return fmt.Errorf("privacy: retention %s: %w", what, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				out[what] += n
			}
			return nil
		}
		if err := exec("audit_log", r.AuditDays, `DELETE FROM audit_log WHERE shop_id = ? AND at < ?`, shopID, before(r.AuditDays)); err != nil {
			return err
		}
		if len(r.TimelineKinds) > 0 {
			if err := exec("timeline_events", r.TimelineDays, `DELETE FROM timeline_events WHERE shop_id = ? AND occurred_at < ? AND kind IN (`+store.In(len(r.TimelineKinds))+`)`,
				append([]any{shopID, before(r.TimelineDays)}, anys(r.TimelineKinds)...)...); err != nil {
				return err
			}
		}
		if err := exec("campaign_addresses", r.CampaignAddressDays, `UPDATE campaign_messages SET address = '' WHERE shop_id = ? AND address <> ''
AND COALESCE(sent_at, (SELECT c.created_at FROM campaigns c WHERE c.shop_id = campaign_messages.shop_id AND c.id = campaign_messages.campaign_id)) < ?`,
			shopID, before(r.CampaignAddressDays)); err != nil {
			return err
		}
		if err := exec("attachments", r.AttachmentDays, `UPDATE ticket_attachments SET content = ? WHERE shop_id = ? AND created_at < ? AND size > 0 AND length(content) > 0`,
			[]byte{}, shopID, before(r.AttachmentDays)); err != nil {
			return err
		}
		if err := exec("inbound_text", r.InboundDays, `UPDATE ticket_events SET body = '' WHERE shop_id = ? AND kind = 'message' AND body <> '' AND at < ?`,
			shopID, before(r.InboundDays)); err != nil {
			return err
		}
		// A ticket opened by a received mail or chat message holds its text
		// as the ticket's body too.
		if err := exec("inbound_text", r.InboundDays, `UPDATE tickets SET body = '' WHERE shop_id = ? AND body <> '' AND created_at < ?
AND EXISTS (SELECT 1 FROM inbound_messages m WHERE m.shop_id = tickets.shop_id AND m.ticket_id = tickets.id)`,
			shopID, before(r.InboundDays)); err != nil {
			return err
		}
		if err := exec("survey_comments", r.SurveyCommentDays, `UPDATE survey_responses SET comment = '' WHERE shop_id = ? AND comment <> '' AND responded_at < ?`,
			shopID, before(r.SurveyCommentDays)); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if r.InactiveYears > 0 {
		cut := now.AddDate(-r.InactiveYears, 0, 0).Unix()
		ids, err := s.inactive(ctx, shopID, cut)
		if err != nil {
			return out, err
		}
		for _, id := range ids {
			if err := s.db.Update(ctx, func(tx *store.Tx) error {
				_, err := eraseTx(ctx, tx, shopID, id, fmt.Sprintf("retention: no order for %d years", r.InactiveYears), now)
				return err
			}); err != nil {
				return out, err
			}
			out["customers_erased"]++
		}
	}
	if len(out) > 0 {
		if err := s.db.Update(ctx, func(tx *store.Tx) error {
			return audit.Write(ctx, tx, shopID, "privacy.retention", "shop", shopID, out, now)
		}); err != nil {
			return out, err
		}
	}
	return out, nil
}

// inactive lists the customers (not merged away, not yet erased) whose last
// order, or creation when they never ordered, is before cut.
func (s *Service) inactive(ctx context.Context, shopID, cut int64) ([]int64, error) {
	rows, err := s.db.Query(ctx, `SELECT c.id FROM customers c
LEFT JOIN customer_stats st ON st.shop_id = c.shop_id AND st.customer_id = c.id
WHERE c.shop_id = ? AND c.merged_into IS NULL AND COALESCE(st.last_purchase_at, c.created_at) < ? AND c.created_at < ?
AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.shop_id = c.shop_id AND o.customer_id = c.id AND o.placed_at >= ?)
AND NOT EXISTS (SELECT 1 FROM customer_erasures e WHERE e.shop_id = c.shop_id AND e.customer_id = c.id)
ORDER BY c.id`, shopID, cut, cut, cut)
	if err != nil {
		return nil, fmt.Errorf("privacy: inactive customers: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("privacy: inactive customers: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// PurgeSignInFailures deletes failed sign-ins, and the addresses users
// signed in from (which the sign-in throttle spares), older than the
// shortest limit any shop set (30 days when none did). They are not per
// shop, since sign-in comes before a shop is chosen. It returns the rows
// deleted.
func (s *Service) PurgeSignInFailures(ctx context.Context) (int64, error) {
	var days sql.NullInt64
	if err := s.db.QueryRow(ctx, `SELECT MIN(sign_in_days) FROM privacy_settings WHERE sign_in_days > 0`).Scan(&days); err != nil {
		return 0, fmt.Errorf("privacy: sign-in failures: %w", err)
	}
	d := int64(30)
	if days.Valid {
		d = days.Int64
	}
	before := s.clock.Now().Add(-time.Duration(d) * 24 * time.Hour).Unix()
	var n int64
	for _, table := range []string{"sign_in_failures", "sign_in_addresses"} {
		res, err := s.db.Exec(ctx, `DELETE FROM `+table+` WHERE at < ?`, before)
		if err != nil {
			return n, fmt.Errorf("privacy: %s: %w", table, err)
		}
		k, _ := res.RowsAffected()
		n += k
	}
	return n, nil
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
