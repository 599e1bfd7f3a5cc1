package orderfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"github.com/guanxi-crm/guanxi"
)

// sniffSize is how much of a file is read to guess its encoding.
const sniffSize = 64 << 10

// Decode returns a reader of r's text as UTF-8: a UTF-8 byte order mark is
// dropped, and a file that is not valid UTF-8 in its first 64 KiB is read as
// GB18030 (a superset of GBK and GB2312, what Chinese Excel and the Taobao
// seller center write). It returns the encoding it chose.
func Decode(r io.Reader) (io.Reader, string, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, "", err
	}
	if err := checkText(head); err != nil {
		return nil, "", err
	}
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
		return br, "utf-8-bom", nil
	}
	if validUTF8Prefix(head, len(head) < sniffSize) {
		return br, "utf-8", nil
	}
	return transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder()), "gb18030", nil
}

// errNotText is what checkText's errors wrap.
var errNotText = errors.New("not CSV text")

// checkText refuses, by its first bytes and whatever the file's name says,
// content that is not CSV text: a workbook (XLSX is a zip, XLS an OLE
// file), UTF-16 text (Excel's "Unicode text"), HTML (what some platforms'
// ".xls" exports really are), images, PDFs, programs — anything
// http.DetectContentType does not call plain text, or with NUL bytes.
// Decoding such bytes as GB18030 would only turn them into a confusing
// error about missing columns, or worse, into orders.
func checkText(head []byte) error {
	b := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	switch {
	case len(b) == 0:
		return nil // empty: the header check says so
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return fmt.Errorf("%w: a zip archive (an Excel .xlsx workbook?); save the sheet as CSV (UTF-8) and import that", errNotText)
	case bytes.HasPrefix(b, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		return fmt.Errorf("%w: an Excel 97-2003 .xls workbook; save the sheet as CSV (UTF-8) and import that", errNotText)
	case bytes.HasPrefix(b, []byte("\xff\xfe")), bytes.HasPrefix(b, []byte("\xfe\xff")):
		return fmt.Errorf("%w: UTF-16 text (Excel's \"Unicode text\"); save it as CSV (UTF-8) and import that", errNotText)
	}
	ct := http.DetectContentType(b)
	if mt, _, _ := mime.ParseMediaType(ct); mt != "text/plain" {
		return fmt.Errorf("%w: the content is %s", errNotText, mt)
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return fmt.Errorf("%w: the content has NUL bytes (a binary file)", errNotText)
	}
	return nil
}

// validUTF8Prefix is utf8.Valid that forgives a rune cut off at the end of a
// sniffed prefix (but not at the end of the whole file).
func validUTF8Prefix(b []byte, whole bool) bool {
	if utf8.Valid(b) {
		return true
	}
	if whole {
		return false
	}
	for i := 1; i <= 3 && i < len(b); i++ {
		if utf8.Valid(b[:len(b)-i]) {
			return true
		}
	}
	return false
}

// recordSource is what csvFile reads through: encoding/csv's Reader for a stream,
// memCSV for text held in memory.
type recordSource interface {
	Read() ([]string, error)
	FieldPos(field int) (line, column int)
	InputOffset() int64
}

// csvFile is a CSV reader over one decoded file that knows its header and the
// file row of each record.
type csvFile struct {
	name   string
	r      recordSource
	header []string
	index  map[string]int // lower-cased, trimmed header → column
	row    int            // file row of the last record read
	rows   int            // data rows read so far, malformed ones included
	// base is the number of file lines before the text r reads, when it
	// reads a part of a file (OpenGenericParts); rows are numbered in the file.
	base int
}

func openCSV(name string, r io.Reader) (*csvFile, error) {
	dr, _, err := Decode(r)
	if errors.Is(err, errNotText) {
		return nil, guanxi.Errorf(guanxi.EINVALID, "file %s is %v", name, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cr := csv.NewReader(dr)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &RowError{File: name, Row: 1, Expected: "a header row"}
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	f := &csvFile{name: name, r: cr, header: header, index: make(map[string]int, len(header)), row: 1}
	for i, h := range header {
		k := normHeader(h)
		if _, dup := f.index[k]; !dup && k != "" {
			f.index[k] = i
		}
	}
	return f, nil
}

func normHeader(h string) string {
	return strings.ToLower(strings.TrimSpace(strings.Trim(h, "\ufeff\"")))
}

// col returns the index of the first of names present in the header, or -1.
func (f *csvFile) col(names ...string) int {
	for _, n := range names {
		if i, ok := f.index[normHeader(n)]; ok {
			return i
		}
	}
	return -1
}

// read returns the next record and its file row; io.EOF at the end. Blank
// lines are skipped (encoding/csv does that already).
func (f *csvFile) read() ([]string, int, error) {
	rec, err := f.r.Read()
	if err != nil {
		if err == io.EOF {
			return nil, 0, io.EOF
		}
		f.rows++
		if pe, ok := err.(*csv.ParseError); ok {
			pe.StartLine += f.base
			pe.Line += f.base
		}
		return nil, 0, csvError(f.name, err)
	}
	f.rows++
	line, _ := f.r.FieldPos(0)
	f.row = line + f.base
	return rec, f.row, nil
}

// RowsRead returns how many data rows have been read, bad ones included.
func (f *csvFile) RowsRead() int { return f.rows }

func csvError(name string, err error) error {
	if pe, ok := err.(*csv.ParseError); ok {
		return &RowError{File: name, Row: pe.StartLine, Expected: "well-formed CSV (" + pe.Err.Error() + ")"}
	}
	return fmt.Errorf("%s: %w", name, err)
}

// cell returns column i of rec, cleaned, or "" when i < 0 or out of range.
func cell(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return CleanCell(rec[i])
}

// CleanCell undoes the ways spreadsheets and platforms protect values from
// Excel: `="2847561039284756000"` and a leading `'` or tab become the bare
// value; surrounding spaces go.
func CleanCell(s string) string {
	if s == "" || plainCell(s) {
		return s
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, `="`) && strings.HasSuffix(s, `"`) && len(s) >= 3 {
		s = s[2 : len(s)-1]
	} else if strings.HasPrefix(s, "=") && len(s) > 1 && strings.IndexFunc(s[1:], func(r rune) bool { return r < '0' || r > '9' }) < 0 {
		s = s[1:]
	}
	s = strings.TrimLeft(s, "'`\t")
	return strings.TrimSpace(s)
}

// plainCell reports whether CleanCell would return s unchanged because it
// starts and ends with a printable ASCII character that no rule touches:
// the common case, checked without scanning the cell.
func plainCell(s string) bool {
	c0, cl := s[0], s[len(s)-1]
	return c0 > ' ' && c0 < 0x7f && c0 != '=' && c0 != '\'' && c0 != '`' && cl > ' ' && cl < 0x7f
}

// timeLayouts are the date-time spellings seen in shop exports, most
// specific first. Layouts without a zone are read in the shop's zone.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 -07:00",
	"2006-01-02 15:04 -0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006/01/02 15:04:05",
	"2006/01/02 15:04",
	"2006/01/02",
	"2006/1/2 15:04:05",
	"2006/1/2 15:04",
	"2006/1/2",
	"2006-1-2 15:04:05",
	"2006-1-2 15:04",
	"2006-1-2",
	"2006年1月2日 15:04:05",
	"2006年1月2日 15:04",
	"2006年1月2日",
	"20060102",
}

// ParseTime reads a date or date-time in any of the spellings shop exports
// use; one without a zone or offset is in loc.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty")
	}
	if t, ok := parseLocalISO(s, loc); ok {
		return t, nil
	}
	if strings.ContainsRune(s, '.') && !strings.ContainsAny(s, "TZ") {
		// "2025-03-05 23:37:00.123" → drop fractional seconds.
		if i := strings.IndexByte(s, '.'); i > 10 {
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			s = s[:i] + s[j:]
		}
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date", s)
}

// parseLocalISO reads the spellings most files use — 2006-01-02,
// 2006-01-02 15:04:05 and 2006-01-02T15:04:05, without a zone — in loc,
// without trying every layout in turn. It reports false for anything else,
// including impossible dates, which ParseTime then reads (or refuses) the
// slow way.
func parseLocalISO(s string, loc *time.Location) (time.Time, bool) {
	if len(s) != 10 && len(s) != 19 {
		return time.Time{}, false
	}
	if s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > daysIn(time.Month(mo), y) {
		return time.Time{}, false
	}
	var hh, mm, ss int
	if len(s) == 19 {
		if (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
			return time.Time{}, false
		}
		var ok4, ok5, ok6 bool
		hh, ok4 = digits(s[11:13])
		mm, ok5 = digits(s[14:16])
		ss, ok6 = digits(s[17:19])
		if !ok4 || !ok5 || !ok6 || hh > 23 || mm > 59 || ss > 59 {
			return time.Time{}, false
		}
	}
	return time.Date(y, time.Month(mo), d, hh, mm, ss, 0, loc), true
}

// digits reads a run of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// columns maps a reader's fields to the columns of its file, and is what
// every reader embeds for its header, row count, cells and errors.
type columns struct {
	f    *csvFile
	cols map[string]int // field → file column
	used []bool         // file columns read into fields; the rest become Attrs
}

func newColumns(f *csvFile) columns {
	return columns{f: f, cols: map[string]int{}, used: make([]bool, len(f.header))}
}

// Header is the file's header row as it stands.
func (c *columns) Header() []string { return c.f.header }

// RowsRead is the number of data rows read so far.
func (c *columns) RowsRead() int { return c.f.RowsRead() }

// get returns the field's cell of rec, cleaned, or "" when the file has no
// such column.
func (c *columns) get(rec []string, field string) string {
	i, ok := c.cols[field]
	if !ok {
		return ""
	}
	return cell(rec, i)
}

// bad reports the field's cell of rec as wrong, naming the column as the
// file's header spells it. Rows holds rec; readers that group rows into one
// order replace it with all of them.
func (c *columns) bad(row int, rec []string, field, expected string) *RowError {
	header := field
	if i, ok := c.cols[field]; ok {
		header = c.f.header[i]
	}
	return &RowError{File: c.f.name, Row: row, Column: header, Value: c.get(rec, field), Expected: expected, Rows: [][]string{rec}}
}
