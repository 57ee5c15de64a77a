package gui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/store"
)

func TestWelcomeThenDemo(t *testing.T) {
	h := newHarness(t, nil)
	h.waitFor("the first load", func() bool { return h.w.loaded })
	if h.w.showingMain() {
		t.Fatal("main panes shown without any account")
	}
	var texts []string
	for _, o := range h.objects() {
		if b, ok := o.(*widget.Button); ok && b.Visible() {
			texts = append(texts, b.Text)
		}
	}
	joined := strings.Join(texts, "|")
	for _, want := range []string{"Add account", "Try the demo mailbox"} {
		if !strings.Contains(joined, want) {
			t.Errorf("welcome screen buttons %q lack %q", joined, want)
		}
	}
	h.startDemo()
	if h.w.reader.msg.ID != 0 {
		t.Error("a message is open before the user chose one")
	}
	h.waitFor("the status bar to say up to date", func() bool {
		return strings.Contains(h.statusText(), "Up to date")
	})
	// The window reloads once for many of the sync's events; once they
	// stop, what it shows is what the store holds: the inbox's unread
	// badge, its count of rows, and its newest message on top.
	acct := h.w.accounts[0].ID
	h.waitFor("the settled inbox on the screen", func() bool {
		inbox, err := h.core.MailboxByRole(h.ctx(), acct, app.RoleInbox)
		if err != nil {
			return false
		}
		newest, err := h.core.Messages(h.ctx(), inbox.ID, 0, 1)
		if err != nil || len(newest) != 1 {
			return false
		}
		badge := ""
		for _, r := range h.folderRows() {
			if r.Name() == "Inbox" {
				badge = r.Badge()
			}
		}
		rows := h.messageRows()
		return badge == thousands(inbox.Unread) && h.w.list.count == inbox.Total && len(rows) > 0 && rows[0].Data().Subject == newest[0].Subject
	})
}

