package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestScorecardPage serves the scorecard and its CSV files to an admin,
// an analyst and an agent of shop a with two tickets resolved in June 2025,
// one by alice (admin) and one by multi (agent): the admin and the analyst
// see both rows, the agent only their own; a bad date is answered 400.
func TestScorecardPage(t *testing.T) {
	storetestEngines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		uid := func(name string) int64 {
			var id int64
			if err := e.db.QueryRow(ctx, `SELECT id FROM users WHERE username = ?`, name).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		alice, multi := uid("alice"), uid("multi")
		cust := e.customerID(t, e.shopA, "王芳")
		at := time.Date(2025, 6, 10, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)).Unix()
		for i, who := range []int64{alice, multi} {
			if _, err := e.db.Exec(ctx, `INSERT INTO tickets (shop_id, id, kind, subject, customer_id, channel, priority, assignee_id, status,
created_at, updated_at, closed_at, sla_started_at, first_response_due, resolution_due, first_responded_at, resolved_at)
VALUES (?, ?, 'complaint', 's', ?, 'ui', 'normal', ?, 'archived', ?, ?, ?, ?, ?, ?, ?, ?)`,
				e.shopA.ID, 9001+i, cust, who, at, at, at+7200, at, at+3600, at+86400, at+600*int64(i+1), at+3600); err != nil {
				t.Fatal(err)
			}
		}
		const q = "?from=2025-06-01&to=2025-06-30&month=2025-06"
		row := func(id int64) string { return fmt.Sprintf(`data-user="%d"`, id) }
		for _, who := range []string{"alice", "ann", "multi"} {
			c := e.client(t)
			c.signIn(who)
			p := c.get("/s/a/scorecard" + q)
			if p.status != http.StatusOK {
				t.Fatalf("%s: %d\n%.500s", who, p.status, p.body)
			}
			mustContain(t, who, p.body, `id="chart-data"`, "scorecard.js", "echarts-6.1.0.min", "2025-06", row(multi),
				"/s/a/scorecard/csv?table=agents&amp;from=2025-06-01")
			mustNotContain(t, who, p.body, "<script>", "style=")
			agents := c.get("/s/a/scorecard/csv" + q + "&table=agents")
			if agents.status != http.StatusOK || !strings.HasPrefix(agents.body, "\uFEFF") {
				t.Fatalf("%s: agents.csv %d %.300s", who, agents.status, agents.body)
			}
			lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(agents.body, "\uFEFF")), "\n")
			if who == "multi" {
				mustNotContain(t, who, p.body, row(alice))
				mustContain(t, who, p.body, "你可以看到团队数据和你自己的数据")
				if len(lines) != 2 || !strings.Contains(lines[1], fmt.Sprintf(",%d,", multi)) {
					t.Errorf("agent's agents.csv: %q", lines)
				}
			} else {
				mustContain(t, who, p.body, row(alice))
				if len(lines) != 3 {
					t.Errorf("%s: agents.csv %q, want a header and two agents", who, lines)
				}
			}
			for _, table := range []string{"teams", "effectiveness"} {
				p := c.get("/s/a/scorecard/csv" + q + "&table=" + table)
				if p.status != http.StatusOK || strings.Count(p.body, "\n") < 2 {
					t.Errorf("%s: %s.csv %d %.300s", who, table, p.status, p.body)
				}
			}
			// The whole shop: two handled, complaints per 1,000 orders.
			teams := c.get("/s/a/scorecard/csv" + q + "&table=teams")
			if !strings.Contains(teams.body, "2025-06-01,2025-06-30,0,*,0,2,") {
				t.Errorf("%s: teams.csv without the shop's row of 2 complaints: %s", who, teams.body)
			}
			if p := c.get("/s/a/scorecard?from=2025-6-1"); p.status != http.StatusBadRequest {
				t.Errorf("%s: a bad date: %d", who, p.status)
			}
		}
	})
}
