package backup

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"

	"github.com/guanxi-crm/guanxi"
)

// Verify reads the archive at path through without a database and checks
// it is whole: the manifest first, then every table's file in order, each
// with the row count and checksum the manifest gives, and the gzip CRC of
// it all. It returns the manifest. A damaged file or one that is not an
// archive is an EINVALID error naming it. It does not check that the
// backup fits this Guanxi's schema: Restore does that.
func Verify(path string) (Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return Manifest{}, guanxi.Errorf(guanxi.EINVALID, "verify: cannot open %s: %v", path, err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return Manifest{}, guanxi.Errorf(guanxi.EINVALID, "verify: %s is not a Guanxi backup archive", path)
	}
	tr := tar.NewReader(gz)
	m, err := readManifest(tr)
	if err != nil {
		return Manifest{}, damaged(path, err)
	}
	if m.Format != FormatVersion {
		return m, guanxi.Errorf(guanxi.EINVALID, "verify: %s: backup format %d is not supported (this Guanxi reads format %d)", path, m.Format, FormatVersion)
	}
	if err := verifyTables(&m, tr); err != nil {
		return m, damaged(path, err)
	}
	// The tar end leaves the gzip trailer unread; reading it checks the CRC.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return m, damaged(path, &archiveError{err})
	}
	return m, nil
}

func verifyTables(m *Manifest, tr *tar.Reader) error {
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
		s := newSummer()
		br := bufio.NewReaderSize(tr, 256<<10)
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
			if _, err := decodeRow(line, t.Columns); err != nil {
				return &archiveError{fmt.Errorf("%s line %d: %w", t.File, s.rows, err)}
			}
		}
		if s.rows != t.Rows || s.sum() != t.SHA256 {
			return &archiveError{fmt.Errorf("%s has %d rows with checksum %s; the manifest says %d rows with checksum %s",
				t.File, s.rows, s.sum(), t.Rows, t.SHA256)}
		}
	}
	if next != len(m.Tables) {
		return &archiveError{fmt.Errorf("the archive ends before %s", m.Tables[next].File)}
	}
	return nil
}
