package store

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// bodyFileNames returns the body files on disk, as names relative to the
// body directory, sorted.
func bodyFileNames(t *testing.T, db *DB) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(db.files.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && d.Name() != sweptMarker {
			rel, _ := filepath.Rel(db.files.dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// waitBodyFiles waits for the sweeper to leave exactly want body files and
// an empty body_trash, and returns the files.
func waitBodyFiles(t *testing.T, db *DB, want int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		files := bodyFileNames(t, db)
		var trash int
		if err := db.r.QueryRow(`SELECT count(*) FROM body_trash`).Scan(&trash); err != nil {
			t.Fatal(err)
		}
		if len(files) == want && trash == 0 {
			return files
		}
		if time.Now().After(deadline) {
			t.Fatalf("body files %v (trash %d), want %d files and no trash", files, trash, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// bodyFileOf returns the file the bodies row of message id names.
func bodyFileOf(t *testing.T, db *DB, id int64) string {
	t.Helper()
	var f string
	if err := db.r.QueryRow(`SELECT file FROM bodies WHERE message_id = ?`, id).Scan(&f); err != nil {
		t.Fatal(err)
	}
	return f
}

func mustMailbox(t *testing.T, db *DB, account string) Mailbox {
	t.Helper()
	b, err := db.MailboxByName(context.Background(), account, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustBody(t *testing.T, db *DB, box Mailbox, uid uint32, raw string) int64 {
	t.Helper()
	ctx := context.Background()
	m, err := db.MessageByUID(ctx, box.ID, box.UIDValidity, uid)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutBody(ctx, m.ID, []byte(raw), BodyInfo{Text: raw}); err != nil {
		t.Fatal(err)
	}
	return m.ID
}

func TestBodyFileRoundTrip(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	box := seedMailbox(t, db, 3)
	raw := "Subject: hi\r\n\r\n" + strings.Repeat("x", 100000) + "\r\n"
	id := mustBody(t, db, box, 1, raw)
	got, err := db.Body(ctx, id)
	if err != nil || string(got) != raw {
		t.Fatalf("Body = %d bytes, %v; want the %d bytes stored", len(got), err, len(raw))
	}
	files := bodyFileNames(t, db)
	if len(files) != 1 || files[0] != bodyFileOf(t, db, id) {
		t.Fatalf("files %v, row names %s", files, bodyFileOf(t, db, id))
	}
	fi, err := os.Stat(filepath.Join(db.files.dir, files[0]))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("body file mode %v (%v), want 0600", fi.Mode(), err)
	}
	var inline int
	db.r.QueryRow(`SELECT length(raw) FROM bodies WHERE message_id = ?`, id).Scan(&inline)
	if inline != 0 {
		t.Errorf("%d raw bytes kept inline as well as in the file", inline)
	}

	// A replaced body gets a new file; the old one is removed.
	if err := db.PutBody(ctx, id, []byte("Subject: new\r\n\r\nnew\r\n"), BodyInfo{Text: "new"}); err != nil {
		t.Fatal(err)
	}
	after := waitBodyFiles(t, db, 1)
	if after[0] == files[0] {
		t.Errorf("replaced body still in %s", after[0])
	}
	if got, _ := db.Body(ctx, id); string(got) != "Subject: new\r\n\r\nnew\r\n" {
		t.Errorf("replaced body = %q", got)
	}

	// Closing and reopening keeps the body readable.
	path := strings.TrimSuffix(db.files.dir, "-bodies")
	db.Close()
	db2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if got, err := db2.Body(ctx, id); err != nil || string(got) != "Subject: new\r\n\r\nnew\r\n" {
		t.Errorf("after reopen: %q %v", got, err)
	}
}

func TestBodyFilesRemovedWithMessages(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	box := seedMailbox(t, db, 4)
	var ids []int64
	for uid := uint32(1); uid <= 4; uid++ {
		ids = append(ids, mustBody(t, db, box, uid, "Subject: b\r\n\r\nbody\r\n"))
	}
	waitBodyFiles(t, db, 4)
	if err := db.DeleteUIDs(ctx, box.ID, box.UIDValidity, []uint32{1}); err != nil {
		t.Fatal(err)
	}
	files := waitBodyFiles(t, db, 3)
	if slices.Contains(files, bodyFileNameFor(files, ids[0])) {
		t.Errorf("file of the expunged message left: %v", files)
	}
	if err := db.ResetMailbox(ctx, box.ID, box.UIDValidity+1); err != nil {
		t.Fatal(err)
	}
	waitBodyFiles(t, db, 0)
}

// bodyFileNameFor returns the file in files that belongs to message id.
func bodyFileNameFor(files []string, id int64) string {
	for _, f := range files {
		_, base, _ := strings.Cut(f, "/")
		if n, _, _ := strings.Cut(base, "-"); n == strconv.FormatInt(id, 10) {
			return f
		}
	}
	return ""
}

func TestBodyFileLostIsRefetchable(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	box := seedMailbox(t, db, 2)
	lost := mustBody(t, db, box, 1, "Subject: a\r\n\r\nlost\r\n")
	short := mustBody(t, db, box, 2, "Subject: b\r\n\r\nshortened\r\n")
	if err := os.Remove(filepath.Join(db.files.dir, bodyFileOf(t, db, lost))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(db.files.dir, bodyFileOf(t, db, short)), []byte("Subj"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{lost, short} {
		if _, err := db.Body(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Body of a damaged file: %v, want ErrNotFound", err)
		}
		m, err := db.Message(ctx, id)
		if err != nil || m.HasBody {
			t.Errorf("message %d still has_body after its file was lost (%v)", id, err)
		}
	}
	missing, err := db.MissingBodies(ctx, "acct", time.Time{}, 10)
	if err != nil || len(missing) != 2 {
		t.Errorf("MissingBodies = %d (%v), want the 2 damaged ones back in the queue", len(missing), err)
	}
	// Fetched again, the body reads fine.
	if err := db.PutBody(ctx, short, []byte("Subject: b\r\n\r\nshortened\r\n"), BodyInfo{}); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Body(ctx, short); err != nil || !bytes.Contains(got, []byte("shortened")) {
		t.Errorf("refetched body: %q %v", got, err)
	}
}

func TestBodyInlineFromBeforeFilesStillRead(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	box := seedMailbox(t, db, 1)
	m, err := db.MessageByUID(ctx, box.ID, box.UIDValidity, 1)
	if err != nil {
		t.Fatal(err)
	}
	// A row as migration 6 left it: raw inline, no file.
	if _, err := db.w.Exec(`INSERT INTO bodies (message_id, raw) VALUES (?, ?)`, m.ID, []byte("Subject: old\r\n\r\ninline\r\n")); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Body(ctx, m.ID); err != nil || string(got) != "Subject: old\r\n\r\ninline\r\n" {
		t.Errorf("inline body: %q %v", got, err)
	}
	// Replacing it moves it to a file and trashes nothing.
	if err := db.PutBody(ctx, m.ID, []byte("Subject: new\r\n\r\nfile\r\n"), BodyInfo{}); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Body(ctx, m.ID); err != nil || string(got) != "Subject: new\r\n\r\nfile\r\n" {
		t.Errorf("replaced inline body: %q %v", got, err)
	}
	waitBodyFiles(t, db, 1)
}

func TestBodyFileOfGoneMessageNotKept(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	seedMailbox(t, db, 1)
	n, err := db.PutBodies(ctx, []Body{{MessageID: 9999, Raw: []byte("Subject: x\r\n\r\nx\r\n")}})
	if err != nil || n != 0 {
		t.Fatalf("PutBodies of a gone message = %d, %v", n, err)
	}
	if files := bodyFileNames(t, db); len(files) != 0 {
		t.Errorf("files of a body not stored: %v", files)
	}
}

func TestOrphanSweep(t *testing.T) {
	db := openTest(t)
	box := seedMailbox(t, db, 2)
	live := mustBody(t, db, box, 1, "Subject: a\r\n\r\nlive\r\n")
	liveFile := bodyFileOf(t, db, live)
	// Files a crash left: one old orphan, one young one (maybe still being
	// committed), and a file that is not ours.
	old, err := db.files.write(live, []byte("orphan"))
	if err != nil {
		t.Fatal(err)
	}
	young, err := db.files.write(live, []byte("young"))
	if err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(db.files.dir, "notes.txt")
	os.WriteFile(foreign, []byte("x"), 0o600)
	now := time.Now()
	past := now.Add(-2 * orphanAge)
	for _, n := range []string{old, liveFile} {
		if err := os.Chtimes(filepath.Join(db.files.dir, n), past, past); err != nil {
			t.Fatal(err)
		}
	}
	os.Chtimes(foreign, past, past)
	if err := db.sweepOrphans(now); err != nil {
		t.Fatal(err)
	}
	got := bodyFileNames(t, db)
	want := []string{liveFile, "notes.txt", young}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("after the orphan sweep: %v, want %v", got, want)
	}
	// The marker holds further sweeps off for a day.
	old2, _ := db.files.write(live, []byte("orphan 2"))
	os.Chtimes(filepath.Join(db.files.dir, old2), past, past)
	db.sweepOrphans(now.Add(time.Hour))
	if !slices.Contains(bodyFileNames(t, db), old2) {
		t.Error("a second sweep within a day ran")
	}
	db.sweepOrphans(now.Add(orphanEvery + time.Minute))
	if slices.Contains(bodyFileNames(t, db), old2) {
		t.Error("the sweep a day later did not run")
	}
	if got, err := db.Body(context.Background(), live); err != nil || string(got) != "Subject: a\r\n\r\nlive\r\n" {
		t.Errorf("live body after sweeps: %q %v", got, err)
	}
}

// TestWriteBodyFilesAhead writes a batch's files before PutBodies, as the
// sync engine's pipeline does: PutBodies must not write them again, and
// discarded batches must leave no file behind.
func TestWriteBodyFilesAhead(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	box := seedMailbox(t, db, 4)
	var bodies []Body
	for uid := uint32(1); uid <= 4; uid++ {
		m, err := db.MessageByUID(ctx, box.ID, box.UIDValidity, uid)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, Body{MessageID: m.ID, Raw: []byte("Subject: " + strconv.Itoa(int(uid)) + "\r\n\r\nbody\r\n"), Info: BodyInfo{Text: "body"}})
	}
	kept, dropped := bodies[:2], bodies[2:]
	if err := db.WriteBodyFiles(kept); err != nil {
		t.Fatal(err)
	}
	if err := db.WriteBodyFiles(dropped); err != nil {
		t.Fatal(err)
	}
	if files := bodyFileNames(t, db); len(files) != 4 {
		t.Fatalf("files after writing ahead: %v, want 4", files)
	}
	db.DiscardBodyFiles(dropped)
	ahead := []string{kept[0].file, kept[1].file}
	if n, err := db.PutBodies(ctx, kept); err != nil || n != 2 {
		t.Fatalf("PutBodies = %d, %v", n, err)
	}
	files := bodyFileNames(t, db)
	if len(files) != 2 || !slices.Contains(files, ahead[0]) || !slices.Contains(files, ahead[1]) {
		t.Fatalf("files %v, want only the two written ahead %v", files, ahead)
	}
	for i, b := range kept {
		if got := bodyFileOf(t, db, b.MessageID); got != ahead[i] {
			t.Errorf("body %d names file %q, want the one written ahead %q", b.MessageID, got, ahead[i])
		}
		if raw, err := db.Body(ctx, b.MessageID); err != nil || !bytes.Equal(raw, b.Raw) {
			t.Errorf("body %d reads back %q, %v", b.MessageID, raw, err)
		}
	}
	// Discarding after a commit must not touch the files the rows own.
	db.DiscardBodyFiles(kept)
	if files := bodyFileNames(t, db); len(files) != 2 {
		t.Fatalf("a discard after PutBodies removed stored files: %v", files)
	}
}
