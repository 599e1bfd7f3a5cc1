package segment

import (
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// FuzzParseRule checks that any input either parses into a rule that
// compiles on both engines, with one argument per placeholder and no text
// of the input in the SQL, or fails with a clean EINVALID error.
func FuzzParseRule(f *testing.F) {
	for _, s := range []string{
		`{"all":[{"field":"province","op":"in","value":["浙江","上海"]},{"field":"total_spent","op":"gte","value":199.5}]}`,
		`{"any":[{"field":"tag","op":"contains","value":"vip"},{"not":{"field":"last_purchase_at","op":"within_days","value":90}}]}`,
		`{"field":"bought.category","op":"eq","value":"茶叶","between":["2025-01-01","2025-03-31"]}`,
		`{"field":"p_alive","op":"between","value":[0.1,0.9]}`,
		`{"field":"province","op":"eq","value":"' OR 1=1 --"}`,
		`{"field":"r","op":"eq","value":1e3}`,
		`{"not":{"not":{"field":"consent.sms","op":"eq","value":true}}}`,
		`[`, `null`, `{"all":[{}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRule(data)
		if err != nil {
			msg := guanxi.ErrorMessage(err)
			if guanxi.ErrorCode(err) != guanxi.EINVALID || msg == "" || strings.ContainsAny(msg, "\n\x00") || len(msg) > 300 {
				t.Fatalf("unclean error %q (%s)", msg, guanxi.ErrorCode(err))
			}
			return
		}
		again, err := ParseRule(r.JSON())
		if err != nil {
			t.Fatalf("re-parse of %s: %v", r.JSON(), err)
		}
		for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
			e := env{dialect: d, loc: shanghai, now: now}
			sql, args := e.where(r)
			sql2, args2 := e.where(again)
			if sql != sql2 || len(args) != len(args2) {
				t.Fatalf("re-parsed rule compiles differently")
			}
			if n := strings.Count(sql, "?"); n != len(args) {
				t.Fatalf("%d placeholders, %d arguments: %s", n, len(args), sql)
			}
			for _, bad := range []string{";", "--", "/*"} {
				if strings.Contains(sql, bad) {
					t.Fatalf("SQL holds %q: %s", bad, sql)
				}
			}
		}
	})
}
