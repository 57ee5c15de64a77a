package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

// checkCounts compares every mailbox's kept counts with a count of its rows.
func checkCounts(t *testing.T, db *DB, account, step string) {
	t.Helper()
	ctx := context.Background()
	boxes, err := db.Mailboxes(ctx, account)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range boxes {
		var stored, shown, unread int
		err := db.r.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(hidden = 0), 0), coalesce(sum(hidden = 0 AND seen = 0), 0)
			FROM messages WHERE mailbox_id = ?`, b.ID).Scan(&stored, &shown, &unread)
		if err != nil {
			t.Fatal(err)
		}
		if b.Total != shown || b.Unread != unread {
			t.Fatalf("%s: %s has total %d unread %d, its rows say %d and %d", step, b.Name, b.Total, b.Unread, shown, unread)
		}
		nStored, err := db.CountStored(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		nShown, err := db.CountMessages(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if nStored != stored || nShown != shown {
			t.Fatalf("%s: %s counts %d stored and %d shown, its rows say %d and %d", step, b.Name, nStored, nShown, stored, shown)
		}
	}
}

// TestMailboxCountsFollowEveryChange drives every kind of change a message
// row sees (new mail, server flag changes, local read/unread, moves and
// their reverts, copies, expunges, a UIDVALIDITY reset) and checks after
// each that the counts kept by triggers equal a fresh count.
func TestMailboxCountsFollowEveryChange(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	inbox := seedMailbox(t, db, 40)
	checkCounts(t, db, "acct", "seeded")
	boxes, _ := db.Mailboxes(ctx, "acct")
	var archive Mailbox
	for _, b := range boxes {
		if b.Role == RoleArchive {
			archive = b
		}
	}
	if inbox.Total == 0 {
		t.Fatal("seeded inbox reads as empty")
	}

	// Server flag changes: half the messages flip \Seen.
	var ups []FlagUpdate
	for uid := uint32(1); uid <= 40; uid += 2 {
		ups = append(ups, FlagUpdate{UID: uid, Flags: []string{FlagSeen, FlagFlagged}, ModSeq: 9})
	}
	if _, err := db.UpdateFlags(ctx, inbox.ID, 7, ups); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, db, "acct", "server flags")
	// \Deleted from the server hides a message.
	if _, err := db.UpdateFlags(ctx, inbox.ID, 7, []FlagUpdate{{UID: 4, Flags: []string{`\Deleted`}, ModSeq: 10}}); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, db, "acct", "deleted flag")

	// Local actions: read and unread, move, copy, expunge, and reverts.
	r := rand.New(rand.NewPCG(1, 2))
	var moved []Action
	for i := 0; i < 60; i++ {
		uid := uint32(r.IntN(40) + 1)
		m, err := db.MessageByUID(ctx, inbox.ID, 7, uid)
		if err != nil {
			continue
		}
		switch i % 5 {
		case 0:
			_, err = db.SetFlag(ctx, m.ID, FlagSeen, true)
		case 1:
			_, err = db.SetFlag(ctx, m.ID, FlagSeen, false)
		case 2:
			_, err = db.Move(ctx, m.ID, archive.ID)
		case 3:
			_, err = db.Copy(ctx, m.ID, archive.ID)
		case 4:
			_, err = db.Expunge(ctx, m.ID)
		}
		if err != nil && err != ErrNotFound {
			t.Fatalf("step %d: %v", i, err)
		}
		checkCounts(t, db, "acct", fmt.Sprintf("local action %d", i))
	}
	acts, err := db.PendingActions(ctx, "acct")
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range acts {
		if a.Kind == ActionMove || a.Kind == ActionExpunge {
			moved = append(moved, a)
		}
		if i%2 == 0 {
			if _, err := db.ActionFailed(ctx, a); err != nil && err != ErrNotFound {
				t.Fatal(err)
			}
		} else if err := db.ActionDone(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		checkCounts(t, db, "acct", "action settled")
	}
	if len(moved) == 0 {
		t.Fatal("the random actions made no move or expunge: the test checks nothing about hiding")
	}

	// The server expunges some, then a new UIDVALIDITY drops the rest.
	if err := db.DeleteUIDs(ctx, inbox.ID, 7, []uint32{1, 2, 3, 5, 8, 13}); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, db, "acct", "expunged")
	if err := db.ResetMailbox(ctx, inbox.ID, 8); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, db, "acct", "uidvalidity reset")
	if b, _ := db.Mailbox(ctx, inbox.ID); b.Total != 0 || b.Unread != 0 {
		t.Fatalf("after a reset the inbox reads %d/%d", b.Total, b.Unread)
	}
	// The folder list from the server drops Archive: its rows go, and so
	// does the account at the end, without a negative count anywhere.
	if _, err := db.SetMailboxes(ctx, "acct", []Mailbox{{Name: "INBOX", Role: RoleInbox, Selectable: true}}); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, db, "acct", "folder removed")
	if err := db.DeleteAccount(ctx, "acct"); err != nil {
		t.Fatal(err)
	}
}

// oldStore creates the database of a store at path as the first version
// migrations left it, runs fill on it, and returns it open for a test to
// fill further; upgraded then opens it as the store.
func oldStore(t *testing.T, path string, version int, fill ...string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range migrations[:version] {
		if _, err := raw.Exec(m); err != nil {
			t.Fatalf("migration %d: %v", i+1, err)
		}
	}
	if _, err := raw.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, version)); err != nil {
		t.Fatal(err)
	}
	for _, q := range fill {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return raw
}

// upgraded closes raw, the database oldStore made at path, and opens it as
// the store, which applies the later migrations; the store is closed when
// t ends.
func upgraded(t *testing.T, raw *sql.DB, path string) *DB {
	t.Helper()
	raw.Close()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestMailboxCountsMigration opens a store written before the counts were
// kept and checks that the migration fills them from the rows.
func TestMailboxCountsMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tern.db")
	raw := oldStore(t, path, 5,
		`INSERT INTO mailboxes (id, account, name) VALUES (1, 'a', 'INBOX'), (2, 'a', 'Archive')`,
		`INSERT INTO messages (account, mailbox_id, uidvalidity, uid, seen, hidden) VALUES
			('a', 1, 1, 1, 0, 0), ('a', 1, 1, 2, 1, 0), ('a', 1, 1, 3, 0, 1), ('a', 2, 1, 1, 0, 0)`,
	)
	db := upgraded(t, raw, path)
	checkCounts(t, db, "a", "migrated")
	b, _ := db.Mailbox(context.Background(), 1)
	if b.Total != 2 || b.Unread != 1 {
		t.Fatalf("migrated INBOX reads %d/%d, want 2/1", b.Total, b.Unread)
	}
}

// BenchmarkMailboxRead100k reads one mailbox of 100,000 messages, as every
// sync pass and folder refresh does.
func BenchmarkMailboxRead100k(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "tern.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	boxes, _ := db.SetMailboxes(ctx, "a", []Mailbox{{Name: "INBOX", Selectable: true}})
	uid := uint32(0)
	for i := 0; i < 200; i++ {
		batch := make([]Message, 500)
		for j := range batch {
			uid++
			batch[j] = Message{UIDValidity: 1, UID: uid, Subject: "A subject line of usual length",
				InternalDate: time.Unix(int64(uid), 0), Flags: []string{FlagSeen}}
		}
		if err := db.PutMessages(ctx, "a", boxes[0].ID, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := db.Mailbox(ctx, boxes[0].ID); err != nil {
			b.Fatal(err)
		}
	}
}
