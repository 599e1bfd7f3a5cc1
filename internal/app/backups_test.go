package app

import (
	"context"
	"fmt"
	"github.com/guanxi-crm/guanxi"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/backup"
	"github.com/guanxi-crm/guanxi/internal/demo/demotest"
	"github.com/guanxi-crm/guanxi/internal/store"
	"github.com/guanxi-crm/guanxi/internal/store/storetest"
)

// Scheduled backups on the app's clock: one when none exists, none until
// Every has passed since the newest, each verified and restorable, the
// oldest beyond Keep deleted, other files left alone, leftovers of a
// crashed run removed, a failure counted and retried later, all on
// /metrics.
func TestScheduledBackups(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := openTest(t, db)
		start := time.Date(2026, 1, 1, 2, 0, 0, 0, time.FixedZone("CST", 8*3600))
		clock := guanxi.NewManualClock(start)
		a.Clock = clock
		demotest.Shop(t, a.DB, "s1", start, 5, 10)
		dir := filepath.Join(t.TempDir(), "backups") // made by the first run
		s := BackupSchedule{Dir: dir, Every: 24 * time.Hour, Keep: 3}
		if err := s.Check(); err != nil {
			t.Fatal(err)
		}
		due := func(want string) {
			t.Helper()
			path, err := a.BackupIfDue(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Base(path) != want && !(path == "" && want == "") {
				t.Fatalf("at %s: backup %q, want %q", clock.Now().UTC(), path, want)
			}
		}
		due("guanxi-20251231T180000Z.tar.gz") // the time in UTC
		clock.Advance(time.Hour)
		due("")
		// Leftovers of a run killed midway, and a file of the operator's.
		for _, n := range []string{".guanxi-inprogress-guanxi-20260101T000000Z.tar.gz", "README.txt"} {
			if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Mkdir(filepath.Join(dir, ".guanxi-backup-123"), 0o700); err != nil {
			t.Fatal(err)
		}
		clock.Advance(23 * time.Hour)
		due("guanxi-20260101T180000Z.tar.gz")
		for i := range 4 {
			clock.Advance(24*time.Hour + time.Minute)
			due(fmt.Sprintf("guanxi-202601%02dT18%02d00Z.tar.gz", 2+i, i+1))
		}
		names, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, n := range names {
			got = append(got, n.Name())
		}
		want := []string{"README.txt", "guanxi-20260103T180200Z.tar.gz", "guanxi-20260104T180300Z.tar.gz", "guanxi-20260105T180400Z.tar.gz"}
		if !slices.Equal(got, want) {
			t.Fatalf("backup directory holds %q, want %q (the newest 3, nothing unfinished)", got, want)
		}
		// The newest is whole and restores.
		newest := filepath.Join(dir, want[3])
		m, err := backup.Verify(newest)
		if err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(newest); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want readable by its owner only", newest, err, st.Mode())
		}
		target := storetest.SQLite(t)
		if _, err := backup.Restore(ctx, target, newest); err != nil {
			t.Fatal(err)
		}
		var restored, source int64
		if err := target.QueryRow(ctx, `SELECT COUNT(*) FROM customers`).Scan(&restored); err != nil {
			t.Fatal(err)
		}
		if err := a.DB.QueryRow(ctx, `SELECT COUNT(*) FROM customers`).Scan(&source); err != nil {
			t.Fatal(err)
		}
		if restored != source || source == 0 {
			t.Fatalf("restored %d customers of %d; manifest %d rows", restored, source, m.Rows())
		}
		metrics := func() string {
			rec := httptest.NewRecorder()
			a.writeBackupMetrics(rec)
			return rec.Body.String()
		}
		for _, line := range []string{"guanxi_backups_total 6\n", "guanxi_backup_failures_total 0\n",
			fmt.Sprintf("guanxi_backup_last_success_timestamp_seconds %d\n", clock.Now().Unix())} {
			if body := metrics(); !strings.Contains(body, line) {
				t.Fatalf("metrics lack %q:\n%s", line, body)
			}
		}

		// A directory that cannot be made: the failure is counted, and
		// tried again ten minutes later, not at every check.
		blocker := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(blocker, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		bad := BackupSchedule{Dir: filepath.Join(blocker, "backups"), Every: 24 * time.Hour, Keep: 3}
		if _, err := a.BackupIfDue(ctx, bad); err == nil {
			t.Fatal("a backup into a directory under a file succeeded")
		}
		clock.Advance(time.Minute)
		if path, err := a.BackupIfDue(ctx, bad); path != "" || err != nil {
			t.Fatalf("retried at once: %q, %v", path, err)
		}
		clock.Advance(10 * time.Minute)
		if _, err := a.BackupIfDue(ctx, bad); err == nil {
			t.Fatal("the retry succeeded")
		}
		if body := metrics(); !strings.Contains(body, "guanxi_backup_failures_total 2\n") || !strings.Contains(body, "guanxi_backups_total 6\n") {
			t.Fatalf("metrics after two failures:\n%s", body)
		}
		// Bad schedules are refused.
		for _, s := range []BackupSchedule{{Dir: dir, Every: time.Second, Keep: 1}, {Dir: dir, Every: time.Hour, Keep: 0}} {
			if s.Check() == nil {
				t.Errorf("schedule %+v accepted", s)
			}
		}
	})
}
