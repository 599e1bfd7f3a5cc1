package customer_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/importer"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// dump returns every row of the shop that a merge touches, in key order,
// as text: customers (but their version and updated_at, which only move
// forward), identities, consent, statistics (but updated_at), orders'
// owners, and timeline events other than the merge's own entries.
func dump(t *testing.T, db *store.DB, shopID int64) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, name, gender, birthday, phone, email, province, city, address, tags, attrs, COALESCE(merged_into, 0), created_at FROM customers WHERE shop_id = ? ORDER BY id`,
		`SELECT platform, kind, value, customer_id, created_at FROM customer_identities WHERE shop_id = ? ORDER BY platform, kind, value`,
		`SELECT customer_id, channel, purpose, granted, source, at FROM customer_consents WHERE shop_id = ? ORDER BY customer_id, channel, purpose`,
		`SELECT customer_id, COALESCE(first_purchase_at, 0), COALESCE(last_purchase_at, 0), purchase_days, orders_count, total_spent, refunded FROM customer_stats WHERE shop_id = ? ORDER BY customer_id`,
		`SELECT id, COALESCE(customer_id, 0), amount, refunded FROM orders WHERE shop_id = ? ORDER BY id`,
		`SELECT id, customer_id, kind, occurred_at, title, data FROM timeline_events WHERE shop_id = ? AND kind NOT IN ('merge', 'unmerge') ORDER BY id`,
		`SELECT id, customer_id FROM tickets WHERE shop_id = ? ORDER BY id`,
		`SELECT customer_id, reason FROM contact_holds WHERE shop_id = ? ORDER BY customer_id, reason`,
		`SELECT id, customer_id FROM tasks WHERE shop_id = ? ORDER BY id`,
		`SELECT id, customer_id, survey_id, ticket_id FROM survey_invites WHERE shop_id = ? ORDER BY id`,
		`SELECT id, customer_id, invite_id FROM survey_responses WHERE shop_id = ? ORDER BY id`,
	} {
		rows, err := db.Query(context.Background(), q, shopID)
		if err != nil {
			t.Fatal(err)
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
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					vals[i] = string(bs)
				}
			}
			fmt.Fprintln(&b, vals...)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		b.WriteString("--\n")
	}
	return b.String()
}

func exec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestMergeAndUndo(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sh := load(t, db, "m", "../importer/testdata/orders.csv")
		svc := customer.NewService(db)
		wang, li := idOf(t, db, sh.ID, "A1"), idOf(t, db, sh.ID, "A3")
		now := clock.Now()

		// Give both customers history to move: consent, a note, tags; 李雷
		// was updated later and created earlier.
		exec(t, db, `UPDATE customers SET tags = '["茶友"]', attrs = '{"vip": 1}', updated_at = 1000, created_at = 900 WHERE shop_id = ? AND id = ?`, sh.ID, wang)
		exec(t, db, `UPDATE customers SET tags = '["VIP", "茶友"]', attrs = '{"vip": 2, "src": "jd"}', updated_at = 2000, created_at = 500, address = '南山区科技园1号' WHERE shop_id = ? AND id = ?`, sh.ID, li)
		for _, c := range []struct {
			id              int64
			channel         string
			granted         bool
			at              int64
			source, purpose string
		}{
			{wang, "sms", true, 100, "import:taobao", "marketing"},
			{wang, "email", false, 300, "unsubscribe", "marketing"},
			{li, "sms", false, 200, "ui", "marketing"},
			{li, "email", true, 200, "import:jd", "marketing"},
			{li, "wechat", true, 50, "import:jd", "marketing"},
		} {
			exec(t, db, `INSERT INTO customer_consents (shop_id, customer_id, channel, purpose, granted, source, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				sh.ID, c.id, c.channel, c.purpose, c.granted, c.source, c.at)
		}
		exec(t, db, `INSERT INTO timeline_events (shop_id, id, customer_id, kind, occurred_at, title, data) VALUES (?, 901, ?, 'note', 10, '回访', '{}')`, sh.ID, li)
		exec(t, db, `INSERT INTO timeline_events (shop_id, id, customer_id, kind, occurred_at, title, data) VALUES (?, 902, ?, 'note', 11, '留言', '{}')`, sh.ID, wang)
		// The service desk's rows: 李雷 has a complaint (holding
		// promotions), a follow-up task, and survey invites — one for the
		// NPS survey 王芳 was invited to as well, which stays his — and an
		// answer; 王芳 a ticket of her own.
		exec(t, db, `INSERT INTO tickets (shop_id, id, kind, subject, customer_id, channel, priority, status, created_at, updated_at, sla_started_at, first_response_due, resolution_due)
VALUES (?, 1, 'complaint', '茶叶受潮', ?, 'phone', 'normal', 'received', 10, 10, 10, 20, 30), (?, 2, 'consultation', '有货吗', ?, 'ui', 'low', 'open', 10, 10, 10, 20, 30)`, sh.ID, li, sh.ID, wang)
		exec(t, db, `INSERT INTO contact_holds (shop_id, customer_id, reason, created_at) VALUES (?, ?, 'complaint:1', 10), (?, ?, 'manual', 10)`, sh.ID, li, sh.ID, li)
		exec(t, db, `INSERT INTO tasks (shop_id, id, customer_id, ticket_id, kind, title, due_at, status, created_at) VALUES (?, 1, ?, 1, 'follow_up', '回访', 40, 'open', 10)`, sh.ID, li)
		exec(t, db, `INSERT INTO surveys (shop_id, id, kind, title, status, created_at, updated_at) VALUES (?, 1, 'nps', '推荐吗', 'active', 10, 10)`, sh.ID)
		exec(t, db, `INSERT INTO survey_invites (shop_id, id, survey_id, customer_id, ticket_id, channel, status, created_at, expires_at)
VALUES (?, 1, 1, ?, 0, 'sms', 'sent', 10, 99), (?, 2, 1, ?, 0, 'sms', 'sent', 10, 99), (?, 3, 1, ?, 1, 'sms', 'answered', 10, 99)`, sh.ID, li, sh.ID, wang, sh.ID, li)
		exec(t, db, `INSERT INTO survey_responses (shop_id, id, survey_id, invite_id, customer_id, kind, score, responded_at) VALUES (?, 1, 1, 3, ?, 'nps', 3, 11)`, sh.ID, li)
		before := dump(t, db, sh.ID)

		pv, err := svc.Preview(ctx, sh.ID, wang, li)
		if err != nil {
			t.Fatal(err)
		}
		// 李雷's complaint and task move; 王芳's own ticket is not counted.
		if pv.Tickets != 1 || pv.Tasks != 1 {
			t.Errorf("preview moves %d tickets, %d tasks; want 1, 1", pv.Tickets, pv.Tasks)
		}
		field := func(name string) customer.FieldChoice {
			for _, f := range pv.Fields {
				if f.Field == name {
					return f
				}
			}
			t.Fatalf("no field %s", name)
			return customer.FieldChoice{}
		}
		if f := field("name"); f.Result != "王芳" || f.Winner != customer.FromSurvivor || !f.Conflict {
			t.Errorf("name %+v", f)
		}
		if f := field("phone"); f.Result != "13900001111" || f.Winner != customer.FromMerged || !f.Conflict {
			t.Errorf("phone %+v", f)
		}
		if f := field("address"); f.Result != "南山区科技园1号" || f.Winner != customer.FromMerged {
			t.Errorf("address %+v", f)
		}
		if f := field("city"); f.Result != "深圳市" {
			t.Errorf("city travels with the address: %+v", f)
		}
		if f := field("tags"); f.Result != `["茶友","VIP"]` || f.Winner != customer.FromBoth {
			t.Errorf("tags %+v", f)
		}
		if f := field("created_at"); f.Winner != customer.FromMerged {
			t.Errorf("created_at %+v", f)
		}
		if pv.Orders != 2 || pv.Identities == 0 || pv.Events < 1 || pv.Survivor.Version == 0 || pv.Conflicts() == 0 {
			t.Errorf("preview %+v", pv)
		}
		var cons []string
		for _, c := range pv.Consents {
			cons = append(cons, fmt.Sprintf("%s:%v:%s", c.Channel, c.Result.Granted, c.Winner))
		}
		if want := []string{"email:false:survivor", "sms:false:merged", "wechat:true:merged"}; !slices.Equal(cons, want) {
			t.Errorf("consents %q, want %q", cons, want)
		}

		// A stale preview is refused, and nothing moves.
		req := customer.MergeRequest{SurvivorID: wang, MergedID: li, SurvivorVersion: pv.Survivor.Version, MergedVersion: pv.Merged.Version - 1, Source: "ui", Actor: 0}
		if _, err := svc.Merge(ctx, sh.ID, req, now); guanxi.ErrorCode(err) != guanxi.ECONFLICT {
			t.Fatalf("stale merge: %v", err)
		}
		if got := dump(t, db, sh.ID); got != before {
			t.Fatalf("a refused merge changed rows:\n%s\nwant\n%s", got, before)
		}

		req.MergedVersion = pv.Merged.Version
		res, err := svc.Merge(ctx, sh.ID, req, now)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := svc.Get(ctx, sh.ID, li)
		if c.MergedInto != wang {
			t.Errorf("li merged into %d", c.MergedInto)
		}
		w, _ := svc.Get(ctx, sh.ID, wang)
		if w.Phone != "13900001111" || w.Name != "王芳" || !slices.Equal(w.Tags, []string{"茶友", "VIP"}) || w.CreatedAt.Unix() != 500 || w.Version != res.SurvivorVersion {
			t.Errorf("survivor %+v", w)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM orders WHERE shop_id = ? AND customer_id = ?`, sh.ID, li).Scan(&n); err != nil || n != 0 {
			t.Errorf("li still has %d orders (%v)", n, err)
		}
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM customer_identities WHERE shop_id = ? AND customer_id = ?`, sh.ID, li).Scan(&n); err != nil || n != 0 {
			t.Errorf("li still has %d identities (%v)", n, err)
		}
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM timeline_events WHERE shop_id = ? AND customer_id = ? AND kind = 'merge'`, sh.ID, li).Scan(&n); err != nil || n != 1 {
			t.Errorf("li has %d merge events (%v)", n, err)
		}
		for table, want := range map[string]int{"tickets": 0, "tasks": 0, "survey_responses": 0, "survey_invites": 1, "contact_holds": 1} {
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE shop_id = ? AND customer_id = ?`, sh.ID, li).Scan(&n); err != nil || n != want {
				t.Errorf("li keeps %d %s, want %d (%v)", n, table, want, err)
			}
		}
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM contact_holds WHERE shop_id = ? AND customer_id = ? AND reason = 'complaint:1'`, sh.ID, wang).Scan(&n); err != nil || n != 1 {
			t.Errorf("the complaint's hold did not follow it to the survivor: %d (%v)", n, err)
		}
		var detail string
		if err := db.QueryRow(ctx, `SELECT detail FROM customer_merges WHERE shop_id = ? AND id = ?`, sh.ID, res.MergeID).Scan(&detail); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"tickets":[1]`, `"holds":["complaint:1"]`, `"tasks":[1]`, `"survey_invites":[3]`, `"survey_responses":[1]`} {
			if !strings.Contains(strings.ReplaceAll(detail, " ", ""), want) {
				t.Errorf("merge detail lacks %s: %s", want, detail)
			}
		}
		cs, _ := svc.Consents(ctx, sh.ID, wang)
		var got []string
		for _, c := range cs {
			got = append(got, fmt.Sprintf("%s:%v:%s", c.Channel, c.Granted, c.Source))
		}
		if want := []string{"email:false:unsubscribe", "sms:false:ui", "wechat:true:import:jd"}; !slices.Equal(got, want) {
			t.Errorf("consents after merge %q, want %q", got, want)
		}
		if cs, _ := svc.Consents(ctx, sh.ID, li); len(cs) != 0 {
			t.Errorf("li keeps consents %+v", cs)
		}
		if bad, err := customer.CheckStats(ctx, db, sh.ID); err != nil || len(bad) != 0 {
			t.Errorf("stats after merge differ from a recomputation: %+v %v", bad, err)
		}
		st, _ := svc.Stats(ctx, sh.ID, wang)
		if st.Orders != 5 {
			t.Errorf("survivor stats %+v", st)
		}
		ms, err := svc.Merges(ctx, sh.ID, wang)
		if err != nil {
			t.Fatal(err)
		}
		var mine *customer.MergeRecord
		for i := range ms {
			if ms[i].ID == res.MergeID {
				mine = &ms[i]
			}
		}
		if mine == nil || !mine.Undoable || mine.Orders != 2 || mine.Source != "ui" || mine.MergedID != li || mine.Reason == "" {
			t.Fatalf("merge record %+v", ms)
		}
		// The importer's own merges (C3 and C5 into 王芳) recorded what they
		// moved too (TestUndoImportMerge undoes one).
		for _, m := range ms {
			if m.ID != res.MergeID && !m.Undoable {
				t.Errorf("import merge not offered for undo: %+v", m)
			}
		}
		// Merged once: not again.
		if _, err := svc.Merge(ctx, sh.ID, customer.MergeRequest{SurvivorID: wang, MergedID: li, SurvivorVersion: w.Version, MergedVersion: c.Version}, now); guanxi.ErrorCode(err) != guanxi.ECONFLICT {
			t.Errorf("merge of a merged customer: %v", err)
		}

		// Undo: everything as it was.
		ur, err := svc.Undo(ctx, sh.ID, res.MergeID, 0, now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if len(ur.Kept) != 0 {
			t.Errorf("kept %q", ur.Kept)
		}
		if after := dump(t, db, sh.ID); after != before {
			t.Errorf("after undo:\n%s\nbefore merge:\n%s", after, before)
		}
		if bad, err := customer.CheckStats(ctx, db, sh.ID); err != nil || len(bad) != 0 {
			t.Errorf("stats after undo: %+v %v", bad, err)
		}
		if _, err := svc.Undo(ctx, sh.ID, res.MergeID, 0, now); guanxi.ErrorCode(err) != guanxi.ECONFLICT {
			t.Errorf("second undo: %v", err)
		}
		if w2, _ := svc.Get(ctx, sh.ID, wang); w2.Version <= w.Version {
			t.Errorf("undo must move the version forward: %d after %d", w2.Version, w.Version)
		}

		// Merge again, edit the survivor's name and a consent, then undo:
		// the edits stay, everything else goes back.
		pv, _ = svc.Preview(ctx, sh.ID, wang, li)
		res, err = svc.Merge(ctx, sh.ID, customer.MergeRequest{SurvivorID: wang, MergedID: li, SurvivorVersion: pv.Survivor.Version, MergedVersion: pv.Merged.Version, Source: "api"}, now)
		if err != nil {
			t.Fatal(err)
		}
		w, _ = svc.Get(ctx, sh.ID, wang)
		if _, err := svc.Update(ctx, sh.ID, wang, w.Version, customer.Edit{Name: "王小芳", Province: w.Province, City: w.City, Tags: w.Tags}, 0, now); err != nil {
			t.Fatal(err)
		}
		exec(t, db, `UPDATE customer_consents SET granted = ?, source = 'unsubscribe', at = 5000 WHERE shop_id = ? AND customer_id = ? AND channel = 'wechat'`, false, sh.ID, wang)
		ur, err = svc.Undo(ctx, sh.ID, res.MergeID, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ur.Kept, []string{"consent:wechat/marketing", "name"}) {
			t.Errorf("kept %q", ur.Kept)
		}
		w, _ = svc.Get(ctx, sh.ID, wang)
		if w.Name != "王小芳" || w.Phone != "13812345678" || w.Province != "浙江省" || !slices.Equal(w.Tags, []string{"茶友"}) {
			t.Errorf("survivor after undo with edits %+v", w)
		}
		cs, _ = svc.Consents(ctx, sh.ID, li)
		for _, c := range cs {
			if c.Channel == "wechat" && c.Granted {
				t.Errorf("the later withdrawal does not reach the unmerged customer: %+v", c)
			}
		}
	})
}

