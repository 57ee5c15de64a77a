package gui

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/gui/widgets"
)

// folderTree is the left pane: one branch per account with its folders.
type folderTree struct {
	w    *MainWindow
	tree *widget.Tree
	root fyne.CanvasObject

	accounts []accounts.Account
	boxes    map[string][]app.Mailbox
	status   map[string]app.Status
	children map[string][]string
	accts    map[string]accounts.Account // by node UID
	folders  map[string]app.Mailbox      // by node UID
	opened   map[string]bool             // branches opened once already
	quiet    bool
}

func accountUID(id string) string { return "a/" + id }
func mailboxUID(id int64) string  { return "m/" + strconv.FormatInt(id, 10) }

func newFolderTree(w *MainWindow) *folderTree {
	f := &folderTree{
		w:      w,
		boxes:  map[string][]app.Mailbox{},
		status: map[string]app.Status{},
		opened: map[string]bool{},
	}
	f.tree = &widget.Tree{
		ChildUIDs: func(uid widget.TreeNodeID) []widget.TreeNodeID { return f.children[uid] },
		IsBranch: func(uid widget.TreeNodeID) bool {
			return uid == "" || strings.HasPrefix(uid, "a/") || len(f.children[uid]) > 0
		},
		CreateNode: func(bool) fyne.CanvasObject { return widgets.NewFolderRow() },
		UpdateNode: f.updateNode,
		OnSelected: f.selected,
	}
	f.tree.ExtendBaseWidget(f.tree)
	f.root = container.NewStack(f.tree)
	f.rebuild()
	return f
}

func (f *folderTree) setAccounts(a []accounts.Account) {
	f.accounts = a
	keep := map[string]bool{}
	for _, acct := range a {
		keep[acct.ID] = true
	}
	for id := range f.boxes {
		if !keep[id] {
			delete(f.boxes, id)
			delete(f.status, id)
		}
	}
}

func (f *folderTree) setMailboxes(account string, boxes []app.Mailbox) {
	for _, a := range f.accounts {
		if a.ID == account {
			f.boxes[account] = boxes
			return
		}
	}
}

func (f *folderTree) setStatus(account string, st app.Status) { f.status[account] = st }

// mailbox returns the current snapshot of folder id.
func (f *folderTree) mailbox(id int64) (app.Mailbox, bool) {
	b, ok := f.folders[mailboxUID(id)]
	return b, ok
}

// rebuild recomputes the tree from accounts and boxes and redraws it.
func (f *folderTree) rebuild() {
	f.children = map[string][]string{}
	f.accts = map[string]accounts.Account{}
	f.folders = map[string]app.Mailbox{}
	if len(f.accounts) > 1 {
		for _, b := range unifiedMailboxes(f.boxes) {
			uid := mailboxUID(b.ID)
			f.children[""] = append(f.children[""], uid)
			f.folders[uid] = b
		}
	}
	for _, a := range f.accounts {
		auid := accountUID(a.ID)
		f.children[""] = append(f.children[""], auid)
		f.accts[auid] = a
		byName := map[string]string{}
		for _, b := range f.boxes[a.ID] {
			byName[b.Name] = mailboxUID(b.ID)
		}
		for _, b := range f.boxes[a.ID] {
			uid := mailboxUID(b.ID)
			f.folders[uid] = b
			parent := auid
			if p, ok := byName[b.Parent()]; ok && b.Parent() != "" {
				parent = p
			}
			f.children[parent] = append(f.children[parent], uid)
		}
	}
	for uid := range f.accts {
		f.openOnce(uid)
	}
	for uid := range f.folders {
		if len(f.children[uid]) > 0 {
			f.openOnce(uid)
		}
	}
	f.tree.Refresh()
}

func (f *folderTree) openOnce(uid string) {
	if !f.opened[uid] {
		f.opened[uid] = true
		f.tree.OpenBranch(uid)
	}
}

func (f *folderTree) updateNode(uid widget.TreeNodeID, _ bool, obj fyne.CanvasObject) {
	row := obj.(*widgets.FolderRow)
	if a, ok := f.accts[uid]; ok {
		name := a.Name
		if name == "" {
			name = a.Email
		}
		icon, badge := accountBadge(f.status[a.ID])
		row.Set(icon, name, badge, true, widget.LowImportance)
		return
	}
	b, ok := f.folders[uid]
	if !ok {
		row.Set(theme.FolderIcon(), "", "", false, widget.MediumImportance)
		return
	}
	badge := ""
	if b.Unread > 0 && b.Role != app.RoleSent && b.Role != app.RoleDrafts && b.Role != app.RoleTrash && b.Role != app.RoleJunk {
		badge = thousands(b.Unread)
	} else if b.Role == app.RoleDrafts && b.Total > 0 {
		badge = thousands(b.Total)
	}
	row.Set(f.w.icons.folder(b), folderName(b), badge, b.Unread > 0 && badge != "", widget.HighImportance)
}

// accountBadge shows an account's sync state as an icon and a word.
func accountBadge(st app.Status) (fyne.Resource, string) {
	switch st.State {
	case app.StateConnecting, app.StateSyncing:
		return theme.ViewRefreshIcon(), "syncing"
	case app.StateOffline:
		return theme.WarningIcon(), "offline"
	case app.StateError:
		return theme.ErrorIcon(), "error"
	}
	return theme.AccountIcon(), ""
}

// folderName is how a folder is labelled.
func folderName(b app.Mailbox) string {
	if b.ID < 0 { // unified
		return b.Name
	}
	if b.Role == app.RoleInbox {
		return "Inbox"
	}
	return b.Leaf()
}

func (f *folderTree) selected(uid widget.TreeNodeID) {
	if f.quiet {
		return
	}
	if a, ok := f.accts[uid]; ok {
		// An account stands for its inbox.
		for _, b := range f.boxes[a.ID] {
			if b.Role == app.RoleInbox {
				f.selectMailbox(b.ID)
				return
			}
		}
		return
	}
	if b, ok := f.folders[uid]; ok {
		f.w.openMailbox(b)
	}
}

// selectMailbox selects folder id, which opens it.
func (f *folderTree) selectMailbox(id int64) {
	uid := mailboxUID(id)
	f.tree.Select(uid)
	f.tree.ScrollTo(uid)
}

func (f *folderTree) unselect() {
	f.quiet = true
	f.tree.UnselectAll()
	f.quiet = false
}
