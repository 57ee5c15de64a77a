package gui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/ternmail/tern/store"
)

// TestComposerSizeWarning opens a composer on an account whose server
// advertises SIZE 4000: the composer learns the limit from the server and
// warns once the attachments pass it (not at the 25 MB default).
func TestComposerSizeWarning(t *testing.T) {
	h := newComposeHarnessSized(t, 0, 4000)
	h.w.compose.compose()
	c := h.only()
	h.waitFor("the server's size limit", func() bool { return h.core.SizeLimit(c.state.Account) == 4000 })
	c.attach(attachment("a.bin", strings.Repeat("a", 1500)))
	if c.sizeWarn.Visible() {
		t.Fatalf("warning under the limit: %q", c.sizeWarn.Text)
	}
	c.attach(attachment("b.bin", strings.Repeat("b", 1500)))
	if !c.sizeWarn.Visible() || !strings.Contains(c.sizeWarn.Text, "more than the 4 KB the server accepts") {
		t.Fatalf("warning = %v %q", c.sizeWarn.Visible(), c.sizeWarn.Text)
	}
	c.removeAttachment(1)
	if c.sizeWarn.Visible() {
		t.Fatal("warning after removing the attachment")
	}
}

// TestComposerSendLater schedules a message with "Send later…": a time
// that does not parse is refused in the dialog; a good one closes the
// composer and queues the message for that time, and nothing is sent.
func TestComposerSendLater(t *testing.T) {
	h := newComposeHarness(t, 0)
	h.w.compose.compose()
	c := h.only()
	c.to.SetText("bob@example.com")
	c.subject.SetText("Tomorrow morning")
	c.body.SetText("Wake up.")
	test.Tap(buttonIn(t, test.LaidOutObjects(c.win.Content()), "Send later…"))
	if c.later == nil {
		t.Fatal("no dialog")
	}
	c.laterEntry.SetText("at some point")
	test.Tap(buttonIn(t, test.LaidOutObjects(c.win.Canvas().Overlays().Top()), "Schedule"))
	if !c.laterErr.Visible() || !strings.Contains(c.laterErr.Text, "is not a time") || len(h.w.compose.open) != 1 {
		t.Fatalf("bad time: %q", c.laterErr.Text)
	}
	at := time.Now().Add(26 * time.Hour).Truncate(time.Minute)
	c.laterEntry.SetText(at.Format("2006-01-02 15:04"))
	test.Tap(buttonIn(t, test.LaidOutObjects(c.win.Canvas().Overlays().Top()), "Schedule"))
	h.waitFor("the composer closed", func() bool { return len(h.w.compose.open) == 0 })
	items, err := h.core.Outbox(h.ctx(), "")
	if err != nil || len(items) != 1 || items[0].State != store.OutboxQueued || !items[0].NextAttempt.Equal(at) {
		t.Fatalf("outbox: %+v %v (want due %v)", items, err, at)
	}
	if !strings.Contains(h.w.compose.label.Text, "will be sent at "+at.Format("Mon 2 Jan 15:04")) {
		t.Fatalf("status: %q", h.w.compose.label.Text)
	}
	time.Sleep(300 * time.Millisecond)
	h.run()
	if got := h.srv.Received(); len(got) != 0 {
		t.Fatalf("sent before its time: %d", len(got))
	}
}
