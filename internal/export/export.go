// Package export writes a shop's customers and orders as CSV or XLSX files
// for analysts and other tools (`guanxi export`). Rows stream from one query
// to the Writer, so a shop with millions of customers exports in flat
// memory. `export orders` writes the generic orders format of DESIGN.md, one
// row per order, so an export imports back to the same orders, statuses and
// amounts; `export customers` writes one row per live customer, customer_id
// first, then profile fields, then summary columns. Merged-away customers
// never appear. Cells are neutralised against formula injection. The
// functions hold no state and are safe for concurrent use.
package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// kind says how a column's SQL value becomes a cell.
type kind int

const (
	text    kind = iota // string
	integer             // int64
	money               // minor units → guanxi.Money
	instant             // Unix seconds → RFC 3339 in shop time
	day                 // Unix seconds → YYYY-MM-DD in shop time
	tagList             // JSON array of strings → "a;b"
	decimal             // float64 → text with 4 decimals (model figures)
	phone               // a sealed phone (see package seal) → the phone
	email               // a sealed e-mail → the e-mail
)

// column is one column of an export: its header, the SQL expression that
// reads it (over the export's FROM clause) and how to write it.
type column struct {
	name string
	expr string
	kind kind
}

// customerKey is the customer_id an export writes: the customer's generic
// customer_id identity, else "gx-<internal id>", empty for a guest order. It
// reads c (customers) and k (keyJoin).
const customerKey = `CASE WHEN c.id IS NULL THEN '' ELSE COALESCE(k.value, 'gx-' || CAST(c.id AS TEXT)) END`

// keyJoin joins each customer's first generic customer_id identity as k: the
// oldest, ties broken by value in byte order (%s is the collation clause).
// Its one placeholder is the shop id.
const keyJoin = `LEFT JOIN (
    SELECT customer_id, value,
           ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY created_at, value%s) AS n
    FROM customer_identities
    WHERE shop_id = ? AND platform = 'generic' AND kind = 'customer_id'
) k ON k.customer_id = c.id AND k.n = 1`

// customerColumns are the columns of `export customers`, in order, read
// from customersFrom. A new column (a score) is one line here, plus a join
// in customersFrom when it reads another table.
var customerColumns = []column{
	{"customer_id", customerKey, text},
	{"name", "c.name", text},
	{"gender", "c.gender", text},
	{"birthday", "c.birthday", text},
	{"phone", "c.phone", phone},
	{"email", "c.email", email},
	{"province", "c.province", text},
	{"city", "c.city", text},
	{"address", "c.address", text},
	{"tags", "c.tags", tagList},
	{"created_at", "c.created_at", instant},
	{"first_purchase_at", "s.first_purchase_at", day},
	{"last_purchase_at", "s.last_purchase_at", day},
	{"purchase_days", "COALESCE(s.purchase_days, 0)", integer},
	{"orders_count", "COALESCE(s.orders_count, 0)", integer},
	{"total_spent", "COALESCE(s.total_spent, 0)", money},
	// Truncated like customer.Stats.AvgSpent, so every screen agrees.
	{"avg_spent", "CASE WHEN s.orders_count > 0 THEN s.total_spent / s.orders_count END", money},
	{"refunded", "COALESCE(s.refunded, 0)", money},
	// The latest `guanxi score` run; empty for a customer it did not score.
	{"score_as_of", "sc.as_of", text},
	{"recency_days", "sc.recency_days", integer},
	{"r", "sc.r", integer},
	{"f", "sc.f", integer},
	{"m", "sc.m", integer},
	{"segment_cn", "sc.segment_cn", text},
	{"segment", "sc.segment", text},
	{"lifecycle", "sc.lifecycle", text},
	{"tier", "sc.tier", text},
	{"churn_risk", "sc.churn_risk", text},
	{"churn_reason", "sc.churn_reason", text},
	{"p_alive", "sc.p_alive", decimal},
	{"expected_90d", "sc.expected_90d", decimal},
	{"expected_spend", "sc.expected_spend", decimal},
	{"clv_12m", "sc.clv_12m", decimal},
}

// customersFrom takes the shop id twice.
const customersFrom = `
FROM customers c
LEFT JOIN customer_stats s ON s.shop_id = c.shop_id AND s.customer_id = c.id
LEFT JOIN customer_scores sc ON sc.shop_id = c.shop_id AND sc.customer_id = c.id
` + keyJoin + `
WHERE c.shop_id = ? AND c.merged_into IS NULL
ORDER BY c.id`

// orderColumns are the columns of `export orders`: the generic orders
// format without line columns, plus platform, so an order keeps its key
// (platform, order_id) when imported back.
var orderColumns = []column{
	{"order_id", "o.external_id", text},
	{"order_date", "o.placed_at", instant},
	{"customer_id", customerKey, text},
	{"amount", "o.amount", money},
	{"status", "o.status", text},
	{"refunded_amount", "o.refunded", money},
	{"channel", "o.channel", text},
	{"province", "o.province", text},
	{"city", "o.city", text},
	{"customer_name", "COALESCE(c.name, '')", text},
	{"phone", "COALESCE(c.phone, '')", phone},
	{"email", "COALESCE(c.email, '')", email},
	{"platform", "o.platform", text},
}

