package gui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/goroutine"
)

// Options configures the GUI. The zero value is valid.
type Options struct {
	// Demo starts the demo mailbox at once.
	Demo bool
	// Logf receives diagnostics; nil discards them.
	Logf func(format string, args ...any)
	// Instance is this process's instance socket: later launches hand
	// their arguments through it (see desktop.go); nil means none.
	Instance *app.Instance
	// Open lists mailto: links and message files to open at start.
	Open []string
	// NotifyAllowed reports whether new mail in an account's folder (by
	// its server name) may be notified; nil means the Preferences' choice
	// (core.Settings().Notify). It is called off the UI goroutine.
	NotifyAllowed func(account, folder string) bool
	// CloseToTray reports whether closing the window hides it in the tray
	// rather than quitting; nil means the Preferences' choice. It is
	// called on the UI goroutine when the window is closed.
	CloseToTray func() bool

	// dispatch runs a function on the UI goroutine; nil means fyne.Do.
	// Tests replace it to run UI updates on the test goroutine.
	dispatch func(func())
	// openURL opens the browser for an OAuth sign-in; nil means the App's
	// OpenURL. Tests replace it with a browser that signs in.
	openURL func(*url.URL) error
}

// Run creates the Fyne application and the main window, starts core's
// background sync and runs until the window is closed. Shutting the core
// down afterwards is the caller's job.
func Run(core *app.Core, opts *Options) error {
	if core == nil {
		return errors.New("gui: no core")
	}
	a := fyneapp.NewWithID("org.ternmail.tern")
	w := NewWindow(a, core, opts)
	a.SetIcon(w.icons.app)
	w.win.SetIcon(w.icons.app)
	w.win.SetMaster()
	w.joinDesktop(w.opts.Instance, w.opts.Open)
	core.Start()
	w.win.ShowAndRun()
	w.saveWindowStateNow()
	w.Close()
	// Give the window's goroutines a moment to notice, so that the caller
	// shuts the core down under as few of them as possible.
	done := make(chan struct{})
	goroutine.Go("gui: exit", w.logf, func() {
		w.wait()
		close(done)
	})
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		w.logf("gui: background work still running at exit")
	}
	return nil
}

// MainWindow is Tern's main window: the welcome screen when there is no
// account, else the folder tree, the message list and the reader.
//
// Its methods must be called on the Fyne goroutine, except Close.
type MainWindow struct {
	app   fyne.App
	win   fyne.Window
	core  *app.Core
	opts  Options
	icons *icons

	ctx    context.Context
	cancel context.CancelFunc
	sub    *app.Subscription
	wg     sync.WaitGroup

	// view is what the pump needs to know about the UI; shared.
	view viewState
	// writes counts finished flag writes, so that a page read before a
	// write is known to be stale for it.
	writes atomic.Uint64

	// Everything below belongs to the UI goroutine.
	accounts     []accounts.Account
	loaded       bool
	content      *fyne.Container
	mainUI       fyne.CanvasObject
	welcome      *welcome
	folders      *folderTree
	list         *messageList
	convs        *conversationView
	reader       *reader
	panes        *panes
	search       *searchBox
	status       *statusBar
	starBtn      *widget.Button
	unreadBtn    *widget.Button
	archiveBtn   *widget.Button
	deleteBtn    *widget.Button
	compose      *composers // composer windows, undo send, outbox view
	keys         []binding  // the keyboard shortcuts (keys.go)
	undo         *undoBar
	cheat        dialog.Dialog // the open cheat sheet, nil if none
	picker       *folderPicker // the open folder picker, nil if none
	menu         *widget.PopUpMenu
	prefs        *prefsWindow // the open Preferences window, nil if none
	theme        *appTheme
	winState     windowState // the remembered geometry (prefs_apply.go)
	stopSettings func()
	healths      map[string]*healthView // open Account health windows, by account
	autoSelected bool
	edits        []*localEdit
	tray         *tray // nil without a system tray
}

