package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/store"
)

// TestSentCopyKeepsBccThroughDovecot sends a message with a Bcc recipient
// through real Postfix into Dovecot: the To and the Bcc recipient both get
// it, neither sees a Bcc field, and the copy the engine filed in the
// sender's Sent folder, read back from Dovecot, shows the Bcc recipient.
func TestSentCopyKeepsBccThroughDovecot(t *testing.T) {
	alice := mailtest.RealUser{Name: "alice@example.test", Password: "alice-pw-4"}
	bob := mailtest.RealUser{Name: "bob@example.test", Password: "bob-pw-4"}
	carol := mailtest.RealUser{Name: "carol@example.test", Password: "carol-pw-4"}
	real := mailtest.RealForTest(t, alice, bob, carol)
	c, acct := coreWithRealAccount(t, real, alice)
	c.Start()
	ctx := context.Background()
	waitFirstSync(t, c, acct)
	const subject = "Bcc kept in Sent"
	d := &message.Draft{To: []message.Address{{Name: "Bob", Email: bob.Name}},
		Bcc: []message.Address{{Name: "Carol Secret", Email: carol.Name}}, Subject: subject, Text: "Hello Bob.\n"}
	it, err := c.Send(ctx, acct.ID, d, &SendOptions{NoUndo: true})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if it, err = c.WaitSent(wctx, it.ID); err != nil || it.State != store.OutboxSent {
		t.Fatalf("send: %+v %v", it, err)
	}

	// What the recipients got, as Dovecot delivered it: the Bcc recipient
	// got it through the envelope. Postfix's cleanup also removes Bcc
	// fields by itself, so the check that Tern never sends one is made
	// over the in-process server (sync/outbox TestBccKeptForSentOnly,
	// cmd/tern TestCLISend); here it only guards the whole path.
	for _, u := range []string{bob.Name, carol.Name} {
		var got []byte
		waitUntil(t, "delivery to "+u, func() bool {
			got = inboxMessage(t, real.MaildirPath(u), subject)
			return got != nil
		})
		header, _, _ := bytes.Cut(got, []byte("\r\n\r\n"))
		if len(header) == len(got) {
			header, _, _ = bytes.Cut(got, []byte("\n\n"))
		}
		if bytes.Contains(bytes.ToLower(header), []byte("\nbcc:")) || bytes.Contains(header, []byte("Carol Secret")) {
			t.Errorf("%s got the Bcc field:\n%s", u, header)
		}
	}

	// The copy in Sent, synced and fetched back from Dovecot.
	sent, _ := c.store.MailboxByRole(ctx, acct.ID, store.RoleSent)
	var copyID int64
	waitUntil(t, "the copy in Sent", func() bool {
		msgs, _ := c.Messages(ctx, sent.ID, 0, 10)
		if len(msgs) == 1 && msgs[0].Subject == subject {
			copyID = msgs[0].ID
		}
		return copyID != 0
	})
	raw, err := c.RawMessage(ctx, copyID)
	if err != nil {
		t.Fatal(err)
	}
	h := message.Headers(raw)
	found := false
	for _, f := range h {
		if f.Name == "Bcc" {
			found = f.Value == `"Carol Secret" <carol@example.test>` || f.Value == "Carol Secret <carol@example.test>"
		}
	}
	if !found {
		t.Fatalf("the copy in Sent has no Bcc field naming Carol:\n%s", raw)
	}
}

// inboxMessage returns the message delivered to a Maildir INBOX whose
// header has the given subject, or nil.
func inboxMessage(t *testing.T, maildir, subject string) []byte {
	t.Helper()
	for _, sub := range []string{"new", "cur"} {
		entries, _ := os.ReadDir(filepath.Join(maildir, sub))
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(maildir, sub, e.Name()))
			if err != nil {
				continue // moved from new to cur meanwhile
			}
			if bytes.Contains(b, []byte("Subject: "+subject)) {
				return b
			}
		}
	}
	return nil
}
