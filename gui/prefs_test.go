package gui

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/mailtest"
)

// htmlFrom is an HTML message from ann@example.org with a remote image
// (on a loopback port nothing listens on).
const htmlFrom = "From: Ann <ann@example.org>\r\nTo: demo@tern.example\r\nSubject: Newsletter\r\nDate: %DATE%\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
	"<p>This month's <b>news</b>.</p><img src=\"http://127.0.0.1:9/pic.png\" width=\"20\" height=\"20\" alt=\"pic\">\r\n"

// openAt opens a core over home with an account on srv (added when add is
// set) and a window over it that is not resized after it is made, so that
// the size it shows is the one it restored. stop closes both; the test's
// end does if stop was not called.
func openAt(t *testing.T, a fyne.App, home string, secrets accounts.Secrets, srv *mailtest.Server, add bool) (h *harness, stop func()) {
	t.Helper()
	log := &testLog{t: t}
	core, err := app.New(app.Options{Home: home, Secrets: secrets, Logf: log.logf})
	if err != nil {
		t.Fatal(err)
	}
	if add {
		acct := mailtest.DemoAccount(srv)
		acct.ID, acct.Name = "home", "Home"
		if _, err := core.AddAccount(context.Background(), acct, srv.Password, &app.AddOptions{SkipVerify: true}); err != nil {
			t.Fatal(err)
		}
	}
	core.Start()
	h = &harness{t: t, core: core, q: make(chan func(), 4096), done: make(chan struct{})}
	opts := &Options{Logf: log.logf}
	opts.dispatch = func(fn func()) {
		select {
		case h.q <- fn:
		case <-h.done:
		}
	}
	h.w = NewWindow(a, core, opts)
	h.w.Window().Show()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			h.w.Close()
			close(h.done)
			h.w.wait()
			h.w.Window().Close()
			core.Shutdown()
			log.stop()
		})
	}
	t.Cleanup(stop)
	return h, stop
}

// isLight reports whether the app's theme draws the light variant
// whatever the desktop prefers.
func isLight(a fyne.App) bool {
	light := theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantLight)
	return a.Settings().Theme().Color(theme.ColorNameBackground, theme.VariantDark) == light
}

// TestPrefsSurviveRestart changes the theme, the reading pane, the text
// size, the window's size, a divider and the folder in the window, and
// the plain-text and remote-content choices for a sender in the reader;
// then opens a new core and window over the same home and checks that all
// of them are back.
func TestPrefsSurviveRestart(t *testing.T) {
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: mailtest.DemoAddress, Seed: []mailtest.SeedMessage{
		{Mailbox: "INBOX", Raw: withDate(htmlFrom)},
		{Mailbox: "Lists", Raw: withDate("From: Bob <bob@example.org>\r\nTo: demo@tern.example\r\nSubject: On the list\r\nDate: %DATE%\r\n\r\nHello.\r\n")},
	}})
	a := test.NewTempApp(t)
	home := t.TempDir()
	secrets := accounts.NewMemorySecrets()
	h, stop := openAt(t, a, home, secrets, srv, true)
	h.waitFor("the inbox", func() bool { return h.w.showingMain() && h.w.list.mailbox.Role == app.RoleInbox && h.w.list.count == 1 })
	if isLight(a) {
		t.Fatal("the light theme before it was chosen")
	}

	// The reader: plain text and remote content for Ann, from now on.
	h.openBySubject("Newsletter")
	r := h.w.reader
	h.waitFor("the remote bar", func() bool { return r.alwaysBtn.Visible() })
	if r.plainView || r.remote {
		t.Fatalf("plain %v remote %v before any choice", r.plainView, r.remote)
	}
	test.Tap(r.viewBtn)
	test.Tap(r.alwaysBtn)
	h.waitFor("Ann's choices saved", func() bool {
		return h.core.Settings().Sender("ann@example.org") == app.SenderChoice{View: app.ViewPlain, Remote: true}
	})

	// The Preferences window: light theme, the reader below the list.
	h.w.showPrefs()
	p := h.w.prefs
	if p == nil || p.theme.Selected != "Follow the system" || p.pane.Selected != paneChoices[0] {
		t.Fatalf("Preferences shows theme %q, pane %q", p.theme.Selected, p.pane.Selected)
	}
	p.theme.SetSelected("Light")
	p.pane.SetSelected(paneChoices[1])
	h.waitFor("the light theme and the reader below", func() bool {
		return isLight(a) && !h.w.panes.right.Horizontal && h.w.panes.mode == app.PaneBelow
	})
	h.shortcut(fyne.KeyPlus, fyne.KeyModifierShortcutDefault)
	h.waitFor("the text size saved", func() bool { return h.core.Settings().TextScale == 1.1 && p.textSize.Selected == "110%" })

	// The window's size, a divider and the folder, saved once they settle.
	h.w.Window().Resize(fyne.NewSize(1100, 700))
	h.w.panes.wide.SetOffset(0.3)
	lists := h.folderNamed("Lists")
	h.openFolder(lists)
	want := app.WindowState{Width: 1100, Height: 700, FolderSplit: 0.3, ListSplit: h.w.panes.right.Offset,
		Folder: app.FolderRef{Account: "home", Folder: "Lists"}}
	want.ListSplit = float64(int(want.ListSplit*1000+0.5)) / 1000
	h.waitFor("the window state saved", func() bool { return h.core.Settings().Window == want })
	stop()

	// Restart over the same home, with the app's theme put back to Fyne's.
	a.Settings().SetTheme(theme.DefaultTheme())
	h, _ = openAt(t, a, home, secrets, srv, false)
	if !isLight(a) {
		t.Error("the light theme is not reapplied")
	}
	if got := h.w.Window().Canvas().Size(); got != fyne.NewSize(1100, 700) {
		t.Errorf("window size %v after a restart, want 1100×700", got)
	}
	if h.w.panes.mode != app.PaneBelow || h.w.panes.right.Horizontal {
		t.Errorf("reading pane %q after a restart, want below", h.w.panes.mode)
	}
	if off := h.w.panes.wide.Offset; off < 0.299 || off > 0.301 {
		t.Errorf("folder divider at %v after a restart, want 0.3", off)
	}
	if s := h.w.app.Settings().Theme().Size(theme.SizeNameText); s != theme.DefaultTheme().Size(theme.SizeNameText)*1.1 {
		t.Errorf("text size %v after a restart, want 110%%", s)
	}
	h.waitFor("the Lists folder shown again", func() bool { return h.w.showingMain() && h.w.list.mailbox.Name == "Lists" })

	h.openFolder(h.folderNamed("INBOX"))
	h.openBySubject("Newsletter")
	if !h.w.reader.plainView || !h.w.reader.remote {
		t.Errorf("Ann's message after a restart: plain %v, remote %v; want both", h.w.reader.plainView, h.w.reader.remote)
	}
}

