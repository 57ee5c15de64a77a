package gui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
)

// accountsDialog lists the accounts with Edit and Remove, and Add.
type accountsDialog struct {
	w      *MainWindow
	dlg    *dialog.CustomDialog
	list   *fyne.Container
	msg    *widget.Label
	addBtn *widget.Button
}

// removeConfirm asks before an account is removed.
type removeConfirm struct {
	dlg       *dialog.CustomDialog
	removeBtn *widget.Button
	keepBtn   *widget.Button
	progress  *widget.ProgressBarInfinite
	removing  bool
}

// showAccounts opens the list of accounts.
func (w *MainWindow) showAccounts() { w.newAccountsDialog().dlg.Show() }

func (w *MainWindow) newAccountsDialog() *accountsDialog {
	d := &accountsDialog{w: w, list: container.NewVBox()}
	d.msg = &widget.Label{Wrapping: fyne.TextWrapWord}
	d.msg.Hide()
	d.addBtn = widget.NewButtonWithIcon("Add account…", theme.ContentAddIcon(), func() {
		d.dlg.Hide()
		w.showAddAccount()
	})
	closeBtn := widget.NewButton("Close", func() { d.dlg.Hide() })
	content := container.NewBorder(nil, container.NewVBox(d.msg, container.NewHBox(d.addBtn, layout.NewSpacer(), closeBtn)), nil, nil,
		container.NewVScroll(d.list))
	d.dlg = dialog.NewCustomWithoutButtons("Accounts", content, w.win)
	d.dlg.Resize(fyne.NewSize(620, 420))
	d.refresh()
	return d
}

// refresh rebuilds the list from the core's configuration (in memory).
func (d *accountsDialog) refresh() {
	d.list.RemoveAll()
	list := d.w.core.Accounts()
	if len(list) == 0 {
		d.list.Add(widget.NewLabel("No accounts."))
	}
	for _, a := range list {
		a := a
		title := a.Email
		if a.Name != "" {
			title = a.Name + " <" + a.Email + ">"
		}
		info := &widget.Label{Text: title + "\nIMAP " + a.IMAP.Addr() + " · SMTP " + a.SMTP.Addr(), Wrapping: fyne.TextWrapWord}
		edit := widget.NewButtonWithIcon("Edit…", theme.DocumentCreateIcon(), func() { d.dlg.Hide(); d.w.showEditAccount(a) })
		ids := widget.NewButtonWithIcon("Identities…", theme.AccountIcon(), func() { d.w.showIdentities(a) })
		remove := widget.NewButtonWithIcon("Remove…", theme.DeleteIcon(), func() { d.askRemove(a) })
		d.list.Add(container.NewBorder(nil, widget.NewSeparator(), nil, container.NewHBox(edit, ids, remove), info))
	}
	d.list.Refresh()
}

// askRemove confirms, then removes the account, its password and its
// local mail, off the UI goroutine.
func (d *accountsDialog) askRemove(a accounts.Account) {
	c := &removeConfirm{progress: widget.NewProgressBarInfinite()}
	c.progress.Hide()
	text := &widget.Label{Wrapping: fyne.TextWrapWord, Text: "Remove " + a.Email + " from Tern? Tern deletes its settings, its stored password " +
		"and the copy of its mail on this computer. The mail on the server is not touched."}
	c.keepBtn = widget.NewButton("Keep it", func() { c.dlg.Hide() })
	c.removeBtn = widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), func() {
		if c.removing {
			return
		}
		c.removing = true
		c.removeBtn.Disable()
		c.keepBtn.Disable()
		c.progress.Show()
		c.progress.Start()
		d.w.spawn("remove account", func() {
			ctx, cancel := context.WithTimeout(d.w.ctx, 30*time.Second)
			defer cancel()
			err := d.w.core.RemoveAccount(ctx, a.ID)
			d.w.do(func() {
				c.removing = false
				c.progress.Stop()
				c.dlg.Hide()
				if err != nil {
					setMessage(d.msg, "Could not remove "+a.Email+" completely: "+err.Error())
				} else {
					setMessage(d.msg, a.Email+" was removed.")
				}
				d.refresh()
				d.w.reloadAll()
			})
		})
	})
	c.removeBtn.Importance = widget.DangerImportance
	content := container.NewVBox(text, c.progress, container.NewHBox(layout.NewSpacer(), c.keepBtn, c.removeBtn))
	c.dlg = dialog.NewCustomWithoutButtons("Remove account", content, d.w.win)
	c.dlg.Resize(fyne.NewSize(460, 0))
	c.dlg.Show()
}
