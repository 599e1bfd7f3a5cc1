package backup

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// sqliteMagic starts every SQLite database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// Restore loads the backup at path — an archive written by Backup, or a
// SQLite database file such as a .db backup — into db, which must hold no
// data, and returns the backup's manifest. Everything is written in one
// transaction, and row counts and checksums are verified against the
// manifest before it commits, so on any error db is left as it was. A
// database that holds data is an ECONFLICT error; a file that is not a
// backup, is damaged, or comes from another schema version, an EINVALID
// error.
func Restore(ctx context.Context, db *store.DB, path string) (Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return Manifest{}, guanxi.Errorf(guanxi.EINVALID, "restore: cannot open %s: %v", path, err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	if head, _ := br.Peek(len(sqliteMagic)); bytes.Equal(head, sqliteMagic) {
		f.Close()
		return restoreDBFile(ctx, db, path)
	}
	gz, err := gzip.NewReader(br)
	if err != nil {
		return Manifest{}, guanxi.Errorf(guanxi.EINVALID, "restore: %s is not a Guanxi backup (neither a .tar.gz archive nor a SQLite database)", path)
	}
	tr := tar.NewReader(gz)
	m, err := readManifest(tr)
	if err != nil {
		return Manifest{}, damaged(path, err)
	}
	if err := checkManifest(ctx, db, &m); err != nil {
		return m, fmt.Errorf("restore: %s: %w", path, err)
	}
	err = restoreInto(ctx, db, &m, func(tx *store.Tx) error {
		if err := loadArchive(ctx, tx, &m, tr); err != nil {
			return damaged(path, err)
		}
		// The tar end leaves the gzip trailer unread; reading it checks the
		// CRC of everything.
		if _, err := io.Copy(io.Discard, gz); err != nil {
			return damaged(path, &archiveError{err})
		}
		return nil
	})
	if err != nil {
		return m, err
	}
	return m, nil
}

// archiveError marks a problem with the archive's content, as opposed to
// one with the database.
type archiveError struct{ err error }

func (e *archiveError) Error() string { return e.err.Error() }
func (e *archiveError) Unwrap() error { return e.err }

// damaged turns an archiveError into an EINVALID error naming the file;
// another EINVALID error is prefixed with it, the rest pass through.
func damaged(path string, err error) error {
	var ae *archiveError
	if !errors.As(err, &ae) {
		if guanxi.ErrorCode(err) == guanxi.EINVALID {
			// The backup disagrees with this database (a table's columns):
			// the file is what the user must look at, so name it. A flipped
			// byte can garble a table's header before the CRC is read.
			return fmt.Errorf("restore: %s: %w", path, err)
		}
		return err
	}
	return fmt.Errorf("%w: %w", guanxi.Errorf(guanxi.EINVALID, "restore: %s is damaged or not a Guanxi backup", path), ae.err)
}

func readManifest(tr *tar.Reader) (Manifest, error) {
	var m Manifest
	hdr, err := tr.Next()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return m, &archiveError{err}
	}
	if hdr.Name != manifestName {
		return m, &archiveError{fmt.Errorf("the archive starts with %s, not %s", hdr.Name, manifestName)}
	}
	if err := json.NewDecoder(io.LimitReader(tr, 64<<20)).Decode(&m); err != nil {
		return m, &archiveError{fmt.Errorf("%s: %w", manifestName, err)}
	}
	return m, nil
}

// checkManifest checks a backup can be restored into db.
func checkManifest(ctx context.Context, db *store.DB, m *Manifest) error {
	if m.Format != FormatVersion {
		return guanxi.Errorf(guanxi.EINVALID, "backup format %d is not supported (this Guanxi reads format %d)", m.Format, FormatVersion)
	}
	version, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if m.SchemaVersion != version {
		return guanxi.Errorf(guanxi.EINVALID, "the backup has schema version %d and this database %d: restore with the Guanxi version that made the backup, then upgrade",
			m.SchemaVersion, version)
	}
	if m.FieldKey != "" && m.FieldKey != db.Keys().Fingerprint() {
		return guanxi.Errorf(guanxi.EINVALID, "the backup's phones and e-mails are sealed with another field key (fingerprint %s; this Guanxi's key has %s): restore with GUANXI_FIELD_KEY set to the key the backup was made with",
			m.FieldKey, db.Keys().Fingerprint())
	}
	seen := map[string]bool{}
	for _, t := range m.Tables {
		if _, ok := tableByName(t.Name); !ok || seen[t.Name] {
			return guanxi.Errorf(guanxi.EINVALID, "the backup's table %q is unknown or repeated", t.Name)
		}
		seen[t.Name] = true
	}
	return nil
}

