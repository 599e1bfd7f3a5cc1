package i18n_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/i18n"
)

func TestCatalogsAgree(t *testing.T) {
	zh, en := i18n.Keys(i18n.ZhCN), i18n.Keys(i18n.En)
	for _, k := range zh {
		if !slices.Contains(en, k) {
			t.Errorf("en lacks %q", k)
		}
	}
	for _, k := range en {
		if !slices.Contains(zh, k) {
			t.Errorf("zh-CN lacks %q", k)
		}
	}
}

func TestT(t *testing.T) {
	for _, tc := range []struct {
		locale, key string
		args        []any
		want        string
	}{
		{"zh-CN", "nav.customers", nil, "客户"},
		{"en", "nav.customers", nil, "Customers"},
		{"fr", "nav.customers", nil, "客户"}, // unknown locale: zh-CN
		{"en", "no.such.key", nil, "no.such.key"},
		{"en", "customer.unnamed", []any{int64(42)}, "Customer #42"},
		{"zh-CN", "customers.showing", []any{1, 50, "1,234"}, "第 1–50 位，共 1,234 位客户"},
	} {
		if got := i18n.T(tc.locale, tc.key, tc.args...); got != tc.want {
			t.Errorf("T(%s, %s, %v) = %q, want %q", tc.locale, tc.key, tc.args, got, tc.want)
		}
	}
}

func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		currency string
		m        guanxi.Money
		want     string
	}{
		{"CNY", 123450, "¥1,234.50"},
		{"CNY", 0, "¥0.00"},
		{"CNY", 5, "¥0.05"},
		{"CNY", -2000, "-¥20.00"},
		{"CNY", 123456789012, "¥1,234,567,890.12"},
		{"USD", 99999, "$999.99"},
		{"KRW", 990, "KRW 9.90"},
		{"", 100, "1.00"},
	} {
		for _, loc := range i18n.Locales() {
			if got := i18n.Money(loc, tc.currency, tc.m); got != tc.want {
				t.Errorf("Money(%s, %s, %d) = %q, want %q", loc, tc.currency, tc.m, got, tc.want)
			}
		}
	}
	if got := i18n.Number(-1234567); got != "-1,234,567" {
		t.Errorf("Number = %q", got)
	}
}

func TestDates(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		sh = time.FixedZone("CST", 8*3600)
	}
	at := time.Date(2025, 11, 10, 16, 30, 0, 0, time.UTC) // 00:30 on 11.11 in China
	if got := i18n.DateTime(at, sh); got != "2025-11-11 00:30" {
		t.Errorf("DateTime = %q", got)
	}
	if got := i18n.Date(at, sh); got != "2025-11-11" {
		t.Errorf("Date = %q", got)
	}
	if got := i18n.DateTime(time.Time{}, sh); got != "" {
		t.Errorf("DateTime(zero) = %q", got)
	}
}

func TestLocales(t *testing.T) {
	for h, want := range map[string]string{
		"":                             "zh-CN",
		"en-US,en;q=0.9":               "en",
		"zh-CN,zh;q=0.9,en;q=0.8":      "zh-CN",
		"de-DE,en;q=0.5,zh;q=0.4":      "en",
		"fr, zh-TW;q=0.8, en-GB;q=0.7": "zh-CN",
		"*":                            "zh-CN",
	} {
		if got := i18n.FromAcceptLanguage(h); got != want {
			t.Errorf("FromAcceptLanguage(%q) = %q, want %q", h, got, want)
		}
	}
	for tag, want := range map[string]string{"en": "en", "EN_gb": "en", "zh-CN": "zh-CN", "ja": "zh-CN", "english": "zh-CN"} {
		if got := i18n.Normalize(tag); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", tag, got, want)
		}
	}
	if !i18n.Supported("en") || i18n.Supported("en-US") {
		t.Error("Supported takes exactly zh-CN and en")
	}
}

func TestErrorMessage(t *testing.T) {
	if got := i18n.ErrorMessage("en", guanxi.Errorf(guanxi.ENOTFOUND, "customer 3 not found")); got != i18n.T("en", "error.not_found") {
		t.Errorf("not found: %q", got)
	}
	// The detail of an internal error never reaches a page.
	if got := i18n.ErrorMessage("zh-CN", errors.New("pq: relation customers does not exist")); got != i18n.T("zh-CN", "error.internal") {
		t.Errorf("internal: %q", got)
	}
	if got := i18n.ErrorMessage("en", nil); got != "" {
		t.Errorf("nil: %q", got)
	}
}
