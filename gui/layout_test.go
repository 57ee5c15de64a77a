package gui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ternmail/tern/app"
)

// visibleIn reports whether o is drawn in the window: under its content,
// with it and every object above it visible and of some size.
func (h *harness) visibleIn(o fyne.CanvasObject) bool {
	var walk func(x fyne.CanvasObject) bool
	walk = func(x fyne.CanvasObject) bool {
		if x == nil || !x.Visible() || x.Size().Width <= 0 || x.Size().Height <= 0 {
			return false
		}
		if x == o {
			return true
		}
		var kids []fyne.CanvasObject
		switch c := x.(type) {
		case *fyne.Container:
			kids = c.Objects
		case fyne.Widget:
			kids = test.WidgetRenderer(c).Objects()
		}
		for _, k := range kids {
			if walk(k) {
				return true
			}
		}
		return false
	}
	return walk(h.w.Window().Content())
}

// TestNarrowWindow checks the window at 800×600: the content fits, the
// reader replaces the list when a message is opened and Back returns, the
// folder tree is a drawer the Folders button opens and a folder closes;
// wide again, the three panes are side by side.
func TestNarrowWindow(t *testing.T) {
	h := newHarness(t, nil)
	h.startDemo()
	win := h.w.Window()
	win.Resize(fyne.NewSize(800, 600))
	h.run()
	min := win.Content().MinSize()
	if min.Width > 800 || min.Height > 600 {
		t.Fatalf("content min size %v does not fit 800×600", min)
	}
	if got := win.Canvas().Size(); got.Width > 800 || got.Height > 600 {
		t.Fatalf("canvas %v after a resize to 800×600", got)
	}
	p := h.w.panes
	if !p.narrow {
		t.Fatal("panes not collapsed at 800 px")
	}
	if !h.visibleIn(h.w.list.list) || h.visibleIn(h.w.reader.root) || h.visibleIn(h.w.folders.tree) {
		t.Fatalf("narrow, before a message is opened: list %v reader %v tree %v, want only the list",
			h.visibleIn(h.w.list.list), h.visibleIn(h.w.reader.root), h.visibleIn(h.w.folders.tree))
	}
	if h.visibleIn(p.backBtn) || !h.visibleIn(p.foldersBtn) {
		t.Error("narrow list: want Folders and no Back")
	}
	if w := h.w.list.list.Size().Width; w < 700 {
		t.Errorf("narrow list %v px wide in an 800 px window", w)
	}

	// Opening a message shows the reader in place of the list.
	h.w.list.list.Select(0)
	h.waitFor("the reader", func() bool { return h.w.reader.st == readerLoaded || h.w.reader.st == readerFailed })
	h.run()
	if !h.visibleIn(h.w.reader.root) || h.visibleIn(h.w.list.list) {
		t.Fatalf("narrow, message open: reader %v list %v, want only the reader", h.visibleIn(h.w.reader.root), h.visibleIn(h.w.list.list))
	}
	test.Tap(p.backBtn)
	if h.visibleIn(h.w.reader.root) || !h.visibleIn(h.w.list.list) {
		t.Fatal("Back did not return to the list")
	}

	// The folder drawer.
	test.Tap(p.foldersBtn)
	if !h.visibleIn(h.w.folders.tree) {
		t.Fatal("the Folders button did not show the folder tree")
	}
	if w := h.w.folders.tree.Size().Width; w > drawerWidth {
		t.Errorf("drawer %v px wide", w)
	}
	sent := h.folderWithRole(app.RoleSent)
	h.w.folders.tree.Select(mailboxUID(sent.ID))
	h.waitFor("rows of Sent", func() bool { return h.w.list.mailbox.ID == sent.ID && len(h.messageRows()) > 0 })
	if h.visibleIn(h.w.folders.tree) || !h.visibleIn(h.w.list.list) {
		t.Fatal("choosing a folder did not close the drawer onto its list")
	}
	if p.folderLabel.Text != folderName(sent) {
		t.Errorf("narrow title %q, want %q", p.folderLabel.Text, folderName(sent))
	}

	// Wide again: three panes.
	win.Resize(fyne.NewSize(1200, 760))
	h.run()
	if p.narrow || !h.visibleIn(h.w.list.list) || !h.visibleIn(h.w.reader.root) || !h.visibleIn(h.w.folders.tree) {
		t.Fatalf("wide: narrow %v list %v reader %v tree %v", p.narrow,
			h.visibleIn(h.w.list.list), h.visibleIn(h.w.reader.root), h.visibleIn(h.w.folders.tree))
	}
}
