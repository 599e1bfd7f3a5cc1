package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/api"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestKnowledgeBaseAPI writes a category and articles, finds them by
// search in both languages, changes one with its version and deletes it.
func TestKnowledgeBaseAPI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, api.Config{})
		tok := e.token(t, e.shopA, "kb:read", "kb:write")
		var cat struct{ ID, Version int64 }
		st, b := e.do(t, "POST", tok, "/kb/categories", map[string]any{"name": "售后服务", "position": 1}, nil)
		if st != 201 || json.Unmarshal([]byte(b), &cat) != nil || cat.ID == 0 {
			t.Fatalf("create category: %d %s", st, b)
		}
		if st, b := e.do(t, "POST", tok, "/kb/categories", map[string]any{"name": "售后服务"}, nil); st != 409 {
			t.Errorf("duplicate category: %d %s", st, b)
		}
		type article struct {
			ID        int64
			Title     string
			Version   int64
			Published bool
		}
		create := func(title, body, lang string, published bool) article {
			t.Helper()
			var a article
			st, b := e.do(t, "POST", tok, "/kb/articles", map[string]any{"title": title, "body": body, "language": lang,
				"category_id": cat.ID, "published": published}, nil)
			if st != 201 || json.Unmarshal([]byte(b), &a) != nil {
				t.Fatalf("create article: %d %s", st, b)
			}
			return a
		}
		zh := create("如何申请退货退款", "在订单页申请售后。", "zh", true)
		en := create("How do I get a refund?", "Choose After-sale.", "en", true)
		draft := create("退货草稿", "未发布", "zh", false)
		if st, b := e.do(t, "POST", tok, "/kb/articles", map[string]any{"title": "x", "language": "fr"}, nil); st != 400 {
			t.Errorf("language fr: %d %s", st, b)
		}
		var res struct {
			Hits []struct {
				ID      int64
				Score   float64
				Snippet string
			}
		}
		if st, _, b := e.get(t, tok, "/kb/search?published=true&q="+url.QueryEscape("退货"), &res); st != 200 || len(res.Hits) != 1 || res.Hits[0].ID != zh.ID {
			t.Fatalf("search 退货: %d %s", st, b)
		}
		if st, _, b := e.get(t, tok, "/kb/search?q="+url.QueryEscape("退货"), &res); st != 200 || len(res.Hits) != 2 {
			t.Fatalf("search 退货 with drafts: %d %s", st, b)
		}
		if st, _, b := e.get(t, tok, "/kb/search?q=refunds", &res); st != 200 || len(res.Hits) != 1 || res.Hits[0].ID != en.ID {
			t.Fatalf("search refunds: %d %s", st, b)
		}
		if st, _, b := e.get(t, tok, "/kb/search?q=", nil); st != 400 {
			t.Errorf("empty q: %d %s", st, b)
		}
		var list struct{ Articles []article }
		if st, _, b := e.get(t, tok, "/kb/articles?published=false", &list); st != 200 || len(list.Articles) != 1 || list.Articles[0].ID != draft.ID {
			t.Fatalf("drafts: %d %s", st, b)
		}
		path := fmt.Sprintf("/kb/articles/%d", draft.ID)
		upd := map[string]any{"title": "退货运费说明", "body": "卖家承担", "language": "zh", "published": true, "version": draft.Version}
		var got article
		st, b = e.do(t, "PUT", tok, path, upd, nil)
		if st != 200 || json.Unmarshal([]byte(b), &got) != nil || got.Version != draft.Version+1 || !got.Published {
			t.Fatalf("put: %d %s", st, b)
		}
		if st, b := e.do(t, "PUT", tok, path, upd, nil); st != 409 {
			t.Errorf("stale put: %d %s", st, b)
		}
		if st, _, b := e.get(t, tok, "/kb/search?published=true&q="+url.QueryEscape("运费"), &res); st != 200 || len(res.Hits) != 1 {
			t.Fatalf("search after publishing: %d %s", st, b)
		}
		if st, b := e.do(t, "DELETE", tok, path, nil, nil); st != 200 {
			t.Fatalf("delete: %d %s", st, b)
		}
		if st, _, _ := e.get(t, tok, path, nil); st != 404 {
			t.Errorf("deleted article: %d", st)
		}
		if st, b := e.do(t, "DELETE", tok, fmt.Sprintf("/kb/categories/%d", cat.ID), nil, nil); st != 200 {
			t.Fatalf("delete category: %d %s", st, b)
		}
		var one struct {
			CategoryID int64 `json:"category_id"`
		}
		if st, _, b := e.get(t, tok, fmt.Sprintf("/kb/articles/%d", zh.ID), &one); st != 200 || one.CategoryID != 0 {
			t.Errorf("article of a deleted category: %d %s", st, b)
		}
	})
}