// localEdit is a flag change shown on screen before the store has it. It
// is laid over pages read before the store write finished.
type localEdit struct {
	id   int64
	flag string
	on   bool
	done uint64 // the writes count once the write finished; 0 before
}

// viewState is the part of the UI state the pump goroutine reads: which
// folder is visible and which of its pages are cached.
type viewState struct {
	mu        sync.Mutex
	account   string
	mailboxID int64
	pages     []int
	sort      app.Sort
}

func (v *viewState) set(account string, mailboxID int64, pages []int) {
	v.mu.Lock()
	v.account, v.mailboxID, v.pages = account, mailboxID, pages
	v.mu.Unlock()
}

// setSort records the visible folder's order.
func (v *viewState) setSort(o app.Sort) {
	v.mu.Lock()
	v.sort = o
	v.mu.Unlock()
}

// order returns the visible folder's order.
func (v *viewState) order() app.Sort {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.sort
}

func (v *viewState) get() (account string, mailboxID int64, pages []int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.account, v.mailboxID, append([]int(nil), v.pages...)
}

// NewWindow builds the main window of a for core and starts its event
// pump. It does not show the window or start core.
func NewWindow(a fyne.App, core *app.Core, opts *Options) *MainWindow {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.dispatch == nil {
		o.dispatch = fyne.Do
	}
	if o.NotifyAllowed == nil {
		o.NotifyAllowed = func(account, folder string) bool { return core.Settings().Notify(account, folder) }
	}
	if o.CloseToTray == nil {
		o.CloseToTray = func() bool { return core.Settings().CloseToTray }
	}
	w := &MainWindow{app: a, core: core, opts: o, icons: newIcons()}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	w.sub = core.Subscribe()

	w.win = a.NewWindow("Tern")
	settings := core.Settings()
	w.theme = newAppTheme()
	w.theme.set(settings)
	a.Settings().SetTheme(w.theme)
	w.win.Resize(windowSize(settings.Window))

	w.folders = newFolderTree(w)
	w.list = newMessageList(w)
	w.convs = newConversationView(w)
	w.reader = newReader(w)
	w.status = newStatusBar(w)
	w.welcome = newWelcome(w)
	w.compose = newComposers(w)
	w.undo = newUndoBar(w)
	w.mainUI = w.buildMain()

	loading := widget.NewLabel("Loading…")
	w.content = container.NewStack(container.NewCenter(loading))
	w.win.SetContent(w.content)
	w.win.SetMainMenu(w.buildMenu())
	w.installKeys()
	w.win.SetOnClosed(w.Close)
	w.win.SetCloseIntercept(w.closeRequested)
	w.tray = newTray(w)

	w.followSettings(settings)
	w.spawn("event pump", w.pump)
	w.spawn("status ticker", w.tick)
	w.askMissingPasswords()
	if o.Demo {
		w.welcome.startDemo()
	}
	return w
}

// Window returns the Fyne window.
func (w *MainWindow) Window() fyne.Window { return w.win }

// Close stops the event pump and the window's background work. It does
// not close the Fyne window. It may be called from any goroutine, more than
// once.
func (w *MainWindow) Close() {
	if w.stopSettings != nil {
		w.stopSettings()
	}
	w.cancel()
	w.sub.Close()
}

// wait waits until every goroutine of the window has returned; Run waits
// on it, for a bounded time, before it returns.
func (w *MainWindow) wait() { w.wg.Wait() }

func (w *MainWindow) logf(format string, args ...any) { w.opts.Logf(format, args...) }

// spawn runs fn in a goroutine that recovers a panic and reports it.
func (w *MainWindow) spawn(name string, fn func()) {
	w.wg.Add(1)
	goroutine.GoErr("gui: "+name, w.logf, func() error {
		fn()
		return nil
	}, func(err error) {
		defer w.wg.Done()
		var pe *goroutine.PanicError
		if errors.As(err, &pe) {
			msg := fmt.Sprintf("Internal error (%s): %v", name, pe.Value)
			w.do(func() { w.status.notice(msg) })
		}
	})
}

