package imapsync

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ternmail/tern/store"
)

// deliverAndWait delivers a message with subject to the server's INBOX
// and waits until it is the newest message of the stored inbox.
func (f *fixture) deliverAndWait(t *testing.T, inbox store.Mailbox, subject string) {
	t.Helper()
	raw := "From: a@example.test\r\nSubject: " + subject + "\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@x>\r\n\r\nhi\r\n"
	if err := f.deliver([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, subject, func() bool {
		msgs, _ := f.st.Messages(context.Background(), inbox.ID, 0, 1)
		return len(msgs) == 1 && msgs[0].Subject == subject
	})
}

// TestIdleConnectionStoresNewMail holds the worker out of any pass and
// checks that new mail still reaches the store, through the idle
// connection alone; then that the worker's pass that follows keeps one row
// per message and raises the new-mail event.
func TestIdleConnectionStoresNewMail(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		f := newFixture(t, p, nil)
		f.opts.Connections = 2
		f.opts.PollInterval = time.Hour
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		e := New(f.st, f.acct, f.opts)
		done := make(chan struct{})
		go func() { e.Run(ctx); close(done) }()
		waitSettled(t, e)
		inbox, _ := f.st.MailboxByRole(ctx, f.acct.ID, store.RoleInbox)
		before, _ := f.st.CountStored(ctx, inbox.ID)

		e.passMu.Lock() // the worker cannot sync now
		for i := 0; i < 2; i++ {
			f.deliverAndWait(t, inbox, fmt.Sprintf("while the worker is busy %d", i))
		}
		e.passMu.Unlock()
		waitFor(t, "the new-mail event", func() bool {
			f.mu.Lock()
			defer f.mu.Unlock()
			for _, c := range f.changes {
				if c.Kind == ChangeNewMail && c.MailboxID == inbox.ID {
					return true
				}
			}
			return false
		})
		waitFor(t, "the worker's pass", func() bool {
			mb, _ := f.st.Mailbox(ctx, inbox.ID)
			return mb.UIDNext > inbox.UIDNext
		})
		if n, _ := f.st.CountStored(ctx, inbox.ID); n != before+2 {
			t.Fatalf("stored %d, want %d: one row per new message", n, before+2)
		}
		cancel()
		<-done
	})
}

// TestStoredAheadOfUIDNextIsReconciled stores a row past the folder's
// UIDNEXT that the server does not have (a head start for a message
// expunged before the worker saw it) and checks that the next pass removes
// it and fetches the real new message.
func TestStoredAheadOfUIDNextIsReconciled(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		f := newFixture(t, p, nil)
		ctx := context.Background()
		e := New(f.st, f.acct, f.opts)
		if _, err := e.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
		inbox, _ := f.st.MailboxByRole(ctx, f.acct.ID, store.RoleInbox)
		before, _ := f.st.CountStored(ctx, inbox.ID)
		ghost := store.Message{UIDValidity: inbox.UIDValidity, UID: inbox.UIDNext + 5, Subject: "expunged before the worker saw it", InternalDate: time.Now()}
		if err := f.st.PutMessages(ctx, f.acct.ID, inbox.ID, []store.Message{ghost}); err != nil {
			t.Fatal(err)
		}
		raw := "From: a@example.test\r\nSubject: the real one\r\nMessage-ID: <real@x>\r\n\r\nhi\r\n"
		if err := f.deliver([]byte(raw)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.MessageByUID(ctx, inbox.ID, inbox.UIDValidity, ghost.UID); err == nil {
			t.Fatal("the row the server never had is still stored")
		}
		msgs, _ := f.st.Messages(ctx, inbox.ID, 0, 1)
		if len(msgs) != 1 || msgs[0].Subject != "the real one" {
			t.Fatalf("newest = %+v, want the real new message", msgs)
		}
		if n, _ := f.st.CountStored(ctx, inbox.ID); n != before+1 {
			t.Fatalf("stored %d, want %d (the real one added, the ghost gone)", n, before+1)
		}
	})
}
