// Package loyalty owns the points ledger and member tiers (issue 5 §5): a
// shop's rules (loyalty_settings), every change to a customer's points
// (points_ledger), each customer's balance (loyalty_accounts) and current
// tier (member_tiers, with each change on the customer's timeline).
//
// Points are earned once per order from its paid amount net of refunds, and
// a later refund reverses them in proportion. Debits (redemptions, negative
// adjustments, reversals) consume the oldest unspent credits first, and
// Expire takes only what is left of a credit past its expiry, so expiry
// never takes points already spent. A balance never goes below zero: every
// change locks the customer's account row first and checks it there, which
// holds on SQLite (serial writers) and PostgreSQL (row lock) alike. Each
// method runs in one transaction. The Service is safe for concurrent use.
package loyalty

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Entry kinds.
const (
	KindEarn    = "earn"
	KindAdjust  = "adjust"
	KindRedeem  = "redeem"
	KindExpire  = "expire"
	KindReverse = "reverse"
)

// Tier bases: what a tier's threshold is compared with.
const (
	BasisSpend  = "spend"  // net paid amount of the customer's purchases
	BasisPoints = "points" // current points balance
)

// Tier is one member tier and what it takes to reach it.
type Tier struct {
	Name      string       `json:"name"`
	MinSpend  guanxi.Money `json:"min_spend,omitempty"`
	MinPoints int64        `json:"min_points,omitempty"`
}

// Settings are a shop's loyalty rules.
type Settings struct {
	PointsPerYuan int64        // points earned per yuan paid (floor of the total)
	PointValue    guanxi.Money // what one point is worth, for the liability
	ExpiryMonths  int          // earned points expire this many months later; 0 never
	TierBasis     string       // BasisSpend or BasisPoints
	Tiers         []Tier       // lowest first
}

// DefaultSettings are the rules of a shop that has set none: a point per
// yuan, worth one fen, expiring after 12 months, and no tiers.
func DefaultSettings() Settings {
	return Settings{PointsPerYuan: 1, PointValue: 1, ExpiryMonths: 12, TierBasis: BasisSpend}
}

// Entry is one change to a customer's points.
type Entry struct {
	ID         int64
	CustomerID int64
	Kind       string
	Points     int64        // signed
	Remaining  int64        // credits: the part not yet spent or expired
	OrderID    int64        // 0 when none
	OrderNet   guanxi.Money // earn, reverse: the order's net paid amount the entry was computed from
	Reason     string
	Actor      string
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero when the points never expire
	Key        string    // idempotency key, "" when none
}

// Service keeps the points and tiers of every shop in db.
type Service struct {
	db    *store.DB
	clock guanxi.Clock
}

// NewService returns the loyalty service of db.
func NewService(db *store.DB, clock guanxi.Clock) *Service {
	if clock == nil {
		clock = guanxi.SystemClock{}
	}
	return &Service{db: db, clock: clock}
}

// wrap adds context to an unexpected error and passes guanxi errors through.
func wrap(err error, format string, args ...any) error {
	if err == nil || guanxi.ErrorCode(err) != guanxi.EINTERNAL {
		return err
	}
	return fmt.Errorf("loyalty: "+format+": %w", append(args, err)...)
}

func decodeTiers(s string, out *[]Tier) error {
	if err := json.Unmarshal([]byte(s), out); err != nil {
		return fmt.Errorf("tiers: %w", err)
	}
	return nil
}

