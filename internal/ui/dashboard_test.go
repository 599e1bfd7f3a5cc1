package ui_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// dashboardPages are the dashboards and the CSV files each links to.
var dashboardPages = []struct {
	path string
	csvs []string
}{
	{"/s/a/dashboard", []string{"monthly.csv", "repeat.csv", "pareto.csv"}},
	{"/s/a/dashboard/customers", []string{"segments.csv", "tiers.csv", "lifecycle.csv"}},
	{"/s/a/dashboard/retention", []string{"cohorts.csv", "stages.csv", "flows.csv"}},
	{"/s/a/dashboard/geography", []string{"provinces.csv"}},
	{"/s/a/dashboard/churn", []string{"churn_bands.csv", "churn.csv"}},
}

// csvRows returns a CSV's lines after the byte order mark.
func csvRows(t *testing.T, c *client, name string) []string {
	t.Helper()
	p := c.get("/s/a/dashboard/" + name)
	if p.status != http.StatusOK || !strings.HasPrefix(p.body, "\uFEFF") || !strings.HasPrefix(p.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("%s: %d %q\n%.300s", name, p.status, p.header.Get("Content-Type"), p.body)
	}
	return strings.Split(strings.TrimSuffix(strings.TrimPrefix(p.body, "\uFEFF"), "\n"), "\n")
}

