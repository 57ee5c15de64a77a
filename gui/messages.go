package gui

import (
	"context"
	"github.com/ternmail/tern/app"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/gui/widgets"
)

const (
	// pageSize is how many rows one store read fetches.
	pageSize = 200
	// maxPages is how many pages the list keeps cached.
	maxPages = 6

	flagSeen    = app.FlagSeen
	flagFlagged = app.FlagFlagged
)

// mailList is a widget.List that passes typed runes and keys to the
// window, so that shortcuts work while the list has the focus, and tells
// when it gains or loses the focus and which modifier keys are held.
type mailList struct {
	widget.List
	onRune    func(rune)
	onKey     func(*fyne.KeyEvent) bool
	onFocus   func(bool)
	onKeyDown func(ev *fyne.KeyEvent, down bool)
}

// FocusGained implements fyne.Focusable.
func (l *mailList) FocusGained() {
	l.List.FocusGained()
	if l.onFocus != nil {
		l.onFocus(true)
	}
}

// FocusLost implements fyne.Focusable.
func (l *mailList) FocusLost() {
	l.List.FocusLost()
	if l.onFocus != nil {
		l.onFocus(false)
	}
}

// KeyDown implements desktop.Keyable, to follow the modifier keys.
func (l *mailList) KeyDown(ev *fyne.KeyEvent) {
	if l.onKeyDown != nil {
		l.onKeyDown(ev, true)
	}
}

// KeyUp implements desktop.Keyable.
func (l *mailList) KeyUp(ev *fyne.KeyEvent) {
	if l.onKeyDown != nil {
		l.onKeyDown(ev, false)
	}
}

func (l *mailList) TypedRune(r rune) {
	if l.onRune != nil {
		l.onRune(r)
	}
}

func (l *mailList) TypedKey(ev *fyne.KeyEvent) {
	if l.onKey != nil && l.onKey(ev) {
		return
	}
	l.List.TypedKey(ev)
}

// messageList is the middle pane: a virtual list over the visible folder
// whose rows are read from the store a page at a time and cached.
type messageList struct {
	w     *MainWindow
	list  *mailList
	root  *fyne.Container
	empty *widget.Label

	mailbox    app.Mailbox // ID 0 when no folder is open
	count      int
	pages      map[int][]app.Message
	used       map[int]uint64 // page → last use, for eviction
	clock      uint64
	loading    map[int]bool
	gen        int // bumped whenever cached pages become stale
	selectedID int64
	selIndex   int // row of selectedID in the widget, -1 if none
	pending    int // a selected row whose page was loading, -1 if none
	quiet      bool
	sort       app.Sort // the open folder's order
	searching  bool     // the rows are search results (search.go), not the folder's
	sortBar    *sortBar
	sel        selection
	drag       *drag // messages being dragged, nil if none
}

func newMessageList(w *MainWindow) *messageList {
	l := &messageList{w: w, pages: map[int][]app.Message{}, used: map[int]uint64{}, loading: map[int]bool{}, selIndex: -1, pending: -1, sel: newSelection()}
	rowIcons := widgets.RowIcons{Star: w.icons.starOn, StarOutline: w.icons.starOutline, Attachment: theme.MailAttachmentIcon()}
	l.list = &mailList{onRune: w.typedRune, onKey: w.typedKeyEvent, onFocus: l.focusChanged, onKeyDown: l.trackModifier}
	l.list.Length = func() int { return l.count }
	l.list.CreateItem = func() fyne.CanvasObject { return newSelRow(l, widgets.NewMessageRow(rowIcons)) }
	l.list.UpdateItem = l.updateItem
	l.list.OnSelected = l.selected
	l.list.ExtendBaseWidget(l.list)
	l.empty = widget.NewLabel("")
	l.empty.Alignment = fyne.TextAlignCenter
	l.empty.Importance = widget.LowImportance
	l.sortBar = newSortBar(l)
	l.root = container.NewBorder(l.sortBar.root, nil, nil, nil, container.NewStack(l.list, container.NewCenter(l.empty), l.sel.ring))
	l.updateEmpty()
	return l
}

