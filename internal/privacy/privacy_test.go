package privacy

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/demo/demotest"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/report"
	"github.com/guanxi-crm/guanxi/internal/score"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

var (
	end   = time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
	admin = audit.WithActor(context.Background(), audit.Actor{UserID: 1, Name: "user:admin"})
)

// clock is a test clock that moves when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func exec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func importFile(t *testing.T, db *store.DB, sh *shop.Shop, path string) {
	t.Helper()
	svc := importer.NewService(db, guanxi.FixedClock(end), slog.New(slog.DiscardHandler))
	if _, err := svc.ImportFile(context.Background(), sh, path, importer.Options{Format: "generic"}); err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
}

// person is the customer the tests export and erase, with their data
// spread over every kind of record a shop keeps: orders, a note, a
// ticket with a chat message and an attachment, a campaign message, a
// survey answer, a task, consents, an audited edit.
type person struct {
	id        int64
	originals []string // the values that must not survive an erasure
}

func setup(t *testing.T, db *store.DB) (*shop.Shop, person) {
	t.Helper()
	ctx := context.Background()
	sh := demotest.Shop(t, db, "p1", end, 150, 600)
	importFile(t, db, sh, "testdata/person.csv")
	if _, err := score.NewService(db, guanxi.FixedClock(end), slog.New(slog.DiscardHandler)).Run(ctx, sh, end.In(sh.Location())); err != nil {
		t.Fatal(err)
	}
	var p person
	if err := db.QueryRow(ctx, `SELECT customer_id FROM orders WHERE shop_id = ? AND external_id = 'PV1'`, sh.ID).Scan(&p.id); err != nil {
		t.Fatal(err)
	}
	const (
		name    = "欧阳测试娜"
		email   = "Ouyang.Testna@Example.org"
		openid  = "oPRIVxYz0123456789"
		address = "杭州市西湖区文三路九十九号"
	)
	var phone string
	if err := db.QueryRow(ctx, `SELECT phone FROM customers WHERE shop_id = ? AND id = ?`, sh.ID, p.id).Scan(&phone); err != nil {
		t.Fatal(err)
	}
	phone, err := db.Keys().Open("phone", phone)
	if err != nil || phone == "" {
		t.Fatalf("the import gave the person no phone: %q %v", phone, err)
	}
	if err := db.QueryRow(ctx, `SELECT 1 FROM customer_identities WHERE shop_id = ? AND customer_id = ? AND kind = 'phone' AND value = ?`,
		sh.ID, p.id, db.Keys().Hash(sh.ID, "phone", phone)).Scan(new(int)); err != nil {
		t.Fatalf("the import made no phone identity: %v", err)
	}
	exec(t, db, `UPDATE customers SET address = ?, birthday = '1990-02-03', attrs = ? WHERE shop_id = ? AND id = ?`,
		address, `{"wechat": "`+openid+`"}`, sh.ID, p.id)
	exec(t, db, `INSERT INTO customer_identities (shop_id, platform, kind, value, customer_id, created_at) VALUES (?, 'wechat', 'openid', ?, ?, 1)`, sh.ID, openid, p.id)
	exec(t, db, `INSERT INTO customer_consents (shop_id, customer_id, channel, purpose, granted, source, at) VALUES (?, ?, 'sms', 'marketing', TRUE, 'ui', 100)`, sh.ID, p.id)
	exec(t, db, `UPDATE customer_consents SET granted = FALSE, source = 'sms-reply:TD', at = 200 WHERE shop_id = ? AND customer_id = ? AND channel = 'sms'`, sh.ID, p.id)
	exec(t, db, `INSERT INTO timeline_events (shop_id, id, customer_id, kind, occurred_at, title, data) VALUES (?, 900001, ?, 'note', 10, '', ?)`,
		sh.ID, p.id, `{"text": "电话 `+phone+` 地址 `+address+`"}`)
	exec(t, db, `INSERT INTO tickets (shop_id, id, kind, subject, body, customer_id, channel, priority, status, created_at, updated_at, sla_started_at, first_response_due, resolution_due, version)
VALUES (?, 1, 'complaint', ?, ?, ?, 'wechat', 'high', 'received', 48, 49, 48, 52, 56, 1)`, sh.ID, name+" 投诉", "请回邮件 "+email, p.id)
	exec(t, db, `INSERT INTO ticket_events (shop_id, ticket_id, id, kind, body, actor, at, channel) VALUES (?, 1, 1, 'message', ?, ?, 71, 'wechat')`,
		sh.ID, "我是"+name+"，电话 "+phone, "wechat:"+openid)
	exec(t, db, `INSERT INTO inbound_messages (shop_id, source, message_id, ticket_id, event_id, received_at) VALUES (?, 'wechat', ?, 1, 1, 71)`, sh.ID, openid+":1")
	exec(t, db, `INSERT INTO ticket_attachments (shop_id, id, ticket_id, name, content_type, size, sha256, content, created_at) VALUES (?, 1, 1, ?, 'text/plain', 11, 'ab', ?, 70)`,
		sh.ID, name+".txt", []byte(phone))
	exec(t, db, `INSERT INTO campaigns (shop_id, id, name, purpose, rule, channel, body, schedule, holdout_share, seed, attribution_days, status, created_at, updated_at, version)
VALUES (?, 1, '上新', 'marketing', '{}', 'sms', '新茶到店', 'now', 0.1, 7, 7, 'sent', 44, 45, 1)`, sh.ID)
	exec(t, db, `INSERT INTO campaign_messages (shop_id, campaign_id, customer_id, grp, address, status, sent_at) VALUES (?, 1, ?, 'target', ?, 'sent', 45)`, sh.ID, p.id, db.Keys().Seal("address", phone))
	exec(t, db, `INSERT INTO surveys (shop_id, id, kind, title, status, created_at, updated_at, version) VALUES (?, 1, 'nps', '推荐吗', 'active', 62, 63, 1)`, sh.ID)
	exec(t, db, `INSERT INTO survey_invites (shop_id, id, survey_id, customer_id, channel, address, status, created_at, expires_at) VALUES (?, 1, 1, ?, 'email', ?, 'answered', 64, 99)`,
		sh.ID, p.id, db.Keys().Seal("address", email))
	exec(t, db, `INSERT INTO survey_responses (shop_id, id, survey_id, invite_id, customer_id, kind, score, answers, comment, responded_at) VALUES (?, 1, 1, 1, ?, 'nps', 2, ?, ?, 66)`,
		sh.ID, p.id, `{"why": "`+name+`不满意"}`, "我叫"+name)
	exec(t, db, `INSERT INTO tasks (shop_id, id, customer_id, kind, title, body, due_at, status, source, created_at, version) VALUES (?, 1, ?, 'callback', ?, ?, 60, 'open', 'user:admin', 55, 1)`,
		sh.ID, p.id, "回电 "+name, "打 "+phone)
	exec(t, db, `INSERT INTO audit_log (shop_id, id, at, actor, action, object_type, object_id, detail) VALUES (?, 900001, 26, 'user:admin', 'customer.update', 'customer', ?, ?)`,
		sh.ID, fmt.Sprint(p.id), `{"email": {"old": "", "new": "`+strings.ToLower(email)+`"}}`) // as stored
	var order int64
	if err := db.QueryRow(ctx, `SELECT id FROM orders WHERE shop_id = ? AND external_id = 'PV1'`, sh.ID).Scan(&order); err != nil {
		t.Fatal(err)
	}
	exec(t, db, `INSERT INTO order_lines (shop_id, order_id, line_no, sku, name, quantity, unit_price, amount) VALUES (?, ?, 1, 'LJ-1', '龙井', 2, 9400, 18800)`, sh.ID, order)
	p.originals = []string{name, phone, email, strings.ToLower(email), openid, address, "13987654321", "1990-02-03"}
	return sh, p
}

