package imapsync

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ternmail/tern/internal/mailtest"
)

// TestSyncNoRecentAndFolderTimes syncs a mailbox whose messages
// Dovecot reports as \Recent to this first session: no stored message
// carries that session flag, and every folder the pass synced reports the
// time it took (it was always 0). On every profile; the in-process server
// reports no \Recent, so there only the folder times are at stake.
func TestSyncNoRecentAndFolderTimes(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		f := newFixture(t, p, mailtest.DemoSeed(time.Now()))
		f.opts.BodiesPerPass = -1
		ctx := context.Background()
		rep, err := New(f.st, f.acct, f.opts).SyncOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		boxes, err := f.st.Mailboxes(ctx, f.acct.ID)
		if err != nil {
			t.Fatal(err)
		}
		stored := 0
		for _, mb := range boxes {
			msgs, err := f.st.Messages(ctx, mb.ID, 0, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				stored++
				for _, fl := range m.Flags {
					if strings.EqualFold(fl, `\Recent`) {
						t.Fatalf("%s UID %d is stored with %q", mb.Name, m.UID, m.Flags)
					}
				}
			}
		}
		if stored == 0 {
			t.Fatal("nothing was synced")
		}
		synced := 0
		for _, fr := range rep.Folders {
			if fr.Skipped {
				continue
			}
			synced++
			if fr.Duration <= 0 {
				t.Errorf("folder %s reports a sync time of %v", fr.Name, fr.Duration)
			}
		}
		if synced == 0 {
			t.Fatal("the pass synced no folder")
		}
	})
}
