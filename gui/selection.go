package gui

import (
	"context"
	"fmt"
	"image/color"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/gui/widgets"
)

// selection is the message list's multi-selection and keyboard state. It
// belongs to the UI goroutine.
type selection struct {
	// marked holds the selected messages when more than one is selected
	// (the cursor row among them); empty otherwise.
	marked map[int64]bool
	// anchor is the row a Shift range starts from.
	anchor int
	// jump is a row to select once its page has arrived, -1 if none.
	jump int
	// mods are the modifier keys held, as the list saw them pressed (for
	// drivers that cannot tell; see modifiers).
	mods fyne.KeyModifier
	// ring outlines the list while it has the keyboard focus.
	ring *canvas.Rectangle
	// gen is bumped by each range read, so that a stale one is dropped.
	gen int
}

func newSelection() selection {
	ring := canvas.NewRectangle(color.Transparent)
	ring.StrokeWidth = 2
	ring.StrokeColor = theme.Color(theme.ColorNameFocus)
	ring.Hide()
	return selection{marked: map[int64]bool{}, anchor: -1, jump: -1, ring: ring}
}

// selRow is one row of the message list: the message row over a highlight
// that shows it is part of the multi-selection. It takes the row's taps,
// so that a click focuses the list and Shift and Ctrl extend the
// selection, and its right click opens the message menu.
type selRow struct {
	widget.BaseWidget
	l   *messageList
	id  int // the list row it shows
	bg  *canvas.Rectangle
	row *widgets.MessageRow
	// mods are the modifiers of the last mouse press on the row.
	mods fyne.KeyModifier
}

func newSelRow(l *messageList, row *widgets.MessageRow) *selRow {
	r := &selRow{l: l, id: -1, row: row, bg: canvas.NewRectangle(color.Transparent)}
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer implements fyne.Widget.
func (r *selRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(r.bg, r.row))
}

// setMarked shows whether the row is part of the multi-selection.
func (r *selRow) setMarked(on bool) {
	c := color.Color(color.Transparent)
	if on {
		c = theme.Color(theme.ColorNameSelection)
	}
	if r.bg.FillColor != c {
		r.bg.FillColor = c
		r.bg.Refresh()
	}
}

// MouseDown records the modifiers held for the tap that follows.
func (r *selRow) MouseDown(ev *desktop.MouseEvent) { r.mods = ev.Modifier }

// MouseUp implements desktop.Mouseable.
func (r *selRow) MouseUp(*desktop.MouseEvent) {}

// Tapped selects the row: alone, or with Shift as a range from the anchor,
// or with Ctrl toggled in the selection.
func (r *selRow) Tapped(*fyne.PointEvent) {
	mods := r.mods | r.l.modifiers()
	r.mods = 0
	r.l.focus()
	r.l.click(r.id, mods)
}

// TappedSecondary selects the row unless it is selected already and opens
// the message menu there.
func (r *selRow) TappedSecondary(ev *fyne.PointEvent) {
	r.l.focus()
	if !r.l.isSelected(r.id) {
		r.l.click(r.id, 0)
	}
	r.l.w.showMessageMenu(ev.AbsolutePosition)
}

// modifiers returns the modifier keys held now: the driver's word where
// it has one, else those the list saw pressed while it had the focus.
func (l *messageList) modifiers() fyne.KeyModifier {
	if d, ok := fyne.CurrentApp().Driver().(desktop.Driver); ok {
		return d.CurrentKeyModifiers()
	}
	return l.sel.mods
}

// trackModifier follows the modifier keys pressed while the list has the
// focus.
func (l *messageList) trackModifier(ev *fyne.KeyEvent, down bool) {
	var m fyne.KeyModifier
	switch ev.Name {
	case desktop.KeyShiftLeft, desktop.KeyShiftRight:
		m = fyne.KeyModifierShift
	case desktop.KeyControlLeft, desktop.KeyControlRight:
		m = fyne.KeyModifierControl
	case desktop.KeySuperLeft, desktop.KeySuperRight:
		m = fyne.KeyModifierSuper
	default:
		return
	}
	if down {
		l.sel.mods |= m
	} else {
		l.sel.mods &^= m
	}
}

// focus gives the list the keyboard focus.
func (l *messageList) focus() {
	if c := l.w.win.Canvas(); c.Focused() != l.list {
		c.Focus(l.list)
	}
}

// focusChanged shows or hides the focus ring. Keys released while the
// list had no focus were not seen, so the modifiers start over.
func (l *messageList) focusChanged(on bool) {
	l.sel.mods = 0
	if on {
		l.sel.ring.StrokeColor = theme.Color(theme.ColorNameFocus)
		l.sel.ring.Show()
	} else {
		l.sel.ring.Hide()
	}
	l.sel.ring.Refresh()
}

