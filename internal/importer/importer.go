// Package importer loads order files into a shop: it reads them with
// orderfile, resolves each buyer to one customer (same platform id, same
// normalised phone or same e-mail; masked values never match), writes orders,
// lines, products and identities in bulk, merges customers that turn out to
// be one person, and keeps every touched customer's statistics current.
//
// A file is imported in one transaction: it commits whole or not at all,
// unless the caller asks to skip bad rows, which are then written to a
// rejects file beside the input. Re-importing a file changes nothing; a
// changed row replaces its order. Imports into one shop are serialised by
// the database (SQLite's single writer; a row lock on the shop on
// PostgreSQL). A Service is safe for concurrent use.
package importer

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/export"
	"github.com/guanxi-crm/guanxi/internal/orderfile"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Service imports orders.
type Service struct {
	db    *store.DB
	clock guanxi.Clock
	log   *slog.Logger
}

// NewService returns a Service on db.
func NewService(db *store.DB, clock guanxi.Clock, log *slog.Logger) *Service {
	return &Service{db: db, clock: clock, log: log}
}

// Options tune one import.
type Options struct {
	Format  string            // generic (default), taobao or shopify
	Map     map[string]string // generic format: contract column → file header
	SkipBad bool              // import the good orders, write the bad ones to RejectsPath
	// RejectsPath is where rejected rows go with SkipBad; default FILE.rejected.csv.
	RejectsPath string
	// Progress, when set, is called from the importing goroutine every few
	// thousand rows and once at the end.
	Progress func(Progress)
}

// Progress is how far an import has come.
type Progress struct {
	Rows      int
	Bytes     int64 // of the input read so far
	Total     int64 // input size, 0 when unknown
	Elapsed   time.Duration
	Done      bool
	Rejected  int
	Committed bool
}

// Summary is what an import did. Its JSON form is the CLI's --json line.
type Summary struct {
	File             string  `json:"file"`
	Rows             int     `json:"rows"`
	OrdersCreated    int     `json:"orders_created"`
	OrdersUpdated    int     `json:"orders_updated"`
	OrdersUnchanged  int     `json:"orders_unchanged"`
	CustomersCreated int     `json:"customers_created"`
	CustomersMerged  int     `json:"customers_merged"`
	Rejected         int     `json:"rejected"`
	RejectsFile      string  `json:"rejects_file,omitempty"`
	Seconds          float64 `json:"seconds"`
}

// ImportFile imports one file into the shop.
func (s *Service) ImportFile(ctx context.Context, sh *shop.Shop, path string, opt Options) (Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return Summary{File: path}, guanxi.Errorf(guanxi.EINVALID, "%s: cannot open: %v", path, err)
	}
	defer f.Close()
	var total int64
	if st, err := f.Stat(); err == nil {
		total = st.Size()
	}
	if opt.SkipBad && opt.RejectsPath == "" {
		opt.RejectsPath = path + ".rejected.csv"
	}
	return s.Import(ctx, sh, path, &countingReader{r: f}, total, opt)
}

// Import imports the file read from r, named name in messages; total is its
// size in bytes for progress, or 0.
func (s *Service) Import(ctx context.Context, sh *shop.Shop, name string, r io.Reader, total int64, opt Options) (Summary, error) {
	start := s.clock.Now()
	cr, ok := r.(*countingReader)
	if !ok {
		cr = &countingReader{r: r}
	}
	rd, err := orderfile.Open(opt.Format, name, cr, orderfile.Options{Location: sh.Location(), Map: opt.Map})
	if err != nil {
		return Summary{File: name}, err
	}
	src := &fileSource{rd: rd, cr: cr, total: total, skipBad: opt.SkipBad}
	sum, err := s.run(ctx, sh, name, opt, src)
	sum.File, sum.Seconds = name, s.clock.Now().Sub(start).Seconds()
	if err != nil {
		return sum, err
	}
	if opt.SkipBad && len(src.rejects) > 0 {
		if err := writeRejects(opt.RejectsPath, rd.Header(), src.rejects); err != nil {
			return sum, err
		}
		sum.RejectsFile = opt.RejectsPath
	}
	return sum, nil
}

// ImportRecords imports records from next (io.EOF ends them) as one
// transaction, for generated data such as the demo shop.
func (s *Service) ImportRecords(ctx context.Context, sh *shop.Shop, name string, next func() (*orderfile.Record, error)) (Summary, error) {
	start := s.clock.Now()
	sum, err := s.run(ctx, sh, name, Options{Format: "records"}, &funcSource{next_: next})
	sum.File, sum.Seconds = name, s.clock.Now().Sub(start).Seconds()
	return sum, err
}

// source yields batches of records to the writer.
type source interface {
	// next returns up to n records, or io.EOF when there are none left.
	next(n int) ([]*orderfile.Record, error)
	rows() int
	bytes() (read, total int64)
	rejected() int
}

type fileSource struct {
	rd      orderfile.Reader
	cr      *countingReader
	total   int64
	skipBad bool
	rejects []*orderfile.RowError
}

func (f *fileSource) next(n int) ([]*orderfile.Record, error) {
	out := make([]*orderfile.Record, 0, n)
	for len(out) < n {
		rec, err := f.rd.Next()
		if err == io.EOF {
			if len(out) == 0 {
				return nil, io.EOF
			}
			return out, nil
		}
		if re, ok := orderfile.AsRowError(err); ok && f.skipBad {
			f.rejects = append(f.rejects, re)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

func (f *fileSource) rows() int { return f.rd.RowsRead() }

func (f *fileSource) bytes() (int64, int64) { return f.cr.n(), f.total }
func (f *fileSource) rejected() int         { return len(f.rejects) }

type funcSource struct {
	next_ func() (*orderfile.Record, error)
	n     int
}

func (f *funcSource) next(n int) ([]*orderfile.Record, error) {
	out := make([]*orderfile.Record, 0, n)
	for len(out) < n {
		rec, err := f.next_()
		if err == io.EOF {
			if len(out) == 0 {
				return nil, io.EOF
			}
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		f.n++
		out = append(out, rec)
	}
	return out, nil
}
func (f *funcSource) rows() int             { return f.n }
func (f *funcSource) bytes() (int64, int64) { return 0, 0 }
func (f *funcSource) rejected() int         { return 0 }

type countingReader struct {
	r  io.Reader
	mu sync.Mutex
	c  int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.mu.Lock()
	c.c += int64(n)
	c.mu.Unlock()
	return n, err
}

func (c *countingReader) n() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.c
}

// writeRejects writes the rejected orders' rows with the reason in a last
// column, in the file's own header, so they can be fixed and imported again.
func writeRejects(path string, header []string, rejects []*orderfile.RowError) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("importer: rejects file: %w", err)
	}
	w := csv.NewWriter(f)
	_ = w.Write(append(append([]string{}, header...), "error"))
	for _, re := range rejects {
		rows := re.Rows
		if len(rows) == 0 {
			rows = [][]string{nil}
		}
		for _, row := range rows {
			cells := make([]string, len(header))
			copy(cells, row)
			// The rejected cells are the file's own, and the file goes back
			// to a spreadsheet to be fixed: neutralised, like every export
			// (the importer strips the quote when it is imported again).
			_ = w.Write(export.NeutraliseRecord(append(cells, re.Error())))
		}
	}
	w.Flush()
	return errors.Join(w.Error(), f.Close())
}
