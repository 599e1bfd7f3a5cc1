package importer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"maps"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/orderfile"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// batchSize is how many orders are resolved and written together: large
// enough for bulk statements to pay, small enough to keep memory flat.
const batchSize = 2000

// run is the state of one import transaction.
type run struct {
	s      *Service
	tx     *store.Tx
	sh     *shop.Shop
	loc    *time.Location
	now    int64
	sum    *Summary
	src    string // for merge records: "import:FILE"
	format string

	idents   map[string]int64 // identity key → customer id (possibly merged away: see redirect)
	redirect map[int64]int64  // merged customer → the customer it was merged into
	filled   map[int64]uint8  // which profile fields an older customer has (fresh ones: acc.mask)
	// Orders written by this run, by a 64-bit hash of their key (a quarter
	// of the memory of string keys at millions of orders); a hit is checked
	// against the database, and the rare colliding key goes to seenExact.
	seen      map[uint64]int64
	seenExact map[string]int64
	products  map[string]int64 // sku → product id
	// Customers created by this run have consecutive ids from freshBase
	// (the shop is locked, so nobody else takes ids meanwhile); their
	// statistics accumulate here in memory, densely.
	fresh     []acc
	freshBase int64
	dirty     map[int64]struct{} // customers whose statistics are recomputed in SQL at the end

	hadOrders bool
	custIDs   idBlock
	orderIDs  idBlock
	prodIDs   idBlock

	// Buffered writes, flushed in foreign-key order.
	custRows    [][]any
	pendingCust map[int64]int // customer id → index in custRows
	identRows   [][]any
	prodRows    [][]any
	orderRows   [][]any
	orderUpds   [][]any // UPDATE orders arguments, with the order id last
	lineRows    [][]any
	consentRows [][]any
}

// acc accumulates a new customer's statistics in memory; it must agree with
// customer.RecomputeStats, which a test checks. A customer that is merged or
// whose orders change otherwise is marked sql and recomputed in SQL instead.
type acc struct {
	first, last    int64
	total, refunds int64
	orders         int32
	days           []int32
	mask           uint8 // profile fields the customer row has
	sql            bool
}

// freshAcc returns the accumulator of a customer created by this run, or nil.
func (r *run) freshAcc(id int64) *acc {
	if i := id - r.freshBase; r.freshBase > 0 && i >= 0 && i < int64(len(r.fresh)) {
		return &r.fresh[i]
	}
	return nil
}

// Profile fields a customer row may already have, as bits.
const (
	fName uint8 = 1 << iota
	fPhoneAny
	fPhoneFull
	fEmailAny
	fEmailFull
	fProvince
	fCity
	fAddress
)

type idBlock struct{ next, end int64 }

func (r *run) alloc(ctx context.Context, b *idBlock, name string) (int64, error) {
	if b.next == b.end {
		first, err := r.tx.NextIDs(ctx, r.sh.ID, name, 4096)
		if err != nil {
			return 0, err
		}
		b.next, b.end = first, first+4096
	}
	id := b.next
	b.next++
	return id, nil
}

