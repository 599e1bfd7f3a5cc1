package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/guanxi-crm/guanxi"
)

// Writer receives an export: one header, then rows. A value is a string,
// an int64, a guanxi.Money (written with two decimals, as a number where the
// format has numbers) or nil (an empty cell). Close flushes what is
// buffered; it does not close the io.Writer underneath.
type Writer interface {
	WriteHeader(names []string) error
	WriteRow(values []any) error
	Close() error
}

// CSV writes UTF-8 CSV, comma separated, with "\n" line ends. Cells that a
// spreadsheet would run as a formula are neutralised (see Neutralise).
type CSV struct {
	out     io.Writer
	w       *csv.Writer
	bom     bool
	started bool
	rec     []string
}

// CSVOption tunes a CSV writer.
type CSVOption func(*CSV)

// WithBOM starts the file with a UTF-8 byte order mark, which Excel needs
// to read UTF-8 (Chinese names) instead of the system code page.
func WithBOM() CSVOption { return func(c *CSV) { c.bom = true } }

// NewCSV returns a CSV writer on w.
func NewCSV(w io.Writer, opts ...CSVOption) *CSV {
	c := &CSV{out: w, w: csv.NewWriter(w)}
	for _, o := range opts {
		o(c)
	}
	return c
}

func (c *CSV) start() error {
	if c.started {
		return nil
	}
	c.started = true
	if c.bom {
		// Nothing is buffered in c.w yet, so the mark comes first.
		if _, err := io.WriteString(c.out, "\uFEFF"); err != nil {
			return fmt.Errorf("export: write: %w", err)
		}
	}
	return nil
}

// WriteHeader writes the header row.
func (c *CSV) WriteHeader(names []string) error {
	if err := c.start(); err != nil {
		return err
	}
	return c.write(names)
}

// WriteRow writes one row.
func (c *CSV) WriteRow(values []any) error {
	if err := c.start(); err != nil {
		return err
	}
	c.rec = c.rec[:0]
	for _, v := range values {
		var s string
		switch v := v.(type) {
		case nil:
		case string:
			s = v
		case int64:
			s = strconv.FormatInt(v, 10)
		case guanxi.Money:
			s = v.String()
		default:
			return fmt.Errorf("export: csv: cannot write a %T", v)
		}
		c.rec = append(c.rec, Neutralise(s))
	}
	return c.write(c.rec)
}

func (c *CSV) write(rec []string) error {
	if err := c.w.Write(rec); err != nil {
		return fmt.Errorf("export: write: %w", err)
	}
	return nil
}

// Close flushes the buffered rows.
func (c *CSV) Close() error {
	if err := c.start(); err != nil {
		return err
	}
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return fmt.Errorf("export: write: %w", err)
	}
	return nil
}

// Neutralise protects a CSV cell against formula injection: a value that
// starts with = + - @, a tab or a carriage return, and is not a plain number
// such as -12.50, gets a leading single quote, which spreadsheets show as
// text and Guanxi's importer strips. Plain numbers stay numbers, so a
// negative amount imports back as the same amount.
func Neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if !plainNumber(s) {
			return "'" + s
		}
	}
	return s
}

// NeutraliseRecord neutralises every cell of a CSV record in place, for
// writers that build records themselves (command-line reports, rejects
// files), and returns it.
func NeutraliseRecord(rec []string) []string {
	for i, s := range rec {
		rec[i] = Neutralise(s)
	}
	return rec
}

// plainNumber reports whether s is an optional sign, digits and an optional
// decimal part: -12.50, +3, 42.
func plainNumber(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	digits, frac, dot := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if dot {
				frac++
			} else {
				digits++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0 && (!dot || frac > 0)
}

// XLSX writes one worksheet of an Excel workbook with excelize's stream
// writer, which spills rows to a temporary file, so memory stays flat.
// Strings are string cells (never formulas, whatever they start with),
// integers and amounts are numbers, amounts formatted 0.00. The workbook is
// written to the io.Writer on Close.
type XLSX struct {
	out   io.Writer
	f     *excelize.File
	sw    *excelize.StreamWriter
	row   int
	money int // style ids
	bold  int
	cells []any
}

// NewXLSX returns an XLSX writer whose sheet is named sheet.
func NewXLSX(w io.Writer, sheet string) (*XLSX, error) {
	f := excelize.NewFile()
	x := &XLSX{out: w, f: f}
	err := func() error {
		if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
			return err
		}
		var err error
		if x.money, err = f.NewStyle(&excelize.Style{NumFmt: 2}); err != nil { // 0.00
			return err
		}
		if x.bold, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
			return err
		}
		if x.sw, err = f.NewStreamWriter(sheet); err != nil {
			return err
		}
		return x.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	}()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("export: xlsx: %w", err)
	}
	return x, nil
}

// WriteHeader writes the header row, in bold.
func (x *XLSX) WriteHeader(names []string) error {
	x.cells = x.cells[:0]
	for _, n := range names {
		x.cells = append(x.cells, excelize.Cell{StyleID: x.bold, Value: n})
	}
	return x.setRow()
}

// WriteRow writes one row.
func (x *XLSX) WriteRow(values []any) error {
	x.cells = x.cells[:0]
	for _, v := range values {
		switch v := v.(type) {
		case nil, string, int64:
			x.cells = append(x.cells, v)
		case guanxi.Money:
			x.cells = append(x.cells, excelize.Cell{StyleID: x.money, Value: v.Float()})
		default:
			return fmt.Errorf("export: xlsx: cannot write a %T", v)
		}
	}
	return x.setRow()
}

func (x *XLSX) setRow() error {
	x.row++
	if x.row > excelize.TotalRows {
		return guanxi.Errorf(guanxi.EINVALID, "an XLSX sheet holds at most %d rows: export to .csv instead", excelize.TotalRows-1)
	}
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return fmt.Errorf("export: xlsx: %w", err)
	}
	if err := x.sw.SetRow(cell, x.cells); err != nil {
		return fmt.Errorf("export: xlsx: row %d: %w", x.row, err)
	}
	return nil
}

// Close finishes the workbook, writes it out and removes its temporary
// files.
func (x *XLSX) Close() error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return fmt.Errorf("export: xlsx: %w", err)
	}
	if err := x.f.Write(x.out); err != nil {
		return fmt.Errorf("export: xlsx: write: %w", err)
	}
	return nil
}
