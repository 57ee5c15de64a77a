package gui

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ternmail/tern/app"
)

// TestMailtoFromASecondLaunchFillsTheComposer hands a mailto: link to the
// window through its instance socket, as a second launch does: a composer
// opens with every field of the link.
func TestMailtoFromASecondLaunchFillsTheComposer(t *testing.T) {
	h := newComposeHarness(t, 50*time.Millisecond)
	run, err := os.MkdirTemp("", "tg")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(run)
	sock, err := app.InstanceSocket(h.home, run)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := app.ClaimInstance(sock, nil, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	h.w.joinDesktop(inst, nil)

	link := "mailto:bob@example.com,carol@example.com?cc=dan@example.com&bcc=eve@example.com" +
		"&subject=Caf%C3%A9%20at%202&body=Line%20one%0D%0ALine%20two"
	if _, err := app.ClaimInstance(sock, []string{link}, t.Logf); !errors.Is(err, app.ErrHandedOver) {
		t.Fatalf("second launch: %v", err)
	}
	c := h.only()
	if c.state.Account == "" || c.to.Text != "bob@example.com, carol@example.com" || c.cc.Text != "dan@example.com" ||
		c.bcc.Text != "eve@example.com" || c.subject.Text != "Café at 2" {
		t.Fatalf("composer: account %q to %q cc %q bcc %q subject %q", c.state.Account, c.to.Text, c.cc.Text, c.bcc.Text, c.subject.Text)
	}
	if body := c.body.Text(); !strings.HasPrefix(body, "Line one\nLine two") {
		t.Fatalf("body = %q", body)
	}
}

// TestMessageFileOpensInAReader opens a .eml file given at launch: a reader
// window shows it, and Reply and Forward as attachment open composers from
// it.
func TestMessageFileOpensInAReader(t *testing.T) {
	h := newComposeHarness(t, 50*time.Millisecond)
	path := filepath.Join(t.TempDir(), "lunch.eml")
	raw := "From: Alice Martin <alice@example.com>\r\nTo: demo@tern.example\r\nSubject: Lunch on Friday\r\n" +
		"Message-ID: <lunch-1@example.com>\r\nDate: Tue, 3 Mar 2026 09:30:00 +0000\r\n\r\nShall we meet at noon?\r\n"
	if err := os.WriteFile(path, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	h.w.joinDesktop(nil, []string{path})
	var win fyne.Window
	h.waitFor("the reader window", func() bool { win = h.windowTitled("Lunch on Friday"); return win != nil })
	buttons := test.LaidOutObjects(win.Content())
	buttonIn(t, buttons, "Forward")
	test.Tap(buttonIn(t, buttons, "Reply"))
	c := h.only()
	if c.subject.Text != "Re: Lunch on Friday" || c.to.Text != "Alice Martin <alice@example.com>" || c.state.InReplyTo != "lunch-1@example.com" {
		t.Fatalf("reply: subject %q to %q in-reply-to %q", c.subject.Text, c.to.Text, c.state.InReplyTo)
	}
	if body := c.body.Text(); !strings.Contains(body, "> Shall we meet at noon?") {
		t.Fatalf("reply body = %q", body)
	}
	c.discard()
	h.waitFor("the composer to close", func() bool { return len(h.w.compose.open) == 0 })

	test.Tap(buttonIn(t, buttons, "Forward as attachment"))
	c = h.only()
	if c.subject.Text != "Fwd: Lunch on Friday" || len(c.state.Attachments) != 1 ||
		c.state.Attachments[0].ContentType != "message/rfc822" || string(c.state.Attachments[0].Data) != raw {
		t.Fatalf("forward: subject %q attachments %+v", c.subject.Text, c.state.Attachments)
	}
}
