package app

import (
	"context"
	"strings"
	"testing"

	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// TestDraftsOnDovecot saves a draft twice before the engine replays, then
// once more, and finds exactly one copy with the latest body in the real
// Dovecot's Drafts folder, flagged \Draft and \Seen; deleting the draft
// removes it from the server.
func TestDraftsOnDovecot(t *testing.T) {
	alice := mailtest.RealUser{Name: "alice@example.test", Password: "alice-pw-d"}
	real := mailtest.RealForTest(t, alice)
	c, acct := coreWithRealAccount(t, real, alice)
	ctx := context.Background()
	// Two saves queued before the engine runs make one upload.
	d := &store.Draft{Account: acct.ID, From: "Alice <alice@example.test>", To: "bob@example.test, half-typ", Subject: "Plans", Body: "first version\n"}
	id, err := c.SaveDraft(ctx, d, true)
	if err != nil {
		t.Fatal(err)
	}
	d.ID, d.Body = id, "second version\n"
	if _, err := c.SaveDraft(ctx, d, false); err != nil {
		t.Fatal(err)
	}
	if acts, _ := c.store.DraftActions(ctx, acct.ID); len(acts) != 1 || acts[0].Gen != 2 {
		t.Fatalf("queued draft actions: %+v", acts)
	}
	c.Start()
	waitUntil(t, "the first sync", func() bool {
		_, err := c.store.MailboxByRole(ctx, acct.ID, store.RoleDrafts)
		return err == nil && c.Status(acct.ID).State == "idle"
	})
	drafts, _ := c.store.MailboxByRole(ctx, acct.ID, store.RoleDrafts)
	onServer := func(want string) {
		t.Helper()
		waitUntil(t, "the draft actions", func() bool {
			acts, _ := c.store.DraftActions(ctx, acct.ID)
			return len(acts) == 0 && c.Status(acct.ID).State == "idle"
		})
		c.SyncNow(acct.ID)
		waitUntil(t, "the Drafts folder", func() bool {
			n, _ := c.CountMessages(ctx, drafts.ID)
			msgs, _ := c.Messages(ctx, drafts.ID, 0, 10)
			return c.Status(acct.ID).State == "idle" && (want == "" && n == 0 || want != "" && n == 1 && len(msgs) == 1)
		})
		if want == "" {
			return
		}
		msgs, _ := c.Messages(ctx, drafts.ID, 0, 10)
		if !msgs[0].Seen() || !strings.Contains(strings.Join(msgs[0].Flags, " "), `\Draft`) {
			t.Fatalf("flags %v", msgs[0].Flags)
		}
		raw, err := c.RawMessage(ctx, msgs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), want) || !strings.Contains(string(raw), "To: <bob@example.test>") {
			t.Fatalf("draft on the server:\n%s", raw)
		}
	}
	onServer("second version")
	d.Body = "third version\n"
	if _, err := c.SaveDraft(ctx, d, false); err != nil {
		t.Fatal(err)
	}
	onServer("third version")
	if err := c.DeleteDraft(ctx, id); err != nil {
		t.Fatal(err)
	}
	onServer("")
}
