package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/report"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// The command line's CSV outputs — `guanxi report … --format csv` and
// `guanxi dedupe --format csv` — carry the shop's own text (provinces,
// channels, customer names): a cell a spreadsheet would run comes out with
// a leading quote.
func TestCommandCSVsNeutraliseFormulas(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	a := openTest(t, db)
	cells := []string{"=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"}
	var in strings.Builder
	w := csv.NewWriter(&in)
	w.Write([]string{"order_id", "order_date", "customer_id", "amount", "customer_name", "email", "province", "channel"})
	for i, c := range cells {
		// Two customers per payload with the same name and e-mail: a
		// duplicate candidate for dedupe.
		for j := range 2 {
			id := string(rune('a'+i)) + string(rune('0'+j))
			w.Write([]string{"O" + id, "2025-03-0" + string(rune('1'+j)), "C" + id, "10.00", c, "dup" + string(rune('a'+i)) + "@example.com", c, c})
		}
	}
	w.Flush()
	file := filepath.Join(t.TempDir(), "orders.csv")
	if err := os.WriteFile(file, []byte(in.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := a.Import(ctx, ImportConfig{Shop: "s1", ShopName: "西湖茶庄", Files: []string{file}}, io.Discard); err != nil {
		t.Fatal(err)
	}
	check := func(what string, out []byte, col int) {
		t.Helper()
		rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v\n%s", what, err, out)
		}
		got := map[string]bool{}
		for _, r := range rows[1:] {
			got[strings.ToLower(r[col])] = true // channels are kept in lower case
		}
		for _, c := range cells {
			c = strings.ToLower(strings.TrimSpace(c)) // the importer may trim what it reads
			if got[c] {
				t.Errorf("%s: %q written as a formula", what, c)
			}
		}
		for _, c := range []string{"=1+1", "+cmd", "-2+3", "@SUM(A1)"} {
			if !got["'"+strings.ToLower(c)] {
				t.Errorf("%s: %q not neutralised in %v", what, c, got)
			}
		}
	}
	for _, by := range []string{"province", "channel"} {
		var out bytes.Buffer
		if err := a.Report(ctx, ReportConfig{Shop: "s1", Kind: "cube", Cube: report.CubeQuery{By: []string{by}}, Format: "csv"}, &out); err != nil {
			t.Fatal(err)
		}
		check("report cube by "+by, out.Bytes(), 0)
	}
	// Duplicate candidates named with the payloads: pairs sharing a phone,
	// added as they would be by two platforms' imports.
	sh, err := a.Shop(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cells {
		for j := range 2 {
			id := int64(1000 + 2*i + j)
			if _, err := a.DB.Exec(ctx, `INSERT INTO customers (shop_id, id, name, phone, email, province, city, address, tags, created_at, updated_at)
VALUES (?, ?, ?, ?, '', '', '', '', '[]', ?, ?)`, sh.ID, id, c, a.DB.Keys().Seal("phone", "1390000000"+string(rune('0'+i))), 1_700_000_000+id, 1_700_000_000+id); err != nil {
				t.Fatal(err)
			}
		}
	}
	var out bytes.Buffer
	if err := a.Dedupe(ctx, DedupeConfig{Shop: "s1", Format: "csv"}, &out); err != nil {
		t.Fatal(err)
	}
	rows, _ := csv.NewReader(bytes.NewReader(out.Bytes())).Read()
	col := -1
	for i, h := range rows {
		if strings.Contains(h, "name") {
			col = i
			break
		}
	}
	if col < 0 {
		t.Fatalf("dedupe csv has no name column: %q", out.String())
	}
	check("dedupe", out.Bytes(), col)
}
