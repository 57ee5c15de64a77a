package gui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
)

// driverShortcut sends a key combination the way Fyne's desktop driver
// does (internal/driver/glfw/window.go, triggersShortcut, v2.7): the main
// menu's items first, then the focused widget if it takes shortcuts (a
// disabled text widget only Copy), and the canvas only when nothing is
// focused that takes them.
func (h *harness) driverShortcut(s *desktop.CustomShortcut) {
	h.t.Helper()
	if menu := h.w.win.MainMenu(); menu != nil {
		for _, m := range menu.Items {
			for _, it := range m.Items {
				if it.Shortcut != nil && it.Shortcut.ShortcutName() == s.ShortcutName() && it.Action != nil {
					it.Action()
					h.run()
					return
				}
			}
		}
	}
	c := h.w.win.Canvas()
	if f, ok := c.Focused().(fyne.Shortcutable); ok {
		f.TypedShortcut(s)
	} else {
		c.(fyne.Shortcutable).TypedShortcut(s)
	}
	h.run()
}

// TestCtrlKFromReaderFields checks that Ctrl+K focuses the search field
// from the reader's find bar and from the reader's selectable text, which
// take every shortcut given to them.
func TestCtrlKFromReaderFields(t *testing.T) {
	h := newHarness(t, nil)
	h.startDemo()
	h.openBySubject(h.messageRows()[0].Data().Subject)
	canvas := h.w.win.Canvas()
	ctrlK := &desktop.CustomShortcut{KeyName: fyne.KeyK, Modifier: fyne.KeyModifierShortcutDefault}
	ctrlF := &desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault}

	canvas.Focus(h.w.list.list)
	h.driverShortcut(ctrlF)
	if canvas.Focused() != h.w.reader.findEntry {
		t.Fatalf("Ctrl+F focused %T, want the find bar", canvas.Focused())
	}
	h.driverShortcut(ctrlK)
	if canvas.Focused() != h.w.search.entry {
		t.Fatalf("Ctrl+K in the find bar focused %T, want the search field", canvas.Focused())
	}

	// The subject, a selectable label, focused as by a click into it.
	var sel fyne.Focusable
	for _, o := range test.LaidOutObjects(h.w.reader.subject) {
		if f, ok := o.(fyne.Focusable); ok {
			sel = f
		}
	}
	if sel == nil {
		t.Fatal("the reader's subject has nothing to focus")
	}
	canvas.Focus(sel)
	if canvas.Focused() != sel {
		t.Fatalf("focus %T, want the subject's text", canvas.Focused())
	}
	h.driverShortcut(ctrlK)
	if canvas.Focused() != h.w.search.entry {
		t.Fatalf("Ctrl+K in the subject's text focused %T, want the search field", canvas.Focused())
	}
}
