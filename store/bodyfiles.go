package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Raw message bodies are kept in files in a directory beside the database
// (path + "-bodies", as SQLite keeps path + "-wal"): SQLite writes every
// page twice, through the WAL, and took bodies at ~60 MB/s where plain files
// take several hundred. The bodies of one batch share a file, a pack, one
// after another: creating a file cost more CPU than writing a body into
// it. The bodies table names each body's file, offset and length; the
// database stays the only record of which file is live.
//
// A file is written before the transaction that names it and is never
// changed afterwards. When the last row naming a file is deleted or points
// elsewhere, a trigger lists the file in body_trash (so cascaded deletes
// are covered), and the sweeper removes listed files after the commit. A
// pack whose bodies are mostly gone is rewritten with the live ones
// (compactPacks). A crash between writing a file and committing its rows
// leaves an orphan. Open removes orphans at once when no other process has
// the store open (see sweepAtOpen); otherwise the daily orphan sweep removes
// them when they are old enough. Files are not
// fsynced: a body is a copy of what the server holds, and a lost or short
// file is noticed on read and fetched again.

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
	// lockName is the lock file every process holds while it has the
	// store open (see openLock).
	lockName = ".lock"
)

// bodyFiles is the directory of body files and its sweeper's signals.
type bodyFiles struct {
	dir string
	// lock is the lock file, held exclusively when alone (no other process
	// had the store open), then shared once ready is closed; nil where the
	// platform has no locks.
	lock  *os.File
	alone bool
	// ready is closed when the sweep at open is over and this process
	// holds the shared lock: no pack is written before.
	ready    chan struct{}
	wake     chan struct{} // capacity 1: a pending wake-up is enough
	stop     chan struct{}
	stopOnce sync.Once
	lockOnce sync.Once
	done     chan struct{}
	// noDirect is set once the file system has refused O_DIRECT.
	noDirect atomic.Bool
	// bufs holds aligned buffers (*[]byte) for direct writes.
	bufs sync.Pool
}

func newBodyFiles(dir string) (*bodyFiles, error) {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("store: body directory: %w", err)
	}
	if _, err := fixMode(dir, dirMode); err != nil {
		return nil, fmt.Errorf("store: body directory: %w", err)
	}
	lock, alone, err := openLock(filepath.Join(dir, lockName))
	if err != nil {
		return nil, fmt.Errorf("store: lock: %w", err)
	}
	if lock != nil {
		if fi, err := lock.Stat(); err == nil && fi.Mode().Perm() != fileMode {
			lock.Chmod(fileMode)
		}
	}
	return &bodyFiles{dir: dir, lock: lock, alone: alone, ready: make(chan struct{}),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}, nil
}

// errClosed is returned for a pack written while the store closes before
// it was ready.
var errClosed = errors.New("store: closed")

// waitReady waits until packs may be written: until the sweep at open is
// over.
func (bf *bodyFiles) waitReady() error {
	select {
	case <-bf.ready:
		return nil
	default:
	}
	select {
	case <-bf.ready:
		return nil
	case <-bf.stop:
		return errClosed
	}
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

// writePack writes the raw bytes of bodies one after another into a new
// file and records its name and each body's offset in them. The name is
// fresh for every pack (the first body's message ID and a random part), so
// a file is never changed once named.
//
// A big pack is written around the page cache where the file system allows
// (see directMin): a full sync writes gigabytes of bodies, most read
// seldom, and copying them into the page cache cost more CPU than anything
// else Tern does with them (1.9 s a GB here) and pushed out what the
// desktop was using.
func (bf *bodyFiles) writePack(bodies []Body) error {
	if len(bodies) == 0 {
		return nil
	}
	if err := bf.waitReady(); err != nil {
		return err
	}
	id := bodies[0].MessageID
	shard := fmt.Sprintf("%02x", uint64(id)&0xff)
	name := shard + "/" + strconv.FormatInt(id, 10) + "-" + fmt.Sprintf("%016x", rand.Uint64())
	p := filepath.Join(bf.dir, shard, filepath.Base(name))
	var total int64
	for i := range bodies {
		total += int64(len(bodies[i].Raw))
	}
	write := func() error {
		err := bf.writeDirect(p, bodies, total)
		if errors.Is(err, errNoDirect) {
			err = writeBuffered(p, bodies)
		}
		return err
	}
	err := write()
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Join(bf.dir, shard), dirMode); err != nil {
			return fmt.Errorf("store: save body: %w", err)
		}
		err = write()
	}
	if err != nil {
		os.Remove(p)
		return fmt.Errorf("store: save body: %w", err)
	}
	var off int64
	for i := range bodies {
		bodies[i].file, bodies[i].off = name, off
		off += int64(len(bodies[i].Raw))
	}
	return nil
}