// isSelected reports whether row id is selected.
func (l *messageList) isSelected(id int) bool {
	m, ok := l.at(id)
	if !ok {
		return false
	}
	if len(l.sel.marked) > 0 {
		return l.sel.marked[m.ID]
	}
	return m.ID == l.selectedID
}

// click selects row id as a click with mods does.
func (l *messageList) click(id int, mods fyne.KeyModifier) {
	if id < 0 || id >= l.count {
		return
	}
	switch {
	case mods&fyne.KeyModifierShift != 0:
		l.extendTo(id)
	case mods&(fyne.KeyModifierControl|fyne.KeyModifierSuper) != 0:
		l.toggle(id)
	default:
		l.selectOnly(id)
	}
}

// selectOnly makes row id the only selected row and shows it.
func (l *messageList) selectOnly(id int) {
	l.clearMarks()
	l.sel.anchor = id
	if id == l.selIndex && l.selectedID != 0 {
		l.w.openMessage(l.selectedID) // the reader may show a count
		return
	}
	l.list.Select(id)
}

// clearMarks ends a multi-selection.
func (l *messageList) clearMarks() {
	if len(l.sel.marked) == 0 {
		return
	}
	l.sel.marked = map[int64]bool{}
	l.sel.gen++
	l.list.Refresh()
}

// toggle adds row id to the selection or takes it out.
func (l *messageList) toggle(id int) {
	m, ok := l.at(id)
	if !ok {
		return
	}
	if len(l.sel.marked) == 0 && l.selectedID != 0 {
		l.sel.marked[l.selectedID] = true
	}
	if l.sel.marked[m.ID] {
		delete(l.sel.marked, m.ID)
	} else {
		l.sel.marked[m.ID] = true
	}
	l.sel.anchor = id
	l.selIndex, l.selectedID = id, m.ID
	l.quietly(func() { l.list.Select(id) })
	l.marksChanged()
}

// extendTo selects the rows from the anchor to id, with id the cursor.
func (l *messageList) extendTo(id int) {
	anchor := l.sel.anchor
	if anchor < 0 {
		anchor = max(l.selIndex, 0)
	}
	l.sel.anchor = anchor
	l.selectRange(min(anchor, id), max(anchor, id), id)
}

// selectRange selects rows lo..hi with the cursor on row cursor. Rows
// whose pages are not cached are read first, off the UI goroutine.
func (l *messageList) selectRange(lo, hi, cursor int) {
	l.sel.gen++
	var ids []int64
	complete := true
	for i := lo; i <= hi; i++ {
		page, ok := l.pages[i/pageSize]
		if !ok || i%pageSize >= len(page) {
			complete = false
			break
		}
		ids = append(ids, page[i%pageSize].ID)
	}
	if complete {
		l.markRange(cursor, ids)
		return
	}
	gen, mailboxID := l.sel.gen, l.mailbox.ID
	l.w.spawn("select range", func() {
		ctx, cancel := context.WithTimeout(l.w.ctx, 30*time.Second)
		defer cancel()
		msgs, err := l.w.core.Messages(ctx, mailboxID, lo, hi-lo+1)
		l.w.do(func() {
			if gen != l.sel.gen || mailboxID != l.mailbox.ID {
				return
			}
			if err != nil {
				l.w.status.notice("Could not select the messages: " + err.Error())
				return
			}
			ids := make([]int64, len(msgs))
			for i, m := range msgs {
				ids[i] = m.ID
			}
			l.markRange(cursor, ids)
		})
	})
}

// markRange makes ids the selection with row cursor as the cursor.
func (l *messageList) markRange(cursor int, ids []int64) {
	l.sel.marked = map[int64]bool{}
	for _, id := range ids {
		l.sel.marked[id] = true
	}
	if m, ok := l.at(cursor); ok {
		l.selectedID = m.ID
	}
	l.selIndex = cursor
	l.quietly(func() { l.list.Select(cursor) })
	l.marksChanged()
}

// selectAll selects every message of the folder.
func (l *messageList) selectAll() {
	if l.count == 0 {
		return
	}
	l.sel.anchor = 0
	l.selectRange(0, l.count-1, max(l.selIndex, 0))
}

// marksChanged redraws the rows and the reader after the selection changed.
func (l *messageList) marksChanged() {
	if len(l.sel.marked) == 1 {
		for id := range l.sel.marked {
			l.selectedID = id
		}
		l.sel.marked = map[int64]bool{}
	}
	l.list.Refresh()
	switch {
	case len(l.sel.marked) > 1:
		l.w.reader.showCount(len(l.sel.marked))
	case l.selectedID != 0:
		l.w.openMessage(l.selectedID)
	default:
		l.w.reader.clear()
	}
	l.w.updateActions()
}