// do runs fn on the UI goroutine, unless the window has been closed.
func (w *MainWindow) do(fn func()) {
	if w.ctx.Err() != nil {
		return
	}
	w.opts.dispatch(func() {
		if w.ctx.Err() != nil {
			return
		}
		fn()
	})
}

// tick refreshes the status bar once a second while a retry countdown is
// shown.
func (w *MainWindow) tick() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-w.ctx.Done():
			return
		case <-t.C:
			w.do(func() {
				if w.status.needsTick() {
					w.status.refresh()
				}
				w.observeWindow()
			})
		}
	}
}

func (w *MainWindow) buildMain() fyne.CanvasObject {
	addBtn := widget.NewButtonWithIcon("Add account…", theme.ContentAddIcon(), w.showAddAccount)
	syncBtn := widget.NewButtonWithIcon("Sync now", theme.ViewRefreshIcon(), w.syncNow)
	w.starBtn = widget.NewButtonWithIcon("Star", w.icons.star, w.toggleStarSelected)
	w.unreadBtn = widget.NewButtonWithIcon("Mark unread", w.icons.unread, w.markUnreadSelected)
	w.archiveBtn = widget.NewButtonWithIcon("Archive", w.icons.archive, w.archiveSelected)
	w.deleteBtn = widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), w.deleteSelected)
	for _, b := range []*widget.Button{addBtn, syncBtn, w.starBtn, w.unreadBtn, w.archiveBtn, w.deleteBtn} {
		b.Importance = widget.LowImportance
	}
	w.updateActions()
	bar := container.NewHBox(addBtn, syncBtn, widget.NewSeparator(), w.starBtn, w.unreadBtn, w.archiveBtn, w.deleteBtn)
	bar.Add(widget.NewSeparator())
	for _, b := range w.compose.toolbar() {
		bar.Add(b)
	}
	// The toolbar scrolls rather than setting the window's narrowest.
	w.search = newSearchBox(w)
	top := container.NewVBox(container.NewBorder(nil, nil, nil, w.search.root, container.NewHScroll(bar)), widget.NewSeparator())

	w.panes = newPanes(w)
	bottom := container.NewVBox(widget.NewSeparator(), container.NewBorder(nil, nil, nil, container.NewHBox(w.undo.root, w.compose.bar), w.status.root))
	return container.NewBorder(top, bottom, nil, nil, w.panes.root)
}

func (w *MainWindow) buildMenu() *fyne.MainMenu {
	return fyne.NewMainMenu(
		fyne.NewMenu("File",
			fyne.NewMenuItem("Add account…", w.showAddAccount),
			fyne.NewMenuItem("Accounts…", w.showAccounts),
			fyne.NewMenuItem("Sync now", w.syncNow),
			&fyne.MenuItem{Label: "Search", Shortcut: searchShortcut, Action: w.searchFromMenu},
			fyne.NewMenuItemSeparator(),
			fyne.NewMenuItem("Preferences… (Ctrl+,)", w.showPrefs),
			fyne.NewMenuItemSeparator(),
			&fyne.MenuItem{Label: "Quit", IsQuit: true, Action: w.app.Quit},
		),
		fyne.NewMenu("Message", append(append(w.messageActions("Junk or not junk (!)"),
			fyne.NewMenuItemSeparator(),
			fyne.NewMenuItem("Select all (Ctrl+A)", w.list.selectAll),
			fyne.NewMenuItem("Undo (Ctrl+Z)", w.undo.undo),
			fyne.NewMenuItemSeparator(),
		), w.compose.menuItems()...)...),
		w.reader.viewMenu(),
		fyne.NewMenu("Folder",
			fyne.NewMenuItem("New folder…", w.newFolder),
			fyne.NewMenuItem("Rename folder…", w.renameFolder),
			fyne.NewMenuItem("Delete folder…", w.deleteFolder),
		),
		fyne.NewMenu("Help", fyne.NewMenuItem("Keyboard shortcuts (F1)", w.showCheatSheet)),
	)
}

