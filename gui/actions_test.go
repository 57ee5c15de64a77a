package gui

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/ternmail/tern/store"
)

func TestArchiveAndDelete(t *testing.T) {
	h := newHarness(t, nil)
	h.startDemo()
	ctx := h.ctx()
	var inbox store.Mailbox
	h.waitFor("the inbox with rows", func() bool {
		for _, b := range h.w.folders.boxes[h.w.accounts[0].ID] {
			if b.Role == store.RoleInbox {
				inbox = b
			}
		}
		return inbox.ID != 0 && h.w.list.mailbox.ID == inbox.ID && len(h.messageRows()) > 0
	})
	archive, err := h.core.MailboxByRole(ctx, h.w.accounts[0].ID, store.RoleArchive)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := h.core.CountMessages(ctx, archive.ID)
	total, _ := h.core.CountMessages(ctx, inbox.ID)

	h.w.list.list.Select(0)
	h.waitFor("a selection", func() bool { return h.w.selectedID() != 0 })
	first := h.w.selectedID()
	test.Tap(h.w.archiveBtn)
	h.waitFor("the message to leave the inbox list", func() bool {
		_, shown := h.w.list.message(first)
		return !shown && h.w.list.count == total-1
	})
	h.waitFor("the message in Archive on the server and in the store", func() bool {
		n, _ := h.core.CountMessages(ctx, archive.ID)
		return n == before+1
	})

	h.w.list.list.Select(0)
	h.waitFor("a new selection", func() bool { id := h.w.selectedID(); return id != 0 && id != first })
	second := h.w.selectedID()
	m, err := h.core.Message(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	h.w.typedRune('#')
	h.waitFor("the deleted message to leave the list", func() bool {
		_, shown := h.w.list.message(second)
		return !shown && h.w.list.count == total-2
	})
	trash, _ := h.core.MailboxByRole(ctx, h.w.accounts[0].ID, store.RoleTrash)
	h.waitFor("the message in Trash", func() bool {
		msgs, _ := h.core.Messages(ctx, trash.ID, 0, 1000)
		for _, x := range msgs {
			if x.MessageID == m.MessageID {
				return true
			}
		}
		return false
	})
}
