package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// Care rules through the API: created (errors name the field), read,
// changed on the version read, run now, and the run and its occurrences
// read back; a second run does nothing again.
func TestCareAPI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, loyaltyConfig(db))
		write := e.token(t, e.shopA, "care:read", "care:write")
		st, body := e.do(t, "POST", write, "/care/rules", map[string]any{"name": "沉睡唤醒", "trigger": "dormant", "days": 0, "action": "tag", "params": map[string]any{"tag": "唤醒"}}, nil)
		if st != 400 || !strings.Contains(body, "days") {
			t.Fatalf("a dormant rule of 0 days: %d %s", st, body)
		}
		st, body = e.do(t, "POST", write, "/care/rules", map[string]any{"name": "沉睡唤醒", "trigger": "dormant", "days": 30, "action": "points", "params": map[string]any{"points": 20, "tag": "ignored"}}, nil)
		var rule struct {
			ID      int64
			Version int64
			Enabled bool
			Params  map[string]any
		}
		if st != 201 || json.Unmarshal([]byte(body), &rule) != nil || !rule.Enabled || rule.Params["points"] != 20.0 || rule.Params["tag"] != nil {
			t.Fatalf("create: %d %s", st, body)
		}
		path := "/care/rules/" + jsonNum(rule.ID)
		if st, _, body := e.get(t, write, path, nil); st != 200 || !strings.Contains(body, "沉睡唤醒") {
			t.Fatalf("get: %d %s", st, body)
		}
		change := map[string]any{"name": "沉睡关怀", "trigger": "dormant", "days": 60, "action": "points", "params": map[string]any{"points": 30}}
		if st, body := e.do(t, "PUT", write, path, change, nil); st != 400 {
			t.Fatalf("a change without a version: %d %s", st, body)
		}
		if st, body := e.do(t, "PUT", write, path, change, http.Header{"If-Match": {`"1"`}}); st != 200 || !strings.Contains(body, "沉睡关怀") {
			t.Fatalf("change: %d %s", st, body)
		}
		if st, body := e.do(t, "PUT", write, path, change, http.Header{"If-Match": {`"1"`}}); st != 409 {
			t.Fatalf("a stale change: %d %s", st, body)
		}
		// One customer went dormant 60 days ago this hour.
		if _, err := db.Exec(ctx, `UPDATE customer_stats SET last_purchase_at = ? WHERE shop_id = ? AND customer_id = (SELECT MIN(customer_id) FROM customer_stats WHERE shop_id = ?)`,
			e.now.AddDate(0, 0, -60).Add(-time.Hour).Unix(), e.shopA.ID, e.shopA.ID); err != nil {
			t.Fatal(err)
		}
		var run struct {
			ID      int64
			Matched int
			Acted   int
			Skipped map[string]int
		}
		st, body = e.do(t, "POST", write, path+"/run", nil, nil)
		if st != 200 || json.Unmarshal([]byte(body), &run) != nil || run.ID == 0 || run.Matched != 1 || run.Acted != 1 {
			t.Fatalf("run: %d %s", st, body)
		}
		st, body = e.do(t, "POST", write, path+"/run", nil, nil)
		var again struct{ Matched, Acted int }
		if st != 200 || json.Unmarshal([]byte(body), &again) != nil || again.Acted != 0 {
			t.Fatalf("second run: %d %s", st, body)
		}
		var runs struct {
			Runs        []struct{ ID, Acted int }
			Occurrences []struct {
				CustomerID int64  `json:"customer_id"`
				Occurrence string `json:"occurrence"`
				Outcome    string
			}
		}
		if st, _, body := e.get(t, write, path+"/runs", &runs); st != 200 || len(runs.Runs) != 2 || len(runs.Occurrences) != run.Acted {
			t.Fatalf("runs: %d %s", st, body)
		}
		for _, o := range runs.Occurrences {
			if !strings.HasPrefix(o.Occurrence, "last:") || o.Outcome != "acted" {
				t.Fatalf("occurrence %+v", o)
			}
		}
		if st, body := e.do(t, "DELETE", write, path, nil, nil); st != 200 {
			t.Fatalf("delete: %d %s", st, body)
		}
		if st, _, _ := e.get(t, write, path, nil); st != 404 {
			t.Fatalf("deleted rule: %d", st)
		}
	})
}

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }
