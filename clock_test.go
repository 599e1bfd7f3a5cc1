package guanxi

import (
	"testing"
	"time"
)

func TestManualClock(t *testing.T) {
	t0 := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	c := NewManualClock(t0)
	if !c.Now().Equal(t0) {
		t.Fatalf("now %v, want %v", c.Now(), t0)
	}
	c.Advance(90 * time.Minute)
	if want := t0.Add(90 * time.Minute); !c.Now().Equal(want) {
		t.Errorf("after Advance: %v, want %v", c, want)
	}
	c.Set(t0)
	if !c.Now().Equal(t0) {
		t.Errorf("after Set: %v, want %v", c, t0)
	}
}