// showContent shows the welcome screen without accounts, else the main UI.
func (w *MainWindow) showContent() {
	want := w.mainUI
	if len(w.accounts) == 0 {
		want = w.welcome.root
	}
	if len(w.content.Objects) == 1 && w.content.Objects[0] == want {
		return
	}
	w.content.Objects = []fyne.CanvasObject{want}
	w.content.Refresh()
}

// showingMain reports whether the three panes are shown (rather than the
// welcome page).
func (w *MainWindow) showingMain() bool {
	return len(w.content.Objects) == 1 && w.content.Objects[0] == w.mainUI
}

// reloadAll reads everything from the store in a goroutine and applies it.
func (w *MainWindow) reloadAll() {
	w.spawn("reload", func() {
		b := newBatch()
		b.all = true
		s := w.load(b)
		w.do(func() { w.apply(s) })
	})
}

// apply shows a snapshot read by load. UI goroutine.
func (w *MainWindow) apply(s *snapshot) {
	if s.full {
		w.accounts = s.accounts
		w.folders.setAccounts(s.accounts)
		w.status.setAccounts(s.accounts)
	}
	for id, boxes := range s.boxes {
		w.folders.setMailboxes(id, boxes)
	}
	for id, st := range s.status {
		w.folders.setStatus(id, st)
		w.status.set(id, st)
	}
	w.folders.rebuild()
	w.status.refresh()
	w.tray.update()
	w.loaded = true
	w.showContent()

	if cur := w.list.mailbox.ID; cur != 0 {
		if b, ok := w.folders.mailbox(cur); ok {
			w.list.mailbox = b
		} else {
			// The folder (or its account) is gone.
			w.list.close()
			w.convs.open(app.Mailbox{})
			w.reader.clear()
			w.folders.unselect()
			w.autoSelected = false
		}
	}
	if s.page != nil {
		w.list.replace(s.page)
		w.convs.reload()
	}
	if s.full || len(s.boxes) > 0 {
		w.search.refresh()
	}
	w.autoSelect()
	for _, f := range s.failures {
		w.status.notice(failureText(f))
	}
	if w.reader.failed() && s.bodies[w.reader.msg.ID] {
		w.reader.retry()
	}
	w.updateActions()
}

func failureText(f app.ActionFailed) string {
	s := "The server refused a change"
	if f.Message.Subject != "" {
		s += " to “" + f.Message.Subject + "”"
	}
	if f.Err != nil {
		s += ": " + f.Err.Error()
	}
	return s
}

// autoSelect selects the first account's inbox once it exists.
func (w *MainWindow) autoSelect() {
	if w.autoSelected || w.list.mailbox.ID != 0 || len(w.accounts) == 0 {
		return
	}
	if id, ok := w.rememberedFolder(); ok {
		w.autoSelected = true
		w.folders.selectMailbox(id)
		return
	}
	for _, a := range w.accounts {
		for _, b := range w.folders.boxes[a.ID] {
			if b.Role == app.RoleInbox {
				w.autoSelected = true
				w.folders.selectMailbox(b.ID)
				return
			}
		}
		return // only the first account
	}
}

// openMailbox shows folder b in the message list.
func (w *MainWindow) openMailbox(b app.Mailbox) {
	w.reader.clear()
	w.search.folderOpened()
	w.list.open(b)
	w.convs.open(b)
	w.panes.folderOpened()
	w.updateActions()
}

