package imapsync

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/ternmail/tern/store"
)

// TestNewMailAnnouncedOnce has the idle connection store a new message
// while a sync pass fetches it, once in the middle of the pass's header
// fetch and once after the pass stored it but before it recorded the new
// UIDNEXT: each message is announced by one ChangeNewMail, whichever of
// the two stores it first.
func TestNewMailAnnouncedOnce(t *testing.T) {
	forProfiles(t, func(t *testing.T, p profile) {
		f := newFixture(t, p, inboxSeed(3))
		f.opts.BodiesPerPass = -1
		ctx := context.Background()
		record := f.opts.OnChange
		var e *Engine
		var idleFetch atomic.Int32 // 1: at the pass's header fetch; 2: at its new-mail event
		idle := func() {
			cn, err := e.connect(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			defer cn.close()
			sel, err := cn.selectMailbox("INBOX", false)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := e.idleFetchNew(ctx, cn, "INBOX", sel.UIDValidity, 0); err != nil {
				t.Error(err)
			}
		}
		f.opts.OnStatus = func(s Status) {
			if s.State == StateSyncing && s.Folder == "INBOX" && s.Total > 0 && idleFetch.CompareAndSwap(1, 0) {
				idle()
			}
		}
		f.opts.OnChange = func(c Change) {
			record(c)
			if c.Kind == ChangeNewMail && idleFetch.CompareAndSwap(2, 0) {
				idle()
			}
		}
		e = New(f.st, f.acct, f.opts)
		if _, err := e.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
		inbox, err := f.st.MailboxByRole(ctx, f.acct.ID, store.RoleInbox)
		if err != nil {
			t.Fatal(err)
		}
		for i, when := range []string{"during the pass's header fetch", "after the pass stored it"} {
			from := len(f.changesOf(ChangeNewMail))
			raw := "From: a@example.test\r\nSubject: new " + when + "\r\nMessage-ID: <new" + string(rune('a'+i)) + "@x>\r\n\r\nhi\r\n"
			if err := f.deliver([]byte(raw)); err != nil {
				t.Fatal(err)
			}
			idleFetch.Store(int32(i + 1))
			if _, err := e.SyncOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if idleFetch.Load() != 0 {
				t.Fatalf("%s: the idle connection's fetch did not run", when)
			}
			announced := 0
			for _, c := range f.changesOf(ChangeNewMail)[from:] {
				if c.MailboxID == inbox.ID {
					announced += c.Count
				}
			}
			if announced != 1 {
				t.Errorf("%s: the new message was announced %d times, want once", when, announced)
			}
		}
	}, profileDovecot, profileInproc)
}
