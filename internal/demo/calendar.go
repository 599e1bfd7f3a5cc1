package demo

import (
	"math"
	"time"
)

// Shopping festivals. A day carries at most one.
const (
	noPromo = iota
	promo1111
	promo618
	promo1212
	promoNewYear // 年货节, the weeks before the Spring Festival
	promo38
	promo99
)

var promoNames = [...]string{"", "双11", "618", "双12", "年货节", "38女王节", "99划算节"}

// springFestival holds the first day of the lunar new year, by year.
var springFestival = map[int][2]int{
	2015: {2, 19}, 2016: {2, 8}, 2017: {1, 28}, 2018: {2, 16}, 2019: {2, 5}, 2020: {1, 25},
	2021: {2, 12}, 2022: {2, 1}, 2023: {1, 22}, 2024: {2, 10}, 2025: {1, 29}, 2026: {2, 17},
	2027: {2, 6}, 2028: {1, 26}, 2029: {2, 13}, 2030: {2, 3}, 2031: {1, 23}, 2032: {2, 11},
	2033: {1, 31}, 2034: {2, 19}, 2035: {2, 8}, 2036: {1, 28}, 2037: {2, 15}, 2038: {2, 4},
	2039: {1, 24}, 2040: {2, 12},
}

// Behaviour classes: how strongly a customer's buying follows the festivals
// (weight^exponent). Steady buyers barely notice them, promotion hunters
// buy almost only then.
var classExp = [...]float64{0.4, 1, 1.6}
var classShare = []float64{0.25, 0.55, 0.2}

// Hour-of-day weights: quiet nights, a lunch bump, and the evening peak
// from 20:00 to 23:00. On the festival peak days the midnight start of the
// sale gets a rush of its own.
var hourWeight = [24]float64{2.0, 1.0, 0.5, 0.3, 0.2, 0.2, 0.4, 1.0, 1.8, 2.6, 3.4, 3.4, 3.6, 3.4, 3.2, 3.3, 3.2, 3.0, 3.0, 3.6, 5.0, 5.6, 5.4, 3.8}

// calendar is the two years of days the shop's orders fall on.
type calendar struct {
	days    []time.Time // midnight of each day, in the shop's location
	month   []uint8     // 0-11
	weight  []float64   // relative order intensity
	promo   []uint8
	peak    []bool                   // a festival's last day: a midnight rush
	cum     [len(classExp)][]float64 // operational time per class; len(days)+1, ending at len(days)
	acq     []float64                // cumulative acquisition weight per day
	lastSec int64                    // seconds of the last day that orders may use
	hours   [2][]float64             // cumulative hour weights: ordinary day, peak day
}

// newCalendar lays out the days from two years before end's date (the day
// after) through end's date. When end is not midnight, orders on the last
// day stop at end.
func newCalendar(end time.Time, loc *time.Location) *calendar {
	end = end.In(loc)
	y, m, d := end.Date()
	last := time.Date(y, m, d, 0, 0, 0, 0, loc)
	first := last.AddDate(-2, 0, 1)
	c := &calendar{lastSec: 86400}
	if s := int64(end.Sub(last) / time.Second); s > 0 {
		c.lastSec = s
	}
	fy, fm, fd := first.Date()
	for i := 0; ; i++ {
		t := time.Date(fy, fm, fd+i, 0, 0, 0, 0, loc)
		if t.After(last) {
			break
		}
		c.days = append(c.days, t)
	}
	n := len(c.days)
	c.month = make([]uint8, n)
	c.weight = make([]float64, n)
	c.promo = make([]uint8, n)
	c.peak = make([]bool, n)
	for i, t := range c.days {
		c.month[i] = uint8(t.Month() - 1)
		c.weight[i], c.promo[i], c.peak[i] = dayWeight(t)
	}
	// Operational time: a customer's clock runs faster on busy days. Each
	// class's clock is normalised to run len(days) units over the window.
	for k, e := range classExp {
		cum := make([]float64, n+1)
		for i, w := range c.weight {
			cum[i+1] = cum[i] + math.Pow(w, e)
		}
		scale := float64(n) / cum[n]
		for i := range cum {
			cum[i] *= scale
		}
		c.cum[k] = cum
	}
	// New customers arrive with the festivals; more in the first months,
	// as the shop gets known, while the base of returning customers builds
	// up (orders still grow by half over the two years).
	c.acq = make([]float64, n)
	sum := 0.0
	for i, w := range c.weight {
		sum += w * (1.3 - 0.5*float64(i)/float64(n))
		c.acq[i] = sum
	}
	for k := range 2 {
		cum := make([]float64, 24)
		s := 0.0
		for h, w := range hourWeight {
			if k == 1 && h == 0 {
				w = 14
			}
			s += w
			cum[h] = s
		}
		c.hours[k] = cum
	}
	return c
}

