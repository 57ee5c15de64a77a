package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "tern.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func seedMailbox(t *testing.T, db *DB, n int) Mailbox {
	t.Helper()
	ctx := context.Background()
	boxes, err := db.SetMailboxes(ctx, "acct", []Mailbox{
		{Name: "INBOX", Role: RoleInbox, Selectable: true, Subscribed: true},
		{Name: "Archive", Role: RoleArchive, Selectable: true},
		{Name: "Projects/Tern", Delim: "/", Selectable: true},
		{Name: "Sent", Role: RoleSent, Selectable: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	inbox := boxes[0]
	if inbox.Name != "INBOX" {
		t.Fatalf("first mailbox = %q, want INBOX", inbox.Name)
	}
	if err := db.SetSyncState(ctx, inbox.ID, SyncState{UIDValidity: 7, UIDNext: uint32(n + 1)}); err != nil {
		t.Fatal(err)
	}
	var msgs []Message
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		m := Message{UIDValidity: 7, UID: uint32(i), InternalDate: base.Add(time.Duration(i) * time.Hour),
			Subject: fmt.Sprintf("Message %d über Käse", i), From: []Address{{Name: "José Müller", Email: fmt.Sprintf("jose%d@example.test", i)}}}
		if i%2 == 0 {
			m.Flags = []string{FlagSeen}
		}
		msgs = append(msgs, m)
	}
	if err := db.PutMessages(ctx, "acct", inbox.ID, msgs); err != nil {
		t.Fatal(err)
	}
	inbox, err = db.Mailbox(ctx, inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	return inbox
}

func TestMailboxesOrderAndCounts(t *testing.T) {
	db := openTest(t)
	inbox := seedMailbox(t, db, 10)
	if inbox.Total != 10 || inbox.Unread != 5 {
		t.Fatalf("inbox counts = %d/%d, want 10/5", inbox.Total, inbox.Unread)
	}
	boxes, err := db.Mailboxes(context.Background(), "acct")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range boxes {
		names = append(names, b.Name)
	}
	want := []string{"INBOX", "Sent", "Archive", "Projects/Tern"}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Fatalf("order = %v, want %v", names, want)
	}
	if boxes[3].Leaf() != "Tern" || boxes[3].Depth() != 1 {
		t.Fatalf("leaf/depth = %q/%d", boxes[3].Leaf(), boxes[3].Depth())
	}
	// A mailbox that vanished from the server goes, with its messages.
	if _, err := db.SetMailboxes(context.Background(), "acct", []Mailbox{{Name: "Sent", Role: RoleSent, Selectable: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Message(context.Background(), 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("message of a removed mailbox: err = %v, want ErrNotFound", err)
	}
}

func TestMessagesPageNewestFirst(t *testing.T) {
	db := openTest(t)
	inbox := seedMailbox(t, db, 25)
	ctx := context.Background()
	page, err := db.Messages(ctx, inbox.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 10 || page[0].UID != 25 || page[9].UID != 16 {
		t.Fatalf("first page UIDs %d..%d (len %d), want 25..16", page[0].UID, page[len(page)-1].UID, len(page))
	}
	page, _ = db.Messages(ctx, inbox.ID, 20, 10)
	if len(page) != 5 || page[4].UID != 1 {
		t.Fatalf("last page len %d", len(page))
	}
	if page[0].From[0].Name != "José Müller" || page[0].Subject != "Message 5 über Käse" {
		t.Fatalf("round trip lost data: %+v", page[0])
	}
}

func TestPutMessagesKeepsBodyAndUpdates(t *testing.T) {
	db := openTest(t)
	inbox := seedMailbox(t, db, 3)
	ctx := context.Background()
	m, err := db.MessageByUID(ctx, inbox.ID, 7, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutBody(ctx, m.ID, []byte("Subject: x\r\n\r\nhello zebra"), BodyInfo{Text: "hello zebra", Preview: "hello zebra"}); err != nil {
		t.Fatal(err)
	}
	// The same message again from the server, with new flags.
	again := m
	again.Flags = []string{FlagSeen, FlagFlagged}
	if err := db.PutMessages(ctx, "acct", inbox.ID, []Message{again}); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Message(ctx, m.ID)
	if !got.HasBody || got.Preview != "hello zebra" || !got.Seen() || !got.Flagged() {
		t.Fatalf("after re-put: %+v", got)
	}
	raw, err := db.Body(ctx, m.ID)
	if err != nil || string(raw) != "Subject: x\r\n\r\nhello zebra" {
		t.Fatalf("body = %q, %v", raw, err)
	}
	// A local change waiting for replay wins over the flags of a re-put.
	if _, err := db.SetFlag(ctx, m.ID, FlagFlagged, false); err != nil {
		t.Fatal(err)
	}
	if err := db.PutMessages(ctx, "acct", inbox.ID, []Message{again}); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Message(ctx, m.ID); got.Flagged() || !got.Seen() {
		t.Fatalf("a re-put overwrote a pending local change: %v", got.Flags)
	}
	// Full-text search finds the body, the subject and the sender.
	for _, q := range []string{"zebra", "Kase", "müller", "jose1"} {
		res, err := db.Search(ctx, "acct", q, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) == 0 {
			t.Errorf("search %q found nothing", q)
		}
	}
	res, _ := db.Search(ctx, "acct", "zebra", 10)
	if len(res) != 1 || res[0].ID != m.ID {
		t.Fatalf("search zebra = %d results", len(res))
	}
	// Hostile query syntax is taken as words.
	if _, err := db.Search(ctx, "", `"unbalanced AND (OR NEAR`, 10); err != nil {
		t.Fatalf("search with FTS syntax: %v", err)
	}
}

func TestFlagUpdatesAndExpunge(t *testing.T) {
	db := openTest(t)
	inbox := seedMailbox(t, db, 5)
	ctx := context.Background()
	n, err := db.UpdateFlags(ctx, inbox.ID, 7, []FlagUpdate{{UID: 1, Flags: []string{FlagSeen}}, {UID: 2, Flags: []string{FlagSeen}}, {UID: 99, Flags: nil}})
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("changed = %d, want 1 (UID 2 was already seen, 99 unknown)", n)
	}
	if err := db.DeleteUIDs(ctx, inbox.ID, 7, []uint32{3, 4}); err != nil {
		t.Fatal(err)
	}
	uids, _ := db.UIDs(ctx, inbox.ID, 7)
	if fmt.Sprint(uids) != "[1 2 5]" {
		t.Fatalf("uids = %v", uids)
	}
	if err := db.ResetMailbox(ctx, inbox.ID, 8); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountMessages(ctx, inbox.ID); n != 0 {
		t.Fatalf("after reset: %d messages", n)
	}
	b, _ := db.Mailbox(ctx, inbox.ID)
	if b.UIDValidity != 8 || b.UIDNext != 0 {
		t.Fatalf("after reset: %+v", b)
	}
}

func TestPendingActionsApplyRevertAndShield(t *testing.T) {
	db := openTest(t)
	inbox := seedMailbox(t, db, 3)
	ctx := context.Background()
	m, _ := db.MessageByUID(ctx, inbox.ID, 7, 1) // unseen
	got, err := db.SetFlag(ctx, m.ID, FlagSeen, true)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Seen() {
		t.Fatal("SetFlag did not apply locally")
	}
	acts, _ := db.PendingActions(ctx, "acct")
	if len(acts) != 1 || acts[0].Kind != ActionAddFlag || acts[0].UID != 1 || acts[0].Mailbox != "INBOX" {
		t.Fatalf("pending = %+v", acts)
	}
	// Setting it again records nothing.
	db.SetFlag(ctx, m.ID, FlagSeen, true)
	if acts, _ := db.PendingActions(ctx, "acct"); len(acts) != 1 {
		t.Fatalf("duplicate action recorded: %d", len(acts))
	}
	// A server sync that still says unseen must not undo the local change.
	db.UpdateFlags(ctx, inbox.ID, 7, []FlagUpdate{{UID: 1, Flags: nil}})
	if got, _ := db.Message(ctx, m.ID); !got.Seen() {
		t.Fatal("server flags overwrote a pending local change")
	}
	// The server refuses: the change is reverted.
	got, err = db.ActionFailed(ctx, acts[0])
	if err != nil {
		t.Fatal(err)
	}
	if got.Seen() {
		t.Fatal("failed action was not reverted")
	}
	if acts, _ := db.PendingActions(ctx, "acct"); len(acts) != 0 {
		t.Fatalf("failed action still pending")
	}
	// Done removes it and lets server flags through again.
	db.SetFlag(ctx, m.ID, FlagFlagged, true)
	acts, _ = db.PendingActions(ctx, "acct")
	db.ActionDone(ctx, acts[0].ID)
	db.UpdateFlags(ctx, inbox.ID, 7, []FlagUpdate{{UID: 1, Flags: []string{FlagAnswered}}})
	if got, _ := db.Message(ctx, m.ID); got.Flagged() || !got.HasFlag(FlagAnswered) {
		t.Fatalf("server flags after replay: %v", got.Flags)
	}
}

func TestPersistsAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tern.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	boxes, _ := db.SetMailboxes(ctx, "a", []Mailbox{{Name: "INBOX", Role: RoleInbox, Selectable: true}})
	db.PutMessages(ctx, "a", boxes[0].ID, []Message{{UIDValidity: 1, UID: 1, Subject: "kept"}})
	m, _ := db.MessageByUID(ctx, boxes[0].ID, 1, 1)
	db.SetFlag(ctx, m.ID, FlagSeen, true)
	db.Close()
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Message(ctx, m.ID)
	if err != nil || got.Subject != "kept" || !got.Seen() {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
	if acts, _ := db.PendingActions(ctx, "a"); len(acts) != 1 {
		t.Fatalf("pending actions lost across restart: %d", len(acts))
	}
	if err := db.DeleteAccount(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if b, _ := db.Mailboxes(ctx, "a"); len(b) != 0 {
		t.Fatal("account data left after DeleteAccount")
	}
}

func TestConcurrentReadersAndWriter(t *testing.T) {
	db := openTest(t)
	inbox := seedMailbox(t, db, 50)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, err := db.Messages(ctx, inbox.ID, 0, 20); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 51; i < 150; i++ {
			if err := db.PutMessages(ctx, "acct", inbox.ID, []Message{{UIDValidity: 7, UID: uint32(i)}}); err != nil {
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n, _ := db.CountMessages(ctx, inbox.ID); n != 149 {
		t.Fatalf("count = %d, want 149", n)
	}
}

func BenchmarkPutMessages(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "tern.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	boxes, _ := db.SetMailboxes(ctx, "a", []Mailbox{{Name: "INBOX", Selectable: true}})
	b.ResetTimer()
	uid := uint32(0)
	for i := 0; i < b.N; i++ {
		batch := make([]Message, 500)
		for j := range batch {
			uid++
			batch[j] = Message{UIDValidity: 1, UID: uid, Subject: "A subject line of usual length", From: []Address{{Name: "Some One", Email: "some@example.com"}},
				InternalDate: time.Unix(int64(uid), 0)}
		}
		if err := db.PutMessages(ctx, "a", boxes[0].ID, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/msg")
}

func TestMoveHidesAndRevert(t *testing.T) {
	db := openTest(t)
	inbox := seedMailbox(t, db, 5)
	ctx := context.Background()
	boxes, _ := db.Mailboxes(ctx, "acct")
	var archive Mailbox
	for _, b := range boxes {
		if b.Role == RoleArchive {
			archive = b
		}
	}
	m, _ := db.MessageByUID(ctx, inbox.ID, 7, 1) // unseen
	if _, err := db.Move(ctx, m.ID, archive.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountMessages(ctx, inbox.ID); n != 4 {
		t.Fatalf("shown %d, want 4", n)
	}
	if n, _ := db.CountStored(ctx, inbox.ID); n != 5 {
		t.Fatalf("stored %d, want 5", n)
	}
	if b, _ := db.Mailbox(ctx, inbox.ID); b.Unread != 2 {
		t.Fatalf("unread %d, want 2 (the hidden one does not count)", b.Unread)
	}
	if _, err := db.Move(ctx, m.ID, archive.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("moving a hidden message again: %v", err)
	}
	acts, _ := db.PendingActions(ctx, "acct")
	if len(acts) != 1 || acts[0].Kind != ActionMove || acts[0].Arg != "Archive" {
		t.Fatalf("pending = %+v", acts)
	}
	if _, err := db.ActionFailed(ctx, acts[0]); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountMessages(ctx, inbox.ID); n != 5 {
		t.Fatalf("after revert shown %d, want 5", n)
	}
	if _, err := db.Move(ctx, m.ID, inbox.ID); err == nil {
		t.Fatal("move into its own folder accepted")
	}
}

// fillAccount stores a row for account in every per-account table: a
// mailbox, a message with a body (and so the full-text index and the
// addresses it names), a pending action, an outbox message and a draft
// with an attachment.
func fillAccount(t *testing.T, db *DB, account string) {
	t.Helper()
	ctx := context.Background()
	boxes, err := db.SetMailboxes(ctx, account, []Mailbox{{Name: "INBOX", Role: RoleInbox, Selectable: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutMessages(ctx, account, boxes[0].ID, []Message{{UIDValidity: 1, UID: 1, Subject: "hello " + account,
		From: []Address{{Name: "Ann", Email: "ann@" + account + ".test"}}, To: []Address{{Email: "bob@" + account + ".test"}}}}); err != nil {
		t.Fatal(err)
	}
	m, err := db.MessageByUID(ctx, boxes[0].ID, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutBody(ctx, m.ID, []byte("Subject: hello\r\n\r\nbody\r\n"), BodyInfo{Text: "body words " + account}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetFlag(ctx, m.ID, FlagSeen, true); err != nil {
		t.Fatal(err)
	}
	if _, err := db.QueueOutbox(ctx, NewOutbox{Account: account, From: "ann@" + account + ".test", Rcpts: []string{"bob@example.test"},
		Raw: []byte("Subject: out\r\n\r\nx\r\n")}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveDraft(ctx, &Draft{Account: account, Subject: "draft " + account,
		Attachments: []DraftFile{{Filename: "a.txt", Data: []byte("file")}}}, true); err != nil {
		t.Fatal(err)
	}
	if err := db.SetFullPass(ctx, account, time.Now(), time.Second); err != nil {
		t.Fatal(err)
	}
}

// tableCounts returns the row count of every table of the schema (FTS5's
// own shadow tables left out; the index itself is counted). body_trash is
// left out too: it is a queue, empty at rest (see bodyFileNames).
func tableCounts(t *testing.T, db *DB) map[string]int {
	t.Helper()
	rows, err := db.w.Query(`SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'messages_fts_%' AND name <> 'body_trash'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	out := map[string]int{}
	for _, n := range names {
		var c int
		q := `SELECT count(*) FROM "` + n + `"`
		if n == "messages_fts" {
			// A contentless index counts its documents in docsize.
			q = `SELECT count(*) FROM messages_fts_docsize`
		}
		if err := db.w.QueryRow(q).Scan(&c); err != nil {
			t.Fatalf("count %s: %v", n, err)
		}
		out[n] = c
	}
	return out
}

func TestDeleteAccountLeavesNothing(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	fillAccount(t, db, "gone")
	only := tableCounts(t, db)
	for table, n := range only {
		// A table this test does not fill is a table DeleteAccount may
		// forget: fill it in fillAccount and delete it in DeleteAccount.
		if n == 0 {
			t.Errorf("table %s has no row for the account: extend fillAccount (and check DeleteAccount)", table)
		}
	}
	fillAccount(t, db, "kept")
	if err := db.DeleteAccount(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	after := tableCounts(t, db)
	for table, n := range after {
		if n != only[table] {
			t.Errorf("table %s: %d rows after deleting one of two equal accounts, want %d (the other account's)", table, n, only[table])
		}
	}
	for _, table := range []string{"mailboxes", "messages", "pending_actions", "outbox", "addresses", "drafts"} {
		var n int
		if err := db.w.QueryRow(`SELECT count(*) FROM ` + table + ` WHERE account = 'gone'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d rows of the removed account left (%v)", table, n, err)
		}
	}
	if got, err := db.RecentAddresses(ctx, "gone", "", 10); err != nil || len(got) != 0 {
		t.Errorf("addresses of the removed account: %v %v", got, err)
	}
	if got, err := db.Drafts(ctx, "gone"); err != nil || len(got) != 0 {
		t.Errorf("drafts of the removed account: %v %v", got, err)
	}
	if got, err := db.Search(ctx, "", "words", 10); err != nil || len(got) != 1 || got[0].Account != "kept" {
		t.Errorf("search after delete: %v %v", got, err)
	}
	// The removed account's body file goes too; the kept one's stays.
	files := waitBodyFiles(t, db, 1)
	kept, err := db.Messages(ctx, mustMailbox(t, db, "kept").ID, 0, 1)
	if err != nil || len(kept) != 1 {
		t.Fatal(kept, err)
	}
	if live := bodyFileOf(t, db, kept[0].ID); len(files) != 1 || files[0] != live {
		t.Errorf("body files after delete: %v, want only the kept account's %s", files, live)
	}
}