// validate checks rules before they are saved.
func (st Settings) validate() error {
	switch {
	case st.PointsPerYuan < 0 || st.PointValue < 0 || st.ExpiryMonths < 0:
		return guanxi.Errorf(guanxi.EINVALID, "loyalty: points per yuan, point value and expiry months cannot be negative")
	case st.TierBasis != BasisSpend && st.TierBasis != BasisPoints:
		return guanxi.Errorf(guanxi.EINVALID, "loyalty: tier basis must be %s or %s", BasisSpend, BasisPoints)
	}
	seen := map[string]bool{}
	for i, t := range st.Tiers {
		name := strings.TrimSpace(t.Name)
		if name == "" || seen[name] {
			return guanxi.Errorf(guanxi.EINVALID, "loyalty: tier %d needs a name of its own", i+1)
		}
		seen[name] = true
		if i > 0 && st.threshold(t) <= st.threshold(st.Tiers[i-1]) {
			return guanxi.Errorf(guanxi.EINVALID, "loyalty: tier %s must need more than %s", name, st.Tiers[i-1].Name)
		}
	}
	return nil
}

func (st Settings) threshold(t Tier) int64 {
	if st.TierBasis == BasisPoints {
		return t.MinPoints
	}
	return int64(t.MinSpend)
}

// tierFor returns the highest tier that spend or points reach, or "".
func (st Settings) tierFor(spend guanxi.Money, points int64) string {
	v := int64(spend)
	if st.TierBasis == BasisPoints {
		v = points
	}
	tier := ""
	for _, t := range st.Tiers {
		if v >= st.threshold(t) {
			tier = t.Name
		}
	}
	return tier
}

// Settings returns the shop's rules, the defaults when it has set none.
func (s *Service) Settings(ctx context.Context, shopID int64) (Settings, error) {
	st, err := loadSettings(ctx, s.db, shopID)
	return st, wrap(err, "settings of shop %d", shopID)
}

