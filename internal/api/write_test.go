package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/api"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
	"github.com/guanxi-crm/guanxi/internal/webhook"
)

// do calls the API with any method; body is sent as is when it is a string
// or []byte, else as JSON. It returns the status and the body.
func (e *env) do(t *testing.T, method, token, path string, body any, hdr http.Header) (int, string) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+"/api/v1"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("%s %s: content type %q", method, path, resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, string(b)
}

type orderOut struct {
	ID         int64  `json:"id"`
	Platform   string `json:"platform"`
	ExternalID string `json:"external_id"`
	CustomerID *int64 `json:"customer_id"`
	Status     string `json:"status"`
	Amount     int64  `json:"amount"`
	Refunded   int64  `json:"refunded"`
	Purchase   bool   `json:"purchase"`
	Lines      []struct {
		SKU    string `json:"sku"`
		Amount int64  `json:"amount"`
	} `json:"lines"`
	Result string `json:"result"`
}

type customerOut struct {
	ID      int64    `json:"id"`
	Name    string   `json:"name"`
	Tags    []string `json:"tags"`
	Version int64    `json:"version"`
	Stats   struct {
		PurchaseDays int64 `json:"purchase_days"`
		Orders       int64 `json:"orders"`
		TotalSpent   int64 `json:"total_spent"`
		Refunded     int64 `json:"refunded"`
	} `json:"stats"`
}

func decodeAs[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	return v
}

// anOrder is a new buyer's order in the shape of POST /orders.
func anOrder(ext, placed string, amount int64) map[string]any {
	return map[string]any{
		"external_id": ext, "platform": "erp", "status": "paid", "placed_at": placed,
		"customer": map[string]any{"id": "ERP-C1", "name": "赵敏", "phone": "139 0000 1111"},
		"lines": []map[string]any{
			{"sku": "TEA-1", "name": "龙井", "quantity": 2, "unit_price": amount / 4},
			{"sku": "CUP-1", "name": "杯", "quantity": 1, "amount": amount - 2*(amount/4)},
		},
	}
}

