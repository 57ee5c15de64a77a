package gui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"github.com/emersion/go-imap/v2"

	"github.com/ternmail/tern/app"
)

// tapMenu taps the item of the open context menu whose label starts with
// prefix.
func (h *harness) tapMenu(prefix string) {
	h.t.Helper()
	if h.w.menu == nil || !h.w.menu.Visible() {
		h.t.Fatal("no context menu")
	}
	for _, it := range h.w.menu.Items {
		for _, o := range test.LaidOutObjects(it) {
			if txt, ok := o.(*canvas.Text); ok && strings.HasPrefix(txt.Text, prefix) {
				test.Tap(it.(fyne.Tappable))
				h.run()
				return
			}
		}
	}
	h.t.Fatalf("no %q in the context menu", prefix)
}

// rightClick opens the context menu of row i.
func (h *harness) rightClick(i int) {
	h.t.Helper()
	test.TapSecondary(h.row(i))
	h.run()
}

// TestUndoEachKind: a star, a delete, a move and a copy by the context
// menu, junk and not junk, each undone by Ctrl+Z or the toast, checked on
// the server.
func TestUndoEachKind(t *testing.T) {
	h, srv := newServerHarness(t)
	ctx := h.ctx()
	acct := h.w.accounts[0].ID
	inbox := h.w.list.mailbox
	trash, _ := h.core.MailboxByRole(ctx, acct, app.RoleTrash)
	junk, _ := h.core.MailboxByRole(ctx, acct, app.RoleJunk)
	cl := srv.DialIMAP(t, nil)
	in := func(box app.Mailbox, m app.Message) bool {
		_, ok := onServer(t, cl, box.Name)[m.MessageID]
		return ok
	}
	// ctrlZ undoes the step the toast says: the step reaches the window
	// after the act's goroutine, which may be after the server shows it.
	ctrlZ := func(toast string) {
		t.Helper()
		h.waitFor("the toast "+toast, func() bool { return h.w.undo.step != nil && h.w.undo.label.Text == toast })
		h.shortcut(fyne.KeyZ, fyne.KeyModifierShortcutDefault)
	}

	// A star.
	h.click(0, 0)
	m := h.shows("row 0", 0)
	starred := func() bool { return hasImapFlag(onServer(t, cl, inbox.Name)[m.MessageID], imap.FlagFlagged) }
	if m.Flagged() {
		t.Fatal("row 0 is starred already")
	}
	h.typeKey('s')
	h.waitFor("the star on the server", starred)
	ctrlZ("Starred 1 message")
	h.waitFor("the star gone on the server", func() bool { return !starred() })
	h.waitFor("the star gone in the list", func() bool { x, _ := h.w.list.message(m.ID); return !x.Flagged() })

	// A delete.
	h.press(fyne.KeyDelete)
	h.waitFor("the message in Trash on the server", func() bool { return in(trash, m) && !in(inbox, m) })
	h.waitFor("the toast", h.w.undo.btn.Visible)
	test.Tap(h.w.undo.btn)
	h.waitFor("the message back in the inbox on the server", func() bool { return in(inbox, m) && !in(trash, m) })
	h.waitFor("the message back in the list", func() bool { return h.listHasMessageID(m.MessageID) })

	// A move by the context menu, to a folder picked by tapping it.
	var target app.Mailbox
	for _, b := range h.w.folders.boxes[acct] {
		if b.Role == "" {
			target = b
			break
		}
	}
	if target.ID == 0 {
		t.Fatal("the demo has no plain folder")
	}
	h.click(1, 0)
	m = h.shows("row 1", 1)
	h.rightClick(1)
	h.tapMenu("Move to")
	for i, b := range h.w.picker.shown {
		if b.ID == target.ID {
			h.w.picker.list.Select(i)
		}
	}
	h.run()
	h.waitFor("the message in "+target.Name+" on the server", func() bool { return in(target, m) && !in(inbox, m) })
	ctrlZ("Moved 1 message to " + target.Name)
	h.waitFor("the message back from "+target.Name+" on the server", func() bool { return in(inbox, m) && !in(target, m) })

	// A copy by the context menu: no undo offered.
	// The row shown again at once keeps the message's old UID until the
	// engine has replayed the move back and synced the inbox; the copy
	// acts on the row that comes with the server's new UID (see the note
	// on acting on a row in between).
	i := -1
	h.waitFor("the message back in the list under its new UID", func() bool {
		i = -1
		for j := 0; j < 20; j++ {
			if x, ok := h.w.list.at(j); ok && x.MessageID == m.MessageID {
				if x.UID == m.UID {
					return false
				}
				i = j
			}
		}
		return i >= 0
	})
	h.click(i, 0)
	h.rightClick(i)
	h.tapMenu("Copy to")
	test.Type(h.w.picker.filter, target.Leaf())
	h.w.picker.filter.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.run()
	h.waitFor("the copy in "+target.Name+" on the server", func() bool { return in(target, m) && in(inbox, m) })
	if h.w.undo.btn.Visible() {
		t.Error("undo offered for a copy")
	}

	// Junk, undone; then Not junk from the Junk folder.
	h.click(0, 0)
	m = h.shows("row 0", 0)
	h.rightClick(0)
	h.tapMenu("Junk")
	h.waitFor("the message in Junk on the server", func() bool { return in(junk, m) && !in(inbox, m) })
	ctrlZ("Marked 1 message as junk")
	h.waitFor("the message back from Junk on the server", func() bool { return in(inbox, m) && !in(junk, m) })

	h.folders().selectMailbox(junk.ID)
	h.waitFor("the Junk folder's rows", func() bool { return h.w.list.mailbox.ID == junk.ID && len(h.messageRows()) > 0 })
	h.click(0, 0)
	j := h.shows("Junk's row 0", 0)
	h.typeKey('!')
	h.waitFor("the message out of Junk on the server", func() bool { return in(inbox, j) && !in(junk, j) })
	if got := h.w.undo.label.Text; got != "Marked 1 message as not junk" {
		t.Errorf("toast %q", got)
	}
}

func (h *harness) folders() *folderTree { return h.w.folders }
