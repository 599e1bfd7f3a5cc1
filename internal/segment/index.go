package segment

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/guanxi-crm/guanxi/internal/store"
)

// index is a shop's segmentable facts in memory, one column per field and
// one row per live customer (ids ascending), so that Count answers any rule
// by scanning slices into bitsets instead of running SQL: milliseconds at a
// million customers where the SQL takes seconds. It holds exactly what the
// SQL of compile.go reads, NULLs included, so both give the same count. An
// index is immutable once built and safe for concurrent use.
type index struct {
	ids []int64 // live customers' ids, ascending; a customer's row is its position

	text     map[string]*textCol  // province, city, gender and the score labels
	ints     map[string]*intCol   // whole numbers, money in minor units, unix times
	floats   map[string]*floatCol // clv, p_alive
	flags    map[string]bitset    // has_phone, has_email
	consents map[string]bitset    // channel → customers with a granted consent on it (any purpose)
	tags     map[string][]int32   // tag → rows that carry it, ascending
	bought   map[string]*boughtCol
	events   map[string]*eventCol // the counted-in-a-window fields: complaints_365d, refunds_180d

	version version // what the index was read from
}

// textCol is a text column coded through a dictionary; code 0 stands for
// NULL (a customer without scores), so dict[0] is never a value.
type textCol struct {
	codes []uint32
	dict  []string
	code  map[string]uint32
}

// intCol and floatCol hold numbers; valid is nil when no row is NULL.
type intCol struct {
	v     []int64
	valid bitset
}

type floatCol struct {
	v     []float64
	valid bitset
}

// eventCol is the times of a counted field's rows (complaints, refunds),
// each with its customer's row: counted against the window's start when a
// rule is evaluated, so the index never goes stale as time passes.
type eventCol struct {
	rows []int32
	at   []int64
}

// counts returns, per row, how many of the events are at or after since.
func (c *eventCol) counts(n int, since int64) *intCol {
	out := &intCol{v: make([]int64, n)}
	for k, r := range c.rows {
		if c.at[k] >= since {
			out.v[r]++
		}
	}
	return out
}

// boughtCol is one column of the customers' purchase orders (or their
// lines): for each value, the (row, purchase day) pairs of the purchases
// that carry it, packed as row<<32 | day, sorted and without repeats.
type boughtCol struct {
	code  map[string]int
	posts [][]uint64
}

func newTextCol(n int) *textCol {
	return &textCol{codes: make([]uint32, n), dict: []string{""}, code: map[string]uint32{}}
}

// set codes row i's value; b is only read, so it may be a sql.RawBytes.
func (c *textCol) set(i int, b []byte) {
	k, ok := c.code[string(b)]
	if !ok {
		k = uint32(len(c.dict))
		s := string(b)
		c.code[s] = k
		c.dict = append(c.dict, s)
	}
	c.codes[i] = k
}

func newIntCol(n int, nullable bool) *intCol {
	c := &intCol{v: make([]int64, n)}
	if nullable {
		c.valid = newBitset(n)
	}
	return c
}

func (c *intCol) set(i int, v sql.NullInt64) {
	if v.Valid {
		c.v[i] = v.Int64
		c.valid.set(i)
	}
}

func (b *boughtCol) add(value []byte, row int, day int64) {
	k, ok := b.code[string(value)]
	if !ok {
		k = len(b.posts)
		b.code[string(value)] = k
		b.posts = append(b.posts, nil)
	}
	b.posts[k] = append(b.posts[k], uint64(row)<<32|uint64(day))
}

// row returns the row of customer id, or -1 when it is not a live customer
// (merged away, or not of this shop).
func (ix *index) row(id int64) int {
	i, ok := slices.BinarySearch(ix.ids, id)
	if !ok {
		return -1
	}
	return i
}

// The columns of the index, and the SQL fields they stand for.
var (
	indexText = []string{"province", "city", "gender", "segment", "segment_cn", "lifecycle", "tier", "churn_risk"}
	indexInts = []string{"cluster", "r", "f", "m", "monetary", "orders_count", "total_spent", "last_purchase_at", "first_purchase_at",
		"open_complaints", "last_nps", "last_csat"}
	indexEvents = []string{"complaints_365d", "refunds_180d"}
	// notNull are the int columns the SQL never reads as NULL: counts.
	notNull     = map[string]bool{"orders_count": true, "total_spent": true, "open_complaints": true}
	indexFloats = []string{"clv", "p_alive"}
	indexBought = []string{"bought.category", "bought.sku", "channel", "order_province"}
	consentOf   = map[string]string{"consent.sms": "sms", "consent.email": "email", "consent.wechat": "wechat"}
)