func (s *Service) run(ctx context.Context, sh *shop.Shop, name string, opt Options, src source) (Summary, error) {
	var sum Summary
	type batch struct {
		recs []*orderfile.Record
		err  error
	}
	// Parsing runs on its own goroutine, so reading the next batch overlaps
	// writing this one.
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan batch, 4)
	var readCount atomic.Int64
	go func() {
		defer close(ch)
		for {
			recs, err := src.next(batchSize)
			if err == io.EOF {
				return
			}
			readCount.Add(int64(len(recs)))
			select {
			case ch <- batch{recs, err}:
			case <-pctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	drain := func() {
		cancel()
		for range ch {
		}
	}

	start := time.Now()
	lastProgress := start
	progress := func(done bool) {
		if opt.Progress == nil {
			return
		}
		read, total := src.bytes()
		opt.Progress(Progress{Rows: int(readCount.Load()), Bytes: read, Total: total, Elapsed: time.Since(start), Done: done})
	}

	err := s.db.Update(ctx, func(tx *store.Tx) error {
		r, err := s.newRun(ctx, tx, sh, name, &sum)
		if err != nil {
			return err
		}
		r.format = opt.Format
		if r.format == "" {
			r.format = "generic"
		}
		for b := range ch {
			if b.err != nil {
				return b.err
			}
			if err := r.batch(ctx, b.recs); err != nil {
				return err
			}
			if time.Since(lastProgress) > 200*time.Millisecond {
				lastProgress = time.Now()
				progress(false)
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		sum.Rows = src.rows()
		sum.Rejected = src.rejected()
		return r.finish(ctx, opt.Format, name)
	})
	drain()
	if err != nil {
		var re *orderfile.RowError
		if !errors.As(err, &re) {
			err = fmt.Errorf("importer: %s: %w", name, err)
		}
		return Summary{File: name, Rows: int(readCount.Load())}, err
	}
	progress(true)
	if sum.OrdersCreated+sum.OrdersUpdated >= analyzeAfter {
		// Statistics are a hint: a failure here leaves the import intact.
		if err := s.db.Analyze(ctx); err != nil {
			s.log.Warn("analyze after import", "err", err)
		}
	}
	return sum, nil
}

// analyzeAfter is how many changed orders make an import refresh the
// planner's statistics.
const analyzeAfter = 1000

// startRun begins a run of writes into the shop, recorded as from src: on
// PostgreSQL it locks the shop, so that writers into one shop (imports,
// API pushes, webhooks) go one at a time, since they allocate ids and
// resolve identities against a snapshot of the shop.
func (s *Service) startRun(ctx context.Context, tx *store.Tx, sh *shop.Shop, src string, sum *Summary) (*run, error) {
	r := &run{
		s: s, tx: tx, sh: sh, loc: sh.Location(), now: s.clock.Now().Unix(), sum: sum, src: src,
		idents: map[string]int64{}, redirect: map[int64]int64{}, filled: map[int64]uint8{}, seen: map[uint64]int64{},
		seenExact: map[string]int64{}, products: map[string]int64{}, dirty: map[int64]struct{}{}, pendingCust: map[int64]int{},
	}
	if tx.Dialect() == store.Postgres {
		if _, err := tx.Exec(ctx, `SELECT id FROM shops WHERE id = ? FOR UPDATE`, sh.ID); err != nil {
			return nil, fmt.Errorf("lock shop: %w", err)
		}
	}
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM orders WHERE shop_id = ? LIMIT 1`, sh.ID).Scan(&one)
	r.hadOrders = err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read orders: %w", err)
	}
	return r, nil
}

func (s *Service) newRun(ctx context.Context, tx *store.Tx, sh *shop.Shop, name string, sum *Summary) (*run, error) {
	r, err := s.startRun(ctx, tx, sh, "import:"+name, sum)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT platform, kind, value, customer_id FROM customer_identities WHERE shop_id = ?`, sh.ID)
	if err != nil {
		return nil, fmt.Errorf("load identities: %w", err)
	}
	for rows.Next() {
		var p, k, v string
		var id int64
		if err := rows.Scan(&p, &k, &v, &id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load identities: %w", err)
		}
		r.idents[identKey(p, k, v)] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load identities: %w", err)
	}
	rows, err = tx.Query(ctx, `SELECT id, merged_into FROM customers WHERE shop_id = ? AND merged_into IS NOT NULL`, sh.ID)
	if err != nil {
		return nil, fmt.Errorf("load merges: %w", err)
	}
	for rows.Next() {
		var from, to int64
		if err := rows.Scan(&from, &to); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load merges: %w", err)
		}
		r.redirect[from] = to
	}
	rows.Close()
	if err := r.loadProducts(ctx, `SELECT sku, id FROM products WHERE shop_id = ?`, sh.ID); err != nil {
		return nil, err
	}
	return r, nil
}

// loadProducts adds the (sku, id) rows of query to the run's products.
func (r *run) loadProducts(ctx context.Context, query string, args ...any) error {
	rows, err := r.tx.Query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("load products: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sku string
		var id int64
		if err := rows.Scan(&sku, &id); err != nil {
			return fmt.Errorf("load products: %w", err)
		}
		r.products[sku] = id
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load products: %w", err)
	}
	return nil
}

func identKey(platform, kind, value string) string { return platform + "\x1f" + kind + "\x1f" + value }
func orderKey(rec *orderfile.Record) string        { return rec.Platform + "\x1f" + rec.OrderID }

func keyHash(k string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(k))
	return h.Sum64()
}

// seenID returns the id of the order this run wrote under rec's key, if the
// hash says so; the caller confirms with sameOrder.
func (r *run) seenID(rec *orderfile.Record) (int64, bool) {
	k := orderKey(rec)
	if id, ok := r.seenExact[k]; ok {
		return id, true
	}
	id, ok := r.seen[keyHash(k)]
	return id, ok
}

func (r *run) markSeen(rec *orderfile.Record, id int64) {
	k := orderKey(rec)
	h := keyHash(k)
	if old, ok := r.seen[h]; ok && old != id {
		r.seenExact[k] = id
		return
	}
	r.seen[h] = id
}

// sameOrder reports whether order id is rec's order (and not another whose
// key hashes alike). Pending rows are flushed first.
func (r *run) sameOrder(ctx context.Context, id int64, rec *orderfile.Record) (bool, error) {
	if _, exact := r.seenExact[orderKey(rec)]; exact {
		return true, nil
	}
	if err := r.flush(ctx); err != nil {
		return false, err
	}
	var platform, ext string
	if err := r.tx.QueryRow(ctx, `SELECT platform, external_id FROM orders WHERE shop_id = ? AND id = ?`, r.sh.ID, id).Scan(&platform, &ext); err != nil {
		return false, fmt.Errorf("reload order %d: %w", id, err)
	}
	return platform == rec.Platform && ext == rec.OrderID, nil
}

type existingOrder struct {
	id, customer int64
	hash         int64
}

func (r *run) batch(ctx context.Context, recs []*orderfile.Record) error {
	for _, rec := range recs {
		normalize(rec)
	}
	existing, err := r.lookupOrders(ctx, recs, false)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		key := orderKey(rec)
		if id, ok := r.seenID(rec); ok {
			same, err := r.sameOrder(ctx, id, rec)
			if err != nil {
				return err
			}
			if same {
				// The same order again in this run: in the generic format, rows
				// sharing an order_id are lines of one order even when apart.
				if err := r.again(ctx, id, rec); err != nil {
					return err
				}
				continue
			}
			// A hash collision: this order was not looked up with its batch.
			one, err := r.lookupOrders(ctx, []*orderfile.Record{rec}, true)
			if err != nil {
				return err
			}
			maps.Copy(existing, one)
		}
		h := hashRecord(rec)
		ex, exists := existing[key]
		switch {
		case exists && ex.hash == h:
			r.sum.OrdersUnchanged++
			r.markSeen(rec, ex.id)
		case exists:
			if err := r.replace(ctx, ex, rec, h); err != nil {
				return err
			}
			r.sum.OrdersUpdated++
		default:
			if err := r.create(ctx, rec, h); err != nil {
				return err
			}
			r.sum.OrdersCreated++
		}
	}
	return r.flush(ctx)
}

