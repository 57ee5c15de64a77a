package imapsync

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// TestSyncInitialAndIncremental syncs the demo mailbox, then syncs
// again with nothing changed (every folder skipped), after another client
// starred a message in Archive (only Archive synced, its one flag change
// found although no message came or went), and after flag changes,
// expunges and a delivery in INBOX.
func TestSyncInitialAndIncremental(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		seed := mailtest.DemoSeed(time.Now())
		f := newFixture(t, p, seed)
		ctx := context.Background()
		e := New(f.st, f.acct, f.opts)
		rep, err := e.SyncOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for name, n := range f.seeded {
			found := false
			for _, fr := range rep.Folders {
				if fr.Name == name {
					found = true
					if fr.Stored != n || fr.ServerTotal != n {
						t.Errorf("%s: stored %d, server %d, seeded %d", name, fr.Stored, fr.ServerTotal, n)
					}
				}
			}
			if !found {
				t.Errorf("folder %s not synced", name)
			}
			f.assertMatches(t, name)
		}
		if rep.Bodies != len(seed) {
			t.Errorf("bodies %d, want %d", rep.Bodies, len(seed))
		}
		inbox, _ := f.st.MailboxByRole(ctx, f.acct.ID, store.RoleInbox)
		if p.condstore() && inbox.ModSeq == 0 {
			t.Error("no HIGHESTMODSEQ recorded from Dovecot (CONDSTORE)")
		}
		if !p.condstore() && inbox.ModSeq != 0 {
			t.Errorf("HIGHESTMODSEQ %d recorded from a server without CONDSTORE", inbox.ModSeq)
		}

		// Nothing changed: every folder is skipped (without CONDSTORE
		// after a UID FETCH of its flags found nothing new).
		rep, err = e.SyncOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, fr := range rep.Folders {
			if !fr.Skipped {
				t.Errorf("%s re-synced with nothing changed", fr.Name)
			}
		}

		// Another device stars a message in Archive: no message comes or
		// goes, UIDNEXT and the count stay, so only HIGHESTMODSEQ (with
		// CONDSTORE) or the flags themselves (without) show the change.
		// The pass must not take Archive for unchanged.
		archive := f.box("Archive")
		_, flags := f.serverState(t, archive) // selects Archive
		var star uint32
		for uid, fl := range flags {
			if !strings.Contains(fl, `\flagged`) && (star == 0 || uid < star) {
				star = uid
			}
		}
		if star == 0 {
			t.Fatal("the seed has no unstarred message in Archive")
		}
		if err := f.other.Store(imap.UIDSetNum(imap.UID(star)), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged}, Silent: true}, nil).Close(); err != nil {
			t.Fatal(err)
		}
		rep, err = e.SyncOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, fr := range rep.Folders {
			if fr.Name == archive {
				if fr.Skipped || fr.FlagUpdates != 1 || fr.New != 0 || fr.Removed != 0 {
					t.Errorf("Archive after another client starred UID %d: %+v", star, fr)
				}
			} else if !fr.Skipped {
				t.Errorf("%s re-synced although only Archive changed", fr.Name)
			}
		}
		f.assertMatches(t, archive)

		// Another device changes flags, expunges, and new mail arrives.
		if _, err := f.other.Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		if err := f.other.Store(imap.SeqSetNum(1, 2, 3), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged, imap.FlagSeen}, Silent: true}, nil).Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.other.Store(imap.SeqSetNum(4), &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: []imap.Flag{imap.FlagSeen}, Silent: true}, nil).Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.other.Store(imap.SeqSetNum(5, 6), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil).Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.other.Expunge().Close(); err != nil {
			t.Fatal(err)
		}
		raw := fmt.Sprintf("From: Bob <bob@example.test>\r\nTo: %s\r\nSubject: Delivered by LMTP\r\nMessage-ID: <lmtp-1@example.test>\r\nDate: %s\r\n\r\nHi.\r\n",
			f.user.Name, time.Now().Format(time.RFC1123Z))
		if err := f.deliver([]byte(raw)); err != nil {
			t.Fatal(err)
		}
		rep, err = e.SyncOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, fr := range rep.Folders {
			if fr.Name == "INBOX" {
				if fr.New != 1 || fr.Removed != 2 || fr.FlagUpdates < 4 {
					t.Errorf("INBOX incremental: %+v", fr)
				}
			} else if !fr.Skipped {
				t.Errorf("%s re-synced although only INBOX changed", fr.Name)
			}
		}
		f.assertMatches(t, "INBOX")
	})
}