// testDashboards fetches every dashboard and its CSV files as a member and
// checks their numbers against the test shop worked out by hand; a member
// of another shop gets 403 everywhere.
//
// Shop a's purchases (testdata): 钱七 in February, 王芳 in March and May
// (¥395.00, then ¥98.50 less ¥20.00 refunded), 李雷, two others in April,
// 孙丽 (Taobao, 浙江省) in May; A1006 was cancelled. Scored as of 2025-12-31
// with the fixed rules (too few repeat buyers to learn from): new ≤ 30,
// dormant > 90, churned > 180 days, loyal ≥ 4 purchase days.
func testDashboards(t *testing.T, e *env) {
	c := e.client(t)
	c.signIn("alice")
	for _, d := range dashboardPages {
		p := c.get(d.path)
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d\n%s", d.path, p.status, p.body)
		}
		mustContain(t, d.path, p.body, `id="chart-data"`, `class="tabs"`, `aria-current="page"`, "echarts-6.1.0.min", "dashboard.js")
		mustNotContain(t, d.path, p.body, "<script>", "style=")
		for _, name := range d.csvs {
			mustContain(t, d.path, p.body, `/s/a/dashboard/`+name)
			if rows := csvRows(t, c, name); len(rows) < 2 {
				t.Errorf("%s: only %q", name, rows)
			}
		}
	}

	// Overview: May had two buyers, 王芳 back and 孙丽 new.
	repeat := csvRows(t, c, "repeat.csv")
	mustContain(t, "repeat.csv", strings.Join(repeat, "\n"), "month,active_customers,returning_customers,repeat_rate\n",
		"2025-03,1,0,0.0000", "2025-04,3,0,0.0000", "2025-05,2,1,0.5000")
	mustContain(t, "overview", c.get("/s/a/dashboard").body, `"repeat_months":["2025-02","2025-03","2025-04","2025-05"]`,
		`"active":[1,1,3,2]`, `"repeat_rate":[0,0,0,50]`, "复购率", "活跃客户")

	// Geography: 浙江省 is 王芳's two orders and 孙丽's.
	prov := strings.Join(csvRows(t, c, "provinces.csv"), "\n")
	mustContain(t, "provinces.csv", prov, "province,revenue,orders,customers,aov\n", "浙江省,729.50,3,2,243.17", "广东省,256.00,1,1,256.00")
	mustNotContain(t, "provinces.csv", prov, "四川省") // only the cancelled order
	mustContain(t, "geography", c.get("/s/a/dashboard/geography").body, "浙江省", "¥729.50", `"provinces":["浙江省"`)

	// Customer base: every scored customer is in one tier, and the shares add up.
	tiers := csvRows(t, c, "tiers.csv")
	if tiers[0] != "tier,customers,revenue,revenue_share" {
		t.Errorf("tiers.csv header %q", tiers[0])
	}
	var customers int
	var share float64
	for _, row := range tiers[1:] {
		var n int
		var name, rev string
		var s float64
		f := strings.Split(row, ",")
		if len(f) != 4 {
			t.Fatalf("tiers.csv row %q", row)
		}
		name, rev = f[0], f[2]
		fmt.Sscan(f[1], &n)
		fmt.Sscan(f[3], &s)
		if name == "" || rev == "" {
			t.Errorf("tiers.csv row %q", row)
		}
		customers += n
		share += s
	}
	if customers != 6 || share < 0.999 || share > 1.001 {
		t.Errorf("tiers: %d customers, shares add up to %f\n%s", customers, share, strings.Join(tiers, "\n"))
	}
	mustContain(t, "customers page", c.get("/s/a/dashboard/customers").body, "客户价值分层", `"tiers":[`, `"segments":[`, `"lifecycle":[`)

	// Retention: thirteen month ends to the scoring date. 钱七 (one customer
	// after merging, three purchase days in February) is active at the end
	// of February and dormant from May (104 days quiet); at the end of June
	// 王芳 (two purchase days, 41 days quiet), 孙丽 (50 days) and those who
	// last bought in April (86-89 days) are active; by December everyone
	// has been quiet for over 180 days.
	stages := csvRows(t, c, "stages.csv")
	want := []string{"date,new,active,loyal,dormant,churned",
		"2024-12-31,0,0,0,0,0", "2025-01-31,0,0,0,0,0", "2025-02-28,0,1,0,0,0", "2025-03-31,1,1,0,0,0",
		"2025-04-30,3,2,0,0,0", "2025-05-31,1,4,0,1,0", "2025-06-30,0,5,0,1,0", "2025-07-31,0,2,0,4,0",
		"2025-08-31,0,0,0,5,1", "2025-09-30,0,0,0,4,2", "2025-10-31,0,0,0,2,4", "2025-11-30,0,0,0,0,6", "2025-12-31,0,0,0,0,6"}
	if strings.Join(stages, "\n") != strings.Join(want, "\n") {
		t.Errorf("stages.csv:\n%s\nwant\n%s", strings.Join(stages, "\n"), strings.Join(want, "\n"))
	}
	flows := csvRows(t, c, "flows.csv")
	if len(flows) != 1+12*6*5 {
		t.Errorf("flows.csv has %d lines, want 361", len(flows))
	}
	mustContain(t, "flows.csv", strings.Join(flows, "\n"), "from_date,to_date,from_stage,to_stage,customers\n",
		"2025-04-30,2025-05-31,none,new,1",       // 孙丽
		"2025-04-30,2025-05-31,new,active,3",     // 李雷 and the other two April buyers
		"2025-04-30,2025-05-31,active,active,1",  // 王芳
		"2025-04-30,2025-05-31,active,dormant,1", // 钱七
		"2025-06-30,2025-07-31,active,dormant,3")
	ret := c.get("/s/a/dashboard/retention?to=2025-05-31")
	mustContain(t, "retention", ret.body, `<option value="2025-05-31" selected>`, `"flow_links":[`, `"cells":[`, "同期群留存", "尚未购买")
	mustContain(t, "cohorts.csv", strings.Join(csvRows(t, c, "cohorts.csv"), "\n"), "cohort,size,month_offset,active,revenue,retention\n", "2025-03,1,0,1,395.00,1.0000")

	// Churn risk: five customers are at high risk (王芳, at medium, is not),
	// the most valuable first (no 12-month value without a fitted model, so
	// by spend); the list links to customers, escapes names, and masks
	// contacts for a role that does not see them, in the CSV too.
	li := e.customerID(t, e.shopA, "李雷")
	ch := c.get("/s/a/dashboard/churn")
	mustContain(t, "churn (admin)", ch.body, fmt.Sprintf(`href="/s/a/customers/%d"`, li), "13900001111", "qian7@163.com",
		"高流失风险", "共 5 位高风险客户", "只购买过一次，在273天前", "&lt;script&gt;")
	mustNotContain(t, "churn (admin)", ch.body, "王芳", "<script>alert", "<img src=x")
	if i, j := strings.Index(ch.body, "钱七"), strings.Index(ch.body, "李雷"); i < 0 || j < i {
		t.Errorf("churn list order: 钱七 at %d, 李雷 at %d", i, j)
	}
	admin := strings.Join(csvRows(t, c, "churn.csv"), "\n")
	mustContain(t, "churn.csv (admin)", admin, "customer_id,name,phone,email,", "13900001111", "qian7@163.com",
		"bought once, 273 days ago")
	a := e.client(t)
	a.signIn("ann")
	ch = a.get("/s/a/dashboard/churn")
	mustContain(t, "churn (analyst)", ch.body, "139****1111", "q***@163.com")
	mustNotContain(t, "churn (analyst)", ch.body, "13900001111", "qian7@163.com")
	churnCSV := strings.Join(csvRows(t, a, "churn.csv"), "\n")
	mustContain(t, "churn.csv (analyst)", churnCSV, "139****1111", "q***@163.com")
	mustNotContain(t, "churn.csv (analyst)", churnCSV, "13900001111", "qian7@163.com")
	if p := a.get("/s/a/dashboard/churn?sort=monetary&page=2"); p.status != http.StatusOK {
		t.Errorf("churn page 2: %d", p.status)
	}

	// Another shop's admin gets 403 for every page and file.
	b := e.client(t)
	b.signIn("bob")
	for _, d := range dashboardPages {
		if p := b.get(d.path); p.status != http.StatusForbidden {
			t.Errorf("shop b's admin on %s: %d", d.path, p.status)
		}
		for _, name := range d.csvs {
			if p := b.get("/s/a/dashboard/" + name); p.status != http.StatusForbidden {
				t.Errorf("shop b's admin on %s: %d", name, p.status)
			}
		}
	}
	if p := b.get("/s/nope/dashboard/churn"); p.status != http.StatusForbidden {
		t.Errorf("an unknown shop's dashboard: %d", p.status)
	}
}
