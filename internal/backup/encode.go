package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi/internal/store"
)

// A row's canonical encoding is one line: a JSON array of its values in
// the manifest's column order, then "\n". NULL is null, an integer a JSON
// integer (exact to 64 bits), a boolean true or false, text a JSON string,
// a JSON column a JSON string holding the document in canonical form (keys
// sorted, no spaces, numbers as PostgreSQL prints them). The same bytes are
// the archive's table file and the input of the table's SHA-256, so a
// checksum means the same on either engine.

// summer counts rows and hashes their encoding.
type summer struct {
	rows int64
	h    hash.Hash
}

func newSummer() *summer { return &summer{h: sha256.New()} }

func (s *summer) add(line []byte) {
	s.rows++
	s.h.Write(line)
}

func (s *summer) sum() string { return hex.EncodeToString(s.h.Sum(nil)) }

// selectSQL reads a table's columns in primary-key order, text keys in byte
// order on both engines.
func selectSQL(d store.Dialect, name string, cols []Column, key []string) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + c.Name + `"`)
	}
	b.WriteString(` FROM "` + name + `" ORDER BY `)
	for i, k := range key {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + k + `"`)
		if d == store.Postgres && colType(cols, k) == typeText {
			b.WriteString(` COLLATE "C"`)
		}
	}
	return b.String()
}

func colType(cols []Column, name string) string {
	for _, c := range cols {
		if c.Name == name {
			return c.Type
		}
	}
	return ""
}

// dumpTable reads every row of a table in key order and calls emit with its
// values and canonical line (both reused by the next row). It returns the
// row count and the SHA-256 of the lines.
func dumpTable(ctx context.Context, q querier, d store.Dialect, name string, cols []Column, key []string,
	emit func(values []any, line []byte) error) (int64, string, error) {
	rows, err := q.Query(ctx, selectSQL(d, name, cols, key))
	if err != nil {
		return 0, "", fmt.Errorf("read %s: %w", name, err)
	}
	defer rows.Close()
	dest := make([]any, len(cols))
	for i, c := range cols {
		switch c.Type {
		case typeInt:
			dest[i] = new(sql.NullInt64)
		case typeBool:
			dest[i] = new(sql.NullBool)
		case typeFloat:
			dest[i] = new(sql.NullFloat64)
		case typeBytes:
			dest[i] = new([]byte)
		default:
			dest[i] = new(sql.NullString)
		}
	}
	values := make([]any, len(cols))
	var line []byte
	s := newSummer()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return 0, "", fmt.Errorf("read %s: %w", name, err)
		}
		for i, c := range cols {
			switch v := dest[i].(type) {
			case *sql.NullInt64:
				values[i] = nil
				if v.Valid {
					values[i] = v.Int64
				}
			case *sql.NullBool:
				values[i] = nil
				if v.Valid {
					values[i] = v.Bool
				}
			case *sql.NullFloat64:
				values[i] = nil
				if v.Valid {
					values[i] = v.Float64
				}
			case *[]byte:
				values[i] = nil
				if *v != nil {
					values[i] = slices.Clone(*v)
				}
			case *sql.NullString:
				values[i] = nil
				if v.Valid && c.Type == typeJSON {
					values[i] = canonicalJSON(v.String)
				} else if v.Valid {
					values[i] = v.String
				}
			}
		}
		if line, err = encodeRow(line[:0], values); err != nil {
			return 0, "", fmt.Errorf("%s row %d: %w", name, s.rows+1, err)
		}
		s.add(line)
		if emit != nil {
			if err := emit(values, line); err != nil {
				return 0, "", err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return 0, "", fmt.Errorf("read %s: %w", name, err)
	}
	return s.rows, s.sum(), nil
}

// encodeRow appends a row's canonical line to buf.
func encodeRow(buf []byte, values []any) ([]byte, error) {
	buf = append(buf, '[')
	for i, v := range values {
		if i > 0 {
			buf = append(buf, ',')
		}
		switch v := v.(type) {
		case nil:
			buf = append(buf, "null"...)
		case int64:
			buf = strconv.AppendInt(buf, v, 10)
		case bool:
			buf = strconv.AppendBool(buf, v)
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return buf, fmt.Errorf("column %d: %v cannot be written", i+1, v)
			}
			buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
		case string:
			var err error
			if buf, err = appendString(buf, v); err != nil {
				return buf, fmt.Errorf("column %d: %w", i+1, err)
			}
		case []byte:
			buf = append(buf, '"')
			buf = base64.StdEncoding.AppendEncode(buf, v)
			buf = append(buf, '"')
		default:
			return buf, fmt.Errorf("column %d: cannot encode a %T", i+1, v)
		}
	}
	return append(buf, ']', '\n'), nil
}