// normalize applies the rules every format shares before hashing.
func normalize(rec *orderfile.Record) {
	if rec.Amount < 0 && rec.Status.IsPurchase() {
		rec.Status = orderfile.StatusRefunded
	}
	if rec.Status == orderfile.StatusRefunded && rec.Refunded == 0 {
		rec.Refunded = rec.Amount
		if rec.Refunded < 0 {
			rec.Refunded = -rec.Refunded
		}
	}
}

// lookupOrders finds which of the batch's orders the shop already has,
// leaving out those this run wrote unless all is set.
func (r *run) lookupOrders(ctx context.Context, recs []*orderfile.Record, all bool) (map[string]existingOrder, error) {
	out := map[string]existingOrder{}
	if !r.hadOrders {
		return out, nil
	}
	byPlatform := map[string][]string{}
	for _, rec := range recs {
		if _, ok := r.seenID(rec); all || !ok {
			byPlatform[rec.Platform] = append(byPlatform[rec.Platform], rec.OrderID)
		}
	}
	for _, platform := range slices.Sorted(maps.Keys(byPlatform)) {
		ids := byPlatform[platform]
		for start := 0; start < len(ids); start += 500 {
			part := ids[start:min(start+500, len(ids))]
			args := []any{r.sh.ID, platform}
			for _, id := range part {
				args = append(args, id)
			}
			rows, err := r.tx.Query(ctx, `SELECT external_id, id, customer_id, content_hash FROM orders
WHERE shop_id = ? AND platform = ? AND external_id IN (`+store.In(len(part))+`)`, args...)
			if err != nil {
				return nil, fmt.Errorf("look up orders: %w", err)
			}
			for rows.Next() {
				var ext string
				var ex existingOrder
				var cust sql.NullInt64
				if err := rows.Scan(&ext, &ex.id, &cust, &ex.hash); err != nil {
					rows.Close()
					return nil, fmt.Errorf("look up orders: %w", err)
				}
				ex.customer = cust.Int64
				out[platform+"\x1f"+ext] = ex
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("look up orders: %w", err)
			}
		}
	}
	return out, nil
}

