package imapsync

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// TestSyncUnreadBeforeHeaders checks that a folder shows the server's
// unread count before its headers are synced, from LIST-STATUS (Dovecot,
// the in-process server) or, on a server without it, from STATUS
// (Courier, and the in-process server without LIST-STATUS).
func TestSyncUnreadBeforeHeaders(t *testing.T) {
	seed := mailtest.DemoSeed(time.Now())
	const folder = "Projects/Tern" // synced after the folders with a role
	want := 0
	for _, m := range seed {
		if m.Mailbox == folder && !slices.Contains(m.Flags, `\Seen`) {
			want++
		}
	}
	if want == 0 {
		t.Fatalf("the seed has no unread mail in %s", folder)
	}
	forEachProfile(t, func(t *testing.T, p profile) {
		checkUnreadBeforeHeaders(t, newFixture(t, p, seed), p.box(folder), want)
	})
	t.Run("inproc without LIST-STATUS", func(t *testing.T) {
		f := newInprocFixture(t, &mailtest.ServerOptions{TLS: true, Seed: seed, Mailboxes: mailtest.DemoMailboxes,
			Without: []imap.Cap{imap.CapListStatus}})
		checkUnreadBeforeHeaders(t, f, folder, want)
	})
}

// checkUnreadBeforeHeaders syncs f's server and checks that folder showed
// want unread messages when INBOX's first headers were stored.
func checkUnreadBeforeHeaders(t *testing.T, f *fixture, folder string, want int) {
	t.Helper()
	f.opts.BodiesPerPass = -1
	ctx := context.Background()
	var mu sync.Mutex
	seen := false
	var before store.Mailbox // the folder when INBOX's first headers were stored
	f.opts.OnChange = func(c Change) {
		mu.Lock()
		defer mu.Unlock()
		inbox, err := f.st.MailboxByRole(ctx, f.acct.ID, store.RoleInbox)
		if seen || c.Kind != ChangeMessages || err != nil || c.MailboxID != inbox.ID {
			return
		}
		seen = true
		before, _ = f.st.MailboxByName(ctx, f.acct.ID, folder)
	}
	if _, err := New(f.st, f.acct, f.opts).SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !seen || before.ID == 0 {
		t.Fatal("INBOX headers were never stored")
	}
	if before.UIDNext != 0 || before.Total != 0 {
		t.Fatalf("%s was synced before INBOX (uidnext %d, total %d): the test proves nothing", folder, before.UIDNext, before.Total)
	}
	if before.Unread != want {
		t.Errorf("%s unread before its headers: %d, want %d", folder, before.Unread, want)
	}
	after, _ := f.st.MailboxByName(ctx, f.acct.ID, folder)
	if after.Unread != want || after.Total == 0 {
		t.Errorf("%s after sync: unread %d total %d", folder, after.Unread, after.Total)
	}
}