// ordersFrom takes the shop id twice. Orders point at live customers only
// (a merge moves them), so no merged_into filter is needed.
const ordersFrom = `
FROM orders o
LEFT JOIN customers c ON c.shop_id = o.shop_id AND c.id = o.customer_id
` + keyJoin + `
WHERE o.shop_id = ?
ORDER BY o.placed_at, o.id`

// Customers writes the header and one row per live customer of the shop,
// by id, to w, and returns the number of rows. It does not close w.
func Customers(ctx context.Context, db *store.DB, sh *shop.Shop, w Writer) (int, error) {
	n, err := run(ctx, db, sh, w, customerColumns, customersFrom)
	if err != nil {
		return n, fmt.Errorf("export: customers of %s: %w", sh.Code, err)
	}
	return n, nil
}

// Orders writes the header and one row per order of the shop, by time, to
// w, and returns the number of rows. It does not close w.
func Orders(ctx context.Context, db *store.DB, sh *shop.Shop, w Writer) (int, error) {
	n, err := run(ctx, db, sh, w, orderColumns, ordersFrom)
	if err != nil {
		return n, fmt.Errorf("export: orders of %s: %w", sh.Code, err)
	}
	return n, nil
}

func run(ctx context.Context, db *store.DB, sh *shop.Shop, w Writer, cols []column, from string) (int, error) {
	names := make([]string, len(cols))
	exprs := make([]string, len(cols))
	for i, c := range cols {
		names[i], exprs[i] = c.name, c.expr
	}
	collate := ""
	if db.Dialect == store.Postgres {
		collate = ` COLLATE "C"` // SQLite compares text bytewise already
	}
	q := "SELECT " + strings.Join(exprs, ",\n       ") + fmt.Sprintf(from, collate)
	if err := w.WriteHeader(names); err != nil {
		return 0, err
	}
	rows, err := db.Query(ctx, q, sh.ID, sh.ID)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	loc := sh.Location()
	dest := make([]any, len(cols))
	for i, c := range cols {
		switch c.kind {
		case text, tagList, phone, email:
			dest[i] = new(*string)
		case decimal:
			dest[i] = new(*float64)
		default:
			dest[i] = new(*int64)
		}
	}
	values := make([]any, len(cols))
	n := 0
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return n, err
		}
		for i, c := range cols {
			values[i] = cell(c.kind, dest[i], loc)
			if v, ok := values[i].(string); ok && c.kind.sealed() != "" {
				if values[i], err = db.Keys().Open(c.kind.sealed(), v); err != nil {
					return n, fmt.Errorf("row %d: %w", n+1, err)
				}
			}
		}
		if err := w.WriteRow(values); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// sealed is the field a column of this kind is sealed as (package seal),
// "" for a column stored as it is.
func (k kind) sealed() string {
	switch k {
	case phone:
		return "phone"
	case email:
		return "email"
	}
	return ""
}

// cell turns a scanned value into a Writer value; NULL is an empty cell.
func cell(k kind, dest any, loc *time.Location) any {
	switch k {
	case text, tagList, phone, email:
		p := *dest.(**string)
		if p == nil {
			return nil
		}
		if k == tagList {
			return joinTags(*p)
		}
		return *p
	case decimal:
		p := *dest.(**float64)
		if p == nil {
			return nil
		}
		return strconv.FormatFloat(*p, 'f', 4, 64)
	}
	p := *dest.(**int64)
	if p == nil {
		return nil
	}
	switch k {
	case money:
		return guanxi.Money(*p)
	case instant:
		return time.Unix(*p, 0).In(loc).Format(time.RFC3339)
	case day:
		return time.Unix(*p, 0).In(loc).Format(time.DateOnly)
	}
	return *p
}

// joinTags turns the tags column (a JSON array of strings) into "a;b".
func joinTags(s string) string {
	var tags []string
	if err := json.Unmarshal([]byte(s), &tags); err != nil {
		return s
	}
	return strings.Join(tags, ";")
}

// ToFile exports what ("customers" or "orders") of the shop to path: CSV
// for a .csv name (with a UTF-8 byte order mark when bom is set), XLSX for
// .xlsx. It returns the number of rows written. On failure it removes the
// partial file and returns an EINVALID error for a bad what or file name.
func ToFile(ctx context.Context, db *store.DB, sh *shop.Shop, what, path string, bom bool) (int, error) {
	var export func(context.Context, *store.DB, *shop.Shop, Writer) (int, error)
	switch what {
	case "customers":
		export = Customers
	case "orders":
		export = Orders
	default:
		return 0, guanxi.Errorf(guanxi.EINVALID, "export: %q is not something to export: use customers or orders", what)
	}
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".csv" && ext != ".xlsx" {
		return 0, guanxi.Errorf(guanxi.EINVALID, "export: %s: the file name must end in .csv or .xlsx", path)
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, guanxi.Errorf(guanxi.EINVALID, "export: cannot create %s: %v", path, err)
	}
	n, err := func() (int, error) {
		var w Writer
		if ext == ".xlsx" {
			x, err := NewXLSX(f, what)
			if err != nil {
				return 0, err
			}
			w = x
		} else {
			var opts []CSVOption
			if bom {
				opts = append(opts, WithBOM())
			}
			w = NewCSV(f, opts...)
		}
		n, err := export(ctx, db, sh, w)
		return n, errors.Join(err, w.Close())
	}()
	if err = errors.Join(err, f.Close()); err != nil {
		_ = os.Remove(path)
		return n, err
	}
	return n, nil
}