// TestMergeChain: a survivor that was itself merged away cannot have an
// earlier merge undone until the later one is.
func TestMergeChain(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sh := newShop(t, db, "c")
		addPeople(t, db, sh.ID, person{id: 1, name: "一"}, person{id: 2, name: "二"}, person{id: 3, name: "三"})
		svc := customer.NewService(db)
		now := clock.Now()
		m1, err := svc.Merge(ctx, sh.ID, customer.MergeRequest{SurvivorID: 2, MergedID: 3, SurvivorVersion: 1, MergedVersion: 1}, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Merge(ctx, sh.ID, customer.MergeRequest{SurvivorID: 1, MergedID: 2, SurvivorVersion: 1, MergedVersion: m1.SurvivorVersion}, now); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Undo(ctx, sh.ID, m1.MergeID, 0, now); guanxi.ErrorCode(err) != guanxi.ECONFLICT || !strings.Contains(err.Error(), "undo that merge first") {
			t.Errorf("undo under a later merge: %v", err)
		}
		if c, _ := svc.Get(ctx, sh.ID, 3); c.MergedInto != 1 {
			t.Errorf("3 merged into %d", c.MergedInto)
		}
	})
}

func TestMergeMany(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sh := newShop(t, db, "b")
		addPeople(t, db, sh.ID,
			person{id: 1, name: "甲", phone: "13800000001"}, person{id: 2, name: "乙", phone: "13800000001"}, person{id: 3, name: "丙", phone: "13800000001"},
			person{id: 4, name: "丁", email: "d@example.com"}, person{id: 5, name: "戊", email: "d@example.com"})
		svc := customer.NewService(db)
		p, err := svc.Duplicates(ctx, sh.ID, customer.DupeFilter{})
		if err != nil || p.Total != 3 {
			t.Fatalf("%+v %v", p, err)
		}
		var reqs []customer.MergeRequest
		for _, c := range p.Candidates {
			reqs = append(reqs, customer.MergeRequest{SurvivorID: c.A.ID, MergedID: c.B.ID, SurvivorVersion: c.A.Version, MergedVersion: c.B.Version, Source: "cli"})
		}
		reqs = append(reqs, customer.MergeRequest{SurvivorID: 2, MergedID: 1, SurvivorVersion: 1, MergedVersion: 1}) // 2 is gone by now
		out := svc.MergeMany(ctx, sh.ID, reqs, clock.Now())
		for i, r := range out[:3] {
			if r.Err != nil || r.MergeID == 0 {
				t.Errorf("pair %d: %+v", i, r)
			}
		}
		if guanxi.ErrorCode(out[3].Err) != guanxi.ECONFLICT {
			t.Errorf("merge of a merged-away customer: %v", out[3].Err)
		}
		if p, _ := svc.Duplicates(ctx, sh.ID, customer.DupeFilter{}); p.Total != 0 {
			t.Errorf("left after merging all: %+v", p.Candidates)
		}
		if bad, err := customer.CheckStats(ctx, db, sh.ID); err != nil || len(bad) != 0 {
			t.Errorf("stats: %+v %v", bad, err)
		}
	})
}

