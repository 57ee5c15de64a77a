package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
		if d.Type().IsRegular() && d.Name() != sweptMarker && d.Name() != lockName {
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

// writeOrphan writes a pack of one body for message id that no row names,
// as a crash before the commit leaves, and returns its name.
func writeOrphan(t *testing.T, db *DB, id int64, raw string) string {
	t.Helper()
	b := []Body{{MessageID: id, Raw: []byte(raw)}}
	if err := db.files.writePack(b); err != nil {
		t.Fatal(err)
	}
	return b[0].file
}

func TestOrphanSweep(t *testing.T) {
	db := openTest(t)
	box := seedMailbox(t, db, 2)
	live := mustBody(t, db, box, 1, "Subject: a\r\n\r\nlive\r\n")
	liveFile := bodyFileOf(t, db, live)
	// Files a crash left: one old orphan, one young one (maybe still being
	// committed), and a file that is not ours.
	old := writeOrphan(t, db, live, "orphan")
	young := writeOrphan(t, db, live, "young")
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
	old2 := writeOrphan(t, db, live, "orphan 2")
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
	if files := bodyFileNames(t, db); len(files) != 2 {
		t.Fatalf("files after writing two batches ahead: %v, want a pack each", files)
	}
	db.DiscardBodyFiles(dropped)
	ahead := kept[0].file
	if kept[1].file != ahead {
		t.Fatalf("one batch went to two packs: %q, %q", ahead, kept[1].file)
	}
	if n, err := db.PutBodies(ctx, kept); err != nil || n != 2 {
		t.Fatalf("PutBodies = %d, %v", n, err)
	}
	if files := bodyFileNames(t, db); !slices.Equal(files, []string{ahead}) {
		t.Fatalf("files %v, want only the pack written ahead %v", files, ahead)
	}
	for _, b := range kept {
		if got := bodyFileOf(t, db, b.MessageID); got != ahead {
			t.Errorf("body %d names file %q, want the pack written ahead %q", b.MessageID, got, ahead)
		}
		if raw, err := db.Body(ctx, b.MessageID); err != nil || !bytes.Equal(raw, b.Raw) {
			t.Errorf("body %d reads back %q, %v", b.MessageID, raw, err)
		}
	}
	// Discarding after a commit must not touch the files the rows own.
	db.DiscardBodyFiles(kept)
	if files := bodyFileNames(t, db); len(files) != 1 {
		t.Fatalf("a discard after PutBodies removed stored files: %v", files)
	}
}

// putBatch stores a body of size bytes for each of uids of box in one
// PutBodies call (one pack) and returns the bodies by UID.
func putBatch(t *testing.T, db *DB, box Mailbox, size int, uids ...uint32) map[uint32]Body {
	t.Helper()
	ctx := context.Background()
	var bodies []Body
	for _, uid := range uids {
		m, err := db.MessageByUID(ctx, box.ID, box.UIDValidity, uid)
		if err != nil {
			t.Fatal(err)
		}
		head := "Subject: " + strconv.Itoa(int(uid)) + "\r\n\r\n"
		raw := head + strings.Repeat(string(rune('a'+uid%26)), max(size-len(head), 1))
		bodies = append(bodies, Body{MessageID: m.ID, Raw: []byte(raw), Info: BodyInfo{Text: raw[len(head):]}})
	}
	if n, err := db.PutBodies(ctx, bodies); err != nil || n != len(bodies) {
		t.Fatalf("PutBodies = %d, %v", n, err)
	}
	out := map[uint32]Body{}
	for i, uid := range uids {
		out[uid] = bodies[i]
	}
	return out
}

// checkBodies reads every body of want back and compares it.
func checkBodies(t *testing.T, db *DB, want map[uint32]Body) {
	t.Helper()
	for uid, b := range want {
		raw, err := db.Body(context.Background(), b.MessageID)
		if err != nil || !bytes.Equal(raw, b.Raw) {
			t.Errorf("body of UID %d: %d bytes, %v; want the %d stored", uid, len(raw), err, len(b.Raw))
		}
	}
}

// TestBodyPackKeptUntilItsLastBodyGoes stores a batch as one pack and
// checks that each body reads back from its place, and that the file stays
// while any row names it and goes with the last one, whichever way the
// rows go (expunge, replaced body, folder reset).
func TestBodyPackKeptUntilItsLastBodyGoes(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	box := seedMailbox(t, db, 4)
	bodies := putBatch(t, db, box, 3000, 1, 2, 3, 4)
	files := waitBodyFiles(t, db, 1)
	checkBodies(t, db, bodies)
	if err := db.DeleteUIDs(ctx, box.ID, box.UIDValidity, []uint32{1, 3}); err != nil {
		t.Fatal(err)
	}
	delete(bodies, 1)
	delete(bodies, 3)
	if got := waitBodyFiles(t, db, 1); got[0] != files[0] {
		t.Fatalf("files %v after two of four bodies went, want the pack %s", got, files[0])
	}
	checkBodies(t, db, bodies)
	// A replaced body moves to a pack of its own; the old pack still holds UID 4.
	if err := db.PutBody(ctx, bodies[2].MessageID, []byte("Subject: new\r\n\r\nnew\r\n"), BodyInfo{}); err != nil {
		t.Fatal(err)
	}
	if got := waitBodyFiles(t, db, 2); !slices.Contains(got, files[0]) {
		t.Fatalf("files %v: the pack that still holds UID 4 went", got)
	}
	checkBodies(t, db, map[uint32]Body{4: bodies[4]})
	if err := db.ResetMailbox(ctx, box.ID, box.UIDValidity+1); err != nil {
		t.Fatal(err)
	}
	waitBodyFiles(t, db, 0)
}

// TestBodyPackOfPartlyGoneBatch stores a batch one of whose messages is
// gone: the others are stored and read back, and the pack stays.
func TestBodyPackOfPartlyGoneBatch(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	box := seedMailbox(t, db, 2)
	var bodies []Body
	for _, uid := range []uint32{1, 2} {
		m, _ := db.MessageByUID(ctx, box.ID, box.UIDValidity, uid)
		bodies = append(bodies, Body{MessageID: m.ID, Raw: []byte("Subject: x\r\n\r\n" + strconv.Itoa(int(uid)))})
	}
	bodies = slices.Insert(bodies, 1, Body{MessageID: 9999, Raw: []byte("Subject: gone\r\n\r\ngone")})
	want := map[uint32]Body{1: bodies[0], 2: bodies[2]}
	if n, err := db.PutBodies(ctx, bodies); err != nil || n != 2 {
		t.Fatalf("PutBodies = %d, %v; want 2 stored", n, err)
	}
	waitBodyFiles(t, db, 1)
	checkBodies(t, db, want)
}

// TestCompactPacks removes most bodies of one pack and a few of another,
// and checks that compaction rewrites the first alone, that every live
// body still reads back, and that the space of the gone ones is freed.
func TestCompactPacks(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	box := seedMailbox(t, db, 20)
	const size = 100 << 10
	sparse := putBatch(t, db, box, size, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	dense := putBatch(t, db, box, size, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20)
	sparseFile, denseFile := bodyFileOf(t, db, sparse[1].MessageID), bodyFileOf(t, db, dense[11].MessageID)
	gone := []uint32{1, 2, 3, 4, 6, 7, 8, 9, 11, 12}
	if err := db.DeleteUIDs(ctx, box.ID, box.UIDValidity, gone); err != nil {
		t.Fatal(err)
	}
	for _, uid := range gone {
		delete(sparse, uid)
		delete(dense, uid)
	}
	waitBodyFiles(t, db, 2)
	if err := db.compactPacks(); err != nil {
		t.Fatal(err)
	}
	files := waitBodyFiles(t, db, 2)
	if slices.Contains(files, sparseFile) || !slices.Contains(files, denseFile) {
		t.Fatalf("files after compaction %v: want %s rewritten and %s kept", files, sparseFile, denseFile)
	}
	for _, f := range files {
		if f == denseFile {
			continue
		}
		fi, err := os.Stat(filepath.Join(db.files.dir, f))
		if err != nil || fi.Size() != 2*size {
			t.Errorf("compacted pack %s: %v bytes (%v), want the two live bodies' %d", f, fi.Size(), err, 2*size)
		}
		if got := bodyFileOf(t, db, sparse[5].MessageID); got != f || bodyFileOf(t, db, sparse[10].MessageID) != f {
			t.Errorf("live bodies of the sparse pack name %s, want %s", got, f)
		}
	}
	checkBodies(t, db, sparse)
	checkBodies(t, db, dense)
	// Compacting again changes nothing.
	if err := db.compactPacks(); err != nil {
		t.Fatal(err)
	}
	if again := waitBodyFiles(t, db, 2); !slices.Equal(again, files) {
		t.Errorf("a second compaction rewrote %v into %v", files, again)
	}
}

// TestBodyFilesMigration opens a store written before packs (a file a body,
// the old trash triggers, the address trigger) and checks that its bodies
// still read, that a removed one's file still goes while the others stay,
// and that a new message's addresses are counted once, not by both the
// old trigger and PutMessages.
func TestBodyFilesMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tern.db")
	raw := oldStore(t, path, 9,
		`INSERT INTO mailboxes (id, account, name, uidvalidity) VALUES (1, 'acct', 'INBOX', 1)`,
		`INSERT INTO messages (id, account, mailbox_id, uidvalidity, uid, has_body) VALUES (1, 'acct', 1, 1, 1, 1), (2, 'acct', 1, 1, 2, 1), (3, 'acct', 1, 1, 3, 1)`,
	)
	dir := path + "-bodies"
	bodies := map[int64]string{1: "Subject: one\r\n\r\nfirst\r\n", 2: "Subject: two\r\n\r\nsecond body\r\n", 3: "Subject: three\r\n\r\n3\r\n"}
	files := map[int64]string{}
	for id, b := range bodies {
		name := fmt.Sprintf("%02x/%d-%016x", id&0xff, id, id*7919)
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b), 0o600); err != nil {
			t.Fatal(err)
		}
		files[id] = name
	}
	for id, b := range bodies {
		if _, err := raw.Exec(`INSERT INTO bodies (message_id, raw, file, size) VALUES (?, x'', ?, ?)`, id, files[id], len(b)); err != nil {
			t.Fatal(err)
		}
	}
	db := upgraded(t, raw, path)
	ctx := context.Background()
	want := map[uint32]Body{}
	for id, b := range bodies {
		want[uint32(id)] = Body{MessageID: id, Raw: []byte(b)}
	}
	checkBodies(t, db, want)
	if err := db.DeleteUIDs(ctx, 1, 1, []uint32{2}); err != nil {
		t.Fatal(err)
	}
	left := waitBodyFiles(t, db, 2)
	if !slices.Equal(left, []string{files[1], files[3]}) {
		t.Fatalf("files %v, want %s and %s", left, files[1], files[3])
	}
	delete(want, 2)
	checkBodies(t, db, want)
	if err := db.PutMessages(ctx, "acct", 1, []Message{{UIDValidity: 1, UID: 9, Date: time.Now(),
		From: []Address{{Name: "Nina", Email: "nina@example.test"}}}}); err != nil {
		t.Fatal(err)
	}
	got, err := db.RecentAddresses(ctx, "acct", "nina", 10)
	if err != nil || len(got) != 1 || got[0].Uses != 1 {
		t.Fatalf("nina after one message: %+v, %v; want 1 use", got, err)
	}
}