const (
	// directMin is the smallest pack written around the page cache: a
	// body fetched to be read now is better left in it.
	directMin = 256 << 10
	// directAlign is the alignment O_DIRECT asks of buffers, lengths and
	// offsets: a page covers every block size in use.
	directAlign = 4096
)

// errNoDirect says a pack is to be written through the page cache.
var errNoDirect = errors.New("store: no direct write")

// writeDirect writes bodies into new file p, total bytes, with O_DIRECT:
// from one aligned buffer, padded to a whole block, then cut back to
// total. It returns errNoDirect, having created nothing, for a small pack
// or a file system without O_DIRECT, and remembers the latter.
func (bf *bodyFiles) writeDirect(p string, bodies []Body, total int64) error {
	if total < directMin || bf.noDirect.Load() {
		return errNoDirect
	}
	f, err := openDirect(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrExist) {
			return err
		}
		// EINVAL from a file system without O_DIRECT; anything else will
		// show again on the buffered open.
		bf.noDirect.Store(true)
		return errNoDirect
	}
	padded := (total + directAlign - 1) / directAlign * directAlign
	buf := bf.alignedBuf(int(padded))
	n := 0
	for i := range bodies {
		n += copy(buf[n:], bodies[i].Raw)
	}
	clear(buf[n:])
	_, err = f.Write(buf)
	bf.bufs.Put(&buf)
	if err == nil {
		err = f.Truncate(total)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, syscall.EINVAL) {
			// Refused at the write (an alignment this file system does
			// not take): buffered from now on.
			bf.noDirect.Store(true)
			os.Remove(p)
			return errNoDirect
		}
	}
	return err
}

// alignedBuf returns a buffer of n bytes whose start is aligned to
// directAlign, reusing one from bf.bufs when it is big enough.
func (bf *bodyFiles) alignedBuf(n int) []byte {
	if b, ok := bf.bufs.Get().(*[]byte); ok && cap(*b) >= n {
		return (*b)[:n]
	}
	c := (n + 1<<20 - 1) &^ (1<<20 - 1) // whole MiBs, so that the next pack fits too
	raw := make([]byte, c+directAlign)
	skip := (directAlign - int(uintptr(unsafe.Pointer(&raw[0]))%directAlign)) % directAlign
	return raw[skip : skip+n : skip+c]
}

// writeBuffered writes bodies into new file p through the page cache.
func writeBuffered(p string, bodies []Body) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return err
	}
	for i := range bodies {
		if _, err = f.Write(bodies[i].Raw); err != nil {
			break
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
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

// read returns the size bytes at off in file name.
func (bf *bodyFiles) read(name string, off, size int64) ([]byte, error) {
	p, err := bf.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errBodyLost
	}
	if err != nil {
		return nil, fmt.Errorf("store: read body: %w", err)
	}
	defer f.Close()
	if off < 0 || size < 0 || size > maxBodyRead {
		return nil, fmt.Errorf("store: bad body extent %d+%d in %s", off, size, name)
	}
	raw := make([]byte, size)
	n, err := f.ReadAt(raw, off)
	if n < len(raw) {
		if err == nil || errors.Is(err, io.EOF) {
			return nil, errBodyLost
		}
		return nil, fmt.Errorf("store: read body: %w", err)
	}
	return raw, nil
}

// maxBodyRead bounds what a (damaged) row can make read allocate.
const maxBodyRead = 1 << 30

// sweep is the sweeper goroutine: it first runs the sweep at open, then
// empties body_trash when woken, once more when stopping, and runs the
// orphan sweep once, orphanDelay after Open.
func (db *DB) sweep() {
	bf := db.files
	defer close(bf.done)
	db.sweepAtOpen()
	// The shared lock is taken even when closing, so that writers waiting
	// on ready go on under it (and then fail on the closed database).
	shareLock(bf.lock)
	close(bf.ready)
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
		if err := db.writeQuiet(context.Background(), func(tx *sql.Tx) error {
			_, err := tx.Exec(`DELETE FROM body_trash WHERE file IN (`+marks(len(names))+`)`, args...)
			return err
		}); err != nil {
			return err
		}
		if len(names) < trashPage {
			return nil
		}
	}
}