func TestOrdersWrite(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, api.Config{})
		w := e.token(t, e.shopA, "orders:write", "orders:read", "customers:read")
		ro := e.token(t, e.shopA, "orders:read", "customers:read")
		other := e.token(t, e.shopB, "orders:write", "orders:read", "customers:read")
		customerOf := func(id int64) customerOut {
			t.Helper()
			status, body := e.do(t, "GET", w, fmt.Sprintf("/customers/%d", id), nil, nil)
			if status != 200 {
				t.Fatalf("customer %d: %d %s", id, status, body)
			}
			return decodeAs[customerOut](t, body)
		}

		// Create: 201, a new customer with the order in their statistics.
		status, body := e.do(t, "POST", w, "/orders", anOrder("PO-1", "2025-06-01T10:00:00+08:00", 10000), nil)
		if status != 201 {
			t.Fatalf("create: %d %s", status, body)
		}
		o := decodeAs[orderOut](t, body)
		if o.Result != "created" || o.CustomerID == nil || o.Amount != 10000 || len(o.Lines) != 2 || !o.Purchase || o.Platform != "erp" {
			t.Fatalf("created %+v", o)
		}
		cid := *o.CustomerID
		if c := customerOf(cid); c.Stats.Orders != 1 || c.Stats.TotalSpent != 10000 || c.Name != "赵敏" {
			t.Errorf("after create: %+v", c)
		}

		// The same order again: 200, unchanged, same id, nothing moves.
		status, body = e.do(t, "POST", w, "/orders", anOrder("PO-1", "2025-06-01T10:00:00+08:00", 10000), nil)
		if again := decodeAs[orderOut](t, body); status != 200 || again.Result != "unchanged" || again.ID != o.ID {
			t.Errorf("re-post: %d %s", status, body)
		}
		// A changed one: updated, the statistics follow.
		status, body = e.do(t, "POST", w, "/orders", anOrder("PO-1", "2025-06-01T10:00:00+08:00", 12000), nil)
		if upd := decodeAs[orderOut](t, body); status != 200 || upd.Result != "updated" || upd.ID != o.ID || upd.Amount != 12000 {
			t.Errorf("changed re-post: %d %s", status, body)
		}
		if c := customerOf(cid); c.Stats.Orders != 1 || c.Stats.TotalSpent != 12000 {
			t.Errorf("after update: %+v", c.Stats)
		}

		// The same buyer by phone alone, another day: the same customer.
		second := anOrder("PO-2", "2025-06-03", 5000)
		second["customer"] = map[string]any{"phone": "+86 139-0000-1111"}
		status, body = e.do(t, "POST", w, "/orders", second, nil)
		if o2 := decodeAs[orderOut](t, body); status != 201 || o2.CustomerID == nil || *o2.CustomerID != cid {
			t.Fatalf("second order: %d %s", status, body)
		}
		if c := customerOf(cid); c.Stats.Orders != 2 || c.Stats.PurchaseDays != 2 || c.Stats.TotalSpent != 17000 {
			t.Errorf("after second order: %+v", c.Stats)
		}

		// PUT by platform number: a refund makes it no purchase.
		refund := anOrder("", "2025-06-03", 5000)
		delete(refund, "external_id")
		delete(refund, "platform")
		refund["customer"] = map[string]any{"phone": "13900001111"}
		refund["status"] = "refunded"
		status, body = e.do(t, "PUT", w, "/orders/erp/PO-2", refund, nil)
		if r := decodeAs[orderOut](t, body); status != 200 || r.Result != "updated" || r.Purchase || r.Refunded != 5000 {
			t.Errorf("put refund: %d %s", status, body)
		}
		if c := customerOf(cid); c.Stats.Orders != 1 || c.Stats.TotalSpent != 12000 || c.Stats.Refunded != 5000 {
			t.Errorf("after refund: %+v", c.Stats)
		}
		if status, body := e.do(t, "PUT", w, "/orders/erp/PO-3", anOrder("PO-4", "2025-06-03", 1), nil); status != 400 || !strings.Contains(body, "external_id") {
			t.Errorf("put with another number in the body: %d %s", status, body)
		}

		// Reads: the order, the customer's orders page by page, identities.
		var got orderOut
		if status, _, body := e.get(t, ro, fmt.Sprintf("/orders/%d", o.ID), &got); status != 200 || got.ExternalID != "PO-1" {
			t.Errorf("get order: %d %s", status, body)
		}
		var page struct {
			Orders     []orderOut `json:"orders"`
			Total      int        `json:"total"`
			NextOffset *int       `json:"next_offset"`
		}
		if status, _, body := e.get(t, ro, fmt.Sprintf("/customers/%d/orders?limit=1", cid), &page); status != 200 || page.Total != 2 ||
			len(page.Orders) != 1 || page.Orders[0].ExternalID != "PO-2" || page.NextOffset == nil || *page.NextOffset != 1 {
			t.Errorf("customer orders: %d %s", status, body)
		}
		var ids struct {
			Identities []struct{ Platform, Kind, Value string } `json:"identities"`
		}
		e.get(t, ro, fmt.Sprintf("/customers/%d/identities", cid), &ids)
		var sawID, sawPhone bool
		for _, i := range ids.Identities {
			sawID = sawID || i.Platform == "erp" && i.Kind == "customer_id" && i.Value == "ERP-C1"
			sawPhone = sawPhone || i.Kind == "phone" && i.Value == "139****1111"
		}
		if !sawID || !sawPhone {
			t.Errorf("identities (phone masked without customers:pii): %+v", ids)
		}

		// Scopes.
		for _, c := range []struct{ method, token, path string }{
			{"POST", ro, "/orders"},
			{"PUT", ro, "/orders/erp/PO-1"},
			{"GET", e.token(t, e.shopA, "customers:read"), fmt.Sprintf("/orders/%d", o.ID)},
			{"GET", e.token(t, e.shopA, "customers:read"), fmt.Sprintf("/customers/%d/orders", cid)},
		} {
			if status, body := e.do(t, c.method, c.token, c.path, anOrder("PO-9", "2025-06-01", 100), nil); status != 403 || errorCode(t, body) != "forbidden" {
				t.Errorf("%s %s without the scope: %d %s", c.method, c.path, status, body)
			}
		}

		// Shop B's token never reads or changes shop A's order: its write
		// lands in shop B, and shop A's order stays as it was.
		var seen orderOut
		if status, _, _ := e.get(t, other, fmt.Sprintf("/orders/%d", o.ID), &seen); status == 200 && seen.ExternalID == "PO-1" {
			t.Errorf("shop b read shop a's order %+v", seen)
		}
		status, body = e.do(t, "PUT", other, "/orders/erp/PO-1", anOrder("", "2025-06-01", 1), nil)
		if status != 201 {
			t.Errorf("shop b put: %d %s", status, body)
		}
		if status, _, _ := e.get(t, ro, fmt.Sprintf("/orders/%d", o.ID), &got); status != 200 || got.Amount != 12000 {
			t.Errorf("shop a's order after shop b's write: %+v", got)
		}

		// Validation errors name the field.
		bad := func(edit func(m map[string]any)) map[string]any {
			m := anOrder("PO-5", "2025-06-01", 1000)
			edit(m)
			return m
		}
		for _, c := range []struct {
			body  any
			field string
		}{
			{bad(func(m map[string]any) { delete(m, "external_id") }), "external_id"},
			{bad(func(m map[string]any) { m["placed_at"] = "yesterday" }), "placed_at"},
			{bad(func(m map[string]any) { delete(m, "placed_at") }), "placed_at"},
			{bad(func(m map[string]any) { m["status"] = "sent" }), "status"},
			{bad(func(m map[string]any) { m["amount"] = "12.50" }), "amount"},
			{bad(func(m map[string]any) { m["amount"] = 12.5 }), "amount"},
			{bad(func(m map[string]any) { delete(m, "lines") }), "amount"},
			{bad(func(m map[string]any) { m["refunded"] = -1 }), "refunded"},
			{bad(func(m map[string]any) { m["lines"].([]map[string]any)[1]["quantity"] = 1e12 }), "lines[1].quantity"},
			{bad(func(m map[string]any) { m["colour"] = "red" }), "colour"},
			{bad(func(m map[string]any) { m["customer"].(map[string]any)["buyer_nick"] = "tb_x" }), "customer"},
			{bad(func(m map[string]any) { m["customer"].(map[string]any)["name"] = "a\x00b" }), "customer.name"},
			{bad(func(m map[string]any) { m["platform"] = "Tao Bao!" }), "platform"},
			{"{", "body"},
			{"", "body"},
			{`{"external_id":"x"} {}`, "body"},
		} {
			status, body := e.do(t, "POST", w, "/orders", c.body, nil)
			if status != 400 || errorCode(t, body) != "invalid" || !strings.Contains(body, c.field) {
				t.Errorf("want 400 naming %s: %d %s", c.field, status, body)
			}
		}
		huge := `{"external_id":"` + strings.Repeat("x", 2<<20) + `"}`
		if status, body := e.do(t, "POST", w, "/orders", huge, nil); status != 413 || errorCode(t, body) != "too_large" {
			t.Errorf("2 MiB body: %d %.200s", status, body)
		}
	})
}

