package api_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/api"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/care"
	"github.com/guanxi-crm/guanxi/internal/kb"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/service"
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
		desk := service.NewService(db, nil)
		lcfg.Service = desk
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
		// And knowledge base articles and categories of shop a.
		kbs := kb.NewService(db, nil)
		var art *kb.Article
		var cat *kb.Category
		for i := range 5 {
			cat = &kb.Category{Name: fmt.Sprint("售后 ", i)}
			if err := kbs.CreateCategory(ctx, e.shopA.ID, cat); err != nil {
				t.Fatal(err)
			}
			art = &kb.Article{Title: fmt.Sprint("如何退货 ", i), Body: "在订单页申请", Language: kb.Chinese, Published: true}
			if err := kbs.CreateArticle(ctx, e.shopA.ID, art); err != nil {
				t.Fatal(err)
			}
		}
		// And a care rule of shop a.
		var careRule *care.Rule
		for i := range 5 {
			careRule = &care.Rule{Name: fmt.Sprint("生日 ", i), Enabled: true, Trigger: care.Birthday, Action: care.Tag, Params: care.Params{Tag: "生日"}}
			if err := e.care.Create(ctx, e.shopA.ID, careRule); err != nil {
				t.Fatal(err)
			}
		}
		// Likewise a ticket, a task and a canned reply of shop a.
		var ticket *service.Ticket
		var task *service.Task
		var canned *service.CannedReply
		for i := range 5 {
			ticket = &service.Ticket{Kind: service.Complaint, Subject: fmt.Sprint("漏发 ", i), CustomerID: id}
			if err := desk.Create(ctx, e.shopA.ID, ticket); err != nil {
				t.Fatal(err)
			}
			task = &service.Task{Kind: service.TaskFollowUp, Title: fmt.Sprint("回访 ", i), CustomerID: id, DueAt: e.now.Add(time.Hour)}
			if _, err := desk.OpenTask(ctx, e.shopA.ID, task); err != nil {
				t.Fatal(err)
			}
			canned = &service.CannedReply{Title: fmt.Sprint("致歉 ", i), Body: "抱歉 {{name|亲}}"}
			if err := desk.CreateCannedReply(ctx, e.shopA.ID, canned); err != nil {
				t.Fatal(err)
			}
		}
		att, err := desk.AddAttachment(ctx, e.shopA.ID, ticket.ID, "单据.txt", strings.NewReader("快递单号 SF123"))
		if err != nil {
			t.Fatal(err)
		}
		eventsBefore, err := desk.Events(ctx, e.shopA.ID, ticket.ID)
		if err != nil {
			t.Fatal(err)
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
			if strings.HasPrefix(ep.Path, "/kb/articles/{id}") {
				path = strings.Replace(ep.Path, "{id}", fmt.Sprint(art.ID), 1)
			}
			if strings.HasPrefix(ep.Path, "/kb/categories/{id}") {
				path = strings.Replace(ep.Path, "{id}", fmt.Sprint(cat.ID), 1)
			}
			if ep.Path == "/kb/search" {
				path += "?q=" + url.QueryEscape("退货")
			}
			if strings.HasPrefix(ep.Path, "/care/rules/{id}") {
				path = strings.Replace(ep.Path, "{id}", fmt.Sprint(careRule.ID), 1)
			}
			for prefix, rid := range map[string]int64{"/tickets/{id}": ticket.ID, "/tasks/{id}": task.ID, "/canned-replies/{id}": canned.ID, "/attachments/{id}": att.ID} {
				if strings.HasPrefix(ep.Path, prefix) {
					path = strings.Replace(ep.Path, "{id}", fmt.Sprint(rid), 1)
				}
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
			case strings.HasPrefix(ep.Path, "/kb/articles"):
				// Valid, so that only the token can refuse it.
				body = map[string]any{"title": "入侵者", "body": "x", "language": "zh", "published": true, "version": art.Version}
			case strings.HasPrefix(ep.Path, "/kb/categories"):
				body = map[string]any{"name": "入侵者", "version": cat.Version}
			case strings.HasPrefix(ep.Path, "/care/rules"):
				// Valid, so that only the token can refuse it.
				body = map[string]any{"name": "入侵者", "trigger": "dormant", "days": 30, "action": "tag", "params": map[string]any{"tag": "x"}, "version": careRule.Version}
				if ep.Method == "POST" {
					delete(body.(map[string]any), "version")
				}
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
			case strings.HasPrefix(ep.Path, "/tickets"), strings.HasPrefix(ep.Path, "/tasks"), strings.HasPrefix(ep.Path, "/canned-replies"):
				// Valid where it can be, so that only the token refuses it.
				body = map[string]any{"version": 1}
				switch {
				case ep.Path == "/tickets":
					body = map[string]any{"kind": "consultation", "subject": "入侵者", "customer_id": id}
				case ep.Path == "/tasks":
					body = map[string]any{"kind": "follow_up", "title": "入侵者", "customer_id": id, "due_at": "2025-07-01T10:00:00+08:00"}
				case strings.HasSuffix(ep.Path, "/notes"), strings.HasSuffix(ep.Path, "/replies"):
					body = map[string]any{"body": "入侵者"}
				case strings.HasSuffix(ep.Path, "/transition"):
					body = map[string]any{"version": 1, "to": "confirmed"}
				case strings.HasSuffix(ep.Path, "/priority"):
					body = map[string]any{"version": 1, "priority": "urgent"}
				case strings.HasSuffix(ep.Path, "/finish"):
					body = map[string]any{"version": 1, "outcome": "入侵者"}
				case strings.HasPrefix(ep.Path, "/canned-replies"):
					body = map[string]any{"version": 1, "title": "入侵者", "body": "x"}
				}
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
		if got, err := kbs.Article(ctx, e.shopA.ID, art.ID); err != nil || got.Title != art.Title || got.Version != art.Version {
			t.Errorf("a refused write changed shop a's article %d: %+v, %v", art.ID, got, err)
		}
		if got, err := kbs.Category(ctx, e.shopA.ID, cat.ID); err != nil || got.Name != cat.Name {
			t.Errorf("a refused write changed shop a's category %d: %+v, %v", cat.ID, got, err)
		}
		if got, err := e.care.Get(ctx, e.shopA.ID, careRule.ID); err != nil || got.Name != careRule.Name || got.Version != careRule.Version {
			t.Errorf("a refused write changed shop a's care rule %d: %+v, %v", careRule.ID, got, err)
		}
		if rs, _ := e.care.List(ctx, e.shopA.ID); len(rs) != 5 {
			t.Errorf("shop a has %d care rules after the walk, want 5", len(rs))
		}
		if runs, _ := e.care.Runs(ctx, e.shopA.ID, 0, 10); len(runs) != 0 {
			t.Errorf("a refused run ran shop a's rule: %+v", runs)
		}
		if got, err := desk.Get(ctx, e.shopA.ID, ticket.ID); err != nil || got.Version != ticket.Version || got.Status != ticket.Status {
			t.Errorf("a refused write changed shop a's ticket %d: %+v, %v", ticket.ID, got, err)
		}
		if as, err := desk.Attachments(ctx, e.shopA.ID, ticket.ID); err != nil || len(as) != 1 {
			t.Errorf("shop a's ticket %d has %d attachments after the walk, want 1 (%v)", ticket.ID, len(as), err)
		}
		if evs, err := desk.Events(ctx, e.shopA.ID, ticket.ID); err != nil || len(evs) != len(eventsBefore) {
			t.Errorf("a refused write added to shop a's ticket %d: %d events, %v", ticket.ID, len(evs), err)
		}
		if ts, err := desk.List(ctx, e.shopA.ID, service.Filter{}); err != nil || len(ts) != 5 {
			t.Errorf("shop a has %d tickets after the walk, want 5 (%v)", len(ts), err)
		}
		if got, err := desk.Task(ctx, e.shopA.ID, task.ID); err != nil || got.Version != task.Version || got.Status != service.TaskOpen {
			t.Errorf("a refused write changed shop a's task %d: %+v, %v", task.ID, got, err)
		}
		if got, err := desk.CannedReply(ctx, e.shopA.ID, canned.ID); err != nil || got.Version != canned.Version {
			t.Errorf("a refused write changed shop a's canned reply %d: %+v, %v", canned.ID, got, err)
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
