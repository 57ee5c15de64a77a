package gui

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/emersion/go-imap/v2"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/desktopnotify"
	"github.com/ternmail/tern/internal/desktopnotify/notifytest"
	"github.com/ternmail/tern/internal/mailtest"
)

// newMail returns a message from sender with subject.
func newMail(sender, subject string) []byte {
	return []byte(fmt.Sprintf("From: %s\r\nTo: Sam Rivera <demo@tern.example>\r\nSubject: %s\r\n"+
		"Date: %s\r\nMessage-ID: <%d@example.com>\r\n\r\nhello\r\n", sender, subject,
		time.Now().Format(time.RFC1123Z), time.Now().UnixNano()))
}

// notifyHarness is a window over the demo mailbox on an in-process
// server, whose notifications go to a test notification service on a
// private session bus; notifications that fall back to Fyne's call are
// kept in fallback.
type notifyHarness struct {
	*harness
	srv      *mailtest.Server
	ns       *notifytest.Server
	fallback []*fyne.Notification
}

func newNotifyHarness(t *testing.T) *notifyHarness {
	t.Helper()
	bus := notifytest.Bus(t)
	ns := notifytest.Start(t, bus, nil)
	a := test.NewTempApp(t)
	log := &testLog{t: t}
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: mailtest.DemoAddress, TLS: true,
		Mailboxes: mailtest.DemoMailboxes, Seed: mailtest.DemoSeed(time.Now())})
	core, err := app.New(app.Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets(), StartDemo: demoFor(srv), Logf: log.logf})
	if err != nil {
		t.Fatal(err)
	}
	core.Start()
	nh := &notifyHarness{harness: windowFor(t, a, core, log), srv: srv, ns: ns}
	// The notifier runs before the demo account exists, through its first
	// sync.
	nh.w.startNotifier(&desktopnotify.Options{Address: bus}, func(n *fyne.Notification) { nh.fallback = append(nh.fallback, n) })
	nh.startDemo()
	return nh
}

func (h *notifyHarness) appendTo(folder string, raw []byte) {
	h.t.Helper()
	if _, err := h.srv.Append(folder, raw, nil, time.Now()); err != nil {
		h.t.Fatal(err)
	}
}

// notified waits for the service's nth notification and returns it.
func (h *notifyHarness) notified(n int) notifytest.Call {
	h.t.Helper()
	h.waitFor(fmt.Sprintf("notification %d", n), func() bool { return len(h.ns.Calls()) >= n })
	return h.ns.Calls()[n-1]
}

// TestNewMailNotifications watches the notifications of a window over the
// demo mailbox on a test notification service: none for the first
// sync's hundreds of unread messages; the sender and subject of one new
// message, with its actions; one grouped notification for several that
// arrive together, without the user's own message; none for mail
// arriving in Junk or Trash.
func TestNewMailNotifications(t *testing.T) {
	h := newNotifyHarness(t)
	h.appendTo("INBOX", newMail("Alice Martin <alice@example.com>", "Lunch on Friday"))
	h.core.SyncNow("")
	first := h.notified(1)
	if calls := h.ns.Calls(); len(calls) != 1 || first.Summary != "Alice Martin" || first.Body != "Lunch on Friday" {
		t.Fatalf("after one new message: %+v (the first sync must notify nothing)", calls)
	}
	if first.AppName != "Tern" || first.Icon != appID || first.Hints["category"] != "email.arrived" || first.Hints["desktop-entry"] != appID ||
		!slices.Equal(first.ActionKeys(), []string{"default", "mark-read", "archive"}) {
		t.Fatalf("one message's notification: %+v", first)
	}

	// Junk and Trash first: their NewMail is published before the
	// inbox's below, so a notification for them would come first.
	h.appendTo("Junk", newMail("Spam <spam@example.net>", "You won"))
	h.appendTo("Trash", newMail("Bob <bob@example.com>", "Old news"))
	h.core.SyncNow("")
	h.waitFor("the messages in Junk and Trash", func() bool {
		return newestSubject(h.harness, app.RoleJunk) == "You won" && newestSubject(h.harness, app.RoleTrash) == "Old news"
	})
	h.appendTo("INBOX", newMail("Bob <bob@example.com>", "Minutes"))
	h.appendTo("INBOX", newMail("Sam Rivera <demo@tern.example>", "Sent to myself"))
	h.appendTo("INBOX", newMail("Carol <carol@example.com>", "Slides"))
	h.core.SyncNow("")
	group := h.notified(2)
	if calls := h.ns.Calls(); len(calls) != 2 || !strings.HasPrefix(group.Summary, "2 new messages in ") {
		t.Fatalf("after three new messages, one of them mine: %+v", calls)
	}
	if c := group.Body; c != "Carol: Slides\nBob: Minutes" && c != "Bob: Minutes\nCarol: Slides" {
		t.Fatalf("grouped content %q", c)
	}
	if !slices.Equal(group.ActionKeys(), []string{"default", "mark-read"}) {
		t.Fatalf("a group's actions: %v", group.Actions)
	}
	if len(h.fallback) != 0 {
		t.Fatalf("Fyne's notifications used beside the service: %v", notes(h.fallback))
	}
}