// appendString appends s as a JSON string, escaping only what JSON
// requires. Text that is not UTF-8 cannot be stored losslessly, so it is an
// error rather than a silent replacement.
func appendString(buf []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return buf, fmt.Errorf("text %q is not valid UTF-8", s)
	}
	const hexDigits = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"'), nil
}

// decodeRow reads a canonical line back into values for the columns.
func decodeRow(line []byte, cols []Column) ([]any, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var raw []any
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	if len(raw) != len(cols) {
		return nil, fmt.Errorf("%d values for %d columns", len(raw), len(cols))
	}
	for i, c := range cols {
		v := raw[i]
		if v == nil {
			continue
		}
		ok := false
		switch c.Type {
		case typeInt:
			if n, isNum := v.(json.Number); isNum {
				var err error
				raw[i], err = strconv.ParseInt(string(n), 10, 64)
				ok = err == nil
			}
		case typeBool:
			_, ok = v.(bool)
		case typeFloat:
			if n, isNum := v.(json.Number); isNum {
				var err error
				raw[i], err = strconv.ParseFloat(string(n), 64)
				ok = err == nil
			}
		case typeBytes:
			if t, isText := v.(string); isText {
				b, err := base64.StdEncoding.DecodeString(t)
				raw[i], ok = b, err == nil
			}
		default:
			_, ok = v.(string)
		}
		if !ok {
			return nil, fmt.Errorf("column %s: %v is not a %s value", c.Name, v, c.Type)
		}
	}
	return raw, nil
}

// canonicalJSON rewrites a JSON document with sorted keys, no spaces and
// numbers as PostgreSQL's JSONB prints them (no exponent, no negative
// zero), so the same document reads the same from either engine. Text that
// is not one JSON document is kept as it is.
func canonicalJSON(s string) string {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return s
	}
	if _, err := dec.Token(); err == nil {
		return s // more than one document
	}
	out, err := appendJSON(nil, v)
	if err != nil {
		return s
	}
	return string(out)
}

func appendJSON(buf []byte, v any) ([]byte, error) {
	var err error
	switch v := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case bool:
		return strconv.AppendBool(buf, v), nil
	case json.Number:
		return append(buf, numeric(string(v))...), nil
	case string:
		return appendString(buf, v)
	case []any:
		buf = append(buf, '[')
		for i, e := range v {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, err = appendJSON(buf, e); err != nil {
				return buf, err
			}
		}
		return append(buf, ']'), nil
	case map[string]any:
		buf = append(buf, '{')
		for i, k := range slices.Sorted(maps.Keys(v)) {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, err = appendString(buf, k); err != nil {
				return buf, err
			}
			buf = append(buf, ':')
			if buf, err = appendJSON(buf, v[k]); err != nil {
				return buf, err
			}
		}
		return append(buf, '}'), nil
	}
	return buf, fmt.Errorf("unexpected %T in JSON", v)
}

// numeric writes a JSON number as PostgreSQL's numeric type does: the
// exponent applied (1.5e2 → 150, 1e-2 → 0.01, keeping the decimals the
// mantissa had beyond the shift: 1.50e1 → 15.0) and no negative zero.
func numeric(n string) string {
	neg := strings.HasPrefix(n, "-")
	n = strings.TrimPrefix(n, "-")
	mant, exp := n, 0
	if i := strings.IndexAny(n, "eE"); i >= 0 {
		e, err := strconv.Atoi(n[i+1:])
		if err != nil || e > 1000 || e < -1000 {
			if neg {
				return "-" + n
			}
			return n
		}
		mant, exp = n[:i], e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	point := len(intPart) + exp // digits before the decimal point
	scale := max(len(frac)-exp, 0)
	switch {
	case point <= 0:
		digits = strings.Repeat("0", -point+1) + digits
		point = 1
	case point > len(digits):
		digits += strings.Repeat("0", point-len(digits))
	}
	whole, dec := strings.TrimLeft(digits[:point], "0"), digits[point:]
	if whole == "" {
		whole = "0"
	}
	if len(dec) < scale {
		dec += strings.Repeat("0", scale-len(dec))
	}
	dec = dec[:scale]
	out := whole
	if scale > 0 {
		out += "." + dec
	}
	if neg && strings.Trim(out, "0.") != "" {
		out = "-" + out
	}
	return out
}