// SetSettings saves the shop's rules (audited). Invalid rules are refused
// with EINVALID. They apply to points earned from then on; EvaluateTiers
// applies new tiers.
func (s *Service) SetSettings(ctx context.Context, shopID int64, st Settings) error {
	if err := st.validate(); err != nil {
		return err
	}
	if st.Tiers == nil {
		st.Tiers = []Tier{}
	}
	tiers, _ := json.Marshal(st.Tiers)
	now := s.clock.Now()
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO loyalty_settings (shop_id, points_per_yuan, point_value, expiry_months, tier_basis, tiers, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (shop_id) DO UPDATE SET points_per_yuan = excluded.points_per_yuan, point_value = excluded.point_value, expiry_months = excluded.expiry_months,
  tier_basis = excluded.tier_basis, tiers = excluded.tiers, updated_at = excluded.updated_at`,
			shopID, st.PointsPerYuan, st.PointValue, st.ExpiryMonths, st.TierBasis, string(tiers), now.Unix()); err != nil {
			return err
		}
		return audit.Write(ctx, tx, shopID, "loyalty.settings", "shop", shopID, st, now)
	})
	return wrap(err, "save settings of shop %d", shopID)
}

// Earn credits the points an order earns, or brings them in line with the
// order's refunds, and returns the change. It is idempotent: the points for
// an order are earned once (key "order:ID") from its net paid amount then,
// and a later refund reverses them in proportion to how much that net
// amount fell, once per net amount.
// A reversal never takes the balance below zero: points already spent stay
// spent. A guest or pending order is refused with EINVALID, an unknown
// order or merged-away customer with ENOTFOUND.
func (s *Service) Earn(ctx context.Context, shopID, orderID int64) (int64, error) {
	now := s.clock.Now()
	var change int64
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var (
			customer              sql.NullInt64
			status                string
			amount, refunded, net int64
		)
		err := tx.QueryRow(ctx, `SELECT customer_id, status, amount, refunded FROM orders WHERE shop_id = ? AND id = ?`, shopID, orderID).
			Scan(&customer, &status, &amount, &refunded)
		if errors.Is(err, sql.ErrNoRows) {
			return guanxi.Errorf(guanxi.ENOTFOUND, "order %d not found", orderID)
		}
		if err != nil {
			return err
		}
		if !customer.Valid {
			return guanxi.Errorf(guanxi.EINVALID, "order %d is a guest order: nobody earns its points", orderID)
		}
		switch status {
		case "pending":
			return guanxi.Errorf(guanxi.EINVALID, "order %d is pending: only paid orders earn points", orderID)
		case "refunded", "cancelled": // a cancelled order earns nothing and loses what it earned
			net = 0
		default:
			net = max(amount-refunded, 0)
		}
		cid := customer.Int64
		if err := requireLive(ctx, tx, shopID, cid); err != nil {
			return err
		}
		if _, err := lockAccount(ctx, tx, shopID, cid, now); err != nil {
			return err
		}
		// The order's earn entry, what its reversals took, and the lowest
		// net amount they were computed from.
		var earned, reversed, earnedNet, lastNet int64
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN kind = 'earn' THEN points ELSE 0 END), 0), COALESCE(SUM(CASE WHEN kind = 'reverse' THEN -points ELSE 0 END), 0),
  COALESCE(MAX(CASE WHEN kind = 'earn' THEN order_net END), 0), COALESCE(MIN(order_net), 0)
FROM points_ledger WHERE shop_id = ? AND order_id = ? AND kind IN ('earn', 'reverse')`, shopID, orderID).Scan(&n, &earned, &reversed, &earnedNet, &lastNet); err != nil {
			return err
		}
		if n == 0 {
			st, err := loadSettings(ctx, tx, shopID)
			if err != nil {
				return err
			}
			change = net * st.PointsPerYuan / 100
			if change <= 0 {
				change = 0
				return nil
			}
			e := Entry{CustomerID: cid, Kind: KindEarn, Points: change, Remaining: change, OrderID: orderID, OrderNet: guanxi.Money(net),
				Reason: fmt.Sprintf("order %d", orderID), Actor: audit.ActorFrom(ctx).Name, CreatedAt: now, Key: fmt.Sprintf("order:%d", orderID)}
			if st.ExpiryMonths > 0 {
				e.ExpiresAt = now.AddDate(0, st.ExpiryMonths, 0)
			}
			if err := insertEntry(ctx, tx, shopID, &e); err != nil {
				return err
			}
			return addBalance(ctx, tx, shopID, cid, change)
		}
		// A refund since: the order keeps the share of its points that the
		// net amount is of the amount they were earned on.
		if earnedNet <= 0 || net >= lastNet {
			return nil
		}
		owed := earned - earned*net/earnedNet - reversed
		if owed <= 0 {
			return nil
		}
		take, err := debit(ctx, tx, shopID, cid, owed, true, now)
		if err != nil || take == 0 {
			return err
		}
		change = -take
		e := Entry{CustomerID: cid, Kind: KindReverse, Points: -take, OrderID: orderID, OrderNet: guanxi.Money(net),
			Reason: fmt.Sprintf("refund of order %d", orderID), Actor: audit.ActorFrom(ctx).Name, CreatedAt: now, Key: fmt.Sprintf("reverse:%d:%d", orderID, net)}
		return insertEntry(ctx, tx, shopID, &e)
	})
	return change, wrap(err, "earn for order %d", orderID)
}

// debit takes n points from a customer's locked account, oldest credits
// first, and returns how many it took. With partial it takes what there is;
// otherwise a balance short of n is refused with ECONFLICT.
func debit(ctx context.Context, tx *store.Tx, shopID, customerID, n int64, partial bool, now time.Time) (int64, error) {
	bal, err := lockAccount(ctx, tx, shopID, customerID, now)
	if err != nil {
		return 0, err
	}
	if bal < n {
		if !partial {
			return 0, guanxi.Errorf(guanxi.ECONFLICT, "insufficient points: customer %d has %d, %d asked", customerID, bal, n)
		}
		n = bal
	}
	if n == 0 {
		return 0, nil
	}
	if err := consume(ctx, tx, shopID, customerID, n); err != nil {
		return 0, err
	}
	return n, addBalance(ctx, tx, shopID, customerID, -n)
}

