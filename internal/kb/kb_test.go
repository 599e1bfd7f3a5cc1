package kb_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/kb"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

var bg = audit.WithActor(context.Background(), audit.Actor{Name: "test"})

var t0 = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if guanxi.ErrorCode(err) != code {
		t.Fatalf("got %v (%q), want %s", err, guanxi.ErrorCode(err), code)
	}
}

func newShop(t testing.TB, db *store.DB, code string) int64 {
	t.Helper()
	sh := &shop.Shop{Code: code, Name: "西湖茶庄 " + code, Timezone: "Asia/Shanghai"}
	must(t, shop.NewService(db, guanxi.FixedClock(t0)).Create(context.Background(), sh))
	return sh.ID
}

func ids(hs []kb.Hit) []int64 {
	var out []int64
	for _, h := range hs {
		out = append(out, h.ID)
	}
	return out
}

func TestTokens(t *testing.T) {
	for _, c := range []struct {
		in    string
		query bool
		want  []string
	}{
		{"如何申请退货退款", true, []string{"如何", "何申", "申请", "请退", "退货", "货退", "退款"}},
		{"退", true, []string{"退"}},
		{"退货", false, []string{"退", "货", "退货"}},
		{"How do I get a Refund?", true, []string{"how", "do", "i", "get", "a", "refund"}},
		{"refunds policies boxes address status", true, []string{"refund", "policy", "box", "address", "status"}},
		{"ＶＩＰ会员", true, []string{"vip", "会员"}},
		{"T恤，尺码", true, []string{"t", "恤", "尺码"}},
		{"  ,。！", true, nil},
	} {
		if got := kb.Tokens(c.in, c.query); !slices.Equal(got, c.want) {
			t.Errorf("Tokens(%q, %v) = %q, want %q", c.in, c.query, got, c.want)
		}
	}
}

