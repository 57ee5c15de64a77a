package gui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/gui/widgets"
)

// folderCell is one node of the folder tree: the folder row, with a right
// click menu, and a place to drop messages on. Fyne has no drag and drop
// between widgets, so a drag of message rows (selRow) finds its folder by
// the cells' positions on the canvas.
type folderCell struct {
	widget.BaseWidget
	f   *folderTree
	uid widget.TreeNodeID // the node it shows
	row *widgets.FolderRow
}

func newFolderCell(f *folderTree) *folderCell {
	c := &folderCell{f: f, row: widgets.NewFolderRow()}
	c.ExtendBaseWidget(c)
	return c
}

// CreateRenderer implements fyne.Widget.
func (c *folderCell) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(c.row)
}

// TappedSecondary opens the folder's or the account's menu.
func (c *folderCell) TappedSecondary(ev *fyne.PointEvent) {
	if b, ok := c.f.folders[c.uid]; ok {
		c.f.w.showFolderMenu(b, ev.AbsolutePosition)
	} else if a, ok := c.f.accts[c.uid]; ok {
		c.f.w.showAccountMenu(a.ID, ev.AbsolutePosition)
	}
}

// folderAt returns the folder whose row is drawn at canvas position pos.
func (f *folderTree) folderAt(pos fyne.Position) (app.Mailbox, bool) {
	d := fyne.CurrentApp().Driver()
	inside := func(o fyne.CanvasObject) bool {
		at := d.AbsolutePositionForObject(o)
		s := o.Size()
		return pos.X >= at.X && pos.Y >= at.Y && pos.X < at.X+s.Width && pos.Y < at.Y+s.Height
	}
	if !f.tree.Visible() || !inside(f.tree) {
		return app.Mailbox{}, false
	}
	for uid, c := range f.cells {
		// A cell the tree has let go of is not found on the canvas, and
		// so is not inside the tree.
		if b, ok := f.folders[uid]; ok && c.uid == uid && c.Visible() && inside(c) {
			return b, true
		}
	}
	return app.Mailbox{}, false
}

// showFolderMenu opens the context menu of folder b at pos: open it, move
// or copy the selected messages there, and the folder operations (on b,
// which they open first).
func (w *MainWindow) showFolderMenu(b app.Mailbox, pos fyne.Position) {
	open := func(then func()) func() {
		return func() {
			if w.list.mailbox.ID != b.ID {
				w.folders.selectMailbox(b.ID)
			}
			if then != nil {
				then()
			}
		}
	}
	items := []*fyne.MenuItem{fyne.NewMenuItem("Open", open(nil))}
	if n := len(w.list.selection()); n > 0 && w.list.mailbox.Account == b.Account && w.list.mailbox.ID != b.ID {
		what := "the message"
		if n > 1 {
			what = fmt.Sprintf("the %d messages", n)
		}
		items = append(items,
			fyne.NewMenuItem("Move "+what+" here", func() { w.act(app.ActMove, b.ID) }),
			fyne.NewMenuItem("Copy "+what+" here", func() { w.act(app.ActCopy, b.ID) }))
	}
	items = append(items, fyne.NewMenuItemSeparator(), fyne.NewMenuItem("New folder…", open(w.newFolder)))
	if b.Role != app.RoleInbox {
		items = append(items,
			fyne.NewMenuItem("Rename folder…", open(w.renameFolder)),
			fyne.NewMenuItem("Delete folder…", open(w.deleteFolder)))
	}
	w.menu = widget.NewPopUpMenu(fyne.NewMenu("", items...), w.win.Canvas())
	w.menu.ShowAtPosition(pos)
}

// drag is a drag of messages from the list under way.
type drag struct {
	ids  []int64
	pos  fyne.Position
	tip  *widget.PopUp
	text *widget.Label
}

// Dragged moves the selection (this row alone when it is not selected)
// with the pointer, saying where it would go.
func (r *selRow) Dragged(ev *fyne.DragEvent) {
	l := r.l
	if l.drag == nil {
		if !l.isSelected(r.id) {
			l.click(r.id, 0)
		}
		ids := l.selection()
		if len(ids) == 0 {
			return
		}
		text := widget.NewLabel("")
		l.drag = &drag{ids: ids, text: text, tip: widget.NewPopUp(container.NewPadded(text), l.w.win.Canvas())}
	}
	d := l.drag
	d.pos = ev.AbsolutePosition
	verb, what := "Move", "1 message"
	if l.modifiers()&(fyne.KeyModifierControl|fyne.KeyModifierSuper) != 0 {
		verb = "Copy"
	}
	if len(d.ids) > 1 {
		what = fmt.Sprintf("%d messages", len(d.ids))
	}
	msg := verb + " " + what
	if b, ok := l.w.folders.folderAt(d.pos); ok && b.Account == l.mailbox.Account && b.ID != l.mailbox.ID {
		msg += " to " + folderName(b)
	}
	if d.text.Text != msg {
		d.text.SetText(msg)
	}
	d.tip.ShowAtPosition(d.pos.Add(fyne.NewPos(12, 12)))
}

// DragEnd moves (with Ctrl held, copies) the dragged messages to the
// folder they were dropped on, if any.
func (r *selRow) DragEnd() {
	l := r.l
	d := l.drag
	l.drag = nil
	if d == nil {
		return
	}
	d.tip.Hide()
	b, ok := l.w.folders.folderAt(d.pos)
	if !ok || b.Account != l.mailbox.Account || b.ID == l.mailbox.ID {
		return
	}
	act := app.ActMove
	if l.modifiers()&(fyne.KeyModifierControl|fyne.KeyModifierSuper) != 0 {
		act = app.ActCopy
	}
	l.w.actOn(d.ids, act, b.ID)
}