// Adjust adds (points > 0) or takes (points < 0) points by hand, with a
// reason, and writes the audit log. Added points never expire. Taking more
// than the balance is refused with ECONFLICT; no reason or zero points with
// EINVALID.
func (s *Service) Adjust(ctx context.Context, shopID, customerID, points int64, reason string) (Entry, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || points == 0 {
		return Entry{}, guanxi.Errorf(guanxi.EINVALID, "loyalty: an adjustment needs a number of points and a reason")
	}
	now := s.clock.Now()
	e := Entry{CustomerID: customerID, Kind: KindAdjust, Points: points, Reason: reason, Actor: audit.ActorFrom(ctx).Name, CreatedAt: now}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if err := requireLive(ctx, tx, shopID, customerID); err != nil {
			return err
		}
		if points > 0 {
			if _, err := lockAccount(ctx, tx, shopID, customerID, now); err != nil {
				return err
			}
			e.Remaining = points
			if err := addBalance(ctx, tx, shopID, customerID, points); err != nil {
				return err
			}
		} else if _, err := debit(ctx, tx, shopID, customerID, -points, false, now); err != nil {
			return err
		}
		if err := insertEntry(ctx, tx, shopID, &e); err != nil {
			return err
		}
		return audit.Write(ctx, tx, shopID, "loyalty.adjust", "customer", customerID, map[string]any{"entry": e.ID, "points": points, "reason": reason}, now)
	})
	return e, wrap(err, "adjust points of customer %d", customerID)
}

// Redeem spends points, oldest first. key, when not empty, makes the
// redemption happen once (a repeat returns ECONFLICT). A balance short of
// points is refused with ECONFLICT ("insufficient points…"), also when a
// concurrent redemption spent it first; points < 1 with EINVALID.
func (s *Service) Redeem(ctx context.Context, shopID, customerID, points int64, reason, key string) (Entry, error) {
	if points < 1 {
		return Entry{}, guanxi.Errorf(guanxi.EINVALID, "loyalty: redeem at least one point")
	}
	now := s.clock.Now()
	e := Entry{CustomerID: customerID, Kind: KindRedeem, Points: -points, Reason: strings.TrimSpace(reason), Actor: audit.ActorFrom(ctx).Name, CreatedAt: now, Key: key}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if err := requireLive(ctx, tx, shopID, customerID); err != nil {
			return err
		}
		if _, err := debit(ctx, tx, shopID, customerID, points, false, now); err != nil {
			return err
		}
		return insertEntry(ctx, tx, shopID, &e)
	})
	return e, wrap(err, "redeem points of customer %d", customerID)
}