func TestSyncDovecotUIDValidityChangeAndLocalActions(t *testing.T) {
	seed := mailtest.DemoSeed(time.Now())
	f := newFixture(t, profileDovecot, seed)
	ctx := context.Background()
	e := New(f.st, f.acct, f.opts)
	if _, err := e.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	// Local actions, made offline, replayed on the next pass.
	inbox, _ := f.st.MailboxByRole(ctx, f.acct.ID, store.RoleInbox)
	msgs, _ := f.st.Messages(ctx, inbox.ID, 0, 5)
	for _, m := range msgs {
		if _, err := f.st.SetFlag(ctx, m.ID, store.FlagFlagged, !m.Flagged()); err != nil {
			t.Fatal(err)
		}
	}
	// The folder "Receipts" is deleted and recreated with other mail: a
	// new UIDVALIDITY.
	oldUV, _ := f.serverState(t, "Receipts")
	if _, err := f.other.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := f.other.Delete("Receipts").Wait(); err != nil {
		t.Fatal(err)
	}
	if err := f.other.Create("Receipts", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	raw := "From: Shop <shop@example.test>\r\nSubject: Only receipt\r\nMessage-ID: <r1@example.test>\r\n\r\nThanks.\r\n"
	cmd := f.other.Append("Receipts", int64(len(raw)), nil)
	cmd.Write([]byte(raw))
	cmd.Close()
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	newUV, _ := f.serverState(t, "Receipts")
	if newUV == oldUV {
		t.Skip("Dovecot reused the UIDVALIDITY") // cannot happen with Maildir; guards the test's premise
	}
	rep, err := e.SyncOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Actions != len(msgs) {
		t.Errorf("actions replayed %d, want %d", rep.Actions, len(msgs))
	}
	f.assertMatches(t, "Receipts")
	f.assertMatches(t, "INBOX")
	for _, m := range msgs {
		got, _ := f.st.Message(ctx, m.ID)
		if got.Flagged() == m.Flagged() {
			t.Errorf("UID %d: flag toggle lost", m.UID)
		}
	}
}

// TestSyncMoveDeleteAndRefusal replays moves to Archive and Trash,
// a delete, and a move to a folder the server does not have (refused, and
// undone in the store). On Courier, Archive and Trash are found by their
// names under the prefix, and a move without MOVE is COPY, STORE and
// EXPUNGE.
func TestSyncMoveDeleteAndRefusal(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		seed := mailtest.DemoSeed(time.Now())
		f := newFixture(t, p, seed)
		ctx := context.Background()
		failed := func() []Change { return f.changesOf(ChangeActionFailed) }
		e := New(f.st, f.acct, f.opts)
		if _, err := e.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
		inbox, _ := f.st.MailboxByRole(ctx, f.acct.ID, store.RoleInbox)
		archive, _ := f.st.MailboxByRole(ctx, f.acct.ID, store.RoleArchive)
		trash, _ := f.st.MailboxByRole(ctx, f.acct.ID, store.RoleTrash)
		if archive.Name != f.box("Archive") || trash.Name != f.box("Trash") {
			t.Fatalf("the Archive role is on %q, Trash on %q", archive.Name, trash.Name)
		}
		msgs, _ := f.st.Messages(ctx, inbox.ID, 0, 4)
		inTrash, _ := f.st.Messages(ctx, trash.ID, 0, 1)
		if len(inTrash) == 0 {
			t.Fatal("the seed has nothing in Trash")
		}
		// A folder the store knows but the server does not.
		boxes, _ := f.st.Mailboxes(ctx, f.acct.ID)
		boxes = append(boxes, store.Mailbox{Name: f.box("Ghost"), Selectable: true})
		boxes, _ = f.st.SetMailboxes(ctx, f.acct.ID, boxes)
		var ghost store.Mailbox
		for _, b := range boxes {
			if b.Name == f.box("Ghost") {
				ghost = b
			}
		}
		if _, err := f.st.Move(ctx, msgs[0].ID, archive.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.Move(ctx, msgs[1].ID, trash.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.Expunge(ctx, inTrash[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.Move(ctx, msgs[2].ID, ghost.ID); err != nil {
			t.Fatal(err)
		}
		// Hidden at once, before any network.
		if n, _ := f.st.CountMessages(ctx, inbox.ID); n != f.seeded["INBOX"]-3 {
			t.Fatalf("INBOX shows %d, want %d", n, f.seeded["INBOX"]-3)
		}
		rep, err := e.SyncOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Actions != 3 || len(failed()) != 1 {
			t.Fatalf("replayed %d, failed %d (%v)", rep.Actions, len(failed()), failed())
		}
		if !strings.Contains(failed()[0].Err.Error(), "Ghost") {
			t.Errorf("failure message: %v", failed()[0].Err)
		}
		// The refused move is undone: the message is back in INBOX.
		if got, err := f.st.Message(ctx, msgs[2].ID); err != nil || got.MailboxID != inbox.ID {
			t.Fatalf("refused move not reverted: %+v %v", got, err)
		}
		if n, _ := f.st.CountMessages(ctx, inbox.ID); n != f.seeded["INBOX"]-2 {
			t.Fatalf("INBOX shows %d after replay, want %d", n, f.seeded["INBOX"]-2)
		}
		for _, name := range []string{"INBOX", archive.Name, trash.Name} {
			f.assertMatches(t, name)
		}
		// The moved message arrived in Archive, found by its Message-ID.
		found := false
		arch, _ := f.st.Messages(ctx, archive.ID, 0, 1000)
		for _, m := range arch {
			found = found || m.MessageID == msgs[0].MessageID
		}
		if !found {
			t.Error("moved message not in Archive")
		}
	})
}

// TestSyncFolders creates, renames and deletes a folder through the
// engine, by the names people write ("Projects/Zürich"): on Courier the
// folder is made under the namespace prefix ("INBOX.Projects.Zürich") and
// shown without it. A refusal comes back in words, a bad name never
// reaches the server, and the stored list agrees with the server's.
func TestSyncFolders(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		f := newFixture(t, p, nil)
		ctx := context.Background()
		e := New(f.st, f.acct, f.opts)
		if _, err := e.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
		stored := func() map[string]store.Mailbox {
			boxes, _ := f.st.Mailboxes(ctx, f.acct.ID)
			m := map[string]store.Mailbox{}
			for _, b := range boxes {
				m[b.Name] = b
			}
			return m
		}
		has := func(name string) bool { _, ok := stored()[name]; return ok }
		if err := e.CreateMailbox(ctx, "Projects/Zürich"); err != nil {
			t.Fatal(err)
		}
		zurich, ok := stored()[f.box("Projects/Zürich")]
		if !ok {
			t.Fatalf("created folder not stored as %q: %v", f.box("Projects/Zürich"), stored())
		}
		if zurich.Path() != "Projects/Zürich" || zurich.Leaf() != "Zürich" || zurich.Depth() != 1 {
			t.Errorf("%s is shown as %q (leaf %q, depth %d), want Projects/Zürich", zurich.Name, zurich.Path(), zurich.Leaf(), zurich.Depth())
		}
		if err := e.RenameMailbox(ctx, zurich.Name, "Projects/Bern"); err != nil {
			t.Fatal(err)
		}
		if has(f.box("Projects/Zürich")) || !has(f.box("Projects/Bern")) {
			t.Fatalf("after rename: %v", stored())
		}
		if err := e.DeleteMailbox(ctx, f.box("Projects/Bern")); err != nil {
			t.Fatal(err)
		}
		if has(f.box("Projects/Bern")) {
			t.Fatal("deleted folder still stored")
		}
		// The server's refusal comes back in words; bad names never reach it.
		if err := e.DeleteMailbox(ctx, f.box("No such folder")); err == nil || !strings.Contains(err.Error(), "refused") {
			t.Fatalf("delete missing folder: %v", err)
		}
		if err := e.CreateMailbox(ctx, "bad\r\nname"); err == nil {
			t.Fatal("a name with CR LF was accepted")
		}
		// What the server holds agrees, both ways.
		list, err := f.other.List("", "*", nil).Collect()
		if err != nil {
			t.Fatal(err)
		}
		server := map[string]bool{}
		for _, l := range list {
			server[l.Mailbox] = true
		}
		got := stored()
		for name := range got {
			if !server[name] {
				t.Errorf("stored folder %q not on the server", name)
			}
		}
		for name := range server {
			if _, ok := got[name]; !ok {
				t.Errorf("server folder %q not stored", name)
			}
		}
	})
}

// TestSyncAnotherClientWhileConnected changes flags, moves and
// expunges from a second client while the engine runs: the store follows,
// message by message, without waiting for the poll interval.
func TestSyncAnotherClientWhileConnected(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		seed := mailtest.DemoSeed(time.Now())
		f := newFixture(t, p, seed)
		f.opts.PollInterval = time.Hour
		f.opts.BodiesPerPass = -1
		ctx, cancel := context.WithCancel(context.Background())
		e := New(f.st, f.acct, f.opts)
		done := make(chan struct{})
		go func() { e.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }() // no engine logging after the test, even a failed one
		waitSettled(t, e)

		if _, err := f.other.Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		if err := f.other.Store(imap.SeqSetNum(1, 2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged}, Silent: true}, nil).Close(); err != nil {
			t.Fatal(err)
		}
		matches := func(mailbox string) bool {
			_, want := f.serverState(t, mailbox)
			mb, err := f.st.MailboxByName(context.Background(), f.acct.ID, mailbox)
			if err != nil {
				return false
			}
			msgs, _ := f.st.Messages(context.Background(), mb.ID, 0, 1<<20)
			if len(msgs) != len(want) {
				return false
			}
			for _, m := range msgs {
				if want[m.UID] != flagKey(m.Flags) {
					return false
				}
			}
			return true
		}
		waitFor(t, "flag changes from the other client", func() bool { return matches("INBOX") })
		if _, err := f.other.Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		if _, err := f.other.Move(imap.SeqSetNum(3), f.box("Archive")).Wait(); err != nil {
			t.Fatal(err)
		}
		if err := f.other.Store(imap.SeqSetNum(4), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil).Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.other.Expunge().Close(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the move and the expunge", func() bool { return matches("INBOX") })
		e.Refresh() // Archive is polled; ask for it now rather than in an hour
		waitFor(t, "Archive", func() bool { return matches(f.box("Archive")) })
	})
}