func (l *messageList) updateItem(id widget.ListItemID, obj fyne.CanvasObject) {
	sr := obj.(*selRow)
	sr.id = id
	row := sr.row
	m, ok := l.at(id)
	sr.setMarked(ok && l.sel.marked[m.ID])
	if !ok {
		row.OnStar = nil
		row.Set(widgets.RowData{Placeholder: true})
		return
	}
	msgID := m.ID
	row.OnStar = func() { l.w.toggleStar(msgID) }
	rd := rowData(l.mailbox, m, time.Now())
	if l.mailbox.ID < 0 { // a unified folder: say whose message it is
		rd.Sender = l.w.accountLabel(m.Account) + " · " + rd.Sender
	}
	row.Set(rd)
}

// at returns the message of row id if its page is cached, and asks for the
// page otherwise.
func (l *messageList) at(id int) (app.Message, bool) {
	p := id / pageSize
	page, ok := l.pages[p]
	if !ok {
		l.requestPage(p)
		return app.Message{}, false
	}
	l.touch(p)
	if i := id % pageSize; i < len(page) {
		return page[i], true
	}
	// The folder shrank since the count was read; the pump will bring
	// the new count.
	return app.Message{}, false
}

func (l *messageList) touch(p int) {
	l.clock++
	l.used[p] = l.clock
}

// requestPage loads page p of the visible folder in a goroutine.
func (l *messageList) requestPage(p int) {
	if l.searching {
		l.w.search.needRows((p + 1) * pageSize)
		return
	}
	if l.loading[p] || l.mailbox.ID == 0 {
		return
	}
	l.loading[p] = true
	mailboxID, order, gen := l.mailbox.ID, l.sort, l.gen
	l.w.spawn("load messages", func() {
		ctx, cancel := context.WithTimeout(l.w.ctx, 30*time.Second)
		readAt := l.w.writes.Load()
		msgs, err := l.w.pageMessages(ctx, mailboxID, order, p*pageSize, pageSize)
		cancel()
		l.w.do(func() {
			if gen != l.gen {
				return
			}
			delete(l.loading, p)
			if err != nil {
				l.w.logf("gui: load messages: %v", err)
				return
			}
			l.w.overlay(msgs, readAt)
			l.pages[p] = msgs
			l.touch(p)
			l.evict()
			l.publish()
			l.restoreSelection()
			l.list.Refresh()
			if i := l.pending; i >= 0 && i/pageSize == p && i == l.selIndex {
				l.pending = -1
				l.selected(i)
			}
			l.pageArrived()
		})
	})
}

// evict drops the least recently used pages beyond maxPages, never the
// page of the selected row.
func (l *messageList) evict() {
	for len(l.pages) > maxPages {
		victim, oldest := -1, uint64(0)
		for p := range l.pages {
			if l.selIndex >= 0 && p == l.selIndex/pageSize {
				continue
			}
			if victim < 0 || l.used[p] < oldest {
				victim, oldest = p, l.used[p]
			}
		}
		if victim < 0 {
			return
		}
		delete(l.pages, victim)
		delete(l.used, victim)
	}
}

// publish tells the pump which folder and pages are shown.
func (l *messageList) publish() {
	pages := make([]int, 0, len(l.pages))
	for p := range l.pages {
		pages = append(pages, p)
	}
	slices.Sort(pages)
	if l.searching {
		l.w.view.set("", 0, nil) // results are not reloaded by the pump
		return
	}
	l.w.view.set(l.mailbox.Account, l.mailbox.ID, pages)
	l.w.view.setSort(l.sort)
}

// open shows folder b, from its first page.
func (l *messageList) open(b app.Mailbox) {
	l.mailbox = b
	l.count = b.Total
	l.searching = false
	l.sortBar.setEnabled(true)
	l.sort = app.Sort{}
	l.sortBar.show(l.sort, outgoing(b))
	l.reset()
	l.selectedID, l.selIndex = 0, -1
	l.quietly(l.list.UnselectAll)
	l.list.ScrollToTop()
	l.publish()
	l.list.Refresh()
	l.updateEmpty()
	// Read the exact count with the first page, so that rows appear even
	// if the folder's snapshot was stale.
	mailboxID, gen := b.ID, l.gen
	l.loading[0] = true
	l.w.spawn("open folder", func() {
		ctx, cancel := context.WithTimeout(l.w.ctx, 30*time.Second)
		defer cancel()
		order := l.w.core.FolderView(b).Sort
		readAt := l.w.writes.Load()
		n, err := l.w.countMessages(ctx, mailboxID)
		var msgs []app.Message
		if err == nil {
			msgs, err = l.w.pageMessages(ctx, mailboxID, order, 0, pageSize)
		}
		l.w.do(func() {
			if gen != l.gen {
				return
			}
			delete(l.loading, 0)
			if err != nil {
				l.w.logf("gui: open folder: %v", err)
				l.empty.SetText("Could not read this folder: " + err.Error())
				return
			}
			l.sort = order
			l.sortBar.show(order, outgoing(b))
			l.replace(&pageSnapshot{mailboxID: mailboxID, sort: order, count: n, pages: map[int][]app.Message{0: msgs}, readAt: readAt})
		})
	})
}

