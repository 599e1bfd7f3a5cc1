package privacy

import (
	"archive/zip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/export"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Export is everything a shop holds on one customer (and on the customers
// merged into them): every row of every table that belongs to them, and
// the shop's saved segments the customer is in. An attachment's bytes are
// left out (its name, type, size and SHA-256 are in): the export is for
// reading, and the bytes can be asked for one by one.
type Export struct {
	Shop        string    `json:"shop"`
	CustomerID  int64     `json:"customer_id"`
	Customers   []int64   `json:"customers"` // the customer and those merged into them
	GeneratedAt time.Time `json:"generated_at"`
	// Segments are the saved segments whose rule holds the customer at the
	// export. No table says so (a segment is a rule, evaluated when asked),
	// yet it is a profile of them the shop can act on.
	Segments []Membership `json:"segment_memberships"`
	Tables   []Table      `json:"-"`
}

// Membership is a saved segment that holds the customer.
type Membership struct {
	SegmentID int64  `json:"segment_id"`
	Name      string `json:"name"`
}

// membershipTable is the file of the memberships in the zip.
const membershipTable = "segment_memberships"

// Table is one table's rows about the customer, columns in schema order.
type Table struct {
	Name    string
	Columns []string
	Rows    [][]any // string, int64, float64, bool, json.RawMessage or nil
}

// MarshalJSON writes tables as {"name": [{"column": value, …}, …]}.
func (e *Export) MarshalJSON() ([]byte, error) {
	type plain Export
	tables := map[string][]map[string]any{}
	for _, t := range e.Tables {
		rows := make([]map[string]any, len(t.Rows))
		for i, r := range t.Rows {
			m := make(map[string]any, len(r))
			for j, v := range r {
				m[t.Columns[j]] = v
			}
			rows[i] = m
		}
		tables[t.Name] = rows
	}
	return json.Marshal(struct {
		*plain
		Tables map[string][]map[string]any `json:"tables"`
	}{(*plain)(e), tables})
}

// Export gathers everything held on customer id of the shop and records in
// the audit log who took it and why; reason is required.
func (s *Service) Export(ctx context.Context, shopID int64, shopCode string, id int64, format, reason string) (*Export, error) {
	now := s.clock.Now()
	e := &Export{Shop: shopCode, CustomerID: id, GeneratedAt: now.UTC().Truncate(time.Second), Segments: []Membership{}}
	// Only a live customer is in segments, never one merged into it, so
	// the customer's own id is the one to ask about. Asked before the
	// transaction: the segment service reads through its own connections.
	segs, err := s.segments.SegmentsOf(ctx, shopID, id)
	if err != nil {
		return nil, fmt.Errorf("privacy: export %d: %w", id, err)
	}
	for _, seg := range segs {
		e.Segments = append(e.Segments, Membership{SegmentID: seg.ID, Name: seg.Name})
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		ids, err := family(ctx, tx, shopID, id)
		if err != nil {
			return err
		}
		e.Customers = ids
		if strings.TrimSpace(reason) == "" {
			return guanxi.Errorf(guanxi.EINVALID, "reason: say why the export is made (e.g. the customer's request of 5 May)")
		}
		cat, names, err := catalogue(ctx, tx, tx.Dialect())
		if err != nil {
			return err
		}
		counts := map[string]int{}
		for _, name := range names {
			cols := cat[name]
			where := related(name, cols, ids)
			if where == "" {
				continue
			}
			t, err := readTable(ctx, tx, shopID, name, cols, where)
			if err != nil {
				return err
			}
			if len(t.Rows) > 0 {
				e.Tables = append(e.Tables, t)
				counts[name] = len(t.Rows)
			}
		}
		if len(e.Segments) > 0 {
			counts[membershipTable] = len(e.Segments)
		}
		return audit.Write(ctx, tx, shopID, "customer.export", "customer", id, map[string]any{
			"reason": reason, "format": format, "customers": ids, "rows": counts,
		}, now)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

func readTable(ctx context.Context, q querier, shopID int64, name string, cols []column, where string) (Table, error) {
	t := Table{Name: name}
	sel := ""
	var kinds []colKind
	for _, c := range cols {
		if c.kind == colBlob {
			continue // bytes are not exported; size and checksum are
		}
		if sel != "" {
			sel += ", "
		}
		if c.kind == colJSON {
			sel += castText(c.name)
		} else {
			sel += c.name
		}
		t.Columns = append(t.Columns, c.name)
		kinds = append(kinds, c.kind)
	}
	order := ""
	if has(cols, "id") {
		order = " ORDER BY id"
	}
	rows, err := q.Query(ctx, "SELECT "+sel+" FROM "+name+" WHERE shop_id = ? AND "+where+order, shopID)
	if err != nil {
		return t, fmt.Errorf("privacy: export %s: %w", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		vals := make([]any, len(t.Columns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return t, fmt.Errorf("privacy: export %s: %w", name, err)
		}
		for i, v := range vals {
			vals[i] = plainValue(v, kinds[i])
			// Sealed at rest, the subject's own data is exported opened.
			if field, ok := store.SealedColumns[name][t.Columns[i]]; ok {
				if s, ok := vals[i].(string); ok {
					if vals[i], err = q.Keys().Open(field, s); err != nil {
						return t, fmt.Errorf("privacy: export %s: %w", name, err)
					}
				}
			}
		}
		t.Rows = append(t.Rows, vals)
	}
	return t, rows.Err()
}

// plainValue turns a driver value into one JSON and CSV can both write. A
// JSON document (JSONB, or TEXT holding an object or array) stays a
// document in the JSON export.
func plainValue(v any, k colKind) any {
	switch v := v.(type) {
	case []byte:
		if !utf8.Valid(v) {
			return base64.StdEncoding.EncodeToString(v)
		}
		return plainValue(string(v), k)
	case string:
		if len(v) > 1 && (v[0] == '{' || v[0] == '[') && json.Valid([]byte(v)) {
			return json.RawMessage(v)
		}
		return v
	case int32:
		return int64(v)
	case time.Time:
		return v.Unix()
	}
	return v
}

// WriteJSON writes the export as one indented JSON document.
func (e *Export) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(e); err != nil {
		return fmt.Errorf("privacy: write json: %w", err)
	}
	return nil
}

// WriteZip writes the export as a zip of CSV files, one per table and
// segment_memberships.csv for the segments (when there are any), UTF-8
// with a byte order mark (Excel reads Chinese then) and with every cell a
// spreadsheet would run as a formula neutralised.
func (e *Export) WriteZip(w io.Writer) error {
	z := zip.NewWriter(w)
	tables := append([]Table(nil), e.Tables...)
	if len(e.Segments) > 0 {
		t := Table{Name: membershipTable, Columns: []string{"segment_id", "name"}}
		for _, m := range e.Segments {
			t.Rows = append(t.Rows, []any{m.SegmentID, m.Name})
		}
		tables = append(tables, t)
	}
	sort.Slice(tables, func(i, j int) bool { return tables[i].Name < tables[j].Name })
	for _, t := range tables {
		f, err := z.CreateHeader(&zip.FileHeader{Name: t.Name + ".csv", Method: zip.Deflate, Modified: e.GeneratedAt})
		if err != nil {
			return fmt.Errorf("privacy: write zip: %w", err)
		}
		c := export.NewCSV(f, export.WithBOM())
		if err := c.WriteHeader(t.Columns); err != nil {
			return err
		}
		for _, r := range t.Rows {
			cells := make([]any, len(r))
			for i, v := range r {
				cells[i] = csvCell(v)
			}
			if err := c.WriteRow(cells); err != nil {
				return err
			}
		}
		if err := c.Close(); err != nil {
			return err
		}
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("privacy: write zip: %w", err)
	}
	return nil
}

func csvCell(v any) any {
	switch v := v.(type) {
	case nil, string, int64:
		return v
	case json.RawMessage:
		return string(v)
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
