package gui

import (
	"context"
	"image/color"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/gui/widgets"
)

// conversationView is the message list's other mode: one row a
// conversation of the open folder (its newest message there, who wrote,
// how many messages and how many unread), which expands to the
// conversation's messages from all the account's folders, indented under
// it, and collapses again. The mode is chosen per folder with the
// "Conversations" switch above the list; unified folders have no
// conversations. Rows are read a page at a time off the UI goroutine, as
// the flat list's are, and reread when the pump reloads the folder.
type conversationView struct {
	w      *MainWindow
	list   *mailList
	root   *fyne.Container // the list; shown only in conversation mode
	toggle *widget.Check   // the per-folder switch
	stack  *fyne.Container // holds the flat list or root, the one shown
	// pane is the middle pane: the switch above the flat list or root.
	pane *fyne.Container

	on       map[int64]bool // folders shown as conversations
	chosen   map[int64]bool // folders whose switch was used in this run
	mailbox  app.Mailbox
	count    int
	pages    map[int][]app.Conversation
	loading  map[int]bool
	gen      int
	expanded map[int64][]app.Message // thread → its messages, for expanded rows
	rowH     float32                 // the height of one message row
	itemH    float32                 // the height of a collapsed conversation row
	quiet    bool
}

func newConversationView(w *MainWindow) *conversationView {
	v := &conversationView{w: w, on: map[int64]bool{}, chosen: map[int64]bool{}, pages: map[int][]app.Conversation{},
		loading: map[int]bool{}, expanded: map[int64][]app.Message{}}
	icons := widgets.RowIcons{Star: w.icons.starOn, StarOutline: w.icons.starOutline, Attachment: theme.MailAttachmentIcon()}
	v.rowH = widgets.NewMessageRow(icons).MinSize().Height
	v.itemH = newConvItem(v, icons).MinSize().Height
	v.list = &mailList{onRune: w.typedRune, onKey: v.typedKey}
	v.list.Length = func() int { return v.count }
	v.list.CreateItem = func() fyne.CanvasObject { return newConvItem(v, icons) }
	v.list.UpdateItem = v.updateItem
	v.list.OnSelected = v.selected
	v.list.ExtendBaseWidget(v.list)
	v.root = container.NewStack(v.list)
	v.toggle = widget.NewCheck("Conversations", func(on bool) {
		if v.quiet {
			return
		}
		v.setOn(on)
	})
	v.stack = container.NewStack(w.list.root)
	v.pane = container.NewBorder(container.NewHBox(v.toggle), nil, nil, nil, v.stack)
	return v
}

// active reports whether the open folder is shown as conversations.
func (v *conversationView) active() bool { return v.mailbox.ID > 0 && v.on[v.mailbox.ID] }

// open follows the flat list to folder b, in the mode chosen for b.
func (v *conversationView) open(b app.Mailbox) {
	v.mailbox = b
	first := false
	if _, ok := v.on[b.ID]; !ok && b.ID > 0 {
		v.on[b.ID] = v.w.core.Settings().Conversations // the default
		first = true
	}
	v.quiet = true
	v.toggle.SetChecked(v.on[b.ID])
	v.quiet = false
	if b.ID > 0 {
		v.toggle.Enable()
	} else {
		v.toggle.Disable() // unified folders and no folder
	}
	v.reset()
	v.show()
	if first {
		v.recall(b)
	}
}

// recall reads, off the UI goroutine, whether folder b was last shown as
// conversations, also in an earlier run, and shows it so if it is still
// open and the switch was not touched meanwhile. A folder with nothing
// saved keeps the Preferences' default.
func (v *conversationView) recall(b app.Mailbox) {
	v.w.spawn("folder view", func() {
		fv, saved := v.w.core.SavedFolderView(b)
		if !saved {
			return
		}
		v.w.do(func() {
			if v.chosen[b.ID] || v.on[b.ID] == fv.Conversations {
				return
			}
			v.on[b.ID] = fv.Conversations
			if v.mailbox.ID == b.ID {
				v.quiet = true
				v.toggle.SetChecked(fv.Conversations)
				v.quiet = false
				v.reset()
				v.show()
			}
		})
	})
}

