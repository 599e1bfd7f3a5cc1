package guanxi

import (
	"strings"
	"unicode"
)

// IsMasked reports whether a contact value was masked by the platform that
// exported it (138****5678, tb_***@163.com, 张**): such a value is kept for
// display but must never be used to match two records as one person.
func IsMasked(s string) bool {
	return strings.Contains(s, "**") || strings.ContainsRune(s, '＊') || strings.Contains(s, "***")
}

// NormalizePhone returns the canonical form of a phone number for matching:
// a mainland mobile as its 11 digits ("+86 138 1234 5678", "86-13812345678",
// "'13812345678" and "0086 13812345678" all give "13812345678"); another
// number as "+" and its digits when it had an international prefix, else its
// digits. It returns "" for an empty, masked or implausible value, which the
// caller must then not use for matching.
func NormalizePhone(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimLeft(s, "'=\"")
	s = strings.TrimRight(s, "\"")
	if s == "" || IsMasked(s) || strings.ContainsRune(s, '*') {
		return ""
	}
	plus := strings.HasPrefix(s, "+")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' || r == '+' || r == '\u00a0':
		default:
			if unicode.IsLetter(r) {
				// "ext", "转" and the like end the number proper.
				goto done
			}
		}
	}
done:
	d := b.String()
	if strings.HasPrefix(d, "00") {
		d, plus = d[2:], true
	}
	if len(d) == 13 && strings.HasPrefix(d, "86") && d[2] == '1' {
		return d[2:]
	}
	if len(d) == 11 && d[0] == '1' && !plus {
		return d
	}
	if len(d) < 6 || len(d) > 15 {
		return ""
	}
	if plus {
		return "+" + d
	}
	return d
}

// NormalizeEmail returns the lower-cased, trimmed address for matching, or ""
// when it is masked or not plausibly an address.
func NormalizeEmail(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || IsMasked(s) || strings.ContainsRune(s, '*') {
		return ""
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " \t,;<>") || !strings.Contains(s[at:], ".") {
		return ""
	}
	return s
}

// MaskPhone shows a phone as 138****5678 to those who may not see it whole.
func MaskPhone(s string) string {
	r := []rune(s)
	if len(r) < 7 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + "****" + string(r[len(r)-4:])
}

// MaskEmail shows an email as a***@example.com.
func MaskEmail(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return MaskPhone(s)
	}
	r := []rune(s[:at])
	return string(r[:1]) + "***" + s[at:]
}