// figures is what the shop's reports read: every customer's statistics
// and scores, the order and line totals and the dashboard's cube.
func figures(t *testing.T, db *store.DB, sh *shop.Shop) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, q := range []string{
		`SELECT customer_id, first_purchase_at, last_purchase_at, purchase_days, orders_count, total_spent, refunded FROM customer_stats WHERE shop_id = ? ORDER BY customer_id`,
		`SELECT customer_id, segment, segment_cn, lifecycle, tier, r, f, m FROM customer_scores WHERE shop_id = ? ORDER BY customer_id`,
		`SELECT COUNT(*), SUM(amount), SUM(refunded), MIN(placed_at), MAX(placed_at) FROM orders WHERE shop_id = ?`,
		`SELECT COUNT(*), SUM(amount), SUM(quantity) FROM order_lines WHERE shop_id = ?`,
		`SELECT COUNT(*) FROM customers WHERE shop_id = ?`,
	} {
		rows, err := db.Query(ctx, q, sh.ID)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	rs := report.NewService(db)
	for _, by := range [][]string{nil, {"segment"}, {"month"}, {"province"}} {
		c, err := rs.Cube(ctx, sh.ID, report.CubeQuery{By: by})
		if err != nil {
			t.Fatal(err)
		}
		j, _ := json.Marshal(c)
		b.Write(j)
	}
	segs := segment.NewService(db, guanxi.FixedClock(end))
	for _, rule := range []string{
		`{"field": "province", "op": "eq", "value": "浙江省"}`,
		`{"field": "orders_count", "op": "gte", "value": 2}`, `{"field": "total_spent", "op": "gt", "value": 100}`,
		`{"field": "segment", "op": "eq", "value": "Champions"}`,
	} {
		r, err := segment.ParseRule([]byte(rule))
		if err != nil {
			t.Fatalf("%s: %v", rule, err)
		}
		n, err := segs.Count(ctx, sh.ID, r)
		if err != nil {
			t.Fatalf("count %s: %v", rule, err)
		}
		fmt.Fprintf(&b, "segment %s: %d\n", rule, n)
	}
	for _, col := range []string{"segment", "lifecycle"} {
		tot, err := rs.ScoreTotals(ctx, sh.ID, col)
		if err != nil {
			t.Fatal(err)
		}
		j, _ := json.Marshal(tot)
		b.Write(j)
	}
	return b.String()
}

