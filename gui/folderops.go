package gui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
)

// newFolder asks for a name and creates the folder in the open folder's
// account (the first account when none is open), inside the open folder
// when it has a hierarchy.
func (w *MainWindow) newFolder() {
	account, parent := w.list.mailbox.Account, ""
	if account == "" {
		if len(w.accounts) == 0 {
			return
		}
		account = w.accounts[0].ID
	} else if d := w.list.mailbox.Delim; d != "" && w.list.mailbox.Role == "" {
		parent = w.list.mailbox.Name + d
	}
	name := widget.NewEntry()
	name.SetText(parent)
	dialog.ShowForm("New folder", "Create", "Cancel", []*widget.FormItem{widget.NewFormItem("Name", name)}, func(ok bool) {
		if ok && strings.TrimSpace(name.Text) != "" {
			w.folderOp("create the folder", func(ctx context.Context) error {
				return w.core.CreateFolder(ctx, account, strings.TrimSpace(name.Text))
			})
		}
	}, w.win)
}

// renameFolder asks for the open folder's new name.
func (w *MainWindow) renameFolder() {
	b := w.list.mailbox
	if b.ID == 0 || b.Role == app.RoleInbox {
		return
	}
	name := widget.NewEntry()
	name.SetText(b.Name)
	dialog.ShowForm("Rename folder", "Rename", "Cancel", []*widget.FormItem{widget.NewFormItem("Name", name)}, func(ok bool) {
		if ok && strings.TrimSpace(name.Text) != "" && name.Text != b.Name {
			w.folderOp("rename the folder", func(ctx context.Context) error {
				return w.core.RenameFolder(ctx, b.Account, b.Name, strings.TrimSpace(name.Text))
			})
		}
	}, w.win)
}

// deleteFolder deletes the open folder after asking.
func (w *MainWindow) deleteFolder() {
	b := w.list.mailbox
	if b.ID == 0 || b.Role == app.RoleInbox {
		return
	}
	msg := "Delete the folder “" + b.Name + "” and the messages in it, on the server too? This cannot be undone."
	dialog.ShowConfirm("Delete folder", msg, func(ok bool) {
		if ok {
			w.folderOp("delete the folder", func(ctx context.Context) error {
				return w.core.DeleteFolder(ctx, b.Account, b.Name)
			})
		}
	}, w.win)
}

// folderOp runs a folder change off the UI goroutine and reports a failure
// in the status bar; the tree reloads from the store's event.
func (w *MainWindow) folderOp(what string, op func(context.Context) error) {
	w.spawn(what, func() {
		ctx, cancel := context.WithTimeout(w.ctx, 60*time.Second)
		defer cancel()
		err := op(ctx)
		w.do(func() {
			if err != nil {
				w.status.notice("Could not " + what + ": " + err.Error())
			}
		})
	})
}