func (r *run) create(ctx context.Context, rec *orderfile.Record, h int64) error {
	cid, err := r.resolve(ctx, rec)
	if err != nil {
		return err
	}
	oid, err := r.alloc(ctx, &r.orderIDs, "orders")
	if err != nil {
		return err
	}
	day := r.purchaseDay(rec)
	r.orderRows = append(r.orderRows, []any{r.sh.ID, oid, rec.Platform, rec.OrderID, store.NullInt(cid), string(rec.Status),
		rec.PlacedAt.Unix(), store.NullTime(rec.PaidAt), day, int64(rec.Amount), int64(rec.Discount), int64(rec.ShippingFee),
		int64(rec.Refunded), rec.Channel, rec.Province, rec.City, attrsJSON(rec.Attrs), h, r.now, r.now})
	if err := r.addLines(ctx, oid, rec.Lines); err != nil {
		return err
	}
	r.markSeen(rec, oid)
	r.account(cid, rec, day)
	return nil
}

// replace overwrites an existing order whole with the record.
func (r *run) replace(ctx context.Context, ex existingOrder, rec *orderfile.Record, h int64) error {
	cid, err := r.resolve(ctx, rec)
	if err != nil {
		return err
	}
	day := r.purchaseDay(rec)
	r.orderUpds = append(r.orderUpds, []any{store.NullInt(cid), string(rec.Status), rec.PlacedAt.Unix(), store.NullTime(rec.PaidAt), day,
		int64(rec.Amount), int64(rec.Discount), int64(rec.ShippingFee), int64(rec.Refunded), rec.Channel, rec.Province, rec.City,
		attrsJSON(rec.Attrs), h, r.now, r.sh.ID, ex.id})
	if err := r.addLines(ctx, ex.id, rec.Lines); err != nil {
		return err
	}
	r.markSeen(rec, ex.id)
	r.markDirty(ex.customer)
	r.markDirty(cid)
	return nil
}

