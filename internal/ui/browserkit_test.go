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
)

// chromium is Debian's browser, which CI installs (apt-get install chromium).
const chromium = "/usr/bin/chromium"

// browser is a headless Chromium driven by one test: the steps share a
// four-minute bound (CI runs the dispatch crash tests in parallel on two
// cores, and a page then takes seconds), and every error a page logs (an
// exception, a console error such as a Content-Security-Policy violation)
// is collected.
type browser struct {
	t         *testing.T
	ctx       context.Context
	artefacts string // where screenshots go: $GUANXI_TEST_ARTEFACTS or a temporary folder

	mu     sync.Mutex
	errors []string
}

// newBrowser starts Chromium for t, or skips t where it is missing (and
// fails it in CI, which must run the browser tests) or under -short.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %s is missing: the browser test must run in CI (apt-get install -y chromium)", chromium)
		}
		t.Skipf("%s is missing: apt-get install -y chromium to run the browser test", chromium)
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	b := &browser{t: t, artefacts: os.Getenv("GUANXI_TEST_ARTEFACTS")}
	if b.artefacts == "" {
		b.artefacts = t.TempDir()
	}
	if err := os.MkdirAll(b.artefacts, 0o755); err != nil {
		t.Fatal(err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
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
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel)
	// Start the browser on the context without a deadline (a deadline on the
	// first Run would bound the browser's life), then bound the steps.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	console := chromedp.Console(ctx) // subscribed from here on
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError {
				b.mu.Lock()
				b.errors = append(b.errors, m.String()+" ("+m.URL+")")
				b.mu.Unlock()
			}
		}
	}()
	ctx, cancelSteps := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(cancelSteps)
	b.ctx = ctx
	return b
}

// shot saves a screenshot of the page as artefacts/name.png.
func (b *browser) shot(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		png, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return fmt.Errorf("screenshot %s: %w", name, err)
		}
		path := filepath.Join(b.artefacts, name+".png")
		b.t.Logf("screenshot %s", path)
		return os.WriteFile(path, png, 0o644)
	})
}

// step runs the actions, failing the test with what it was doing.
func (b *browser) step(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// poll waits up to a minute for the script to be true.
func (b *browser) poll(what, js string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(time.Minute))); err != nil {
		b.t.Fatalf("waiting for %s: %v", what, err)
	}
}

// pageErrors returns the errors pages have logged so far.
func (b *browser) pageErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}