// TestUndoImportMerge undoes a merge the importer made: the merged customer
// is live again with its own orders and identities, and both customers'
// statistics are those of their orders.
func TestUndoImportMerge(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// K2's phone turns up on K1's second order: the importer merges them.
		f := filepath.Join(t.TempDir(), "o.csv")
		if err := os.WriteFile(f, []byte("order_id,order_date,customer_id,amount,phone\nX1,2025-01-01,K1,1.00,\nX2,2025-01-02,K2,2.00,13900000002\nX4,2025-01-04,K2,4.00,\nX3,2025-01-03,K1,3.00,13900000002\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		sh := load(t, db, "i", f)
		svc := customer.NewService(db)
		var mergeID, survivor, merged int64
		if err := db.QueryRow(ctx, `SELECT id, survivor_id, merged_id FROM customer_merges WHERE shop_id = ? AND source LIKE 'import%' ORDER BY id LIMIT 1`, sh.ID).Scan(&mergeID, &survivor, &merged); err != nil {
			t.Fatalf("no import merge in the fixture: %v", err)
		}
		var movedOrders int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM orders WHERE shop_id = ? AND customer_id = ?`, sh.ID, survivor).Scan(&movedOrders); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Undo(ctx, sh.ID, mergeID, 0, clock.Now()); err != nil {
			t.Fatalf("undo import merge %d: %v", mergeID, err)
		}
		c, err := svc.Get(ctx, sh.ID, merged)
		if err != nil || c.MergedInto != 0 {
			t.Fatalf("merged customer after undo: %+v %v", c, err)
		}
		for _, id := range []int64{survivor, merged} {
			var orders, idents, statOrders int
			_ = db.QueryRow(ctx, `SELECT COUNT(*) FROM orders WHERE shop_id = ? AND customer_id = ?`, sh.ID, id).Scan(&orders)
			_ = db.QueryRow(ctx, `SELECT COUNT(*) FROM customer_identities WHERE shop_id = ? AND customer_id = ?`, sh.ID, id).Scan(&idents)
			_ = db.QueryRow(ctx, `SELECT COUNT(*) FROM orders WHERE shop_id = ? AND customer_id = ? AND purchase_day IS NOT NULL`, sh.ID, id).Scan(&statOrders)
			var got int
			if err := db.QueryRow(ctx, `SELECT orders_count FROM customer_stats WHERE shop_id = ? AND customer_id = ?`, sh.ID, id).Scan(&got); err != nil {
				t.Fatalf("customer %d has no statistics after the undo: %v", id, err)
			}
			if orders == 0 || idents == 0 || got != statOrders {
				t.Errorf("customer %d after undo: %d orders, %d identities, stats say %d purchases of %d", id, orders, idents, got, statOrders)
			}
		}
		if bad, err := customer.CheckStats(ctx, db, sh.ID); err != nil || len(bad) != 0 {
			t.Errorf("stats after the undo differ from a recomputation: %+v %v", bad, err)
		}
	})
}

// An import that merges a customer with service desk rows moves them to
// the survivor, and undoing the merge moves them back.
func TestImportMergeMovesTickets(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		first, second := filepath.Join(dir, "1.csv"), filepath.Join(dir, "2.csv")
		if err := os.WriteFile(first, []byte("order_id,order_date,customer_id,amount,phone\nX1,2025-01-01,K1,1.00,\nX2,2025-01-02,K2,2.00,13900000002\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		// K2's phone turns up on K1's next order: the importer merges them.
		if err := os.WriteFile(second, []byte("order_id,order_date,customer_id,amount,phone\nX3,2025-01-03,K1,3.00,13900000002\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		sh := load(t, db, "i", first)
		var k2 int64
		if err := db.QueryRow(ctx, `SELECT customer_id FROM orders WHERE shop_id = ? AND external_id = 'X2'`, sh.ID).Scan(&k2); err != nil {
			t.Fatal(err)
		}
		exec(t, db, `INSERT INTO tickets (shop_id, id, kind, subject, customer_id, channel, priority, status, created_at, updated_at, sla_started_at, first_response_due, resolution_due)
VALUES (?, 1, 'complaint', '茶叶受潮', ?, 'phone', 'normal', 'received', 10, 10, 10, 20, 30)`, sh.ID, k2)
		exec(t, db, `INSERT INTO contact_holds (shop_id, customer_id, reason, created_at) VALUES (?, ?, 'complaint:1', 10)`, sh.ID, k2)
		exec(t, db, `INSERT INTO tasks (shop_id, id, customer_id, ticket_id, kind, title, due_at, status, created_at) VALUES (?, 1, ?, 1, 'follow_up', '回访', 40, 'open', 10)`, sh.ID, k2)
		if _, err := importer.NewService(db, clock, slog.New(slog.DiscardHandler)).ImportFile(ctx, sh, second, importer.Options{}); err != nil {
			t.Fatal(err)
		}
		var mergeID, survivor, merged int64
		if err := db.QueryRow(ctx, `SELECT id, survivor_id, merged_id FROM customer_merges WHERE shop_id = ? AND source LIKE 'import%' ORDER BY id LIMIT 1`, sh.ID).Scan(&mergeID, &survivor, &merged); err != nil {
			t.Fatalf("the second import merged nothing: %v", err)
		}
		if merged != k2 {
			t.Fatalf("merged %d, want K2 %d", merged, k2)
		}
		owner := func(q string) int64 {
			t.Helper()
			var id int64
			if err := db.QueryRow(ctx, q, sh.ID).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		const ticketQ, holdQ, taskQ = `SELECT customer_id FROM tickets WHERE shop_id = ? AND id = 1`,
			`SELECT customer_id FROM contact_holds WHERE shop_id = ? AND reason = 'complaint:1'`, `SELECT customer_id FROM tasks WHERE shop_id = ? AND id = 1`
		if owner(ticketQ) != survivor || owner(holdQ) != survivor || owner(taskQ) != survivor {
			t.Fatalf("after the import merge: ticket %d, hold %d, task %d; survivor %d", owner(ticketQ), owner(holdQ), owner(taskQ), survivor)
		}
		if _, err := customer.NewService(db).Undo(ctx, sh.ID, mergeID, 0, clock.Now()); err != nil {
			t.Fatal(err)
		}
		if owner(ticketQ) != k2 || owner(holdQ) != k2 || owner(taskQ) != k2 {
			t.Fatalf("after the undo: ticket %d, hold %d, task %d; K2 %d", owner(ticketQ), owner(holdQ), owner(taskQ), k2)
		}
	})
}
