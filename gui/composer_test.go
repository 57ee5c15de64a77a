package gui

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/store"
	"github.com/ternmail/tern/sync/outbox"
)

// composeHarness is a harness whose core's outbox has an undo window of
// undo, with the demo server at hand.
type composeHarness struct {
	*harness
	srv  *mailtest.Server
	home string // the core's home, for tests that open its store beside it
}

func newComposeHarness(t *testing.T, undo time.Duration) *composeHarness {
	t.Helper()
	return newComposeHarnessSized(t, undo, 0)
}

// newComposeHarnessSized is newComposeHarness with a demo server whose
// SMTP SIZE limit is smtpMax (0: the default).
func newComposeHarnessSized(t *testing.T, undo time.Duration, smtpMax int64) *composeHarness {
	t.Helper()
	a := test.NewTempApp(t)
	log := &testLog{t: t}
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: mailtest.DemoAddress, TLS: true,
		Mailboxes: mailtest.DemoMailboxes, Seed: mailtest.DemoSeed(time.Now()), SMTPMaxBytes: smtpMax})
	home := t.TempDir()
	core, err := app.New(app.Options{
		Home:      home,
		Secrets:   accounts.NewMemorySecrets(),
		StartDemo: demoFor(srv),
		Outbox:    &outbox.Options{UndoDelay: undo, RetryBase: 50 * time.Millisecond},
		Logf:      log.logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	core.Start()
	h := windowFor(t, a, core, log)
	h.startDemo()
	return &composeHarness{harness: h, srv: srv, home: home}
}

// only returns the one open composer.
func (h *composeHarness) only() *composer {
	h.t.Helper()
	h.waitFor("a composer", func() bool { return len(h.w.compose.open) == 1 })
	return h.w.compose.open[0]
}

// received waits for n messages at the SMTP server.
func (h *composeHarness) received(n int) []mailtest.Envelope {
	h.t.Helper()
	var got []mailtest.Envelope
	h.waitFor(itoa(n)+" message(s) at the server", func() bool {
		got = h.srv.Received()
		return len(got) >= n
	})
	return got
}

var ctrlEnter = &desktop.CustomShortcut{KeyName: fyne.KeyReturn, Modifier: fyne.KeyModifierShortcutDefault}
var ctrlS = &desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault}

func tempFile(t *testing.T, name string, data []byte) fyne.URI {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return storage.NewFileURI(p)
}

// attachRows returns the names shown in the attachment list.
func attachRows(c *composer) []string {
	var out []string
	for _, o := range test.LaidOutObjects(c.attsBox) {
		if l, ok := o.(*widget.Label); ok && !strings.HasSuffix(l.Text, " B") && !strings.HasSuffix(l.Text, "KB") {
			out = append(out, l.Text)
		}
	}
	return out
}

func TestComposerSendAttachAndAutocomplete(t *testing.T) {
	h := newComposeHarness(t, 100*time.Millisecond)
	test.Tap(findButton(t, h.harness, "New"))
	c := h.only()
	if c.win.Canvas().Focused() != c.to {
		t.Errorf("focus = %T, want the To field", c.win.Canvas().Focused())
	}
	// Autocomplete from the demo store: the demo's correspondents.
	test.Type(c.to, "a")
	h.waitFor("suggestions", func() bool { return len(c.suggest.Objects) > 0 })
	first := c.suggest.Objects[0].(*widget.Button).Text
	c.to.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // takes the first one
	if !strings.HasPrefix(c.to.Text, first) || !strings.HasSuffix(c.to.Text, ", ") || len(c.suggest.Objects) != 0 {
		t.Fatalf("after completion To = %q (first suggestion %q)", c.to.Text, first)
	}
	c.to.SetText("Bob Example <bob@example.com>")
	test.Type(c.subject, "Plans for Friday")
	c.body.Focus()
	test.Type(c.body.focused(), "Hello Bob")

	// Attach two files (as dropped), remove one.
	c.addFiles([]fyne.URI{tempFile(t, "a.txt", []byte("first file")), tempFile(t, "b.pdf", []byte("%PDF-1.4 second"))})
	h.waitFor("two attachments", func() bool { return len(c.state.Attachments) == 2 })
	if got := strings.Join(attachRows(c), ","); got != "a.txt,b.pdf" {
		t.Fatalf("attachment rows = %q", got)
	}
	var rm []*widget.Button
	for _, o := range test.LaidOutObjects(c.attsBox) {
		if b, ok := o.(*widget.Button); ok {
			rm = append(rm, b)
		}
	}
	test.Tap(rm[0])
	if len(c.state.Attachments) != 1 || c.state.Attachments[0].Filename != "b.pdf" || c.sizeWarn.Visible() {
		t.Fatalf("after remove: %+v", c.state.Attachments)
	}

	c.body.chunks[0].TypedShortcut(ctrlEnter)
	h.waitForFirst("the composer to close", func() bool { return len(h.w.compose.open) == 0 })
	if !h.w.compose.bar.Visible() || !strings.HasPrefix(h.w.compose.label.Text, "Sending") {
		t.Errorf("status = %q", h.w.compose.label.Text)
	}
	got := h.received(1)
	data := string(got[0].Data)
	if !strings.Contains(data, "Subject: Plans for Friday") || !strings.Contains(data, "b.pdf") || strings.Contains(data, "a.txt") ||
		got[0].To[0] != "bob@example.com" || !strings.Contains(data, "Hello Bob") {
		t.Fatalf("received %+v\n%s", got[0].To, data)
	}
	h.waitFor("Sent in the status bar", func() bool { return strings.HasPrefix(h.w.compose.label.Text, "Sent ") })

	// The outbox window lists it.
	h.w.compose.showOutbox()
	h.waitFor("the outbox view", func() bool {
		v := h.w.compose.outbox
		return v != nil && labelWithPrefix(v.list, "Plans for Friday") != nil && labelWithPrefix(v.list, "Sent ") != nil
	})
}

