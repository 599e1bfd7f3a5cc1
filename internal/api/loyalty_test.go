package api_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/api"
	"github.com/guanxi-crm/guanxi/internal/coupon"
	"github.com/guanxi-crm/guanxi/internal/loyalty"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// loyaltyConfig is an API config with the points and coupon services.
func loyaltyConfig(db *store.DB) api.Config {
	clock := guanxi.SystemClock{}
	return api.Config{Loyalty: loyalty.NewService(db, clock), Coupons: coupon.NewService(db, clock, segment.NewService(db, clock))}
}

type pointsOut struct {
	CustomerID int64 `json:"customer_id"`
	Balance    int64 `json:"balance"`
	Value      int64 `json:"value"`
	Tier       string
	Entries    []struct {
		ID     int64
		Kind   string
		Points int64
		Reason string
		Actor  string
	}
	NextBefore *int64 `json:"next_before"`
}

func TestPointsAPI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		cfg := loyaltyConfig(db)
		e := newEnv(t, db, cfg)
		var id int64
		if err := db.QueryRow(ctx, `SELECT MAX(id) FROM customers WHERE shop_id = ? AND merged_into IS NULL`, e.shopA.ID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		// Points earned by the fixture's orders stay out of the way: start from what there is.
		start, err := cfg.Loyalty.Balance(ctx, e.shopA.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		read, write := e.token(t, e.shopA, "loyalty:read"), e.token(t, e.shopA, "loyalty:write")
		path := fmt.Sprintf("/customers/%d/points", id)
		var got pointsOut
		if st, _, b := e.get(t, read, path, &got); st != 200 || got.CustomerID != id || got.Balance != start {
			t.Fatalf("GET points: %d %s", st, b)
		}

		if st, b := e.do(t, "POST", write, path, map[string]any{"action": "adjust", "points": 100, "reason": "补偿"}, nil); st != 201 {
			t.Fatalf("adjust +100: %d %s", st, b)
		}
		// Taking more than the balance is refused, and nothing changes.
		if st, b := e.do(t, "POST", write, path, map[string]any{"action": "adjust", "points": -(start + 1000), "reason": "x"}, nil); st != 409 || errorCode(t, b) != "conflict" {
			t.Errorf("adjust below zero: %d %s", st, b)
		}
		for _, body := range []map[string]any{
			{"action": "adjust", "points": 5},                                        // no reason
			{"action": "redeem", "points": 5},                                        // no key
			{"action": "redeem", "points": 0, "idempotency_key": "k0"},               // nothing to redeem
			{"action": "spend", "points": 5, "reason": "x"},                          // no such action
			{"action": "adjust", "points": 5, "reason": "x", "extra": true},          // unknown field
			{"action": "adjust", "points": 5, "reason": "x", "idempotency_key": "k"}, // a key on an adjustment
		} {
			if st, b := e.do(t, "POST", write, path, body, nil); st != 400 {
				t.Errorf("POST %v: %d %s", body, st, b)
			}
		}
		redeem := map[string]any{"action": "redeem", "points": 30, "reason": "兑换礼品", "idempotency_key": "pos-1"}
		st, b := e.do(t, "POST", write, path, redeem, nil)
		var first struct{ ID, Points int64 }
		if st != 201 || json.Unmarshal([]byte(b), &first) != nil || first.Points != -30 {
			t.Fatalf("redeem: %d %s", st, b)
		}
		// A retry spends once and answers the first entry.
		st, b = e.do(t, "POST", write, path, redeem, nil)
		var again struct{ ID int64 }
		if st != 200 || json.Unmarshal([]byte(b), &again) != nil || again.ID != first.ID {
			t.Errorf("repeated redemption: %d %s, want 200 with entry %d", st, b, first.ID)
		}
		if st, b := e.do(t, "POST", write, path, map[string]any{"action": "redeem", "points": 31, "idempotency_key": "pos-1"}, nil); st != 409 {
			t.Errorf("key reused for another redemption: %d %s", st, b)
		}
		got = pointsOut{}
		if st, _, b := e.get(t, read, path+"?limit=1", &got); st != 200 || got.Balance != start+70 || len(got.Entries) != 1 || got.Entries[0].Kind != "redeem" || got.NextBefore == nil {
			t.Errorf("GET points after: %d %s", st, b)
		}
		if len(got.Entries) == 1 && got.Entries[0].Actor == "" {
			t.Error("the entry has no actor: the token should be recorded")
		}
		if st, _, b := e.get(t, read, path+"?limit=1&before="+fmt.Sprint(*got.NextBefore), &got); st != 200 || len(got.Entries) != 1 || got.Entries[0].Reason != "补偿" {
			t.Errorf("GET the second page: %d %s", st, b)
		}
		if st, _, b := e.get(t, read, path+"?limit=0", nil); st != 400 {
			t.Errorf("limit 0: %d %s", st, b)
		}
		if st, _, b := e.get(t, read, "/customers/99999999/points", nil); st != 404 {
			t.Errorf("no such customer: %d %s", st, b)
		}
	})
}

func TestCouponsAPI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		cfg := loyaltyConfig(db)
		e := newEnv(t, db, cfg)
		var id int64
		if err := db.QueryRow(ctx, `SELECT MAX(id) FROM customers WHERE shop_id = ? AND merged_into IS NULL`, e.shopA.ID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		read := e.token(t, e.shopA, "loyalty:read")
		var list struct {
			Templates []struct {
				ID             int64
				Name           string
				Issued         int64
				RedemptionRate float64 `json:"redemption_rate"`
			}
		}
		if st, _, b := e.get(t, read, "/coupon-templates", &list); st != 200 || b != "{\"templates\":[]}\n" {
			t.Errorf("no templates: %d %q", st, b)
		}
		tpl := &coupon.Template{Name: "满199减20", Kind: coupon.KindAmount, Value: 2000, MinSpend: 19900, ValidDays: 30, CodePrefix: "VIP"}
		if err := cfg.Coupons.CreateTemplate(ctx, e.shopA.ID, tpl); err != nil {
			t.Fatal(err)
		}
		codes, err := cfg.Coupons.Issue(ctx, e.shopA.ID, tpl.ID, []int64{id}, "manual")
		if err != nil {
			t.Fatal(err)
		}
		if st, _, b := e.get(t, read, "/coupon-templates", &list); st != 200 || len(list.Templates) != 1 || list.Templates[0].Name != tpl.Name || list.Templates[0].Issued != 1 {
			t.Errorf("templates: %d %s", st, b)
		}
		var mine struct {
			CustomerID int64 `json:"customer_id"`
			Coupons    []struct {
				Code         string
				TemplateName string `json:"template_name"`
				Source       string
				RedeemedAt   *string `json:"redeemed_at"`
			}
		}
		if st, _, b := e.get(t, read, fmt.Sprintf("/customers/%d/coupons", id), &mine); st != 200 || len(mine.Coupons) != 1 ||
			mine.Coupons[0].Code != codes[id] || mine.Coupons[0].TemplateName != tpl.Name || mine.Coupons[0].Source != "manual" || mine.Coupons[0].RedeemedAt != nil {
			t.Errorf("customer's coupons: %d %s", st, b)
		}
		// Shop b's token sees none of it.
		other := e.token(t, e.shopB, "loyalty:read")
		if st, _, b := e.get(t, other, "/coupon-templates", &list); st != 200 || len(list.Templates) != 0 {
			t.Errorf("shop b's templates: %d %s", st, b)
		}
	})
}
