package service_test

import (
	"testing"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// A canned reply reaches only its documented placeholders ({{name}},
// {{order}}, {{shop}}): Go template syntax and other placeholders are
// refused when saved and when rendered, and a customer's name that looks
// like a placeholder is written as it is, not expanded again.
func TestCannedReplyTemplatesStayInContext(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		for _, body := range []string{"{{.DB}}", "{{.}}", `{{printf "%v" .}}`, `{{template "x" .}}`, "{{call .F}}",
			"{{range .}}x{{end}}", "{{phone}}", "{{email}}", "{{points}}", "您好 {{ .Customer.Phone }}"} {
			wantCode(t, f.svc.CreateCannedReply(f.asLead, f.shopID, &service.CannedReply{Title: "x", Body: body}), guanxi.EINVALID)
			tk := f.complaint(t, service.Normal)
			if _, err := f.svc.RenderReply(bg, f.shopID, tk.ID, body); guanxi.ErrorCode(err) != guanxi.EINVALID {
				t.Errorf("RenderReply(%q) = %v, want EINVALID", body, err)
			}
		}
		c := &service.CannedReply{Title: "问候", Body: "{{name|亲}}您好，订单 {{order|（无）}}。—— {{shop}}"}
		must(t, f.svc.CreateCannedReply(f.asLead, f.shopID, c))
		tk := f.complaint(t, service.Normal) // C1's, about order T1
		for _, name := range []string{"{{shop}}", "{{order}}", "{{.}}", "{{.DB}}", "{{name}}"} {
			if _, err := db.Exec(bg, `UPDATE customers SET name = ? WHERE shop_id = ? AND id = ?`, name, f.shopID, f.c1); err != nil {
				t.Fatal(err)
			}
			got, err := f.svc.RenderCannedReply(bg, f.shopID, c.ID, tk.ID)
			must(t, err)
			if want := name + "您好，订单 T1。—— 西湖茶庄"; got != want {
				t.Errorf("customer named %q: %q, want %q", name, got, want)
			}
		}
	})
}
