package gui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/mailtest"
)

// newMail returns a message from sender with subject.
func newMail(sender, subject string) []byte {
	return []byte(fmt.Sprintf("From: %s\r\nTo: Sam Rivera <demo@tern.example>\r\nSubject: %s\r\n"+
		"Date: %s\r\nMessage-ID: <%d@example.com>\r\n\r\nhello\r\n", sender, subject,
		time.Now().Format(time.RFC1123Z), time.Now().UnixNano()))
}

// TestNewMailNotifications watches the notifications of a window over the
// demo mailbox: none for the first sync's hundreds of unread messages; the
// sender and subject of one new message; one grouped notification for
// several that arrive together, without the user's own message; none for
// mail arriving in Junk or Trash.
func TestNewMailNotifications(t *testing.T) {
	a := test.NewTempApp(t)
	log := &testLog{t: t}
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: mailtest.DemoAddress, TLS: true,
		Mailboxes: mailtest.DemoMailboxes, Seed: mailtest.DemoSeed(time.Now())})
	core, err := app.New(app.Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets(), StartDemo: demoFor(srv), Logf: log.logf})
	if err != nil {
		t.Fatal(err)
	}
	core.Start()
	h := windowFor(t, a, core, log)
	var sent []*fyne.Notification
	// The notifier runs before the demo account exists, through its first
	// sync.
	h.w.startNotifier(func(n *fyne.Notification) { sent = append(sent, n) })
	h.startDemo()

	appendTo := func(folder string, raw []byte) {
		t.Helper()
		if _, err := srv.Append(folder, raw, nil, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	appendTo("INBOX", newMail("Alice Martin <alice@example.com>", "Lunch on Friday"))
	h.core.SyncNow("")
	h.waitFor("a notification", func() bool { return len(sent) > 0 })
	if len(sent) != 1 || sent[0].Title != "Alice Martin" || sent[0].Content != "Lunch on Friday" {
		t.Fatalf("after one new message: %+v (the first sync must notify nothing)", notes(sent))
	}

	// Junk and Trash first: their NewMail is published before the
	// inbox's below, so a notification for them would come first.
	appendTo("Junk", newMail("Spam <spam@example.net>", "You won"))
	appendTo("Trash", newMail("Bob <bob@example.com>", "Old news"))
	h.core.SyncNow("")
	h.waitFor("the messages in Junk and Trash", func() bool {
		return newestSubject(h, app.RoleJunk) == "You won" && newestSubject(h, app.RoleTrash) == "Old news"
	})
	appendTo("INBOX", newMail("Bob <bob@example.com>", "Minutes"))
	appendTo("INBOX", newMail("Sam Rivera <demo@tern.example>", "Sent to myself"))
	appendTo("INBOX", newMail("Carol <carol@example.com>", "Slides"))
	h.core.SyncNow("")
	h.waitFor("a second notification", func() bool { return len(sent) > 1 })
	if len(sent) != 2 || !strings.HasPrefix(sent[1].Title, "2 new messages in ") {
		t.Fatalf("after three new messages, one of them mine: %q", notes(sent))
	}
	if c := sent[1].Content; c != "Carol: Slides\nBob: Minutes" && c != "Bob: Minutes\nCarol: Slides" {
		t.Fatalf("grouped content %q", c)
	}
}

func notes(list []*fyne.Notification) []string {
	var out []string
	for _, n := range list {
		out = append(out, n.Title+" / "+n.Content)
	}
	return out
}

// newestSubject returns the subject of the newest stored message in the
// demo account's folder of role, or "".
func newestSubject(h *harness, role app.Role) string {
	mb, err := h.core.MailboxByRole(h.ctx(), h.w.accounts[0].ID, role)
	if err != nil {
		return ""
	}
	msgs, err := h.core.Messages(h.ctx(), mb.ID, 0, 1)
	if err != nil || len(msgs) == 0 {
		return ""
	}
	return msgs[0].Subject
}

// TestNotificationOncePerMessage announces the same new mail twice, as the
// engine sometimes does (its idle connection, then its next pass): only
// the first makes a notification.
func TestNotificationOncePerMessage(t *testing.T) {
	h := newComposeHarness(t, 50*time.Millisecond)
	if _, err := h.srv.Append("INBOX", newMail("Alice Martin <alice@example.com>", "Twice"), nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	h.core.SyncNow("")
	inbox, err := h.core.MailboxByRole(h.ctx(), h.w.accounts[0].ID, app.RoleInbox)
	if err != nil {
		t.Fatal(err)
	}
	h.waitFor("the new message", func() bool { return newestSubject(h.harness, app.RoleInbox) == "Twice" })
	nm := app.NewMail{Account: inbox.Account, MailboxID: inbox.ID, Count: 1}
	notified := map[int64]bool{}
	n, err := h.w.newMailNotification(h.ctx(), nm, notified)
	if err != nil || n == nil || n.Content != "Twice" {
		t.Fatalf("first announcement: %+v %v", n, err)
	}
	if n, err := h.w.newMailNotification(h.ctx(), nm, notified); err != nil || n != nil {
		t.Fatalf("second announcement notified again: %+v %v", n, err)
	}
}