// setOn switches the open folder between conversations and the flat list,
// and remembers the choice for the folder.
func (v *conversationView) setOn(on bool) {
	if v.mailbox.ID <= 0 {
		return
	}
	v.on[v.mailbox.ID] = on
	v.chosen[v.mailbox.ID] = true
	b := v.mailbox
	v.w.spawn("save folder view", func() {
		if err := v.w.core.SetFolderConversations(b, on); err != nil {
			v.w.do(func() { v.w.status.notice("Could not remember the Conversations switch: " + err.Error()) })
		}
	})
	v.reset()
	v.show()
}

// show shows the conversation list or the flat one and loads the first.
func (v *conversationView) show() {
	if !v.active() {
		v.swap(v.w.list.root)
		return
	}
	v.swap(v.root)
	v.list.ScrollToTop()
	v.list.UnselectAll()
	v.load(true)
}

// swap puts list, the flat list or root, in the middle pane. The other one
// leaves the window's tree, so that nothing draws or lays out a list that
// is not seen (a hidden list refreshed meanwhile was sometimes not drawn
// again once shown).
func (v *conversationView) swap(list *fyne.Container) {
	if len(v.stack.Objects) == 1 && v.stack.Objects[0] == list {
		return
	}
	v.stack.Objects = []fyne.CanvasObject{list}
	v.stack.Refresh()
}

// shown reports whether the conversation list is in the middle pane.
func (v *conversationView) shown() bool {
	return len(v.stack.Objects) == 1 && v.stack.Objects[0] == v.root
}

func (v *conversationView) reset() {
	v.gen++
	v.count = 0
	v.pages = map[int][]app.Conversation{}
	v.loading = map[int]bool{}
	v.expanded = map[int64][]app.Message{}
	v.list.Refresh()
}

// reload rereads the count, the cached pages and the expanded
// conversations, after the pump saw the folder change.
func (v *conversationView) reload() {
	if v.active() {
		v.load(false)
	}
}

// load reads the count, the first page (first) or the cached pages, and
// the expanded conversations, in a goroutine.
func (v *conversationView) load(first bool) {
	mb, gen := v.mailbox, v.gen
	pages := []int{0}
	if !first {
		pages = pages[:0]
		for p := range v.pages {
			pages = append(pages, p)
		}
	}
	threads := make([]int64, 0, len(v.expanded))
	for t := range v.expanded {
		threads = append(threads, t)
	}
	for _, p := range pages {
		v.loading[p] = true
	}
	v.w.spawn("load conversations", func() {
		ctx, cancel := context.WithTimeout(v.w.ctx, 30*time.Second)
		defer cancel()
		readAt := v.w.writes.Load()
		n, err := v.w.core.CountConversations(ctx, mb.ID)
		got := map[int][]app.Conversation{}
		for _, p := range pages {
			if err != nil {
				break
			}
			got[p], err = v.w.core.Conversations(ctx, mb.ID, p*pageSize, pageSize)
		}
		msgs := map[int64][]app.Message{}
		for _, t := range threads {
			if err != nil {
				break
			}
			msgs[t], err = v.w.core.ConversationMessages(ctx, mb.Account, t, mb.ID)
		}
		v.w.do(func() {
			if gen != v.gen {
				return
			}
			for _, p := range pages {
				delete(v.loading, p)
			}
			if err != nil {
				v.w.logf("gui: conversations: %v", err)
				return
			}
			v.count = n
			// Only the pages read are replaced: one loaded meanwhile is
			// as new.
			for p, cs := range got {
				for i := range cs {
					v.w.overlay([]app.Message{cs[i].Latest}, readAt)
				}
				v.pages[p] = cs
			}
			for t, ms := range msgs {
				if _, open := v.expanded[t]; open { // not collapsed meanwhile
					v.w.overlay(ms, readAt)
					v.expanded[t] = ms
				}
			}
			v.relayout()
		})
	})
}

// requestPage loads page p in a goroutine.
func (v *conversationView) requestPage(p int) {
	if v.loading[p] || !v.active() {
		return
	}
	v.loading[p] = true
	id, gen := v.mailbox.ID, v.gen
	v.w.spawn("load conversations", func() {
		ctx, cancel := context.WithTimeout(v.w.ctx, 30*time.Second)
		readAt := v.w.writes.Load()
		cs, err := v.w.core.Conversations(ctx, id, p*pageSize, pageSize)
		cancel()
		v.w.do(func() {
			if gen != v.gen {
				return
			}
			delete(v.loading, p)
			if err != nil {
				v.w.logf("gui: conversations: %v", err)
				return
			}
			for i := range cs {
				v.w.overlay([]app.Message{cs[i].Latest}, readAt)
			}
			v.pages[p] = cs
			if len(v.pages) > maxPages {
				for q := range v.pages {
					if q != p && len(v.pages) > maxPages {
						delete(v.pages, q)
					}
				}
			}
			v.relayout()
		})
	})
}

