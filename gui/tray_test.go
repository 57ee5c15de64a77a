package gui

import (
	"bytes"
	"fmt"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/mailtest"
)

// trayApp is Fyne's test app with a system tray, as the desktop driver
// has one: it keeps the menu and the icon the window hands it, and counts
// the calls to Quit (a no-op in the test app).
type trayApp struct {
	fyne.App
	menu  *fyne.Menu
	icon  fyne.Resource
	icons int
	quits int
}

func (a *trayApp) SetSystemTrayMenu(m *fyne.Menu)    { a.menu = m }
func (a *trayApp) SetSystemTrayIcon(r fyne.Resource) { a.icon = r; a.icons++ }
func (a *trayApp) SetSystemTrayWindow(w fyne.Window) {}
func (a *trayApp) Quit()                             { a.quits++ }
func (a *trayApp) labels() (out []string) {
	for _, it := range a.menu.Items {
		if it.IsSeparator {
			out = append(out, "--")
			continue
		}
		out = append(out, it.Label)
	}
	return out
}

// item returns the menu item labelled label, or nil.
func (a *trayApp) item(prefix string) *fyne.MenuItem {
	for _, it := range a.menu.Items {
		if !it.IsSeparator && strings.HasPrefix(it.Label, prefix) {
			return it
		}
	}
	return nil
}

