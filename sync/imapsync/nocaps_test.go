package imapsync

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// TestSyncFlagsFromAnotherClient checks that flags another client changes
// are picked up even when nothing else in the folder changed: through
// HIGHESTMODSEQ on Dovecot, and on the servers without CONDSTORE (Courier,
// the in-process one) through the flags themselves.
func TestSyncFlagsFromAnotherClient(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		f := newFixture(t, p, inboxSeed(10))
		f.opts.BodiesPerPass = -1
		e := New(f.st, f.acct, f.opts)
		ctx := context.Background()
		if _, err := e.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
		inbox, _ := f.st.MailboxByRole(ctx, f.acct.ID, store.RoleInbox)
		msgs, _ := f.st.Messages(ctx, inbox.ID, 0, 2)
		a, b := msgs[0], msgs[1]
		// Another client flips a's \Seen and stars b.
		aFlags := []string{store.FlagSeen}
		if a.Seen() {
			aFlags = nil
		}
		bFlags := append(append([]string(nil), b.Flags...), store.FlagFlagged)
		if b.Flagged() {
			bFlags = []string{store.FlagSeen}
		}
		if _, err := f.other.Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		for _, m := range []struct {
			uid   uint32
			flags []string
		}{{a.UID, aFlags}, {b.UID, bFlags}} {
			flags := []imap.Flag{}
			for _, fl := range m.flags {
				flags = append(flags, imap.Flag(fl))
			}
			if err := f.other.Store(imap.UIDSetNum(imap.UID(m.uid)), &imap.StoreFlags{Op: imap.StoreFlagsSet, Flags: flags, Silent: true}, nil).Close(); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := e.SyncOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, fr := range rep.Folders {
			if fr.Name == "INBOX" && (fr.FlagUpdates != 2 || fr.Skipped) {
				t.Errorf("INBOX report: %+v, want 2 flag updates", fr)
			}
		}
		a2, _ := f.st.Message(ctx, a.ID)
		b2, _ := f.st.Message(ctx, b.ID)
		if a2.Seen() == a.Seen() {
			t.Errorf("a: seen still %v", a2.Seen())
		}
		if b2.Flagged() == b.Flagged() {
			t.Errorf("b: flagged still %v", b2.Flagged())
		}
		// Nothing changed since: the pass reports INBOX unchanged.
		rep, err = e.SyncOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, fr := range rep.Folders {
			if !fr.Skipped || fr.FlagUpdates != 0 {
				t.Errorf("%s after no change: %+v", fr.Name, fr)
			}
		}
	})
}

// TestSyncInprocMoveDeleteWithoutMoveOrUIDPlus replays a move and a delete
// on servers lacking MOVE, or MOVE and UIDPLUS: the messages leave the
// source in the store and stay gone after resyncs (also in a fresh store),
// the moved one is in the target, and no bare EXPUNGE is ever sent.
// In-process only: it drops capabilities that every Dovecot profile has
// (UIDPLUS) and counts the bare EXPUNGEs the server was sent.
func TestSyncInprocMoveDeleteWithoutMoveOrUIDPlus(t *testing.T) {
	for _, tc := range []struct {
		name    string
		without []imap.Cap
	}{
		{"no MOVE", []imap.Cap{imap.CapMove}},
		{"no MOVE nor UIDPLUS", []imap.Cap{imap.CapMove, imap.CapUIDPlus}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newInprocFixture(t, &mailtest.ServerOptions{TLS: true, Seed: mailtest.DemoSeed(time.Now()),
				Mailboxes: mailtest.DemoMailboxes, Without: tc.without})
			f.opts.BodiesPerPass = -1
			e := New(f.st, f.acct, f.opts)
			ctx := context.Background()
			if _, err := e.SyncOnce(ctx); err != nil {
				t.Fatal(err)
			}
			inbox, _ := f.st.MailboxByRole(ctx, f.acct.ID, store.RoleInbox)
			archive, _ := f.st.MailboxByRole(ctx, f.acct.ID, store.RoleArchive)
			msgs, _ := f.st.Messages(ctx, inbox.ID, 0, 2)
			moved, deleted := msgs[0], msgs[1]
			if _, err := f.st.Move(ctx, moved.ID, archive.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := f.st.Expunge(ctx, deleted.ID); err != nil {
				t.Fatal(err)
			}
			check := func(st *store.DB, when string) {
				t.Helper()
				inbox, _ := st.MailboxByRole(ctx, f.acct.ID, store.RoleInbox)
				archive, _ := st.MailboxByRole(ctx, f.acct.ID, store.RoleArchive)
				in := messageIDs(t, st, inbox.ID)
				if in[moved.MessageID] || in[deleted.MessageID] {
					t.Errorf("%s: INBOX still lists moved %v, deleted %v", when, in[moved.MessageID], in[deleted.MessageID])
				}
				if !messageIDs(t, st, archive.ID)[moved.MessageID] {
					t.Errorf("%s: the moved message is not in Archive", when)
				}
				marked := 2 // still on the server, marked \Deleted
				if f.srvHasUIDPlus(tc.without) {
					marked = 0
				}
				if inbox.Total != len(in) || inbox.Total+marked != inbox.ServerTotal {
					t.Errorf("%s: INBOX total %d, listed %d, server %d", when, inbox.Total, len(in), inbox.ServerTotal)
				}
			}
			for i := range 2 {
				rep, err := e.SyncOnce(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 && rep.Actions != 2 {
					t.Fatalf("replayed %d actions, want 2", rep.Actions)
				}
				check(f.st, fmt.Sprintf("pass %d", i+1))
			}
			acts, _ := f.st.PendingActions(ctx, f.acct.ID)
			if len(acts) != 0 || f.changeCount(ChangeActionFailed) != 0 {
				t.Fatalf("pending %d, failed %d", len(acts), f.changeCount(ChangeActionFailed))
			}
			// A fresh store syncing the same server agrees.
			st2 := f.serverView(t)
			check(st2, "fresh store")
			if n := f.srv.BareExpunges(); n != 0 {
				t.Fatalf("%d bare EXPUNGEs sent", n)
			}
			// On the server: gone with UIDPLUS, marked \Deleted without.
			c := f.srv.DialIMAP(t, nil)
			if _, err := c.Select("INBOX", nil).Wait(); err != nil {
				t.Fatal(err)
			}
			got, err := c.Fetch(imap.UIDSetNum(imap.UID(moved.UID), imap.UID(deleted.UID)), &imap.FetchOptions{UID: true, Flags: true}).Collect()
			if err != nil {
				t.Fatal(err)
			}
			if f.srvHasUIDPlus(tc.without) {
				if len(got) != 0 {
					t.Fatalf("with UIDPLUS the server still holds %d of them", len(got))
				}
			} else {
				if len(got) != 2 {
					t.Fatalf("without UIDPLUS the server holds %d of them, want 2 marked \\Deleted", len(got))
				}
				for _, m := range got {
					if !slices.Contains(m.Flags, imap.FlagDeleted) {
						t.Fatalf("UID %d flags %v lack \\Deleted", m.UID, m.Flags)
					}
				}
			}
		})
	}
}

func (f *fixture) srvHasUIDPlus(without []imap.Cap) bool {
	return !slices.Contains(without, imap.CapUIDPlus)
}

// messageIDs returns the Message-IDs mailbox id lists.
func messageIDs(t *testing.T, st *store.DB, id int64) map[string]bool {
	t.Helper()
	msgs, err := st.Messages(context.Background(), id, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range msgs {
		out[m.MessageID] = true
	}
	return out
}
