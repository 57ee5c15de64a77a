package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Everything the store writes is private to its user: headers, bodies, the
// search index and outgoing mail are nobody else's business, whatever the
// umask or the mode of the directory the store is in.
const (
	// fileMode is the mode of the database, its -wal and -shm files, the
	// body files and the lock file.
	fileMode fs.FileMode = 0o600
	// dirMode is the mode of the body directory and its shards.
	dirMode fs.FileMode = 0o700
)

// createPrivate creates the database file at path with fileMode if it is
// missing, before SQLite opens it: SQLite creates the -wal and -shm files
// with the mode of the database file. It also sets the mode of an existing
// database and of its -wal and -shm files, which an older Tern left
// readable by others.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, fileMode)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if _, err := fixMode(p, fileMode); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("store: %w", err)
		}
	}
	return nil
}

// fixMode sets the permission bits of p to want unless they are so. It
// reports whether they were not.
func fixMode(p string, want fs.FileMode) (changed bool, err error) {
	fi, err := os.Stat(p)
	if err != nil {
		return false, err
	}
	if fi.Mode().Perm() == want {
		return false, nil
	}
	return true, os.Chmod(p, want)
}
