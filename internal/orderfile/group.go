package orderfile

import (
	"io"
	"slices"
)

// grouper turns consecutive rows of one order into one Record, for formats
// that write a row per order line (generic, Shopify). A bad row rejects its
// whole order, with every row of it, and reading goes on with the next.
type grouper struct {
	f        *csvFile
	same     func(a, b []string) bool                         // whether two rows are of one order
	skip     func(rec []string) bool                          // rows to pass over, or nil
	first    func(r *Record, rec []string, row int) *RowError // the order's first row
	line     func(r *Record, rec []string, row int) *RowError // each following row
	finish   func(r *Record)                                  // once all its rows are in, or nil
	newOrder func(r *Record, row int)                         // sets up a zeroed Record for a new order
	reuse    bool                                             // Options.ReuseRecords
	spare    [2]*Record                                       // the Records reused in turn
	flip     int
	pending  *Record
	// The pending order's rows, copied field by field back to back (the
	// file's reader may reuse its record slice): row k is buf[ends[k-1]:ends[k]].
	buf  []string
	ends []int
	rerr *RowError
	eof  bool
}

// next returns the next whole order, a *RowError for a rejected one, or io.EOF.
func (g *grouper) next() (*Record, error) {
	for {
		if g.eof {
			return g.flush()
		}
		rec, row, err := g.f.read()
		if err == io.EOF {
			g.eof = true
			continue
		}
		if err != nil {
			// A malformed CSV line cannot be trusted to say which order it
			// belongs to; it is reported on its own.
			return nil, err
		}
		if g.skip != nil && g.skip(rec) {
			continue
		}
		if g.pending != nil && g.same(g.buf[:g.ends[0]], rec) {
			g.buf = append(g.buf, rec...)
			g.ends = append(g.ends, len(g.buf))
			if g.rerr == nil {
				g.rerr = g.line(g.pending, rec, row)
			}
			continue
		}
		out, outErr := g.flush()
		g.pending = g.record(row)
		g.buf = append(g.buf[:0], rec...)
		g.ends = append(g.ends[:0], len(g.buf))
		g.rerr = g.first(g.pending, rec, row)
		if out != nil || outErr != nil {
			return out, outErr
		}
	}
}

// flush returns the pending order (or its error) and clears it; io.EOF when
// there is none and the file is done, nil, nil when there is none yet.
func (g *grouper) flush() (*Record, error) {
	r, rerr := g.pending, g.rerr
	g.pending, g.rerr = nil, nil
	if r == nil {
		if g.eof {
			return nil, io.EOF
		}
		return nil, nil
	}
	if rerr != nil {
		rerr.Rows = make([][]string, len(g.ends))
		start := 0
		for k, end := range g.ends {
			rerr.Rows[k] = slices.Clone(g.buf[start:end])
			start = end
		}
		return nil, rerr
	}
	if g.finish != nil {
		g.finish(r)
	}
	return r, nil
}

// record returns a Record for a new order. With reuse, two Records take
// turns (one is being filled while the other is with the caller), and their
// Lines keep their capacity.
func (g *grouper) record(row int) *Record {
	if !g.reuse {
		r := new(Record)
		g.newOrder(r, row)
		return r
	}
	r := g.spare[g.flip]
	if r == nil {
		r = new(Record)
		g.spare[g.flip] = r
	}
	g.flip ^= 1
	lines := r.Lines[:0]
	*r = Record{}
	g.newOrder(r, row)
	r.Lines = lines
	return r
}
