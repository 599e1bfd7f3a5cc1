package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/api"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
	"github.com/guanxi-crm/guanxi/internal/survey"
)

// TestSurveyAPI: a survey drafted, refused when invalid, changed on its
// version (409 on a stale one), activated, sent to a segment; its results
// and responses read back after an answer through its link.
func TestSurveyAPI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, api.Config{})
		w := e.token(t, e.shopA, "surveys:read", "surveys:write")
		seg := e.saveSegment(t)
		st, b := e.do(t, "POST", w, "/surveys", map[string]any{"kind": "custom", "title": "口味",
			"questions": []map[string]any{{"id": "Q", "type": "text", "text": "?"}}}, nil)
		if st != 400 || errorCode(t, b) != "invalid" {
			t.Fatalf("bad question id: %d %s", st, b)
		}
		st, b = e.do(t, "POST", w, "/surveys", map[string]any{"kind": "nps", "title": "推荐度", "channel": "sms"}, nil)
		if st != 201 {
			t.Fatalf("create: %d %s", st, b)
		}
		var sv struct {
			ID      int64  `json:"id"`
			Status  string `json:"status"`
			Version int64  `json:"version"`
		}
		decodeJSON(t, b, &sv)
		path := fmt.Sprint("/surveys/", sv.ID)
		if st, b := e.do(t, "PUT", w, path, map[string]any{"kind": "nps", "title": "推荐度", "channel": "sms", "segment_id": seg, "version": sv.Version + 1}, nil); st != 409 {
			t.Fatalf("stale put: %d %s", st, b)
		}
		if st, b := e.do(t, "PUT", w, path, map[string]any{"kind": "nps", "title": "推荐度", "channel": "sms", "segment_id": seg, "version": sv.Version}, nil); st != 200 {
			t.Fatalf("put: %d %s", st, b)
		}
		if st, b := e.do(t, "POST", w, path+"/activate", nil, nil); st != 200 {
			t.Fatalf("activate: %d %s", st, b)
		}
		st, b = e.do(t, "POST", w, path+"/send", nil, nil)
		var sent struct{ Queued int }
		decodeJSON(t, b, &sent)
		if st != http.StatusAccepted || sent.Queued == 0 {
			t.Fatalf("send: %d %s", st, b)
		}
		// Answer one invite through its link, as the public page does.
		invs, err := e.surveys.Invites(ctx, e.shopA.ID, sv.ID, 1)
		counts, cerr := e.surveys.InviteCounts(ctx, e.shopA.ID, sv.ID)
		if err != nil || cerr != nil || len(invs) != 1 || counts[survey.Queued] != sent.Queued {
			t.Fatalf("invites %d %v %v %v", len(invs), counts, err, cerr)
		}
		tok, err := e.surveys.Token(ctx, e.shopA.ID, &invs[0])
		if err != nil {
			t.Fatal(err)
		}
		nine := 9
		if _, err := e.surveys.Respond(ctx, tok, survey.Answer{Score: &nine}); err != nil {
			t.Fatal(err)
		}
		st, b = e.do(t, "GET", w, path+"/results?from=2025-01&to=2025-06", nil, nil)
		var res struct {
			Total struct {
				Responses int      `json:"responses"`
				NPS       *float64 `json:"nps"`
				CSAT      *float64 `json:"csat"`
			} `json:"total"`
			Months []struct{ Key string } `json:"months"`
		}
		decodeJSON(t, b, &res)
		if st != 200 || res.Total.Responses != 1 || res.Total.NPS == nil || *res.Total.NPS != 100 || res.Total.CSAT != nil || len(res.Months) != 6 || res.Months[5].Key != "2025-06" {
			t.Fatalf("results: %d %s", st, b)
		}
		if st, b := e.do(t, "GET", w, "/survey-results?from=2025-07", nil, nil); st != 400 || errorCode(t, b) != "invalid" {
			t.Fatalf("from after to: %d %s", st, b)
		}
		st, b = e.do(t, "GET", w, path+"/responses", nil, nil)
		var rs struct {
			Responses []struct {
				Score      *int  `json:"score"`
				CustomerID int64 `json:"customer_id"`
			} `json:"responses"`
		}
		decodeJSON(t, b, &rs)
		if st != 200 || len(rs.Responses) != 1 || *rs.Responses[0].Score != 9 || rs.Responses[0].CustomerID != invs[0].CustomerID {
			t.Fatalf("responses: %d %s", st, b)
		}
		if st, b := e.do(t, "POST", w, path+"/close", nil, nil); st != 200 {
			t.Fatalf("close: %d %s", st, b)
		}
		if st, b := e.do(t, "POST", w, path+"/send", nil, nil); st != 400 {
			t.Fatalf("send closed: %d %s", st, b)
		}
	})
}

// saveSegment saves shop a's buyers as a segment and returns its id.
func (e *env) saveSegment(t *testing.T) int64 {
	t.Helper()
	r, err := segment.ParseRule([]byte(`{"field": "orders_count", "op": "gte", "value": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	sg := &segment.Segment{Name: "买过的客户", Rule: r}
	if err := e.segments.Create(ctx, e.shopA.ID, sg); err != nil {
		t.Fatal(err)
	}
	return sg.ID
}
