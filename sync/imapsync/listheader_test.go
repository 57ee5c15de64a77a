package imapsync

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/store"
)

// TestSyncBrokenEncodedWordReadsAsInReader syncs a message whose subject
// and sender name are UTF-8 encoded words with stray bytes: the list shows
// them as the reader does, the valid characters intact and U+FFFD for each
// invalid byte only (go-imap's ENVELOPE decoding had turned the whole
// subject into mojibake), and the date and message IDs still come through.
func TestSyncBrokenEncodedWordReadsAsInReader(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		f := newFixture(t, p, nil)
		word := func(s string) string { return "=?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?=" }
		raw := "From: " + word("J\xfcrgen K\xc3\xb6hler") + " <jk@example.test>\r\n" +
			"Subject: " + word("I\xff\xfe京 München Zürich naïve") + "\r\n" +
			"Date: Tue, 01 Dec 2026 10:00:00 +0100\r\n" +
			"Message-ID: <broken@example.test>\r\nIn-Reply-To: <earlier@example.test>\r\nReferences: <first@example.test> <earlier@example.test>\r\n\r\nhi\r\n"
		if err := f.deliver([]byte(raw)); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if _, err := New(f.st, f.acct, f.opts).SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
		inbox, _ := f.st.MailboxByRole(ctx, f.acct.ID, store.RoleInbox)
		msgs, err := f.st.Messages(ctx, inbox.ID, 0, 10)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("INBOX holds %d messages (%v)", len(msgs), err)
		}
		m := msgs[0]
		reader, err := message.Parse([]byte(raw), nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := "I\ufffd\ufffd京 München Zürich naïve"; m.Subject != want || reader.Subject != want {
			t.Errorf("subject: list %q, reader %q, want %q", m.Subject, reader.Subject, want)
		}
		if len(m.From) != 1 || len(reader.From) != 1 || m.From[0].Name != reader.From[0].Name || m.From[0].Name != "J\ufffdrgen Köhler" {
			t.Errorf("sender: list %+v, reader %+v", m.From, reader.From)
		}
		if want := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC); !m.Date.Equal(want) {
			t.Errorf("date %v, want %v", m.Date, want)
		}
		if m.MessageID != "broken@example.test" || m.InReplyTo != "earlier@example.test" || len(m.References) != 2 {
			t.Errorf("IDs: %q, in reply to %q, references %q", m.MessageID, m.InReplyTo, m.References)
		}
	})
}
