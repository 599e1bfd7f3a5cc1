package campaign

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/seal"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/uplift"
)

// Exclusion reasons, as stored in campaign_messages.reason.
const (
	ReasonNoAddress = "no_address"
	ReasonOptedOut  = "opted_out"
	ReasonNoConsent = "no_consent"
	ReasonHeld      = "held"
	ReasonCapped    = "capped"
	ReasonBudget    = "budget"
)

// Groups.
const (
	Target   = "target"
	Holdout  = "holdout"
	Excluded = "excluded"
)

// member is one customer of the audience as the snapshot records them.
type member struct {
	id      int64
	address string
	segment string
	grp     string
	reason  string
}

// shopInfo is what a build needs of the shop.
type shopInfo struct {
	name string
	loc  *time.Location
}

func (s *Service) shop(ctx context.Context, shopID int64) (shopInfo, error) {
	var name, tz string
	err := s.db.QueryRow(ctx, `SELECT name, timezone FROM shops WHERE id = ?`, shopID).Scan(&name, &tz)
	if isNoRows(err) {
		return shopInfo{}, guanxi.Errorf(guanxi.ENOTFOUND, "shop %d not found", shopID)
	}
	if err != nil {
		return shopInfo{}, fmt.Errorf("campaign: shop %d: %w", shopID, err)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	return shopInfo{name: name, loc: loc}, nil
}

// build evaluates the campaign's audience now and applies the contact
// policy, then splits the eligible customers into target and holdout with
// the campaign's seed and cuts the targets to the budget. It reads; it
// writes nothing.
func (s *Service) build(ctx context.Context, shopID int64, c *Campaign, now time.Time) ([]member, Counts, error) {
	var n Counts
	ids, err := s.segments.AllMembers(ctx, shopID, c.Rule)
	if err != nil {
		return nil, n, err
	}
	n.Audience = len(ids)
	ms, err := s.contacts(ctx, shopID, c.Channel, c.Purpose == Marketing, ids)
	if err != nil {
		return nil, n, err
	}
	var held, capped map[int64]bool
	if c.Purpose == Marketing {
		if held, err = s.heldCustomers(ctx, s.db, shopID, nil); err != nil {
			return nil, n, err
		}
		p, err := s.Policy(ctx, shopID)
		if err != nil {
			return nil, n, err
		}
		if capped, err = cappedCustomers(ctx, s.db, shopID, p, now, c.ID, nil); err != nil {
			return nil, n, err
		}
	}
	var targets []int
	for i := range ms {
		m := &ms[i]
		switch {
		case m.reason != "": // no_address, opted_out, no_consent, set by contacts
		case held[m.id]:
			m.reason = ReasonHeld
		case capped[m.id]:
			m.reason = ReasonCapped
		}
		if m.reason != "" {
			m.grp = Excluded
			continue
		}
		n.Eligible++
		if uplift.Assign(c.Seed, m.id, c.HoldoutShare) {
			m.grp = Holdout
			n.Holdout++
			continue
		}
		m.grp = Target
		targets = append(targets, i)
	}
	if limit := c.budgetLimit(); limit >= 0 && len(targets) > limit {
		// Which targets the budget leaves out is random too (a second draw
		// from the seed), so the rest stay comparable with the holdout.
		slices.SortFunc(targets, func(a, b int) int {
			return cmp.Compare(uplift.Unit(^c.Seed, ms[a].id), uplift.Unit(^c.Seed, ms[b].id))
		})
		for _, i := range targets[limit:] {
			ms[i].grp, ms[i].reason = Excluded, ReasonBudget
		}
		n.Budget = len(targets) - limit
		targets = targets[:limit]
	}
	n.Target = len(targets)
	for _, m := range ms {
		switch m.reason {
		case ReasonNoAddress:
			n.NoAddress++
		case ReasonOptedOut:
			n.OptedOut++
		case ReasonNoConsent:
			n.NoConsent++
		case ReasonHeld:
			n.Held++
		case ReasonCapped:
			n.Capped++
		}
	}
	return ms, n, nil
}

// budgetLimit is how many messages the budget pays for, -1 when unlimited.
func (c *Campaign) budgetLimit() int {
	if c.Budget <= 0 || c.CostPerMessage <= 0 {
		return -1
	}
	return int(c.Budget / c.CostPerMessage)
}

// contacts reads each audience customer's address on the channel, consent
// and RFM segment, marking those without an address or, for marketing,
// without consent (a service message — an order shipped, a complaint's
// follow-up — needs no marketing consent). ids are ascending. A large audience is read in one pass over the shop's
// customers; a small one by id.
func (s *Service) contacts(ctx context.Context, shopID int64, ch string, marketing bool, ids []int64) ([]member, error) {
	cols := `c.id, c.phone, c.email, cc.granted, COALESCE(cs.segment_cn, ''), `
	if ch == WeChat {
		cols += `COALESCE((SELECT MIN(ci.value) FROM customer_identities ci WHERE ci.shop_id = c.shop_id AND ci.customer_id = c.id AND ci.kind = 'openid'), '')`
	} else {
		cols += `''`
	}
	q := `SELECT ` + cols + `
FROM customers c
LEFT JOIN customer_consents cc ON cc.shop_id = c.shop_id AND cc.customer_id = c.id AND cc.channel = ? AND cc.purpose = 'marketing'
LEFT JOIN customer_scores cs ON cs.shop_id = c.shop_id AND cs.customer_id = c.id
WHERE c.shop_id = ? AND c.merged_into IS NULL`
	out := make([]member, 0, len(ids))
	scan := func(rows *sql.Rows, want func(id int64) bool) error {
		defer rows.Close()
		for rows.Next() {
			var m member
			var phone, email, segment, openid string
			var granted sql.NullBool
			if err := rows.Scan(&m.id, &phone, &email, &granted, &segment, &openid); err != nil {
				return fmt.Errorf("campaign: audience contacts: %w", err)
			}
			if !want(m.id) {
				continue
			}
			if err := openContact(s.db.Keys(), ch, &phone, &email); err != nil {
				return fmt.Errorf("campaign: audience contacts: customer %d: %w", m.id, err)
			}
			m.segment = segment
			m.address = address(ch, phone, email, openid, m.id)
			switch {
			case m.address == "":
				m.reason = ReasonNoAddress
			case !marketing:
			case granted.Valid && !granted.Bool:
				m.reason = ReasonOptedOut
			case !granted.Valid && s.needsConsent(ch):
				m.reason = ReasonNoConsent
			}
			out = append(out, m)
		}
		return rows.Err()
	}
	if len(ids) > 20_000 {
		rows, err := s.db.Query(ctx, q+` ORDER BY c.id`, ch, shopID)
		if err != nil {
			return nil, fmt.Errorf("campaign: audience contacts: %w", err)
		}
		i := 0
		err = scan(rows, func(id int64) bool {
			for i < len(ids) && ids[i] < id {
				i++
			}
			return i < len(ids) && ids[i] == id
		})
		return out, err
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := []any{ch, shopID}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := s.db.Query(ctx, q+` AND c.id IN (`+store.In(len(chunk))+`) ORDER BY c.id`, args...)
		if err != nil {
			return nil, fmt.Errorf("campaign: audience contacts: %w", err)
		}
		if err := scan(rows, func(int64) bool { return true }); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// needsConsent: marketing by email, SMS and WeChat needs the customer's
// consent on record (PIPL, and the carriers' rules for SMS); an outbound
// webhook hands the customer to the shop's own system, which decides.
func (s *Service) needsConsent(ch string) bool { return ch != Webhook }

// openContact opens, in place, the sealed field a message on ch goes to
// (the phone for SMS, the e-mail for e-mail), and only that one: a large
// audience is read for one channel.
func openContact(k *seal.Keys, ch string, phone, email *string) error {
	switch ch {
	case SMS:
		return k.OpenAll(seal.Phone(phone))
	case Email:
		return k.OpenAll(seal.Email(email))
	}
	return nil
}

// address is where a message on the channel goes, "" when the customer
// has none usable: a masked value is no address.
func address(ch, phone, email, openid string, id int64) string {
	switch ch {
	case SMS:
		p := guanxi.NormalizePhone(phone)
		if len(p) != 11 { // mainland mobiles only: the gateways here send to +86
			return ""
		}
		return p
	case Email:
		e := strings.TrimSpace(email)
		if guanxi.IsMasked(e) || strings.Count(e, "@") != 1 || strings.ContainsAny(e, " \r\n<>") {
			return ""
		}
		return e
	case WeChat:
		return openid
	case Webhook:
		return strconv.FormatInt(id, 10)
	}
	return ""
}

// heldCustomers returns the customers with a hold, among ids (all when nil).
func (s *Service) heldCustomers(ctx context.Context, q querier, shopID int64, ids []int64) (map[int64]bool, error) {
	return idSet(ctx, q, `SELECT DISTINCT customer_id FROM contact_holds WHERE shop_id = ?`, []any{shopID}, "customer_id", ids)
}

// cappedCustomers returns the customers (among ids, all when nil) who have
// had as many marketing messages in the policy's window as it allows, not
// counting campaign except.
func cappedCustomers(ctx context.Context, q querier, shopID int64, p Policy, now time.Time, except int64, ids []int64) (map[int64]bool, error) {
	if p.CapMessages <= 0 || p.CapDays <= 0 {
		return nil, nil
	}
	since := now.AddDate(0, 0, -p.CapDays).Unix()
	var rows *sql.Rows
	var err error
	if ids == nil {
		// The whole audience: one pass over the window's messages.
		rows, err = q.Query(ctx, `SELECT m.customer_id FROM campaign_messages m
JOIN campaigns c ON c.shop_id = m.shop_id AND c.id = m.campaign_id AND c.purpose = 'marketing'
WHERE m.shop_id = ? AND m.sent_at >= ? AND m.campaign_id <> ?
GROUP BY m.customer_id HAVING COUNT(*) >= `+strconv.Itoa(p.CapMessages), shopID, since, except)
	} else {
		// A batch: one probe of campaign_messages_sent per customer, so
		// the cost stays per message however many the window holds (a
		// planner that scanned the window instead made a million-message
		// dispatch quadratic).
		args := []any{since, except, shopID}
		for _, id := range ids {
			args = append(args, id)
		}
		rows, err = q.Query(ctx, `SELECT cu.id FROM customers cu
WHERE (SELECT COUNT(*) FROM campaign_messages m JOIN campaigns c ON c.shop_id = m.shop_id AND c.id = m.campaign_id AND c.purpose = 'marketing'
       WHERE m.shop_id = cu.shop_id AND m.customer_id = cu.id AND m.sent_at >= ? AND m.campaign_id <> ?) >= `+strconv.Itoa(p.CapMessages)+`
AND cu.shop_id = ? AND cu.id IN (`+store.In(len(ids))+`)`, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("campaign: frequency caps: %w", err)
	}
	return collectIDs(rows)
}

func idSet(ctx context.Context, q querier, base string, args []any, col string, ids []int64) (map[int64]bool, error) {
	if ids != nil {
		base += ` AND ` + col + ` IN (` + store.In(len(ids)) + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	rows, err := q.Query(ctx, base, args...)
	if err != nil {
		return nil, fmt.Errorf("campaign: %w", err)
	}
	return collectIDs(rows)
}

func collectIDs(rows *sql.Rows) (map[int64]bool, error) {
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// Power is the power hint shown before launch.
type Power struct {
	BaseRate float64 // share of the eligible customers who bought in a window as long as the attribution window, lately
	// MDE is the smallest absolute uplift in that rate the campaign detects
	// with 80% power at the 5% level; 0 when it cannot be computed (no
	// holdout, no base rate), with Note saying why.
	MDE     float64
	Options []PowerOption // the same for other holdout shares
	Note    string
}

// PowerOption is the MDE at one holdout share.
type PowerOption struct {
	Share float64
	MDE   float64
}

// Preview is what launching the campaign now would do.
type Preview struct {
	Counts  Counts
	Power   Power
	Samples []Sample // the first messages rendered
	Cost    guanxi.Money
}

// Sample is one rendered message.
type Sample struct {
	CustomerID int64
	To         string
	Subject    string
	Text       string
}

// Preview builds the audience as a launch would now, without saving it.
func (s *Service) Preview(ctx context.Context, shopID int64, c *Campaign) (*Preview, error) {
	if err := s.check(ctx, shopID, c); err != nil {
		return nil, err
	}
	if c.Seed == 0 {
		c.Seed = newSeed()
	}
	now := s.clock.Now()
	ms, n, err := s.build(ctx, shopID, c, now)
	if err != nil {
		return nil, err
	}
	sh, err := s.shop(ctx, shopID)
	if err != nil {
		return nil, err
	}
	n.Deferred = s.deferred(ctx, shopID, c, n.Target, now, sh.loc)
	p := &Preview{Counts: n, Cost: guanxi.Money(n.Target) * c.CostPerMessage}
	if p.Power, err = s.power(ctx, shopID, c, ms, now); err != nil {
		return nil, err
	}
	var sample []int64
	var addr []string
	for _, m := range ms {
		if m.grp == Target {
			sample, addr = append(sample, m.id), append(addr, m.address)
			if len(sample) == 3 {
				break
			}
		}
	}
	vars, err := s.vars(ctx, s.db, shopID, sh.name, sample)
	if err != nil {
		return nil, err
	}
	body, _ := ParseTemplate(c.Body)
	subject, _ := ParseTemplate(c.Subject)
	for i, id := range sample {
		v := vars[id]
		if c.CouponTemplateID != 0 {
			v.Coupon = "（券码）"
		}
		p.Samples = append(p.Samples, Sample{CustomerID: id, To: addr[i], Subject: subject.Render(v), Text: body.Render(v)})
	}
	return p, nil
}

// deferred estimates how many of n messages quiet hours push to the next
// morning: all when it is quiet now, else those the channel's rate cannot
// send before they begin.
func (s *Service) deferred(ctx context.Context, shopID int64, c *Campaign, n int, now time.Time, loc *time.Location) int {
	p, err := s.Policy(ctx, shopID)
	if err != nil {
		return 0
	}
	start := now
	if c.Schedule != Now && c.SendAt.After(now) {
		start = c.SendAt
	}
	if q, _ := p.Quiet(start, loc); q {
		return n
	}
	if p.QuietStart == p.QuietEnd {
		return 0
	}
	st, err := s.ChannelSettings(ctx, shopID, c.Channel)
	if err != nil || st.Rate <= 0 {
		return 0
	}
	fits := int(p.NextQuiet(start, loc).Sub(start).Seconds() * st.Rate)
	return max(0, n-fits)
}

// powerWindows is how many past attribution windows the base rate averages.
const powerWindows = 4

// power estimates the base response rate of the eligible customers from
// their purchases in the last powerWindows windows as long as the
// attribution window, and the smallest uplift the split can detect.
func (s *Service) power(ctx context.Context, shopID int64, c *Campaign, ms []member, now time.Time) (Power, error) {
	var pw Power
	eligible := map[int64]bool{}
	for _, m := range ms {
		if m.grp == Target || m.grp == Holdout || m.reason == ReasonBudget {
			eligible[m.id] = true
		}
	}
	if len(eligible) < 2 {
		pw.Note = "too few eligible customers"
		return pw, nil
	}
	win := time.Duration(c.AttributionDays) * 24 * time.Hour
	from := now.Add(-powerWindows * win)
	rows, err := s.db.Query(ctx, `SELECT customer_id, placed_at FROM orders
WHERE shop_id = ? AND placed_at >= ? AND placed_at < ? AND purchase_day IS NOT NULL AND customer_id IS NOT NULL`, shopID, from.Unix(), now.Unix())
	if err != nil {
		return pw, fmt.Errorf("campaign: base rate: %w", err)
	}
	defer rows.Close()
	bought := map[[2]int64]bool{} // customer, window
	for rows.Next() {
		var id, at int64
		if err := rows.Scan(&id, &at); err != nil {
			return pw, err
		}
		if eligible[id] {
			bought[[2]int64{id, int64(now.Sub(time.Unix(at, 0)) / win)}] = true
		}
	}
	if err := rows.Err(); err != nil {
		return pw, err
	}
	pw.BaseRate = float64(len(bought)) / float64(powerWindows*len(eligible))
	if pw.BaseRate <= 0 || pw.BaseRate >= 1 {
		pw.Note = "no purchases by these customers lately: the base rate is unknown"
		return pw, nil
	}
	for _, h := range []float64{0.05, 0.10, 0.20, 0.30, 0.50} {
		if mde, err := uplift.MinimumDetectableUplift(pw.BaseRate, int64(len(eligible)), h, 0.05, 0.8); err == nil {
			pw.Options = append(pw.Options, PowerOption{Share: h, MDE: mde})
		}
	}
	if c.HoldoutShare <= 0 {
		pw.Note = "no holdout: the campaign's uplift cannot be measured"
		return pw, nil
	}
	mde, err := uplift.MinimumDetectableUplift(pw.BaseRate, int64(len(eligible)), c.HoldoutShare, 0.05, 0.8)
	if err != nil {
		pw.Note = guanxi.ErrorMessage(err)
		return pw, nil
	}
	pw.MDE = mde
	return pw, nil
}

// Launch starts a draft: a "now" campaign snapshots its audience and starts
// sending; an "at" or recurring one waits for its time (the scheduler calls
// Start then). It returns the campaign as launched.
func (s *Service) Launch(ctx context.Context, shopID, id int64) (*Campaign, error) {
	c, err := s.Get(ctx, shopID, id)
	if err != nil {
		return nil, err
	}
	if c.Status != Draft {
		return nil, guanxi.Errorf(guanxi.ECONFLICT, "campaign %d is %s: only a draft can be launched", id, c.Status)
	}
	if c.Schedule == Now {
		return s.Start(ctx, shopID, id)
	}
	if err := s.setStatus(ctx, shopID, id, Scheduled, Draft); err != nil {
		return nil, err
	}
	return s.Get(ctx, shopID, id)
}

// Start snapshots a draft or scheduled campaign's audience now and marks it
// sending. A recurring campaign is not itself sent: each start makes an
// occurrence (a copy with its own seed and snapshot) and moves the next
// send on by its repeat days.
func (s *Service) Start(ctx context.Context, shopID, id int64) (*Campaign, error) {
	c, err := s.Get(ctx, shopID, id)
	if err != nil {
		return nil, err
	}
	if c.Status != Draft && c.Status != Scheduled {
		return nil, guanxi.Errorf(guanxi.ECONFLICT, "campaign %d is %s: it cannot start", id, c.Status)
	}
	if c.SegmentID != 0 { // a saved segment is dynamic: take its rule as of now
		if seg, err := s.segments.Get(ctx, shopID, c.SegmentID); err == nil {
			c.Rule = seg.Rule
		}
	}
	now := s.clock.Now().Truncate(time.Second)
	sh, err := s.shop(ctx, shopID)
	if err != nil {
		return nil, err
	}
	run := c
	if c.Schedule == Recurring {
		occ := *c
		occ.ParentID, occ.Schedule, occ.SendAt, occ.RepeatDays = c.ID, Now, time.Time{}, 0
		occ.Name = fmt.Sprintf("%s · %s", c.Name, now.In(sh.loc).Format("2006-01-02"))
		occ.Seed, occ.CreatedAt, occ.UpdatedAt, occ.Version = newSeed(), now, now, 1
		run = &occ
	}
	ms, n, err := s.build(ctx, shopID, run, now)
	if err != nil {
		return nil, err
	}
	n.Deferred = s.deferred(ctx, shopID, run, n.Target, now, sh.loc)
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		if run != c {
			next := c.SendAt
			for !next.After(now) {
				next = next.AddDate(0, 0, c.RepeatDays)
			}
			res, err := tx.Exec(ctx, `UPDATE campaigns SET send_at = ?, status = 'scheduled', updated_at = ?, version = version + 1
WHERE shop_id = ? AND id = ? AND version = ?`, next.Unix(), now.Unix(), shopID, c.ID, c.Version)
			if err != nil {
				return fmt.Errorf("campaign: reschedule %d: %w", c.ID, err)
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return guanxi.Errorf(guanxi.ECONFLICT, "campaign %d changed while starting", c.ID)
			}
			c.SendAt = next
			cid, err := tx.NextIDs(ctx, shopID, "campaigns", 1)
			if err != nil {
				return err
			}
			run.ID, run.Status = cid, Draft
			if err := insertCampaign(ctx, tx, shopID, run); err != nil {
				return err
			}
		}
		return s.snapshot(ctx, tx, shopID, run, ms, n, now)
	})
	if err != nil {
		return nil, err
	}
	if s.db.Dialect == store.Postgres && len(ms) >= 10_000 {
		// Dispatch starts at once: let the planner see the new queue now
		// rather than when autovacuum gets to it, so claims use its index.
		if _, err := s.db.Exec(ctx, `ANALYZE campaign_messages`); err != nil {
			return nil, fmt.Errorf("campaign %d: analyze: %w", run.ID, err)
		}
	}
	return s.Get(ctx, shopID, run.ID)
}

// snapshot writes the audience of a campaign being started and marks it
// sending, in tx; coupons for the target group are issued in the same
// transaction, so a failed start leaves neither.
func (s *Service) snapshot(ctx context.Context, tx *store.Tx, shopID int64, c *Campaign, ms []member, n Counts, now time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE campaigns SET status = 'sending', counts = ?, launched_at = ?, updated_at = ?, version = version + 1
WHERE shop_id = ? AND id = ? AND status IN ('draft', 'scheduled') AND version = ?`, jsonString(n), now.Unix(), now.Unix(), shopID, c.ID, c.Version)
	if err != nil {
		return fmt.Errorf("campaign: start %d: %w", c.ID, err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return guanxi.Errorf(guanxi.ECONFLICT, "campaign %d changed while starting: reload it", c.ID)
	}
	var coupons map[int64]string
	if c.CouponTemplateID != 0 {
		var ids []int64
		for _, m := range ms {
			if m.grp == Target {
				ids = append(ids, m.id)
			}
		}
		if coupons, err = s.coupons.IssueTx(ctx, tx, shopID, c.CouponTemplateID, ids, fmt.Sprintf("campaign:%d", c.ID)); err != nil {
			return fmt.Errorf("campaign %d: coupons: %w", c.ID, err)
		}
	}
	cols := []string{"shop_id", "campaign_id", "customer_id", "grp", "reason", "segment", "address", "coupon", "status", "next_at"}
	rows := make([][]any, 0, 4096)
	flush := func() error {
		err := tx.Insert(ctx, "campaign_messages", cols, rows)
		rows = rows[:0]
		return err
	}
	for _, m := range ms {
		status, next := "", any(nil)
		if m.grp == Target {
			status, next = "queued", now.Unix()
		}
		rows = append(rows, []any{shopID, c.ID, m.id, m.grp, m.reason, m.segment, tx.Keys().Seal("address", m.address), coupons[m.id], status, next})
		if len(rows) == cap(rows) {
			if err := flush(); err != nil {
				return fmt.Errorf("campaign %d: audience snapshot: %w", c.ID, err)
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("campaign %d: audience snapshot: %w", c.ID, err)
	}
	c.Status, c.Counts, c.LaunchedAt = Sending, n, now
	return audit.Write(ctx, tx, shopID, "campaign.start", "campaign", c.ID, n, now)
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}
