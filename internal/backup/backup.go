// Package backup saves a whole Guanxi database to one file and restores it
// into an empty database, on either engine and across engines (back up
// SQLite, restore into PostgreSQL, and back).
//
// The archive is a gzip'd tar holding manifest.json first, then one file
// per table, <table>.jsonl, parents before children. Each table file has one
// line per row in primary-key order (text keys in byte order), in the
// canonical encoding described in encode.go: a JSON array of the row's
// values in the manifest's column order, with NULL as null and integers
// exact. The manifest records the format version, the time, the source
// engine, the schema version and, per table, its columns and their types,
// primary key, row count and the SHA-256 of its file, which is also the
// checksum of the table's rows in the database.
//
// A backup reads the whole database in one read transaction (one snapshot),
// so it is consistent while imports run. On SQLite a path ending in .db or
// .sqlite gets a ready-to-use database file instead (VACUUM INTO); Restore
// accepts such a file too. Restore writes everything in one transaction,
// verifies row counts and checksums against the manifest before it commits,
// and refuses a database that already holds data. Backup and Restore are
// safe to call concurrently with other database use.
package backup

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// FormatVersion is the archive format this package writes and reads.
const FormatVersion = 1

const manifestName = "manifest.json"

// Manifest describes a backup.
type Manifest struct {
	Format        int           `json:"format"`
	CreatedAt     time.Time     `json:"created_at"`
	Dialect       store.Dialect `json:"dialect"` // of the database backed up
	SchemaVersion int64         `json:"schema_version"`
	// FieldKey is the fingerprint of the key the personal fields are
	// sealed with: a restore needs the same key, and checks it first.
	FieldKey string  `json:"field_key,omitempty"`
	Tables   []Table `json:"tables"` // in restore order
}

// Table is one table of a backup.
type Table struct {
	Name    string   `json:"name"`
	File    string   `json:"file"` // in the archive
	Columns []Column `json:"columns"`
	Key     []string `json:"key"`
	Rows    int64    `json:"rows"`
	SHA256  string   `json:"sha256"` // of the file: the rows' canonical lines in key order
}

// Rows returns the number of rows over all tables.
func (m Manifest) Rows() int64 {
	var n int64
	for _, t := range m.Tables {
		n += t.Rows
	}
	return n
}

// isSnapshotPath reports whether path names a SQLite database file.
func isSnapshotPath(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".db" || ext == ".sqlite" || ext == ".sqlite3"
}

// Backup writes a backup of the whole database to path, replacing the file
// if it exists, and returns its manifest. A path ending in .db or .sqlite
// gets a SQLite database file (SQLite only: EINVALID on PostgreSQL); any
// other name a .tar.gz archive. The file is written beside path and renamed
// into place, so a failed backup leaves no partial file; it is readable by
// its owner only, since it holds contact data and password hashes.
func Backup(ctx context.Context, db *store.DB, path string) (Manifest, error) {
	return BackupWith(ctx, db, path, Options{})
}

// Options adjusts a backup.
type Options struct {
	// InSnapshot, when set, runs inside the backup's read transaction
	// before any table is read, so what it reads is exactly what the
	// backup holds, however long it takes and whatever is written
	// meanwhile. The concurrency tests use it to compute the source's
	// checksums in the backup's own snapshot. Archives only: a .db backup
	// (VACUUM INTO) reads on a connection of its own.
	InSnapshot func(ctx context.Context, tx *store.ReadTx) error
}

// BackupWith is Backup with options.
func BackupWith(ctx context.Context, db *store.DB, path string, opts Options) (Manifest, error) {
	if isSnapshotPath(path) {
		if opts.InSnapshot != nil {
			return Manifest{}, guanxi.Errorf(guanxi.EINVALID, "backup: %s: InSnapshot needs a .tar.gz archive", path)
		}
		return snapshot(ctx, db, path)
	}
	version, err := db.SchemaVersion(ctx)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	m := Manifest{Format: FormatVersion, CreatedAt: time.Now().UTC().Truncate(time.Second), Dialect: db.Dialect, SchemaVersion: version,
		FieldKey: db.Keys().Fingerprint()}
	// Tables are spooled to temporary files first, so the manifest, with
	// their checksums, can lead the archive and the snapshot is released
	// before compression.
	dir := filepath.Dir(path)
	tmp, err := os.MkdirTemp(dir, ".guanxi-backup-*")
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmp)
	var spools []*spool
	err = db.View(ctx, func(tx *store.ReadTx) error {
		if opts.InSnapshot != nil {
			if err := opts.InSnapshot(ctx, tx); err != nil {
				return err
			}
		}
		var err error
		m.Tables, err = readTables(ctx, tx, db.Dialect, func(t Table) (rowSink, error) {
			sp, err := newSpool(filepath.Join(tmp, t.File))
			if err != nil {
				return nil, err
			}
			spools = append(spools, sp)
			return sp, nil
		})
		return err
	})
	defer func() {
		for _, sp := range spools {
			sp.f.Close()
		}
	}()
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	if err := writeArchive(path, &m, spools); err != nil {
		return Manifest{}, fmt.Errorf("backup: %s: %w", path, err)
	}
	return m, nil
}