func TestCustomersWrite(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, api.Config{})
		w := e.token(t, e.shopA, "customers:write", "customers:read", "scores:read")
		ro := e.token(t, e.shopA, "customers:read")
		other := e.token(t, e.shopB, "customers:write", "customers:read")
		// Two live customers of shop a whose ids shop b does not have.
		var list struct {
			Customers []struct {
				ID int64 `json:"id"`
			} `json:"customers"`
		}
		e.get(t, ro, "/customers?limit=200", &list)
		var pick []int64
		for _, c := range list.Customers {
			if _, err := e.customers.Get(ctx, e.shopB.ID, c.ID); err != nil && len(pick) < 2 {
				pick = append(pick, c.ID)
			}
		}
		if len(pick) < 2 {
			t.Fatal("no customers to edit")
		}
		id := pick[0]
		status, body := e.do(t, "GET", ro, fmt.Sprintf("/customers/%d", id), nil, nil)
		c := decodeAs[customerOut](t, body)
		if status != 200 || c.Version == 0 {
			t.Fatalf("customer: %d %s", status, body)
		}
		path := fmt.Sprintf("/customers/%d", id)
		ifMatch := func(v int64) http.Header { return http.Header{"If-Match": {strconv.Quote(strconv.FormatInt(v, 10))}} }

		status, body = e.do(t, "PATCH", w, path, map[string]any{"name": "新名字", "tags": []string{"VIP", " 茶客 ", "VIP"}}, ifMatch(c.Version))
		edited := decodeAs[customerOut](t, body)
		if status != 200 || edited.Name != "新名字" || edited.Version != c.Version+1 || strings.Join(edited.Tags, ",") != "VIP,茶客" {
			t.Fatalf("patch: %d %s", status, body)
		}
		// The edit is audited under the token that made it.
		if log, err := audit.NewService(db, nil).List(ctx, e.shopA.ID, audit.Filter{Action: "customer.update", ObjectType: "customer", ObjectID: strconv.FormatInt(id, 10)}); err != nil ||
			len(log) != 1 || !strings.HasPrefix(log[0].Actor, "token:") || !strings.Contains(string(log[0].Detail), "新名字") {
			t.Errorf("audit of the API edit: %+v %v", log, err)
		}
		// Stale: the edit was made on the old version.
		if status, body := e.do(t, "PATCH", w, path, map[string]any{"name": "旧", "version": c.Version}, nil); status != 409 || errorCode(t, body) != "conflict" {
			t.Errorf("stale patch: %d %s", status, body)
		}
		if status, body := e.do(t, "PATCH", w, path, map[string]any{"name": "旧"}, nil); status != 400 || !strings.Contains(body, "version") {
			t.Errorf("patch without a version: %d %s", status, body)
		}
		if status, body := e.do(t, "PATCH", w, path, map[string]any{"gender": "x", "version": edited.Version}, nil); status != 400 || !strings.Contains(body, "gender") {
			t.Errorf("bad gender: %d %s", status, body)
		}
		if status, body := e.do(t, "PATCH", ro, path, map[string]any{"name": "x", "version": edited.Version}, nil); status != 403 {
			t.Errorf("patch without customers:write: %d %s", status, body)
		}
		// Shop b's token: id is no customer of shop b.
		if status, body := e.do(t, "PATCH", other, path, map[string]any{"name": "x", "version": edited.Version}, nil); status != 404 {
			t.Errorf("shop b patching shop a's customer: %d %s", status, body)
		}
		if status, body := e.do(t, "POST", other, path+"/tags", map[string]any{"tags": []string{"x"}}, nil); status != 404 {
			t.Errorf("shop b tagging shop a's customer: %d %s", status, body)
		}

		// Tags: add, count, remove.
		status, body = e.do(t, "POST", w, path+"/tags", map[string]any{"tags": []string{"复购", "VIP"}}, nil)
		if tagged := decodeAs[customerOut](t, body); status != 200 || strings.Join(tagged.Tags, ",") != "VIP,茶客,复购" {
			t.Errorf("add tags: %d %s", status, body)
		}
		e.do(t, "POST", w, fmt.Sprintf("/customers/%d/tags", pick[1]), map[string]any{"tags": []string{"VIP"}}, nil)
		var tags struct {
			Tags []struct {
				Tag       string `json:"tag"`
				Customers int    `json:"customers"`
			} `json:"tags"`
		}
		if status, _, body := e.get(t, ro, "/tags", &tags); status != 200 || len(tags.Tags) != 3 || tags.Tags[0].Tag != "VIP" || tags.Tags[0].Customers != 2 {
			t.Errorf("tags: %d %s", status, body)
		}
		status, body = e.do(t, "DELETE", w, path+"/tags/"+"%E8%8C%B6%E5%AE%A2", nil, nil) // 茶客
		if untagged := decodeAs[customerOut](t, body); status != 200 || strings.Join(untagged.Tags, ",") != "VIP,复购" {
			t.Errorf("delete tag: %d %s", status, body)
		}
		if status, _, _ := e.get(t, e.token(t, e.shopB, "customers:read"), "/tags", &tags); status != 200 || len(tags.Tags) != 0 {
			t.Errorf("shop b sees tags %+v", tags)
		}

		// Segments, and the customer filters they name.
		var seg struct {
			AsOf      *string `json:"as_of"`
			Lifecycle []struct {
				Value     string `json:"value"`
				Customers int    `json:"customers"`
			} `json:"lifecycle"`
			Segments []struct {
				Value     string `json:"value"`
				Customers int    `json:"customers"`
			} `json:"segments"`
		}
		if status, _, body := e.get(t, w, "/segments", &seg); status != 200 || seg.AsOf == nil || len(seg.Lifecycle) == 0 || len(seg.Segments) == 0 {
			t.Fatalf("segments: %d %s", status, body)
		}
		for _, q := range []string{"lifecycle=" + seg.Lifecycle[0].Value, "segment=" + seg.Segments[0].Value} {
			var page struct {
				Total int `json:"total"`
			}
			want := seg.Lifecycle[0].Customers
			if strings.HasPrefix(q, "segment") {
				want = seg.Segments[0].Customers
			}
			if status, _, body := e.get(t, ro, "/customers?"+q, &page); status != 200 || page.Total != want {
				t.Errorf("customers?%s: %d %s, want total %d", q, status, body, want)
			}
		}
		if status, _, _ := e.get(t, ro, "/customers?tier=gold", nil); status != 400 {
			t.Errorf("tier=gold: %d", status)
		}
		if status, _, _ := e.get(t, ro, "/segments", nil); status != 403 {
			t.Errorf("segments without scores:read: %d", status)
		}
	})
}

