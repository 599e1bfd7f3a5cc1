package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/api"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

func mustRule(t testing.TB, v any) *segment.Rule {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	r, err := segment.ParseRule(b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type savedSegmentOut struct {
	ID   int64           `json:"id"`
	Name string          `json:"name"`
	Rule json.RawMessage `json:"rule"`
}

func decodeJSON(t *testing.T, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
}

func TestSavedSegments(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, api.Config{})
		read := e.token(t, e.shopA, "segments:read")
		write := e.token(t, e.shopA, "segments:write")
		both := e.token(t, e.shopA, "segments:read", "segments:write")
		scores := e.token(t, e.shopA, "scores:read", "customers:read")
		other := e.token(t, e.shopB, "segments:read", "segments:write")
		buyers := map[string]any{"field": "orders_count", "op": "gte", "value": 1}

		// The live count agrees with the service.
		want, err := e.segments.Count(ctx, e.shopA.ID, mustRule(t, buyers))
		if err != nil {
			t.Fatal(err)
		}
		if want < 100 {
			t.Fatalf("only %d buyers in shop a: the fixture is too small for paging", want)
		}
		st, body := e.do(t, "POST", read, "/segments/count", buyers, nil)
		var count struct{ Customers int }
		if st != 200 {
			t.Fatalf("count: %d %s", st, body)
		}
		decodeJSON(t, body, &count)
		if count.Customers != want {
			t.Errorf("count: %d, want %d", count.Customers, want)
		}
		// Shop b counts its own customers.
		if st, body = e.do(t, "POST", other, "/segments/count", buyers, nil); st != 200 || strings.Contains(body, fmt.Sprintf(":%d}", want)) {
			t.Errorf("count with shop b's token: %d %s (shop a has %d)", st, body, want)
		}

		// Rule errors: 400 naming the JSON path.
		for _, c := range []struct {
			path string
			body any
			want string
		}{
			{"/segments/count", map[string]any{"all": []any{buyers, map[string]any{"field": "total_spent", "op": "gte", "value": "lots"}}}, "all[1].value"},
			{"/segments/count", map[string]any{"any": []any{map[string]any{"field": "nope", "op": "eq", "value": 1}}}, "any[0].field"},
			{"/segments/count", "", "rule"},
			{"/saved-segments", map[string]any{"name": "x", "rule": map[string]any{"not": map[string]any{"field": "tier", "op": "gt", "value": "key"}}}, "rule.not.op"},
			{"/saved-segments", map[string]any{"name": "x"}, "rule: required"},
			{"/saved-segments", map[string]any{"rule": buyers}, "name: required"},
		} {
			st, body := e.do(t, "POST", both, c.path, c.body, nil)
			if st != 400 || errorCode(t, body) != "invalid" || !strings.Contains(body, c.want) {
				t.Errorf("POST %s %v: %d %s, want 400 naming %s", c.path, c.body, st, body, c.want)
			}
		}

		// Create, list, get, update.
		st, body = e.do(t, "POST", write, "/saved-segments", map[string]any{"name": " 复购客户 ", "rule": buyers}, nil)
		if st != 201 {
			t.Fatalf("create: %d %s", st, body)
		}
		var seg savedSegmentOut
		decodeJSON(t, body, &seg)
		if seg.ID == 0 || seg.Name != "复购客户" {
			t.Fatalf("created %+v", seg)
		}
		if st, body = e.do(t, "POST", write, "/saved-segments", map[string]any{"name": "复购客户", "rule": buyers}, nil); st != 409 {
			t.Errorf("a second segment of the same name: %d %s", st, body)
		}
		idPath := fmt.Sprintf("/saved-segments/%d", seg.ID)
		var list struct{ Segments []savedSegmentOut }
		if st, _, body = e.get(t, read, "/saved-segments", &list); st != 200 || len(list.Segments) != 1 || list.Segments[0].ID != seg.ID {
			t.Errorf("list: %d %s", st, body)
		}
		var got savedSegmentOut
		if st, _, body = e.get(t, read, idPath, &got); st != 200 || got.Name != "复购客户" || !strings.Contains(string(got.Rule), "orders_count") {
			t.Errorf("get: %d %s", st, body)
		}
		if st, body = e.do(t, "PUT", write, idPath, map[string]any{"name": "老客", "rule": map[string]any{"all": []any{buyers}}}, nil); st != 200 {
			t.Fatalf("put: %d %s", st, body)
		}
		decodeJSON(t, body, &got)
		if got.Name != "老客" || !strings.HasPrefix(string(got.Rule), `{"all":`) {
			t.Errorf("after put: %+v", got)
		}

		// Members: pages walk the segment once, most recent buyer first.
		all, err := e.segments.Members(ctx, e.shopA.ID, mustRule(t, buyers), segment.MaxLimit, 0)
		if err != nil {
			t.Fatal(err)
		}
		var walked []int64
		for offset, pages := 0, 0; ; pages++ {
			if pages > 100 {
				t.Fatal("members: paging does not end")
			}
			var page struct {
				Customers  []int64
				NextOffset *int `json:"next_offset"`
			}
			if st, _, body := e.get(t, read, fmt.Sprintf("%s/members?limit=37&offset=%d", idPath, offset), &page); st != 200 {
				t.Fatalf("members at %d: %d %s", offset, st, body)
			}
			walked = append(walked, page.Customers...)
			if page.NextOffset == nil {
				break
			}
			offset = *page.NextOffset
		}
		if !slices.Equal(walked, all) || len(walked) != want {
			t.Errorf("members: walked %d ids, want the %d of Members in order", len(walked), len(all))
		}
		if st, _, body = e.get(t, read, idPath+"/members?limit=0", nil); st != 400 {
			t.Errorf("members?limit=0: %d %s", st, body)
		}

		// History after the nightly job's RecordSizes.
		var hist struct {
			Sizes []struct {
				Day       string
				Customers int
			}
		}
		if st, _, body = e.get(t, read, idPath+"/history", &hist); st != 200 || len(hist.Sizes) != 0 {
			t.Errorf("history before any run: %d %s", st, body)
		}
		for _, day := range []int{20250629, 20250630} {
			if err := e.segments.RecordSizes(ctx, e.shopA.ID, day); err != nil {
				t.Fatal(err)
			}
		}
		if st, _, body = e.get(t, read, idPath+"/history", &hist); st != 200 || len(hist.Sizes) != 2 ||
			hist.Sizes[0].Day != "2025-06-29" || hist.Sizes[1].Day != "2025-06-30" || hist.Sizes[1].Customers != want {
			t.Errorf("history: %d %s, want 2025-06-29 and 2025-06-30 with %d customers", st, body, want)
		}

		// Scopes: reads need segments:read, writes segments:write; GET
		// /segments (RFM counts) stays with scores:read.
		for _, c := range []struct{ method, token, path string }{
			{"POST", scores, "/segments/count"},
			{"POST", write, "/segments/count"},
			{"GET", write, "/saved-segments"},
			{"GET", write, idPath},
			{"GET", write, idPath + "/members"},
			{"GET", write, idPath + "/history"},
			{"GET", scores, idPath},
			{"POST", read, "/saved-segments"},
			{"PUT", read, idPath},
			{"DELETE", read, idPath},
		} {
			body := any(map[string]any{"name": "越权", "rule": buyers})
			if c.path == "/segments/count" {
				body = buyers
			}
			if st, b := e.do(t, c.method, c.token, c.path, body, nil); st != 403 || errorCode(t, b) != "forbidden" {
				t.Errorf("%s %s without its scope: %d %s", c.method, c.path, st, b)
			}
		}
		if st, _, body = e.get(t, scores, "/segments", nil); st != 200 {
			t.Errorf("GET /segments with scores:read: %d %s", st, body)
		}

		// Another shop's token: not found, and nothing changes.
		for _, c := range []struct{ method, path string }{
			{"GET", idPath}, {"GET", idPath + "/members"}, {"GET", idPath + "/history"}, {"PUT", idPath}, {"DELETE", idPath},
		} {
			if st, b := e.do(t, c.method, other, c.path, map[string]any{"name": "入侵者", "rule": buyers}, nil); st != 404 || errorCode(t, b) != "not_found" {
				t.Errorf("%s %s with shop b's token: %d %s", c.method, c.path, st, b)
			}
		}
		if st, _, body = e.get(t, other, "/saved-segments", &list); st != 200 || len(list.Segments) != 0 {
			t.Errorf("shop b's list: %d %s", st, body)
		}
		if s, err := e.segments.Get(ctx, e.shopA.ID, seg.ID); err != nil || s.Name != "老客" {
			t.Errorf("shop a's segment after shop b's calls: %+v, %v", s, err)
		}

		// Delete, with its history.
		if st, body = e.do(t, "DELETE", write, idPath, nil, nil); st != 200 {
			t.Fatalf("delete: %d %s", st, body)
		}
		for _, p := range []string{idPath, idPath + "/history", idPath + "/members"} {
			if st, _, body = e.get(t, read, p, nil); st != 404 {
				t.Errorf("%s after delete: %d %s", p, st, body)
			}
		}
		if st, body = e.do(t, "DELETE", write, idPath, nil, nil); st != 404 {
			t.Errorf("delete again: %d %s", st, body)
		}
	})
}