// openMessage shows message m in the reader and marks it read.
func (w *MainWindow) openMessage(id int64) {
	m, ok := w.list.message(id)
	if !ok {
		return
	}
	if !w.panes.readerShown() {
		w.updateActions() // the reader is off: Enter opens a window
		return
	}
	w.reader.show(m)
	w.panes.messageOpened()
	if !m.Seen() {
		w.setSeen(id, true)
	}
	w.updateActions()
}

func (w *MainWindow) selectedID() int64 { return w.list.selectedID }

// focusList gives the keyboard focus back to the message list after a
// button took it, so that the single-key shortcuts keep working.
func (w *MainWindow) focusList() {
	if w.showingMain() {
		w.win.Canvas().Focus(w.list.list)
	}
}

// toggleStar stars or unstars message id: at once on screen, then in the
// store from a goroutine.
func (w *MainWindow) toggleStar(id int64) {
	m, ok := w.list.message(id)
	if !ok {
		if w.reader.msg.ID != id {
			return
		}
		m = w.reader.msg
	}
	w.editFlag(id, flagFlagged, !m.Flagged())
}

// setSeen marks message id read or unread.
func (w *MainWindow) setSeen(id int64, seen bool) { w.editFlag(id, flagSeen, seen) }

// editFlag sets a flag of message id on screen at once and in the store
// from a goroutine; a failure puts it back and says so.
func (w *MainWindow) editFlag(id int64, flag string, on bool) {
	e := &localEdit{id: id, flag: flag, on: on}
	w.edits = append(w.edits, e)
	w.setLocalFlag(id, flag, on)
	w.spawn("set flag", func() {
		ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
		defer cancel()
		var err error
		if flag == flagSeen {
			err = w.core.SetSeen(ctx, id, on)
		} else {
			err = w.core.SetFlagged(ctx, id, on)
		}
		n := w.writes.Add(1)
		w.do(func() {
			e.done = n
			if err != nil {
				w.edits = slices.DeleteFunc(w.edits, func(x *localEdit) bool { return x == e })
				w.setLocalFlag(id, flag, !on)
				w.status.notice("Could not change the message: " + err.Error())
			}
		})
	})
}

// overlay applies the local edits that msgs, read when the writes count
// was readAt, may not show yet.
func (w *MainWindow) overlay(msgs []app.Message, readAt uint64) {
	for _, e := range w.edits {
		if e.done != 0 && e.done <= readAt {
			continue
		}
		for i := range msgs {
			if msgs[i].ID == e.id {
				msgs[i].Flags = withFlag(msgs[i].Flags, e.flag, e.on)
			}
		}
	}
}

// settle forgets the edits that a read at readAt already shows.
func (w *MainWindow) settle(readAt uint64) {
	w.edits = slices.DeleteFunc(w.edits, func(e *localEdit) bool { return e.done != 0 && e.done <= readAt })
}

func (w *MainWindow) setLocalFlag(id int64, flag string, on bool) {
	w.list.setFlag(id, flag, on)
	if w.reader.msg.ID == id {
		w.reader.msg.Flags = withFlag(w.reader.msg.Flags, flag, on)
	}
	w.updateActions()
}

// updateActions enables the message actions when a message is selected.
func (w *MainWindow) updateActions() {
	if w.starBtn == nil {
		return
	}
	id := w.selectedID()
	w.compose.updateActions(id)
	if id == 0 {
		w.starBtn.Disable()
		w.unreadBtn.Disable()
		w.archiveBtn.Disable()
		w.deleteBtn.Disable()
		return
	}
	w.starBtn.Enable()
	w.unreadBtn.Enable()
	w.archiveBtn.Enable()
	w.deleteBtn.Enable()
	if m, ok := w.list.message(id); ok && m.Flagged() {
		w.starBtn.SetText("Unstar")
	} else {
		w.starBtn.SetText("Star")
	}
}

func (w *MainWindow) syncNow() {
	w.core.SyncNow("")
	w.status.notice("")
}
