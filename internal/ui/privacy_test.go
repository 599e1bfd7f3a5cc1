package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestCustomerPrivacy: an admin sees the consent history and the data
// rights card, exports the customer's data and erases it (confirmation and
// reason required); the page then says 已删除个人信息. Other roles see no card.
func TestCustomerPrivacy(t *testing.T) {
	storetestEngines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		id := e.customerID(t, e.shopA, "王芳")
		if _, err := e.db.Exec(ctx, `INSERT INTO customer_consents (shop_id, customer_id, channel, purpose, granted, source, at) VALUES (?, ?, 'sms', 'marketing', TRUE, 'ui', 100)
ON CONFLICT (shop_id, customer_id, channel, purpose) DO UPDATE SET granted = excluded.granted, source = excluded.source, at = excluded.at`, e.shopA.ID, id); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.Exec(ctx, `UPDATE customer_consents SET granted = FALSE, source = 'unsubscribe', at = 200 WHERE shop_id = ? AND customer_id = ? AND channel = 'sms'`, e.shopA.ID, id); err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/s/a/customers/%d", id)

		carl := e.client(t)
		carl.signIn("carl")
		if p := carl.get(path); p.status != 200 || strings.Contains(p.body, "export-form") || !strings.Contains(p.body, "consent-log") {
			t.Errorf("care user's page: %d, export form shown or consent history missing", p.status)
		}

		c := e.client(t)
		c.signIn("alice")
		p := c.get(path)
		if p.status != 200 || !strings.Contains(p.body, `id="export-form"`) || !strings.Contains(p.body, `id="erase-form"`) || !strings.Contains(p.body, "unsubscribe") {
			t.Fatalf("admin's page: %d\n%.500s", p.status, p.body)
		}
		csrf := c.csrfOn(path)
		got := c.post(path+"/export", url.Values{"csrf_token": {csrf}, "format": {"json"}, "reason": {"客户申请"}})
		var doc struct {
			CustomerID int64                       `json:"customer_id"`
			Tables     map[string][]map[string]any `json:"tables"`
		}
		if got.status != 200 || json.Unmarshal([]byte(got.body), &doc) != nil || doc.CustomerID != id || len(doc.Tables["consent_log"]) < 2 {
			t.Fatalf("export: %d %.300s", got.status, got.body)
		}
		if got := c.post(path+"/erase", url.Values{"csrf_token": {csrf}, "reason": {"客户申请"}}); got.status != http.StatusBadRequest {
			t.Errorf("erase unconfirmed: %d", got.status)
		}
		if got := c.post(path+"/erase", url.Values{"csrf_token": {csrf}, "confirm": {"yes"}}); got.status != http.StatusBadRequest {
			t.Errorf("erase without a reason: %d", got.status)
		}
		got = c.post(path+"/erase", url.Values{"csrf_token": {csrf}, "confirm": {"yes"}, "reason": {"客户申请"}})
		if got.status != http.StatusSeeOther {
			t.Fatalf("erase: %d %.300s", got.status, got.body)
		}
		p = c.get(path)
		if !strings.Contains(p.body, "已删除个人信息") || strings.Contains(p.body, `id="erase-form"`) || strings.Contains(p.body, "王芳") {
			t.Errorf("page after erasure:\n%.2000s", p.body)
		}
		// Retention settings: admin only, and saved.
		if p := carl.get("/s/a/privacy"); p.status != http.StatusForbidden {
			t.Errorf("care user on retention settings: %d", p.status)
		}
		set := c.get("/s/a/privacy")
		if set.status != 200 || !strings.Contains(set.body, `name="audit_days"`) {
			t.Fatalf("settings: %d", set.status)
		}
		if got := c.post("/s/a/privacy", url.Values{"csrf_token": {csrf}, "version": {"0"}, "audit_days": {"30"}}); got.status != http.StatusBadRequest {
			t.Errorf("30-day audit log: %d", got.status)
		}
		if got := c.post("/s/a/privacy", url.Values{"csrf_token": {csrf}, "version": {"0"}, "audit_days": {"365"}, "timeline_days": {"90"}, "timeline_kinds": {"survey", "care"}}); got.status != http.StatusSeeOther {
			t.Fatalf("save settings: %d %.300s", got.status, got.body)
		}
		if set := c.get("/s/a/privacy"); !strings.Contains(set.body, `name="audit_days" value="365"`) || !strings.Contains(set.body, `value="care" checked`) {
			t.Errorf("settings not saved:\n%.1500s", set.body)
		}
	})
}
