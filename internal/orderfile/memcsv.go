package orderfile

import (
	"io"
	"strings"
)

// memCSV reads CSV records from text held in memory, with encoding/csv's
// rules for a Reader set up as openCSV sets one up: Comma ',', no Comment,
// LazyQuotes true, FieldsPerRecord -1, TrimLeadingSpace false. It returns the
// same records, field positions and input offsets as that Reader would, and
// never an error other than io.EOF (with LazyQuotes, encoding/csv reports no
// parse errors, and text in memory gives no read errors).
//
// The rules, as encoding/csv applies them:
//   - input is read a line at a time; a line ends after '\n' or at the end
//     of the text. One '\r' before a line's '\n', or before the end of the
//     text, is dropped: "\r\n" reads as "\n" everywhere, inside quoted fields
//     too; a lone '\r' elsewhere is kept;
//   - lines that are empty after that are skipped between records;
//   - a field that does not start with '"' runs to the next ',' or the end of
//     the line; quotes in it are literal;
//   - a field that starts with '"' runs to a '"' followed by ',' or by the
//     end of a line (or to the end of the text), across lines if need be;
//     inside it `""` reads as `"` and any other '"' is literal.
//
// Fields are substrings of the text, not copies, except quoted fields that
// contain `""` or a "\r\n" line end, which are unescaped into new strings.
// Each record is a new slice owned by the caller, carved out of larger
// blocks so that reading does not allocate once per record.
type memCSV struct {
	s    string
	off  int // byte offset of the first line not yet read
	line int // number of lines read so far, as encoding/csv counts them

	pos   []memCSVPos // positions of the fields of the last record
	arena []string    // block the records are carved out of
	// reuse makes every record share one slice, valid until the next Read,
	// for callers that copy what they keep: no garbage per record at all.
	reuse bool
	buf   []byte // unescaped text of the quoted field being read
}

// memCSVPos is the 1-based line and byte column where a field starts.
type memCSVPos struct{ line, col int }

const (
	memCSVMinChunk = 64   // strings in the first arena block
	memCSVMaxChunk = 4096 // strings in the largest arena block
)

// newMemCSV returns a memCSV that reads the records of text.
func newMemCSV(text string) *memCSV {
	return &memCSV{s: text}
}

// nextLine reads the next line: its text is m.s[start:end], without its
// '\n' and without one '\r' before the '\n' or the end of the text; nl tells
// whether it ended with '\n'. ok is false at the end of the text, where
// start == end == len(m.s).
func (m *memCSV) nextLine() (start, end int, nl, ok bool) {
	m.line++ // encoding/csv counts the read that hits the end too
	start = m.off
	if start >= len(m.s) {
		return len(m.s), len(m.s), false, false
	}
	if i := strings.IndexByte(m.s[start:], '\n'); i >= 0 {
		end = start + i
		nl = true
		m.off = end + 1
	} else {
		end = len(m.s)
		m.off = end
	}
	if end > start && m.s[end-1] == '\r' {
		end--
	}
	return start, end, nl, true
}

// Read returns the next record, or nil and io.EOF after the last one. The
// record is the caller's to keep.
func (m *memCSV) Read() ([]string, error) {
	s := m.s
	var ls, le int // current line: s[ls:le], see nextLine
	var nl bool
	for {
		var ok bool
		ls, le, nl, ok = m.nextLine()
		if !ok {
			// Like encoding/csv, keep the positions of the last record.
			return nil, io.EOF
		}
		if le > ls {
			break
		}
		// Skip empty lines.
	}

	// The record is carved out of the arena block: arena[start:].
	if m.reuse {
		m.arena = m.arena[:0]
	}
	arena, start := m.arena, len(m.arena)
	pos := m.pos[:0]
	i := ls
	for {
		pos = append(pos, memCSVPos{line: m.line, col: i - ls + 1})
		var f string  // the field
		more := false // whether another field follows it
		if i >= le || s[i] != '"' {
			// Unquoted field: up to the next ',' or the end of the line.
			// Fields are short: a loop beats strings.IndexByte.
			rest := s[i:le]
			j := 0
			for j < len(rest) && rest[j] != ',' {
				j++
			}
			f = rest[:j]
			if j < len(rest) {
				more = true
				i += j + 1
			}
		} else {
			f, more, i, ls, le, nl = m.quotedField(i+1, ls, le, nl)
		}
		if len(arena) == cap(arena) {
			arena = m.newBlock(arena[start:])
			start = 0
		}
		arena = append(arena, f)
		if !more {
			break
		}
	}
	m.arena, m.pos = arena, pos
	return arena[start:len(arena):len(arena)], nil
}

