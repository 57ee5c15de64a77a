package gui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"github.com/ternmail/tern/app"
)

// folderCellOf returns the drawn tree node of folder id. It walks the
// tree's renderers as the canvas does (test.LaidOutObjects would lay the
// tree out again, at its minimum size).
func (h *harness) folderCellOf(id int64) *folderCell {
	h.t.Helper()
	var found *folderCell
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if c, ok := o.(*folderCell); ok && c.uid == mailboxUID(id) && found == nil {
			found = c
			return
		}
		switch x := o.(type) {
		case *fyne.Container:
			for _, k := range x.Objects {
				walk(k)
			}
		case fyne.Widget:
			for _, k := range test.WidgetRenderer(x).Objects() {
				walk(k)
			}
		}
	}
	walk(h.w.folders.tree)
	if found == nil {
		h.t.Fatalf("folder %d is not drawn", id)
	}
	return found
}

// centre returns the canvas position of o's centre.
func centre(o fyne.CanvasObject) fyne.Position {
	at := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
	return at.Add(fyne.NewPos(o.Size().Width/2, o.Size().Height/2))
}

// plainFolder returns a folder of the account without a role.
func (h *harness) plainFolder() app.Mailbox {
	h.t.Helper()
	for _, b := range h.w.folders.boxes[h.w.accounts[0].ID] {
		if b.Role == "" {
			return b
		}
	}
	h.t.Fatal("the demo has no plain folder")
	return app.Mailbox{}
}

// TestDragToFolder drags two selected messages onto a folder of the tree
// (a move), then one with Ctrl held (a copy), and moves one by the
// folder's context menu; each is checked on the server.
func TestDragToFolder(t *testing.T) {
	h, srv := newServerHarness(t)
	inbox := h.w.list.mailbox
	target := h.plainFolder()
	cl := srv.DialIMAP(t, nil)
	in := func(box app.Mailbox, m app.Message) bool {
		_, ok := onServer(t, cl, box.Name)[m.MessageID]
		return ok
	}
	drop := centre(h.folderCellOf(target.ID))

	h.click(0, 0)
	h.click(1, fyne.KeyModifierShift)
	a, _ := h.w.list.at(0)
	b, _ := h.w.list.at(1)
	r := h.row(1)
	r.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{AbsolutePosition: centre(h.w.reader.root)}})
	if got := h.w.list.drag.text.Text; got != "Move 2 messages" {
		t.Errorf("tip away from the tree: %q", got)
	}
	r.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{AbsolutePosition: drop}})
	if got, want := h.w.list.drag.text.Text, "Move 2 messages to "+folderName(target); got != want {
		t.Errorf("tip %q, want %q", got, want)
	}
	r.DragEnd()
	h.run()
	h.waitFor("both in "+target.Name+" on the server", func() bool {
		return in(target, a) && in(target, b) && !in(inbox, a) && !in(inbox, b)
	})
	if got, want := h.w.undo.label.Text, "Moved 2 messages to "+target.Name; got != want {
		t.Errorf("toast %q, want %q", got, want)
	}

	// With Ctrl held: a copy of the row dragged, which was not selected.
	h.waitFor("rows", func() bool { _, ok := h.w.list.at(2); return ok })
	c, _ := h.w.list.at(2)
	r = h.row(2)
	h.withKeyHeld(desktop.KeyControlLeft, func() {
		r.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{AbsolutePosition: drop}})
		if got, want := h.w.list.drag.text.Text, "Copy 1 message to "+folderName(target); got != want {
			t.Errorf("tip %q, want %q", got, want)
		}
		r.DragEnd()
	})
	h.run()
	h.waitFor("the copy on the server", func() bool { return in(target, c) && in(inbox, c) })

	// A drop outside the tree does nothing.
	h.click(3, 0)
	d, _ := h.w.list.at(3)
	r = h.row(3)
	r.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{AbsolutePosition: centre(h.w.reader.root)}})
	r.DragEnd()
	h.run()
	if _, ok := h.w.list.message(d.ID); !ok || h.w.list.drag != nil {
		t.Fatal("a drop on the reader moved the message")
	}

	// The folder's context menu moves the selection there.
	test.TapSecondary(h.folderCellOf(target.ID))
	h.run()
	h.tapMenu("Move the message here")
	h.waitFor("the message moved by the folder's menu", func() bool { return in(target, d) && !in(inbox, d) })
}