func TestArticlesAndSearch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		shopID, other := newShop(t, db, "s1"), newShop(t, db, "s2")
		svc := kb.NewService(db, guanxi.FixedClock(t0))
		after := &kb.Category{Name: "售后服务", Position: 2}
		must(t, svc.CreateCategory(bg, shopID, after))
		pre := &kb.Category{Name: "售前咨询", Position: 1}
		must(t, svc.CreateCategory(bg, shopID, pre))
		wantCode(t, svc.CreateCategory(bg, shopID, &kb.Category{Name: "售后服务"}), guanxi.ECONFLICT)
		wantCode(t, svc.CreateCategory(bg, shopID, &kb.Category{Name: " "}), guanxi.EINVALID)
		cats, err := svc.Categories(bg, shopID)
		must(t, err)
		if len(cats) != 2 || cats[0].ID != pre.ID {
			t.Fatalf("categories %+v", cats)
		}

		add := func(sh int64, cat int64, lang, title, body string, published bool) *kb.Article {
			t.Helper()
			a := &kb.Article{CategoryID: cat, Language: lang, Title: title, Body: body, Published: published}
			must(t, svc.CreateArticle(bg, sh, a))
			return a
		}
		refundZh := add(shopID, after.ID, kb.Chinese, "如何申请退货退款", "在订单页点击“申请售后”，选择退货退款，填写原因。\n\n审核通过后 3 个工作日内退款。", true)
		shipZh := add(shopID, pre.ID, kb.Chinese, "多久发货", "付款后 48 小时内发货。如需退货请见售后服务。", true)
		refundEn := add(shopID, after.ID, kb.English, "How do I get a refund?", "Open the order and choose After-sale, then Refund.", true)
		refundsEn := add(shopID, after.ID, kb.English, "Shipping times", "We process refunds within 3 days of receiving the parcel.", true)
		draft := add(shopID, after.ID, kb.Chinese, "退货运费谁出（草稿）", "内部讨论中", false)
		add(other, 0, kb.Chinese, "退货须知", "另一家店的退货文章", true)

		wantCode(t, svc.CreateArticle(bg, shopID, &kb.Article{Language: "fr", Title: "x"}), guanxi.EINVALID)
		wantCode(t, svc.CreateArticle(bg, shopID, &kb.Article{Language: "zh", Title: ""}), guanxi.EINVALID)
		wantCode(t, svc.CreateArticle(bg, shopID, &kb.Article{Language: "zh", Title: "x", CategoryID: 999}), guanxi.EINVALID)

		pub := kb.Options{PublishedOnly: true}
		hits, err := svc.Search(bg, shopID, "退货", pub)
		must(t, err)
		// The title match ranks above the body's mention; the draft and
		// the other shop's article never appear.
		if got := ids(hits); !slices.Equal(got, []int64{refundZh.ID, shipZh.ID}) {
			t.Fatalf("退货: %v (%+v)", got, hits)
		}
		if !strings.Contains(hits[1].Snippet, "退货") {
			t.Errorf("snippet %q", hits[1].Snippet)
		}
		staff, err := svc.Search(bg, shopID, "退货", kb.Options{})
		must(t, err)
		if !slices.Contains(ids(staff), draft.ID) {
			t.Errorf("staff search misses the draft: %v", ids(staff))
		}
		hits, err = svc.Search(bg, shopID, "refund", pub)
		must(t, err)
		if got := ids(hits); !slices.Equal(got, []int64{refundEn.ID, refundsEn.ID}) {
			t.Fatalf("refund: %v", got)
		}
		hits, err = svc.Search(bg, shopID, "Refunds?", pub)
		must(t, err)
		if len(hits) != 2 {
			t.Fatalf("refunds: %v", ids(hits))
		}
		// One character finds it too; a typo need not.
		hits, err = svc.Search(bg, shopID, "退", pub)
		must(t, err)
		if len(hits) != 2 {
			t.Fatalf("退: %v", ids(hits))
		}
		hits, err = svc.Search(bg, shopID, "refnud", pub)
		must(t, err)
		if len(hits) != 0 {
			t.Fatalf("refnud: %v", ids(hits))
		}
		hits, err = svc.Search(bg, shopID, "退货 refund", kb.Options{PublishedOnly: true, Prefer: kb.English})
		must(t, err)
		if len(hits) != 4 || hits[0].Language != kb.English || hits[3].Language != kb.Chinese {
			t.Fatalf("prefer en: %+v", hits)
		}

		// A write invalidates the index: publish the draft, then it is found.
		draft.Published = true
		must(t, svc.UpdateArticle(bg, shopID, draft))
		if draft.Version != 2 {
			t.Fatalf("version %d", draft.Version)
		}
		hits, err = svc.Search(bg, shopID, "运费", pub)
		must(t, err)
		if len(hits) != 1 || hits[0].ID != draft.ID {
			t.Fatalf("运费 after publishing: %v", ids(hits))
		}
		stale := *draft
		stale.Version = 1
		wantCode(t, svc.UpdateArticle(bg, shopID, &stale), guanxi.ECONFLICT)

		// A write by another Service (another process) is seen through the
		// fingerprint.
		other2 := kb.NewService(db, guanxi.FixedClock(t0.Add(time.Hour)))
		must(t, other2.DeleteArticle(bg, shopID, shipZh.ID))
		hits, err = svc.Search(bg, shopID, "发货", pub)
		must(t, err)
		if len(hits) != 0 {
			t.Fatalf("deleted elsewhere, still found: %v", ids(hits))
		}

		// Votes count once per voter, only on published articles.
		counted, err := svc.Vote(bg, shopID, refundZh.ID, "browser-1", true)
		must(t, err)
		again, err := svc.Vote(bg, shopID, refundZh.ID, "browser-1", false)
		must(t, err)
		second, err := svc.Vote(bg, shopID, refundZh.ID, "browser-2", false)
		must(t, err)
		if !counted || again || !second {
			t.Fatalf("votes counted %v %v %v", counted, again, second)
		}
		_, err = svc.Vote(bg, other, refundZh.ID+100, "browser-1", true)
		wantCode(t, err, guanxi.ENOTFOUND)
		draft.Published = false
		must(t, svc.UpdateArticle(bg, shopID, draft))
		_, err = svc.Vote(bg, shopID, draft.ID, "browser-1", true)
		wantCode(t, err, guanxi.ENOTFOUND)
		_, err = svc.PublishedArticle(bg, shopID, draft.ID)
		wantCode(t, err, guanxi.ENOTFOUND)
		must(t, svc.Viewed(bg, shopID, refundZh.ID))
		got, err := svc.Article(bg, shopID, refundZh.ID)
		must(t, err)
		if share, ok := got.HelpfulShare(); got.Helpful != 1 || got.Unhelpful != 1 || got.Views != 1 || !ok || share != 0.5 {
			t.Fatalf("counts %+v", got)
		}
		// Counts in search hits are fresh though the index is not rebuilt.
		hits, err = svc.Search(bg, shopID, "退款", pub)
		must(t, err)
		if len(hits) == 0 || hits[0].ID != refundZh.ID || hits[0].Helpful != 1 {
			t.Fatalf("退款: %+v", hits)
		}

		popular, err := svc.Articles(bg, shopID, kb.Filter{PublishedOnly: true, Popular: true, Language: kb.Chinese})
		must(t, err)
		if len(popular) != 1 || popular[0].ID != refundZh.ID {
			t.Fatalf("popular %+v", popular)
		}

		// Deleting a category keeps its articles, in no category.
		must(t, svc.DeleteCategory(bg, shopID, after.ID))
		got, err = svc.Article(bg, shopID, refundZh.ID)
		must(t, err)
		if got.CategoryID != 0 || got.Version != 2 {
			t.Fatalf("after deleting its category: %+v", got)
		}
		pre.Name = "售前"
		must(t, svc.UpdateCategory(bg, shopID, pre))
		pre.Version = 1
		wantCode(t, svc.UpdateCategory(bg, shopID, pre), guanxi.ECONFLICT)
		_, err = svc.Article(bg, other, refundZh.ID+50)
		wantCode(t, err, guanxi.ENOTFOUND)
	})
}

