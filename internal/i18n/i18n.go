// Package i18n translates what Guanxi shows a person: message catalogs for
// zh-CN (the default) and English as Go maps, money in the shop's currency
// and times in the shop's time zone. Catalogs are read-only after package
// initialisation, so every function is safe for concurrent use.
package i18n

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
)

// The supported locales.
const (
	ZhCN = "zh-CN"
	En   = "en"
	// Default is the locale used when none is known or asked for.
	Default = ZhCN
)

// Locales lists the supported locales, the default first.
func Locales() []string { return []string{ZhCN, En} }

var catalogs = map[string]map[string]string{ZhCN: zhCN, En: en}

// Supported reports whether locale is one of Locales exactly.
func Supported(locale string) bool { _, ok := catalogs[locale]; return ok }

// Normalize maps a language tag to a supported locale: "en", "en-US",
// "EN_gb" give "en"; anything else gives the default, zh-CN.
func Normalize(tag string) string {
	t := strings.ToLower(strings.TrimSpace(tag))
	if t == "en" || strings.HasPrefix(t, "en-") || strings.HasPrefix(t, "en_") {
		return En
	}
	return Default
}

// FromAcceptLanguage picks a locale from an Accept-Language header: the
// first supported language in the order of the q-values given, else the
// default.
func FromAcceptLanguage(header string) string {
	best, bestQ := Default, -1.0
	for part := range strings.SplitSeq(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		if tag == "" || tag == "*" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		var loc string
		switch {
		case tag == "zh" || strings.HasPrefix(tag, "zh-"):
			loc = ZhCN
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			loc = En
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = loc, q
		}
	}
	return best
}

// Lookup returns the message of key in locale, falling back to zh-CN; ok is
// false when neither catalog has it.
func Lookup(locale, key string) (msg string, ok bool) {
	if c, found := catalogs[locale]; found {
		if msg, ok = c[key]; ok {
			return msg, true
		}
	}
	msg, ok = zhCN[key]
	return msg, ok
}

// T translates key into locale, falling back to zh-CN and then to the key
// itself. With args, the message is a fmt format: T(l, "customers.count", 3).
func T(locale, key string, args ...any) string {
	msg, ok := Lookup(locale, key)
	if !ok {
		msg = key
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Keys returns the keys of a locale's catalog, for tests that check the
// catalogs agree.
func Keys(locale string) []string {
	c := catalogs[locale]
	out := make([]string, 0, len(c))
	for k := range c {
		out = append(out, k)
	}
	return out
}

// ErrorMessage returns the person-facing message for an error, by its
// guanxi code: the detail of internal errors never reaches a page.
func ErrorMessage(locale string, err error) string {
	code := guanxi.ErrorCode(err)
	if code == "" {
		return ""
	}
	if msg, ok := Lookup(locale, "error."+code); ok {
		return msg
	}
	return T(locale, "error.internal")
}

var symbols = map[string]string{
	"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥",
	"HKD": "HK$", "TWD": "NT$", "SGD": "S$", "AUD": "A$", "CAD": "C$",
}

// Money formats an amount in the currency with its sign and thousands
// separators: "¥1,234.50" for CNY, "-$5.00" for USD, "KRW 9.90" for a
// currency without a known sign. The locale does not change the digits:
// both zh-CN and English write ¥1,234.50.
func Money(locale, currency string, m guanxi.Money) string {
	s := m.String()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	if sym, ok := symbols[strings.ToUpper(currency)]; ok {
		b.WriteString(sym)
	} else if currency != "" {
		b.WriteString(strings.ToUpper(currency))
		b.WriteByte(' ')
	}
	b.WriteString(Group(whole))
	b.WriteByte('.')
	b.WriteString(frac)
	return b.String()
}

// Group inserts thousands separators into a string of digits: "1234567"
// gives "1,234,567".
func Group(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head > 0 {
		b.WriteString(digits[:head])
	}
	for i := head; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// Number formats an integer with thousands separators.
func Number(n int64) string {
	if n < 0 {
		return "-" + Group(strconv.FormatInt(-n, 10))
	}
	return Group(strconv.FormatInt(n, 10))
}

// DateTime formats an instant in the shop's time zone as 2006-01-02 15:04,
// or "" for the zero time.
func DateTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04")
}

// Date formats an instant's day in the shop's time zone as 2006-01-02, or
// "" for the zero time.
func Date(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02")
}