// scan searches every text and binary column of every table of the
// database, as its catalogue lists them, for each value; it returns where
// each was found.
func scan(t *testing.T, db *store.DB, values []string) []string {
	t.Helper()
	ctx := context.Background()
	if _, names, err := catalogue(ctx, db, db.Dialect); err != nil || len(names) < 60 {
		t.Fatalf("catalogue lists %d tables (%v): it does not read the schema", len(names), err)
	}
	places, cols, err := Locate(ctx, db, values)
	if err != nil {
		t.Fatal(err)
	}
	if cols < 200 {
		t.Fatalf("scanned only %d columns", cols)
	}
	var found []string
	for _, p := range places {
		found = append(found, p.String())
	}
	return found
}

func TestErase(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sh, p := setup(t, db)
		// A record merged into the person is theirs too: its own copy of
		// the phone and an alias must go with the erasure.
		var alias int64
		if err := db.QueryRow(ctx, `SELECT MIN(id) FROM customers WHERE shop_id = ? AND id <> ?`, sh.ID, p.id).Scan(&alias); err != nil {
			t.Fatal(err)
		}
		exec(t, db, `UPDATE customers SET merged_into = ?, name = '欧阳小号', phone = ? WHERE shop_id = ? AND id = ?`, p.id, db.Keys().Seal("phone", p.originals[1]), sh.ID, alias)
		p.originals = append(p.originals, "欧阳小号")
		// The scan finds what is there: before the erasure, every value is.
		found := scan(t, db, p.originals)
		for _, v := range p.originals {
			if !strings.Contains(strings.Join(found, "\n"), fmt.Sprintf("%q", v)) {
				t.Errorf("before erasure the scan does not find %q: %v", v, found)
			}
		}
		before := figures(t, db, sh)
		clk := &clock{t: end.Add(time.Hour)}
		s := NewService(db, clk)
		if _, err := s.Erase(admin, sh.ID, p.id, ""); guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Fatalf("erase without a reason: %v", err)
		}
		res, err := s.Erase(admin, sh.ID, p.id, "客户 5 月 5 日来电要求删除")
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Customers) != 2 || res.Rows["customers"] != 2 || res.Rows["customer_identities"] < 2 || res.Rows["ticket_events"] == 0 {
			t.Errorf("rows changed: %v", res.Rows)
		}
		if left := scan(t, db, p.originals); len(left) > 0 {
			t.Errorf("after erasure:\n%s", strings.Join(left, "\n"))
		}
		if after := figures(t, db, sh); after != before {
			t.Errorf("figures changed by the erasure:\nbefore %s\nafter  %s", before, after)
		}
		// Scoring again gives the same scores and segments.
		if _, err := score.NewService(db, guanxi.FixedClock(end), slog.New(slog.DiscardHandler)).Run(ctx, sh, end.In(sh.Location())); err != nil {
			t.Fatal(err)
		}
		if again := figures(t, db, sh); again != before {
			t.Errorf("figures changed by scoring after the erasure")
		}
		e, err := s.Erased(ctx, sh.ID, p.id)
		if err != nil || e == nil || e.Actor != "user:admin" || e.Reason == "" {
			t.Fatalf("erasure record %+v, %v", e, err)
		}
		var detail string
		if err := db.QueryRow(ctx, `SELECT detail FROM audit_log WHERE shop_id = ? AND action = 'customer.erase' AND actor = 'user:admin'`, sh.ID).Scan(&detail); err != nil {
			t.Fatalf("no audit entry: %v", err)
		}
		if !strings.Contains(detail, "ticket_events") || !strings.Contains(detail, "来电要求删除") {
			t.Errorf("audit detail %s", detail)
		}
		if _, err := s.Erase(admin, sh.ID, p.id, "again"); guanxi.ErrorCode(err) != guanxi.ECONFLICT {
			t.Errorf("second erasure: %v", err)
		}
		// The same phone and email imported again make a new customer.
		importFile(t, db, sh, "testdata/reimport.csv")
		var cid int64
		if err := db.QueryRow(ctx, `SELECT customer_id FROM orders WHERE shop_id = ? AND external_id = 'PV9'`, sh.ID).Scan(&cid); err != nil {
			t.Fatal(err)
		}
		var merged *int64
		if err := db.QueryRow(ctx, `SELECT merged_into FROM customers WHERE shop_id = ? AND id = ?`, sh.ID, cid).Scan(&merged); err != nil {
			t.Fatal(err)
		}
		if cid == p.id || merged != nil {
			t.Errorf("the re-imported phone found the erased customer %d: order went to %d (merged into %v)", p.id, cid, merged)
		}
	})
}

