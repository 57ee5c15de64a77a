package gui

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/store"
)

// uncertain leaves an outbox message "uncertain", as a crash during its
// DATA does, and returns its ID.
func (h *composeHarness) uncertain(subject string) int64 {
	h.t.Helper()
	db, oerr := store.Open(filepath.Join(h.home, "tern.db"))
	if oerr != nil {
		h.t.Fatal(oerr)
	}
	defer db.Close()
	acct := h.core.Accounts()[0]
	raw := "From: " + acct.Email + "\r\nTo: bob@example.com\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject + "@tern.test>\r\n\r\nHi.\r\n"
	it, err := db.QueueOutbox(h.ctx(), store.NewOutbox{Account: acct.ID, From: acct.Email, Rcpts: []string{"bob@example.com"},
		Subject: subject, MessageID: subject + "@tern.test", Raw: []byte(raw), NotBefore: time.Now().Add(time.Hour)})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := db.BeginOutboxData(h.ctx(), it.ID); err != nil {
		h.t.Fatal(err)
	}
	if _, err := db.RecoverOutbox(h.ctx(), "Tern stopped"); err != nil {
		h.t.Fatal(err)
	}
	return it.ID
}

// An uncertain message shows what Tern knows and two choices: Mark as
// sent settles it without sending, Send again sends it.
func TestOutboxUncertainChoices(t *testing.T) {
	h := newComposeHarness(t, 0)
	marked, again := h.uncertain("Marked"), h.uncertain("Again")
	h.w.compose.showOutbox()
	v := h.w.compose.outbox
	state := func(id int64) string {
		it, err := h.core.OutboxItem(h.ctx(), id)
		if err != nil {
			return ""
		}
		return it.State
	}
	h.waitFor("the uncertain messages listed", func() bool {
		return labelWithPrefix(v.list, "Marked") != nil && labelWithPrefix(v.list, "Again") != nil &&
			len(buttonsIn(test.LaidOutObjects(v.win.Content()), "Mark as sent")) == 2
	})
	if state(marked) != store.OutboxUncertain || state(again) != store.OutboxUncertain {
		t.Fatalf("states %q and %q, want uncertain", state(marked), state(again))
	}
	advice := 0
	for _, o := range test.LaidOutObjects(v.win.Content()) {
		if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, "mark it as sent; otherwise send it again") {
			advice++
		}
	}
	if advice != 2 {
		t.Errorf("%d explanations for 2 uncertain messages", advice)
	}
	// Rows are listed newest first: "Again" above "Marked".
	test.Tap(buttonsIn(test.LaidOutObjects(v.win.Content()), "Mark as sent")[1])
	h.waitFor("marked as sent", func() bool { return state(marked) == store.OutboxSent })
	if state(again) != store.OutboxUncertain || len(h.srv.Received()) != 0 {
		t.Fatal("marking one as sent changed the other, or sent it")
	}
	test.Tap(buttonIn(t, test.LaidOutObjects(v.win.Content()), "Send again"))
	got := h.received(1)
	if !strings.Contains(string(got[0].Data), "Subject: Again") {
		t.Fatalf("received %s", got[0].Data)
	}
	h.waitFor("sent again", func() bool { return state(again) == store.OutboxSent })
	// The view redraws from the event of the store's write, which may
	// come after the store shows it.
	h.waitFor("no Send again button left", func() bool {
		return len(buttonsIn(test.LaidOutObjects(v.win.Content()), "Send again")) == 0
	})
}

func buttonsIn(objs []fyne.CanvasObject, text string) []*widget.Button {
	var out []*widget.Button
	for _, o := range objs {
		if b, ok := o.(*widget.Button); ok && b.Text == text && b.Visible() {
			out = append(out, b)
		}
	}
	return out
}
