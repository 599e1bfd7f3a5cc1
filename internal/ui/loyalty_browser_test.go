package ui_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/guanxi-crm/guanxi/internal/coupon"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// TestLoyaltyBrowser opens the loyalty page in a real Chromium and checks
// the expiry forecast is drawn from the page's JSON under the CSP, then the
// coupon page and a customer's points card, with no errors logged. It
// skips, like TestBrowser, where Chromium is missing.
func TestLoyaltyBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %s is missing: the browser test must run in CI (apt-get install -y chromium)", chromium)
		}
		t.Skipf("%s is missing: apt-get install -y chromium to run the browser test", chromium)
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	artefacts := os.Getenv("GUANXI_TEST_ARTEFACTS")
	if artefacts == "" {
		artefacts = t.TempDir()
	}
	if err := os.MkdirAll(artefacts, 0o755); err != nil {
		t.Fatal(err)
	}
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

	alloc, cancelAlloc := chromedp.NewExecAllocator(bg,
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	var mu sync.Mutex
	var pageErrors []string
	console := chromedp.Console(ctx)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError {
				mu.Lock()
				pageErrors = append(pageErrors, m.String()+" ("+m.URL+")")
				mu.Unlock()
			}
		}
	}()
	ctx, cancelSteps := context.WithTimeout(ctx, 90*time.Second)
	defer cancelSteps()

	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			png, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(artefacts, name+".png"), png, 0o644)
		})
	}
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	poll := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}

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

	mu.Lock()
	defer mu.Unlock()
	for _, m := range pageErrors {
		t.Errorf("the page logged an error: %s", m)
	}
}