// deliver posts a signed webhook delivery.
func (e *env) deliver(t *testing.T, shopCode, secret, delivery string, at time.Time, body []byte) (int, string) {
	t.Helper()
	ts := at.Unix()
	hdr := http.Header{
		"X-Guanxi-Timestamp": {strconv.FormatInt(ts, 10)},
		"X-Guanxi-Delivery":  {delivery},
		"X-Guanxi-Signature": {webhook.Sign(secret, ts, body)},
	}
	return e.do(t, "POST", "", "/webhooks/orders/"+shopCode, body, hdr)
}

func TestWebhook(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, api.Config{})
		secret, err := e.webhooks.Rotate(ctx, e.shopA.ID)
		if err != nil {
			t.Fatal(err)
		}
		one, _ := json.Marshal(anOrder("WH-1", "2025-06-20T09:00:00+08:00", 8000))
		status, body := e.deliver(t, "a", secret, "d-1", e.now, one)
		var res struct {
			Delivery string `json:"delivery"`
			Orders   []struct {
				ID     int64  `json:"id"`
				Result string `json:"result"`
			} `json:"orders"`
		}
		if json.Unmarshal([]byte(body), &res); status != 200 || res.Delivery != "d-1" || len(res.Orders) != 1 || res.Orders[0].Result != "created" {
			t.Fatalf("good delivery: %d %s", status, body)
		}
		rd := e.token(t, e.shopA, "orders:read", "customers:read")
		var o orderOut
		if status, _, _ := e.get(t, rd, fmt.Sprintf("/orders/%d", res.Orders[0].ID), &o); status != 200 || o.ExternalID != "WH-1" || o.CustomerID == nil {
			t.Fatalf("delivered order: %+v", o)
		}
		var c customerOut
		e.get(t, rd, fmt.Sprintf("/customers/%d", *o.CustomerID), &c)
		if c.Stats.Orders != 1 || c.Stats.TotalSpent != 8000 {
			t.Errorf("customer after delivery: %+v", c.Stats)
		}

		// Refused, all 401: replay, bad signature, stale or future
		// timestamp, unknown shop, a shop without a secret, no headers.
		for _, c := range []struct {
			name          string
			shop, secret  string
			delivery      string
			at            time.Time
			status        int
			bodyFragement string
		}{
			{"replayed delivery id", "a", secret, "d-1", e.now, 401, "already received"},
			{"wrong secret", "a", "whsec_wrong", "d-2", e.now, 401, "bad signature"},
			{"old timestamp", "a", secret, "d-3", e.now.Add(-6 * time.Minute), 401, "X-Guanxi-Timestamp"},
			{"future timestamp", "a", secret, "d-4", e.now.Add(6 * time.Minute), 401, "X-Guanxi-Timestamp"},
			{"unknown shop", "nope", secret, "d-5", e.now, 401, "bad signature"},
			{"shop without a secret", "b", secret, "d-6", e.now, 401, "bad signature"},
			{"edge of the window", "a", secret, "d-7", e.now.Add(-5 * time.Minute), 200, "unchanged"},
		} {
			status, body := e.deliver(t, c.shop, c.secret, c.delivery, c.at, one)
			if status != c.status || !strings.Contains(body, c.bodyFragement) {
				t.Errorf("%s: %d %s", c.name, status, body)
			}
		}
		if status, body := e.do(t, "POST", "", "/webhooks/orders/a", one, nil); status != 401 || errorCode(t, body) != "unauthorized" {
			t.Errorf("unsigned: %d %s", status, body)
		}
		tampered := bytes.Replace(one, []byte("WH-1"), []byte("WH-X"), 1)
		hdr := http.Header{"X-Guanxi-Timestamp": {strconv.FormatInt(e.now.Unix(), 10)}, "X-Guanxi-Delivery": {"d-8"},
			"X-Guanxi-Signature": {webhook.Sign(secret, e.now.Unix(), one)}}
		if status, _ := e.do(t, "POST", "", "/webhooks/orders/a", tampered, hdr); status != 401 {
			t.Errorf("tampered body: %d", status)
		}

		// An array with a bad order: 400 naming it, nothing written, and
		// the same delivery id may be sent again once fixed.
		batch := []map[string]any{anOrder("WH-2", "2025-06-21", 100), anOrder("WH-3", "someday", 200)}
		b, _ := json.Marshal(batch)
		if status, body := e.deliver(t, "a", secret, "d-9", e.now, b); status != 400 || !strings.Contains(body, "[1].placed_at") {
			t.Errorf("bad batch: %d %s", status, body)
		}
		batch[1]["placed_at"] = "2025-06-22"
		b, _ = json.Marshal(batch)
		if status, body := e.deliver(t, "a", secret, "d-9", e.now, b); status != 200 || strings.Count(body, `"created"`) != 2 {
			t.Errorf("fixed batch, same delivery id: %d %s", status, body)
		}
		big := append([]byte(`[`), bytes.Repeat([]byte(` `), 1<<20)...)
		if status, body := e.deliver(t, "a", secret, "d-10", e.now, append(big, ']')); status != 413 {
			t.Errorf("over 1 MiB: %d %.200s", status, body)
		}

		// Deliveries are in the database (so a restart remembers them);
		// old ones are pruned as new ones come.
		if _, err := db.Exec(ctx, `INSERT INTO webhook_deliveries (shop_id, delivery_id, signed_at, received_at, orders) VALUES (?, 'old', ?, ?, 1)`,
			e.shopA.ID, e.now.Add(-time.Hour).Unix(), e.now.Add(-time.Hour).Unix()); err != nil {
			t.Fatal(err)
		}
		if status, body := e.deliver(t, "a", secret, "d-11", e.now, one); status != 200 {
			t.Errorf("d-11: %d %s", status, body)
		}
		var ids []string
		rows, err := db.Query(ctx, `SELECT delivery_id FROM webhook_deliveries WHERE shop_id = ? ORDER BY delivery_id`, e.shopA.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			rows.Scan(&id)
			ids = append(ids, id)
		}
		rows.Close()
		if strings.Join(ids, " ") != "d-1 d-11 d-7 d-9" {
			t.Errorf("deliveries kept: %v", ids)
		}

		// Rotating the secret retires the old one at once.
		if _, err := e.webhooks.Rotate(ctx, e.shopA.ID); err != nil {
			t.Fatal(err)
		}
		if status, _ := e.deliver(t, "a", secret, "d-12", e.now, one); status != 401 {
			t.Errorf("old secret after rotation: %d", status)
		}
	})
}