// at returns conversation i if its page is cached, and asks for the page
// otherwise.
func (v *conversationView) at(i int) (app.Conversation, bool) {
	page, ok := v.pages[i/pageSize]
	if !ok {
		v.requestPage(i / pageSize)
		return app.Conversation{}, false
	}
	if j := i % pageSize; j < len(page) {
		return page[j], true
	}
	return app.Conversation{}, false
}

// relayout sets each cached row's height to fit its expanded messages and
// redraws the list.
func (v *conversationView) relayout() {
	for p, page := range v.pages {
		for j, c := range page {
			v.list.SetItemHeight(p*pageSize+j, v.itemH+v.rowH*float32(len(v.expanded[c.ThreadID])))
		}
	}
	v.list.Refresh()
}

// expand shows the messages of conversation row i under it.
func (v *conversationView) expand(i int) {
	c, ok := v.at(i)
	if !ok || v.expanded[c.ThreadID] != nil {
		return
	}
	v.expanded[c.ThreadID] = []app.Message{} // asked for
	mb, gen := v.mailbox, v.gen
	v.w.spawn("load conversation", func() {
		ctx, cancel := context.WithTimeout(v.w.ctx, 30*time.Second)
		readAt := v.w.writes.Load()
		msgs, err := v.w.core.ConversationMessages(ctx, mb.Account, c.ThreadID, mb.ID)
		cancel()
		v.w.do(func() {
			if gen != v.gen || v.expanded[c.ThreadID] == nil {
				return
			}
			if err != nil {
				delete(v.expanded, c.ThreadID)
				v.w.logf("gui: conversation: %v", err)
				return
			}
			v.w.overlay(msgs, readAt)
			v.expanded[c.ThreadID] = msgs
			v.relayout()
		})
	})
}

// collapse hides the messages of conversation row i.
func (v *conversationView) collapse(i int) {
	if c, ok := v.at(i); ok {
		delete(v.expanded, c.ThreadID)
		v.list.SetItemHeight(i, v.itemH)
		v.list.Refresh()
	}
}

// toggleRow expands row i, or collapses it when it is expanded.
func (v *conversationView) toggleRow(i int) {
	if c, ok := v.at(i); ok && v.expanded[c.ThreadID] != nil {
		v.collapse(i)
	} else {
		v.expand(i)
	}
}

// selected opens the conversation's newest message in the folder.
func (v *conversationView) selected(i widget.ListItemID) {
	if c, ok := v.at(i); ok {
		v.openMessage(c.Latest)
	}
}

// openMessage shows m, a message of a conversation, in the reader; the
// window's actions then act on it.
func (v *conversationView) openMessage(m app.Message) {
	v.w.list.selectedID = m.ID
	v.w.openMessage(m.ID)
}

// message returns the cached message id, from a row or an expanded
// conversation.
func (v *conversationView) message(id int64) (app.Message, bool) {
	for _, page := range v.pages {
		for _, c := range page {
			if c.Latest.ID == id {
				return c.Latest, true
			}
		}
	}
	for _, ms := range v.expanded {
		for _, m := range ms {
			if m.ID == id {
				return m, true
			}
		}
	}
	return app.Message{}, false
}

// setFlag changes a flag of a cached message and redraws.
func (v *conversationView) setFlag(id int64, flag string, on bool) {
	found := false
	for _, page := range v.pages {
		for i := range page {
			if m := &page[i].Latest; m.ID == id {
				m.Flags, found = withFlag(m.Flags, flag, on), true
			}
		}
	}
	for _, ms := range v.expanded {
		for i := range ms {
			if ms[i].ID == id {
				ms[i].Flags, found = withFlag(ms[i].Flags, flag, on), true
			}
		}
	}
	if found {
		v.list.Refresh()
	}
}

// typedKey expands with the right arrow and collapses with the left one.
func (v *conversationView) typedKey(ev *fyne.KeyEvent) bool {
	i := v.selectedRow()
	if i < 0 {
		return false
	}
	switch ev.Name {
	case fyne.KeyRight:
		v.expand(i)
	case fyne.KeyLeft:
		v.collapse(i)
	default:
		return false
	}
	return true
}