// TestBodyPackDirectAndBuffered writes a pack big enough to go around the
// page cache, with bodies whose lengths are no multiple of a block, and
// the same pack through the page cache: both read back byte for byte, and
// neither file keeps the padding a direct write needs.
func TestBodyPackDirectAndBuffered(t *testing.T) {
	for _, buffered := range []bool{false, true} {
		t.Run(fmt.Sprintf("buffered=%v", buffered), func(t *testing.T) {
			db := openTest(t)
			db.files.noDirect.Store(buffered)
			ctx := context.Background()
			seedMailbox(t, db, 40)
			msgs, err := db.MissingBodies(ctx, "acct", time.Time{}, 40)
			if err != nil || len(msgs) != 40 {
				t.Fatalf("MissingBodies = %d, %v", len(msgs), err)
			}
			var bodies []Body
			want := map[int64][]byte{}
			total := 0
			for i, m := range msgs {
				raw := make([]byte, 7001+i*977)
				for j := range raw {
					raw[j] = byte('a' + (i+j)%26)
				}
				bodies = append(bodies, Body{MessageID: m.ID, Raw: raw, Info: BodyInfo{Text: "t"}})
				want[m.ID] = raw
				total += len(raw)
			}
			if total < directMin {
				t.Fatalf("pack of %d bytes is below directMin", total)
			}
			if err := db.WriteBodyFiles(bodies); err != nil {
				t.Fatal(err)
			}
			if n, err := db.PutBodies(ctx, bodies); err != nil || n != len(bodies) {
				t.Fatalf("PutBodies = %d, %v", n, err)
			}
			files := bodyFileNames(t, db)
			if len(files) != 1 {
				t.Fatalf("files %v, want one pack", files)
			}
			fi, err := os.Stat(filepath.Join(db.files.dir, files[0]))
			if err != nil || fi.Size() != int64(total) {
				t.Errorf("pack is %d bytes (%v), want %d", fi.Size(), err, total)
			}
			for id, raw := range want {
				got, err := db.Body(ctx, id)
				if err != nil || !bytes.Equal(got, raw) {
					t.Fatalf("body %d: %d bytes, %v; want the %d written", id, len(got), err, len(raw))
				}
			}
			if !buffered {
				t.Logf("written around the page cache: %v", !db.files.noDirect.Load())
			}
		})
	}
}
