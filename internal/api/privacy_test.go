package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/api"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestPrivacyEndpoints: the export and the erasure through the API, with
// the scopes each needs, audited under the token.
func TestPrivacyEndpoints(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, api.Config{})
		var id int64
		if err := db.QueryRow(ctx, `SELECT MAX(customer_id) FROM orders WHERE shop_id = ?`, e.shopA.ID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		pii := e.token(t, e.shopA, "customers:pii")
		path := fmt.Sprintf("/customers/%d/export", id)
		if st, b := e.do(t, "GET", pii, path, nil, nil); st != 400 || !strings.Contains(b, "reason") {
			t.Errorf("export without a reason: %d %s", st, b)
		}
		st, b := e.do(t, "GET", pii, path+"?reason=request", nil, nil)
		var doc struct {
			CustomerID int64                       `json:"customer_id"`
			Tables     map[string][]map[string]any `json:"tables"`
		}
		if st != 200 || json.Unmarshal([]byte(b), &doc) != nil || doc.CustomerID != id || len(doc.Tables["orders"]) == 0 {
			t.Fatalf("export: %d %.300s", st, b)
		}
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1"+path+"?reason=request&format=csv", nil)
		req.Header.Set("Authorization", "Bearer "+pii)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		zb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" || !bytes.HasPrefix(zb, []byte("PK")) {
			t.Errorf("csv export: %d %.100s", resp.StatusCode, zb)
		}
		erase := fmt.Sprintf("/customers/%d/personal-data?reason=request", id)
		if st, b := e.do(t, "DELETE", pii, erase, nil, nil); st != 403 {
			t.Errorf("erase without customers:write: %d %s", st, b)
		}
		if st, b := e.do(t, "DELETE", e.token(t, e.shopA, "customers:write"), erase, nil, nil); st != 403 {
			t.Errorf("erase without customers:pii: %d %s", st, b)
		}
		both := e.token(t, e.shopA, "customers:pii", "customers:write")
		if st, b := e.do(t, "DELETE", both, erase, nil, nil); st != 200 || !strings.Contains(b, `"customers"`) {
			t.Fatalf("erase: %d %s", st, b)
		}
		if st, b := e.do(t, "DELETE", both, erase, nil, nil); st != 409 {
			t.Errorf("second erase: %d %s", st, b)
		}
		var n int64
		db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE shop_id = ? AND action IN ('customer.export', 'customer.erase') AND actor LIKE 'token:%'`, e.shopA.ID).Scan(&n)
		if n != 3 {
			t.Errorf("%d audit entries, want 3 (two exports, one erasure)", n)
		}
	})
}