const replyOrig = "From: Alice Martin <alice@example.com>\r\n" +
	"To: Sam Rivera <demo@tern.example>, Bob <bob@example.com>\r\n" +
	"Cc: carol@example.com\r\n" +
	"Subject: Re: Offsite agenda\r\n" +
	"Date: Tue, 3 Mar 2026 09:30:00 +0000\r\n" +
	"Message-ID: <agenda-2@example.com>\r\n" +
	"References: <agenda-1@example.com>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=b\r\n" +
	"\r\n" +
	"--b\r\nContent-Type: text/plain\r\n\r\nHere is the agenda.\r\n\r\n> earlier\r\nAlice\r\n" +
	"--b\r\nContent-Type: text/plain; name=agenda.txt\r\nContent-Disposition: attachment; filename=agenda.txt\r\n\r\n9:00 coffee\r\n" +
	"--b--\r\n"

// selectAppended appends replyOrig to the inbox and selects it.
func (h *composeHarness) selectAppended() {
	h.t.Helper()
	if _, err := h.srv.Append("INBOX", []byte(replyOrig), nil, time.Now()); err != nil {
		h.t.Fatal(err)
	}
	h.core.SyncNow("")
	h.openBySubject("Re: Offsite agenda")
	if h.w.compose.replyBtn.Disabled() {
		h.t.Fatal("Reply is disabled with a message selected")
	}
}

