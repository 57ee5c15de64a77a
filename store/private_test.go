package store

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// checkPrivate walks dir and fails for every file not 0600 and every
// directory below dir not 0700. It returns how many files it saw.
func checkPrivate(t *testing.T, dir string) int {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case p == dir:
		case d.IsDir():
			if fi.Mode().Perm() != dirMode {
				t.Errorf("%s: directory mode %v, want %v", p, fi.Mode().Perm(), dirMode)
			}
		default:
			files++
			if fi.Mode().Perm() != fileMode {
				t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), fileMode)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestStoreFilesPrivate opens a store in a directory others may read, under
// umask 022, and writes headers and bodies of both pack kinds (direct and
// buffered): the database, its -wal and -shm files, the body directory,
// its shards and packs and the lock file must all be the owner's alone.
// A store whose files were made readable (as an older Tern left them) is
// made private again at the next open.
func TestStoreFilesPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	home := t.TempDir()
	if err := os.Chmod(home, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, "tern.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	box := seedMailbox(t, db, 4)
	want := putBatch(t, db, box, 100, 1, 2)
	for uid, b := range putBatch(t, db, box, 2*directMin, 3, 4) {
		want[uid] = b
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("expected %s while the store is open: %v", p, err)
		}
	}
	if n := checkPrivate(t, home); n < 6 {
		t.Errorf("saw %d files, want the database, -wal, -shm, the lock and two packs at least", n)
	}
	db.Close()

	// Loosen everything, then open again.
	err = filepath.WalkDir(home, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == home {
			return err
		}
		if d.IsDir() {
			return os.Chmod(p, 0o755)
		}
		return os.Chmod(p, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	<-db.files.ready // the sweep at open has set the modes in the shards
	checkPrivate(t, home)
	checkBodies(t, db, want)
}
