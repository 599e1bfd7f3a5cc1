package ui_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/care"
	"github.com/guanxi-crm/guanxi/internal/coupon"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/kb"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/survey"
)

// TestObjectsOfAnotherShop (IDOR/BOLA): ids count per shop, so shop b's
// URL with the id of one of shop a's records must look the record up in
// shop b and find nothing. Shop a gets one record of every kind a page
// opens by id (segment, campaign, coupon template, care rule, ticket, task,
// KB article and category, canned reply, survey, and a customer id shop b
// lacks); shop b gets none of them. Shop b's admin then calls every route
// with an {id} under /s/b/, GET and POST with a valid CSRF token and a
// plausible form: none answers 2xx or shows shop a's text, and the
// database is unchanged.
func TestObjectsOfAnotherShop(t *testing.T) {
	storetestEngines(t, func(t *testing.T, e *env) {
		ctx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
		const secret = "甲店机密"
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		// A customer id shop a has and shop b lacks (ids count per shop):
		// shop a's import is given more customers when there is none.
		var cust int64
		csv := "order_id,order_date,customer_id,status,refunded_amount,channel,province,city,customer_name,phone,email,sku,product_name,quantity,unit_price\n"
		for i := range 20 {
			csv += fmt.Sprintf("IDOR%d,2025-03-01T10:15:00+08:00,IDOR%d,completed,,taobao,浙江省,杭州市,客户%d,,,SKU,茶,1,10.00\n", i, i, i)
		}
		path := filepath.Join(t.TempDir(), "more.csv")
		must(os.WriteFile(path, []byte(csv), 0o644))
		if _, err := importer.NewService(e.db, guanxi.SystemClock{}, slog.New(slog.DiscardHandler)).ImportFile(ctx, e.shopA, path, importer.Options{Format: "generic"}); err != nil {
			t.Fatal(err)
		}
		q := `SELECT COALESCE(MAX(id), 0) FROM customers c WHERE shop_id = ? AND merged_into IS NULL
AND NOT EXISTS (SELECT 1 FROM customers o WHERE o.shop_id = ? AND o.id = c.id)`
		must(e.db.QueryRow(ctx, q, e.shopA.ID, e.shopB.ID).Scan(&cust))
		if cust == 0 {
			t.Fatal("fixture: every customer id of shop a is one of shop b too")
		}
		seg := e.createSegment(t, e.shopA, secret, `{"field":"orders_count","op":"gte","value":0}`)
		must(e.campaigns.Create(ctx, e.shopA.ID, &campaign.Campaign{Name: secret, Purpose: campaign.Marketing, SegmentID: seg, Channel: campaign.Email, Subject: secret, Body: secret}))
		must(e.couponsSvc().CreateTemplate(ctx, e.shopA.ID, &coupon.Template{Name: secret, Kind: coupon.KindAmount, Value: 500, ValidDays: 30}))
		must(e.care.Create(ctx, e.shopA.ID, &care.Rule{Name: secret, Enabled: true, Trigger: care.Dormant, Days: 30, Action: care.Tag, Params: care.Params{Tag: "x"}}))
		desk := e.deskSvc()
		tk := &service.Ticket{Kind: service.Complaint, Subject: secret, Body: secret, CustomerID: cust}
		must(desk.Create(ctx, e.shopA.ID, tk))
		_, err := desk.OpenTask(ctx, e.shopA.ID, &service.Task{Kind: service.TaskFollowUp, Title: secret, CustomerID: cust, DueAt: time.Now().Add(time.Hour)})
		must(err)
		must(desk.CreateCannedReply(ctx, e.shopA.ID, &service.CannedReply{Title: secret, Body: secret}))
		kbs := kb.NewService(e.db, nil)
		must(kbs.CreateCategory(ctx, e.shopA.ID, &kb.Category{Name: secret}))
		must(kbs.CreateArticle(ctx, e.shopA.ID, &kb.Article{Title: secret, Body: secret, Language: kb.Chinese, Published: true}))
		must(e.surveys.Create(ctx, e.shopA.ID, &survey.Survey{Kind: survey.NPS, Title: secret, Channel: campaign.SMS, SegmentID: seg}))

		bob := e.client(t)
		bob.signIn("bob")
		csrf := bob.csrfOn("/s/b/customers")
		before := fingerprint(t, e.db)
		walked := 0
		for _, pat := range e.routes {
			method, p, _ := strings.Cut(pat, " ")
			if !strings.Contains(p, "{id}") || !strings.HasPrefix(p, "/s/{shop}/") {
				continue
			}
			id := int64(1)
			if strings.HasPrefix(p, "/s/{shop}/customers/") || strings.HasPrefix(p, "/s/{shop}/merges/") {
				id = cust
			}
			p = strings.ReplaceAll(p, "{shop}", "b")
			p = strings.ReplaceAll(p, "{id}", fmt.Sprint(id))
			p = strings.ReplaceAll(p, "{action}", "activate")
			p = paramRe.ReplaceAllString(p, "1")
			walked++
			var got page
			if method == http.MethodGet {
				got = bob.get(p)
			} else {
				got = bob.post(p, url.Values{"csrf_token": {csrf}, "name": {"改"}, "title": {"改"}, "subject": {"改"}, "body": {"改"},
					"note": {"改"}, "outcome": {"改"}, "status": {"done"}, "reason": {"改"}, "points": {"100"}, "version": {"1"}})
			}
			if got.status < 300 || got.status >= 500 {
				t.Errorf("bob %s %s: %d, want 404 (a client error at least)", method, p, got.status)
			}
			if got.status == http.StatusSeeOther && !slices.Contains([]string{"/login"}, got.header.Get("Location")) {
				t.Errorf("bob %s %s: 303 to %q, as if it worked", method, p, got.header.Get("Location"))
			}
			mustNotContain(t, method+" "+p, got.body, secret)
		}
		if walked < 30 {
			t.Errorf("walked %d routes with an id", walked)
		}
		if after := fingerprint(t, e.db); after != before {
			t.Errorf("shop b's admin changed the database through ids of shop a:\nbefore %s\nafter  %s", before, after)
		}
	})
}
