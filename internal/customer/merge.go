package customer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/seal"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// row is a customer as stored: Phone and Email sealed, as the merge trace
// keeps them; phone and email are them opened, for display and the
// survivorship rules.
type row struct {
	ID                                   int64
	Name, Gender, Birthday, Phone, Email string
	Province, City, Address, Tags, Attrs string
	MergedInto                           sql.NullInt64
	Version, CreatedAt, UpdatedAt        int64
	phone, email                         string
}

func loadRow(ctx context.Context, q querier, shopID, id int64) (*row, error) {
	var r row
	err := q.QueryRow(ctx, `SELECT id, name, gender, birthday, phone, email, province, city, address, tags, attrs, merged_into, version, created_at, updated_at
FROM customers WHERE shop_id = ? AND id = ?`, shopID, id).Scan(&r.ID, &r.Name, &r.Gender, &r.Birthday, &r.Phone, &r.Email,
		&r.Province, &r.City, &r.Address, &r.Tags, &r.Attrs, &r.MergedInto, &r.Version, &r.CreatedAt, &r.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "customer %d not found", id)
	}
	if err == nil {
		r.phone, r.email = r.Phone, r.Email
		err = q.Keys().OpenAll(seal.Phone(&r.phone), seal.Email(&r.email))
	}
	if err != nil {
		return nil, fmt.Errorf("load customer %d: %w", id, err)
	}
	return &r, nil
}

// sealAs seals a field's new value, keeping a stored value that already
// holds it, so that a field a merge leaves as it was is not rewritten.
func sealAs(k *seal.Keys, field, plain string, rows ...*row) string {
	for _, r := range rows {
		cur, stored := r.phone, r.Phone
		if field == "email" {
			cur, stored = r.email, r.Email
		}
		if cur == plain {
			return stored
		}
	}
	return k.Seal(field, plain)
}

func (r *row) tags() []string {
	var t []string
	_ = json.Unmarshal([]byte(r.Tags), &t) // malformed tags count as none
	return t
}

