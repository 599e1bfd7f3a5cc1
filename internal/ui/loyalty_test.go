package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/coupon"
	"github.com/guanxi-crm/guanxi/internal/loyalty"
)

// loyaltySvc is the loyalty service over the env's database.
func (e *env) loyaltySvc() *loyalty.Service { return loyalty.NewService(e.db, guanxi.SystemClock{}) }

// couponsSvc is the coupon service over the env's database.
func (e *env) couponsSvc() *coupon.Service {
	return coupon.NewService(e.db, guanxi.SystemClock{}, e.segmentsSvc())
}

// audited reports whether the shop's audit log has an entry of the action.
func (e *env) audited(t *testing.T, shopID int64, action string) bool {
	t.Helper()
	got, err := audit.NewService(e.db, guanxi.SystemClock{}).List(context.Background(), shopID, audit.Filter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return len(got) > 0
}

func TestLoyaltySettings(t *testing.T) {
	storetestEngines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.client(t)
		c.signIn("alice")
		csrf := c.csrfOn("/s/a/loyalty")
		form := url.Values{"csrf_token": {csrf}, "points_per_yuan": {"2"}, "point_value": {"0.05"}, "expiry_months": {"6"},
			"tier_basis": {"spend"}, "tier_name": {"银卡", "金卡", ""}, "tier_threshold": {"100", "1000", ""}}
		if p := c.post("/s/a/loyalty", form); p.status != http.StatusSeeOther || p.header.Get("Location") != "/s/a/loyalty?saved=1" {
			t.Fatalf("save settings: %d %q\n%.500s", p.status, p.header.Get("Location"), p.body)
		}
		st, err := e.loyaltySvc().Settings(ctx, e.shopA.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.PointsPerYuan != 2 || st.PointValue != 5 || st.ExpiryMonths != 6 || st.TierBasis != loyalty.BasisSpend ||
			len(st.Tiers) != 2 || st.Tiers[0].Name != "银卡" || st.Tiers[0].MinSpend != 10000 || st.Tiers[1].MinSpend != 100000 {
			t.Errorf("saved settings: %+v", st)
		}
		if !e.audited(t, e.shopA.ID, "loyalty.settings") {
			t.Error("saving the settings wrote no audit entry")
		}
		p := c.get("/s/a/loyalty?saved=1")
		for _, want := range []string{"积分规则已保存", `value="银卡"`, `value="1000.00"`, `id="chart-data"`, `id="expiry"`, "loyalty.js", "积分负债"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("loyalty page lacks %q", want)
			}
		}

		// Tiers out of order are refused, and the form comes back as typed.
		bad := url.Values{"csrf_token": {csrf}, "points_per_yuan": {"3"}, "point_value": {"0.01"}, "expiry_months": {"0"},
			"tier_basis": {"spend"}, "tier_name": {"金卡", "银卡"}, "tier_threshold": {"1000", "100"}}
		if p := c.post("/s/a/loyalty", bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="loyalty-error"`) || !strings.Contains(p.body, `value="3"`) {
			t.Errorf("tiers out of order: %d\n%.500s", p.status, p.body)
		}
		if st2, _ := e.loyaltySvc().Settings(ctx, e.shopA.ID); st2.PointsPerYuan != 2 {
			t.Errorf("a refused form changed the settings: %+v", st2)
		}
		if p := c.post("/s/a/loyalty", url.Values{"csrf_token": {csrf}, "points_per_yuan": {"x"}}); p.status != http.StatusBadRequest {
			t.Errorf("points per yuan not a number: %d", p.status)
		}

		// Others read the rules but get no form, and may not save.
		agent := e.client(t)
		agent.signIn("multi")
		if p := agent.get("/s/a/loyalty"); p.status != http.StatusOK || strings.Contains(p.body, `id="loyalty-form"`) {
			t.Errorf("agent on the loyalty page: %d, form shown: %v", p.status, strings.Contains(p.body, `id="loyalty-form"`))
		}
		if p := agent.post("/s/a/loyalty", url.Values{"csrf_token": {agent.csrfOn("/s/a/loyalty")}, "points_per_yuan": {"9"}}); p.status != http.StatusForbidden {
			t.Errorf("agent saving the settings: %d", p.status)
		}
	})
}

func TestPointsAdjust(t *testing.T) {
	storetestEngines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		wang := e.customerID(t, e.shopA, "王芳")
		path := "/s/a/customers/" + itoa(wang)
		c := e.client(t)
		c.signIn("multi") // an agent
		csrf := c.csrfOn(path)
		if p := c.post(path+"/points", url.Values{"csrf_token": {csrf}, "points": {"+120"}, "reason": {"投诉补偿"}}); p.status != http.StatusSeeOther {
			t.Fatalf("add points: %d\n%.500s", p.status, p.body)
		}
		if bal, _ := e.loyaltySvc().Balance(ctx, e.shopA.ID, wang); bal != 120 {
			t.Errorf("balance after +120: %d", bal)
		}
		if !e.audited(t, e.shopA.ID, "loyalty.adjust") {
			t.Error("the adjustment wrote no audit entry")
		}
		p := c.get(path + "?saved=points")
		for _, want := range []string{`id="points-balance">120`, "投诉补偿", "积分已调整", "手工调整", `action="/s/a/customers/` + itoa(wang) + `/points"`} {
			if !strings.Contains(p.body, want) {
				t.Errorf("customer page lacks %q", want)
			}
		}

		// Taking more than the balance is refused, and nothing changes.
		p = c.post(path+"/points", url.Values{"csrf_token": {csrf}, "points": {"-500"}, "reason": {"兑换礼品"}})
		if p.status != http.StatusConflict || !strings.Contains(p.body, "积分不足") || !strings.Contains(p.body, `value="-500"`) {
			t.Errorf("taking 500 of 120: %d\n%.300s", p.status, p.body)
		}
		if bal, _ := e.loyaltySvc().Balance(ctx, e.shopA.ID, wang); bal != 120 {
			t.Errorf("balance after a refused debit: %d", bal)
		}
		for _, f := range []url.Values{{"points": {"10"}}, {"points": {"ten"}, "reason": {"x"}}, {"points": {"0"}, "reason": {"x"}}} {
			f.Set("csrf_token", csrf)
			if p := c.post(path+"/points", f); p.status != http.StatusBadRequest {
				t.Errorf("adjust %v: %d", f, p.status)
			}
		}
		if p := c.post(path+"/points", url.Values{"csrf_token": {csrf}, "points": {"-20"}, "reason": {"兑换"}}); p.status != http.StatusSeeOther {
			t.Errorf("take 20: %d", p.status)
		}
		if bal, _ := e.loyaltySvc().Balance(ctx, e.shopA.ID, wang); bal != 100 {
			t.Errorf("balance after -20: %d", bal)
		}

		// Care staff see the points but may not adjust them.
		care := e.client(t)
		care.signIn("carl")
		if p := care.get(path); p.status != http.StatusOK || !strings.Contains(p.body, `id="points-balance">100`) || strings.Contains(p.body, "points-form") {
			t.Errorf("care on the customer page: %d", p.status)
		}
		if p := care.post(path+"/points", url.Values{"csrf_token": {care.csrfOn(path)}, "points": {"5"}, "reason": {"x"}}); p.status != http.StatusForbidden {
			t.Errorf("care adjusting points: %d", p.status)
		}
		// A customer the shop does not have is not found (ids count per shop).
		bob := e.client(t)
		bob.signIn("bob")
		if p := bob.post("/s/b/customers/999999/points", url.Values{"csrf_token": {bob.csrfOn("/s/b/customers")}, "points": {"5"}, "reason": {"x"}}); p.status != http.StatusNotFound {
			t.Errorf("adjusting a customer shop b does not have: %d", p.status)
		}
	})
}

func TestCouponPages(t *testing.T) {
	storetestEngines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		segID := e.createSegment(t, e.shopA, "广东客户", guangdong)
		c := e.client(t)
		c.signIn("carl") // care staff
		csrf := c.csrfOn("/s/a/coupons")
		form := url.Values{"csrf_token": {csrf}, "name": {"双十一立减"}, "kind": {"amount"}, "value": {"20"}, "min_spend": {"199"}, "valid_days": {"30"}, "code_prefix": {"d11"}}
		if p := c.post("/s/a/coupons", form); p.status != http.StatusSeeOther || p.header.Get("Location") != "/s/a/coupons?done=created" {
			t.Fatalf("create template: %d %q\n%.500s", p.status, p.header.Get("Location"), p.body)
		}
		list, err := e.couponsSvc().List(ctx, e.shopA.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("templates: %v %v", list, err)
		}
		tpl := list[0]
		if tpl.Name != "双十一立减" || tpl.Value != 2000 || tpl.MinSpend != 19900 || tpl.ValidDays != 30 || tpl.CodePrefix != "D11" {
			t.Errorf("template saved: %+v", tpl.Template)
		}
		if !e.audited(t, e.shopA.ID, "coupon.template.create") {
			t.Error("creating the template wrote no audit entry")
		}
		bad := url.Values{"csrf_token": {csrf}, "name": {"坏模板"}, "kind": {"percent"}, "value": {"150"}, "valid_days": {"30"}}
		if p := c.post("/s/a/coupons", bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="coupon-error"`) || !strings.Contains(p.body, `value="坏模板"`) {
			t.Errorf("150%% off: %d\n%.300s", p.status, p.body)
		}

		// Issue to a saved segment: Guangdong is 李雷 alone.
		issue := "/s/a/coupons/" + itoa(tpl.ID) + "/issue"
		p := c.post(issue, url.Values{"csrf_token": {csrf}, "segment": {itoa(segID)}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("issue: %d\n%.500s", p.status, p.body)
		}
		p = c.get(p.header.Get("Location"))
		if !strings.Contains(p.body, "已向分群「广东客户」发放 1 张优惠券") {
			t.Errorf("the page does not say how many were issued:\n%.2000s", p.body)
		}
		li := e.customerID(t, e.shopA, "李雷")
		if got, _ := e.couponsSvc().ForCustomer(ctx, e.shopA.ID, li, 0); len(got) != 1 || !strings.HasPrefix(got[0].Code, "D11") {
			t.Errorf("李雷's coupons: %+v", got)
		}
		if !strings.Contains(p.body, "<td data-label=\"已发放\" class=\"num\">1</td>") {
			t.Errorf("the list does not show 1 issued")
		}
		if p := c.post(issue, url.Values{"csrf_token": {csrf}, "segment": {"9999"}}); p.status != http.StatusNotFound {
			t.Errorf("issue to no such segment: %d", p.status)
		}

		// Archived: no more codes.
		if p := c.post("/s/a/coupons/"+itoa(tpl.ID)+"/archive", url.Values{"csrf_token": {csrf}}); p.status != http.StatusSeeOther {
			t.Fatalf("archive: %d", p.status)
		}
		if p := c.post(issue, url.Values{"csrf_token": {csrf}, "segment": {itoa(segID)}}); p.status != http.StatusBadRequest {
			t.Errorf("issue from an archived template: %d", p.status)
		}

		// Analysts read the figures, with no forms.
		ann := e.client(t)
		ann.signIn("ann")
		if p := ann.get("/s/a/coupons"); p.status != http.StatusOK || !strings.Contains(p.body, "双十一立减") || strings.Contains(p.body, `id="coupon-form"`) {
			t.Errorf("analyst on the coupon page: %d", p.status)
		}
		if p := ann.post("/s/a/coupons", url.Values{"csrf_token": {ann.csrfOn("/s/a/coupons")}, "name": {"x"}}); p.status != http.StatusForbidden {
			t.Errorf("analyst creating a template: %d", p.status)
		}
		// Shop b has no template: shop a's is not found there.
		bob := e.client(t)
		bob.signIn("bob")
		if p := bob.post("/s/b/coupons/"+itoa(tpl.ID)+"/archive", url.Values{"csrf_token": {bob.csrfOn("/s/b/coupons")}}); p.status != http.StatusNotFound {
			t.Errorf("archiving shop a's template in shop b: %d", p.status)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
