// Package store is Tern's local database: mailboxes, message headers and
// bodies, the full-text index, pending local actions and the outbox, in one
// SQLite file in WAL mode, with raw message bodies in files in a directory
// beside it (the file's name + "-bodies"), which the database indexes.
//
// The store is the single source of truth for the GUI and the command line.
// Reads return value snapshots (plain structs and slices, never cursors), so a
// caller may hold them as long as it likes. Writes go through one writer
// connection in batched transactions; readers use a separate pool and never
// wait for the writer.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, with FTS5 built in

	"github.com/ternmail/tern/internal/goroutine"
)

// ErrNotFound is returned when a requested row does not exist.
var ErrNotFound = errors.New("store: not found")

// DB is an open Tern store.
//
// DB is safe for concurrent use by multiple goroutines: writes are serialised
// on one connection, reads run in parallel on a pool.
type DB struct {
	w     *sql.DB // the single writer
	r     *sql.DB // readers
	files *bodyFiles

	sortIndexes sync.Map // SortKey → struct{}: the orders whose index exists
}

// Open opens (creating if needed) the store at path and applies pending
// migrations. The store's files are created readable by their owner alone
// (0600, directories 0700), and an existing store's are made so. Body files
// that a crashed process left behind are removed in the background, before
// this process writes any, if no other process has the store open.
func Open(path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	// The writer begins its transactions IMMEDIATE: a deferred one that
	// read first fails at once with SQLITE_BUSY, busy_timeout or not, when
	// another process (tern sync beside the window) wrote in between.
	wq := url.Values{"_txlock": {"immediate"}}
	for k, v := range q {
		wq[k] = v
	}
	dsn := "file:" + path + "?" + wq.Encode()
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	db := &DB{w: w}
	if err := db.migrate(); err != nil {
		w.Close()
		return nil, err
	}
	if err := db.threadUnthreaded(context.Background()); err != nil {
		w.Close()
		return nil, err
	}
	q.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	db.r = r
	if db.files, err = newBodyFiles(path + "-bodies"); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	goroutine.Go("store: sweeper", nil, db.sweep)
	db.files.notify() // trash left by the last run
	return db, nil
}

// Close closes the store. It waits for the sweeper to remove the files of
// bodies deleted so far, and then lets go of the store's lock. Closing a
// closed store does nothing more.
func (db *DB) Close() error {
	db.files.stopOnce.Do(func() { close(db.files.stop) })
	<-db.files.done
	err := errors.Join(db.r.Close(), db.w.Close())
	db.files.lockOnce.Do(func() {
		if db.files.lock != nil {
			db.files.lock.Close()
		}
	})
	return err
}

func (db *DB) migrate() error {
	var version int
	if err := db.w.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("store: the database has schema version %d, newer than this Tern (%d); upgrade Tern", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		tx, err := db.w.Begin()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migration %d: %w", i+1, err)
		}
		if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migration %d: %w", i+1, err)
		}
	}
	return nil
}

// write runs fn in one write transaction. After a commit it wakes the
// sweeper, as the transaction may have trashed body files.
func (db *DB) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	err := db.writeQuiet(ctx, fn)
	if err == nil {
		db.files.notify()
	}
	return err
}

// writeQuiet is write without waking the sweeper, for the sweeper itself.
func (db *DB) writeQuiet(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return diskFull(err)
	}
	if err := tx.Commit(); err != nil {
		return diskFull(fmt.Errorf("store: commit: %w", err))
	}
	return nil
}

// sqliteFull is SQLite's result code for a full disk (SQLITE_FULL).
const sqliteFull = 13

// diskFull makes an error of SQLite's that says the disk is full also match
// syscall.ENOSPC, as the body files' write errors do, so that a caller
// tells a full disk from a damaged store the same way for both.
func diskFull(err error) error {
	var se interface{ Code() int }
	if errors.As(err, &se) && se.Code()&0xff == sqliteFull {
		return fmt.Errorf("%w: %w", err, syscall.ENOSPC)
	}
	return err
}

// marks returns n SQL placeholders separated by commas: "?,?,?".
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// rowMarks returns n rows of cols placeholders each: "(?,?),(?,?)".
func rowMarks(n, cols int) string {
	return strings.TrimSuffix(strings.Repeat("("+marks(cols)+"),", n), ",")
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func joinFlags(flags []string) string { return strings.Join(flags, " ") }

func splitFlags(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Fields(s)
}
