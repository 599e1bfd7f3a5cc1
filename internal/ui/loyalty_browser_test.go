package ui_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/guanxi-crm/guanxi/internal/coupon"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestLoyaltyBrowser opens the loyalty page in a real Chromium and checks
// the expiry forecast is drawn from the page's JSON under the CSP, then the
// coupon page and a customer's points card, with no errors logged. It
// skips, like TestBrowser, where Chromium is missing.
func TestLoyaltyBrowser(t *testing.T) {
	b := newBrowser(t)
	e := newEnv(t, storetest.SQLite(t))
	bg := context.Background()
	// Points earned by every paid order (they expire in 12 months), a
	// template with a code issued.
	if _, _, err := e.loyaltySvc().EarnPending(bg, e.shopA.ID); err != nil {
		t.Fatal(err)
	}
	wang := e.customerID(t, e.shopA, "王芳")
	tpl := &coupon.Template{Name: "新客立减", Kind: coupon.KindAmount, Value: 1000, ValidDays: 30}
	if err := e.couponsSvc().CreateTemplate(bg, e.shopA.ID, tpl); err != nil {
		t.Fatal(err)
	}
	if _, err := e.couponsSvc().Issue(bg, e.shopA.ID, tpl.ID, []int64{wang}, "manual"); err != nil {
		t.Fatal(err)
	}

	step, poll, shot := b.step, b.poll, b.shot

	step("sign in on the way to the loyalty page",
		chromedp.Navigate(e.srv.URL+"/s/a/loyalty"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "alice"),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`form.login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#loyalty-form")),
	)
	poll("the expiry chart", `(() => { const n = document.getElementById('chart-expiry');
		const c = typeof echarts !== 'undefined' && echarts.getInstanceByDom(n);
		return c && n.dataset.rendered === 'true' && n.querySelector('canvas') &&
			c.getOption().series[0].data.length === 13 && c.getOption().series[0].data.some(v => v > 0) })()`)
	step("screenshot the loyalty page", shot("30-loyalty"),
		chromedp.Navigate(e.srv.URL+"/s/a/coupons"),
		chromedp.WaitVisible(chromedp.CSS("#coupon-templates")),
		shot("31-coupons"),
		chromedp.Navigate(e.srv.URL+fmt.Sprintf("/s/a/customers/%d", wang)),
		chromedp.WaitVisible(chromedp.CSS("#points-balance")),
		chromedp.ScrollIntoView(chromedp.CSS("#points")),
		shot("32-customer-points"),
	)

	for _, m := range b.pageErrors() {
		t.Errorf("the page logged an error: %s", m)
	}
}
