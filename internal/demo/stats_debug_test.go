package demo

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/orderfile"
)

func TestDebugStats(t *testing.T) {
	cfg := DefaultConfig(time.Date(2025, 6, 30, 0, 0, 0, 0, shanghai()))
	t0 := time.Now()
	s, err := build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("build", time.Since(t0), "events", len(s.events))
	var counts []int
	hist := map[int]int{}
	churn := 0
	last := make([]int32, len(s.persons))
	for _, e := range s.events {
		last[e.person] = max(last[e.person], e.day)
	}
	cross := 0
	for i, pe := range s.persons {
		counts = append(counts, int(pe.n))
		b := int(pe.n)
		if b > 5 && b < 10 { b = 6 } else if b >= 10 && b < 20 { b = 10 } else if b >= 20 { b = 20 }
		hist[b]++
		if pe.n > 1 && int(last[i]) < len(s.cal.days)-365 {
			churn++
		}
		if pe.nch == 2 { cross++ }
	}
	slices.Sort(counts)
	n := len(counts)
	fmt.Println("one-time", float64(hist[1])/float64(n), "hist", hist, "p95", counts[n*95/100], "max", counts[n-1], "churned repeaters", churn, "cross", float64(cross)/float64(n))
	top := 0
	for _, c := range counts[n*95/100:] { top += c }
	fmt.Println("top5% share of orders", float64(top)/float64(len(s.events)))
	st := map[orderfile.Status]int{}
	ch := map[string]int{}
	var amt int64
	lines := 0
	t0 = time.Now()
	monthly := map[string]int{}
	err = Generate(cfg, func(r *orderfile.Record) error {
		st[r.Status]++
		ch[r.Channel]++
		amt += int64(r.Amount)
		lines += len(r.Lines)
		monthly[r.PlacedAt.Format("2006-01")]++
		return nil
	})
	fmt.Println("generate", time.Since(t0))
	fmt.Println(st, ch, "aov", float64(amt)/float64(len(s.events))/100, "lines/order", float64(lines)/float64(len(s.events)))
	keys := []string{}
	for k := range monthly { keys = append(keys, k) }
	slices.Sort(keys)
	for _, k := range keys { fmt.Print(k, ":", monthly[k], " ") }
	fmt.Println()
}
