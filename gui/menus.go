package gui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
)

// messageMenuItems are the context menu of the selected messages.
func (w *MainWindow) messageMenuItems() []*fyne.MenuItem {
	junk := "Junk (!)"
	if w.list.mailbox.Role == app.RoleJunk {
		junk = "Not junk (!)"
	}
	return append([]*fyne.MenuItem{
		fyne.NewMenuItem("Open in a new window (Enter)", w.openInWindow),
		fyne.NewMenuItem("Reply (R)", func() { w.compose.reply(false) }),
		fyne.NewMenuItem("Reply all (A)", func() { w.compose.reply(true) }),
		fyne.NewMenuItem("Forward (F)", func() { w.compose.forward(false) }),
		fyne.NewMenuItemSeparator(),
	}, w.messageActions(junk)...)
}

// messageActions are the acts on the selected messages, for the context
// menu and the window's Message menu; junk labels the junk item.
func (w *MainWindow) messageActions(junk string) []*fyne.MenuItem {
	return []*fyne.MenuItem{
		fyne.NewMenuItem("Mark as read", func() { w.act(app.ActRead, 0) }),
		fyne.NewMenuItem("Mark as unread", func() { w.act(app.ActUnread, 0) }),
		fyne.NewMenuItem("Star or unstar (S)", w.toggleStarSelected),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Move to… (M)", w.moveSelected),
		fyne.NewMenuItem("Copy to… (Shift+M)", w.copySelected),
		fyne.NewMenuItem("Archive (E)", w.archiveSelected),
		fyne.NewMenuItem(junk, w.junkSelected),
		fyne.NewMenuItem("Delete (Delete)", w.deleteSelected),
	}
}

// showMessageMenu opens the context menu of the selected messages at pos.
func (w *MainWindow) showMessageMenu(pos fyne.Position) {
	w.menu = widget.NewPopUpMenu(fyne.NewMenu("", w.messageMenuItems()...), w.win.Canvas())
	w.menu.ShowAtPosition(pos)
}

// openInWindow opens the selected message in a window of its own.
func (w *MainWindow) openInWindow() {
	id := w.selectedID()
	if id == 0 || len(w.list.sel.marked) > 0 {
		return
	}
	w.spawn("open in window", func() {
		ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
		defer cancel()
		v, err := w.core.OpenForReading(ctx, id)
		w.do(func() {
			if err != nil {
				w.status.notice("Could not open the message: " + err.Error())
				return
			}
			w.reader.showInWindow("", v)
		})
	})
}
