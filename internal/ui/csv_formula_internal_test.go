package ui

import (
	"encoding/csv"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/shop"
)

// formulaCells are cells a spreadsheet would run: each must come out with
// a leading quote.
var formulaCells = []string{"=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", `=HYPERLINK("http://x","点我")`}

// TestCSVDownloadsNeutraliseFormulas: the page CSVs — the dashboards'
// (customer names in churn.csv, provinces, segment names) and the
// scorecard's (team and agent names) — all go through writeCSV, which
// neutralises formula cells and leaves numbers, negative ones included,
// as numbers.
func TestCSVDownloadsNeutraliseFormulas(t *testing.T) {
	u := &UI{log: slog.New(slog.DiscardHandler)}
	rq := &request{shop: &shop.Shop{Code: "a"}}
	for name, table := range map[string]func(cell string) csvTable{
		// dashboard churn.csv's shape: id, name, contacts, province, ...
		"churn.csv": func(c string) csvTable {
			return csvTable{header: []string{"customer_id", "name", "phone", "province", "monetary", "reason_zh"},
				rows: [][]any{{c, c, c, c, guanxi.Money(-1250), c}}}
		},
		// dashboard provinces.csv: a province typed by a shop's customer
		"provinces.csv": func(c string) csvTable {
			return csvTable{header: []string{"province", "revenue", "orders"}, rows: [][]any{{c, guanxi.Money(100), int64(-3)}}}
		},
		// scorecard agents.csv: a team and an agent named by an admin
		"scorecard-agents.csv": func(c string) csvTable {
			return csvTable{header: []string{"team", "agent", "tickets"}, rows: [][]any{{c, c, int64(4)}}}
		},
	} {
		for _, cell := range formulaCells {
			rec := httptest.NewRecorder()
			u.writeCSV(rec, rq, name, table(cell))
			if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
				t.Fatalf("%s: content type %q", name, rec.Header().Get("Content-Type"))
			}
			rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), "\uFEFF"))).ReadAll()
			if err != nil || len(rows) != 2 {
				t.Fatalf("%s with %q: %v %q", name, cell, err, rec.Body.String())
			}
			n := 0
			for _, got := range rows[1] {
				switch got {
				case "'" + cell:
					n++
				case cell:
					t.Errorf("%s: cell %q written as a formula", name, cell)
				}
			}
			if n == 0 {
				t.Errorf("%s: %q not found neutralised in %q", name, cell, rows[1])
			}
			if name == "churn.csv" && rows[1][4] != "-12.50" {
				t.Errorf("%s: a negative amount became %q, want -12.50", name, rows[1][4])
			}
		}
	}
}
