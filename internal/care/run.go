package care

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Skip reasons of a run besides the contact policy's (campaign.Reason…).
const (
	SkipCondition = "condition" // not in the segment, spend or tier the rule asks for
	SkipAlready   = "already"   // another run handled the occurrence first
	SkipError     = "error"     // the action failed; the occurrence is tried again next run
)

// lookBack is how far before a rule's creation its event triggers reach:
// a new rule cares for what happens from about now on, not for every order
// and complaint in the shop's history.
const lookBack = 24 * time.Hour

// candidate is a customer the trigger found, with the occurrence's key.
type candidate struct {
	customer int64
	key      string
}

// RunDue runs every enabled rule of the shop and returns the runs.
func (s *Service) RunDue(ctx context.Context, shopID int64) ([]*Run, error) {
	rules, err := listRules(ctx, s.db, `WHERE shop_id = ? AND enabled = ? ORDER BY id`, shopID, true)
	if err != nil {
		return nil, err
	}
	var out []*Run
	for _, r := range rules {
		run, err := s.Run(ctx, shopID, r.ID)
		if run != nil {
			out = append(out, run)
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// Run runs a rule now, enabled or not: finds the trigger's new
// occurrences, checks the conditions and acts once for each. It records
// the run; an error of one customer's action is counted and the run goes
// on (that occurrence is tried again next run). It fails on errors that
// stop the run as a whole, with the run recorded as far as it went.
func (s *Service) Run(ctx context.Context, shopID, ruleID int64) (*Run, error) {
	r, err := s.Get(ctx, shopID, ruleID)
	if err != nil {
		return nil, err
	}
	now := time.Unix(s.clock.Now().Unix(), 0)
	run := &Run{RuleID: r.ID, StartedAt: now, Skipped: map[string]int{}}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		id, err := tx.NextIDs(ctx, shopID, "care_runs", 1)
		if err != nil {
			return err
		}
		run.ID = id
		_, err = tx.Exec(ctx, `INSERT INTO care_runs (shop_id, id, rule_id, started_at) VALUES (?, ?, ?, ?)`, shopID, id, r.ID, now.Unix())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("care: start run of rule %d: %w", r.ID, err)
	}
	err = s.run(ctx, shopID, r, run, now)
	if err != nil && run.Error == "" {
		run.Error = err.Error()
	}
	if ferr := s.finish(ctx, shopID, run); ferr != nil && err == nil {
		err = ferr
	}
	return run, err
}

func (s *Service) run(ctx context.Context, shopID int64, r *Rule, run *Run, now time.Time) error {
	loc, err := s.location(ctx, shopID)
	if err != nil {
		return err
	}
	cands, err := s.candidates(ctx, shopID, r, now, loc)
	if err != nil {
		return err
	}
	if cands, err = s.unhandled(ctx, shopID, r.ID, cands); err != nil {
		return err
	}
	run.Matched = len(cands)
	if cands, err = s.conditions(ctx, shopID, r, cands, run); err != nil {
		return err
	}
	var camp *campaign.Campaign
	for _, c := range cands {
		if err := ctx.Err(); err != nil {
			return err
		}
		var opened *campaign.Campaign
		var outcome, detail string
		err := s.db.Update(ctx, func(tx *store.Tx) error {
			opened = nil
			res, err := tx.Exec(ctx, `INSERT INTO care_occurrences (shop_id, rule_id, customer_id, occurrence, run_id, at, outcome)
VALUES (?, ?, ?, ?, ?, ?, 'skipped') ON CONFLICT (shop_id, rule_id, customer_id, occurrence) DO NOTHING`, shopID, r.ID, c.customer, c.key, run.ID, now.Unix())
			if err != nil {
				return fmt.Errorf("care: record occurrence: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				outcome = SkipAlready
				return nil
			}
			// A customer merged into this one may have had this occurrence
			// (the same birthday, the order that moved over with the
			// merge): the person was cared for once already.
			var twin int64
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM care_occurrences o JOIN customers m ON m.shop_id = o.shop_id AND m.id = o.customer_id
WHERE o.shop_id = ? AND o.rule_id = ? AND o.occurrence = ? AND m.merged_into = ?`, shopID, r.ID, c.key, c.customer).Scan(&twin); err != nil {
				return fmt.Errorf("care: merged occurrences: %w", err)
			}
			if twin > 0 {
				outcome, detail = SkipAlready, SkipAlready
				_, err := tx.Exec(ctx, `UPDATE care_occurrences SET detail = 'merged' WHERE shop_id = ? AND rule_id = ? AND customer_id = ? AND occurrence = ?`,
					shopID, r.ID, c.customer, c.key)
				return err
			}
			if r.Action == Message && camp == nil {
				if opened, err = s.openCampaign(ctx, tx, shopID, r, now); err != nil {
					return err
				}
			}
			use := camp
			if use == nil {
				use = opened
			}
			acted, d, err := s.act(ctx, tx, shopID, r, c, use, now)
			if err != nil {
				return err
			}
			outcome, detail = "acted", d
			if !acted {
				outcome = "skipped"
			}
			if _, err := tx.Exec(ctx, `UPDATE care_occurrences SET outcome = ?, detail = ? WHERE shop_id = ? AND rule_id = ? AND customer_id = ? AND occurrence = ?`,
				outcome, detail, shopID, r.ID, c.customer, c.key); err != nil {
				return fmt.Errorf("care: record occurrence: %w", err)
			}
			if acted {
				return timeline(ctx, tx, shopID, c.customer, r, c.key, detail, now)
			}
			return nil
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			run.Errors++
			run.Skipped[SkipError]++
			if run.Error == "" {
				run.Error = fmt.Sprintf("customer %d: %s", c.customer, guanxi.ErrorMessage(err))
			}
			continue
		}
		if opened != nil {
			camp = opened
			run.CampaignID = camp.ID
			if _, err := s.db.Exec(ctx, `UPDATE care_runs SET campaign_id = ? WHERE shop_id = ? AND id = ?`, camp.ID, shopID, run.ID); err != nil {
				return fmt.Errorf("care: run %d: %w", run.ID, err)
			}
		}
		switch outcome {
		case "acted":
			run.Acted++
		case SkipAlready:
			run.Skipped[SkipAlready]++
		default:
			run.Skipped[detail]++
		}
	}
	if camp != nil {
		return s.campaigns.CloseDirect(ctx, shopID, camp.ID)
	}
	return nil
}

// finish writes the run's counts and end.
func (s *Service) finish(ctx context.Context, shopID int64, run *Run) error {
	run.FinishedAt = time.Unix(s.clock.Now().Unix(), 0)
	skipped, _ := json.Marshal(run.Skipped)
	// Written even when ctx ended: the run's record should say how far it got.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_, err := s.db.Exec(wctx, `UPDATE care_runs SET finished_at = ?, matched = ?, acted = ?, skipped = ?, errors = ?, error = ?, campaign_id = ?
WHERE shop_id = ? AND id = ?`, run.FinishedAt.Unix(), run.Matched, run.Acted, string(skipped), run.Errors, trim(run.Error), store.NullInt(run.CampaignID), shopID, run.ID)
	if err != nil {
		return fmt.Errorf("care: finish run %d: %w", run.ID, err)
	}
	return nil
}

func trim(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}

func (s *Service) location(ctx context.Context, shopID int64) (*time.Location, error) {
	var tz string
	if err := s.db.QueryRow(ctx, `SELECT timezone FROM shops WHERE id = ?`, shopID).Scan(&tz); err != nil {
		if isNoRows(err) {
			return nil, guanxi.Errorf(guanxi.ENOTFOUND, "shop %d not found", shopID)
		}
		return nil, fmt.Errorf("care: shop %d: %w", shopID, err)
	}
	return shop.LocationOf(tz), nil
}

// candidates returns the trigger's occurrences due now.
func (s *Service) candidates(ctx context.Context, shopID int64, r *Rule, now time.Time, loc *time.Location) ([]candidate, error) {
	floor := r.CreatedAt.Add(-lookBack).Unix()
	day := int64(r.Days) * 86400
	switch r.Trigger {
	case Birthday:
		// The birthday Days ahead, in shop time; 29 February is kept on
		// 28 February in other years.
		target := now.In(loc).AddDate(0, 0, r.Days)
		md := []any{target.Format("01-02")}
		if target.Month() == time.February && target.Day() == 28 && !leap(target.Year()) {
			md = append(md, "02-29")
		}
		args := append([]any{shopID}, md...)
		return s.collect(ctx, `SELECT id, '' FROM customers WHERE shop_id = ? AND merged_into IS NULL AND length(birthday) = 10
AND substr(birthday, 6, 5) IN (`+store.In(len(md))+`) ORDER BY id`, "birthday:"+strconv.Itoa(target.Year()), args...)
	case AfterDelivery:
		// Orders carry no delivery time: a shipped or completed order's
		// payment time (its placing when it has none) stands for it.
		return s.collect(ctx, `SELECT customer_id, CAST(id AS TEXT) FROM orders WHERE shop_id = ? AND customer_id IS NOT NULL
AND status IN ('shipped', 'completed') AND COALESCE(paid_at, placed_at) + ? <= ? AND COALESCE(paid_at, placed_at) + ? >= ? ORDER BY customer_id, id`,
			"order:", shopID, day, now.Unix(), day, floor)
	case FirstOrder:
		return s.collect(ctx, `SELECT o.customer_id, CAST(MIN(o.id) AS TEXT) FROM orders o
JOIN customer_stats st ON st.shop_id = o.shop_id AND st.customer_id = o.customer_id
WHERE o.shop_id = ? AND o.purchase_day IS NOT NULL AND st.first_purchase_at + ? <= ? AND st.first_purchase_at >= ?
AND o.placed_at = st.first_purchase_at GROUP BY o.customer_id ORDER BY o.customer_id`, "order:", shopID, day, now.Unix(), floor)
	case Dormant:
		// One occurrence per dormancy spell: a new purchase starts another.
		return s.collect(ctx, `SELECT st.customer_id, CAST(st.last_purchase_at AS TEXT) FROM customer_stats st
JOIN customers c ON c.shop_id = st.shop_id AND c.id = st.customer_id AND c.merged_into IS NULL
WHERE st.shop_id = ? AND st.last_purchase_at + ? <= ? AND st.last_purchase_at + ? >= ? ORDER BY st.customer_id`,
			"last:", shopID, day, now.Unix(), day, floor)
	case ComplaintArchived:
		return s.collect(ctx, `SELECT customer_id, CAST(id AS TEXT) FROM tickets WHERE shop_id = ? AND kind = 'complaint' AND status = 'archived'
AND closed_at + ? <= ? AND closed_at >= ? ORDER BY customer_id, id`, "ticket:", shopID, day, now.Unix(), floor)
	case ChurnHigh:
		if err := s.observeChurn(ctx, shopID); err != nil {
			return nil, err
		}
		return s.collect(ctx, `SELECT ch.customer_id, CAST(ch.since_run AS TEXT) FROM care_churn ch
JOIN score_runs sr ON sr.shop_id = ch.shop_id AND sr.id = ch.since_run
WHERE ch.shop_id = ? AND ch.since_run > 0 AND sr.finished_at >= ? ORDER BY ch.customer_id`, "run:", shopID, floor)
	case TierChange:
		return s.tierChanges(ctx, shopID, r, floor)
	}
	return nil, fmt.Errorf("care: rule %d: unknown trigger %q", r.ID, r.Trigger)
}

func leap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// collect reads (customer, key suffix) rows into candidates with keys
// prefix+suffix.
func (s *Service) collect(ctx context.Context, q, prefix string, args ...any) ([]candidate, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("care: trigger: %w", err)
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var c candidate
		var suffix string
		if err := rows.Scan(&c.customer, &suffix); err != nil {
			return nil, fmt.Errorf("care: trigger: %w", err)
		}
		c.key = prefix + suffix
		out = append(out, c)
	}
	return out, rows.Err()
}

// tierChanges reads the tier changes on customers' timelines.
func (s *Service) tierChanges(ctx context.Context, shopID int64, r *Rule, floor int64) ([]candidate, error) {
	rows, err := s.db.Query(ctx, `SELECT customer_id, id, data FROM timeline_events WHERE shop_id = ? AND kind = 'tier' AND occurred_at >= ? ORDER BY customer_id, id`, shopID, floor)
	if err != nil {
		return nil, fmt.Errorf("care: tier changes: %w", err)
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var c candidate
		var id int64
		var data string
		if err := rows.Scan(&c.customer, &id, &data); err != nil {
			return nil, fmt.Errorf("care: tier changes: %w", err)
		}
		var d struct{ Direction string }
		_ = json.Unmarshal([]byte(data), &d) // an event without a direction matches "either" only
		if r.Params.Direction != "" && d.Direction != r.Params.Direction {
			continue
		}
		c.key = "tier:" + strconv.FormatInt(id, 10)
		out = append(out, c)
	}
	return out, rows.Err()
}

// observeChurn compares the latest score run's churn risks with what care
// last saw, once per score run: a customer newly at high risk is marked
// with the run; one no longer high is unmarked, so a later rise is a new
// occurrence. The first time, customers already high are marked with run
// 0, which no rule acts on: they did not rise while care watched.
func (s *Service) observeChurn(ctx context.Context, shopID int64) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		var latest int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM score_runs WHERE shop_id = ?`, shopID).Scan(&latest); err != nil {
			return fmt.Errorf("care: score runs: %w", err)
		}
		var seen int64
		err := tx.QueryRow(ctx, `SELECT churn_run FROM care_state WHERE shop_id = ?`, shopID).Scan(&seen)
		first := isNoRows(err)
		if err != nil && !first {
			return fmt.Errorf("care: churn state: %w", err)
		}
		if latest == 0 || latest <= seen {
			return nil
		}
		since := latest
		if first {
			since = 0
		}
		if _, err := tx.Exec(ctx, `DELETE FROM care_churn WHERE shop_id = ? AND customer_id NOT IN
(SELECT customer_id FROM customer_scores WHERE shop_id = ? AND churn_risk = 'high')`, shopID, shopID); err != nil {
			return fmt.Errorf("care: churn state: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO care_churn (shop_id, customer_id, since_run)
SELECT shop_id, customer_id, ? FROM customer_scores WHERE shop_id = ? AND churn_risk = 'high'
ON CONFLICT (shop_id, customer_id) DO NOTHING`, since, shopID); err != nil {
			return fmt.Errorf("care: churn state: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO care_state (shop_id, churn_run) VALUES (?, ?)
ON CONFLICT (shop_id) DO UPDATE SET churn_run = excluded.churn_run`, shopID, latest)
		return err
	})
}

// unhandled drops the candidates whose occurrence the rule has handled.
func (s *Service) unhandled(ctx context.Context, shopID, ruleID int64, cands []candidate) ([]candidate, error) {
	if len(cands) == 0 {
		return nil, nil
	}
	done := map[candidate]bool{}
	for start := 0; start < len(cands); start += 500 {
		chunk := cands[start:min(start+500, len(cands))]
		args := []any{shopID, ruleID}
		for _, c := range chunk {
			args = append(args, c.customer)
		}
		rows, err := s.db.Query(ctx, `SELECT customer_id, occurrence FROM care_occurrences WHERE shop_id = ? AND rule_id = ? AND customer_id IN (`+store.In(len(chunk))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("care: occurrences: %w", err)
		}
		for rows.Next() {
			var c candidate
			if err := rows.Scan(&c.customer, &c.key); err != nil {
				rows.Close()
				return nil, err
			}
			done[c] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := cands[:0]
	for _, c := range cands {
		if !done[c] {
			out = append(out, c)
		}
	}
	return out, nil
}

// conditions keeps the candidates in the rule's segment, spend and tier,
// counting the others as skipped. They are not recorded: a customer who
// meets the conditions later, while the occurrence is still due, is cared
// for then.
func (s *Service) conditions(ctx context.Context, shopID int64, r *Rule, cands []candidate, run *Run) ([]candidate, error) {
	if len(cands) == 0 || (r.SegmentID == 0 && r.MinSpend <= 0 && r.Tier == "") {
		return cands, nil
	}
	keep := func(int64) bool { return true }
	if r.SegmentID != 0 {
		seg, err := s.segments.Get(ctx, shopID, r.SegmentID)
		if err != nil {
			return nil, err
		}
		ids, err := s.segments.AllMembers(ctx, shopID, seg.Rule)
		if err != nil {
			return nil, err
		}
		keep = func(id int64) bool { _, ok := slices.BinarySearch(ids, id); return ok }
	}
	facts := map[int64][2]any{} // spend, tier
	if r.MinSpend > 0 || r.Tier != "" {
		for start := 0; start < len(cands); start += 500 {
			chunk := cands[start:min(start+500, len(cands))]
			args := []any{shopID}
			for _, c := range chunk {
				args = append(args, c.customer)
			}
			rows, err := s.db.Query(ctx, `SELECT c.id, COALESCE(st.total_spent, 0), COALESCE(mt.tier, '') FROM customers c
LEFT JOIN customer_stats st ON st.shop_id = c.shop_id AND st.customer_id = c.id
LEFT JOIN member_tiers mt ON mt.shop_id = c.shop_id AND mt.customer_id = c.id
WHERE c.shop_id = ? AND c.id IN (`+store.In(len(chunk))+`)`, args...)
			if err != nil {
				return nil, fmt.Errorf("care: conditions: %w", err)
			}
			for rows.Next() {
				var id, spend int64
				var tier string
				if err := rows.Scan(&id, &spend, &tier); err != nil {
					rows.Close()
					return nil, err
				}
				facts[id] = [2]any{spend, tier}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
	}
	out := cands[:0]
	for _, c := range cands {
		ok := keep(c.customer)
		if f, found := facts[c.customer]; ok && (r.MinSpend > 0 || r.Tier != "") {
			ok = found && f[0].(int64) >= int64(r.MinSpend) && (r.Tier == "" || f[1].(string) == r.Tier)
		}
		if !ok {
			run.Skipped[SkipCondition]++
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// openCampaign opens the run's direct campaign for the message action.
func (s *Service) openCampaign(ctx context.Context, tx *store.Tx, shopID int64, r *Rule, now time.Time) (*campaign.Campaign, error) {
	p := r.Params
	return s.campaigns.OpenDirect(ctx, tx, shopID, campaign.Direct{
		Name: "关怀：" + r.Name + " " + now.Format("2006-01-02 15:04"), Theme: CampaignTheme(r.ID),
		Purpose: p.Purpose, Channel: p.Channel, Subject: p.Subject, Body: p.Body, ProviderTemplate: p.ProviderTemplate,
	})
}

// CampaignTheme is the theme of a rule's message campaigns, by which they
// are found again.
func CampaignTheme(ruleID int64) string { return "care:" + strconv.FormatInt(ruleID, 10) }

// sourceKey is the occurrence's idempotency key for the actions that
// honour one (tasks, points).
func sourceKey(r *Rule, c candidate) string {
	return fmt.Sprintf("care:%d:%d:%s", r.ID, c.customer, c.key)
}

// act does the rule's action for one candidate in tx and says whether it
// acted, with what it did or why not.
func (s *Service) act(ctx context.Context, tx *store.Tx, shopID int64, r *Rule, c candidate, camp *campaign.Campaign, now time.Time) (bool, string, error) {
	p := r.Params
	switch r.Action {
	case Message:
		why, err := s.campaigns.EnqueueTx(ctx, tx, shopID, camp, c.customer)
		if err != nil || why != "" {
			return false, why, err
		}
		return true, "campaign:" + strconv.FormatInt(camp.ID, 10), nil
	case Task:
		title := p.Title
		if title == "" {
			title = "关怀回访：" + r.Name
		}
		k := &service.Task{Kind: service.TaskCare, Title: title, CustomerID: c.customer, AssigneeID: p.AssigneeID, TeamID: p.TeamID,
			DueAt: now.AddDate(0, 0, p.DueDays), Source: "care:" + strconv.FormatInt(r.ID, 10), SourceKey: sourceKey(r, c),
			Body: fmt.Sprintf("%s (%s)", r.Name, c.key)}
		if _, err := s.tasks.OpenTaskTx(ctx, tx, shopID, k); err != nil {
			return false, "", err
		}
		return true, "task:" + strconv.FormatInt(k.ID, 10), nil
	case Tag:
		return s.tag(ctx, tx, shopID, c.customer, p.Tag, now)
	case Points:
		if _, err := s.loyalty.GrantTx(ctx, tx, shopID, c.customer, p.Points, "关怀："+r.Name, sourceKey(r, c)); err != nil {
			return false, "", err
		}
		return true, "points:" + strconv.FormatInt(p.Points, 10), nil
	case Coupon:
		codes, err := s.coupons.IssueTx(ctx, tx, shopID, p.CouponTemplateID, []int64{c.customer}, "care:"+strconv.FormatInt(r.ID, 10))
		if err != nil {
			return false, "", err
		}
		return true, "coupon:" + codes[c.customer], nil
	}
	return false, "", fmt.Errorf("care: rule %d: unknown action %q", r.ID, r.Action)
}

// tag adds a tag to the customer's tags unless it is there.
func (s *Service) tag(ctx context.Context, tx *store.Tx, shopID, customerID int64, tag string, now time.Time) (bool, string, error) {
	var raw string
	err := tx.QueryRow(ctx, `SELECT tags FROM customers WHERE shop_id = ? AND id = ? AND merged_into IS NULL`, shopID, customerID).Scan(&raw)
	if isNoRows(err) {
		return false, "customer merged or deleted", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("care: tags of customer %d: %w", customerID, err)
	}
	var tags []string
	if err := json.Unmarshal([]byte(raw), &tags); err != nil {
		return false, "", fmt.Errorf("care: tags of customer %d: %w", customerID, err)
	}
	if slices.Contains(tags, tag) {
		return false, "tagged already", nil
	}
	if len(tags) >= 30 {
		return false, "too many tags", nil
	}
	tags = append(tags, tag)
	b, _ := json.Marshal(tags)
	if _, err := tx.Exec(ctx, `UPDATE customers SET tags = ?, version = version + 1, updated_at = ? WHERE shop_id = ? AND id = ?`,
		string(b), now.Unix(), shopID, customerID); err != nil {
		return false, "", fmt.Errorf("care: tag customer %d: %w", customerID, err)
	}
	return true, "tag:" + tag, audit.Write(ctx, tx, shopID, "customer.tag", "customer", customerID, map[string]any{"tag": tag, "by": "care"}, now)
}

// timeline puts the care action on the customer's timeline.
func timeline(ctx context.Context, tx *store.Tx, shopID, customerID int64, r *Rule, key, detail string, now time.Time) error {
	data := map[string]any{"rule_id": r.ID, "occurrence": key, "action": r.Action, "detail": detail}
	return campaign.AddTimeline(ctx, tx, shopID, customerID, "care", "关怀："+r.Name, data, now)
}

// SendingCampaigns returns the rules' message campaigns still sending, so
// that a job can make sure each has its dispatch queued (a run killed
// between queuing messages and queuing the dispatch leaves one).
func (s *Service) SendingCampaigns(ctx context.Context, shopID int64) ([]int64, error) {
	ids, err := store.IDs(ctx, s.db, `SELECT id FROM campaigns WHERE shop_id = ? AND status = 'sending' AND theme LIKE 'care:%' ORDER BY id`, shopID)
	if err != nil {
		return nil, fmt.Errorf("care: sending campaigns: %w", err)
	}
	return ids, nil
}