// restoreInto runs load in one write transaction on an empty db, then
// resets identity sequences and verifies every table against m, which load
// may complete.
func restoreInto(ctx context.Context, db *store.DB, m *Manifest, load func(tx *store.Tx) error) error {
	return db.Update(ctx, func(tx *store.Tx) error {
		if err := ensureEmpty(ctx, tx); err != nil {
			return err
		}
		if err := load(tx); err != nil {
			return err
		}
		if err := resetSequences(ctx, tx); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		return verify(ctx, tx, m)
	})
}

func ensureEmpty(ctx context.Context, tx *store.Tx) error {
	for _, t := range tables {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM "`+t.name+`" LIMIT 1`).Scan(&one)
		if err == nil {
			return guanxi.Errorf(guanxi.ECONFLICT, "restore: the database already holds data (table %s is not empty): restore into a new, empty database", t.name)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("restore: %w", err)
		}
	}
	return nil
}

// loadArchive inserts the archive's table files, checking each against the
// manifest.
func loadArchive(ctx context.Context, tx *store.Tx, m *Manifest, tr *tar.Reader) error {
	return eachTable(m, tr, func(t Table, r io.Reader) error {
		if err := checkColumns(ctx, tx, t); err != nil {
			return err
		}
		in := newInserter(ctx, tx, t.Name, t.Columns)
		if err := readTable(t, r, in.row); err != nil {
			return err
		}
		return in.close()
	})
}

// eachTable walks the archive's table files in the manifest's order,
// refusing a file the manifest does not name there and an archive that
// ends early; restore and Verify share it so they judge an archive alike.
func eachTable(m *Manifest, tr *tar.Reader, fn func(t Table, r io.Reader) error) error {
	next := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return &archiveError{err}
		}
		if next >= len(m.Tables) || hdr.Name != m.Tables[next].File {
			return &archiveError{fmt.Errorf("unexpected file %s in the archive", hdr.Name)}
		}
		t := m.Tables[next]
		next++
		if err := fn(t, tr); err != nil {
			return err
		}
	}
	if next != len(m.Tables) {
		return &archiveError{fmt.Errorf("the archive ends before %s", m.Tables[next].File)}
	}
	return nil
}

// readTable decodes a table file's rows, giving each to row (nil: only
// check them), and checks the row count and checksum against the manifest.
func readTable(t Table, r io.Reader, row func(values []any, line []byte) error) error {
	s := newSummer()
	br := bufio.NewReaderSize(r, 256<<10)
	for {
		line, err := br.ReadBytes('\n')
		if err == io.EOF && len(line) == 0 {
			break
		}
		if err != nil {
			if err == io.EOF {
				err = fmt.Errorf("%s: the last line is cut short", t.File)
			}
			return &archiveError{err}
		}
		s.add(line)
		values, err := decodeRow(line, t.Columns)
		if err != nil {
			return &archiveError{fmt.Errorf("%s line %d: %w", t.File, s.rows, err)}
		}
		if row != nil {
			if err := row(values, line); err != nil {
				return err
			}
		}
	}
	if s.rows != t.Rows || s.sum() != t.SHA256 {
		return &archiveError{fmt.Errorf("%s has %d rows with checksum %s; the manifest says %d rows with checksum %s",
			t.File, s.rows, s.sum(), t.Rows, t.SHA256)}
	}
	return nil
}

// checkColumns checks the target's table has the backup's columns, with
// the same types.
func checkColumns(ctx context.Context, tx *store.Tx, t Table) error {
	spec, _ := tableByName(t.Name)
	have, _, err := tableColumns(ctx, tx, tx.Dialect(), spec)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	sortCols := func(cs []Column) []Column {
		cs = slices.Clone(cs)
		slices.SortFunc(cs, func(a, b Column) int { return strings.Compare(a.Name, b.Name) })
		return cs
	}
	if !slices.Equal(sortCols(have), sortCols(t.Columns)) {
		return guanxi.Errorf(guanxi.EINVALID, "restore: table %s has columns %v in the backup but %v in this database", t.Name, t.Columns, have)
	}
	return nil
}

// inserter buffers rows and writes them with tx.Insert in chunks, so memory
// stays bounded whatever the table's size.
type inserter struct {
	ctx   context.Context
	tx    *store.Tx
	table string
	cols  []string
	rows  [][]any
	bytes int
}

const (
	chunkRows  = 2000
	chunkBytes = 8 << 20
)

func newInserter(ctx context.Context, tx *store.Tx, table string, cols []Column) *inserter {
	in := &inserter{ctx: ctx, tx: tx, table: table}
	for _, c := range cols {
		in.cols = append(in.cols, c.Name)
	}
	return in
}

func (in *inserter) row(values []any, line []byte) error {
	in.rows = append(in.rows, slices.Clone(values))
	in.bytes += len(line)
	if len(in.rows) >= chunkRows || in.bytes >= chunkBytes {
		return in.flush()
	}
	return nil
}

func (in *inserter) flush() error {
	if err := in.tx.Insert(in.ctx, in.table, in.cols, in.rows); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	clear(in.rows)
	in.rows, in.bytes = in.rows[:0], 0
	return nil
}

func (in *inserter) close() error { return in.flush() }

// resetSequences moves PostgreSQL's identity sequences (shops.id, users.id)
// past the restored ids, so the next insert does not collide. SQLite's
// INTEGER PRIMARY KEY needs nothing.
func resetSequences(ctx context.Context, tx *store.Tx) error {
	if tx.Dialect() != store.Postgres {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')
ORDER BY table_name, column_name`)
	if err != nil {
		return fmt.Errorf("identity columns: %w", err)
	}
	var seqs [][2]string
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			rows.Close()
			return fmt.Errorf("identity columns: %w", err)
		}
		if _, ok := tableByName(t); ok {
			seqs = append(seqs, [2]string{t, c})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("identity columns: %w", err)
	}
	for _, s := range seqs {
		q := `SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX("` + s[1] + `"), 0) + 1, false) FROM "` + s[0] + `"`
		var v int64
		if err := tx.QueryRow(ctx, q, s[0], s[1]).Scan(&v); err != nil {
			return fmt.Errorf("reset sequence of %s.%s: %w", s[0], s[1], err)
		}
	}
	return nil
}

