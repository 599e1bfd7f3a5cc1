package service_test

import (
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// Attachments are judged by their bytes: markup the sniffer does not
// recognise at the start (an SVG without an XML declaration, HTML after a
// line of text, a script in a .txt) is refused as text, whatever the name;
// polyglots keep their sniffed type (served with nosniff, so a GIF stays a
// GIF); plain text with angle brackets is fine.
func TestAttachmentContentChecks(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		tk := f.complaint(t, service.Normal)
		for name, content := range map[string]string{
			"logo.png":    `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`,
			"note.txt":    "您好\n<script>fetch('/api/v1/customers')</script>",
			"receipt.jpg": "see below\n<iframe src=/s/a/settings></iframe>",
			"a.txt":       "x <IMG SRC=x onerror=alert(1)>",
			"b.pdf":       "<body onload=alert(1)>",
			"c.txt":       "\ufeff<?xml version=\"1.0\"?><x/>",
		} {
			_, err := f.svc.AddAttachment(f.asAgent, f.shopID, tk.ID, name, strings.NewReader(content))
			if guanxi.ErrorCode(err) != guanxi.EINVALID || !strings.Contains(err.Error(), "file") {
				t.Errorf("%s %q: %v, want EINVALID about the file", name, content, err)
			}
		}
		// A GIF header followed by script is a GIF: stored and served as one.
		a, err := f.svc.AddAttachment(f.asAgent, f.shopID, tk.ID, "x.html", strings.NewReader("GIF89a<script>alert(1)</script>"))
		must(t, err)
		if a.ContentType != "image/gif" {
			t.Errorf("polyglot stored as %+v", a)
		}
		// Text that merely mentions a comparison is text.
		a, err = f.svc.AddAttachment(f.asAgent, f.shopID, tk.ID, "说明.txt", strings.NewReader("金额 < 100 元的订单 > 3 笔"))
		must(t, err)
		if a.ContentType != "text/plain; charset=utf-8" {
			t.Errorf("plain text stored as %s", a.ContentType)
		}
	})
}