// folderNamed returns the first account's folder named name.
func (h *harness) folderNamed(name string) app.Mailbox {
	h.t.Helper()
	var found app.Mailbox
	h.waitFor("folder "+name, func() bool {
		for _, b := range h.w.folders.boxes[h.w.accounts[0].ID] {
			if b.Name == name {
				found = b
				return true
			}
		}
		return false
	})
	return found
}

// TestPrefsReadingPaneOff checks that with the reader off the list fills
// the space beside the folders and a selected message is not loaded
// under it.
func TestPrefsReadingPaneOff(t *testing.T) {
	h := newHarness(t, func(c *app.Core) {
		if err := c.UpdateSettings(func(s *app.Settings) { s.ReadingPane, s.Density = app.PaneOff, app.DensityCompact }); err != nil {
			t.Fatal(err)
		}
	})
	h.startDemo()
	h.waitFor("the inbox", func() bool { return h.w.list.count > 0 })
	if h.w.panes.wide.Trailing != fyne.CanvasObject(h.w.panes.list) {
		t.Fatal("with the reader off, the list is not beside the folders")
	}
	if s := h.w.panes.density.Size(theme.SizeNameInnerPadding); s >= theme.DefaultTheme().Size(theme.SizeNameInnerPadding) {
		t.Errorf("compact list padding %v", s)
	}
	h.click(0, 0)
	h.run()
	if h.w.reader.msg.ID != 0 {
		t.Error("with the reader off, a click loaded the message into the hidden reader")
	}
	if err := h.core.UpdateSettings(func(s *app.Settings) { s.ReadingPane = app.PaneRight }); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the reader on the right", func() bool {
		r, ok := h.w.panes.wide.Trailing.(*container.Split)
		return ok && r == h.w.panes.right && r.Horizontal && r.Leading == fyne.CanvasObject(h.w.panes.list)
	})
}

// TestAutostartEntry checks the Preferences' "Start Tern when I log in":
// the XDG autostart entry is written under XDG_CONFIG_HOME, starts the
// binary (a path with a space, quoted), is valid where
// desktop-file-validate is installed, and is removed again.
func TestAutostartEntry(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	h := newHarness(t, nil)
	h.w.showPrefs()
	p := h.w.prefs
	p.exe = func() (string, error) { return "/opt/my apps/tern", nil }
	path := filepath.Join(cfg, "autostart", "tern.desktop")

	p.at.SetChecked(true)
	h.waitFor("autostart saved", func() bool { return h.core.Settings().Autostart })
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "\nExec=\"/opt/my apps/tern\"\n") || !strings.HasPrefix(string(data), "[Desktop Entry]\n") {
		t.Errorf("the autostart entry:\n%s", data)
	}
	if tool, err := exec.LookPath("desktop-file-validate"); err == nil {
		if out, err := exec.Command(tool, path).CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("desktop-file-validate: %v\n%s", err, out)
		}
	}

	p.at.SetChecked(false)
	h.waitFor("autostart off", func() bool { return !h.core.Settings().Autostart })
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the autostart entry is still there: %v", err)
	}
}