// TestSyncDovecotLargeMessage syncs a 14 MB message among small ones: its
// body arrives whole, in the same FETCH as the others.
func TestSyncDovecotLargeMessage(t *testing.T) {
	f := newFixture(t, profileDovecot, nil)
	big := make([]byte, 14<<20)
	for i := range big {
		big[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i%64]
	}
	var sb strings.Builder
	sb.WriteString("From: Big <big@example.test>\r\nSubject: Big one\r\nMessage-ID: <big@example.test>\r\nMIME-Version: 1.0\r\n")
	sb.WriteString("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b\r\n")
	sb.WriteString("Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for i := 0; i < len(big); i += 76 {
		sb.Write(big[i:min(i+76, len(big))])
		sb.WriteString("\r\n")
	}
	sb.WriteString("--b--\r\n")
	for i, raw := range []string{"From: a@example.test\r\nSubject: small 1\r\n\r\nhi\r\n", sb.String(), "From: a@example.test\r\nSubject: small 2\r\n\r\nhi\r\n"} {
		if err := f.deliver([]byte(raw)); err != nil {
			t.Fatalf("deliver %d: %v", i, err)
		}
	}
	var rep *Report
	var err error
	within(t, 2*time.Minute, "SyncOnce", func() { rep, err = New(f.st, f.acct, f.opts).SyncOnce(context.Background()) })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Bodies != 3 {
		t.Fatalf("bodies %d, want 3", rep.Bodies)
	}
	inbox, _ := f.st.MailboxByRole(context.Background(), f.acct.ID, store.RoleInbox)
	msgs, _ := f.st.Messages(context.Background(), inbox.ID, 0, 10)
	for _, m := range msgs {
		raw, err := f.st.Body(context.Background(), m.ID)
		if err != nil || int64(len(raw)) != m.Size {
			t.Fatalf("%q: body %d bytes, size %d, %v", m.Subject, len(raw), m.Size, err)
		}
		if m.Subject == "Big one" && !m.HasAttachments {
			t.Error("the big message has no attachment flag")
		}
	}
}