func (r *row) profile() Profile {
	return Profile{Name: r.Name, Gender: r.Gender, Birthday: r.Birthday, Phone: r.phone, Email: r.email,
		Province: r.Province, City: r.City, Address: r.Address, Tags: r.tags(), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func (r *row) customer() *Customer {
	return &Customer{ID: r.ID, Name: r.Name, Gender: r.Gender, Birthday: r.Birthday, Phone: r.phone, Email: r.email,
		Province: r.Province, City: r.City, Address: r.Address, Tags: r.tags(), MergedInto: r.MergedInto.Int64,
		Version: r.Version, CreatedAt: time.Unix(r.CreatedAt, 0), UpdatedAt: time.Unix(r.UpdatedAt, 0)}
}

// live refuses a customer that was merged away.
func (r *row) live() error {
	if r.MergedInto.Valid {
		return guanxi.Errorf(guanxi.ECONFLICT, "customer %d was already merged into customer %d", r.ID, r.MergedInto.Int64)
	}
	return nil
}

// Preview is what merging Merged into Survivor would do, field by field,
// with the versions a merge must name.
type Preview struct {
	Survivor, Merged           *Customer
	SurvivorStats, MergedStats Stats
	Result                     Profile
	Fields                     []FieldChoice
	Consents                   []ConsentChoice
	Reasons                    []Reason
	Score                      float64
	// What moves from Merged to Survivor.
	Identities, Orders, Events int
	// The service desk's rows that move too: tickets and follow-up tasks.
	Tickets, Tasks int
}

// Conflicts counts the fields where both customers have different values.
func (p *Preview) Conflicts() int {
	n := 0
	for _, f := range p.Fields {
		if f.Conflict {
			n++
		}
	}
	for _, c := range p.Consents {
		if c.Conflict {
			n++
		}
	}
	return n
}

// Preview shows what merging customer mergedID into survivorID would do.
// Both must be live customers of the shop: ENOTFOUND or ECONFLICT else.
func (s *Service) Preview(ctx context.Context, shopID, survivorID, mergedID int64) (*Preview, error) {
	if survivorID == mergedID {
		return nil, guanxi.Errorf(guanxi.EINVALID, "a customer cannot be merged into itself")
	}
	var p Preview
	err := s.db.View(ctx, func(tx *store.ReadTx) error {
		a, err := loadRow(ctx, tx, shopID, survivorID)
		if err != nil {
			return err
		}
		b, err := loadRow(ctx, tx, shopID, mergedID)
		if err != nil {
			return err
		}
		if err := errors.Join(a.live(), b.live()); err != nil {
			return err
		}
		p.Survivor, p.Merged = a.customer(), b.customer()
		p.Result, p.Fields = Survive(a.profile(), b.profile())
		ca, err := consentRows(ctx, tx, shopID, a.ID)
		if err != nil {
			return err
		}
		cb, err := consentRows(ctx, tx, shopID, b.ID)
		if err != nil {
			return err
		}
		p.Consents = SurviveConsents(consentsOf(ca), consentsOf(cb))
		if p.Reasons, err = pairReasons(ctx, tx, shopID, a, b); err != nil {
			return err
		}
		p.Score = combine(p.Reasons)
		for _, id := range []int64{a.ID, b.ID} {
			st := Stats{CustomerID: id}
			var first, last sql.NullInt64
			err := tx.QueryRow(ctx, `SELECT first_purchase_at, last_purchase_at, purchase_days, orders_count, total_spent, refunded
FROM customer_stats WHERE shop_id = ? AND customer_id = ?`, shopID, id).Scan(&first, &last, &st.PurchaseDays, &st.Orders, &st.TotalSpent, &st.Refunded)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			st.FirstPurchaseAt, st.LastPurchaseAt = first.Int64, last.Int64
			if id == a.ID {
				p.SurvivorStats = st
			} else {
				p.MergedStats = st
			}
		}
		return tx.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM customer_identities WHERE shop_id = ? AND customer_id = ?),
  (SELECT COUNT(*) FROM orders WHERE shop_id = ? AND customer_id = ?),
  (SELECT COUNT(*) FROM timeline_events WHERE shop_id = ? AND customer_id = ?),
  (SELECT COUNT(*) FROM tickets WHERE shop_id = ? AND customer_id = ?),
  (SELECT COUNT(*) FROM tasks WHERE shop_id = ? AND customer_id = ?)`,
			shopID, b.ID, shopID, b.ID, shopID, b.ID, shopID, b.ID, shopID, b.ID).Scan(&p.Identities, &p.Orders, &p.Events, &p.Tickets, &p.Tasks)
	})
	if err != nil {
		if guanxi.ErrorCode(err) != guanxi.EINTERNAL {
			return nil, err
		}
		return nil, fmt.Errorf("customer: preview merge of %d into %d: %w", mergedID, survivorID, err)
	}
	return &p, nil
}

// consentRow is a stored consent answer.
type consentRow struct {
	Channel string `json:"channel"`
	Purpose string `json:"purpose"`
	Granted bool   `json:"granted"`
	Source  string `json:"source"`
	At      int64  `json:"at"`
}

func consentRows(ctx context.Context, q querier, shopID, id int64) ([]consentRow, error) {
	rows, err := q.Query(ctx, `SELECT channel, purpose, granted, source, at FROM customer_consents
WHERE shop_id = ? AND customer_id = ? ORDER BY channel, purpose`, shopID, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []consentRow
	for rows.Next() {
		var c consentRow
		if err := rows.Scan(&c.Channel, &c.Purpose, &c.Granted, &c.Source, &c.At); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func consentsOf(rows []consentRow) []Consent {
	out := make([]Consent, len(rows))
	for i, c := range rows {
		out[i] = Consent{Channel: c.Channel, Purpose: c.Purpose, Granted: c.Granted, Source: c.Source, At: time.Unix(c.At, 0)}
	}
	return out
}

// MergeRequest asks to merge customer MergedID into SurvivorID. The
// versions are those the person saw in the preview: a merge refuses when
// either customer changed since.
type MergeRequest struct {
	SurvivorID, MergedID           int64
	SurvivorVersion, MergedVersion int64
	Reason                         string // why, in words; empty: the detected reasons
	Source                         string // ui, api, cli or import:<run>
	Actor                          int64  // users.id; 0 for none
}

// MergeResult is a merge done.
type MergeResult struct {
	MergeID         int64
	SurvivorVersion int64 // the survivor's version after the merge
}

// mergeDetail is what customer_merges.detail records: enough to explain a
// merge and to undo it exactly.
type mergeDetail struct {
	V                int           `json:"v"` // 1; 0 (an empty document) for merges that recorded nothing
	Reasons          []Reason      `json:"reasons,omitempty"`
	Fields           []FieldChoice `json:"fields"`
	Before           profileRow    `json:"survivor_before"`
	After            profileRow    `json:"survivor_after"`
	Identities       []Identity    `json:"identities"`
	Orders           []int64       `json:"orders"`
	Events           []int64       `json:"events"`
	SurvivorConsents []consentRow  `json:"survivor_consents"` // the survivor's, before
	MergedConsents   []consentRow  `json:"merged_consents"`   // the merged customer's, moved
	ConsentsAfter    []consentRow  `json:"consents_after"`    // the survivor's, after
	// The service desk's rows that moved (issue 6): the merged customer's
	// tickets (with their complaints' contact holds), follow-up tasks and
	// survey invites and responses. Merges recorded before have none.
	Tickets         []int64  `json:"tickets,omitempty"`
	Holds           []string `json:"holds,omitempty"` // contact_holds reasons (complaint:<ticket id>)
	Tasks           []int64  `json:"tasks,omitempty"`
	SurveyInvites   []int64  `json:"survey_invites,omitempty"`
	SurveyResponses []int64  `json:"survey_responses,omitempty"`
}

// profileRow is the survivor's stored profile columns, as text, so that a
// later undo can tell whether each was edited since.
type profileRow struct {
	Name      string `json:"name"`
	Gender    string `json:"gender"`
	Birthday  string `json:"birthday"`
	Phone     string `json:"phone"`
	Email     string `json:"email"`
	Province  string `json:"province"`
	City      string `json:"city"`
	Address   string `json:"address"`
	Tags      string `json:"tags"`
	Attrs     string `json:"attrs"`
	CreatedAt int64  `json:"created_at"`
}

func (r *row) profileRow() profileRow {
	return profileRow{r.Name, r.Gender, r.Birthday, r.Phone, r.Email, r.Province, r.City, r.Address, r.Tags, r.Attrs, r.CreatedAt}
}

// profileColumns are the columns of profileRow, in its field order.
var profileColumns = []string{"name", "gender", "birthday", "phone", "email", "province", "city", "address", "tags", "attrs", "created_at"}

func (p profileRow) values() []any {
	return []any{p.Name, p.Gender, p.Birthday, p.Phone, p.Email, p.Province, p.City, p.Address, p.Tags, p.Attrs, p.CreatedAt}
}

// Merge merges one customer into another in one transaction: identities,
// orders, timeline events, consent answers and the service desk's tickets,
// tasks and survey invites and responses move to the survivor, the
// survivor's profile takes the survivorship rules' result, both customers'
// statistics are derived again, the merged customer is marked merged_into,
// and a customer_merges record keeps everything needed to explain and undo
// it; both timelines say so. It refuses with ECONFLICT when either
// customer's version is not the one given, or either is merged already.
func (s *Service) Merge(ctx context.Context, shopID int64, req MergeRequest, now time.Time) (MergeResult, error) {
	var res MergeResult
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		res, err = merge(ctx, tx, shopID, req, now)
		return err
	})
	if err != nil {
		if guanxi.ErrorCode(err) != guanxi.EINTERNAL {
			return res, err
		}
		return res, fmt.Errorf("customer: merge %d into %d: %w", req.MergedID, req.SurvivorID, err)
	}
	s.patchDupes(shopID, func(a, b int64) bool { return a == req.MergedID || b == req.MergedID },
		map[int64]int64{req.SurvivorID: res.SurvivorVersion})
	return res, nil
}

func merge(ctx context.Context, tx *store.Tx, shopID int64, req MergeRequest, now time.Time) (MergeResult, error) {
	var res MergeResult
	if req.SurvivorID == req.MergedID {
		return res, guanxi.Errorf(guanxi.EINVALID, "a customer cannot be merged into itself")
	}
	if req.Source == "" {
		req.Source = "api"
	}
	a, err := loadRow(ctx, tx, shopID, req.SurvivorID)
	if err != nil {
		return res, err
	}
	b, err := loadRow(ctx, tx, shopID, req.MergedID)
	if err != nil {
		return res, err
	}
	if err := errors.Join(a.live(), b.live()); err != nil {
		return res, err
	}
	for _, c := range []struct {
		r    *row
		want int64
	}{{a, req.SurvivorVersion}, {b, req.MergedVersion}} {
		if c.r.Version != c.want {
			return res, guanxi.Errorf(guanxi.ECONFLICT, "customer %d was changed since the merge preview (version %d, now %d): preview the merge again", c.r.ID, c.want, c.r.Version)
		}
	}
	d := mergeDetail{V: 1, Before: a.profileRow()}
	if d.Reasons, err = pairReasons(ctx, tx, shopID, a, b); err != nil {
		return res, err
	}
	for i := range d.Reasons {
		d.Reasons[i] = d.Reasons[i].masked()
	}
	reason := strings.TrimSpace(req.Reason)
	if reason == "" {
		var parts []string
		for _, r := range d.Reasons {
			parts = append(parts, r.Text())
		}
		reason = strings.Join(parts, "; ")
	}
	if reason == "" {
		reason = "merged by hand"
	}
	var result Profile
	result, d.Fields = Survive(a.profile(), b.profile())

	// Move what belongs to the person, recording exactly which rows moved.
	rows, err := tx.Query(ctx, `UPDATE customer_identities SET customer_id = ? WHERE shop_id = ? AND customer_id = ? RETURNING platform, kind, value`, a.ID, shopID, b.ID)
	if err != nil {
		return res, err
	}
	for rows.Next() {
		var i Identity
		if err := rows.Scan(&i.Platform, &i.Kind, &i.Value); err != nil {
			rows.Close()
			return res, err
		}
		d.Identities = append(d.Identities, i)
	}
	if err := closeRows(rows); err != nil {
		return res, err
	}
	if d.Orders, err = returningIDs(ctx, tx, `UPDATE orders SET customer_id = ? WHERE shop_id = ? AND customer_id = ? RETURNING id`, a.ID, shopID, b.ID); err != nil {
		return res, err
	}
	if d.Events, err = returningIDs(ctx, tx, `UPDATE timeline_events SET customer_id = ? WHERE shop_id = ? AND customer_id = ? RETURNING id`, a.ID, shopID, b.ID); err != nil {
		return res, err
	}
	if err := moveService(ctx, tx, shopID, a.ID, b.ID, &d); err != nil {
		return res, err
	}

	// Consent: the latest decision per channel and purpose.
	if d.SurvivorConsents, err = consentRows(ctx, tx, shopID, a.ID); err != nil {
		return res, err
	}
	if d.MergedConsents, err = consentRows(ctx, tx, shopID, b.ID); err != nil {
		return res, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM customer_consents WHERE shop_id = ? AND customer_id = ?`, shopID, b.ID); err != nil {
		return res, err
	}
	for _, cc := range SurviveConsents(consentsOf(d.SurvivorConsents), consentsOf(d.MergedConsents)) {
		if cc.Winner != FromMerged {
			continue
		}
		if err := putConsent(ctx, tx, shopID, a.ID, consentRow{cc.Channel, cc.Purpose, cc.Result.Granted, cc.Result.Source, cc.Result.At.Unix()}); err != nil {
			return res, err
		}
	}

	tags, _ := json.Marshal(result.Tags) // strings always marshal
	r, err := tx.Exec(ctx, `UPDATE customers SET name = ?, gender = ?, birthday = ?, phone = ?, email = ?, province = ?, city = ?, address = ?,
  tags = ?, attrs = ?, created_at = ?, version = version + 1, updated_at = ?
WHERE shop_id = ? AND id = ? AND version = ? AND merged_into IS NULL`,
		result.Name, result.Gender, result.Birthday, sealAs(tx.Keys(), "phone", result.Phone, a, b), sealAs(tx.Keys(), "email", result.Email, a, b),
		result.Province, result.City, result.Address,
		string(tags), mergeAttrs(a.Attrs, b.Attrs), result.CreatedAt, now.Unix(), shopID, a.ID, a.Version)
	if err := oneRow(r, err, a.ID); err != nil {
		return res, err
	}
	r, err = tx.Exec(ctx, `UPDATE customers SET merged_into = ?, version = version + 1, updated_at = ?
WHERE shop_id = ? AND id = ? AND version = ? AND merged_into IS NULL`, a.ID, now.Unix(), shopID, b.ID, b.Version)
	if err := oneRow(r, err, b.ID); err != nil {
		return res, err
	}
	if err := RecomputeStats(ctx, tx, shopID, []int64{a.ID, b.ID}, now.Unix()); err != nil {
		return res, err
	}

	// What the survivor is now, as stored (PostgreSQL rewrites JSON), so
	// an undo can tell which fields were edited after the merge.
	after, err := loadRow(ctx, tx, shopID, a.ID)
	if err != nil {
		return res, err
	}
	d.After = after.profileRow()
	if d.ConsentsAfter, err = consentRows(ctx, tx, shopID, a.ID); err != nil {
		return res, err
	}
	detail, err := json.Marshal(d)
	if err != nil {
		return res, err
	}
	if res.MergeID, err = tx.NextIDs(ctx, shopID, "customer_merges", 1); err != nil {
		return res, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO customer_merges (shop_id, id, survivor_id, merged_id, reason, source, merged_at, detail, merged_by)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, shopID, res.MergeID, a.ID, b.ID, reason, req.Source, now.Unix(), string(detail), store.NullInt(req.Actor)); err != nil {
		return res, err
	}
	if err := timeline(ctx, tx, shopID, now, req.Actor, "merge",
		event{a.ID, "merged customer " + fmt.Sprint(b.ID) + " into this one", map[string]any{"merge_id": res.MergeID, "merged_id": b.ID, "reason": reason, "source": req.Source}},
		event{b.ID, "merged into customer " + fmt.Sprint(a.ID), map[string]any{"merge_id": res.MergeID, "survivor_id": a.ID, "reason": reason, "source": req.Source}},
	); err != nil {
		return res, err
	}
	if err := audit.Write(ctx, tx, shopID, "customer.merge", "customer", a.ID,
		map[string]any{"merge_id": res.MergeID, "merged_id": b.ID, "reason": reason, "source": req.Source}, now); err != nil {
		return res, err
	}
	res.SurvivorVersion = after.Version
	return res, nil
}

// BulkResult is the outcome of one merge of a bulk merge.
type BulkResult struct {
	Request MergeRequest
	MergeID int64
	Err     error // nil when merged
}

// MergeMany merges pairs one by one, each in its own transaction, and
// reports each outcome; a refusal of one does not stop the others. A
// survivor that an earlier pair of the same list changed (by merging
// another customer into it) is checked against its version after that
// merge, so a survivor with several duplicates merges them all; a pair
// whose customer an earlier pair merged away is refused.
func (s *Service) MergeMany(ctx context.Context, shopID int64, reqs []MergeRequest, now time.Time) []BulkResult {
	out := make([]BulkResult, len(reqs))
	bumped := map[int64][2]int64{} // survivor id → {version seen, version after this list's merges}
	for i, req := range reqs {
		if v, ok := bumped[req.SurvivorID]; ok && v[0] == req.SurvivorVersion {
			req.SurvivorVersion = v[1]
		}
		res, err := s.Merge(ctx, shopID, req, now)
		out[i] = BulkResult{Request: reqs[i], MergeID: res.MergeID, Err: err}
		if err == nil {
			seen := reqs[i].SurvivorVersion
			if v, ok := bumped[req.SurvivorID]; ok {
				seen = v[0]
			}
			bumped[req.SurvivorID] = [2]int64{seen, res.SurvivorVersion}
		}
	}
	return out
}

// UndoResult says what an undo could not restore: survivor fields edited
// after the merge keep their newer value (and consent answers given after
// it), and are listed here.
type UndoResult struct {
	SurvivorID, MergedID int64
	Kept                 []string // "name", "consent:sms/marketing", …
}

// Undo reverses a merge in one transaction: the identities, orders,
// timeline events, consent answers and service desk rows it moved go back, the survivor's
// profile fields take their values from before the merge unless edited
// since (those keep the newer value and are reported), both customers'
// statistics are derived again, the merged customer is live again, and
// the merge is marked undone, with a timeline entry on both. It refuses
// with ECONFLICT a merge already undone, or whose survivor was since merged
// away (undo that merge first), and with EINVALID a merge that did not
// record what it moved (imports record only the pair and the reason).
func (s *Service) Undo(ctx context.Context, shopID, mergeID, actor int64, now time.Time) (UndoResult, error) {
	var res UndoResult
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var raw, source string
		var undone sql.NullInt64
		err := tx.QueryRow(ctx, `SELECT survivor_id, merged_id, source, detail, undone_at FROM customer_merges WHERE shop_id = ? AND id = ?`, shopID, mergeID).
			Scan(&res.SurvivorID, &res.MergedID, &source, &raw, &undone)
		if errors.Is(err, sql.ErrNoRows) {
			return guanxi.Errorf(guanxi.ENOTFOUND, "merge %d not found", mergeID)
		}
		if err != nil {
			return err
		}
		if undone.Valid {
			return guanxi.Errorf(guanxi.ECONFLICT, "merge %d was already undone", mergeID)
		}
		var d mergeDetail
		if json.Unmarshal([]byte(raw), &d) != nil || d.V < 1 {
			return guanxi.Errorf(guanxi.EINVALID, "merge %d (%s) did not record what it moved, so it cannot be undone automatically", mergeID, source)
		}
		a, err := loadRow(ctx, tx, shopID, res.SurvivorID)
		if err != nil {
			return err
		}
		b, err := loadRow(ctx, tx, shopID, res.MergedID)
		if err != nil {
			return err
		}
		if a.MergedInto.Valid {
			return guanxi.Errorf(guanxi.ECONFLICT, "customer %d has since been merged into customer %d: undo that merge first", a.ID, a.MergedInto.Int64)
		}
		if b.MergedInto.Int64 != a.ID {
			return guanxi.Errorf(guanxi.ECONFLICT, "customer %d is no longer merged into customer %d", b.ID, a.ID)
		}

		for _, i := range d.Identities {
			if _, err := tx.Exec(ctx, `UPDATE customer_identities SET customer_id = ? WHERE shop_id = ? AND platform = ? AND kind = ? AND value = ? AND customer_id = ?`,
				b.ID, shopID, i.Platform, i.Kind, i.Value, a.ID); err != nil {
				return err
			}
		}
		for _, t := range []struct {
			table string
			ids   []int64
		}{{"orders", d.Orders}, {"timeline_events", d.Events}, {"tickets", d.Tickets}, {"tasks", d.Tasks},
			{"survey_invites", d.SurveyInvites}, {"survey_responses", d.SurveyResponses}} {
			const chunk = 500
			for start := 0; start < len(t.ids); start += chunk {
				part := t.ids[start:min(start+chunk, len(t.ids))]
				args := []any{b.ID, shopID, a.ID}
				for _, id := range part {
					args = append(args, id)
				}
				if _, err := tx.Exec(ctx, `UPDATE `+t.table+` SET customer_id = ? WHERE shop_id = ? AND customer_id = ? AND id IN (`+store.In(len(part))+`)`, args...); err != nil {
					return err
				}
			}
		}

		for _, reason := range d.Holds {
			// A hold lifted since (the complaint was archived) stays lifted.
			if _, err := tx.Exec(ctx, `UPDATE contact_holds SET customer_id = ? WHERE shop_id = ? AND customer_id = ? AND reason = ?`,
				b.ID, shopID, a.ID, reason); err != nil {
				return err
			}
		}

		// Consent: the survivor's answers go back to what they were unless
		// given after the merge; the merged customer gets its own back, but
		// a later refusal on the survivor applies to it too.
		cur, err := consentRows(ctx, tx, shopID, a.ID)
		if err != nil {
			return err
		}
		type key struct{ ch, p string }
		index := func(rows []consentRow) map[key]consentRow {
			m := map[key]consentRow{}
			for _, r := range rows {
				m[key{r.Channel, r.Purpose}] = r
			}
			return m
		}
		curBy, afterBy, beforeBy := index(cur), index(d.ConsentsAfter), index(d.SurvivorConsents)
		changed := map[key]consentRow{}
		for k, c := range curBy {
			if af, ok := afterBy[k]; !ok || af != c {
				changed[k] = c
			}
		}
		for k := range afterBy {
			if _, ok := curBy[k]; !ok {
				changed[k] = consentRow{} // withdrawn by deletion: keep it so
			}
		}
		for k, af := range afterBy {
			if _, ok := changed[k]; ok {
				res.Kept = append(res.Kept, "consent:"+af.Channel+"/"+af.Purpose)
				continue
			}
			if before, ok := beforeBy[k]; ok {
				if before != af {
					if err := putConsent(ctx, tx, shopID, a.ID, before); err != nil {
						return err
					}
				}
			} else if _, err := tx.Exec(ctx, `DELETE FROM customer_consents WHERE shop_id = ? AND customer_id = ? AND channel = ? AND purpose = ?`,
				shopID, a.ID, k.ch, k.p); err != nil {
				return err
			}
		}
		for _, m := range d.MergedConsents {
			if c, ok := changed[key{m.Channel, m.Purpose}]; ok && c.Channel != "" && !c.Granted && c.At >= m.At {
				m = c
			}
			if err := putConsent(ctx, tx, shopID, b.ID, m); err != nil {
				return err
			}
		}

		// The survivor's fields: back to before the merge where untouched since.
		curP, beforeV, afterV := a.profileRow().values(), d.Before.values(), d.After.values()
		sets := make([]string, 0, len(profileColumns)+2)
		args := make([]any, 0, len(profileColumns)+5)
		for i, col := range profileColumns {
			if curP[i] != afterV[i] {
				res.Kept = append(res.Kept, col)
				continue
			}
			sets = append(sets, col+" = ?")
			args = append(args, beforeV[i])
		}
		args = append(args, now.Unix(), shopID, a.ID, a.Version)
		r, err := tx.Exec(ctx, `UPDATE customers SET `+strings.Join(append(sets, "version = version + 1", "updated_at = ?"), ", ")+`
WHERE shop_id = ? AND id = ? AND version = ?`, args...)
		if err := oneRow(r, err, a.ID); err != nil {
			return err
		}
		r, err = tx.Exec(ctx, `UPDATE customers SET merged_into = NULL, version = version + 1, updated_at = ? WHERE shop_id = ? AND id = ? AND version = ?`,
			now.Unix(), shopID, b.ID, b.Version)
		if err := oneRow(r, err, b.ID); err != nil {
			return err
		}
		if err := RecomputeStats(ctx, tx, shopID, []int64{a.ID, b.ID}, now.Unix()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE customer_merges SET undone_at = ?, undone_by = ? WHERE shop_id = ? AND id = ?`, now.Unix(), store.NullInt(actor), shopID, mergeID); err != nil {
			return err
		}
		data := map[string]any{"merge_id": mergeID, "kept": res.Kept}
		if err := audit.Write(ctx, tx, shopID, "customer.unmerge", "customer", a.ID, map[string]any{"merge_id": mergeID, "merged_id": b.ID, "kept": res.Kept}, now); err != nil {
			return err
		}
		return timeline(ctx, tx, shopID, now, actor, "unmerge",
			event{a.ID, "undid the merge of customer " + fmt.Sprint(b.ID) + " into this one", data},
			event{b.ID, "undid the merge into customer " + fmt.Sprint(a.ID), data})
	})
	if err != nil {
		if guanxi.ErrorCode(err) != guanxi.EINTERNAL {
			return res, err
		}
		return res, fmt.Errorf("customer: undo merge %d in shop %d: %w", mergeID, shopID, err)
	}
	s.forgetDupes(shopID) // the merged customer is back, with its pairs
	return res, nil
}

// MergeRecord is one merge as the customer page lists it.
type MergeRecord struct {
	ID                   int64
	SurvivorID, MergedID int64
	MergedName           string
	Reason, Source       string   // Reason in English, as recorded: may hold a phone or e-mail
	Reasons              []Reason // structured, for merges that recorded them (masked by the page as needed)
	Note                 string   // what the person who merged wrote, when they did
	MergedAt             time.Time
	MergedBy             int64 // 0: an import or the command line
	UndoneAt             time.Time
	Identities, Orders   int  // moved
	Undoable             bool // not undone, and recorded what it moved
}

// Merges lists the merges into the customer, latest first.
func (s *Service) Merges(ctx context.Context, shopID, survivorID int64) ([]MergeRecord, error) {
	rows, err := s.db.Query(ctx, `SELECT m.id, m.survivor_id, m.merged_id, c.name, m.reason, m.source, m.merged_at, m.merged_by, m.undone_at, m.detail
FROM customer_merges m JOIN customers c ON c.shop_id = m.shop_id AND c.id = m.merged_id
WHERE m.shop_id = ? AND m.survivor_id = ?
ORDER BY m.merged_at DESC, m.id DESC`, shopID, survivorID)
	if err != nil {
		return nil, fmt.Errorf("customer: merges into %d in shop %d: %w", survivorID, shopID, err)
	}
	defer rows.Close()
	var out []MergeRecord
	for rows.Next() {
		var m MergeRecord
		var at int64
		var by, undone sql.NullInt64
		var raw string
		if err := rows.Scan(&m.ID, &m.SurvivorID, &m.MergedID, &m.MergedName, &m.Reason, &m.Source, &at, &by, &undone, &raw); err != nil {
			return nil, fmt.Errorf("customer: merges into %d in shop %d: %w", survivorID, shopID, err)
		}
		m.MergedAt, m.MergedBy = time.Unix(at, 0), by.Int64
		if undone.Valid {
			m.UndoneAt = time.Unix(undone.Int64, 0)
		}
		var d mergeDetail
		if json.Unmarshal([]byte(raw), &d) == nil && d.V >= 1 {
			m.Identities, m.Orders = len(d.Identities), len(d.Orders)
			m.Undoable = !undone.Valid
			m.Reasons = d.Reasons
			var auto []string
			for _, r := range d.Reasons {
				auto = append(auto, r.Text())
			}
			if m.Reason != strings.Join(auto, "; ") && m.Reason != "merged by hand" {
				m.Note = m.Reason
			}
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("customer: merges into %d in shop %d: %w", survivorID, shopID, err)
	}
	return out, nil
}

func putConsent(ctx context.Context, tx *store.Tx, shopID, id int64, c consentRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO customer_consents (shop_id, customer_id, channel, purpose, granted, source, at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (shop_id, customer_id, channel, purpose) DO UPDATE SET granted = excluded.granted, source = excluded.source, at = excluded.at`,
		shopID, id, c.Channel, c.Purpose, c.Granted, c.Source, c.At)
	return err
}

type event struct {
	customer int64
	title    string
	data     map[string]any
}

// timeline records events of one kind on customers' timelines.
func timeline(ctx context.Context, tx *store.Tx, shopID int64, now time.Time, actor int64, kind string, evs ...event) error {
	first, err := tx.NextIDs(ctx, shopID, "timeline_events", int64(len(evs)))
	if err != nil {
		return err
	}
	for i, e := range evs {
		data, _ := json.Marshal(e.data) // maps of plain values always marshal
		if _, err := tx.Exec(ctx, `INSERT INTO timeline_events (shop_id, id, customer_id, kind, occurred_at, actor_id, title, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			shopID, first+int64(i), e.customer, kind, now.Unix(), store.NullInt(actor), e.title, string(data)); err != nil {
			return err
		}
	}
	return nil
}

// moveService moves the merged customer's service desk rows to the
// survivor, noting them in d for Undo: tickets and the contact holds of
// its complaints, follow-up tasks, survey invites and responses. An invite
// of a survey (and ticket) the survivor was invited to as well stays with
// the merged customer: one customer has one link per survey and ticket.
func moveService(ctx context.Context, tx *store.Tx, shopID, survivor, merged int64, d *mergeDetail) error {
	var err error
	for _, m := range []struct {
		ids *[]int64
		q   string
	}{
		{&d.Tickets, `UPDATE tickets SET customer_id = ? WHERE shop_id = ? AND customer_id = ? RETURNING id`},
		{&d.Tasks, `UPDATE tasks SET customer_id = ? WHERE shop_id = ? AND customer_id = ? RETURNING id`},
		{&d.SurveyResponses, `UPDATE survey_responses SET customer_id = ? WHERE shop_id = ? AND customer_id = ? RETURNING id`},
		{&d.SurveyInvites, `UPDATE survey_invites SET customer_id = ? WHERE shop_id = ? AND customer_id = ?
AND NOT EXISTS (SELECT 1 FROM survey_invites x WHERE x.shop_id = survey_invites.shop_id AND x.survey_id = survey_invites.survey_id
  AND x.customer_id = ? AND x.ticket_id = survey_invites.ticket_id) RETURNING id`},
	} {
		args := []any{survivor, shopID, merged}
		if m.ids == &d.SurveyInvites {
			args = append(args, survivor)
		}
		if *m.ids, err = returningIDs(ctx, tx, m.q, args...); err != nil {
			return fmt.Errorf("customer: move service rows of %d: %w", merged, err)
		}
	}
	rows, err := tx.Query(ctx, `UPDATE contact_holds SET customer_id = ? WHERE shop_id = ? AND customer_id = ? AND reason LIKE 'complaint:%' RETURNING reason`,
		survivor, shopID, merged)
	if err != nil {
		return fmt.Errorf("customer: move complaint holds of %d: %w", merged, err)
	}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			rows.Close()
			return err
		}
		d.Holds = append(d.Holds, r)
	}
	return closeRows(rows)
}

func returningIDs(ctx context.Context, tx *store.Tx, q string, args ...any) ([]int64, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, id)
	}
	return out, closeRows(rows)
}

func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	return errors.Join(err, rows.Close())
}

// oneRow checks that an UPDATE guarded by a version changed one row.
func oneRow(r sql.Result, err error, id int64) error {
	if err != nil {
		return err
	}
	n, err := r.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return guanxi.Errorf(guanxi.ECONFLICT, "customer %d was changed by someone else meanwhile: preview the merge again", id)
	}
	return nil
}

// MergeTrace records a merge made elsewhere (the importer's, which fills
// the survivor's blanks rather than applying Survive) in the form Undo
// reads, so that it can be undone like one made here. Start it in the
// merge's transaction before anything moves; JSON after.
type MergeTrace struct {
	d                mergeDetail
	survivor, merged int64
}

// StartMergeTrace notes what belongs to mergedID and what survivorID is,
// before mergedID is folded into survivorID. It moves the merged
// customer's service desk rows (tickets, tasks, survey invites and
// responses) itself, as Merge does.
func StartMergeTrace(ctx context.Context, tx *store.Tx, shopID, survivorID, mergedID int64) (*MergeTrace, error) {
	a, err := loadRow(ctx, tx, shopID, survivorID)
	if err != nil {
		return nil, err
	}
	t := &MergeTrace{d: mergeDetail{V: 1, Before: a.profileRow()}, survivor: survivorID, merged: mergedID}
	rows, err := tx.Query(ctx, `SELECT platform, kind, value FROM customer_identities WHERE shop_id = ? AND customer_id = ?`, shopID, mergedID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var i Identity
		if err := rows.Scan(&i.Platform, &i.Kind, &i.Value); err != nil {
			rows.Close()
			return nil, err
		}
		t.d.Identities = append(t.d.Identities, i)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	if t.d.Orders, err = returningIDs(ctx, tx, `SELECT id FROM orders WHERE shop_id = ? AND customer_id = ?`, shopID, mergedID); err != nil {
		return nil, err
	}
	if t.d.Events, err = returningIDs(ctx, tx, `SELECT id FROM timeline_events WHERE shop_id = ? AND customer_id = ?`, shopID, mergedID); err != nil {
		return nil, err
	}
	// The service desk's rows move here, since the importer that merges
	// knows nothing of them: a re-import that finds two customers to be
	// one must not leave the merged one's tickets out of sight.
	if err := moveService(ctx, tx, shopID, survivorID, mergedID, &t.d); err != nil {
		return nil, err
	}
	if t.d.SurvivorConsents, err = consentRows(ctx, tx, shopID, survivorID); err != nil {
		return nil, err
	}
	if t.d.MergedConsents, err = consentRows(ctx, tx, shopID, mergedID); err != nil {
		return nil, err
	}
	return t, nil
}

// JSON returns the trace as customer_merges.detail, once everything has
// moved: the survivor as it now is completes it.
func (t *MergeTrace) JSON(ctx context.Context, tx *store.Tx, shopID int64) (string, error) {
	after, err := loadRow(ctx, tx, shopID, t.survivor)
	if err != nil {
		return "", err
	}
	t.d.After = after.profileRow()
	if t.d.ConsentsAfter, err = consentRows(ctx, tx, shopID, t.survivor); err != nil {
		return "", err
	}
	b, err := json.Marshal(t.d)
	return string(b), err
}
