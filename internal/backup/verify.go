package backup

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
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
	return eachTable(m, tr, func(t Table, r io.Reader) error { return readTable(t, r, nil) })
}