// Expire writes off the unspent part of every credit of the shop whose
// expiry is at or before now, and returns the points expired. Running it
// again for the same now changes nothing. Points of customers merged into
// another expire too.
func (s *Service) Expire(ctx context.Context, shopID int64, now time.Time) (int64, error) {
	var total int64
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT DISTINCT customer_id FROM points_ledger WHERE shop_id = ? AND remaining > 0 AND expires_at <= ? ORDER BY customer_id`, shopID, now.Unix())
		if err != nil {
			return err
		}
		var customers []int64
		for rows.Next() {
			var c int64
			if err := rows.Scan(&c); err != nil {
				rows.Close()
				return err
			}
			customers = append(customers, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// Lock every account before taking ids, in customer order, so the
		// locks come in the same order as in every other change.
		for _, c := range customers {
			if _, err := lockAccount(ctx, tx, shopID, c, now); err != nil {
				return err
			}
		}
		rows, err = tx.Query(ctx, `SELECT id, customer_id, remaining FROM points_ledger WHERE shop_id = ? AND remaining > 0 AND expires_at <= ? ORDER BY id`, shopID, now.Unix())
		if err != nil {
			return err
		}
		var lots []Entry
		for rows.Next() {
			var l Entry
			if err := rows.Scan(&l.ID, &l.CustomerID, &l.Remaining); err != nil {
				rows.Close()
				return err
			}
			lots = append(lots, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, l := range lots {
			if _, err := tx.Exec(ctx, `UPDATE points_ledger SET remaining = 0 WHERE shop_id = ? AND id = ?`, shopID, l.ID); err != nil {
				return err
			}
			if err := addBalance(ctx, tx, shopID, l.CustomerID, -l.Remaining); err != nil {
				return err
			}
			e := Entry{CustomerID: l.CustomerID, Kind: KindExpire, Points: -l.Remaining, Reason: fmt.Sprintf("expiry of entry %d", l.ID),
				Actor: "system", CreatedAt: now, Key: fmt.Sprintf("expire:%d", l.ID)}
			if err := insertEntry(ctx, tx, shopID, &e); err != nil {
				return err
			}
			total += l.Remaining
		}
		return nil
	})
	return total, wrap(err, "expire points of shop %d", shopID)
}

// Balance returns a customer's points, 0 for one who never had any.
func (s *Service) Balance(ctx context.Context, shopID, customerID int64) (int64, error) {
	var bal int64
	err := s.db.QueryRow(ctx, `SELECT balance FROM loyalty_accounts WHERE shop_id = ? AND customer_id = ?`, shopID, customerID).Scan(&bal)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return bal, wrap(err, "balance of customer %d", customerID)
}

// Ledger returns a page of a customer's entries, newest first: up to limit
// (1–500, default 50) entries with ids below before (0 for the newest).
// The next page is the one before the last entry's id.
func (s *Service) Ledger(ctx context.Context, shopID, customerID, before int64, limit int) ([]Entry, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	if before <= 0 {
		before = 1 << 62
	}
	rows, err := s.db.Query(ctx, `SELECT `+entryColumns+` FROM points_ledger WHERE shop_id = ? AND customer_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
		shopID, customerID, before, limit)
	if err != nil {
		return nil, wrap(err, "ledger of customer %d", customerID)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, wrap(err, "ledger of customer %d", customerID)
		}
		out = append(out, e)
	}
	return out, wrap(rows.Err(), "ledger of customer %d", customerID)
}

// Liability is what a shop owes in points.
type Liability struct {
	Points    int64        // outstanding points
	Value     guanxi.Money // their worth at the shop's point value
	Customers int64        // customers holding points
}

// Liability returns the shop's outstanding points and their value.
func (s *Service) Liability(ctx context.Context, shopID int64) (Liability, error) {
	st, err := loadSettings(ctx, s.db, shopID)
	if err != nil {
		return Liability{}, wrap(err, "liability of shop %d", shopID)
	}
	var l Liability
	err = s.db.QueryRow(ctx, `SELECT COALESCE(SUM(balance), 0), COUNT(*) FROM loyalty_accounts WHERE shop_id = ? AND balance > 0`, shopID).Scan(&l.Points, &l.Customers)
	l.Value = guanxi.Money(l.Points) * st.PointValue
	return l, wrap(err, "liability of shop %d", shopID)
}

// MonthPoints is the number of points expiring in one month.
type MonthPoints struct {
	Month  string // YYYY-MM
	Points int64
}

// ExpiryForecast returns the points that will expire in each of the months
// months from the one holding from (in from's time zone), unless spent
// first; a month with none is listed with 0.
func (s *Service) ExpiryForecast(ctx context.Context, shopID int64, from time.Time, months int) ([]MonthPoints, error) {
	if months <= 0 {
		return nil, nil
	}
	start := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, from.Location())
	out := make([]MonthPoints, months)
	for i := range out {
		out[i].Month = start.AddDate(0, i, 0).Format("2006-01")
	}
	rows, err := s.db.Query(ctx, `SELECT expires_at, remaining FROM points_ledger WHERE shop_id = ? AND remaining > 0 AND expires_at >= ? AND expires_at < ?`,
		shopID, max(from.Unix(), start.Unix()), start.AddDate(0, months, 0).Unix())
	if err != nil {
		return nil, wrap(err, "expiry forecast of shop %d", shopID)
	}
	defer rows.Close()
	for rows.Next() {
		var at, n int64
		if err := rows.Scan(&at, &n); err != nil {
			return nil, wrap(err, "expiry forecast of shop %d", shopID)
		}
		t := time.Unix(at, 0).In(from.Location())
		i := (t.Year()-start.Year())*12 + int(t.Month()-start.Month())
		if i >= 0 && i < months {
			out[i].Points += n
		}
	}
	return out, wrap(rows.Err(), "expiry forecast of shop %d", shopID)
}