func TestComposerReplyReplyAllForward(t *testing.T) {
	h := newComposeHarness(t, 50*time.Millisecond)
	h.selectAppended()

	test.Tap(h.w.compose.replyBtn)
	c := h.only()
	if c.subject.Text != "Re: Offsite agenda" || c.to.Text != "Alice Martin <alice@example.com>" || c.cc.Text != "" ||
		c.from.Selected != "Sam Rivera <demo@tern.example>" {
		t.Fatalf("reply: subject %q to %q cc %q from %q", c.subject.Text, c.to.Text, c.cc.Text, c.from.Selected)
	}
	body := c.body.Text()
	if !strings.Contains(body, "On Tue, 3 Mar 2026 at 09:30, Alice Martin <alice@example.com> wrote:\n> Here is the agenda.\n>\n>> earlier\n") {
		t.Fatalf("reply body = %q", body)
	}
	if c.win.Canvas().Focused() != c.body.chunks[0] {
		t.Errorf("focus = %T, want the body", c.win.Canvas().Focused())
	}
	test.Type(c.body.focused(), "Looks good.")
	test.Tap(c.sendBtn)
	got := h.received(1)
	data := string(got[0].Data)
	if !strings.Contains(data, "In-Reply-To: <agenda-2@example.com>") ||
		!strings.Contains(data, "References: <agenda-1@example.com> <agenda-2@example.com>") ||
		!strings.Contains(data, "Subject: Re: Offsite agenda\r\n") || !strings.Contains(data, "Looks good.") {
		t.Fatalf("reply sent:\n%s", data)
	}

	// Reply all: everyone but the user.
	test.Tap(h.w.compose.replyAllBtn)
	c = h.only()
	if c.to.Text != "Alice Martin <alice@example.com>" || c.cc.Text != "Bob <bob@example.com>, carol@example.com" {
		t.Fatalf("reply all: to %q cc %q", c.to.Text, c.cc.Text)
	}
	c.discard()

	// Forward inline: the text and the attachment.
	h.w.compose.forward(false)
	c = h.only()
	if c.subject.Text != "Fwd: Re: Offsite agenda" || !strings.Contains(c.body.Text(), "-------- Forwarded message --------") ||
		len(c.state.Attachments) != 1 || c.state.Attachments[0].Filename != "agenda.txt" {
		t.Fatalf("forward: %q %+v", c.subject.Text, c.state.Attachments)
	}
	c.discard()

	// Forward as attachment, sent.
	h.w.compose.forward(true)
	c = h.only()
	if len(c.state.Attachments) != 1 || c.state.Attachments[0].ContentType != "message/rfc822" {
		t.Fatalf("forward as attachment: %+v", c.state.Attachments)
	}
	c.to.SetText("dave@example.com")
	c.subject.TypedShortcut(ctrlEnter)
	got = h.received(2)
	if !strings.Contains(string(got[1].Data), "Content-Type: message/rfc822") {
		t.Fatalf("forward sent:\n%s", got[1].Data)
	}
}

func TestComposerUndoReopens(t *testing.T) {
	h := newComposeHarness(t, 3*time.Second)
	h.w.compose.compose()
	c := h.only()
	c.to.SetText("bob@example.com")
	c.bcc.SetText("secret@example.com")
	c.subject.SetText("Oops")
	c.body.SetText("Not yet.")
	c.attach(attachment("notes.txt", "n"))
	test.Tap(c.sendBtn)
	h.waitFor("Sending… Undo", func() bool { return len(h.w.compose.open) == 0 && h.w.compose.undoBtn.Visible() })
	test.Tap(h.w.compose.undoBtn)
	c = h.only()
	if c.to.Text != "bob@example.com" || c.bcc.Text != "secret@example.com" || c.subject.Text != "Oops" ||
		!strings.HasPrefix(c.body.Text(), "Not yet.") || len(c.state.Attachments) != 1 || h.w.compose.bar.Visible() {
		t.Fatalf("reopened: to %q bcc %q subject %q body %q atts %d", c.to.Text, c.bcc.Text, c.subject.Text, c.body.Text(), len(c.state.Attachments))
	}
	items, err := h.core.Outbox(h.ctx(), "")
	if err != nil || len(items) != 0 {
		t.Fatalf("outbox after undo: %+v %v", items, err)
	}
	time.Sleep(3500 * time.Millisecond)
	h.run()
	if got := h.srv.Received(); len(got) != 0 {
		t.Fatalf("sent after undo: %d", len(got))
	}
	// The reopened composer saved itself as a draft.
	h.waitFor("the draft saved", func() bool { return c.state.DraftID != 0 && !c.autosave.Saving() })
}