// TestPseudonym: the stand-in depends on the key and the customer, so two
// shops or two customers erasing the same value never collide.
func TestPseudonym(t *testing.T) {
	k1, k2 := []byte("k1"), []byte("k2")
	a := pseudonym(k1, 1, "phone", "13800000000")
	if a == pseudonym(k2, 1, "phone", "13800000000") || a == pseudonym(k1, 2, "phone", "13800000000") || a != pseudonym(k1, 1, "phone", "13800000000") {
		t.Fatal("pseudonym does not depend on key and customer alone")
	}
	if strings.Contains(a, "138") {
		t.Fatalf("pseudonym %s shows the value", a)
	}
}

func TestConsentLog(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sh, p := setup(t, db)
		// An update that changes nothing is no new entry.
		exec(t, db, `UPDATE customer_consents SET granted = FALSE WHERE shop_id = ? AND customer_id = ? AND channel = 'sms'`, sh.ID, p.id)
		// The importer's upsert is seen too.
		exec(t, db, `INSERT INTO customer_consents (shop_id, customer_id, channel, purpose, granted, source, at) VALUES (?, ?, 'sms', 'marketing', TRUE, 'import:7', 300)
ON CONFLICT (shop_id, customer_id, channel, purpose) DO UPDATE SET granted = excluded.granted, source = excluded.source, at = excluded.at`, sh.ID, p.id)
		h, err := NewService(db, nil).ConsentHistory(ctx, sh.ID, p.id)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range h {
			got = append(got, fmt.Sprintf("%s/%s %v %s %d", c.Channel, c.Purpose, c.Granted, c.Source, c.At.Unix()))
		}
		want := []string{"sms/marketing true import:7 300", "sms/marketing false sms-reply:TD 200", "sms/marketing true ui 100"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("history\n got %v\nwant %v", got, want)
		}
	})
}

