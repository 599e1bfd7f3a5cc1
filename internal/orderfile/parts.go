package orderfile

import (
	"bytes"
	"io"
	"unsafe"
)

// minPartSize is the smallest part worth a reader of its own: below it the
// cost of starting one outweighs parsing the bytes.
var minPartSize = 4 << 20

// OpenGenericParts reads a generic-format file held in memory as up to n
// Readers over consecutive parts of it, so that the parts can be parsed on
// several cores at once. Every part starts at a record boundary (a newline
// outside any quoted field) and never between consecutive rows of one order,
// so each Reader yields exactly the Records one Reader over the whole file
// would, in the same order when the parts are read one after another; row
// numbers in Records and errors are those of the whole file.
//
// A file that is not UTF-8 (GB18030 from Chinese Excel) or is small is
// returned as one part. Rows of one order that are not next to each other
// stay separate Records here as in Open; callers that need whole orders join
// them by key.
//
// The parts' Records hold strings that share data's memory rather than
// copies of it, which is much of what makes them fast: data must not be
// changed once passed in, for as long as any of those strings live.
func OpenGenericParts(name string, data []byte, opt Options, n int) ([]Reader, error) {
	whole := data
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	// The encoding is judged as Decode judges it, from the first 64 KiB.
	head := data[:min(len(data), sniffSize)]
	if n <= 1 || len(data) < 2*minPartSize || !validUTF8Prefix(head, len(head) == len(data)) {
		r, err := Open("generic", name, bytes.NewReader(whole), opt)
		if err != nil {
			return nil, err
		}
		return []Reader{r}, nil
	}
	first, err := newGeneric(name, bytes.NewReader(data), opt)
	if err != nil {
		return nil, err
	}
	n = min(n, len(data)/minPartSize)
	starts := recordStarts(data, n)
	// The header's own end: part 0 reads it; the cuts must come after it.
	hdrEnd := headerEnd(data)
	cuts := []int{}
	for _, c := range starts {
		if c <= hdrEnd {
			continue
		}
		c = first.orderBoundary(data, c)
		if c > hdrEnd && c < len(data) && (len(cuts) == 0 || c > cuts[len(cuts)-1]) {
			cuts = append(cuts, c)
		}
	}
	if len(cuts) == 0 {
		return []Reader{first}, nil
	}
	// Every part, the first too, reads from memory past the header.
	bounds := append(append([]int{hdrEnd}, cuts...), len(data))
	parts := make([]Reader, 0, len(bounds)-1)
	for i := range len(bounds) - 1 {
		lo, hi := bounds[i], bounds[i+1]
		r := partCSV(data[lo:hi])
		r.reuse = true // the grouper copies the fields it keeps
		f := &csvFile{name: name, r: r, header: first.f.header, index: first.f.index,
			base: bytes.Count(data[:lo], []byte{'\n'})}
		f.row = f.base
		g, err := genericOver(f, opt)
		if err != nil {
			return nil, err
		}
		parts = append(parts, g)
	}
	return parts, nil
}

// partCSV reads records from b as openCSV's reader would. The records'
// strings share b's memory (see OpenGenericParts).
func partCSV(b []byte) *memCSV {
	if len(b) == 0 {
		return newMemCSV("")
	}
	return newMemCSV(unsafe.String(&b[0], len(b)))
}

// headerEnd returns the offset just after the header record.
func headerEnd(data []byte) int {
	cr := partCSV(data)
	if _, err := cr.Read(); err != nil {
		return len(data)
	}
	return int(cr.InputOffset())
}

// recordStarts returns up to n-1 offsets, near i×len/n, at which a record
// starts: just after a newline that is outside any quoted field. It follows
// encoding/csv's lazy-quote rules: a quote opens a quoted field only at the
// start of a field; inside one, a doubled quote is a literal quote, a quote
// before a comma, a line end or the end of the data closes the field, and
// any other quote is literal. Only quotes and newlines are visited, so the
// scan costs little more than a memchr over the data.
func recordStarts(data []byte, n int) []int {
	var out []int
	inQuotes := false
	i := 0
	for k := 1; k < n; k++ {
		target := len(data) * k / n
		if target < i {
			continue
		}
		// Walk the quotes up to the target, tracking the quoted state.
		for i < target {
			j := bytes.IndexByte(data[i:target], '"')
			if j < 0 {
				i = target
				break
			}
			i += j
			i, inQuotes = quote(data, i, inQuotes)
		}
		// The next newline outside quotes.
		for i < len(data) {
			j := bytes.IndexAny(data[i:], "\"\n")
			if j < 0 {
				return out
			}
			i += j
			if data[i] == '\n' {
				if !inQuotes {
					i++
					break
				}
				i++
				continue
			}
			i, inQuotes = quote(data, i, inQuotes)
		}
		if i >= len(data) {
			return out
		}
		out = append(out, i)
	}
	return out
}

// quote applies the quote at data[i] to the quoted state and returns the
// offset to go on from.
func quote(data []byte, i int, inQuotes bool) (int, bool) {
	if !inQuotes {
		return i + 1, i == 0 || data[i-1] == ',' || data[i-1] == '\n'
	}
	next := func(k int) byte {
		if k < len(data) {
			return data[k]
		}
		return 0
	}
	switch c := next(i + 1); {
	case c == '"':
		return i + 2, true // an escaped quote
	case i+1 >= len(data) || c == ',' || c == '\n' || (c == '\r' && (i+2 >= len(data) || data[i+2] == '\n')):
		return i + 1, false // the field ends
	}
	return i + 1, true // a lazy literal quote
}

// orderBoundary moves a record start forward to the first row whose order
// differs from the order of the row at cut, so that no order is cut in two:
// the rows before cut that belong to that order stay with it. It returns
// len(data) when the order runs to the end of the data.
func (g *genericReader) orderBoundary(data []byte, cut int) int {
	cr := partCSV(data[cut:])
	first, err := cr.Read()
	if err != nil {
		return cut
	}
	for {
		off := cut + int(cr.InputOffset())
		rec, err := cr.Read()
		if err == io.EOF {
			return len(data)
		}
		if err != nil || !g.rows.same(first, rec) {
			return off
		}
	}
}