// rowSink receives a table's rows. values and line are reused for the
// next row.
type rowSink interface {
	row(values []any, line []byte) error
	close() error
}

// readTables reads every table in the snapshot q, in restore order, and
// returns their descriptions with row counts and checksums. sink, when not
// nil, gives each table's rows somewhere to go.
func readTables(ctx context.Context, q querier, d store.Dialect, sink func(Table) (rowSink, error)) ([]Table, error) {
	if err := checkTables(ctx, q, d); err != nil {
		return nil, err
	}
	var out []Table
	for _, spec := range tables {
		cols, key, err := tableColumns(ctx, q, d, spec)
		if err != nil {
			return nil, err
		}
		t := Table{Name: spec.name, File: spec.name + ".jsonl", Columns: cols, Key: key}
		var emit func([]any, []byte) error
		var s rowSink
		if sink != nil {
			if s, err = sink(t); err != nil {
				return nil, err
			}
			emit = s.row
		}
		t.Rows, t.SHA256, err = dumpTable(ctx, q, d, t.Name, cols, key, emit)
		if s != nil {
			err = errors.Join(err, s.close())
		}
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// spool holds one table's lines in a temporary file, compressed fast.
type spool struct {
	f    *os.File
	bw   *bufio.Writer
	gz   *gzip.Writer
	size int64 // uncompressed
}

func newSpool(path string) (*spool, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	gz, _ := gzip.NewWriterLevel(bw, gzip.BestSpeed) // a valid level never fails
	return &spool{f: f, bw: bw, gz: gz}, nil
}

func (s *spool) row(_ []any, line []byte) error {
	n, err := s.gz.Write(line)
	s.size += int64(n)
	return err
}

func (s *spool) close() error {
	return errors.Join(s.gz.Close(), s.bw.Flush())
}

// copyTo writes the spooled lines to w.
func (s *spool) copyTo(w io.Writer) error {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	gz, err := gzip.NewReader(bufio.NewReaderSize(s.f, 256<<10))
	if err != nil {
		return err
	}
	n, err := io.Copy(w, gz)
	if err == nil && n != s.size {
		err = fmt.Errorf("spool %s: %d bytes, want %d", s.f.Name(), n, s.size)
	}
	return err
}

func writeArchive(path string, m *Manifest, spools []*spool) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.partial")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	gz := gzip.NewWriter(bw)
	tw := tar.NewWriter(gz)
	man, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	man = append(man, '\n')
	hdr := func(name string, size int64) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o600, ModTime: m.CreatedAt, Format: tar.FormatPAX}
	}
	if err := tw.WriteHeader(hdr(manifestName, int64(len(man)))); err != nil {
		return err
	}
	if _, err := tw.Write(man); err != nil {
		return err
	}
	for i, sp := range spools {
		if err := tw.WriteHeader(hdr(m.Tables[i].File, sp.size)); err != nil {
			return err
		}
		if err := sp.copyTo(tw); err != nil {
			return err
		}
	}
	if err := errors.Join(tw.Close(), gz.Close(), bw.Flush(), f.Sync(), f.Close()); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// snapshot writes a SQLite database file with VACUUM INTO and returns the
// manifest read back from it, which also proves the file opens.
func snapshot(ctx context.Context, db *store.DB, path string) (Manifest, error) {
	if db.Dialect != store.SQLite {
		return Manifest{}, guanxi.Errorf(guanxi.EINVALID, "backup: %s: a database file backup needs SQLite; back up %s to a .tar.gz archive", path, db.Dialect)
	}
	tmp := path + ".partial"
	removeDB(tmp)
	fail := func(err error) (Manifest, error) {
		removeDB(tmp)
		return Manifest{}, fmt.Errorf("backup: %s: %w", path, err)
	}
	created := time.Now().UTC().Truncate(time.Second)
	if err := db.VacuumInto(ctx, tmp); err != nil {
		return fail(err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fail(err)
	}
	snap, err := store.Open(ctx, "sqlite:"+tmp)
	if err != nil {
		return fail(err)
	}
	m, err := manifestOf(ctx, snap)
	if err = errors.Join(err, snap.Close()); err != nil {
		return fail(err)
	}
	m.CreatedAt = created
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	return m, nil
}

// manifestOf describes a database as a backup of it would, without writing
// anything.
func manifestOf(ctx context.Context, db *store.DB) (Manifest, error) {
	version, err := db.SchemaVersion(ctx)
	if err != nil {
		return Manifest{}, err
	}
	m := Manifest{Format: FormatVersion, Dialect: db.Dialect, SchemaVersion: version, FieldKey: db.Keys().Fingerprint()}
	err = db.View(ctx, func(tx *store.ReadTx) error {
		var err error
		m.Tables, err = readTables(ctx, tx, db.Dialect, nil)
		return err
	})
	return m, err
}

// removeDB removes a SQLite file and its WAL companions.
func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		_ = os.Remove(path + suffix)
	}
}
