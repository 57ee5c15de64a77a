package gui

import (
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/store"
)

// overlayWidgets returns the entry and the button labelled text of the
// dialog on top of the window.
func overlayWidgets(t *testing.T, h *harness, text string) (*widget.Entry, *widget.Button) {
	t.Helper()
	top := h.w.Window().Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog shown")
	}
	var entry *widget.Entry
	var button *widget.Button
	for _, o := range test.LaidOutObjects(top) {
		switch x := o.(type) {
		case *widget.Entry:
			entry = x
		case *widget.Button:
			if x.Text == text {
				button = x
			}
		}
	}
	if button == nil {
		t.Fatalf("no %q button in the dialog", text)
	}
	return entry, button
}

func TestFolderCreateRenameDelete(t *testing.T) {
	h := newHarness(t, nil)
	h.startDemo()
	ctx := h.ctx()
	account := func() string { return h.w.accounts[0].ID }
	h.waitFor("folders", func() bool { return len(h.w.accounts) > 0 && len(h.w.folders.boxes[account()]) > 0 })
	has := func(name string) bool {
		for _, b := range h.w.folders.boxes[account()] {
			if b.Name == name {
				return true
			}
		}
		return false
	}

	h.w.newFolder()
	entry, create := overlayWidgets(t, h, "Create")
	test.Type(entry, "Ideas")
	test.Tap(create)
	h.waitFor("the new folder in the tree", func() bool { return has("Ideas") })

	var ideas store.Mailbox
	for _, b := range h.w.folders.boxes[account()] {
		if b.Name == "Ideas" {
			ideas = b
		}
	}
	h.w.folders.tree.Select(mailboxUID(ideas.ID))
	h.waitFor("Ideas open", func() bool { return h.w.list.mailbox.ID == ideas.ID })
	h.w.renameFolder()
	entry, rename := overlayWidgets(t, h, "Rename")
	entry.SetText("Ideas 2026")
	test.Tap(rename)
	h.waitFor("the renamed folder", func() bool { return has("Ideas 2026") && !has("Ideas") })

	for _, b := range h.w.folders.boxes[account()] {
		if b.Name == "Ideas 2026" {
			h.w.folders.tree.Select(mailboxUID(b.ID))
			h.waitFor("Ideas 2026 open", func() bool { return h.w.list.mailbox.ID == b.ID })
		}
	}
	h.w.deleteFolder()
	_, yes := overlayWidgets(t, h, "Yes")
	test.Tap(yes)
	h.waitFor("the folder gone", func() bool { return !has("Ideas 2026") })
	if _, err := h.core.FindMailbox(ctx, account(), "Ideas 2026"); err == nil {
		t.Fatal("deleted folder still in the store")
	}
}