// close shows no folder.
func (l *messageList) close() {
	l.mailbox = app.Mailbox{}
	l.searching = false
	l.sortBar.setEnabled(true)
	l.count = 0
	l.reset()
	l.selectedID, l.selIndex = 0, -1
	l.quietly(l.list.UnselectAll)
	l.publish()
	l.list.Refresh()
	l.updateEmpty()
}

func (l *messageList) reset() {
	l.gen++
	l.sel.marked = map[int64]bool{}
	l.sel.anchor, l.sel.jump = -1, -1
	l.sel.gen++
	l.pending = -1
	l.pages = map[int][]app.Message{}
	l.used = map[int]uint64{}
	l.loading = map[int]bool{}
}

// replace installs fresh pages of the visible folder, keeping the selected
// message selected.
func (l *messageList) replace(ps *pageSnapshot) {
	if ps.mailboxID != l.mailbox.ID || ps.sort != l.sort || l.searching {
		return
	}
	l.gen++
	l.count = ps.count
	l.pages = map[int][]app.Message{}
	l.used = map[int]uint64{}
	l.loading = map[int]bool{}
	for p, msgs := range ps.pages {
		l.w.overlay(msgs, ps.readAt)
		l.pages[p] = msgs
		l.touch(p)
	}
	l.w.settle(ps.readAt)
	l.publish()
	l.restoreSelection()
	l.list.Refresh()
	l.updateEmpty()
	l.pageArrived()
	if l.count > 0 {
		trace("rows", l.count)
	}
}

// restoreSelection selects the row that now holds the selected message.
func (l *messageList) restoreSelection() {
	if l.selectedID == 0 {
		return
	}
	idx := l.indexOf(l.selectedID)
	if idx == l.selIndex {
		return
	}
	if idx < 0 {
		if _, cached := l.pages[l.selIndex/pageSize]; !cached && l.selIndex >= 0 {
			return // not known yet
		}
		l.selIndex = -1
		l.quietly(l.list.UnselectAll)
		return
	}
	l.selIndex = idx
	l.quietly(func() { l.list.Select(idx) })
}

func (l *messageList) quietly(fn func()) {
	l.quiet = true
	defer func() { l.quiet = false }()
	fn()
}

func (l *messageList) indexOf(id int64) int {
	for p, page := range l.pages {
		for i, m := range page {
			if m.ID == id {
				return p*pageSize + i
			}
		}
	}
	return -1
}

// message returns the cached message id.
func (l *messageList) message(id int64) (app.Message, bool) {
	if i := l.indexOf(id); i >= 0 {
		return l.pages[i/pageSize][i%pageSize], true
	}
	return l.w.convs.message(id)
}

func (l *messageList) selected(id widget.ListItemID) {
	l.selIndex = id
	l.pending = -1
	if l.quiet {
		return
	}
	m, ok := l.at(id)
	if !ok {
		l.pending = id // opened when its page arrives
		l.selectedID = 0
		return
	}
	l.selectedID = m.ID
	l.w.openMessage(m.ID)
}

// setFlag changes a flag of a cached message and redraws its row.
func (l *messageList) setFlag(id int64, flag string, on bool) {
	l.w.convs.setFlag(id, flag, on)
	i := l.indexOf(id)
	if i < 0 {
		return
	}
	m := &l.pages[i/pageSize][i%pageSize]
	m.Flags = withFlag(m.Flags, flag, on)
	l.list.RefreshItem(i)
}

// withFlag returns a copy of flags with flag set or cleared.
func withFlag(flags []string, flag string, on bool) []string {
	out := make([]string, 0, len(flags)+1)
	for _, f := range flags {
		if !strings.EqualFold(f, flag) {
			out = append(out, f)
		}
	}
	if on {
		out = append(out, flag)
	}
	return out
}

func (l *messageList) updateEmpty() {
	switch {
	case l.mailbox.ID == 0:
		l.empty.SetText("Select a folder")
	case l.count == 0:
		l.empty.SetText("No messages in " + folderName(l.mailbox))
	default:
		l.empty.SetText("")
	}
}