// TestNotificationActions clicks the actions of new-mail notifications
// on the test service: "Mark read" marks the message read in the store
// and on the server, "Archive" moves it to Archive on the server, a click
// on a message's notification opens it in the window, and a click on a
// group's opens its folder.
func TestNotificationActions(t *testing.T) {
	h := newNotifyHarness(t)
	acct := h.w.accounts[0].ID
	inbox, err := h.core.MailboxByRole(h.ctx(), acct, app.RoleInbox)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := h.core.MailboxByRole(h.ctx(), acct, app.RoleSent)
	if err != nil {
		t.Fatal(err)
	}
	cl := h.srv.DialIMAP(t, nil)
	// arrive adds a message to the inbox and returns it from the store
	// once its notification came.
	calls := 0
	arrive := func(subject string) (app.Message, notifytest.Call) {
		t.Helper()
		h.appendTo("INBOX", newMail("Alice Martin <alice@example.com>", subject))
		h.core.SyncNow("")
		calls++
		c := h.notified(calls)
		if c.Body != subject {
			t.Fatalf("notification %+v, want %q", c, subject)
		}
		msgs, err := h.core.Messages(h.ctx(), inbox.ID, 0, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Subject == subject {
				return m, c
			}
		}
		t.Fatalf("%q not in the store", subject)
		return app.Message{}, c
	}
	onServerFlags := func(mailbox string, m app.Message) ([]imap.Flag, bool) {
		f, ok := onServer(t, cl, mailbox)[strings.Trim(m.MessageID, "<>")]
		return f, ok
	}

	// Mark read.
	m, c := arrive("Read me later")
	if err := h.ns.Invoke(c.ID, "mark-read"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the message read in the store", func() bool {
		got, err := h.core.Message(h.ctx(), m.ID)
		return err == nil && got.Seen()
	})
	h.waitFor("the message read on the server", func() bool {
		f, ok := onServerFlags("INBOX", m)
		return ok && hasImapFlag(f, imap.FlagSeen)
	})
	if h.w.reader.msg.ID == m.ID {
		t.Fatal("Mark read opened the message")
	}

	// Archive.
	m, c = arrive("File me")
	if err := h.ns.Invoke(c.ID, "archive"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the message in Archive on the server", func() bool {
		_, inArchive := onServerFlags("Archive", m)
		_, inInbox := onServerFlags("INBOX", m)
		return inArchive && !inInbox
	})

	// A click opens the message, from another folder.
	h.w.folders.selectMailbox(sent.ID)
	h.waitFor("the Sent folder", func() bool { return h.w.list.mailbox.ID == sent.ID })
	m, c = arrive("Open me")
	if err := h.ns.Invoke(c.ID, "default"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the message open in the inbox", func() bool {
		return h.w.list.mailbox.ID == inbox.ID && h.w.reader.msg.ID == m.ID && h.w.list.selectedID == m.ID &&
			h.w.list.selIndex >= 0 && h.w.reader.subject.Text == "Open me"
	})

	// A group's click opens its folder.
	h.w.folders.selectMailbox(sent.ID)
	h.waitFor("the Sent folder", func() bool { return h.w.list.mailbox.ID == sent.ID })
	h.appendTo("INBOX", newMail("Bob <bob@example.com>", "One"))
	h.appendTo("INBOX", newMail("Carol <carol@example.com>", "Two"))
	h.core.SyncNow("")
	calls++
	c = h.notified(calls)
	if !strings.HasPrefix(c.Summary, "2 new messages") {
		t.Fatalf("group %+v", c)
	}
	if err := h.ns.Invoke(c.ID, "default"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the inbox open", func() bool { return h.w.list.mailbox.ID == inbox.ID })
}

// TestNotificationWithoutService: with a bus but no notification service
// nothing is shown, and the service is looked for again at the next
// notice; with a bus that cannot be reached the notice goes through
// Fyne's call.
func TestNotificationWithoutService(t *testing.T) {
	h := newHarness(t, nil)
	var fallback []*fyne.Notification
	nf := &notifier{w: h.w, fallback: func(n *fyne.Notification) { fallback = append(fallback, n) }, shown: map[uint32]notice{}}
	nf.opts.Address = notifytest.Bus(t)
	n := notice{title: "Alice", body: "Hello", ids: []int64{1}}
	nf.send(h.ctx(), n)
	h.run()
	if len(fallback) != 0 || !nf.absent {
		t.Fatalf("no service: fallback %v, absent %v", notes(fallback), nf.absent)
	}
	ns := notifytest.Start(t, nf.opts.Address, nil)
	nf.send(h.ctx(), n)
	if calls := ns.Calls(); len(calls) != 1 || calls[0].Summary != "Alice" {
		t.Fatalf("the service started later: %+v", calls)
	}
	nf.close()

	nf = &notifier{w: h.w, fallback: func(n *fyne.Notification) { fallback = append(fallback, n) }, shown: map[uint32]notice{}}
	nf.opts.Address = "unix:path=" + filepath.Join(t.TempDir(), "no-bus")
	nf.send(h.ctx(), n)
	h.waitFor("Fyne's notification", func() bool { return len(fallback) == 1 })
	if fallback[0].Title != "Alice" || fallback[0].Content != "Hello" {
		t.Fatalf("fallback %v", notes(fallback))
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
	notified := map[notifiedKey]bool{}
	n, err := h.w.newMailNotification(h.ctx(), nm, notified)
	if err != nil || n == nil || n.body != "Twice" || n.single() == 0 {
		t.Fatalf("first announcement: %+v %v", n, err)
	}
	if n, err := h.w.newMailNotification(h.ctx(), nm, notified); err != nil || n != nil {
		t.Fatalf("second announcement notified again: %+v %v", n, err)
	}
}
