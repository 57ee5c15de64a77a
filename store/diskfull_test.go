//go:build linux

package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
	"github.com/ternmail/tern/sync/imapsync"
)

// mountTmpfs mounts a tmpfs of size bytes on a new directory and returns
// it; it is unmounted when the test ends. It skips the test where mount is
// refused (not root, or a container without the capability).
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root and CAP_SYS_ADMIN; CI runs as root): %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// integrity runs SQLite's integrity check on the database at path, through
// a connection of its own.
func integrity(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

// TestSyncDiskFull syncs a mailbox bigger than the file system the store
// is on, once with the disk filled by body files and once by the database
// itself: the sync fails with an error that says the disk is full, the
// database stays whole, and once there is room again the next sync stores
// every message and body.
func TestSyncDiskFull(t *testing.T) {
	t.Run("bodies", func(t *testing.T) { testSyncDiskFull(t, 2<<20, 60, 2000) })
	t.Run("database", func(t *testing.T) { testSyncDiskFull(t, 384<<10, 400, 1) })
}

// testSyncDiskFull syncs n messages of lines lines each into a store on a
// tmpfs of size bytes.
func testSyncDiskFull(t *testing.T, size int64, n, lines int) {
	dir := mountTmpfs(t, size)
	var seed []mailtest.SeedMessage
	for i := range n {
		raw := fmt.Sprintf("From: a@example.test\r\nSubject: message %d %s\r\nMessage-ID: <%d@full.test>\r\n\r\n%s\r\n",
			i, strings.Repeat("subject words ", 30), i, strings.Repeat(fmt.Sprintf("line %d of a long message\r\n", i), lines))
		seed = append(seed, mailtest.SeedMessage{Mailbox: "INBOX", Raw: []byte(raw)})
	}
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true, Seed: seed})
	path := filepath.Join(dir, "tern.db")
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng := imapsync.New(st, mailtest.DemoAccount(srv), &imapsync.Options{
		Password: func(context.Context) (string, error) { return srv.Password, nil },
	})
	ctx := context.Background()
	_, err = eng.SyncOnce(ctx)
	if err == nil {
		t.Fatal("a sync of more mail than the disk holds succeeded")
	}
	t.Logf("sync on a full disk: %v", err)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "no space left") {
		t.Errorf("the error does not say the disk is full: %v", err)
	}
	if res := integrity(t, path); res != "ok" {
		t.Fatalf("integrity_check after the failed sync: %s", res)
	}

	if out, err := exec.Command("mount", "-o", "remount,size=64m", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v %s", err, out)
	}
	rep, err := eng.SyncOnce(ctx)
	if err != nil {
		t.Fatalf("sync once there is room: %v", err)
	}
	for _, f := range rep.Folders {
		if f.Name == "INBOX" && (f.ServerTotal != n || f.Stored != n) {
			t.Errorf("INBOX after the second sync: %+v, want %d stored", f, n)
		}
	}
	box, err := st.MailboxByName(ctx, mailtest.DemoAccountID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := st.Messages(ctx, box.ID, 0, n+1)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		raw, err := st.Body(ctx, m.ID)
		if err != nil || !strings.Contains(string(raw), "of a long message") {
			t.Errorf("body of UID %d after the second sync: %d bytes, %v", m.UID, len(raw), err)
		}
	}
	if len(msgs) != n {
		t.Errorf("%d messages stored, want %d", len(msgs), n)
	}
	if res := integrity(t, path); res != "ok" {
		t.Fatalf("integrity_check after the second sync: %s", res)
	}
}