// TestSyncDovecotUIDValidityChangeKeepsActions has a second client recreate
// a folder (a new UIDVALIDITY, so every UID changes) holding some of the
// same messages, while actions on them wait in Tern. Each action that still
// applies is replayed on its message's new UID, found by Message-ID; one on
// a message that is gone is reported; a delete of a gone message is done.
// Both orders are covered: replay before Tern noticed the change, and after
// a pass already reset the folder. On both Dovecot profiles (on Courier the
// move is replayed without MOVE); the in-process server is left out, as
// nothing promises it a new UIDVALIDITY for a recreated folder.
func TestSyncDovecotUIDValidityChangeKeepsActions(t *testing.T) {
	forEachDovecot(t, func(t *testing.T, p profile) {
		var seed []mailtest.SeedMessage
		for i := 1; i <= 6; i++ {
			seed = append(seed, mailtest.SeedMessage{Mailbox: "Orders", Date: time.Date(2026, 11, i, 9, 0, 0, 0, time.UTC),
				Raw: []byte(fmt.Sprintf("From: Shop <shop@example.test>\r\nTo: alice@example.test\r\nSubject: Order %d\r\n"+
					"Message-ID: <order-%d@shop.example.test>\r\nDate: Sun, %d Nov 2026 09:00:00 +0000\r\n\r\nOrder %d shipped.\r\n", i, i, i, i))})
		}
		seed = append(seed, mailtest.SeedMessage{Mailbox: "Archive", Raw: []byte("From: a@example.test\r\nSubject: old\r\nMessage-ID: <old@example.test>\r\n\r\nx\r\n")})
		f := newFixture(t, p, seed)
		box := f.box("Orders")
		ctx := context.Background()
		failed := func() []Change { return f.changesOf(ChangeActionFailed) }
		e := New(f.st, f.acct, f.opts)
		if _, err := e.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
		orders, _ := f.st.MailboxByName(ctx, f.acct.ID, box)
		archive, _ := f.st.MailboxByName(ctx, f.acct.ID, f.box("Archive"))
		bySubject := func() map[string]store.Message {
			msgs, _ := f.st.Messages(ctx, orders.ID, 0, 100)
			out := map[string]store.Message{}
			for _, m := range msgs {
				out[m.Subject] = m
			}
			return out
		}
		// recreate deletes the folder on the server and creates it again with
		// the messages whose subjects are in keep, re-appended (new UIDs).
		recreate := func(keep ...string) {
			t.Helper()
			uv, _ := f.serverState(t, box)
			var all imap.SeqSet
			all.AddRange(1, 0)
			bufs, err := f.other.Fetch(all, &imap.FetchOptions{Envelope: true, Flags: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.other.Select("INBOX", nil).Wait(); err != nil {
				t.Fatal(err)
			}
			if err := f.other.Delete(box).Wait(); err != nil {
				t.Fatal(err)
			}
			if err := f.other.Create(box, nil).Wait(); err != nil {
				t.Fatal(err)
			}
			for _, b := range bufs {
				if !slices.Contains(keep, b.Envelope.Subject) {
					continue
				}
				raw := b.FindBodySection(&imap.FetchItemBodySection{Peek: true})
				cmd := f.other.Append(box, int64(len(raw)), &imap.AppendOptions{Flags: b.Flags})
				cmd.Write(raw)
				cmd.Close()
				if _, err := cmd.Wait(); err != nil {
					t.Fatal(err)
				}
			}
			if nuv, _ := f.serverState(t, box); nuv == uv {
				t.Fatalf("the recreated folder kept UIDVALIDITY %d", uv)
			}
		}

		// Actions made offline; the folder is renumbered before Tern is back.
		m := bySubject()
		if _, err := f.st.SetFlag(ctx, m["Order 1"].ID, store.FlagFlagged, true); err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.Move(ctx, m["Order 2"].ID, archive.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.Expunge(ctx, m["Order 3"].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.Expunge(ctx, m["Order 4"].ID); err != nil { // gone on the server too
			t.Fatal(err)
		}
		if _, err := f.st.SetFlag(ctx, m["Order 5"].ID, store.FlagSeen, true); err != nil { // gone: reported
			t.Fatal(err)
		}
		recreate("Order 1", "Order 2", "Order 3", "Order 6")
		rep, err := e.SyncOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Actions != 3 {
			t.Errorf("actions replayed %d, want 3 (flag, move, delete)", rep.Actions)
		}
		if len(failed()) != 1 || !strings.Contains(failed()[0].Err.Error(), "no longer in the folder") {
			t.Errorf("want one failure for the vanished Order 5, got %v", failed())
		}
		f.assertMatches(t, box)
		f.assertMatches(t, archive.Name)
		m = bySubject()
		if len(m) != 2 || !m["Order 1"].Flagged() || m["Order 6"].Flagged() {
			t.Fatalf("after replay %s holds %v, want Order 1 (flagged) and Order 6", box, m)
		}
		if acts, _ := f.st.PendingActions(ctx, f.acct.ID); len(acts) != 0 {
			t.Fatalf("actions left: %+v", acts)
		}

		// A pass resets the folder before the action made meanwhile is
		// replayed: the action must outlive the reset.
		if _, err := f.st.SetFlag(ctx, m["Order 6"].ID, store.FlagFlagged, true); err != nil {
			t.Fatal(err)
		}
		recreate("Order 1", "Order 6")
		newUV, _ := f.serverState(t, box)
		if err := f.st.ResetMailbox(ctx, orders.ID, newUV); err != nil {
			t.Fatal(err)
		}
		if acts, _ := f.st.PendingActions(ctx, f.acct.ID); len(acts) != 1 || acts[0].MessageID != "order-6@shop.example.test" {
			t.Fatalf("after the reset, want the action kept with its Message-ID: %+v", acts)
		}
		if rep, err = e.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if rep.Actions != 1 || len(failed()) != 1 {
			t.Errorf("actions replayed %d (want 1), failures %d (want still 1)", rep.Actions, len(failed()))
		}
		f.assertMatches(t, box)
		if m = bySubject(); !m["Order 6"].Flagged() || !m["Order 1"].Flagged() {
			t.Fatalf("after the second renumbering: %v", m)
		}
	})
}

// TestSyncDovecotSelectedMailbox changes, from another client, the mailbox
// that Tern's worker connection has selected. Dovecot answers a status of
// the selected mailbox from that session's view, which only a command
// updates: a pass must not take it for "unchanged". With INBOX parked on
// the connection, passes find its changes without selecting it again.
func TestSyncDovecotSelectedMailbox(t *testing.T) {
	f := newFixture(t, profileDovecot, mailtest.DemoSeed(time.Now()))
	f.opts.BodiesPerPass = -1
	ctx := context.Background()
	e := New(f.st, f.acct, f.opts)
	cn, err := e.connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cn.close()
	if _, err := e.pass(ctx, cn, true); err != nil {
		t.Fatal(err)
	}
	pass := func(full bool) *Report {
		t.Helper()
		rep, err := e.pass(ctx, cn, full)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	folder := func(rep *Report, name string) FolderReport {
		t.Helper()
		for _, fr := range rep.Folders {
			if fr.Name == name {
				return fr
			}
		}
		t.Fatalf("%s not in the report %+v", name, rep.Folders)
		return FolderReport{}
	}
	deliver := func(mailbox, subject string) {
		t.Helper()
		raw := fmt.Sprintf("From: Bob <bob@example.test>\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n\r\nHi.\r\n",
			f.user.Name, subject, time.Now().Format(time.RFC1123Z))
		cmd := f.other.Append(mailbox, int64(len(raw)), nil)
		cmd.Write([]byte(raw))
		cmd.Close()
		if _, err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	store := func(set imap.NumSet, op imap.StoreFlagsOp, flag imap.Flag) {
		t.Helper()
		if err := f.other.Store(set, &imap.StoreFlags{Op: op, Flags: []imap.Flag{flag}, Silent: true}, nil).Close(); err != nil {
			t.Fatal(err)
		}
	}

	// A folder other than INBOX left selected, as a body fetch or a
	// replayed move leaves it, gets mail from elsewhere.
	if _, err := cn.selectMailbox("Archive", true); err != nil {
		t.Fatal(err)
	}
	deliver("Archive", "Filed from the phone")
	if fr := folder(pass(true), "Archive"); fr.Skipped || fr.New != 1 {
		t.Errorf("Archive after a message was added to it while selected: %+v", fr)
	}
	f.assertMatches(t, "Archive")

	// INBOX parked: flags change, a message goes, one comes.
	if parked, err := e.park(ctx, cn); err != nil || !parked {
		t.Fatalf("park: %v %v", parked, err)
	}
	selects := cn.selects
	if _, err := f.other.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	store(imap.SeqSetNum(1, 2, 3), imap.StoreFlagsAdd, imap.FlagFlagged)
	store(imap.SeqSetNum(4), imap.StoreFlagsDel, imap.FlagSeen)
	store(imap.SeqSetNum(5), imap.StoreFlagsAdd, imap.FlagDeleted)
	if err := f.other.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	deliver("INBOX", "Arrived while parked")
	if fr := folder(pass(true), "INBOX"); fr.New != 1 || fr.Removed != 1 || fr.FlagUpdates < 4 {
		t.Errorf("INBOX full pass: %+v", fr)
	}
	f.assertMatches(t, "INBOX")

	// The pass the idle connection asks for (INBOX only).
	store(imap.SeqSetNum(6, 7), imap.StoreFlagsAdd, imap.FlagAnswered)
	if fr := folder(pass(false), "INBOX"); fr.Skipped || fr.FlagUpdates != 2 {
		t.Errorf("INBOX pass: %+v", fr)
	}
	f.assertMatches(t, "INBOX")
	// And with nothing changed, both kinds skip INBOX.
	for _, full := range []bool{false, true} {
		if fr := folder(pass(full), "INBOX"); !fr.Skipped {
			t.Errorf("INBOX with nothing changed (full %v): %+v", full, fr)
		}
	}
	if cn.selects != selects {
		t.Errorf("%d SELECTs of the parked INBOX, want none", cn.selects-selects)
	}
}
