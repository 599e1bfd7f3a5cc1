package customer

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/seal"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Service reads customers: search, profile, identities, consent and stats.
// Every method takes the shop first and passes it as the first argument of
// every query, so no read can cross into another shop.
type Service struct {
	db     *store.DB
	cache  dupeCache  // duplicate candidates per shop (dupes.go)
	facets facetCache // filter counts per shop (facets.go)
}

// NewService returns a Service on db.
func NewService(db *store.DB) *Service { return &Service{db: db} }

// Customer is one person's profile in a shop.
type Customer struct {
	ID       int64
	Name     string
	Gender   string // "", "f" or "m"
	Birthday string // YYYY-MM-DD or ""
	Phone    string // for display: normalised, or masked by the platform that exported it
	Email    string
	Province string
	City     string
	Address  string
	Tags     []string
	// MergedInto is the surviving customer when this one was merged away
	// (following merges of merges), else 0. Callers show the survivor.
	MergedInto int64
	Version    int64 // bumped by every change: an edit names the version it was made on
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Identity is one way a customer is known: a platform id, a nick, a phone.
type Identity struct {
	Platform string // "" for phone and email, the same on every platform
	Kind     string // customer_id, buyer_nick, ouid, omid, openid, unionid, phone, email
	Value    string
	// Hashed is set when Value is the keyed hash a phone or e-mail is
	// stored as, because none of the customer's records (its own or a
	// merged one's) holds the phone or e-mail it stands for any more.
	Hashed bool
}

// Consent is a customer's answer for one channel and purpose.
type Consent struct {
	Channel string // sms, email, wechat, phone
	Purpose string
	Granted bool
	Source  string
	At      time.Time
}

// Filter narrows a search. Query matches a name prefix, a phone in any
// spelling (exactly, once normalised), an e-mail (exactly, ignoring case),
// the prefix of a platform id or buyer nick, or a customer id.
type Filter struct {
	Query    string
	Province *string
	// Segment, Lifecycle and Tier keep the customers whose latest scores
	// (customer_scores) say so; Segment matches the English segment or the
	// Chinese RFM class (segment_cn).
	Segment   *string
	Lifecycle *string
	Tier      *string
	Channel   *string // bought (a purchase, not a cancelled order) through this channel
	Tag       *string // carries this tag
	Limit     int     // default 50, at most 500
	Offset    int
}

// Row is one customer in a search result, with their statistics.
type Row struct {
	ID       int64
	Name     string
	Phone    string
	Email    string
	Province string
	City     string
	Stats    Stats
}

// Page is one page of a search: the rows and how many match in all.
type Page struct {
	Customers []Row
	Total     int
	Capped    bool // more than Total match: the count stopped at countCap
	Limit     int
	Offset    int
}

// Default and largest page sizes of Search.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// maxRune is above every code point, so name >= p AND name < p+maxRune is
// "name starts with p" in a binary (C) collation, as a range an index serves.
const maxRune = "\U0010FFFF"

// countCap bounds how far a search counts its matches: a page says
// "1,000+" rather than spend a second counting every 王 of a big shop.
var countCap = 1_000

// walkAbove is the match count from which a search walks the shop's
// customers most recent buyer first, keeping those that match, rather than
// sorting every match: with this many matches (one in a thousand of a
// million customers or more), the first page comes within tens of
// thousands of cheap index steps, where sorting would read every match.
var walkAbove = countCap // a variable so that a test can walk a small shop

// Search returns the shop's live (not merged-away) customers that match the
// filter, most recent purchase first (those who never bought last), and the
// number that match, counted up to countCap (Page.Capped beyond). Every
// predicate of the text is served by an index: a range on
// customers(shop_id, name), equality on customers(shop_id, phone), the
// primary key, and ranges or equality on the customer_identities key.
func (s *Service) Search(ctx context.Context, shopID int64, f Filter) (Page, error) {
	var p Page
	// One read transaction, in which PostgreSQL plans each statement for
	// its arguments: a plan cached for any name would treat a full name
	// like a surname (130 ms instead of 20).
	err := s.db.ViewPlanned(ctx, func(tx *store.ReadTx) error {
		var err error
		p, err = s.search(ctx, tx, shopID, f)
		return err
	})
	return p, err
}

func (s *Service) search(ctx context.Context, db querier, shopID int64, f Filter) (Page, error) {
	p := Page{Limit: f.Limit, Offset: max(f.Offset, 0)}
	if p.Limit <= 0 {
		p.Limit = DefaultLimit
	}
	p.Limit = min(p.Limit, MaxLimit)

	q := strings.TrimSpace(f.Query)
	scored := f.Segment != nil || f.Lifecycle != nil || f.Tier != nil
	if q == "" && f.Province == nil && f.Channel == nil && f.Tag == nil && !scored {
		return s.recent(ctx, db, shopID, p)
	}
	// conds are the filter's predicates on c (customers) and cs (scores).
	var conds []string
	var cargs []any
	if f.Province != nil {
		conds = append(conds, `c.province = ?`)
		cargs = append(cargs, *f.Province)
	}
	if f.Channel != nil {
		conds = append(conds, `EXISTS (SELECT 1 FROM orders o WHERE o.shop_id = c.shop_id AND o.customer_id = c.id AND o.channel = ? AND o.purchase_day IS NOT NULL)`)
		cargs = append(cargs, *f.Channel)
	}
	if f.Tag != nil {
		// Tags are a JSON array: the engines' own JSON operators.
		if s.db.Dialect == store.Postgres {
			conds = append(conds, `c.tags @> jsonb_build_array(?::text)`)
		} else {
			conds = append(conds, `EXISTS (SELECT 1 FROM json_each(c.tags) WHERE json_each.value = ?)`)
		}
		cargs = append(cargs, *f.Tag)
	}
	if f.Segment != nil {
		conds = append(conds, `(cs.segment = ? OR cs.segment_cn = ?)`)
		cargs = append(cargs, *f.Segment, *f.Segment)
	}
	if f.Lifecycle != nil {
		conds = append(conds, `cs.lifecycle = ?`)
		cargs = append(cargs, *f.Lifecycle)
	}
	if f.Tier != nil {
		conds = append(conds, `cs.tier = ?`)
		cargs = append(cargs, *f.Tier)
	}
	joinScores := ""
	if scored {
		joinScores = ` JOIN customer_scores cs ON cs.shop_id = c.shop_id AND cs.customer_id = c.id`
	}
	var hits, pred string
	var hargs, pargs []any
	if q != "" {
		var err error
		if hits, hargs, pred, pargs, err = s.matches(ctx, db, shopID, q); err != nil {
			return p, err
		}
		if hits == "" {
			return p, nil
		}

	}

	// By matches: the customers the text names, then the filters.
	with, from, where, args := ``, `customers c`, `c.shop_id = ? AND c.merged_into IS NULL`, []any{shopID}
	if hits != "" {
		// SQLite gathers the matches first, whatever its planner would
		// rather: flattened into the join, a lone name range let it walk
		// every customer. PostgreSQL keeps the CTE inline, so a count can
		// stop at its cap instead of gathering 25,000 王.
		if s.db.Dialect == store.Postgres {
			with = `WITH h AS (` + hits + `) `
		} else {
			with = `WITH h AS MATERIALIZED (` + hits + `) `
		}
		from = `h JOIN customers c ON c.shop_id = h.shop_id AND c.id = h.id`
		where, args = `c.merged_into IS NULL`, slices.Clone(hargs)
	}
	from += joinScores
	for _, c := range conds {
		where += ` AND ` + c
	}
	args = append(args, cargs...)

	if err := db.QueryRow(ctx, with+`SELECT COUNT(*) FROM (SELECT 1 FROM `+from+` WHERE `+where+` LIMIT ?) m`, append(slices.Clone(args), countCap+1)...).Scan(&p.Total); err != nil {
		return p, fmt.Errorf("customer: search %q in shop %d: count: %w", q, shopID, err)
	}
	if p.Total > countCap {
		p.Total, p.Capped = countCap, true
	}
	if p.Total == 0 || !p.Capped && p.Offset >= p.Total {
		return p, nil
	}
	if p.Total >= walkAbove {
		if pred != "" {
			conds, cargs = append([]string{pred}, conds...), append(slices.Clone(pargs), cargs...)
		}
		return s.walk(ctx, db, shopID, p, q, joinScores, conds, cargs)
	}
	rows, err := db.Query(ctx, with+`SELECT c.id, c.name, c.phone, c.email, c.province, c.city,
       COALESCE(s.first_purchase_at, 0), COALESCE(s.last_purchase_at, 0), COALESCE(s.purchase_days, 0),
       COALESCE(s.orders_count, 0), COALESCE(s.total_spent, 0), COALESCE(s.refunded, 0)
FROM `+from+`
LEFT JOIN customer_stats s ON s.shop_id = c.shop_id AND s.customer_id = c.id
WHERE `+where+`
ORDER BY COALESCE(s.last_purchase_at, 0) DESC, c.id DESC
LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return p, fmt.Errorf("customer: search %q in shop %d: %w", q, shopID, err)
	}
	return p, scanRows(s.db.Keys(), rows, &p, q, shopID)
}

// walk reads one page of a search with many matches by walking the
// customer_stats_recent index, most recent buyer first, and keeping the
// customers for whom every condition holds. With at least walkAbove
// matches, the first page is found within a few thousand steps; sorting
// every match instead would read them all.
func (s *Service) walk(ctx context.Context, db querier, shopID int64, p Page, q, joinScores string, conds []string, cargs []any) (Page, error) {
	// SQLite would rather drive a name range and sort every match; the
	// index named keeps it walking in order. PostgreSQL's planner sees the
	// LIMIT and the ordered index itself.
	stats := `customer_stats s`
	if s.db.Dialect != store.Postgres {
		stats = `customer_stats s INDEXED BY customer_stats_recent`
	}
	if tx, ok := db.(*store.ReadTx); ok {
		// PostgreSQL would sort the most common surnames' 70,000 matches
		// (300 ms) rather than walk; told so, it walks (20 ms).
		if err := tx.PreferOrderedIndex(ctx); err != nil {
			return p, err
		}
	}
	where, args := `s.shop_id = ? AND c.merged_into IS NULL`, []any{shopID}
	for _, c := range conds {
		where += ` AND ` + c
	}
	args = append(args, cargs...)
	rows, err := db.Query(ctx, `SELECT c.id, c.name, c.phone, c.email, c.province, c.city,
       COALESCE(s.first_purchase_at, 0), COALESCE(s.last_purchase_at, 0), s.purchase_days,
       s.orders_count, s.total_spent, s.refunded
FROM `+stats+`
JOIN customers c ON c.shop_id = s.shop_id AND c.id = s.customer_id`+joinScores+`
WHERE `+where+`
ORDER BY s.last_purchase_at DESC NULLS LAST, s.customer_id DESC
LIMIT ? OFFSET ?`, append(args, p.Limit, p.Offset)...)
	if err != nil {
		return p, fmt.Errorf("customer: search %q in shop %d: %w", q, shopID, err)
	}
	return p, scanRows(s.db.Keys(), rows, &p, q, shopID)
}

// recent lists every live customer, most recent buyer first, walking the
// customer_stats_recent index one page at a time: every live customer has
// exactly one stats row (imports and merges keep it so).
func (s *Service) recent(ctx context.Context, db querier, shopID int64, p Page) (Page, error) {
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM customer_stats WHERE shop_id = ? LIMIT ?) m`, shopID, countCap+1).Scan(&p.Total); err != nil {
		return p, fmt.Errorf("customer: list shop %d: count: %w", shopID, err)
	}
	if p.Total > countCap {
		p.Total, p.Capped = countCap, true
	}
	if p.Total == 0 || !p.Capped && p.Offset >= p.Total {
		return p, nil
	}
	rows, err := db.Query(ctx, `SELECT c.id, c.name, c.phone, c.email, c.province, c.city,
       COALESCE(s.first_purchase_at, 0), COALESCE(s.last_purchase_at, 0), s.purchase_days,
       s.orders_count, s.total_spent, s.refunded
FROM customer_stats s
JOIN customers c ON c.shop_id = s.shop_id AND c.id = s.customer_id
WHERE s.shop_id = ?
ORDER BY s.last_purchase_at DESC NULLS LAST, s.customer_id DESC
LIMIT ? OFFSET ?`, shopID, p.Limit, p.Offset)
	if err != nil {
		return p, fmt.Errorf("customer: list shop %d: %w", shopID, err)
	}
	return p, scanRows(s.db.Keys(), rows, &p, "", shopID)
}

func scanRows(k *seal.Keys, rows *sql.Rows, p *Page, q string, shopID int64) error {
	defer rows.Close()
	for rows.Next() {
		var r Row
		st := &r.Stats
		err := rows.Scan(&r.ID, &r.Name, &r.Phone, &r.Email, &r.Province, &r.City,
			&st.FirstPurchaseAt, &st.LastPurchaseAt, &st.PurchaseDays, &st.Orders, &st.TotalSpent, &st.Refunded)
		if err == nil {
			err = k.OpenAll(seal.Phone(&r.Phone), seal.Email(&r.Email))
		}
		if err != nil {
			return fmt.Errorf("customer: search %q in shop %d: %w", q, shopID, err)
		}
		st.CustomerID = r.ID
		p.Customers = append(p.Customers, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("customer: search %q in shop %d: %w", q, shopID, err)
	}
	return nil
}

// matches returns the text q as a search means it, in two forms with their
// arguments (both empty when nobody can match): a query yielding (shop_id, id) of every customer it may mean,
// as a UNION of index lookups (the shop first), and a predicate on one
// customer c saying whether they are one of them, for walking customers in
// another order.
func (s *Service) matches(ctx context.Context, db querier, shopID int64, q string) (union string, uargs []any, pred string, pargs []any, err error) {
	var parts, preds []string
	add := func(lookup string, largs []any, p string, a ...any) {
		parts, preds = append(parts, lookup), append(preds, p)
		uargs, pargs = append(uargs, largs...), append(pargs, a...)
	}
	// A prefix no one has is left out (one index seek to know), so that a
	// walk through many customers tests only what can match: a surname
	// needs no nick lookup per customer when no nick starts with it.
	exists := func(q string, args ...any) (bool, error) {
		var one int
		err := db.QueryRow(ctx, q+` LIMIT 1`, args...).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}
	if ok, err := exists(`SELECT 1 FROM customers WHERE shop_id = ? AND name >= ? AND name < ?`, shopID, q, q+maxRune); err != nil {
		return "", nil, "", nil, err
	} else if ok {
		add(`SELECT shop_id, id FROM customers WHERE shop_id = ? AND name >= ? AND name < ?`, []any{shopID, q, q + maxRune},
			`(c.name >= ? AND c.name < ?)`, q, q+maxRune)
	}
	identity := `EXISTS (SELECT 1 FROM customer_identities i WHERE i.shop_id = c.shop_id AND i.customer_id = c.id AND i.platform = ? AND i.kind = ? AND `
	// Phones and e-mails are sealed on the customer and kept as keyed
	// hashes among the identities (every whole one a customer has is
	// there), so they are found by hash.
	if phone := guanxi.NormalizePhone(q); phone != "" {
		h := s.db.Keys().Hash(shopID, "phone", phone)
		add(`SELECT DISTINCT shop_id, customer_id AS id FROM customer_identities WHERE shop_id = ? AND platform = '' AND kind = 'phone' AND value = ?`, []any{shopID, h},
			identity+`i.value = ?)`, "", "phone", h)
	}
	if email := guanxi.NormalizeEmail(q); email != "" {
		h := s.db.Keys().Hash(shopID, "email", email)
		add(`SELECT DISTINCT shop_id, customer_id AS id FROM customer_identities WHERE shop_id = ? AND platform = '' AND kind = 'email' AND value = ?`, []any{shopID, h},
			identity+`i.value = ?)`, "", "email", h)
	}
	if id, err := strconv.ParseInt(q, 10, 64); err == nil && id > 0 && q[0] != '+' {
		add(`SELECT shop_id, id FROM customers WHERE shop_id = ? AND id = ?`, []any{shopID, id}, `c.id = ?`, id)
	}
	kinds, err := platformKinds(ctx, db, shopID)
	if err != nil {
		return "", nil, "", nil, err
	}
	for _, k := range kinds {
		ok, err := exists(`SELECT 1 FROM customer_identities WHERE shop_id = ? AND platform = ? AND kind = ? AND value >= ? AND value < ?`, shopID, k[0], k[1], q, q+maxRune)
		if err != nil {
			return "", nil, "", nil, err
		}
		if ok {
			add(`SELECT DISTINCT shop_id, customer_id AS id FROM customer_identities WHERE shop_id = ? AND platform = ? AND kind = ? AND value >= ? AND value < ?`,
				[]any{shopID, k[0], k[1], q, q + maxRune}, identity+`i.value >= ? AND i.value < ?)`, k[0], k[1], q, q+maxRune)
		}
	}
	if len(parts) == 0 {
		return "", nil, "", nil, nil // nothing can match
	}
	// UNION drops repeats; the identity lookups drop their own (one
	// customer, several ids with the prefix) for when one stands alone.
	return strings.Join(parts, "\nUNION\n"), uargs, "(" + strings.Join(preds, " OR ") + ")", pargs, nil
}

// platformKinds lists the (platform, kind) pairs of the shop's platform
// identities (not phones and e-mails, whose platform is ""), by a loose
// index scan: one index seek per pair, however many identities there are.
func platformKinds(ctx context.Context, db querier, shopID int64) ([][2]string, error) {
	var out [][2]string
	platform := ""
	for {
		var next sql.NullString
		if err := db.QueryRow(ctx, `SELECT MIN(platform) FROM customer_identities WHERE shop_id = ? AND platform > ?`,
			shopID, platform).Scan(&next); err != nil {
			return nil, fmt.Errorf("customer: identity platforms of shop %d: %w", shopID, err)
		}
		if !next.Valid {
			return out, nil
		}
		platform = next.String
		kind := ""
		for {
			var k sql.NullString
			if err := db.QueryRow(ctx, `SELECT MIN(kind) FROM customer_identities WHERE shop_id = ? AND platform = ? AND kind > ?`,
				shopID, platform, kind).Scan(&k); err != nil {
				return nil, fmt.Errorf("customer: identity kinds of shop %d: %w", shopID, err)
			}
			if !k.Valid {
				break
			}
			kind = k.String
			out = append(out, [2]string{platform, kind})
		}
	}
}

// Get returns the customer, or an ENOTFOUND error when the shop has no such
// customer. A merged-away customer is returned with MergedInto set to the
// survivor.
func (s *Service) Get(ctx context.Context, shopID, id int64) (*Customer, error) {
	var c Customer
	var tags string
	var merged sql.NullInt64
	var created, updated int64
	err := s.db.QueryRow(ctx, `SELECT id, name, gender, birthday, phone, email, province, city, address, tags, merged_into, version, created_at, updated_at
FROM customers WHERE shop_id = ? AND id = ?`, shopID, id).
		Scan(&c.ID, &c.Name, &c.Gender, &c.Birthday, &c.Phone, &c.Email, &c.Province, &c.City, &c.Address, &tags, &merged, &c.Version, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "customer %d not found", id)
	}
	if err == nil {
		err = s.db.Keys().OpenAll(seal.Phone(&c.Phone), seal.Email(&c.Email))
	}
	if err != nil {
		return nil, fmt.Errorf("customer: get %d in shop %d: %w", id, shopID, err)
	}
	c.CreatedAt, c.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
	if tags != "" && tags != "[]" {
		// A malformed tags value shows as no tags rather than hiding the customer.
		_ = json.Unmarshal([]byte(tags), &c.Tags)
	}
	// Follow merges of merges to the customer that survives; the bound
	// guards against a cycle in bad data.
	for hops := 0; merged.Valid && hops < 16; hops++ {
		c.MergedInto = merged.Int64
		err := s.db.QueryRow(ctx, `SELECT merged_into FROM customers WHERE shop_id = ? AND id = ?`, shopID, merged.Int64).Scan(&merged)
		if errors.Is(err, sql.ErrNoRows) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("customer: survivor of %d in shop %d: %w", id, shopID, err)
		}
	}
	return &c, nil
}

