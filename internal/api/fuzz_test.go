package api_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/api"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
	"github.com/guanxi-crm/guanxi/internal/webhook"
)

// FuzzWebhook: no body or headers make the inbound webhook answer 5xx or
// panic. With sign set, the body is signed properly with the current
// time, so the fuzzer reaches the JSON reading and the order writing.
func FuzzWebhook(f *testing.F) {
	e := newEnv(f, storetest.SQLite(f), api.Config{})
	secret, err := e.webhooks.Rotate(ctx, e.shopA.ID)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct {
		body, shop, ts, delivery, sig string
		sign                          bool
	}{
		{`{"external_id":"F1","placed_at":"2025-06-01","amount":100,"customer":{"phone":"13800000000"}}`, "a", "", "f1", "", true},
		{`[{"external_id":"F2","placed_at":"2025-06-01T10:00:00Z","lines":[{"sku":"S","quantity":3,"unit_price":5}]},{"external_id":"F2","placed_at":"2025-06-02","amount":-5}]`, "a", "", "f2", "", true},
		{`{"external_id":"F3","placed_at":"2025-06-01","amount":1,"customer":{"id":"C","openid":"o"}}`, "a", "", "f3", "", true},
		{`{"external_id":"F4","placed_at":"9999-99-99","amount":1e30}`, "a", "", "f4", "", true},
		{`[]`, "a", "", "f5", "", true},
		{`null`, "a", "", "f6", "", true},
		{`{"external_id":"\u0000","placed_at":"2025-06-01","amount":1,"attrs":{"\u0000":"x"}}`, "a", "", "f7", "", true},
		{`{}`, "a", "1750000000", "x", "sha256=00", false},
		{`{}`, "../b", "-1", "", "sha256=zz", false},
	} {
		f.Add([]byte(seed.body), seed.shop, seed.ts, seed.delivery, seed.sig, seed.sign)
	}
	f.Fuzz(func(t *testing.T, body []byte, shopCode, ts, delivery, sig string, sign bool) {
		if sign {
			ts = strconv.FormatInt(e.now.Unix(), 10)
			sig = webhook.Sign(secret, e.now.Unix(), body)
		}
		req := httptest.NewRequest(http.MethodPost, "/api/v1/webhooks/orders/"+url.PathEscape(shopCode), bytes.NewReader(body))
		for k, v := range map[string]string{"X-Guanxi-Timestamp": ts, "X-Guanxi-Delivery": delivery, "X-Guanxi-Signature": sig} {
			req.Header[k] = []string{v}
		}
		w := httptest.NewRecorder()
		done := make(chan struct{})
		go func() { e.handler.ServeHTTP(w, req); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("no answer in 20 s to %q", body)
		}
		if w.Code >= 500 {
			t.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
	})
}