func TestComposerDraftRoundTripAndEsc(t *testing.T) {
	h := newComposeHarness(t, 0)
	h.w.compose.compose()
	c := h.only()
	test.Type(c.to, "Bob <bob@example.com>, half@")
	c.cc.SetText("carol@example.com")
	test.Type(c.subject, "Draft")
	c.body.Focus()
	test.Type(c.body.focused(), "Body text")
	c.attach(attachment("one.txt", "1"), attachment("two.bin", "22"))
	c.subject.TypedShortcut(ctrlS)
	h.waitFor("the draft saved", func() bool { return !c.autosave.Saving() && c.state.DraftID != 0 })
	id := c.state.DraftID
	test.Type(c.subject, " v2")
	c.closeAndSave() // the window's close button
	h.waitFor("the closing save", func() bool {
		d, err := h.core.Draft(h.ctx(), id)
		return err == nil && d.Subject == "Draft v2"
	})

	// Reopen from the outbox window's drafts list.
	h.w.compose.showOutbox()
	v := h.w.compose.outbox
	h.waitFor("the draft listed", func() bool { return len(v.drafts) == 1 })
	test.Tap(buttonIn(t, test.LaidOutObjects(v.win.Content()), "Open"))
	c = h.only()
	if c.to.Text != "Bob <bob@example.com>, half@" || c.cc.Text != "carol@example.com" || c.subject.Text != "Draft v2" ||
		!strings.HasPrefix(c.body.Text(), "Body text") || len(c.state.Attachments) != 2 || string(c.state.Attachments[1].Data) != "22" ||
		c.state.DraftID != id {
		t.Fatalf("reopened: %+v", c.snapshot())
	}
	if got := strings.Join(attachRows(c), ","); got != "one.txt,two.bin" {
		t.Fatalf("attachment rows = %q", got)
	}

	// Esc on an unchanged composer closes it; on a changed one it asks.
	c.subject.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	h.waitFor("closed", func() bool { return len(h.w.compose.open) == 0 })
	h.w.compose.openDraft(id)
	c = h.only()
	test.Type(c.subject, "!")
	c.body.Focus()
	c.body.focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if c.confirm == nil || len(h.w.compose.open) != 1 {
		t.Fatal("Esc on a changed draft did not ask")
	}
	test.Tap(buttonIn(t, test.LaidOutObjects(c.win.Canvas().Overlays().Top()), "Discard"))
	h.waitFor("the draft deleted", func() bool {
		_, err := h.core.Draft(h.ctx(), id)
		return err == store.ErrNotFound && len(h.w.compose.open) == 0
	})
}

func TestComposerHeaderInjection(t *testing.T) {
	h := newComposeHarness(t, 0)
	h.w.compose.compose()
	c := h.only()
	c.to.SetText("bob@example.com")
	c.subject.SetText("Hello\r\nBcc: victim@example.com")
	c.body.SetText("x")
	test.Tap(c.sendBtn)
	h.waitFor("the error", func() bool { return c.errLabel.Visible() && !c.sendBtn.Disabled() })
	if !strings.Contains(c.errLabel.Text, "subject contains a line break") || len(h.w.compose.open) != 1 {
		t.Fatalf("error = %q", c.errLabel.Text)
	}
	// A bad recipient is refused before the core sees it.
	c.subject.SetText("Fine")
	c.to.SetText("bob@example.com\nBcc: x@example.com")
	c.send()
	if !strings.Contains(c.errLabel.Text, "To:") {
		t.Fatalf("error = %q", c.errLabel.Text)
	}
	items, _ := h.core.Outbox(h.ctx(), "")
	time.Sleep(200 * time.Millisecond)
	if len(items) != 0 || len(h.srv.Received()) != 0 {
		t.Fatalf("something was queued or sent: %+v", items)
	}
}

// buttonIn returns the visible button labelled text among objs.
func buttonIn(t testing.TB, objs []fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	for _, o := range objs {
		if b, ok := o.(*widget.Button); ok && b.Text == text && b.Visible() {
			return b
		}
	}
	t.Fatalf("no button %q", text)
	return nil
}

func attachment(name, data string) message.DraftAttachment {
	return message.DraftAttachment{Filename: name, Data: []byte(data)}
}

// BenchmarkComposerTyping types into the body of a reply that quotes
// 30,000 characters, through fyne test's Type, one character per op.
func BenchmarkComposerTyping(b *testing.B) {
	a := test.NewTempApp(b)
	log := &testLog{t: &testing.T{}}
	log.over = true
	core, err := app.New(app.Options{Home: b.TempDir(), Secrets: accounts.NewMemorySecrets(), Logf: log.logf})
	if err != nil {
		b.Fatal(err)
	}
	defer core.Shutdown()
	w := NewWindow(a, core, &Options{dispatch: func(fn func()) {}})
	defer w.Close()
	var quote bytes.Buffer
	for quote.Len() < 30000 {
		quote.WriteString("> The quick brown fox jumps over the lazy dog, again and again, in a long quoted line.\n")
	}
	c := w.compose.openComposer(composeState{Account: "none", To: "x@example.com", Subject: "Re: long",
		Body: "\n\nOn Mon, someone wrote:\n" + quote.String()}, true)
	c.win.Resize(fyne.NewSize(800, 700))
	c.autosave.Finished() // no draft saves
	c.body.Focus()
	e := c.body.focused()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		test.Type(e, "a")
	}
	b.StopTimer()
	if !strings.HasPrefix(c.body.Text(), strings.Repeat("a", b.N)) || len(c.body.Text()) < 30000 {
		b.Fatalf("body starts %q", c.body.Text()[:20])
	}
}
