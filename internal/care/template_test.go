package care_test

import (
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/care"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// A care message's body and subject use a campaign's placeholders and
// nothing else: Go template syntax and undocumented placeholders are
// refused when the rule is saved; a customer whose name looks like a
// placeholder gets her name as written, not the value it names.
func TestCareMessageTemplatesStayInContext(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		in := f.services()
		for _, body := range []string{"{{.DB}}", "{{.}}", `{{printf "%v" .}}`, `{{template "x" .}}`, "{{call .F}}", "{{phone}}", "{{order}}", "生日快乐 {{ .Customer }}"} {
			for _, p := range []care.Params{
				{Channel: campaign.SMS, Body: body},
				{Channel: campaign.Email, Subject: body, Body: "生日快乐"},
			} {
				err := in.care.Create(ctx, f.shop.ID, &care.Rule{Name: "x", Trigger: care.Birthday, Action: care.Message, Params: p})
				wantCode(t, err, guanxi.EINVALID)
			}
		}
		f.clock.Set(at("2026-01-20 10:00"))
		// u0, the one customer the birthday message reaches (see newFixture).
		const name = "{{shop}}{{coupon}}{{.}}"
		if _, err := db.Exec(ctx, `UPDATE customers SET name = ? WHERE shop_id = ? AND id = ?`, name, f.shop.ID, f.ids["u0"]); err != nil {
			t.Fatal(err)
		}
		birthday := &care.Rule{Name: "生日祝福", Enabled: true, Trigger: care.Birthday, Action: care.Message,
			Params: care.Params{Channel: campaign.SMS, Body: "{{name|亲}}，生日快乐！{{shop}}"}}
		must(t, in.care.Create(ctx, f.shop.ID, birthday))
		f.clock.Set(at("2026-03-10 10:00"))
		b := runAll(t, in, f.shop.ID)[birthday.ID]
		if b.Acted != 1 || b.CampaignID == 0 {
			t.Fatalf("birthday run %+v", b)
		}
		if out := f.dispatch(t, in, b.CampaignID); out.Sent != 1 {
			t.Fatalf("dispatch %+v", out)
		}
		reqs := f.g.Requests()
		if len(reqs) != 1 {
			t.Fatalf("%d messages sent", len(reqs))
		}
		if want := name + "，生日快乐！西湖茶庄"; !strings.Contains(reqs[0].Content, want) {
			t.Errorf("sent %q, want it to contain %q", reqs[0].Content, want)
		}
	})
}
