package shop

import (
	"fmt"
	"testing"
	"time"
)

func TestMonthStarts(t *testing.T) {
	loc := LocationOf("Asia/Shanghai")
	// 2025-01-31 20:00 UTC is already 1 February in Shanghai.
	from := time.Date(2025, 1, 31, 20, 0, 0, 0, time.UTC)
	to := time.Date(2025, 4, 1, 0, 0, 0, 0, loc)
	var got []string
	for _, m := range MonthStarts(from, to, loc) {
		if m.Location() != loc || m.Day() != 1 || m.Hour() != 0 {
			t.Errorf("%v: not the start of a month in shop time", m)
		}
		got = append(got, m.Format("2006-01"))
	}
	if want := "[2025-02 2025-03]"; fmt.Sprint(got) != want {
		t.Errorf("months %v, want %s", got, want)
	}
	if ms := MonthStarts(to, to, loc); len(ms) != 0 {
		t.Errorf("an empty period has months %v", ms)
	}
}

func TestLocationOf(t *testing.T) {
	if got := LocationOf("No/Such_Zone"); got != shanghai {
		t.Errorf("unknown zone gave %v, want CST", got)
	}
	if got := LocationOf("Europe/Paris"); got.String() != "Europe/Paris" {
		t.Errorf("Europe/Paris gave %v", got)
	}
}
