package gui

import (
	"context"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
)

// toastTime is how long the toast offering Undo stays.
const toastTime = 8 * time.Second

// undoBar is the toast that says what the last act did and offers to undo
// it; Ctrl+Z undoes the same step after the toast is gone. It belongs to
// the UI goroutine.
type undoBar struct {
	w     *MainWindow
	root  *fyne.Container
	label *widget.Label
	btn   *widget.Button
	step  *app.Step // the last undoable step, nil when none
	shown int       // bumped by each toast, so that an old timer leaves a new one
}

func newUndoBar(w *MainWindow) *undoBar {
	u := &undoBar{w: w, label: widget.NewLabel("")}
	u.btn = widget.NewButtonWithIcon("Undo", theme.ContentUndoIcon(), u.undo)
	u.btn.Importance = widget.HighImportance
	u.root = container.NewHBox(u.label, u.btn)
	u.root.Hide()
	return u
}

// offer shows what step did, with Undo when it can be undone, for
// toastTime.
func (u *undoBar) offer(step *app.Step) {
	if step == nil || step.Count == 0 {
		return
	}
	u.shown++
	if step.Undoable() {
		u.step = step
		u.btn.Show()
	} else {
		u.btn.Hide()
	}
	u.label.SetText(step.String())
	u.root.Show()
	shown := u.shown
	u.w.spawn("toast timer", func() {
		t := time.NewTimer(toastTime)
		defer t.Stop()
		select {
		case <-t.C:
		case <-u.w.ctx.Done():
			return
		}
		u.w.do(func() {
			if u.shown == shown {
				u.root.Hide()
			}
		})
	})
}

// visible reports whether the toast is shown.
func (u *undoBar) visible() bool { return u.root.Visible() }

// undo takes back the last step, locally at once and on the server
// through the action queue.
func (u *undoBar) undo() {
	step := u.step
	if step == nil {
		return
	}
	u.step = nil
	u.shown++
	u.label.SetText("Undoing…")
	u.btn.Hide()
	u.w.spawn("undo", func() {
		ctx, cancel := context.WithTimeout(u.w.ctx, 30*time.Second)
		defer cancel()
		err := u.w.core.Undo(ctx, step)
		u.w.do(func() {
			u.root.Hide()
			if err != nil {
				u.w.status.notice("Could not undo everything: " + err.Error())
			}
		})
	})
	u.w.focusList()
}

// act does a (to folder target for moves and copies) to the selected
// messages as one step: on screen at once, in the store and the action
// queue off the UI goroutine; the step is then offered for undo. Messages
// that leave the list give their place to the next one.
func (w *MainWindow) act(a app.Act, target int64) { w.actOn(w.list.selection(), a, target) }

// actOn is act on the messages ids of the shown folder.
func (w *MainWindow) actOn(ids []int64, a app.Act, target int64) {
	if !w.showingMain() || len(ids) == 0 {
		return
	}
	var edits []*localEdit
	flag, on := "", false
	switch a {
	case app.ActRead, app.ActUnread:
		flag, on = flagSeen, a == app.ActRead
	case app.ActStar, app.ActUnstar:
		flag, on = flagFlagged, a == app.ActStar
	case app.ActMove, app.ActArchive, app.ActDelete, app.ActJunk, app.ActNotJunk:
		w.list.selectAfter(ids)
	}
	if flag != "" {
		for _, id := range ids {
			e := &localEdit{id: id, flag: flag, on: on}
			edits = append(edits, e)
			w.edits = append(w.edits, e)
			w.setLocalFlag(id, flag, on)
		}
	}
	w.spawn("act", func() {
		ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
		defer cancel()
		step, err := w.core.Act(ctx, ids, a, target)
		n := w.writes.Add(1)
		w.do(func() {
			for _, e := range edits {
				e.done = n
			}
			if err != nil {
				w.edits = slices.DeleteFunc(w.edits, func(x *localEdit) bool { return slices.Contains(edits, x) })
				for _, e := range edits {
					w.setLocalFlag(e.id, e.flag, !e.on)
				}
				w.status.notice("Could not change the messages: " + err.Error())
				return
			}
			w.undo.offer(step)
		})
	})
	w.focusList()
}

// selectedMessages returns the cached messages of the selection.
func (w *MainWindow) selectedMessages() []app.Message {
	var out []app.Message
	for _, id := range w.list.selection() {
		if m, ok := w.list.message(id); ok {
			out = append(out, m)
		}
	}
	return out
}

// toggleStarSelected stars the selection, or unstars it when all of it is
// starred.
func (w *MainWindow) toggleStarSelected() {
	ms := w.selectedMessages()
	all := len(ms) > 0
	for _, m := range ms {
		all = all && m.Flagged()
	}
	if all {
		w.act(app.ActUnstar, 0)
	} else {
		w.act(app.ActStar, 0)
	}
}

// markUnreadSelected marks the selection unread, or read when all of it is
// unread.
func (w *MainWindow) markUnreadSelected() {
	ms := w.selectedMessages()
	all := len(ms) > 0
	for _, m := range ms {
		all = all && !m.Seen()
	}
	if all {
		w.act(app.ActRead, 0)
	} else {
		w.act(app.ActUnread, 0)
	}
}

// archiveSelected archives the selection.
func (w *MainWindow) archiveSelected() { w.act(app.ActArchive, 0) }

// deleteSelected moves the selection to Trash (or deletes it for good in
// Trash).
func (w *MainWindow) deleteSelected() { w.act(app.ActDelete, 0) }

// junkSelected moves the selection to Junk, or out of Junk to the Inbox
// when the Junk folder is shown.
func (w *MainWindow) junkSelected() {
	if w.list.mailbox.Role == app.RoleJunk {
		w.act(app.ActNotJunk, 0)
	} else {
		w.act(app.ActJunk, 0)
	}
}

// moveSelected asks for a folder and moves the selection there.
func (w *MainWindow) moveSelected() {
	if len(w.list.selection()) == 0 {
		return
	}
	w.pickFolder("Move to…", func(b app.Mailbox) { w.act(app.ActMove, b.ID) })
}

// copySelected asks for a folder and copies the selection there.
func (w *MainWindow) copySelected() {
	if len(w.list.selection()) == 0 {
		return
	}
	w.pickFolder("Copy to…", func(b app.Mailbox) { w.act(app.ActCopy, b.ID) })
}