func TestExport(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sh, p := setup(t, db)
		exec(t, db, `UPDATE tasks SET outcome = ? WHERE shop_id = ? AND customer_id = ?`, `=HYPERLINK("http://x")`, sh.ID, p.id)
		// Two saved segments: the person is in the first only.
		segs := segment.NewService(db, guanxi.FixedClock(end))
		var in, out *segment.Segment
		for _, sg := range []struct {
			seg  **segment.Segment
			name string
			rule string
		}{
			{&in, "=浙江老客", `{"all": [{"field": "province", "op": "eq", "value": "浙江省"}, {"field": "orders_count", "op": "gte", "value": 2}]}`},
			{&out, "西藏", `{"field": "province", "op": "eq", "value": "西藏"}`},
		} {
			r, err := segment.ParseRule([]byte(sg.rule))
			if err != nil {
				t.Fatal(err)
			}
			*sg.seg = &segment.Segment{Name: sg.name, Rule: r}
			if err := segs.Create(ctx, sh.ID, *sg.seg); err != nil {
				t.Fatal(err)
			}
		}
		s := NewService(db, guanxi.FixedClock(end))
		if _, err := s.Export(admin, sh.ID, sh.Code, p.id, "json", ""); guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Fatalf("export without a reason: %v", err)
		}
		if _, err := s.Export(admin, sh.ID, sh.Code, 99999999, "json", "x"); guanxi.ErrorCode(err) != guanxi.ENOTFOUND {
			t.Fatalf("export of nobody: %v", err)
		}
		e, err := s.Export(admin, sh.ID, sh.Code, p.id, "json", "客户申请查阅")
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := e.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Tables   map[string][]map[string]any `json:"tables"`
			Segments []map[string]any            `json:"segment_memberships"`
		}
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Segments) != 1 || doc.Segments[0]["segment_id"] != float64(in.ID) || doc.Segments[0]["name"] != in.Name {
			t.Errorf("segment memberships %v, want only %d %s (not %d)", doc.Segments, in.ID, in.Name, out.ID)
		}
		want := map[string]int{"customers": 1, "orders": 3, "customer_identities": 4, "customer_consents": 1, "consent_log": 2,
			"tickets": 1, "ticket_events": 1, "ticket_attachments": 1, "inbound_messages": 1, "campaign_messages": 1,
			"survey_invites": 1, "survey_responses": 1, "tasks": 1, "customer_stats": 1, "customer_scores": 1, "audit_log": 1}
		for table, n := range want {
			if len(doc.Tables[table]) != n {
				t.Errorf("%s: %d rows, want %d", table, len(doc.Tables[table]), n)
			}
		}
		if len(doc.Tables["order_lines"]) != 1 || len(doc.Tables["timeline_events"]) == 0 {
			t.Errorf("%d order lines, %d timeline events", len(doc.Tables["order_lines"]), len(doc.Tables["timeline_events"]))
		}
		if a := doc.Tables["ticket_attachments"]; len(a) == 1 && (a[0]["content"] != nil || a[0]["size"] != float64(11)) {
			t.Errorf("attachment %v", a[0])
		}
		if c := doc.Tables["customers"]; len(c) == 1 {
			if _, ok := c[0]["attrs"].(map[string]any); !ok {
				t.Errorf("attrs is not a JSON object: %#v", c[0]["attrs"])
			}
		}
		if !strings.Contains(buf.String(), "oPRIVxYz0123456789") || strings.Contains(buf.String(), "PV-C9") {
			t.Error("the export misses an identity or holds another customer's")
		}
		var detail string
		if err := db.QueryRow(ctx, `SELECT detail FROM audit_log WHERE shop_id = ? AND action = 'customer.export' AND actor = 'user:admin'`, sh.ID).Scan(&detail); err != nil || !strings.Contains(detail, "客户申请查阅") {
			t.Errorf("audit %s %v", detail, err)
		}

		buf.Reset()
		if err := e.WriteZip(&buf); err != nil {
			t.Fatal(err)
		}
		z, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		var files []string
		for _, f := range z.File {
			files = append(files, f.Name)
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.HasPrefix(b, []byte("\uFEFF")) {
				t.Errorf("%s has no byte order mark", f.Name)
			}
			if f.Name == "tasks.csv" && !bytes.Contains(b, []byte(`"'=HYPERLINK(""http://x"")"`)) {
				t.Errorf("tasks.csv: formula not neutralised:\n%s", b)
			}
			if f.Name == "ticket_attachments.csv" && bytes.Contains(b, []byte(",content,")) {
				t.Errorf("attachment bytes exported: %s", b)
			}
			if want := fmt.Sprintf("segment_id,name\n%d,'=浙江老客\n", in.ID); f.Name == "segment_memberships.csv" && !strings.HasSuffix(string(b), want) {
				t.Errorf("segment_memberships.csv:\n%s\nwant it to end %q", b, want)
			}
		}
		sort.Strings(files)
		if len(files) != len(e.Tables)+1 || !slices.Contains(files, "orders.csv") || !slices.Contains(files, "segment_memberships.csv") {
			t.Errorf("zip files %v", files)
		}
	})
}

