package ui

import (
	"testing"
	"time"
)

// TestEventNote: the bodies the service desk writes for escalations and
// automatic assignments read as words, in the shop's time; anything else,
// including a body that only looks similar, is shown as written.
func TestEventNote(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	zh := &view{Locale: "zh-CN", loc: cst}
	en := &view{Locale: "en", loc: cst}
	for _, c := range []struct {
		v          *view
		kind, body string
		want       string
	}{
		{zh, "escalation", "resolution due 2026-11-18T09:16:22Z", "解决时限 2026-11-18 17:16 已过，优先级提高一级"},
		{en, "escalation", "first_response due 2026-11-18T09:16:22Z", "First response was due 2026-11-18 17:16: priority raised one step"},
		{zh, "assign", "auto:round_robin", "自动分配：轮流分配"},
		{zh, "escalation", "resolution due tomorrow", "resolution due tomorrow"},
		{zh, "escalation", "lunch due 2026-11-18T09:16:22Z", "lunch due 2026-11-18T09:16:22Z"},
		{zh, "assign", "auto:coin_toss", "auto:coin_toss"},
		{zh, "note", "auto:round_robin", "auto:round_robin"},
	} {
		if got := c.v.EventNote(c.kind, c.body); got != c.want {
			t.Errorf("%s %q in %s: %q, want %q", c.kind, c.body, c.v.Locale, got, c.want)
		}
	}
}
