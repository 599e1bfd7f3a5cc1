package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/backup"
)

// Scheduled backups (issue 7 §2): serve --backup-dir DIR writes a backup of
// the whole database there every --backup-every and keeps the newest
// --backup-keep. A backup covers every shop, so it is not a row of the
// per-shop job queue (whose rows belong to a shop); it runs from a loop of
// its own beside the queue, as the SLA sweeps are planned, on the app's
// clock.

// BackupSchedule is where and how often serve backs up.
type BackupSchedule struct {
	Dir   string        // "" turns scheduled backups off
	Every time.Duration // between backups; at least a minute
	Keep  int           // backups kept, the newest; at least 1
}

// Check validates the schedule; a zero Dir is valid (off).
func (s BackupSchedule) Check() error {
	switch {
	case s.Dir == "":
		return nil
	case s.Every < time.Minute:
		return guanxi.Errorf(guanxi.EINVALID, "backup-every %v: at least 1m (e.g. 24h)", s.Every)
	case s.Keep < 1:
		return guanxi.Errorf(guanxi.EINVALID, "backup-keep %d: keep at least 1 backup", s.Keep)
	}
	return nil
}

const (
	backupPrefix = "guanxi-"
	backupSuffix = ".tar.gz"
	// backupStamp is the UTC time in a backup's name; names sort by time.
	backupStamp = "20060102T150405Z"
	// A backup is written and verified under a hidden name, then renamed,
	// so a file with a backup's name is always whole.
	backupTemp = ".guanxi-inprogress-"
	// backupRetry is how soon a failed backup is tried again (or Every,
	// when shorter).
	backupRetry = 10 * time.Minute
)

// backupMetrics counts scheduled backups for /metrics.
type backupMetrics struct {
	runs        atomic.Int64 // successful
	failures    atomic.Int64
	lastSuccess atomic.Int64 // Unix seconds; 0 before the first
	lastBytes   atomic.Int64
	failedAt    atomic.Int64 // Unix seconds of the last failure, for the retry delay
}

// BackupName is the file name of a backup taken at t.
func BackupName(t time.Time) string {
	return backupPrefix + t.UTC().Format(backupStamp) + backupSuffix
}

// backupTime reads the time from a backup's file name; ok is false for any
// other file.
func backupTime(name string) (time.Time, bool) {
	s, ok := strings.CutPrefix(name, backupPrefix)
	if !ok {
		return time.Time{}, false
	}
	if s, ok = strings.CutSuffix(s, backupSuffix); !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(backupStamp, s)
	return t, err == nil
}

// Backups lists the scheduled backups in dir, oldest first.
func Backups(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("backups in %s: %w", dir, err)
	}
	var out []string
	for _, e := range ents {
		if _, ok := backupTime(e.Name()); ok && e.Type().IsRegular() {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out) // the names sort by time
	return out, nil
}

// BackupIfDue takes a scheduled backup when the newest in the directory is
// Every old or more (or there is none) and returns its path, or "" when
// none was due. After a failure the next try waits backupRetry (or Every,
// when shorter). Each outcome is logged and counted for /metrics.
func (a *App) BackupIfDue(ctx context.Context, s BackupSchedule) (string, error) {
	now := a.Clock.Now()
	if f := a.backups.failedAt.Load(); f != 0 && now.Before(time.Unix(f, 0).Add(min(backupRetry, s.Every))) {
		return "", nil
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return "", a.backupFailed(now, fmt.Errorf("backup directory: %w", err))
	}
	names, err := Backups(s.Dir)
	if err != nil {
		return "", a.backupFailed(now, err)
	}
	if n := len(names); n > 0 {
		last, _ := backupTime(names[n-1])
		if now.Before(last.Add(s.Every)) {
			return "", nil
		}
	}
	return a.ScheduledBackup(ctx, s)
}