// sweepAtOpen runs before this process writes any pack. When no other
// process has the store open (bf.alone: this one holds the lock
// exclusively), every body file that no committed row names is an orphan of
// a crash: no process is between writing a pack and committing its rows.
// It removes them all, whatever their age. Whether alone or not, it sets
// the mode of shard directories that an older Tern left open to others, and
// of the files in them.
func (db *DB) sweepAtOpen() error {
	bf := db.files
	var live map[string]bool
	if bf.alone {
		rows, err := db.r.Query(`SELECT DISTINCT file FROM bodies WHERE file <> ''`)
		if err != nil {
			return err
		}
		live = map[string]bool{}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return err
			}
			live[n] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
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
			return nil // closing; the next open finishes the job
		default:
		}
		dir := filepath.Join(bf.dir, sh.Name())
		loose, err := fixMode(dir, dirMode)
		if err != nil {
			continue
		}
		if !bf.alone && !loose {
			continue
		}
		files, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, f := range files {
			if !f.Type().IsRegular() || !isBodyFileName(f.Name()) {
				continue // not a body file; leave what we did not write
			}
			p := filepath.Join(dir, f.Name())
			if bf.alone && !live[sh.Name()+"/"+f.Name()] {
				os.Remove(p)
			} else if loose {
				fixMode(p, fileMode)
			}
		}
	}
	return nil
}

// isBodyFileName reports whether name is the name writePack gives a pack:
// a message ID, a dash and a random part.
func isBodyFileName(name string) bool {
	idText, _, ok := strings.Cut(name, "-")
	_, err := strconv.ParseInt(idText, 10, 64)
	return ok && err == nil
}

// sweepOrphans removes body files older than orphanAge that no row names:
// left by a crash between writing a file and committing its rows. Then it
// compacts the packs that are mostly gone. It runs at most once per
// orphanEvery, as remembered by the marker file's mtime.
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
			if !isBodyFileName(f.Name()) {
				continue // not a body file; leave what we did not write
			}
			var live int
			err = db.r.QueryRow(`SELECT count(*) FROM (SELECT 1 FROM bodies WHERE file = ? LIMIT 1)`, name).Scan(&live)
			if err != nil {
				return err
			}
			if live == 0 {
				bf.remove([]string{name})
			}
		}
	}
	if err := db.compactPacks(); err != nil {
		return err
	}
	if err := os.WriteFile(marker, nil, fileMode); err != nil {
		return err
	}
	return os.Chtimes(marker, now, now)
}

// compactMinWaste is how many bytes of gone bodies a pack must hold before
// compactPacks rewrites it.
const compactMinWaste = 256 << 10

// compactPacks rewrites every pack whose live bodies fill less than half of
// it, and which wastes at least compactMinWaste, into a new pack of the
// live bodies alone. It runs with the orphan sweep, in the sweeper.
func (db *DB) compactPacks() error {
	type pack struct {
		name string
		live int64
	}
	rows, err := db.r.Query(`SELECT file, sum(size) FROM bodies WHERE file <> '' GROUP BY file`)
	if err != nil {
		return err
	}
	var packs []pack
	for rows.Next() {
		var p pack
		if rows.Scan(&p.name, &p.live) == nil {
			packs = append(packs, p)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, p := range packs {
		select {
		case <-db.files.stop:
			return nil
		default:
		}
		path, err := db.files.path(p.name)
		if err != nil {
			continue
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Size()-p.live < compactMinWaste || 2*p.live >= fi.Size() {
			continue
		}
		if err := db.compactPack(p.name); err != nil {
			return err
		}
	}
	return db.emptyTrash()
}

// compactPack copies the live bodies of pack name into a new pack and
// points their rows there, each only if it still names the old place (a
// body replaced or deleted meanwhile keeps its new state). The old file
// goes to the trash with its last row.
func (db *DB) compactPack(name string) error {
	type place struct {
		id       int64
		off, len int64
	}
	rows, err := db.r.Query(`SELECT message_id, off, size FROM bodies WHERE file = ? ORDER BY off`, name)
	if err != nil {
		return err
	}
	var old []place
	for rows.Next() {
		var p place
		if rows.Scan(&p.id, &p.off, &p.len) == nil {
			old = append(old, p)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(old) == 0 {
		return err
	}
	bodies := make([]Body, 0, len(old))
	for _, p := range old {
		raw, err := db.files.read(name, p.off, p.len)
		if err != nil {
			return nil // a damaged pack is left to the read path, which forgets what is lost
		}
		bodies = append(bodies, Body{MessageID: p.id, Raw: raw})
	}
	if err := db.files.writePack(bodies); err != nil {
		return err
	}
	moved := 0
	err = db.writeQuiet(context.Background(), func(tx *sql.Tx) error {
		moved = 0
		st, err := tx.Prepare(`UPDATE bodies SET file = ?, off = ? WHERE message_id = ? AND file = ? AND off = ?`)
		if err != nil {
			return err
		}
		defer st.Close()
		for i, b := range bodies {
			res, err := st.Exec(b.file, b.off, b.MessageID, name, old[i].off)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				moved++
			}
		}
		return nil
	})
	if err != nil || moved == 0 {
		db.files.remove([]string{bodies[0].file})
	}
	return err
}