// Identities lists the customer's identities by platform, kind and value.
func (s *Service) Identities(ctx context.Context, shopID, id int64) ([]Identity, error) {
	// The columns are those of customer_identities_customer (with the key),
	// so the index answers alone; sorted here, not in SQL, since an ORDER BY
	// or another column tempts SQLite without statistics to walk the whole
	// shop's identities in key order instead.
	rows, err := s.db.Query(ctx, `SELECT platform, kind, value FROM customer_identities
WHERE shop_id = ? AND customer_id = ?`, shopID, id)
	if err != nil {
		return nil, fmt.Errorf("customer: identities of %d in shop %d: %w", id, shopID, err)
	}
	defer rows.Close()
	var out []Identity
	for rows.Next() {
		var i Identity
		if err := rows.Scan(&i.Platform, &i.Kind, &i.Value); err != nil {
			return nil, fmt.Errorf("customer: identities of %d in shop %d: %w", id, shopID, err)
		}
		out = append(out, i)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("customer: identities of %d in shop %d: %w", id, shopID, err)
	}
	if err := s.showHashed(ctx, shopID, id, out); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Identity) int {
		return cmp.Or(cmp.Compare(a.Platform, b.Platform), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Value, b.Value))
	})
	return out, nil
}

// showHashed puts the phone or e-mail back in place of each identity's
// keyed hash where the customer's record, or the record of a customer
// merged into it, still holds it sealed; the rest stay hashes, marked.
func (s *Service) showHashed(ctx context.Context, shopID, id int64, ids []Identity) error {
	if !slices.ContainsFunc(ids, func(i Identity) bool { return seal.Hashed(i.Platform, i.Kind) }) {
		return nil
	}
	k := s.db.Keys()
	rows, err := s.db.Query(ctx, `SELECT phone, email FROM customers WHERE shop_id = ? AND id = ?
UNION ALL
SELECT c.phone, c.email FROM customer_merges m JOIN customers c ON c.shop_id = m.shop_id AND c.id = m.merged_id
WHERE m.shop_id = ? AND m.survivor_id = ?`, shopID, id, shopID, id)
	if err != nil {
		return fmt.Errorf("customer: identities of %d in shop %d: %w", id, shopID, err)
	}
	defer rows.Close()
	plain := map[string]string{}
	for rows.Next() {
		var phone, email string
		err := rows.Scan(&phone, &email)
		if err == nil {
			err = k.OpenAll(seal.Phone(&phone), seal.Email(&email))
		}
		if err != nil {
			return fmt.Errorf("customer: identities of %d in shop %d: %w", id, shopID, err)
		}
		for _, f := range [2][2]string{{"phone", guanxi.NormalizePhone(phone)}, {"email", guanxi.NormalizeEmail(email)}} {
			if f[1] != "" {
				plain[k.Hash(shopID, f[0], f[1])] = f[1]
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("customer: identities of %d in shop %d: %w", id, shopID, err)
	}
	for i := range ids {
		if !seal.Hashed(ids[i].Platform, ids[i].Kind) {
			continue
		}
		if v, ok := plain[ids[i].Value]; ok {
			ids[i].Value = v
		} else {
			ids[i].Hashed = true
		}
	}
	return nil
}

// Consents lists the customer's consent answers by channel and purpose.
func (s *Service) Consents(ctx context.Context, shopID, id int64) ([]Consent, error) {
	rows, err := s.db.Query(ctx, `SELECT channel, purpose, granted, source, at FROM customer_consents
WHERE shop_id = ? AND customer_id = ? ORDER BY channel, purpose`, shopID, id)
	if err != nil {
		return nil, fmt.Errorf("customer: consents of %d in shop %d: %w", id, shopID, err)
	}
	defer rows.Close()
	var out []Consent
	for rows.Next() {
		var c Consent
		var at int64
		if err := rows.Scan(&c.Channel, &c.Purpose, &c.Granted, &c.Source, &at); err != nil {
			return nil, fmt.Errorf("customer: consents of %d in shop %d: %w", id, shopID, err)
		}
		c.At = time.Unix(at, 0)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("customer: consents of %d in shop %d: %w", id, shopID, err)
	}
	return out, nil
}

// Stats returns the customer's statistics; a customer with no statistics
// row (one who never ordered) has zero statistics, not an error.
func (s *Service) Stats(ctx context.Context, shopID, id int64) (Stats, error) {
	st := Stats{CustomerID: id}
	var first, last sql.NullInt64
	err := s.db.QueryRow(ctx, `SELECT first_purchase_at, last_purchase_at, purchase_days, orders_count, total_spent, refunded
FROM customer_stats WHERE shop_id = ? AND customer_id = ?`, shopID, id).
		Scan(&first, &last, &st.PurchaseDays, &st.Orders, &st.TotalSpent, &st.Refunded)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("customer: stats of %d in shop %d: %w", id, shopID, err)
	}
	st.FirstPurchaseAt, st.LastPurchaseAt = first.Int64, last.Int64
	return st, nil
}
