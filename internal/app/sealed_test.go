package app

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/demo/demotest"
	"github.com/guanxi-crm/guanxi/internal/privacy"
	"github.com/guanxi-crm/guanxi/internal/seal"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestSealedAtRest fills a shop the way the demo does — an import with
// merges, consent, segments, 90 days of tickets, messages, surveys and care
// — and then searches every text, JSON and binary column of every table for
// each customer's phone and e-mail in the clear: none may be found. The
// same search finds the customers' names, which are not sealed, so a
// search that finds nothing is not a search that cannot find.
func TestSealedAtRest(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := openTest(t, db)
		sh := demotest.Shop(t, a.DB, DemoShop, a.Clock.Now(), 400, 1200)
		if err := a.seedDemoMarketing(ctx, sh); err != nil {
			t.Fatal(err)
		}
		if err := a.seedDemoService(ctx, sh, io.Discard); err != nil {
			t.Fatal(err)
		}

		rows, err := a.DB.Query(ctx, `SELECT name, phone, email FROM customers WHERE shop_id = ?`, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		var secrets, names []string
		seen := map[string]bool{}
		for rows.Next() {
			var name, phone, email string
			if err := rows.Scan(&name, &phone, &email); err != nil {
				t.Fatal(err)
			}
			for _, v := range []string{phone, email} {
				if v != "" && !seal.IsSealed(v) {
					t.Fatalf("a customer's contact is stored as %q", v)
				}
			}
			if err := a.DB.Keys().OpenAll(seal.Phone(&phone), seal.Email(&email)); err != nil {
				t.Fatal(err)
			}
			// The whole number, and its national digits, however typed.
			for _, v := range []string{guanxi.NormalizePhone(phone), guanxi.NormalizeEmail(email)} {
				if v != "" && !seen[v] {
					seen[v] = true
					secrets = append(secrets, v)
				}
			}
			if len([]rune(name)) >= 3 && len(names) < 5 {
				names = append(names, name)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		// The demo's generator gives most of its 400 customers a phone or an
		// e-mail; how many differs with the day it runs on, so the floor
		// is a search with material, not an exact figure.
		if len(secrets) < 150 {
			t.Fatalf("only %d phones and e-mails to look for", len(secrets))
		}
		found, cols, err := privacy.Locate(ctx, a.DB, secrets)
		if err != nil {
			t.Fatal(err)
		}
		if cols < 200 {
			t.Fatalf("searched only %d columns", cols)
		}
		for i, p := range found {
			if i == 20 {
				t.Errorf("… %d places in all", len(found))
				break
			}
			t.Errorf("in the clear: %s", p)
		}
		// The search works: names, which are not sealed, are found.
		found, _, err = privacy.Locate(ctx, a.DB, names)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) == 0 {
			t.Fatalf("the search found none of the names %s", strings.Join(names, ", "))
		}
	})
}