func TestRetention(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sh, p := setup(t, db)
		clk := &clock{t: time.Unix(1000, 0).Add(24 * time.Hour)}
		s := NewService(db, clk)
		r, err := s.Settings(ctx, sh.ID)
		if err != nil || r.SignInDays != 30 || r.AuditDays != 0 || r.InactiveYears != 0 {
			t.Fatalf("defaults %+v %v", r, err)
		}
		// Nothing is due under the defaults.
		got, err := s.ApplyRetention(ctx, sh.ID)
		if err != nil || len(got) != 0 {
			t.Fatalf("defaults removed %v, %v", got, err)
		}
		if err := s.SaveSettings(ctx, sh.ID, Retention{AuditDays: 30}); guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("a 30-day audit log: %v", err)
		}
		if err := s.SaveSettings(ctx, sh.ID, Retention{TimelineDays: 1, TimelineKinds: []string{"order"}}); guanxi.ErrorCode(err) != guanxi.EINVALID {
			t.Errorf("order timeline: %v", err)
		}
		r = Retention{SignInDays: 7, AuditDays: 200, TimelineDays: 1, TimelineKinds: []string{"note"}, CampaignAddressDays: 1, AttachmentDays: 1,
			InboundDays: 1, SurveyCommentDays: 1}
		if err := s.SaveSettings(admin, sh.ID, r); err != nil {
			t.Fatal(err)
		}
		if r, err = s.Settings(ctx, sh.ID); err != nil || r.InboundDays != 1 || r.TimelineKinds[0] != "note" {
			t.Fatalf("read back %+v %v", r, err)
		}
		if err := s.SaveSettings(admin, sh.ID, r); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveSettings(admin, sh.ID, r); guanxi.ErrorCode(err) != guanxi.ECONFLICT {
			t.Errorf("save with a stale version: %v", err)
		}
		// The fixture's rows are dated at second 10 to 100; the clock is a
		// day and 1000 s after 0, so everything of a day is due.
		got, err = s.ApplyRetention(ctx, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		for k, n := range map[string]int64{"timeline_events": 1, "campaign_addresses": 1, "attachments": 1, "inbound_text": 2, "survey_comments": 1} {
			if got[k] != n {
				t.Errorf("%s: %d removed, want %d (all: %v)", k, got[k], n, got)
			}
		}
		if got["audit_log"] != 0 {
			t.Errorf("audit log removed too early: %v", got)
		}
		var n int64
		db.QueryRow(ctx, `SELECT COUNT(*) FROM campaign_messages WHERE shop_id = ? AND address <> ''`, sh.ID).Scan(&n)
		if n != 0 {
			t.Errorf("%d addresses left", n)
		}
		db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE shop_id = ? AND action = 'privacy.retention'`, sh.ID).Scan(&n)
		if n != 1 {
			t.Errorf("%d retention audit entries", n)
		}
		// A second run finds nothing more.
		if got, err = s.ApplyRetention(ctx, sh.ID); err != nil || len(got) != 0 {
			t.Errorf("second run %v %v", got, err)
		}
		// 200 days on, the audit log's old entries go.
		clk.add(200 * 24 * time.Hour)
		if got, err = s.ApplyRetention(ctx, sh.ID); err != nil || got["audit_log"] == 0 {
			t.Errorf("audit after 200 days: %v %v", got, err)
		}

		// Sign-in failures: the shortest limit of any shop.
		now := clk.Now().Unix()
		exec(t, db, `INSERT INTO sign_in_failures (kind, key, at) VALUES ('user', 'a', ?), ('user', 'b', ?)`, now-8*86400, now-6*86400)
		if n, err := s.PurgeSignInFailures(ctx); err != nil || n != 1 {
			t.Errorf("sign-in failures purged %d, %v", n, err)
		}

		// Inactive customers: the person's last order is 2025-05-20.
		r, _ = s.Settings(ctx, sh.ID)
		r.InactiveYears = 3
		if err := s.SaveSettings(admin, sh.ID, r); err != nil {
			t.Fatal(err)
		}
		clk2 := &clock{t: end.AddDate(3, 0, 0)}
		s2 := NewService(db, clk2)
		got, err = s2.ApplyRetention(ctx, sh.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e, _ := s2.Erased(ctx, sh.ID, p.id); e != nil {
			t.Errorf("customer with an order 3 years minus 41 days ago erased: %v", got)
		}
		clk2.add(60 * 24 * time.Hour)
		if got, err = s2.ApplyRetention(ctx, sh.ID); err != nil {
			t.Fatal(err)
		}
		if e, _ := s2.Erased(ctx, sh.ID, p.id); e == nil || e.Actor != "system:retention" || got["customers_erased"] == 0 {
			t.Errorf("inactive customer not erased: %v %+v", got, e)
		}
	})
}

var _ = errors.New