// ScheduledBackup writes a backup named after the clock's time (UTC) into
// the schedule's directory: under a hidden name first, verified by reading
// it back whole, then renamed into place; then it deletes the oldest
// beyond Keep.
func (a *App) ScheduledBackup(ctx context.Context, s BackupSchedule) (string, error) {
	now := a.Clock.Now()
	start := time.Now()
	name := BackupName(now)
	path := filepath.Join(s.Dir, name)
	tmp := filepath.Join(s.Dir, backupTemp+name)
	a.cleanBackupTemps(s.Dir)
	m, err := backup.Backup(ctx, a.DB, tmp)
	if err == nil {
		_, err = backup.Verify(tmp)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(s.Dir)
	}
	if err != nil {
		_ = os.Remove(tmp)
		if ctx.Err() != nil {
			// The server is stopping: not a failure of the backup.
			a.Log.Info("backup cut short by shutdown", "path", path)
			return "", ctx.Err()
		}
		return "", a.backupFailed(now, err)
	}
	var size int64
	if st, err := os.Stat(path); err == nil {
		size = st.Size()
	}
	a.backups.runs.Add(1)
	a.backups.lastSuccess.Store(now.Unix())
	a.backups.lastBytes.Store(size)
	a.backups.failedAt.Store(0)
	a.Log.Info("backup written", "path", path, "rows", m.Rows(), "tables", len(m.Tables), "bytes", size, "seconds", time.Since(start).Seconds())
	a.pruneBackups(s)
	return path, nil
}

func (a *App) backupFailed(now time.Time, err error) error {
	a.backups.failures.Add(1)
	a.backups.failedAt.Store(now.Unix())
	a.Log.Error("scheduled backup failed", "err", err)
	return fmt.Errorf("scheduled backup: %w", err)
}

// pruneBackups deletes the oldest backups beyond Keep; a failure is
// logged, since the backup itself succeeded.
func (a *App) pruneBackups(s BackupSchedule) {
	names, err := Backups(s.Dir)
	if err != nil {
		a.Log.Warn("old backups not pruned", "err", err)
		return
	}
	for _, n := range names[:max(0, len(names)-s.Keep)] {
		if err := os.Remove(filepath.Join(s.Dir, n)); err != nil {
			a.Log.Warn("old backup not deleted", "path", filepath.Join(s.Dir, n), "err", err)
			continue
		}
		a.Log.Info("old backup deleted", "path", filepath.Join(s.Dir, n), "keep", s.Keep)
	}
}

// cleanBackupTemps removes what a backup cut short by a crash left: its
// hidden file and the spool directory of backup.Backup.
func (a *App) cleanBackupTemps(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if n := e.Name(); strings.HasPrefix(n, backupTemp) || strings.HasPrefix(n, ".guanxi-backup-") {
			if err := os.RemoveAll(filepath.Join(dir, n)); err == nil {
				a.Log.Info("unfinished backup removed", "path", filepath.Join(dir, n))
			}
		}
	}
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// backupLoop checks once a minute (or every Every, when shorter) whether a
// backup is due, until ctx is done.
func (a *App) backupLoop(ctx context.Context, s BackupSchedule) {
	t := time.NewTicker(min(time.Minute, s.Every))
	defer t.Stop()
	a.Log.Info("scheduled backups", "dir", s.Dir, "every", s.Every.String(), "keep", s.Keep)
	for {
		if _, err := a.BackupIfDue(ctx, s); err != nil && ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// writeBackupMetrics adds the scheduled backups' figures to /metrics.
func (a *App) writeBackupMetrics(w http.ResponseWriter) {
	fmt.Fprintf(w, "# HELP guanxi_backups_total Scheduled backups written and verified.\n# TYPE guanxi_backups_total counter\nguanxi_backups_total %d\n", a.backups.runs.Load())
	fmt.Fprintf(w, "# HELP guanxi_backup_failures_total Scheduled backups that failed.\n# TYPE guanxi_backup_failures_total counter\nguanxi_backup_failures_total %d\n", a.backups.failures.Load())
	fmt.Fprintf(w, "# HELP guanxi_backup_last_success_timestamp_seconds When the last scheduled backup succeeded (0: none since the start).\n# TYPE guanxi_backup_last_success_timestamp_seconds gauge\nguanxi_backup_last_success_timestamp_seconds %d\n", a.backups.lastSuccess.Load())
	fmt.Fprintf(w, "# TYPE guanxi_backup_last_size_bytes gauge\nguanxi_backup_last_size_bytes %d\n", a.backups.lastBytes.Load())
}