// again handles an order met a second time in one run. For the generic
// format its lines join the order; for the platform reports, whose rows are
// whole orders, the later row wins.
func (r *run) again(ctx context.Context, id int64, rec *orderfile.Record) error {
	if err := r.flush(ctx); err != nil {
		return err
	}
	var amount int64
	var cust sql.NullInt64
	if err := r.tx.QueryRow(ctx, `SELECT amount, customer_id FROM orders WHERE shop_id = ? AND id = ?`, r.sh.ID, id).Scan(&amount, &cust); err != nil {
		return fmt.Errorf("reload order %s: %w", rec.OrderID, err)
	}
	if r.format == "generic" {
		lines, err := r.loadLines(ctx, id)
		if err != nil {
			return err
		}
		rec.Lines = append(lines, rec.Lines...)
		rec.Amount += guanxi.Money(amount)
		if rec.Amount < 0 {
			rec.Status = orderfile.StatusRefunded
		}
		normalize(rec)
	}
	ex := existingOrder{id: id, customer: cust.Int64}
	if err := r.replace(ctx, ex, rec, hashRecord(rec)); err != nil {
		return err
	}
	return r.flush(ctx)
}

func (r *run) loadLines(ctx context.Context, orderID int64) ([]orderfile.Line, error) {
	rows, err := r.tx.Query(ctx, `SELECT sku, name, category, quantity, unit_price, amount FROM order_lines
WHERE shop_id = ? AND order_id = ? ORDER BY line_no`, r.sh.ID, orderID)
	if err != nil {
		return nil, fmt.Errorf("reload lines: %w", err)
	}
	defer rows.Close()
	var out []orderfile.Line
	for rows.Next() {
		var l orderfile.Line
		var price, amount int64
		if err := rows.Scan(&l.SKU, &l.Name, &l.Category, &l.Quantity, &price, &amount); err != nil {
			return nil, fmt.Errorf("reload lines: %w", err)
		}
		l.UnitPrice, l.Amount = guanxi.Money(price), guanxi.Money(amount)
		out = append(out, l)
	}
	return out, rows.Err()
}

func (r *run) addLines(ctx context.Context, orderID int64, lines []orderfile.Line) error {
	for i, l := range lines {
		var pid any
		if l.SKU != "" {
			id, ok := r.products[l.SKU]
			if !ok {
				var err error
				if id, err = r.alloc(ctx, &r.prodIDs, "products"); err != nil {
					return err
				}
				r.products[l.SKU] = id
				r.prodRows = append(r.prodRows, []any{r.sh.ID, id, l.SKU, l.Name, l.Category, int64(l.UnitPrice), r.now, r.now})
			}
			pid = id
		}
		r.lineRows = append(r.lineRows, []any{r.sh.ID, orderID, int64(i + 1), pid, l.SKU, l.Name, l.Category,
			l.Quantity, int64(l.UnitPrice), int64(l.Amount)})
	}
	return nil
}

// purchaseDay is the order's day (yyyymmdd, shop time) when it counts as a
// purchase, else nil.
func (r *run) purchaseDay(rec *orderfile.Record) any {
	if !rec.Status.IsPurchase() || rec.Amount < 0 {
		return nil
	}
	t := rec.PlacedAt.In(r.loc)
	return int64(t.Year()*10000 + int(t.Month())*100 + t.Day())
}

func (r *run) markDirty(id int64) {
	if id == 0 {
		return
	}
	id = r.canon(id)
	r.dirty[id] = struct{}{}
	if a := r.freshAcc(id); a != nil {
		a.sql = true
	}
}

func (r *run) canon(id int64) int64 {
	for {
		to, ok := r.redirect[id]
		if !ok {
			return id
		}
		id = to
	}
}

// account adds an order to a new customer's in-memory statistics; customers
// that existed before this run are recomputed from SQL at the end instead.
func (r *run) account(cid int64, rec *orderfile.Record, day any) {
	if cid == 0 {
		return
	}
	a := r.freshAcc(cid)
	if a == nil || a.sql {
		r.markDirty(cid)
		return
	}
	a.refunds += int64(rec.Refunded)
	if day == nil {
		return
	}
	t := rec.PlacedAt.Unix()
	if a.orders == 0 || t < a.first {
		a.first = t
	}
	if a.orders == 0 || t > a.last {
		a.last = t
	}
	a.orders++
	a.total += int64(rec.Amount - rec.Refunded)
	d := int32(day.(int64))
	if !slices.Contains(a.days, d) {
		a.days = append(a.days, d)
	}
}

