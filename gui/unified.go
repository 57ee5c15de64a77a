package gui

import (
	"context"

	"github.com/ternmail/tern/app"
)

// Unified folders (All Inboxes, Starred, All Sent, All Drafts) list the
// messages of every account together. The folder tree shows them above
// the accounts when there is more than one. The message list treats one
// as a folder with a negative ID (unifiedID) and reads it through
// countMessages and pageMessages, which dispatch on the ID; each row names
// its account, and actions on a row go by the message's ID, so they act
// on that message's account.

// unifiedID returns the list's folder ID of the unified folder of role.
func unifiedID(role app.Role) int64 {
	for i, r := range app.UnifiedRoles() {
		if r == role {
			return -int64(i + 1)
		}
	}
	return 0
}

// unifiedRole returns the role of unified folder id (negative), or "".
func unifiedRole(id int64) app.Role {
	roles := app.UnifiedRoles()
	if i := int(-id) - 1; id < 0 && i < len(roles) {
		return roles[i]
	}
	return ""
}

// unifiedName is how the unified folder of role is labelled.
func unifiedName(role app.Role) string {
	switch role {
	case app.RoleInbox:
		return "All Inboxes"
	case app.RoleFlagged:
		return "Starred"
	case app.RoleSent:
		return "All Sent"
	case app.RoleDrafts:
		return "All Drafts"
	}
	return string(role)
}

// unifiedMailboxes returns the unified folders with their counts summed
// from boxes (every account's folders); Starred has no count here.
func unifiedMailboxes(boxes map[string][]app.Mailbox) []app.Mailbox {
	var out []app.Mailbox
	for _, role := range app.UnifiedRoles() {
		b := app.Mailbox{ID: unifiedID(role), Name: unifiedName(role), Role: role, Selectable: true, Subscribed: true}
		for _, list := range boxes {
			for _, m := range list {
				if m.Role == role && role != app.RoleFlagged {
					b.Total += m.Total
					b.Unread += m.Unread
				}
			}
		}
		out = append(out, b)
	}
	return out
}

// countMessages returns how many messages folder mailboxID shows, a
// unified one included.
func (w *MainWindow) countMessages(ctx context.Context, mailboxID int64) (int, error) {
	if role := unifiedRole(mailboxID); role != "" {
		n, _, err := w.core.CountUnified(ctx, role)
		return n, err
	}
	return w.core.CountMessages(ctx, mailboxID)
}

// pageMessages returns a page of folder mailboxID in order s, a unified
// one included (which is always newest first).
func (w *MainWindow) pageMessages(ctx context.Context, mailboxID int64, s app.Sort, offset, limit int) ([]app.Message, error) {
	if role := unifiedRole(mailboxID); role != "" {
		return w.core.UnifiedMessages(ctx, role, offset, limit)
	}
	return w.core.MessagesSorted(ctx, mailboxID, s, offset, limit)
}

// accountLabel is the short name a unified folder's row shows for its
// account: the account's name, else its address.
func (w *MainWindow) accountLabel(id string) string {
	for _, a := range w.accounts {
		if a.ID == id {
			if a.Name != "" {
				return a.Name
			}
			return a.Email
		}
	}
	return id
}