// TierChange is one customer's move between tiers ("" is no tier).
type TierChange struct {
	CustomerID int64
	From, To   string
}

// EvaluateTiers puts every live customer of the shop in the highest tier
// their spend (net paid amount) or points balance reaches, per the shop's
// rules, records each change in member_tiers and on the customer's
// timeline (kind 'tier'), and returns the changes.
func (s *Service) EvaluateTiers(ctx context.Context, shopID int64) ([]TierChange, error) {
	now := s.clock.Now()
	var changes []TierChange
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		st, err := loadSettings(ctx, tx, shopID)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT c.id, COALESCE(o.spend, 0), COALESCE(a.balance, 0), COALESCE(m.tier, '')
FROM customers c
LEFT JOIN (SELECT customer_id, SUM(CASE WHEN amount > refunded THEN amount - refunded ELSE 0 END) AS spend
           FROM orders WHERE shop_id = ? AND customer_id IS NOT NULL AND status IN `+purchaseStatuses+` GROUP BY customer_id) o ON o.customer_id = c.id
LEFT JOIN loyalty_accounts a ON a.shop_id = c.shop_id AND a.customer_id = c.id
LEFT JOIN member_tiers m ON m.shop_id = c.shop_id AND m.customer_id = c.id
WHERE c.shop_id = ? AND c.merged_into IS NULL AND (o.spend IS NOT NULL OR a.balance IS NOT NULL OR m.tier IS NOT NULL)
ORDER BY c.id`, shopID, shopID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, spend, points int64
			var cur string
			if err := rows.Scan(&id, &spend, &points, &cur); err != nil {
				rows.Close()
				return err
			}
			if to := st.tierFor(guanxi.Money(spend), points); to != cur {
				changes = append(changes, TierChange{CustomerID: id, From: cur, To: to})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(changes) == 0 {
			return nil
		}
		first, err := tx.NextIDs(ctx, shopID, "timeline_events", int64(len(changes)))
		if err != nil {
			return err
		}
		rank := func(name string) int {
			return slices.IndexFunc(st.Tiers, func(t Tier) bool { return t.Name == name })
		}
		for i, c := range changes {
			if c.To == "" {
				_, err = tx.Exec(ctx, `DELETE FROM member_tiers WHERE shop_id = ? AND customer_id = ?`, shopID, c.CustomerID)
			} else {
				_, err = tx.Exec(ctx, `INSERT INTO member_tiers (shop_id, customer_id, tier, since) VALUES (?, ?, ?, ?)
ON CONFLICT (shop_id, customer_id) DO UPDATE SET tier = excluded.tier, since = excluded.since`, shopID, c.CustomerID, c.To, now.Unix())
			}
			if err != nil {
				return err
			}
			dir := "up"
			if cmp.Compare(rank(c.To), rank(c.From)) < 0 {
				dir = "down"
			}
			data, _ := json.Marshal(map[string]string{"from": c.From, "to": c.To, "direction": dir})
			if _, err := tx.Exec(ctx, `INSERT INTO timeline_events (shop_id, id, customer_id, kind, occurred_at, actor_id, title, data) VALUES (?, ?, ?, 'tier', ?, NULL, ?, ?)`,
				shopID, first+int64(i), c.CustomerID, now.Unix(), tierTitle(c), string(data)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap(err, "evaluate tiers of shop %d", shopID)
	}
	return changes, nil
}

func tierTitle(c TierChange) string {
	from, to := c.From, c.To
	if from == "" {
		from = "—"
	}
	if to == "" {
		to = "—"
	}
	return from + " → " + to
}
