package storetest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/guanxi-crm/guanxi/internal/store"
)

// CrashEngines is Engines for crash tests: fn also gets the DSN, which a
// child process (see KillChild) can open on the same database.
func CrashEngines(t *testing.T, fn func(t *testing.T, dsn string, db *store.DB)) {
	t.Helper()
	run := func(t *testing.T, dsn string) {
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("open %s: %v", dsn, err)
		}
		defer db.Close()
		fn(t, dsn, db)
	}
	t.Run("sqlite", func(t *testing.T) {
		run(t, "sqlite:"+filepath.Join(t.TempDir(), "crash.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn, drop := NewSchema(t, PostgresURL(t))
		defer drop()
		run(t, dsn)
	})
}

// KillChild runs the test binary's test named child (which reads its work
// from env, "NAME=value", and skips without it) once per point, and kills
// it with SIGKILL as soon as progress() reaches the point (or after two
// minutes). A child that ends before its kill fails t: the crash was not
// tested.
func KillChild(t *testing.T, child, env string, points []int, progress func() int) {
	t.Helper()
	for _, p := range points {
		cmd := exec.Command(os.Args[0], "-test.run=^"+child+"$", "-test.count=1")
		cmd.Env = append(os.Environ(), env)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Minute)
		for progress() < p && time.Now().Before(deadline) {
			time.Sleep(200 * time.Microsecond)
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("child ended before the kill at %d (progress %d): %v\n%s", p, progress(), err, out.String())
		}
	}
}
