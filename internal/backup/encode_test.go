package backup

import (
	"context"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestTablesCoverSchema fails when a migration adds a table that the
// backup's list misses (or the list names one the schema lacks), and
// checks every listed table's columns are ones a backup can carry, with
// the JSON columns listed as such.
func TestTablesCoverSchema(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.View(ctx, func(tx *store.ReadTx) error {
			have, err := schemaTables(ctx, tx, db.Dialect)
			if err != nil {
				return err
			}
			var want []string
			for _, tb := range tables {
				want = append(want, tb.name)
			}
			want = append(want, skipped...)
			slices.Sort(want)
			if !slices.Equal(have, want) {
				t.Errorf("schema tables %v\nbackup knows %v (edit internal/backup/tables.go)", have, want)
			}
			for _, tb := range tables {
				cols, key, err := tableColumns(ctx, tx, db.Dialect, tb)
				if err != nil {
					t.Error(err)
					continue
				}
				if len(key) == 0 || key[0] != "shop_id" && key[0] != "id" {
					t.Errorf("%s: key %v", tb.name, key)
				}
				for _, c := range cols {
					if (c.Type == typeJSON) != slices.Contains(tb.json, c.Name) {
						t.Errorf("%s.%s: type %s", tb.name, c.Name, c.Type)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestEncodeRoundTrip(t *testing.T) {
	cols := []Column{{"a", typeInt}, {"b", typeInt}, {"c", typeText}, {"d", typeText}, {"e", typeBool}, {"f", typeJSON}, {"g", typeText}}
	for _, row := range [][]any{
		{int64(math.MaxInt64), int64(math.MinInt64), "", nil, true, `{"a":1}`, "引号\"\\\n\r\t\x00\x1f</>&\u2028"},
		{nil, int64(0), "null", "0", false, nil, "😀"},
	} {
		line, err := encodeRow(nil, row)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeRow(line, cols)
		if err != nil {
			t.Fatalf("decode %s: %v", line, err)
		}
		if !reflect.DeepEqual(got, row) {
			t.Errorf("round trip of %s:\n got %#v\nwant %#v", line, got, row)
		}
	}
	if _, err := encodeRow(nil, []any{"\xff"}); err == nil {
		t.Error("invalid UTF-8 encoded without error")
	}
	for _, bad := range []string{`[1,2]`, `["x",2,"","",true,null,""]`, `[1.5,2,"","",true,null,""]`, `[1,2,3,"",true,null,""]`, `[1,2,"","","true",null,""]`} {
		if _, err := decodeRow([]byte(bad), cols); err == nil {
			t.Errorf("decodeRow(%s) accepted", bad)
		}
	}
}

func TestCanonicalJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"b": 1, "a": [1, 2]}`:          `{"a":[1,2],"b":1}`,
		`{"a": 1.50, "b": 1e2, "c": -0}`: `{"a":1.50,"b":100,"c":0}`,
		`["\u00e9", "<&>", null, true]`:  `["é","<&>",null,true]`,
		`{}`:                             `{}`,
		`not json`:                       `not json`,
		`{"a":1} {"b":2}`:                `{"a":1} {"b":2}`,
		``:                               ``,
	} {
		if got := canonicalJSON(in); got != want {
			t.Errorf("canonicalJSON(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestNumeric(t *testing.T) {
	// As PostgreSQL prints '…'::numeric.
	for in, want := range map[string]string{
		"0": "0", "-0": "0", "-0.0": "0.0", "12": "12", "-12.50": "-12.50", "1e2": "100", "1E+2": "100",
		"1.5e1": "15", "1.50e1": "15.0", "1e-2": "0.01", "-1.5e-3": "-0.0015", "123.456e1": "1234.56",
		"0.000": "0.000", "25e-1": "2.5", "0e5": "0",
	} {
		if got := numeric(in); got != want {
			t.Errorf("numeric(%s) = %s, want %s", in, got, want)
		}
	}
}
