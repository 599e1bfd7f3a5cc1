package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/customer"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// addDuplicates writes pairs of customers into shop a that the duplicate
// finder offers: 900/901 share a phone, 902/903 an e-mail, 904/905 a name
// and an address.
func addDuplicates(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	err := e.db.Update(ctx, func(tx *store.Tx) error {
		for _, c := range []struct {
			id                                   int64
			name, phone, email, prov, city, addr string
		}{
			{900, "周芷若", "13955550000", "", "浙江省", "杭州市", ""},
			{901, "周止若", "+86 139 5555 0000", "", "浙江省", "杭州市", ""},
			{902, "殷离", "", "yin@example.com", "", "", ""},
			{903, "殷离儿", "", "YIN@example.com", "", "", ""},
			{904, "宋青书", "", "", "湖北省", "武汉市", "武昌区中山路88号"},
			{905, "宋青书", "", "", "湖北省", "武汉市", "武昌区中山路88号2单元"},
		} {
			if _, err := tx.Exec(ctx, `INSERT INTO customers (shop_id, id, name, phone, email, province, city, address, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				e.shopA.ID, c.id, c.name, tx.Keys().Seal("phone", c.phone), tx.Keys().Seal("email", c.email), c.prov, c.city, c.addr, 1_700_000_000+c.id, 1_700_000_000+c.id); err != nil {
				return err
			}
		}
		return customer.RecomputeStats(ctx, tx, e.shopA.ID, []int64{900, 901, 902, 903, 904, 905}, 1_700_000_000)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDuplicatesUI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		addDuplicates(t, e)

		alice := e.client(t)
		alice.signIn("alice")
		p := alice.get("/s/a/duplicates")
		if p.status != http.StatusOK {
			t.Fatalf("list: %d\n%s", p.status, p.body)
		}
		mustContain(t, "list", p.body, "周芷若", "周止若", "手机号相同 13955550000", "邮箱相同 yin@example.com", "姓名相近（宋青书）",
			`value="900:1:901:1"`, `name="csrf_token"`, `/s/a/duplicates/preview?a=900&amp;b=901`, `name="dismiss" value="904:905"`, "重复客户")

		// Roles that may look but not act: contact data masked, no forms.
		for _, name := range []string{"ann", "carl"} {
			c := e.client(t)
			c.signIn(name)
			p := c.get("/s/a/duplicates")
			if p.status != http.StatusOK {
				t.Fatalf("%s: list %d", name, p.status)
			}
			if name == "ann" {
				mustContain(t, "analyst list", p.body, "139****0000")
				mustNotContain(t, "analyst list", p.body, "13955550000", "yin@example.com")
			}
			mustNotContain(t, name+" list", p.body, `name="pair"`, `name="dismiss"`)
			token := c.csrf()
			for path, form := range map[string]url.Values{
				"/s/a/duplicates/merge":   {"survivor": {"900"}, "merged": {"901"}, "survivor_version": {"1"}, "merged_version": {"1"}},
				"/s/a/duplicates/bulk":    {"pair": {"900:1:901:1"}},
				"/s/a/duplicates/dismiss": {"dismiss": {"900:901"}},
				"/s/a/merges/1/undo":      {},
			} {
				form.Set("csrf_token", token)
				if p := c.post(path, form); p.status != http.StatusForbidden {
					t.Errorf("%s POST %s: %d, want 403", name, path, p.status)
				}
			}
			pv := c.get("/s/a/duplicates/preview?a=900&b=901")
			if pv.status != http.StatusOK {
				t.Errorf("%s preview: %d", name, pv.status)
			}
			mustNotContain(t, name+" preview", pv.body, `action="/s/a/duplicates/merge"`)
			if name == "ann" {
				mustNotContain(t, "analyst preview", pv.body, "13955550000")
				mustContain(t, "analyst preview", pv.body, "139****0000")
			}
		}
		// Another shop's admin cannot see shop a's duplicates.
		bob := e.client(t)
		bob.signIn("bob")
		if p := bob.get("/s/a/duplicates"); p.status != http.StatusForbidden {
			t.Errorf("bob on shop a: %d", p.status)
		}

		// Preview: field by field, the conflict marked, the survivor switchable.
		p = alice.get("/s/a/duplicates/preview?a=900&b=901")
		if p.status != http.StatusOK {
			t.Fatalf("preview: %d\n%s", p.status, p.body)
		}
		mustContain(t, "preview", p.body, `<p id="merge-service">工单 0，回访任务 0`)
		// The merged customer's ticket is counted among what moves.
		actx := audit.WithActor(context.Background(), audit.Actor{Name: "test"})
		if err := e.deskSvc().Create(actx, e.shopA.ID, &service.Ticket{Kind: service.Consultation, Subject: "有货吗", CustomerID: 901}); err != nil {
			t.Fatal(err)
		}
		p = alice.get("/s/a/duplicates/preview?a=900&b=901")
		mustContain(t, "preview", p.body, `<p id="merge-service">工单 1，回访任务 0`, `class="conflict"`, "冲突", `name="survivor_version" value="1"`, `name="merged_version" value="1"`,
			`href="/s/a/duplicates/preview?a=901&amp;b=900"`, "保留客户的值，为空时取另一方", `action="/s/a/duplicates/merge"`)
		if p := alice.get("/s/a/duplicates/preview?a=900&b=900"); p.status != http.StatusBadRequest {
			t.Errorf("preview of one customer with itself: %d", p.status)
		}
		if p := alice.get("/s/a/duplicates/preview?a=900&b=99999"); p.status != http.StatusNotFound {
			t.Errorf("preview with nobody: %d", p.status)
		}

		token := alice.csrf()
		form := url.Values{"csrf_token": {token}, "survivor": {"900"}, "merged": {"901"}, "survivor_version": {"1"}, "merged_version": {"7"}}
		if p := alice.post("/s/a/duplicates/merge", form); p.status != http.StatusConflict || !strings.Contains(p.body, "请重新打开预览") {
			t.Errorf("stale merge: %d", p.status)
		}
		form.Set("merged_version", "1")
		if p := alice.post("/s/a/duplicates/merge", url.Values{"survivor": {"900"}, "merged": {"901"}, "survivor_version": {"1"}, "merged_version": {"1"}}); p.status != http.StatusForbidden {
			t.Errorf("merge without CSRF: %d", p.status)
		}
		p = alice.post("/s/a/duplicates/merge", form)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/s/a/customers/900?saved=merged#merges" {
			t.Fatalf("merge: %d %q\n%s", p.status, p.header.Get("Location"), p.body)
		}
		if p := alice.get("/s/a/customers/901"); p.status != http.StatusFound || p.header.Get("Location") != "/s/a/customers/900" {
			t.Errorf("merged customer: %d %q", p.status, p.header.Get("Location"))
		}
		p = alice.get("/s/a/customers/900?saved=merged")
		// The merge record keeps the phone masked: records are not sealed.
		mustContain(t, "survivor page", p.body, "合并记录", "已合并。", "周止若", "手机号相同 139****0000")
		mustNotContain(t, "survivor page", p.body, "手机号相同 13955550000")
		m := regexp.MustCompile(`action="/s/a/merges/(\d+)/undo"`).FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no undo button on the survivor's page")
		}
		if p := alice.get("/s/a/duplicates"); p.status != http.StatusOK || regexp.MustCompile(`value="900:\d+:901`).MatchString(p.body) {
			t.Errorf("merged pair still listed")
		}

		// The agent undoes it.
		multi := e.client(t)
		multi.signIn("multi")
		p = multi.post("/s/a/merges/"+m[1]+"/undo", url.Values{"csrf_token": {multi.csrf()}})
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/s/a/customers/900?saved=undone#merges" {
			t.Fatalf("undo: %d %q\n%s", p.status, p.header.Get("Location"), p.body)
		}
		if p := multi.get("/s/a/customers/901"); p.status != http.StatusOK {
			t.Errorf("unmerged customer: %d", p.status)
		}
		p = multi.get("/s/a/customers/900?saved=undone")
		mustContain(t, "after undo", p.body, "已撤销合并", "已撤销", "手机号相同 139****0000") // an agent sees phones masked
		mustNotContain(t, "after undo", p.body, "13955550000")
		if p := multi.post("/s/a/merges/"+m[1]+"/undo", url.Values{"csrf_token": {multi.csrf()}}); p.status != http.StatusConflict || !strings.Contains(p.body, "未撤销") {
			t.Errorf("second undo: %d", p.status)
		}
		if p := multi.post("/s/a/merges/99999/undo", url.Values{"csrf_token": {multi.csrf()}}); p.status != http.StatusNotFound {
			t.Errorf("undo of no merge: %d", p.status)
		}

		// Bulk: one pair merges, one stale pair is refused; dismiss another.
		p = alice.post("/s/a/duplicates/bulk", url.Values{"csrf_token": {token}, "pair": {"902:1:903:1", "900:1:901:1"}})
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/s/a/duplicates?merged=1&failed=1" {
			t.Fatalf("bulk: %d %q", p.status, p.header.Get("Location"))
		}
		p = alice.get("/s/a/duplicates?merged=1&failed=1")
		mustContain(t, "after bulk", p.body, "已合并 1 对；1 对")
		if p := alice.post("/s/a/duplicates/bulk", url.Values{"csrf_token": {token}, "pair": {"1:2:3"}}); p.status != http.StatusBadRequest {
			t.Errorf("bad pair: %d", p.status)
		}
		p = alice.post("/s/a/duplicates/dismiss", url.Values{"csrf_token": {token}, "dismiss": {"904:905"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("dismiss: %d", p.status)
		}
		p = alice.get("/s/a/duplicates")
		mustNotContain(t, "after dismiss", p.body, "宋青书")
		mustContain(t, "after dismiss", p.body, "周芷若")

		// A merge the importer made records what moved, so it offers undo;
		// one from before it did (no detail) shows, without undo.
		var impSurvivor, impMerge int64
		if err := db.QueryRow(context.Background(), `SELECT survivor_id, id FROM customer_merges WHERE shop_id = ? AND source <> 'ui' ORDER BY id LIMIT 1`, e.shopA.ID).Scan(&impSurvivor, &impMerge); err != nil {
			t.Fatal(err)
		}
		undo := "/s/a/merges/" + strconv.FormatInt(impMerge, 10) + "/undo"
		p = alice.get("/s/a/customers/" + strconv.FormatInt(impSurvivor, 10))
		mustContain(t, "import merge", p.body, "合并记录", undo)
		if _, err := db.Exec(context.Background(), `UPDATE customer_merges SET detail = '{}' WHERE shop_id = ? AND id = ?`, e.shopA.ID, impMerge); err != nil {
			t.Fatal(err)
		}
		p = alice.get("/s/a/customers/" + strconv.FormatInt(impSurvivor, 10))
		mustContain(t, "old import merge", p.body, "合并记录", "无法撤销")
		mustNotContain(t, "old import merge", p.body, undo)

		// An admin may have the candidates found again at once; an analyst
		// gets the cached ones.
		p = alice.get("/s/a/duplicates?refresh=1")
		mustContain(t, "refresh", p.body, `id="refresh"`, "查找于")

		// English.
		alice.post("/settings/locale", url.Values{"csrf_token": {token}, "locale": {"en"}, "next": {"/"}})
		p = alice.get("/s/a/duplicates/preview?a=900&b=901")
		mustContain(t, "English preview", p.body, "Merge preview", "the most recently updated non-empty value", "Keep the other customer instead")
	})
}