// dayWeight returns a day's order intensity relative to an ordinary day, its
// festival, and whether it is a festival's peak day.
func dayWeight(t time.Time) (float64, uint8, bool) {
	m, d := t.Month(), t.Day()
	w := [7]float64{1.08, 1.02, 0.97, 0.97, 0.97, 0.95, 1.05}[t.Weekday()]
	var promo uint8
	peak := false
	switch {
	case m == time.November && d == 11:
		w, promo, peak = w*8, promo1111, true
	case m == time.November && d == 1:
		w, promo = w*2.6, promo1111
	case m == time.November && d <= 10:
		w, promo = w*(1.5+0.04*float64(d)), promo1111
	case m == time.October && d == 31:
		w *= 1.8
	case m == time.October && d >= 20:
		w *= 1.15
	case m == time.November && d <= 14:
		w *= 0.8
	case m == time.June && d == 18:
		w, promo, peak = w*5, promo618, true
	case m == time.June && d == 1:
		w, promo = w*2.4, promo618
	case m == time.June && d <= 17:
		w, promo = w*(1.4+0.025*float64(d)), promo618
	case m == time.May && d >= 28:
		w *= 1.2
	case m == time.June && d <= 20:
		w *= 0.85
	case m == time.December && d == 12:
		w, promo = w*2.4, promo1212
	case m == time.December && (d == 10 || d == 11):
		w, promo = w*1.3, promo1212
	case m == time.March && (d == 7 || d == 8):
		w, promo = w*1.7, promo38
	case m == time.September && d == 9:
		w, promo = w*1.4, promo99
	case m == time.May && d == 20:
		w *= 1.3
	}
	// The Spring Festival: a New Year shopping rush, then couriers go home.
	if r, ok := daysFromSpringFestival(t); ok {
		switch {
		case r >= -28 && r <= -10:
			w *= 1.25
			if promo == noPromo {
				promo = promoNewYear
			}
		case r >= -9 && r <= -1:
			w *= 0.7
		case r >= 0 && r <= 6:
			w *= 0.4
		case r >= 7 && r <= 10:
			w *= 0.8
		}
	}
	return w, promo, peak
}

// daysFromSpringFestival returns t's distance in days from the nearest
// Spring Festival, when the table knows it.
func daysFromSpringFestival(t time.Time) (int, bool) {
	best, found := 0, false
	for _, y := range []int{t.Year(), t.Year() + 1} {
		md, ok := springFestival[y]
		if !ok {
			continue
		}
		sf := time.Date(y, time.Month(md[0]), md[1], 0, 0, 0, 0, t.Location())
		r := int(math.Round(t.Sub(sf).Hours() / 24))
		if !found || abs(r) < abs(best) {
			best, found = r, true
		}
	}
	return best, found
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// day returns the day that operational time u of class k falls on.
func (c *calendar) day(k int, u float64) int {
	cum := c.cum[k]
	lo, hi := 0, len(c.days)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if cum[mid] <= u {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// end is the operational time at which the window closes.
func (c *calendar) end() float64 { return float64(len(c.days)) }
