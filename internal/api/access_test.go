package api_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/api"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
	"github.com/guanxi-crm/guanxi/internal/survey"
)

// TestAccessMatrix calls every endpoint with no token, a revoked token, a
// token holding every scope but the one the endpoint needs, and a token of
// another shop holding every scope, and asserts each is refused: 401, 401,
// 403, and 404 for a record of the other shop (its existence is not
// confirmed). A write refused must change nothing.
func TestAccessMatrix(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		lcfg := loyaltyConfig(db)
		e := newEnv(t, db, lcfg)
		ctx := context.Background()
		// A customer of shop a whose id shop b does not have.
		var id int64
		if err := db.QueryRow(ctx, `SELECT MAX(id) FROM customers WHERE shop_id = ? AND merged_into IS NULL`, e.shopA.ID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := e.customers.Get(ctx, e.shopB.ID, id); err == nil {
			t.Fatalf("customer %d is in both shops: the fixture needs a larger shop a", id)
		}
		var orderID int64
		if err := db.QueryRow(ctx, `SELECT MAX(id) FROM orders WHERE shop_id = ?`, e.shopA.ID).Scan(&orderID); err != nil {
			t.Fatal(err)
		}
		var platform, external string
		if err := db.QueryRow(ctx, `SELECT platform, external_id FROM orders WHERE shop_id = ? AND id = ?`, e.shopA.ID, orderID).Scan(&platform, &external); err != nil {
			t.Fatal(err)
		}
		before, _ := e.customers.Get(ctx, e.shopA.ID, id)
		pointsBefore, err := lcfg.Loyalty.Balance(ctx, e.shopA.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		var amountBefore int64
		if err := db.QueryRow(ctx, `SELECT amount FROM orders WHERE shop_id = ? AND id = ?`, e.shopA.ID, orderID).Scan(&amountBefore); err != nil {
			t.Fatal(err)
		}
		revoked, tok, err := e.auth.CreateToken(ctx, e.shopA.ID, "revoked", auth.Scopes, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.auth.RevokeToken(ctx, e.shopA.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		// A saved segment of shop a whose id shop b does not have: segment
		// ids count per shop, and the walk creates one in shop b.
		rule := map[string]any{"field": "province", "op": "eq", "value": "浙江"}
		var seg *segment.Segment
		for i := range 5 {
			seg = &segment.Segment{Name: fmt.Sprint("浙江 ", i), Rule: mustRule(t, rule)}
			if err := e.segments.Create(ctx, e.shopA.ID, seg); err != nil {
				t.Fatal(err)
			}
		}
		// Likewise a draft campaign of shop a.
		var camp *campaign.Campaign
		for i := range 5 {
			camp = &campaign.Campaign{Name: fmt.Sprint("上新 ", i), Rule: mustRule(t, rule), Channel: campaign.SMS, Body: "新茶到店"}
			if err := e.campaigns.Create(ctx, e.shopA.ID, camp); err != nil {
				t.Fatal(err)
			}
		}
		// And a draft survey of shop a.
		var sv *survey.Survey
		for i := range 5 {
			sv = &survey.Survey{Kind: survey.NPS, Title: fmt.Sprint("推荐度 ", i), Channel: campaign.SMS, SegmentID: seg.ID}
			if err := e.surveys.Create(ctx, e.shopA.ID, sv); err != nil {
				t.Fatal(err)
			}
		}
		other := e.token(t, e.shopB, auth.Scopes...)
		r := strings.NewReplacer("{id}", fmt.Sprint(id), "{tag}", "vip", "{platform}", platform, "{external_id}", external)
		for _, ep := range api.Endpoints() {
			if ep.Scope == "" {
				continue // the webhook: signed, tested in write_test.go
			}
			path := r.Replace(ep.Path)
			if strings.HasPrefix(ep.Path, "/orders/{id}") {
				path = strings.Replace(ep.Path, "{id}", fmt.Sprint(orderID), 1)
			}
			if strings.HasPrefix(ep.Path, "/saved-segments/{id}") {
				path = strings.Replace(ep.Path, "{id}", fmt.Sprint(seg.ID), 1)
			}
			if strings.HasPrefix(ep.Path, "/campaigns/{id}") {
				path = strings.Replace(ep.Path, "{id}", fmt.Sprint(camp.ID), 1)
			}
			if strings.HasPrefix(ep.Path, "/surveys/{id}") {
				path = strings.Replace(ep.Path, "{id}", fmt.Sprint(sv.ID), 1)
			}
			var body any = map[string]any{"name": "入侵者", "version": before.Version, "tags": []string{"x"}}
			switch {
			case strings.HasSuffix(ep.Path, "/tags"):
				body = map[string]any{"tags": []string{"x"}}
			case ep.Path == "/segments/count":
				body = rule
			case strings.HasSuffix(ep.Path, "/points"):
				// Valid, so that only the token can refuse it.
				body = map[string]any{"action": "adjust", "points": 5, "reason": "入侵者"}
			case strings.HasPrefix(ep.Path, "/saved-segments"):
				// Valid, so that only the token can refuse it.
				body = map[string]any{"name": "入侵者", "rule": map[string]any{"field": "city", "op": "eq", "value": "x"}}
			case strings.HasPrefix(ep.Path, "/surveys"):
				// Valid, so that only the token can refuse it.
				body = map[string]any{"kind": "nps", "title": "入侵者", "channel": "sms", "version": sv.Version}
				if ep.Method == "POST" && ep.Path == "/surveys" {
					body = map[string]any{"kind": "nps", "title": "入侵者"}
				}
			case strings.HasPrefix(ep.Path, "/campaigns"):
				c := map[string]any{"name": "入侵者", "rule": map[string]any{"field": "city", "op": "eq", "value": "x"}, "channel": "sms", "body": "x"}
				if ep.Method == "PUT" {
					c["version"] = camp.Version
				}
				body = c
			}
			what := ep.Method + " " + ep.Path
			if st, b := e.do(t, ep.Method, "", path, body, nil); st != 401 {
				t.Errorf("%s without a token: %d %s", what, st, b)
			}
			if st, b := e.do(t, ep.Method, revoked, path, body, nil); st != 401 {
				t.Errorf("%s with a revoked token: %d %s", what, st, b)
			}
			var rest []string
			for _, s := range auth.Scopes {
				if s != ep.Scope {
					rest = append(rest, s)
				}
			}
			if st, b := e.do(t, ep.Method, e.token(t, e.shopA, rest...), path, body, nil); st != 403 || errorCode(t, b) != "forbidden" {
				t.Errorf("%s without scope %s: %d %s", what, ep.Scope, st, b)
			}
			// Another shop's token: a record of shop a is not found; a list,
			// a create or a PUT by order number acts on shop b's own records
			// only (checked below: shop a unchanged).
			st, b := e.do(t, ep.Method, other, path, body, nil)
			if strings.Contains(ep.Path, "{id}") && st != 404 {
				t.Errorf("%s with shop b's token on shop a's record: %d %.200s", what, st, b)
			}
			if st >= 500 {
				t.Errorf("%s with shop b's token: %d %s", what, st, b)
			}
		}
		var amount int64
		if err := db.QueryRow(ctx, `SELECT amount FROM orders WHERE shop_id = ? AND id = ?`, e.shopA.ID, orderID).Scan(&amount); err != nil {
			t.Fatalf("shop a's order %d after the walk: %v", orderID, err)
		}
		if amount != amountBefore {
			t.Errorf("shop b's token changed shop a's order %d: amount %d → %d", orderID, amountBefore, amount)
		}
		if got, err := e.segments.Get(ctx, e.shopA.ID, seg.ID); err != nil || got.Name != seg.Name || string(got.Rule.JSON()) != string(seg.Rule.JSON()) {
			t.Errorf("a refused write changed shop a's segment %d: %+v, %v", seg.ID, got, err)
		}
		if segs, _ := e.segments.List(ctx, e.shopA.ID); len(segs) != 5 {
			t.Errorf("shop a has %d segments after the walk, want 5", len(segs))
		}
		if bal, err := lcfg.Loyalty.Balance(ctx, e.shopA.ID, id); err != nil || bal != pointsBefore {
			t.Errorf("a refused write changed shop a's customer's points: %d → %d (%v)", pointsBefore, bal, err)
		}
		if got, err := e.campaigns.Get(ctx, e.shopA.ID, camp.ID); err != nil || got.Name != camp.Name || got.Status != campaign.Draft || got.Version != camp.Version {
			t.Errorf("a refused write changed shop a's campaign %d: %+v, %v", camp.ID, got, err)
		}
		if cs, _ := e.campaigns.List(ctx, e.shopA.ID); len(cs) != 5 {
			t.Errorf("shop a has %d campaigns after the walk, want 5", len(cs))
		}
		if got, err := e.surveys.Get(ctx, e.shopA.ID, sv.ID); err != nil || got.Title != sv.Title || got.Status != survey.Draft || got.Version != sv.Version {
			t.Errorf("a refused write changed shop a's survey %d: %+v, %v", sv.ID, got, err)
		}
		if ss, _ := e.surveys.List(ctx, e.shopA.ID); len(ss) != 5 {
			t.Errorf("shop a has %d surveys after the walk, want 5", len(ss))
		}
		after, _ := e.customers.Get(ctx, e.shopA.ID, id)
		if after.Version != before.Version || after.Name != before.Name || slices.Contains(after.Tags, "x") {
			t.Errorf("a refused write changed shop a's customer: %+v → %+v", before, after)
		}
	})
}
