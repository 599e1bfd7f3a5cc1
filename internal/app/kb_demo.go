package app

import (
	"context"
	"fmt"

	"github.com/guanxi-crm/guanxi/internal/kb"
	"github.com/guanxi-crm/guanxi/internal/shop"
)

// seedDemoKB gives the demo shop a small help centre (/kb/demo): a few
// articles in Chinese and English in three categories, with views so the
// popular list has something to show.
func (a *App) seedDemoKB(ctx context.Context, sh *shop.Shop) error {
	cats := map[string]int64{}
	for i, name := range []string{"售前咨询", "订单与物流", "售后服务"} {
		c := &kb.Category{Name: name, Position: i + 1}
		if err := a.KB.CreateCategory(ctx, sh.ID, c); err != nil {
			return fmt.Errorf("kb category %s: %w", name, err)
		}
		cats[name] = c.ID
	}
	for _, d := range []struct {
		cat, lang, title, body string
		views                  int
	}{
		{"售后服务", kb.Chinese, "如何申请退货退款", "收到商品 7 天内可申请无理由退货。\n\n在“我的订单”中找到该订单，点击“申请售后”，选择“退货退款”并填写原因。商家同意后请在 3 天内寄回，签收后 1-3 个工作日退款原路返回。\n\n详见 [退换货政策](https://example.com/returns)。", 120},
		{"售后服务", kb.Chinese, "茶叶受潮或破损怎么办", "请在签收后 48 小时内拍照联系客服，我们会为您补发或退款，无需寄回。", 45},
		{"订单与物流", kb.Chinese, "多久发货？用什么快递？", "付款后 48 小时内发货，默认顺丰，偏远地区为邮政。\n发货后可在订单页查看物流。", 80},
		{"售前咨询", kb.Chinese, "会员积分怎么用", "每消费 1 元得 1 积分，下单时可用积分抵扣，100 积分抵 1 元。", 30},
		{"售后服务", kb.English, "How do I get a refund?", "You may return an item within 7 days of delivery.\n\nOpen the order, choose After-sale and then Return and refund. Refunds go back to the original payment within 1-3 working days of our receiving the parcel.", 20},
		{"订单与物流", kb.English, "When will my order ship?", "Orders ship within 48 hours of payment, by SF Express. Tracking shows on the order page once shipped.", 10},
	} {
		art := &kb.Article{CategoryID: cats[d.cat], Language: d.lang, Title: d.title, Body: d.body, Published: true}
		if err := a.KB.CreateArticle(ctx, sh.ID, art); err != nil {
			return fmt.Errorf("kb article %s: %w", d.title, err)
		}
		if _, err := a.DB.Exec(ctx, `UPDATE kb_articles SET views = ? WHERE shop_id = ? AND id = ?`, d.views, sh.ID, art.ID); err != nil {
			return fmt.Errorf("kb article %s: %w", d.title, err)
		}
	}
	return nil
}