func (r *run) finish(ctx context.Context, format, name string) error {
	if err := r.flush(ctx); err != nil {
		return err
	}
	var fresh []customer.Stats
	for i := range r.fresh {
		a := &r.fresh[i]
		if a.sql {
			continue
		}
		fresh = append(fresh, customer.Stats{CustomerID: r.freshBase + int64(i), FirstPurchaseAt: a.first, LastPurchaseAt: a.last,
			PurchaseDays: int64(len(a.days)), Orders: int64(a.orders), TotalSpent: a.total, Refunded: a.refunds})
		if len(fresh) == 10000 {
			if err := customer.InsertStats(ctx, r.tx, r.sh.ID, fresh, r.now); err != nil {
				return err
			}
			fresh = fresh[:0]
		}
	}
	if err := customer.InsertStats(ctx, r.tx, r.sh.ID, fresh, r.now); err != nil {
		return err
	}
	if err := customer.RecomputeStats(ctx, r.tx, r.sh.ID, slices.Sorted(maps.Keys(r.dirty)), r.now); err != nil {
		return err
	}
	// Hand back ids reserved but not used, so ids stay dense across imports.
	// Nobody else can have reserved ids meanwhile: the shop is locked.
	for _, b := range []struct {
		blk  *idBlock
		name string
	}{{&r.custIDs, "customers"}, {&r.orderIDs, "orders"}, {&r.prodIDs, "products"}} {
		if b.blk.next < b.blk.end {
			if _, err := r.tx.Exec(ctx, `UPDATE shop_counters SET next_id = ? WHERE shop_id = ? AND name = ? AND next_id = ?`,
				b.blk.next, r.sh.ID, b.name, b.blk.end); err != nil {
				return fmt.Errorf("release ids: %w", err)
			}
		}
	}
	id, err := r.tx.NextIDs(ctx, r.sh.ID, "import_runs", 1)
	if err != nil {
		return err
	}
	s := r.sum
	_, err = r.tx.Exec(ctx, `INSERT INTO import_runs (shop_id, id, format, file_name, started_at, finished_at, rows_read,
orders_created, orders_updated, orders_unchanged, customers_created, customers_merged, rejected)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.sh.ID, id, format, name, r.now, r.s.clock.Now().Unix(), s.Rows,
		s.OrdersCreated, s.OrdersUpdated, s.OrdersUnchanged, s.CustomersCreated, s.CustomersMerged, s.Rejected)
	if err != nil {
		return fmt.Errorf("record import run: %w", err)
	}
	return nil
}

var (
	custCols    = []string{"shop_id", "id", "name", "phone", "email", "province", "city", "address", "created_at", "updated_at"}
	identCols   = []string{"shop_id", "platform", "kind", "value", "customer_id", "created_at"}
	prodCols    = []string{"shop_id", "id", "sku", "name", "category", "price", "created_at", "updated_at"}
	orderCols   = []string{"shop_id", "id", "platform", "external_id", "customer_id", "status", "placed_at", "paid_at", "purchase_day", "amount", "discount", "shipping_fee", "refunded", "channel", "province", "city", "attrs", "content_hash", "created_at", "updated_at"}
	lineCols    = []string{"shop_id", "order_id", "line_no", "product_id", "sku", "name", "category", "quantity", "unit_price", "amount"}
	updateOrder = `UPDATE orders SET customer_id = ?, status = ?, placed_at = ?, paid_at = ?, purchase_day = ?, amount = ?,
discount = ?, shipping_fee = ?, refunded = ?, channel = ?, province = ?, city = ?, attrs = ?, content_hash = ?, updated_at = ?
WHERE shop_id = ? AND id = ?`
	upsertConsent = `INSERT INTO customer_consents (shop_id, customer_id, channel, purpose, granted, source, at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (shop_id, customer_id, channel, purpose) DO UPDATE SET granted = excluded.granted, source = excluded.source, at = excluded.at
WHERE excluded.at >= customer_consents.at`
)

// flush writes the buffered rows, parents before children.
func (r *run) flush(ctx context.Context) error {
	tx := r.tx
	if err := tx.Insert(ctx, "products", prodCols, r.prodRows); err != nil {
		return err
	}
	if err := tx.Insert(ctx, "customers", custCols, r.custRows); err != nil {
		return err
	}
	if err := tx.Insert(ctx, "customer_identities", identCols, r.identRows); err != nil {
		return err
	}
	if len(r.orderUpds) > 0 {
		upd, err := tx.Prepare(ctx, updateOrder)
		if err != nil {
			return fmt.Errorf("update orders: %w", err)
		}
		del, err := tx.Prepare(ctx, `DELETE FROM order_lines WHERE shop_id = ? AND order_id = ?`)
		if err != nil {
			upd.Close()
			return fmt.Errorf("update orders: %w", err)
		}
		for _, args := range r.orderUpds {
			if _, err = upd.ExecContext(ctx, args...); err != nil {
				break
			}
			if _, err = del.ExecContext(ctx, r.sh.ID, args[len(args)-1]); err != nil {
				break
			}
		}
		upd.Close()
		del.Close()
		if err != nil {
			return fmt.Errorf("update orders: %w", err)
		}
	}
	if err := tx.Insert(ctx, "orders", orderCols, r.orderRows); err != nil {
		return err
	}
	if err := tx.Insert(ctx, "order_lines", lineCols, r.lineRows); err != nil {
		return err
	}
	for _, args := range r.consentRows {
		if _, err := tx.Exec(ctx, upsertConsent, args...); err != nil {
			return fmt.Errorf("consent: %w", err)
		}
	}
	r.custRows, r.identRows, r.prodRows, r.orderRows = r.custRows[:0], r.identRows[:0], r.prodRows[:0], r.orderRows[:0]
	r.orderUpds, r.lineRows, r.consentRows = r.orderUpds[:0], r.lineRows[:0], r.consentRows[:0]
	clear(r.pendingCust)
	return nil
}

func attrsJSON(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m) // map[string]string always marshals
	return string(b)
}

// hashRecord fingerprints everything an order row says, so that importing
// the same row again is recognised as no change.
func hashRecord(rec *orderfile.Record) int64 {
	h := fnv.New64a()
	w := func(s string) { h.Write([]byte(s)); h.Write([]byte{0}) }
	n := func(v int64) { w(strconv.FormatInt(v, 10)) }
	w(rec.Platform)
	w(rec.OrderID)
	w(string(rec.Status))
	n(rec.PlacedAt.Unix())
	n(unixOr0(rec.PaidAt))
	n(int64(rec.Amount))
	n(int64(rec.Discount))
	n(int64(rec.ShippingFee))
	n(int64(rec.Refunded))
	w(rec.Channel)
	w(rec.Province)
	w(rec.City)
	c := rec.Customer
	for _, s := range []string{c.Key, c.KeyKind, c.Name, c.Phone, c.Email, c.Province, c.City, c.Address} {
		w(s)
	}
	switch {
	case c.AcceptsMarketing == nil:
		w("")
	case *c.AcceptsMarketing:
		w("y")
	default:
		w("n")
	}
	for _, l := range rec.Lines {
		w(l.SKU)
		w(l.Name)
		w(l.Category)
		n(l.Quantity)
		n(int64(l.UnitPrice))
		n(int64(l.Amount))
	}
	for _, k := range slices.Sorted(maps.Keys(rec.Attrs)) {
		w(k)
		w(rec.Attrs[k])
	}
	return int64(h.Sum64())
}

func unixOr0(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
