package gui

import (
	"fmt"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/ternmail/tern/app"
)

// trayDelay is how long the tray waits after a count changed before it
// shows the counts, so that a burst of changes (a sync storing hundreds of
// messages) redraws it once.
const trayDelay = 500 * time.Millisecond

// trayLine is one account's line in the tray menu.
type trayLine struct {
	account, label string
	inbox          int64 // the inbox's mailbox id, 0 before it is known
	unread         int
}

// tray is Tern's icon and menu in the desktop's system tray: the icon
// with the unread count of the inboxes, and Open Tern, New message, Check
// mail, a line per account with its unread count, and Quit.
//
// Its methods run on the UI goroutine; the timer of a pending refresh
// comes back to it through the window's do.
type tray struct {
	w    *MainWindow
	host desktop.App
	menu *fyne.Menu

	open, compose, check, quit *fyne.MenuItem

	// source returns the lines to show: current, or a test's own.
	source  func() []trayLine
	lines   []trayLine // shown in the menu
	total   int        // shown on the icon, -1 before the first icon
	pending bool       // a refresh is scheduled
	icon    *trayIcon
	hidden  bool // the window was closed to the tray and not shown since
	sets    int  // menus handed to the host (tests)
}

// newTray installs the tray when the app is a desktop app with one, and
// returns it; nil otherwise.
func newTray(w *MainWindow) *tray {
	host, ok := w.app.(desktop.App)
	if !ok {
		return nil
	}
	t := &tray{w: w, host: host, total: -1, icon: newTrayIcon()}
	t.source = t.current
	t.open = fyne.NewMenuItem("Open Tern", w.raise)
	t.compose = fyne.NewMenuItem("New message", t.newMessage)
	t.check = fyne.NewMenuItem("Check mail", w.syncNow)
	t.quit = &fyne.MenuItem{Label: "Quit", IsQuit: true, Action: w.app.Quit}
	t.menu = fyne.NewMenu("Tern")
	t.show()
	return t
}

// newMessage opens a composer in the account shown, else the first one.
func (t *tray) newMessage() {
	account := t.w.desktopAccount()
	if account == "" {
		t.w.raise()
		t.w.status.notice("Add an account to write messages.")
		return
	}
	t.w.compose.openComposer(composeState{Account: account}, true)
}

// current returns the accounts' lines from what the window knows.
func (t *tray) current() []trayLine {
	var out []trayLine
	for _, a := range t.w.accounts {
		l := trayLine{account: a.ID, label: a.Name}
		if l.label == "" {
			l.label = a.Email
		}
		l.label = clip(sanitizeShown(l.label), 60)
		for _, b := range t.w.folders.boxes[a.ID] {
			if b.Role == app.RoleInbox {
				l.inbox, l.unread = b.ID, b.Unread
				break
			}
		}
		out = append(out, l)
	}
	return out
}

// update notes that the accounts or their folders may have changed, and
// schedules a refresh when what the tray shows has.
func (t *tray) update() {
	if t == nil || t.pending || slices.Equal(t.source(), t.lines) {
		return
	}
	t.pending = true
	time.AfterFunc(trayDelay, func() {
		t.w.do(func() {
			t.pending = false
			t.show()
		})
	})
}

// show hands the host the menu and, when the total changed, the icon.
func (t *tray) show() {
	t.lines = t.source()
	items := []*fyne.MenuItem{t.open, t.compose, t.check, fyne.NewMenuItemSeparator()}
	total := 0
	for _, l := range t.lines {
		total += l.unread
		inbox := l.inbox
		items = append(items, &fyne.MenuItem{Label: trayLabel(l), Disabled: inbox == 0, Action: func() {
			t.w.raise()
			t.w.reveal(inbox, 0)
		}})
	}
	if len(t.lines) > 0 {
		items = append(items, fyne.NewMenuItemSeparator())
	}
	t.menu.Items = append(items, t.quit)
	t.host.SetSystemTrayMenu(t.menu)
	t.sets++
	if total != t.total {
		t.total = total
		t.host.SetSystemTrayIcon(t.icon.render(total))
	}
}

// trayLabel is an account's line: its name and its inbox's unread count.
func trayLabel(l trayLine) string {
	switch l.unread {
	case 0:
		return l.label + " — no unread"
	default:
		return fmt.Sprintf("%s — %s unread", l.label, thousands(l.unread))
	}
}

// closeRequested is what closing the window does: with a tray and the
// close-to-tray setting on, the window hides and Tern goes on syncing;
// otherwise the window closes and Tern quits.
func (w *MainWindow) closeRequested() {
	if w.tray != nil && w.opts.CloseToTray != nil && w.opts.CloseToTray() {
		w.tray.hidden = true
		w.win.Hide()
		return
	}
	w.win.Close()
}