// TestTray drives the tray menu of a window over the demo mailbox: its
// items and the account's unread count, which follows mail arriving and
// being read, with the count drawn on the icon; New message, Check mail,
// the account's line, Open Tern and Quit; closing the window with the
// close-to-tray setting hides it while sync goes on, and without the
// setting closes it.
func TestTray(t *testing.T) {
	ta := &trayApp{App: test.NewTempApp(t)}
	log := &testLog{t: t}
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: mailtest.DemoAddress, TLS: true,
		Mailboxes: mailtest.DemoMailboxes, Seed: mailtest.DemoSeed(time.Now())})
	core, err := app.New(app.Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets(), StartDemo: demoFor(srv), Logf: log.logf})
	if err != nil {
		t.Fatal(err)
	}
	core.Start()
	h := windowFor(t, ta, core, log)
	closeToTray := true
	h.w.opts.CloseToTray = func() bool { return closeToTray }
	if got := ta.labels(); !slices.Equal(got, []string{"Open Tern", "New message", "Check mail", "--", "Quit"}) {
		t.Fatalf("menu without accounts: %q", got)
	}
	h.startDemo()
	acct := h.w.accounts[0]
	h.waitFor("the first sync's end", func() bool { return h.core.Status(acct.ID).State == app.StateIdle })
	inbox, err := h.core.MailboxByRole(h.ctx(), acct.ID, app.RoleInbox)
	if err != nil {
		t.Fatal(err)
	}
	name := acct.Name
	if name == "" {
		name = acct.Email
	}
	// unreadShown waits until the menu and the icon show n unread.
	unreadShown := func(n int) {
		t.Helper()
		want := fmt.Sprintf("%s — %d unread", name, n)
		h.waitFor(want, func() bool {
			return slices.Equal(ta.labels(), []string{"Open Tern", "New message", "Check mail", "--", want, "--", "Quit"}) &&
				ta.icon != nil && ta.icon.Name() == fmt.Sprintf("tern-tray-%d.png", n)
		})
	}
	unread := inbox.Unread
	if unread == 0 || unread > 99 {
		t.Fatalf("the demo inbox has %d unread", unread)
	}
	unreadShown(unread)
	img, err := png.Decode(bytes.NewReader(ta.icon.Content()))
	if err != nil {
		t.Fatal(err)
	}
	if r, g, b, _ := img.At(trayIconSize*3/4, 2).RGBA(); r>>8 < 0xc0 || g>>8 > 0x60 || b>>8 > 0x60 {
		t.Fatalf("no red badge in the icon's corner: %x %x %x", r>>8, g>>8, b>>8)
	}

	// Mail arrives, mail is read.
	if _, err := srv.Append("INBOX", newMail("Alice Martin <alice@example.com>", "Tray"), nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	unreadShown(unread + 1)
	msgs, err := h.core.Messages(h.ctx(), inbox.ID, 0, 1)
	if err != nil || len(msgs) != 1 || msgs[0].Subject != "Tray" {
		t.Fatalf("newest %+v %v", msgs, err)
	}
	if err := h.core.SetSeen(h.ctx(), msgs[0].ID, true); err != nil {
		t.Fatal(err)
	}
	unreadShown(unread)

	// New message.
	ta.item("New message").Action()
	h.waitFor("a composer", func() bool { return len(h.w.compose.open) == 1 })

	// Check mail: a message in a folder other than the inbox, which IDLE
	// does not watch, arrives by the sync pass it starts (the next one
	// on its own is minutes away).
	if _, err := srv.Append("Archive", newMail("Bob <bob@example.com>", "Only by a pass"), nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	ta.item("Check mail").Action()
	h.waitFor("the message in Archive", func() bool { return newestSubject(h, app.RoleArchive) == "Only by a pass" })

	// The account's line opens its inbox.
	sent, err := h.core.MailboxByRole(h.ctx(), acct.ID, app.RoleSent)
	if err != nil {
		t.Fatal(err)
	}
	h.w.folders.selectMailbox(sent.ID)
	h.waitFor("the Sent folder", func() bool { return h.w.list.mailbox.ID == sent.ID })
	ta.item(name).Action()
	h.waitFor("the inbox", func() bool { return h.w.list.mailbox.ID == inbox.ID })

	// Close to the tray: hidden, still syncing; Open Tern shows it.
	h.w.closeRequested()
	if !h.w.tray.hidden || h.w.ctx.Err() != nil || h.windowTitled("Tern") == nil {
		t.Fatalf("closed to the tray: hidden %v, window context %v", h.w.tray.hidden, h.w.ctx.Err())
	}
	if _, err := srv.Append("INBOX", newMail("Carol <carol@example.com>", "While hidden"), nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	unreadShown(unread + 1)
	ta.item("Open Tern").Action()
	if h.w.tray.hidden {
		t.Fatal("Open Tern left the window hidden")
	}

	ta.item("Quit").Action()
	if ta.quits != 1 {
		t.Fatalf("Quit quit %d times", ta.quits)
	}

	// Without the setting, closing the window closes it.
	closeToTray = false
	h.w.closeRequested()
	if h.w.ctx.Err() == nil || h.windowTitled("Tern") != nil {
		t.Fatal("the window stayed open")
	}
}

// TestTrayCoalesces changes the unread count fifty times in one turn of
// the UI goroutine: the tray shows the last count once, with one icon
// drawn; an update that changes nothing schedules nothing.
func TestTrayCoalesces(t *testing.T) {
	ta := &trayApp{App: test.NewTempApp(t)}
	log := &testLog{t: t}
	h := windowFor(t, ta, newCore(t, log, nil), log)
	h.startDemo()
	acct := h.w.accounts[0].ID
	h.waitFor("a count in the tray", func() bool { return ta.menu != nil && len(ta.menu.Items) == 7 && !h.w.tray.pending })
	real := h.w.tray.source()
	if len(real) != 1 || real[0].account != acct || real[0].inbox == 0 {
		t.Fatalf("tray lines %+v", real)
	}
	sets, renders := h.w.tray.sets, h.w.tray.icon.renders
	h.w.tray.update()
	if h.w.tray.pending {
		t.Fatal("an update without a change scheduled a refresh")
	}
	base := real[0].unread
	lines := slices.Clone(real)
	h.w.tray.source = func() []trayLine { return slices.Clone(lines) }
	for n := 1; n <= 50; n++ {
		lines[0].unread = base + 1000 + n
		h.w.tray.update()
	}
	h.waitFor("the tray refreshed", func() bool { return h.w.tray.sets > sets })
	if h.w.tray.sets != sets+1 || h.w.tray.icon.renders != renders+1 || !strings.HasSuffix(ta.menu.Items[4].Label, " — "+thousands(base+1050)+" unread") {
		t.Fatalf("after 50 changes: %d menus, %d icons, %q", h.w.tray.sets-sets, h.w.tray.icon.renders-renders, ta.menu.Items[4].Label)
	}
	if ta.icon.Name() != fmt.Sprintf("tern-tray-%d.png", base+1050) {
		t.Fatalf("icon %s", ta.icon.Name())
	}
}

// TestCloseWithoutTray: where there is no tray, closing the window quits
// even with the close-to-tray setting on, since nothing could bring the
// window back.
func TestCloseWithoutTray(t *testing.T) {
	h := newHarness(t, nil)
	h.w.opts.CloseToTray = func() bool { return true }
	h.w.closeRequested()
	if h.w.ctx.Err() == nil {
		t.Fatal("the window stayed open")
	}
}