func TestRender(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"第一段\n第二行\n\n第二段", "<p>第一段<br>\n第二行</p>\n<p>第二段</p>\n"},
		{`<script>alert("x")</script>`, "<p>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</p>\n"},
		{"见 [退货政策](https://shop.example/returns?a=1&b=2) 。",
			`<p>见 <a href="https://shop.example/returns?a=1&amp;b=2" rel="nofollow noopener noreferrer">退货政策</a> 。</p>` + "\n"},
		{"[点我](javascript:alert(1))", "<p>[点我](javascript:alert(1))</p>\n"},
		{`访问 https://a.example/x"onmouseover="alert(1) 吧`,
			`<p>访问 <a href="https://a.example/x" rel="nofollow noopener noreferrer">https://a.example/x</a>&#34;onmouseover=&#34;alert(1) 吧</p>` + "\n"},
		{"see https://a.example/faq.", `<p>see <a href="https://a.example/faq" rel="nofollow noopener noreferrer">https://a.example/faq</a>.</p>` + "\n"},
		{"[<b>x</b>](https://a.example)", `<p><a href="https://a.example" rel="nofollow noopener noreferrer">&lt;b&gt;x&lt;/b&gt;</a></p>` + "\n"},
	} {
		if got := string(kb.Render(c.in)); got != c.want {
			t.Errorf("Render(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	if got := kb.PlainText("见 [退货政策](https://x.example) 吧"); got != "见 退货政策 吧" {
		t.Errorf("PlainText: %q", got)
	}
}

// BenchmarkSearch searches 5,000 generated articles, half Chinese and half
// English; the index is built once, before the timer.
func BenchmarkSearch(b *testing.B) {
	db := storetest.SQLite(b)
	shopID := newShop(b, db, "bench")
	svc := kb.NewService(db, guanxi.FixedClock(t0))
	zh := []string{"退货", "退款", "发货", "物流", "快递", "包装", "茶叶", "龙井", "会员", "积分", "优惠券", "发票", "尺码", "售后", "换货", "保修", "客服", "支付", "地址", "订单"}
	en := []string{"refund", "return", "shipping", "delivery", "parcel", "tea", "member", "points", "coupon", "invoice", "size", "exchange", "warranty", "payment", "address", "order", "account", "password", "gift", "discount"}
	must(b, db.Update(context.Background(), func(tx *store.Tx) error {
		rows := make([][]any, 0, 5000)
		first, err := tx.NextIDs(context.Background(), shopID, "kb_articles", 5000)
		if err != nil {
			return err
		}
		for i := range 5000 {
			var title, body strings.Builder
			lang := kb.Chinese
			words, sep := zh, ""
			if i%2 == 1 {
				lang, words, sep = kb.English, en, " "
			}
			for j := range 4 {
				title.WriteString(words[(i*7+j*3)%len(words)] + sep)
			}
			for j := range 120 {
				body.WriteString(words[(i*13+j*j)%len(words)] + sep)
				if j%15 == 14 {
					body.WriteString("。\n")
				}
			}
			rows = append(rows, []any{shopID, first + int64(i), title.String(), body.String(), lang, 1, t0.Unix(), t0.Unix(), 1})
		}
		return tx.Insert(context.Background(), "kb_articles",
			[]string{"shop_id", "id", "title", "body", "language", "published", "created_at", "updated_at", "version"}, rows)
	}))
	start := time.Now()
	if _, err := svc.Search(bg, shopID, "退货", kb.Options{}); err != nil {
		b.Fatal(err)
	}
	b.Logf("index of 5,000 articles built in %v", time.Since(start))
	queries := []string{"退货", "如何申请退款", "refund", "How do I change my delivery address?", "龙井 会员 积分"}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := svc.Search(bg, shopID, queries[i%len(queries)], kb.Options{PublishedOnly: true, Limit: 5}); err != nil {
			b.Fatal(err)
		}
	}
}

// A snippet shows the text as written, around the match.
func TestSnippet(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		shopID := newShop(t, db, "s1")
		svc := kb.NewService(db, guanxi.FixedClock(t0))
		a := &kb.Article{Language: kb.Chinese, Title: "发票", Published: true,
			Body: "您好，我们支持开具增值税普通发票和专用发票，请在下单时填写抬头与税号；如已下单，请联系客服补开，ＶＩＰ会员可优先处理。另外退货时发票需一并寄回，否则无法退款。"}
		must(t, svc.CreateArticle(bg, shopID, a))
		hits, err := svc.Search(bg, shopID, "vip 退款", kb.Options{})
		must(t, err)
		if len(hits) != 1 || !strings.HasPrefix(hits[0].Snippet, "…") || !strings.Contains(hits[0].Snippet, "ＶＩＰ会员") || !strings.Contains(hits[0].Snippet, "，") {
			t.Fatalf("snippet %+v", hits)
		}
	})
}