// buildIndex reads the shop's facts in one read transaction, so the index
// is one consistent snapshot, with the version it was read at taken in the
// same snapshot: a write after it changes the version and is never missed.
func buildIndex(ctx context.Context, db *store.DB, shopID int64) (*index, error) {
	var ix *index
	err := db.View(ctx, func(tx *store.ReadTx) error {
		v, err := readVersion(ctx, tx, shopID, true)
		if err != nil {
			return err
		}
		if ix, err = loadCustomers(ctx, tx, shopID); err != nil {
			return err
		}
		ix.version = v
		for _, load := range []func(context.Context, *store.ReadTx, int64) error{
			ix.loadStats, ix.loadScores, ix.loadConsents, ix.loadOrders, ix.loadService,
		} {
			if err := load(ctx, tx, shopID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("segment: build index of shop %d: %w", shopID, err)
	}
	return ix, nil
}

func loadCustomers(ctx context.Context, tx *store.ReadTx, shopID int64) (*index, error) {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM customers WHERE shop_id = ? AND merged_into IS NULL`, shopID).Scan(&n); err != nil {
		return nil, fmt.Errorf("customers: %w", err)
	}
	ix := &index{
		ids:  make([]int64, 0, n),
		text: map[string]*textCol{}, ints: map[string]*intCol{}, floats: map[string]*floatCol{},
		flags:    map[string]bitset{"has_phone": newBitset(n), "has_email": newBitset(n)},
		consents: map[string]bitset{}, tags: map[string][]int32{}, bought: map[string]*boughtCol{},
		events: map[string]*eventCol{},
	}
	for _, f := range indexEvents {
		ix.events[f] = &eventCol{}
	}
	for _, f := range indexText {
		ix.text[f] = newTextCol(n)
	}
	for _, f := range indexInts {
		ix.ints[f] = newIntCol(n, !notNull[f])
	}
	for _, f := range indexFloats {
		ix.floats[f] = &floatCol{v: make([]float64, n), valid: newBitset(n)}
	}
	for _, ch := range consentOf {
		ix.consents[ch] = newBitset(n)
	}
	for _, f := range indexBought {
		ix.bought[f] = &boughtCol{code: map[string]int{}}
	}
	rows, err := tx.Query(ctx, `SELECT id, province, city, gender,
CASE WHEN phone <> '' THEN 1 ELSE 0 END, CASE WHEN email <> '' THEN 1 ELSE 0 END, tags
FROM customers WHERE shop_id = ? AND merged_into IS NULL ORDER BY id`, shopID)
	if err != nil {
		return nil, fmt.Errorf("customers: %w", err)
	}
	defer rows.Close()
	var (
		id                     int64
		province, city, gender sql.RawBytes
		phone, email           int
		tags                   sql.RawBytes
		list                   []any
	)
	provCol, cityCol, genderCol := ix.text["province"], ix.text["city"], ix.text["gender"]
	hasPhone, hasEmail := ix.flags["has_phone"], ix.flags["has_email"]
	for rows.Next() {
		if err := rows.Scan(&id, &province, &city, &gender, &phone, &email, &tags); err != nil {
			return nil, fmt.Errorf("customers: %w", err)
		}
		i := len(ix.ids)
		if i == n {
			return nil, fmt.Errorf("customers: more rows than counted") // cannot happen in one snapshot
		}
		ix.ids = append(ix.ids, id)
		provCol.set(i, province)
		cityCol.set(i, city)
		genderCol.set(i, gender)
		if phone != 0 {
			hasPhone.set(i)
		}
		if email != 0 {
			hasEmail.set(i)
		}
		if string(tags) == "[]" {
			continue
		}
		list = list[:0]
		if err := json.Unmarshal(tags, &list); err != nil {
			return nil, fmt.Errorf("customer %d: tags: %w", id, err)
		}
		for _, t := range list {
			s, ok := t.(string)
			if !ok {
				// The engines' JSON operators disagree on what else
				// would match: leave such a shop to SQL.
				return nil, fmt.Errorf("customer %d: a tag that is not a string", id)
			}
			if p := ix.tags[s]; len(p) == 0 || p[len(p)-1] != int32(i) { // a tag listed twice counts once
				ix.tags[s] = append(p, int32(i))
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("customers: %w", err)
	}
	if len(ix.ids) != n || !slices.IsSorted(ix.ids) {
		return nil, fmt.Errorf("customers: read %d in order, counted %d", len(ix.ids), n)
	}
	if n >= math.MaxInt32 {
		return nil, fmt.Errorf("customers: %d is too many for an index", n)
	}
	return ix, nil
}

func (ix *index) loadStats(ctx context.Context, tx *store.ReadTx, shopID int64) error {
	rows, err := tx.Query(ctx, `SELECT customer_id, orders_count, total_spent, first_purchase_at, last_purchase_at
FROM customer_stats WHERE shop_id = ?`, shopID)
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	defer rows.Close()
	var id, orders, spent int64
	var first, last sql.NullInt64
	oc, ts, fp, lp := ix.ints["orders_count"], ix.ints["total_spent"], ix.ints["first_purchase_at"], ix.ints["last_purchase_at"]
	for rows.Next() {
		if err := rows.Scan(&id, &orders, &spent, &first, &last); err != nil {
			return fmt.Errorf("stats: %w", err)
		}
		if i := ix.row(id); i >= 0 {
			oc.v[i], ts.v[i] = orders, spent
			fp.set(i, first)
			lp.set(i, last)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	return nil
}

func (ix *index) loadScores(ctx context.Context, tx *store.ReadTx, shopID int64) error {
	rows, err := tx.Query(ctx, `SELECT customer_id, segment, segment_cn, lifecycle, tier, churn_risk, cluster, clv_12m, p_alive, r, f, m, monetary
FROM customer_scores WHERE shop_id = ?`, shopID)
	if err != nil {
		return fmt.Errorf("scores: %w", err)
	}
	defer rows.Close()
	var (
		id                  int64
		seg, cn, life, tier sql.RawBytes
		churn               sql.RawBytes
		cluster             sql.NullInt64
		clv, pAlive         sql.NullFloat64
		r, f, m, monetary   int64
	)
	labels := []*textCol{ix.text["segment"], ix.text["segment_cn"], ix.text["lifecycle"], ix.text["tier"], ix.text["churn_risk"]}
	ints := []*intCol{ix.ints["cluster"], ix.ints["r"], ix.ints["f"], ix.ints["m"], ix.ints["monetary"]}
	floats := []*floatCol{ix.floats[indexFloats[0]], ix.floats[indexFloats[1]]}
	for rows.Next() {
		if err := rows.Scan(&id, &seg, &cn, &life, &tier, &churn, &cluster, &clv, &pAlive, &r, &f, &m, &monetary); err != nil {
			return fmt.Errorf("scores: %w", err)
		}
		i := ix.row(id)
		if i < 0 {
			continue
		}
		for k, v := range [][]byte{seg, cn, life, tier, churn} {
			labels[k].set(i, v)
		}
		ints[0].set(i, cluster)
		for k, v := range [4]int64{r, f, m, monetary} {
			ints[k+1].set(i, sql.NullInt64{Int64: v, Valid: true})
		}
		for k, v := range [2]sql.NullFloat64{clv, pAlive} {
			if !v.Valid {
				continue
			}
			if math.IsNaN(v.Float64) {
				// PostgreSQL orders NaN above every number; Go does not.
				return fmt.Errorf("customer %d: %s is NaN", id, indexFloats[k])
			}
			floats[k].v[i] = v.Float64
			floats[k].valid.set(i)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scores: %w", err)
	}
	return nil
}

func (ix *index) loadConsents(ctx context.Context, tx *store.ReadTx, shopID int64) error {
	// As compile.go: a granted consent of any purpose on the channel.
	rows, err := tx.Query(ctx, `SELECT customer_id, channel FROM customer_consents WHERE shop_id = ? AND granted`, shopID)
	if err != nil {
		return fmt.Errorf("consents: %w", err)
	}
	defer rows.Close()
	var id int64
	var ch string
	for rows.Next() {
		if err := rows.Scan(&id, &ch); err != nil {
			return fmt.Errorf("consents: %w", err)
		}
		if b, ok := ix.consents[ch]; ok {
			if i := ix.row(id); i >= 0 {
				b.set(i)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("consents: %w", err)
	}
	return nil
}

// loadOrders reads the purchase orders of live customers, then their lines
// in order id order, matching each line to its order by walking both lists
// together: two scans and no join.
func (ix *index) loadOrders(ctx context.Context, tx *store.ReadTx, shopID int64) error {
	rows, err := tx.Query(ctx, `SELECT id, customer_id, purchase_day, channel, province FROM orders
WHERE shop_id = ? AND purchase_day IS NOT NULL AND customer_id IS NOT NULL ORDER BY id`, shopID)
	if err != nil {
		return fmt.Errorf("orders: %w", err)
	}
	defer rows.Close()
	var (
		orderIDs        []int64
		orderRows       []int32
		orderDays       []int32
		id, cust, day   int64
		channel, provin sql.RawBytes
	)
	chCol, provCol := ix.bought["channel"], ix.bought["order_province"]
	for rows.Next() {
		if err := rows.Scan(&id, &cust, &day, &channel, &provin); err != nil {
			return fmt.Errorf("orders: %w", err)
		}
		i := ix.row(cust)
		if i < 0 {
			continue // a merged customer's order: the SQL matches it to no live customer either
		}
		if day <= 0 || day > math.MaxInt32 {
			return fmt.Errorf("order %d: purchase day %d out of range", id, day)
		}
		orderIDs, orderRows, orderDays = append(orderIDs, id), append(orderRows, int32(i)), append(orderDays, int32(day))
		chCol.add(channel, i, day)
		provCol.add(provin, i, day)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("orders: %w", err)
	}
	rows.Close()

	rows, err = tx.Query(ctx, `SELECT order_id, category, sku FROM order_lines WHERE shop_id = ? ORDER BY order_id`, shopID)
	if err != nil {
		return fmt.Errorf("order lines: %w", err)
	}
	defer rows.Close()
	var cat, sku sql.RawBytes
	catCol, skuCol := ix.bought["bought.category"], ix.bought["bought.sku"]
	k := 0
	for rows.Next() {
		if err := rows.Scan(&id, &cat, &sku); err != nil {
			return fmt.Errorf("order lines: %w", err)
		}
		for k < len(orderIDs) && orderIDs[k] < id {
			k++
		}
		if k == len(orderIDs) || orderIDs[k] != id {
			continue // a line of an order that is no purchase of a live customer
		}
		catCol.add(cat, int(orderRows[k]), int64(orderDays[k]))
		skuCol.add(sku, int(orderRows[k]), int64(orderDays[k]))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("order lines: %w", err)
	}
	for _, b := range ix.bought {
		for v, p := range b.posts {
			slices.Sort(p)
			b.posts[v] = slices.Clip(slices.Compact(p))
		}
	}
	return nil
}

// loadService reads what the service desk knows of the customers, as the
// SQL of the service fields (rule.go) does.
func (ix *index) loadService(ctx context.Context, tx *store.ReadTx, shopID int64) error {
	each := func(what, q string, add func(row int, v int64), args ...any) error {
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		defer rows.Close()
		var id, v int64
		for rows.Next() {
			if err := rows.Scan(&id, &v); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			if i := ix.row(id); i >= 0 {
				add(i, v)
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	open := ix.ints["open_complaints"]
	if err := each("open complaints", `SELECT customer_id, COUNT(*) FROM tickets WHERE shop_id = ? AND kind = 'complaint' AND closed_at IS NULL GROUP BY customer_id`,
		func(i int, n int64) { open.v[i] = n }, shopID); err != nil {
		return err
	}
	for _, kind := range []string{"nps", "csat"} {
		col := ix.ints["last_"+kind]
		// Oldest first, so the latest is set last, as the SQL's
		// ORDER BY responded_at DESC, id DESC LIMIT 1 picks it.
		if err := each("last "+kind, `SELECT customer_id, score FROM survey_responses WHERE shop_id = ? AND kind = ? AND score IS NOT NULL
ORDER BY customer_id, responded_at, id`, func(i int, v int64) { col.set(i, sql.NullInt64{Int64: v, Valid: true}) }, shopID, kind); err != nil {
			return err
		}
	}
	ev := func(name string) func(int, int64) {
		c := ix.events[name]
		return func(i int, at int64) { c.rows, c.at = append(c.rows, int32(i)), append(c.at, at) }
	}
	if err := each("complaints", `SELECT customer_id, created_at FROM tickets WHERE shop_id = ? AND kind = 'complaint'`,
		ev("complaints_365d"), shopID); err != nil {
		return err
	}
	return each("refunds", `SELECT ro.customer_id, ro.placed_at FROM orders ro WHERE ro.shop_id = ? AND ro.customer_id IS NOT NULL AND `+refundedSQL,
		ev("refunds_180d"), shopID)
}

// bitset is a set of rows.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

// set adds row i; a nil bitset stands for "every row" and ignores it.
func (b bitset) set(i int) {
	if b != nil {
		b[i>>6] |= 1 << (i & 63)
	}
}

// has reports whether row i is in b; a nil bitset holds every row.
func (b bitset) has(i int) bool { return b == nil || b[i>>6]&(1<<(i&63)) != 0 }

func (b bitset) and(o bitset) {
	for i := range b {
		b[i] &= o[i]
	}
}

func (b bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}

// not complements b over rows 0 to n-1, leaving the bits past n clear so
// that count stays right.
func (b bitset) not(n int) {
	for i := range b {
		b[i] = ^b[i]
	}
	if r := n & 63; r != 0 {
		b[len(b)-1] &= 1<<r - 1
	}
}

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

func (b bitset) clone() bitset { return slices.Clone(b) }