// selection returns the selected messages: the multi-selection, else the
// cursor's message, in list order where known.
func (l *messageList) selection() []int64 {
	if len(l.sel.marked) == 0 {
		if l.selectedID != 0 {
			return []int64{l.selectedID}
		}
		return nil
	}
	out := make([]int64, 0, len(l.sel.marked))
	for id := range l.sel.marked {
		out = append(out, id)
	}
	slices.SortFunc(out, func(a, b int64) int {
		ia, ib := l.indexOf(a), l.indexOf(b)
		if ia != ib {
			return ia - ib
		}
		return int(a - b)
	})
	return out
}

// moveCursor moves the cursor by delta rows; with extend, the selection
// grows (or shrinks) with it, as Shift+arrows do.
func (l *messageList) moveCursor(delta int, extend bool) {
	next := l.selIndex + delta
	if l.selIndex < 0 {
		next = 0
	}
	next = min(max(next, 0), l.count-1)
	if next < 0 {
		return
	}
	if extend {
		if l.sel.anchor < 0 {
			l.sel.anchor = max(l.selIndex, 0)
		}
		l.extendTo(next)
		return
	}
	l.jumpTo(next)
}

// jumpTo selects row i alone, once its page (and the page showing the rows
// above it) are cached, so that the list never jumps onto placeholders.
func (l *messageList) jumpTo(i int) {
	if i < 0 || i >= l.count {
		return
	}
	need := []int{i / pageSize}
	if above := i - l.visibleRows(); above >= 0 && above/pageSize != i/pageSize {
		need = append(need, above/pageSize)
	}
	if below := min(i+l.visibleRows(), l.count-1); below/pageSize != i/pageSize {
		need = append(need, below/pageSize)
	}
	ready := true
	for _, p := range need {
		if _, ok := l.pages[p]; !ok {
			ready = false
			l.requestPage(p)
		}
	}
	if !ready {
		l.sel.jump = i
		return
	}
	l.sel.jump = -1
	l.clearMarks()
	l.sel.anchor = i
	l.list.Select(i)
}

// pageArrived finishes a jump that waited for its pages.
func (l *messageList) pageArrived() {
	if i := l.sel.jump; i >= 0 {
		l.sel.jump = -1
		l.jumpTo(i)
	}
}

// visibleRows is how many rows the list shows at once.
func (l *messageList) visibleRows() int {
	h := l.rowHeight()
	if h <= 0 {
		return 1
	}
	return max(int(l.list.Size().Height/h), 1)
}

func (l *messageList) rowHeight() float32 {
	return widgets.NewMessageRow(widgets.RowIcons{}).MinSize().Height + theme.Padding()
}

// nextUnread selects the next (dir 1) or previous (dir -1) unread message
// among the cached rows.
func (l *messageList) nextUnread(dir int) {
	for i := l.selIndex + dir; i >= 0 && i < l.count; i += dir {
		m, ok := l.at(i)
		if !ok {
			return // not cached: stop rather than read the folder
		}
		if !m.Seen() {
			l.jumpTo(i)
			return
		}
	}
}

// selectAfter picks the row to show once the messages gone leave the
// list: the first one below the cursor that is not going, else the last
// one above it. It ends the multi-selection.
func (l *messageList) selectAfter(gone []int64) {
	going := map[int64]bool{}
	for _, id := range gone {
		going[id] = true
	}
	start := max(l.selIndex, 0)
	pick := func(i int) bool {
		m, ok := l.at(i)
		if !ok || going[m.ID] {
			return false
		}
		l.clearMarks()
		l.selectedID, l.selIndex = m.ID, i
		l.sel.anchor = i
		l.quietly(func() { l.list.Select(i) })
		l.w.openMessage(m.ID)
		return true
	}
	for i := start; i < l.count; i++ {
		if pick(i) {
			return
		}
	}
	for i := start - 1; i >= 0; i-- {
		if pick(i) {
			return
		}
	}
	l.clearMarks()
	l.selectedID, l.selIndex = 0, -1
	l.quietly(l.list.UnselectAll)
	l.w.reader.clear()
}

// showCount shows how many messages are selected instead of a message.
func (r *reader) showCount(n int) {
	r.stop()
	r.msg = app.Message{}
	r.st = readerEmpty
	lbl := &widget.Label{Text: fmt.Sprintf("%d messages selected", n), Importance: widget.LowImportance}
	r.setPage(container.NewCenter(lbl))
}
