// Package privacy supports the rights a customer has over the personal data
// a shop holds on them (PIPL, GDPR; issue 7 §6): the history of their
// consents, an export of everything held on them, erasure of their personal
// fields while the shop's order statistics stay correct, and retention
// limits per kind of data, applied daily.
//
// Export and erasure find a customer's rows through the database's own
// catalogue (every table with a customer_id column, and the rows hanging off
// their orders and tickets) rather than through a list kept here, so a table
// added later is exported and scrubbed without this package changing.
package privacy

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/seal"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Service reads and changes a shop's personal data. It is safe for
// concurrent use.
type Service struct {
	db       *store.DB
	clock    guanxi.Clock
	segments *segment.Service // which saved segments hold a customer, for Export
}

// NewService returns the privacy service of db.
func NewService(db *store.DB, clock guanxi.Clock) *Service {
	if clock == nil {
		clock = guanxi.SystemClock{}
	}
	return &Service{db: db, clock: clock, segments: segment.NewService(db, clock)}
}

// querier is what both a read and a write transaction can do.
type querier interface {
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
	Keys() *seal.Keys
}

// column is one column of a table, as the catalogue describes it.
type column struct {
	name string
	kind colKind
}

type colKind int

const (
	colOther colKind = iota
	colText
	colJSON // JSONB on PostgreSQL; TEXT on SQLite, so it reads as colText there
	colBlob
)

// catalogue lists every table of the schema with its columns, in
// declaration order, from the engine's own catalogue.
func catalogue(ctx context.Context, q querier, d store.Dialect) (map[string][]column, []string, error) {
	var query string
	if d == store.Postgres {
		query = `SELECT table_name, column_name, data_type FROM information_schema.columns
WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`
	} else {
		query = `SELECT m.name, p.name, p.type FROM sqlite_master m, pragma_table_info(m.name) p
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid`
	}
	rows, err := q.Query(ctx, query)
	if err != nil {
		return nil, nil, fmt.Errorf("privacy: catalogue: %w", err)
	}
	defer rows.Close()
	out := map[string][]column{}
	var names []string
	for rows.Next() {
		var t, c, typ string
		if err := rows.Scan(&t, &c, &typ); err != nil {
			return nil, nil, fmt.Errorf("privacy: catalogue: %w", err)
		}
		if t == "goose_db_version" {
			continue
		}
		k := colOther
		switch strings.ToLower(typ) {
		case "text", "character varying", "varchar", "character":
			k = colText
		case "jsonb", "json":
			k = colJSON
		case "blob", "bytea":
			k = colBlob
		}
		if _, ok := out[t]; !ok {
			names = append(names, t)
		}
		out[t] = append(out[t], column{name: c, kind: k})
	}
	return out, names, rows.Err()
}

func has(cols []column, name string) bool {
	for _, c := range cols {
		if c.name == name {
			return true
		}
	}
	return false
}

// related returns the WHERE clause (after shop_id = ?) selecting the rows of
// table that belong to the customers ids, or "" when none can. The order of
// the tests matters: a table with a customer_id is the customer's by it
// even when it also names a ticket or an order.
func related(table string, cols []column, ids []int64) string {
	if !has(cols, "shop_id") {
		return ""
	}
	in := idList(ids)
	switch {
	case table == "customers":
		return "id IN (" + in + ")"
	case table == "customer_merges":
		return "(survivor_id IN (" + in + ") OR merged_id IN (" + in + "))"
	case has(cols, "customer_id"):
		return "customer_id IN (" + in + ")"
	case has(cols, "ticket_id"):
		return "ticket_id IN (SELECT t.id FROM tickets t WHERE t.shop_id = " + table + ".shop_id AND t.customer_id IN (" + in + "))"
	case has(cols, "order_id"):
		return "order_id IN (SELECT o.id FROM orders o WHERE o.shop_id = " + table + ".shop_id AND o.customer_id IN (" + in + "))"
	case table == "audit_log":
		// Entries about the customer or their tickets: an edit's detail
		// holds the old and new values.
		var s []string
		for _, id := range ids {
			s = append(s, "'"+strconv.FormatInt(id, 10)+"'")
		}
		return "((object_type = 'customer' AND object_id IN (" + strings.Join(s, ", ") + ")) OR (object_type = 'ticket' AND object_id IN (SELECT " +
			castText("t.id") + " FROM tickets t WHERE t.shop_id = audit_log.shop_id AND t.customer_id IN (" + in + "))))"
	}
	return ""
}

// castText is portable: CAST(x AS TEXT) works on both engines.
func castText(x string) string { return "CAST(" + x + " AS TEXT)" }

func idList(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}

// family returns id and every customer merged into it, directly or through
// another: their rows are the person's too.
func family(ctx context.Context, q querier, shopID, id int64) ([]int64, error) {
	var n int64
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM customers WHERE shop_id = ? AND id = ?`, shopID, id).Scan(&n); err != nil {
		return nil, fmt.Errorf("privacy: customer %d: %w", id, err)
	}
	if n == 0 {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "customer %d not found", id)
	}
	ids := []int64{id}
	seen := map[int64]bool{id: true}
	for i := 0; i < len(ids); i++ {
		rows, err := q.Query(ctx, `SELECT id FROM customers WHERE shop_id = ? AND merged_into = ?`, shopID, ids[i])
		if err != nil {
			return nil, fmt.Errorf("privacy: merged customers: %w", err)
		}
		for rows.Next() {
			var m int64
			if err := rows.Scan(&m); err != nil {
				rows.Close()
				return nil, fmt.Errorf("privacy: merged customers: %w", err)
			}
			if !seen[m] {
				seen[m] = true
				ids = append(ids, m)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("privacy: merged customers: %w", err)
		}
	}
	return ids, nil
}

// shopKey returns the shop's pseudonym key, making it on first use.
func shopKey(ctx context.Context, tx *store.Tx, shopID int64, now int64) ([]byte, error) {
	if err := ensureSettings(ctx, tx, shopID, now); err != nil {
		return nil, err
	}
	var k string
	if err := tx.QueryRow(ctx, `SELECT pseudonym_key FROM privacy_settings WHERE shop_id = ?`, shopID).Scan(&k); err != nil {
		return nil, fmt.Errorf("privacy: key: %w", err)
	}
	return hex.DecodeString(k)
}

func ensureSettings(ctx context.Context, tx *store.Tx, shopID int64, now int64) error {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("privacy: key: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO privacy_settings (shop_id, pseudonym_key, updated_at) VALUES (?, ?, ?) ON CONFLICT (shop_id) DO NOTHING`,
		shopID, hex.EncodeToString(b), now); err != nil {
		return fmt.Errorf("privacy: settings: %w", err)
	}
	return nil
}

// pseudonym is the irreversible stand-in for one erased value: an HMAC under
// the shop's secret key, so nobody without the key can test a guess (a
// phone number has few enough values to try them all against a plain
// hash), and the customer's id is in it, so two erasures never collide.
func pseudonym(key []byte, customerID int64, kind, value string) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%d\x00%s\x00%s", customerID, kind, value)
	return "erased-" + hex.EncodeToString(m.Sum(nil))[:20]
}
