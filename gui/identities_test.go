package gui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/sync/outbox"
)

// identityEnv is a window over a core with one saved (not ephemeral)
// account at the in-process server.
type identityEnv struct {
	*harness
	srv  *mailtest.Server
	home string
	acct accounts.Account
}

func newIdentityEnv(t *testing.T) *identityEnv {
	t.Helper()
	a := test.NewTempApp(t)
	log := &testLog{t: t}
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: mailtest.DemoAddress, TLS: true,
		Mailboxes: mailtest.DemoMailboxes, Seed: mailtest.DemoSeed(time.Now())})
	home := t.TempDir()
	core, err := app.New(app.Options{Home: home, Secrets: accounts.NewMemorySecrets(), Logf: log.logf,
		Outbox: &outbox.Options{UndoDelay: 50 * time.Millisecond, RetryBase: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	acct := mailtest.DemoAccount(srv)
	acct.ID = "work"
	acct, err = core.AddAccount(context.Background(), acct, srv.Password, &app.AddOptions{SkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	core.Start()
	h := windowFor(t, a, core, log)
	h.waitFor("the main panes", h.w.showingMain)
	return &identityEnv{harness: h, srv: srv, home: home, acct: acct}
}

// top returns what is drawn in the dialog on top of the main window.
func (e *identityEnv) top() []fyne.CanvasObject {
	o := e.w.Window().Canvas().Overlays().Top()
	if o == nil {
		e.t.Fatal("no dialog is open")
	}
	return test.LaidOutObjects(o)
}

// openIdentities opens the accounts dialog and, from it, the account's
// identities.
func (e *identityEnv) openIdentities() {
	e.t.Helper()
	e.w.showAccounts()
	test.Tap(buttonIn(e.t, e.top(), "Identities…"))
	buttonIn(e.t, e.top(), "Add identity…")
}

// identityRows returns the texts of the identity rows on screen.
func (e *identityEnv) identityRows() []string {
	var out []string
	for _, o := range e.top() {
		sc, ok := o.(*container.Scroll)
		if !ok {
			continue
		}
		for _, o := range test.LaidOutObjects(sc.Content) {
			if l, ok := o.(*widget.Label); ok {
				out = append(out, l.Text)
			}
		}
	}
	return out
}

// fillForm fills the open identity form; a field given as "-" is left
// as it is.
func (e *identityEnv) fillForm(name, email, replyTo, signature string, def bool) {
	e.t.Helper()
	var entries []*widget.Entry
	var check *widget.Check
	for _, o := range e.top() {
		switch o := o.(type) {
		case *widget.Entry:
			entries = append(entries, o)
		case *widget.Check:
			check = o
		}
	}
	if len(entries) != 4 || check == nil {
		e.t.Fatalf("the identity form has %d entries and check %v", len(entries), check)
	}
	for i, v := range []string{name, email, replyTo, signature} {
		if v != "-" {
			entries[i].SetText(v)
		}
	}
	check.SetChecked(def)
}

// formError returns the error shown in the open form, or "".
func (e *identityEnv) formError() string {
	for _, o := range e.top() {
		if l, ok := o.(*widget.Label); ok && l.Importance == widget.DangerImportance && l.Visible() {
			return l.Text
		}
	}
	return ""
}

// save taps Save in the form and waits for it to close or show an error.
func (e *identityEnv) save() string {
	e.t.Helper()
	test.Tap(buttonIn(e.t, e.top(), "Save"))
	var msg string
	e.waitFor("the identity saved or refused", func() bool {
		msg = e.formError()
		return msg != "" || !e.formOpen()
	})
	return msg
}

func (e *identityEnv) formOpen() bool {
	for _, o := range e.top() {
		if _, ok := o.(*widget.Check); ok {
			return true
		}
	}
	return false
}

// rowButton taps the button labelled text in the row whose text contains who.
func (e *identityEnv) rowButton(who, text string) *widget.Button {
	e.t.Helper()
	top := e.w.Window().Canvas().Overlays().Top()
	for _, row := range test.LaidOutObjects(top) {
		c, ok := row.(*fyne.Container)
		if !ok {
			continue
		}
		var label bool
		var btn *widget.Button
		for _, o := range c.Objects {
			if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, who) {
				label = true
			}
			if bc, ok := o.(*fyne.Container); ok {
				for _, b := range bc.Objects {
					if b, ok := b.(*widget.Button); ok && b.Text == text {
						btn = b
					}
				}
			}
		}
		if label && btn != nil {
			return btn
		}
	}
	e.t.Fatalf("no %q button in the row of %s", text, who)
	return nil
}

func TestIdentitiesInTheWindow(t *testing.T) {
	e := newIdentityEnv(t)
	const sig = "Sam Rivera\nRivera Works, 2nd floor"
	e.openIdentities()
	if rows := e.identityRows(); len(rows) != 1 || !strings.Contains(rows[0], "(default)") {
		t.Fatalf("rows at start: %q", rows)
	}

	// Add one, refused in words first.
	test.Tap(buttonIn(t, e.top(), "Add identity…"))
	e.fillForm("Rivera Works", "sam@", "desk@rivera.example", sig, false)
	if msg := e.save(); !strings.Contains(msg, "“sam@” is not an email address") {
		t.Fatalf("bad address: error %q", msg)
	}
	e.fillForm("-", mailtest.DemoAddress, "-", "-", false)
	if msg := e.save(); !strings.Contains(msg, "both send from "+mailtest.DemoAddress) {
		t.Fatalf("duplicate address: error %q", msg)
	}
	e.fillForm("-", "sam@rivera.example", "desk@", "-", false)
	if msg := e.save(); !strings.Contains(msg, "reply-to address “desk@” is not an email address") {
		t.Fatalf("bad reply-to: error %q", msg)
	}
	e.fillForm("-", "-", "desk@rivera.example", "-", false)
	if msg := e.save(); msg != "" {
		t.Fatalf("refused: %q", msg)
	}
	rows := e.identityRows()
	if len(rows) != 2 || !strings.Contains(rows[1], "Rivera Works <sam@rivera.example>") || strings.Contains(rows[1], "default") {
		t.Fatalf("rows after the add: %q", rows)
	}
	e.w.Window().Canvas().Overlays().Top().Hide() // Close the identities
	e.w.Window().Canvas().Overlays().Top().Hide() // and the accounts

	// The composer offers it; choosing it brings its signature, choosing
	// the default again takes it away, untouched.
	sam := "Rivera Works <sam@rivera.example>"
	c := e.w.compose.openComposer(composeState{Account: e.acct.ID}, true)
	h := &composeHarness{harness: e.harness, srv: e.srv}
	if !contains(c.from.Options, sam) || c.from.Selected == sam {
		t.Fatalf("From %q of %q", c.from.Selected, c.from.Options)
	}
	first := c.from.Selected
	c.from.SetSelected(sam)
	if !strings.Contains(c.body.Text(), "-- \n"+sig+"\n") {
		t.Fatalf("body with the identity chosen: %q", c.body.Text())
	}
	c.from.SetSelected(first)
	if strings.Contains(c.body.Text(), "Rivera Works") {
		t.Fatalf("signature left after switching back: %q", c.body.Text())
	}
	c.from.SetSelected(sam)
	c.to.SetText("bob@example.com")
	c.subject.SetText("From the new identity")
	c.body.SetText("Hello Bob\n" + c.body.Text())
	c.send()
	got := h.received(1)
	data := strings.ReplaceAll(string(got[0].Data), "\r\n", "\n")
	if got[0].From != "sam@rivera.example" || !strings.Contains(data, "From: \"Rivera Works\" <sam@rivera.example>") ||
		!strings.Contains(data, "Reply-To: <desk@rivera.example>") && !strings.Contains(data, "Reply-To: desk@rivera.example") ||
		!strings.Contains(data, "Hello Bob") || !strings.Contains(data, "-- \n"+sig) {
		t.Fatalf("received from %s:\n%s", got[0].From, data)
	}

	// Edit it into the default, then remove the old one.
	e.openIdentities()
	test.Tap(e.rowButton("sam@rivera.example", "Edit…"))
	e.fillForm("Samuel Rivera", "-", "", "Samuel", true)
	if msg := e.save(); msg != "" {
		t.Fatalf("edit refused: %q", msg)
	}
	rows = e.identityRows()
	if len(rows) != 2 || !strings.HasPrefix(rows[0], "Samuel Rivera <sam@rivera.example>  (default)") || strings.Contains(rows[1], "default") ||
		strings.Contains(rows[0], "Replies go to") {
		t.Fatalf("rows after the edit: %q", rows)
	}
	test.Tap(e.rowButton(mailtest.DemoAddress, "Remove"))
	e.waitFor("the removal", func() bool { return len(e.identityRows()) == 1 })
	if c := e.w.compose.openComposer(composeState{Account: e.acct.ID}, true); len(c.from.Options) != 1 ||
		c.from.Selected != "Samuel Rivera <sam@rivera.example>" || !strings.HasSuffix(c.body.Text(), "-- \nSamuel\n") {
		t.Fatalf("composer after the edit: From %q of %q, body %q", c.from.Selected, c.from.Options, c.body.Text())
	}

	// A core started over the same home has them.
	again, err := app.New(app.Options{Home: e.home, Secrets: accounts.NewMemorySecrets(), Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Shutdown()
	ids, err := again.Identities(e.acct.ID)
	if err != nil || len(ids) != 1 || ids[0].Name != "Samuel Rivera" || ids[0].Email != "sam@rivera.example" ||
		ids[0].Signature != "Samuel" || ids[0].ReplyTo != "" || !ids[0].Default {
		t.Fatalf("after a restart: %+v, %v", ids, err)
	}
}
