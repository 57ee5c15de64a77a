package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Raw message bodies are kept in files in a directory beside the database
// (path + "-bodies", as SQLite keeps path + "-wal"): SQLite writes every
// page twice, through the WAL, and took bodies at ~60 MB/s where plain files
// take several hundred. The bodies table names each body's file and its
// length; the database stays the only record of which file is live.
//
// A file is written before the transaction that names it and is never
// changed afterwards. A replaced or deleted row lists its file in
// body_trash (by trigger, so cascaded deletes are covered), and the
// sweeper removes listed files after the commit. A crash between writing a
// file and committing its row leaves an orphan, which the orphan sweep
// removes later. Files are not fsynced: a body is a copy of what the server
// holds, and a lost or short file is noticed on read and fetched again.

const (
	// trashPage is how many trashed files the sweeper removes per
	// transaction.
	trashPage = 500
	// orphanDelay is how long after Open the orphan sweep runs, so that it
	// never competes with a starting sync.
	orphanDelay = time.Minute
	// orphanEvery is how often the orphan sweep runs at most, across
	// restarts (the marker file's mtime remembers the last one).
	orphanEvery = 24 * time.Hour
	// orphanAge is how old a file must be before the orphan sweep may take
	// it: a younger one may belong to a transaction still in flight.
	orphanAge = time.Hour
	// sweptMarker is the marker file of the orphan sweep.
	sweptMarker = ".swept"
)

// bodyFiles is the directory of body files and its sweeper's signals.
type bodyFiles struct {
	dir      string
	wake     chan struct{} // capacity 1: a pending wake-up is enough
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

func newBodyFiles(dir string) (*bodyFiles, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: body directory: %w", err)
	}
	return &bodyFiles{dir: dir, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}, nil
}

// notify tells the sweeper that body_trash may have rows. It never blocks.
func (bf *bodyFiles) notify() {
	select {
	case bf.wake <- struct{}{}:
	default:
	}
}

// path returns the file of name, or an error for a name that would leave
// the directory (a damaged or hostile database).
func (bf *bodyFiles) path(name string) (string, error) {
	if name == "" || !filepath.IsLocal(name) {
		return "", fmt.Errorf("store: bad body file name %q", name)
	}
	return filepath.Join(bf.dir, filepath.FromSlash(name)), nil
}

// write stores raw in a new file for message id and returns its name. The
// name is fresh for every write, so a file is never changed once named.
func (bf *bodyFiles) write(id int64, raw []byte) (string, error) {
	shard := fmt.Sprintf("%02x", uint64(id)&0xff)
	name := shard + "/" + strconv.FormatInt(id, 10) + "-" + fmt.Sprintf("%016x", rand.Uint64())
	p := filepath.Join(bf.dir, shard, filepath.Base(name))
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Join(bf.dir, shard), 0o700); err != nil {
			return "", fmt.Errorf("store: save body: %w", err)
		}
		f, err = os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	}
	if err != nil {
		return "", fmt.Errorf("store: save body: %w", err)
	}
	_, err = f.Write(raw)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p)
		return "", fmt.Errorf("store: save body: %w", err)
	}
	return name, nil
}

// remove deletes the files of names; one already gone is not an error.
func (bf *bodyFiles) remove(names []string) {
	for _, n := range names {
		if p, err := bf.path(n); err == nil {
			os.Remove(p)
		}
	}
}

// errBodyLost says a body's file is missing or not the length recorded.
var errBodyLost = errors.New("store: body file lost")

// read returns the contents of name, which must be size bytes long.
func (bf *bodyFiles) read(name string, size int64) ([]byte, error) {
	p, err := bf.path(name)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && int64(len(raw)) != size) {
		return nil, errBodyLost
	}
	if err != nil {
		return nil, fmt.Errorf("store: read body: %w", err)
	}
	return raw, nil
}

// sweep is the sweeper goroutine: it empties body_trash when woken, once
// more when stopping, and runs the orphan sweep once, orphanDelay after
// Open.
func (db *DB) sweep() {
	bf := db.files
	defer close(bf.done)
	orphans := time.NewTimer(orphanDelay)
	defer orphans.Stop()
	for {
		select {
		case <-bf.stop:
			db.emptyTrash()
			return
		case <-bf.wake:
			db.emptyTrash()
		case <-orphans.C:
			db.sweepOrphans(time.Now())
		}
	}
}

// emptyTrash removes the files listed in body_trash and their rows, a page
// at a time. It is called by the sweeper only (and by tests), never holds
// the writer while touching the disk, and leaves rows it could not delete
// for the next wake-up.
func (db *DB) emptyTrash() error {
	for {
		rows, err := db.r.Query(`SELECT file FROM body_trash LIMIT ?`, trashPage)
		if err != nil {
			return err
		}
		var names []string
		var args []any
		for rows.Next() {
			var n string
			if rows.Scan(&n) == nil {
				names, args = append(names, n), append(args, n)
			}
		}
		rows.Close()
		if len(names) == 0 {
			return rows.Err()
		}
		db.files.remove(names)
		marks := strings.TrimSuffix(strings.Repeat("?,", len(names)), ",")
		if err := db.writeQuiet(context.Background(), func(tx *sql.Tx) error {
			_, err := tx.Exec(`DELETE FROM body_trash WHERE file IN (`+marks+`)`, args...)
			return err
		}); err != nil {
			return err
		}
		if len(names) < trashPage {
			return nil
		}
	}
}

// sweepOrphans removes body files older than orphanAge that no row names:
// left by a crash between writing a file and committing its row. It runs at
// most once per orphanEvery, as remembered by the marker file's mtime.
func (db *DB) sweepOrphans(now time.Time) error {
	bf := db.files
	marker := filepath.Join(bf.dir, sweptMarker)
	if fi, err := os.Stat(marker); err == nil && now.Sub(fi.ModTime()) < orphanEvery {
		return nil
	}
	shards, err := os.ReadDir(bf.dir)
	if err != nil {
		return err
	}
	for _, sh := range shards {
		if !sh.IsDir() {
			continue
		}
		select {
		case <-bf.stop:
			return nil // closing; the next run finishes the job
		default:
		}
		files, err := os.ReadDir(filepath.Join(bf.dir, sh.Name()))
		if err != nil {
			continue
		}
		for _, f := range files {
			fi, err := f.Info()
			if err != nil || !fi.Mode().IsRegular() || now.Sub(fi.ModTime()) < orphanAge {
				continue
			}
			name := sh.Name() + "/" + f.Name()
			idText, _, ok := strings.Cut(f.Name(), "-")
			id, err := strconv.ParseInt(idText, 10, 64)
			if !ok || err != nil {
				continue // not a body file; leave what we did not write
			}
			var live string
			err = db.r.QueryRow(`SELECT file FROM bodies WHERE message_id = ?`, id).Scan(&live)
			if err != nil && err != sql.ErrNoRows {
				return err
			}
			if live != name {
				bf.remove([]string{name})
			}
		}
	}
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		return err
	}
	return os.Chtimes(marker, now, now)
}