// quotedField reads a quoted field whose text starts at s[i], after its
// opening quote, on the line s[ls:le] (see nextLine). It returns the field,
// whether another field follows it on the line, and where the next field
// starts, on which line.
func (m *memCSV) quotedField(i, ls, le int, nl bool) (f string, more bool, next, nls, nle int, nnl bool) {
	s := m.s
	// The field's text is m.buf (if copying) followed by s[seg:…].
	seg := i
	copying := false
	for {
		if j := strings.IndexByte(s[i:le], '"'); j >= 0 {
			q := i + j
			a := q + 1
			if a == le {
				// `"` at the end of the line: end of field and record.
				return m.quoted(copying, seg, q), false, a, ls, le, nl
			}
			switch s[a] {
			case '"':
				// `""`: one quote.
				m.buf = m.appendSeg(copying, seg, a)
				copying = true
				i = a + 1
				seg = i
			case ',':
				// `",`: end of field.
				return m.quoted(copying, seg, q), true, a + 1, ls, le, nl
			default:
				// A bare quote: literal.
				i = a
			}
			continue
		}
		if i == le && !nl {
			// End of the text inside the field: the field ends there.
			return m.quoted(copying, seg, i), false, i, ls, le, nl
		}
		// The rest of the line, with its line end, is in the field.
		if !nl {
			// The text ends after this line: end the field after the
			// line's text (not after a dropped '\r').
			i = le
			continue
		}
		if le != m.off-1 {
			// "\r\n" reads as "\n".
			m.buf = append(m.appendSeg(copying, seg, le), '\n')
			copying = true
			seg = m.off
		}
		ls, le, nl, _ = m.nextLine()
		i = ls
	}
}

// newBlock returns a new arena block holding the fields of a record read so
// far, with room for more.
func (m *memCSV) newBlock(fields []string) []string {
	size := 2 * cap(m.arena)
	size = max(size, memCSVMinChunk)
	size = min(size, memCSVMaxChunk)
	size = max(size, 2*len(fields))
	block := make([]string, len(fields), size)
	copy(block, fields)
	m.arena = block // so that the next block doubles this one
	return block
}

// appendSeg returns the text of the quoted field being read up to s[end]:
// m.buf (or nothing, if not copying yet) followed by s[seg:end].
func (m *memCSV) appendSeg(copying bool, seg, end int) []byte {
	if !copying {
		m.buf = m.buf[:0]
	}
	return append(m.buf, m.s[seg:end]...)
}

// quoted returns a quoted field that ends at s[end].
func (m *memCSV) quoted(copying bool, seg, end int) string {
	if !copying {
		return m.s[seg:end]
	}
	m.buf = append(m.buf, m.s[seg:end]...)
	return string(m.buf)
}

// FieldPos returns the line and column where the field with the given index
// in the record most recently returned by Read starts, as
// encoding/csv.Reader.FieldPos does: both count from 1, columns in bytes.
// It panics if field is out of range.
func (m *memCSV) FieldPos(field int) (line, column int) {
	if field < 0 || field >= len(m.pos) {
		panic("out of range index passed to FieldPos")
	}
	p := m.pos[field]
	return p.line, p.col
}

// InputOffset returns the byte offset in the text of the end of the most
// recently read record (after its line end), as
// encoding/csv.Reader.InputOffset does.
func (m *memCSV) InputOffset() int64 {
	return int64(m.off)
}
