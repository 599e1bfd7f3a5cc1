package ui

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/segment"
)

// canWriteSegments reports whether a role may create, change and delete
// saved segments: admins, care staff (who aim campaigns with them) and
// analysts (whose work segments are). Service agents read them.
func canWriteSegments(r auth.Role) bool {
	return r == auth.RoleAdmin || r == auth.RoleCare || r == auth.RoleAnalyst
}

// segments returns the segment service, or ENOTFOUND when the server runs
// without one.
func (u *UI) segments() (*segment.Service, error) {
	if u.cfg.Segments == nil {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "segments are not available")
	}
	return u.cfg.Segments, nil
}

// trendDays is how far back the list's small trend line reaches.
const trendDays = 30

// segmentRow is one saved segment on the list.
type segmentRow struct {
	ID        int64
	Name      string
	Customers int
	UpdatedAt time.Time
	Trend     string // SVG polyline points of the last trendDays of sizes, "" with fewer than two
	TrendText string // the same sizes, for screen readers: "12 → 15"
}

type segmentListPage struct {
	Segments []segmentRow
	CanWrite bool
	Deleted  bool
}

// segmentList shows the shop's saved segments with their size now and a
// small line of their size over the last 30 recorded days.
func (u *UI) segmentList(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.segments()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	ctx := r.Context()
	segs, err := svc.List(ctx, rq.shop.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	since := yyyymmdd(u.clock.Now().In(rq.shop.Location()).AddDate(0, 0, -trendDays))
	p := &segmentListPage{CanWrite: canWriteSegments(rq.role), Deleted: r.URL.Query().Get("deleted") == "1"}
	for _, seg := range segs {
		n, err := svc.Count(ctx, rq.shop.ID, seg.Rule)
		if err != nil {
			u.fail(w, r, rq, err)
			return
		}
		hist, err := svc.History(ctx, rq.shop.ID, seg.ID)
		if err != nil {
			u.fail(w, r, rq, err)
			return
		}
		var recent []int
		for _, s := range hist {
			if s.Day >= since {
				recent = append(recent, s.Customers)
			}
		}
		row := segmentRow{ID: seg.ID, Name: seg.Name, Customers: n, UpdatedAt: seg.UpdatedAt, Trend: sparkline(recent, 100, 24)}
		if len(recent) > 0 {
			row.TrendText = fmt.Sprintf("%d → %d", recent[0], recent[len(recent)-1])
		}
		p.Segments = append(p.Segments, row)
	}
	u.render(w, r, rq, http.StatusOK, "segment_list", "", u.view(r, rq, "segments", p))
}

// yyyymmdd is the day of t as segment.Size.Day numbers it.
func yyyymmdd(t time.Time) int { return t.Year()*10000 + int(t.Month())*100 + t.Day() }

// dayString writes a yyyymmdd day as 2006-01-02.
func dayString(day int) string { return fmt.Sprintf("%04d-%02d-%02d", day/10000, day/100%100, day%100) }

// sparkline returns the points of an SVG polyline drawing vals in a w×h box
// (the smallest value at the bottom, the largest at the top), or "" when
// there are fewer than two values.
func sparkline(vals []int, w, h float64) string {
	if len(vals) < 2 {
		return ""
	}
	lo, hi := vals[0], vals[0]
	for _, v := range vals {
		lo, hi = min(lo, v), max(hi, v)
	}
	var b strings.Builder
	for i, v := range vals {
		x := w * float64(i) / float64(len(vals)-1)
		y := h / 2
		if hi > lo {
			y = 1 + (h-2)*(1-float64(v-lo)/float64(hi-lo))
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.1f,%.1f", x, y)
	}
	return b.String()
}