// selectedRow returns the row of the reader's message, or -1.
func (v *conversationView) selectedRow() int {
	for p, page := range v.pages {
		for j, c := range page {
			if c.Latest.ID == v.w.list.selectedID {
				return p*pageSize + j
			}
			for _, m := range v.expanded[c.ThreadID] {
				if m.ID == v.w.list.selectedID {
					return p*pageSize + j
				}
			}
		}
	}
	return -1
}

func (v *conversationView) updateItem(i widget.ListItemID, obj fyne.CanvasObject) {
	it := obj.(*convItem)
	c, ok := v.at(i)
	if !ok {
		it.set(i, widgets.RowData{Placeholder: true}, "", nil, false)
		return
	}
	rd := rowData(v.mailbox, c.Latest, time.Now())
	rd.Sender = participantsText(c.Participants)
	rd.Unread = c.Unread > 0
	mark := "▸"
	msgs := v.expanded[c.ThreadID]
	if msgs != nil {
		mark = "▾"
	}
	if c.Count > 1 {
		mark += " " + strconv.Itoa(c.Count)
	}
	it.set(i, rd, mark, msgs, c.Latest.Flagged())
}

// participantsText lists who wrote, first names of the first three.
func participantsText(ps []app.Address) string {
	var names []string
	for _, p := range ps {
		if len(names) == 3 {
			names = append(names, "…")
			break
		}
		n := p.Display()
		if f := strings.Fields(n); len(f) > 1 && p.Name != "" {
			n = f[0]
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

// convItem is one conversation row: a disclosure button with the count,
// the conversation's summary, and its messages indented when expanded.
type convItem struct {
	widget.BaseWidget
	v        *conversationView
	icons    widgets.RowIcons
	row      int
	disclose *widget.Button
	head     *widgets.MessageRow
	children *fyne.Container
	content  fyne.CanvasObject
}

func newConvItem(v *conversationView, icons widgets.RowIcons) *convItem {
	it := &convItem{v: v, icons: icons, head: widgets.NewMessageRow(icons), children: container.NewVBox()}
	it.disclose = widget.NewButton("▸", func() { it.v.toggleRow(it.row) })
	it.disclose.Importance = widget.LowImportance
	top := container.NewBorder(nil, nil, container.NewCenter(it.disclose), nil, it.head)
	indent := canvas.NewRectangle(color.Transparent)
	indent.SetMinSize(fyne.NewSize(4*theme.Padding()+theme.IconInlineSize(), 1))
	it.content = container.NewBorder(top, nil, nil, nil, container.NewBorder(nil, nil, indent, nil, it.children))
	it.ExtendBaseWidget(it)
	return it
}

// set shows conversation row i: its summary d, the disclosure mark and
// its messages (nil when collapsed).
func (it *convItem) set(i int, d widgets.RowData, mark string, msgs []app.Message, flagged bool) {
	it.row = i
	d.Flagged = flagged
	it.head.Set(d)
	it.disclose.SetText(mark)
	if d.Placeholder {
		it.disclose.Hide()
	} else {
		it.disclose.Show()
	}
	// Child rows are reused; only their count changes.
	for len(it.children.Objects) < len(msgs) {
		it.children.Add(newConvChild(it.v, it.icons))
	}
	for j, o := range it.children.Objects {
		c := o.(*convChild)
		if j < len(msgs) {
			c.set(msgs[j])
			c.Show()
		} else {
			c.Hide()
		}
	}
	it.children.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (it *convItem) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(it.content)
}

// convChild is one message of an expanded conversation; a tap opens it.
type convChild struct {
	widget.BaseWidget
	v   *conversationView
	row *widgets.MessageRow
	msg app.Message
}

func newConvChild(v *conversationView, icons widgets.RowIcons) *convChild {
	c := &convChild{v: v, row: widgets.NewMessageRow(icons)}
	c.row.OnStar = func() { c.v.w.toggleStar(c.msg.ID) }
	c.ExtendBaseWidget(c)
	return c
}

func (c *convChild) set(m app.Message) {
	c.msg = m
	c.row.Set(rowData(app.Mailbox{}, m, time.Now())) // a conversation names each message's sender
}

// Tapped opens the message.
func (c *convChild) Tapped(*fyne.PointEvent) { c.v.openMessage(c.msg) }

// CreateRenderer implements fyne.Widget.
func (c *convChild) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(c.row) }