func TestReadStarAndUnread(t *testing.T) {
	h := newHarness(t, nil)
	h.startDemo()
	ctx := h.ctx()

	// Another folder first, then back to the inbox.
	var inbox, other store.Mailbox
	h.waitFor("a synced folder besides the inbox", func() bool {
		inbox, other = store.Mailbox{}, store.Mailbox{}
		for _, b := range h.w.folders.boxes[h.w.accounts[0].ID] {
			switch {
			case b.Role == store.RoleInbox:
				inbox = b
			case b.Role == "" && b.Total > 0 && other.ID == 0:
				other = b
			}
		}
		return inbox.ID != 0 && other.ID != 0
	})
	h.w.folders.tree.Select(mailboxUID(other.ID))
	h.waitFor("rows of "+other.Name, func() bool {
		return h.w.list.mailbox.ID == other.ID && h.w.list.count == other.Total && len(h.messageRows()) > 0
	})
	h.w.folders.tree.Select(mailboxUID(inbox.ID))
	h.waitFor("rows of the inbox", func() bool {
		return h.w.list.mailbox.ID == inbox.ID && len(h.messageRows()) > 0
	})

	// The list shows the store's messages in the store's order.
	page, err := h.core.Messages(ctx, inbox.ID, 0, 20)
	if err != nil || len(page) == 0 {
		t.Fatalf("inbox page: %v, %d messages", err, len(page))
	}
	if n, _ := h.core.CountMessages(ctx, inbox.ID); h.w.list.count != n {
		t.Errorf("list length %d, store count %d", h.w.list.count, n)
	}
	rows := h.messageRows()
	if got, want := rows[0].Data().Subject, subjectText(page[0].Subject); got != want {
		t.Errorf("first row subject %q, want %q", got, want)
	}

	// Open the first unread message whose subject no other message of the
	// inbox has: its row is found by its subject below (the demo has
	// threads, and a row of the same subject may be starred already).
	all, err := h.core.Messages(ctx, inbox.ID, 0, h.w.list.count)
	if err != nil {
		t.Fatal(err)
	}
	subjects := map[string]int{}
	for _, m := range all {
		subjects[subjectText(m.Subject)]++
	}
	idx := -1
	for i, m := range page {
		if !m.Seen() && subjects[subjectText(m.Subject)] == 1 {
			idx = i
			break
		}
	}
	if idx < 0 {
		t.Fatal("no unread message of a subject of its own in the first inbox page")
	}
	want := page[idx]
	h.w.list.list.Select(idx)
	h.waitFor("the message body", func() bool { return h.w.reader.st == readerLoaded || h.w.reader.st == readerFailed })
	if h.w.reader.st == readerFailed {
		t.Fatalf("reader: %s", h.w.reader.state.Text)
	}
	pm, err := h.core.OpenMessage(ctx, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.w.reader.subject.Text; got != want.Subject {
		t.Errorf("reader subject %q, store %q", got, want.Subject)
	}
	if got := h.w.reader.from.Text; len(want.From) == 0 || !strings.Contains(got, want.From[0].Email) || (want.From[0].Name != "" && !strings.Contains(got, want.From[0].Name)) {
		t.Errorf("reader from %q, store %+v", got, want.From)
	}
	if got := h.w.reader.body.Text; got != bodyText(pm) || strings.TrimSpace(got) == "" {
		t.Errorf("reader body %.80q, message text %.80q", got, pm.Text)
	}
	if !h.w.reader.body.Selectable || !h.w.reader.body.Visible() {
		t.Error("body is not a visible selectable label")
	}
	h.waitFor("the message to be read in the store", func() bool {
		m, err := h.core.Message(ctx, want.ID)
		return err == nil && m.Seen()
	})

	// Star it with the toolbar, unstar it with its row's star.
	test.Tap(h.w.starBtn)
	h.waitFor("the star in the store", func() bool {
		m, err := h.core.Message(ctx, want.ID)
		return err == nil && m.Flagged()
	})
	h.waitFor("the starred row", func() bool {
		for _, r := range h.messageRows() {
			if r.Data().Subject == subjectText(want.Subject) && r.Data().Flagged {
				return true
			}
		}
		return false
	})
	for _, r := range h.messageRows() {
		if r.Data().Subject == subjectText(want.Subject) && r.Data().Flagged {
			r.TapStar()
			break
		}
	}
	h.waitFor("the star removed in the store", func() bool {
		m, err := h.core.Message(ctx, want.ID)
		return err == nil && !m.Flagged()
	})

	// "s" stars, "u" marks unread; the selection survives the reloads.
	test.TypeOnCanvas(h.w.Window().Canvas(), "s")
	test.TypeOnCanvas(h.w.Window().Canvas(), "u")
	h.waitFor("star and unread in the store", func() bool {
		m, err := h.core.Message(ctx, want.ID)
		return err == nil && m.Flagged() && !m.Seen()
	})
	h.waitFor("the reload after the change", func() bool {
		m, ok := h.w.list.message(want.ID)
		return ok && m.Flagged() && !m.Seen()
	})
	if h.w.list.selectedID != want.ID || h.w.list.indexOf(want.ID) != h.w.list.selIndex {
		t.Errorf("selection lost: selected %d at %d, want %d at %d", h.w.list.selectedID, h.w.list.selIndex, want.ID, h.w.list.indexOf(want.ID))
	}

	// A row far down: its page is read on demand, and the cache stays
	// bounded.
	n := h.w.list.count
	if n <= pageSize {
		t.Skipf("inbox has %d messages, not enough for a second page", n)
	}
	last, err := h.core.Messages(ctx, inbox.ID, n-1, 1)
	if err != nil || len(last) != 1 {
		t.Fatalf("last message: %v", err)
	}
	h.w.list.list.Select(n - 1)
	h.waitFor("the last message in the reader", func() bool {
		return h.w.reader.msg.ID == last[0].ID && h.w.reader.st == readerLoaded
	})
	if len(h.w.list.pages) > maxPages {
		t.Errorf("%d pages cached", len(h.w.list.pages))
	}
	if got := h.w.reader.subject.Text; got != last[0].Subject && !(last[0].Subject == "" && got == subjectText("")) {
		t.Errorf("last message subject %q, store %q", got, last[0].Subject)
	}
}

func TestOfflineAccount(t *testing.T) {
	port := closedPort(t)
	h := newHarness(t, func(core *app.Core) {
		a := accounts.Account{
			ID:    "nowhere", // AddAccount validates before it derives an ID
			Name:  "Nowhere",
			Email: "alice@example.com",
			IMAP:  accounts.Endpoint{Host: "127.0.0.1", Port: port, Security: accounts.SecurityTLS},
			SMTP:  accounts.Endpoint{Host: "127.0.0.1", Port: port, Security: accounts.SecurityTLS},
		}
		if _, err := core.AddAccount(t.Context(), a, "secret", &app.AddOptions{SkipVerify: true, SessionOnly: true}); err != nil {
			t.Fatal(err)
		}
	})
	h.waitFor("the main panes", h.w.showingMain)
	h.waitFor("an offline or error status", func() bool {
		s := h.statusText()
		return strings.Contains(s, "Offline") || strings.Contains(s, "Error")
	})
	t.Logf("status: %s", strings.TrimSpace(h.statusText()))

	// The window still reacts: sync now, the setup wizard opens and
	// reports a failed check without closing.
	test.Tap(findButton(t, h, "Sync now"))
	wz := h.w.newWizard(nil)
	wz.show()
	wz.email.SetText("bob@example.com")
	wz.password.SetText("pw")
	test.Tap(wz.manualBtn)
	wz.imap.host.SetText("127.0.0.1")
	wz.imap.port.SetText(itoa(port))
	wz.smtp.host.SetText("127.0.0.1")
	wz.smtp.port.SetText(itoa(port))
	test.Tap(wz.nextBtn)
	if wz.step != stepCheck {
		t.Errorf("step %q while checking", wz.step)
	}
	h.waitFor("the wizard's error", func() bool { return wz.active == 0 && wz.settingsErr.Visible() })
	t.Logf("wizard error: %s", wz.settingsErr.Text)
	if wz.step != stepSettings || len(h.core.Accounts()) != 1 {
		t.Errorf("step %q, %d accounts", wz.step, len(h.core.Accounts()))
	}

	// A malformed server is reported without any network.
	wz.imap.port.SetText("imap")
	test.Tap(wz.nextBtn)
	if wz.step != stepSettings || !strings.Contains(wz.settingsErr.Text, "IMAP") {
		t.Errorf("bad server: step %q, error %q", wz.step, wz.settingsErr.Text)
	}
	wz.close()
}

func findButton(t *testing.T, h *harness, text string) *widget.Button {
	t.Helper()
	for _, o := range h.objects() {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	t.Fatalf("no button %q", text)
	return nil
}