// verify reads every restored table back and compares its row count and
// checksum with the manifest.
func verify(ctx context.Context, tx *store.Tx, m *Manifest) error {
	for _, t := range m.Tables {
		n, sum, err := dumpTable(ctx, tx, tx.Dialect(), t.Name, t.Columns, t.Key, nil)
		if err != nil {
			return fmt.Errorf("restore: verify: %w", err)
		}
		if n != t.Rows || sum != t.SHA256 {
			return fmt.Errorf("restore: verify: table %s holds %d rows with checksum %s after the restore; the backup has %d rows with checksum %s",
				t.Name, n, sum, t.Rows, t.SHA256)
		}
	}
	return nil
}

// restoreDBFile restores a SQLite database file by copying it table by
// table. The file is first copied aside, since opening it migrates it to
// the current schema, and a backup should never change.
func restoreDBFile(ctx context.Context, db *store.DB, path string) (Manifest, error) {
	var m Manifest
	tmp, err := copyAside(path)
	if tmp != "" {
		defer removeDB(tmp)
	}
	if err != nil {
		return m, fmt.Errorf("restore: %s: %w", path, err)
	}
	switch ok, err := isGuanxiDB(ctx, tmp); {
	case err != nil:
		return m, guanxi.Errorf(guanxi.EINVALID, "restore: %s is a damaged SQLite database: %v", path, err)
	case !ok:
		return m, guanxi.Errorf(guanxi.EINVALID, "restore: %s is a SQLite database but not a Guanxi one", path)
	}
	src, err := store.Open(ctx, "sqlite:"+tmp)
	if err != nil {
		return m, guanxi.Errorf(guanxi.EINVALID, "restore: %s is not a usable Guanxi database: %v", path, err)
	}
	defer src.Close()
	version, err := src.SchemaVersion(ctx)
	if err != nil {
		return m, fmt.Errorf("restore: %s: %w", path, err)
	}
	m = Manifest{Format: FormatVersion, Dialect: src.Dialect, SchemaVersion: version, FieldKey: src.Keys().Fingerprint()}
	if st, err := os.Stat(path); err == nil {
		m.CreatedAt = st.ModTime().UTC().Truncate(0)
	}
	if err := checkManifest(ctx, db, &m); err != nil {
		return m, fmt.Errorf("restore: %s: %w", path, err)
	}
	err = src.View(ctx, func(rtx *store.ReadTx) error {
		return restoreInto(ctx, db, &m, func(tx *store.Tx) error {
			var err error
			m.Tables, err = readTables(ctx, rtx, src.Dialect, func(t Table) (rowSink, error) {
				if err := checkColumns(ctx, tx, t); err != nil {
					return nil, err
				}
				return newInserter(ctx, tx, t.Name, t.Columns), nil
			})
			return err
		})
	})
	return m, err
}

// isGuanxiDB reports whether the SQLite file at path has Guanxi's tables.
// It is checked before store.Open, which would migrate any other database
// into an empty Guanxi one and so restore nothing without a word. The
// driver is the one store registers.
func isGuanxiDB(ctx context.Context, path string) (bool, error) {
	raw, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return false, err
	}
	defer raw.Close()
	var n int
	err = raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('goose_db_version', 'shops')`).Scan(&n)
	return n == 2, err
}

func copyAside(path string) (string, error) {
	in, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.CreateTemp("", "guanxi-restore-*.db")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(out, in)
	return out.Name(), errors.Join(err, out.Close())
}
