package score_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/score"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestScoreMatchesFixture imports the hand-computed RFM fixture of the
// analytics package, scores the shop in the database and expects exactly the
// fixture's expected rows: the database path and `analyze rfm` agree.
func TestScoreMatchesFixture(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := guanxi.FixedClock(time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC))
		log := slog.New(slog.DiscardHandler)
		sh := &shop.Shop{Code: "s1", Timezone: "Asia/Shanghai"}
		if err := shop.NewService(db, clock).Create(ctx, sh); err != nil {
			t.Fatal(err)
		}
		if _, err := importer.NewService(db, clock, log).ImportFile(ctx, sh, "../analytics/testdata/rfm_orders.csv", importer.Options{}); err != nil {
			t.Fatal(err)
		}
		res, err := score.NewService(db, clock, log).Run(ctx, sh, time.Date(2025, 6, 30, 0, 0, 0, 0, sh.Location()))
		if err != nil {
			t.Fatal(err)
		}
		if res.Customers != 12 || res.Model != "" || !strings.Contains(res.Note, "RFM") {
			t.Errorf("result %+v: want 12 customers, no model (too little data) and a note saying so", res)
		}
		rows, err := db.Query(ctx, `SELECT i.value, s.recency_days, s.frequency, s.monetary, s.r, s.f, s.m, s.segment_cn, s.segment, s.p_alive IS NULL, s.as_of
FROM customer_scores s JOIN customer_identities i ON i.shop_id = s.shop_id AND i.customer_id = s.customer_id AND i.kind = 'customer_id'
WHERE s.shop_id = ? ORDER BY i.value`, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got [][]string
		for rows.Next() {
			var id, segCN, seg, asOf string
			var rec, freq, mon, r, f, m int64
			var noModel bool
			if err := rows.Scan(&id, &rec, &freq, &mon, &r, &f, &m, &segCN, &seg, &noModel, &asOf); err != nil {
				t.Fatal(err)
			}
			if !noModel || asOf != "2025-06-30" {
				t.Errorf("%s: model columns set or as_of %s", id, asOf)
			}
			got = append(got, []string{id, fmt.Sprint(rec), fmt.Sprint(freq), guanxi.Money(mon).String(), fmt.Sprint(r), fmt.Sprint(f), fmt.Sprint(m), segCN, seg})
		}
		f, err := os.Open("../analytics/testdata/rfm_expected.csv")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		want, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(got, want[1:], slices.Equal) {
			t.Errorf("stored scores\n%v\nwant\n%v", got, want[1:])
		}
	})
}
