package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
)

// identityForm adds or edits one identity: name, address, reply-to,
// signature and whether it is the default.
type identityForm struct {
	d         *identitiesDialog
	index     int // in d.ids; -1 for a new identity
	dlg       *dialog.CustomDialog
	name      *widget.Entry
	email     *widget.Entry
	replyTo   *widget.Entry
	signature *widget.Entry
	isDefault *widget.Check
	errLabel  *widget.Label
	saveBtn   *widget.Button
	cancelBtn *widget.Button
}

// openForm opens the form for identity i, or for a new one when i < 0.
func (d *identitiesDialog) openForm(i int) *identityForm {
	f := &identityForm{d: d, index: i}
	var cur app.Identity
	if i >= 0 {
		cur = d.ids[i]
	} else {
		cur.Default = len(d.ids) == 0
		if len(d.ids) == 0 {
			cur.Name = d.account.Name
		}
	}
	f.name = widget.NewEntry()
	f.name.SetPlaceHolder("Your name, as recipients see it")
	f.name.SetText(cur.Name)
	f.email = widget.NewEntry()
	f.email.SetPlaceHolder("name@example.com")
	f.email.SetText(cur.Email)
	f.replyTo = widget.NewEntry()
	f.replyTo.SetPlaceHolder("optional: where replies go")
	f.replyTo.SetText(cur.ReplyTo)
	f.signature = widget.NewMultiLineEntry()
	f.signature.SetPlaceHolder("optional: plain text added below your messages")
	f.signature.SetMinRowsVisible(4)
	f.signature.SetText(cur.Signature)
	f.isDefault = widget.NewCheck("Send new messages from this identity", nil)
	f.isDefault.SetChecked(cur.Default)
	f.errLabel = &widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord}
	f.errLabel.Hide()
	f.saveBtn = widget.NewButton("Save", f.submit)
	f.saveBtn.Importance = widget.HighImportance
	f.cancelBtn = widget.NewButton("Cancel", func() { f.dlg.Hide() })
	form := widget.NewForm(
		widget.NewFormItem("Name", f.name),
		widget.NewFormItem("Address", f.email),
		widget.NewFormItem("Reply-to", f.replyTo),
		widget.NewFormItem("Signature", f.signature),
		widget.NewFormItem("", f.isDefault),
	)
	title := "Add identity"
	if i >= 0 {
		title = "Edit identity"
	}
	content := container.NewVBox(form, f.errLabel, container.NewHBox(layout.NewSpacer(), f.cancelBtn, f.saveBtn))
	f.dlg = dialog.NewCustomWithoutButtons(title, content, d.w.win)
	f.dlg.Resize(fyne.NewSize(560, 0))
	f.dlg.Show()
	d.w.win.Canvas().Focus(f.name)
	return f
}

// submit saves the list with this identity added or changed; an error is
// shown in the form, which stays open.
func (f *identityForm) submit() {
	d := f.d
	id := app.Identity{Default: f.isDefault.Checked}
	if f.index >= 0 {
		id.Identity = d.ids[f.index].Identity
	}
	id.Name, id.Email, id.ReplyTo, id.Signature = f.name.Text, f.email.Text, f.replyTo.Text, f.signature.Text
	list := d.copyIDs()
	if f.index >= 0 {
		list[f.index] = id
	} else {
		list = append(list, id)
	}
	if id.Default {
		for j := range list {
			list[j].Default = j == f.index || f.index < 0 && j == len(list)-1
		}
	}
	setMessage(f.errLabel, "")
	f.saveBtn.Disable()
	d.save(list, func(err error) {
		f.saveBtn.Enable()
		if err != nil {
			setMessage(f.errLabel, err.Error())
			return
		}
		f.dlg.Hide()
		setMessage(d.msg, identityTitle(id.Identity)+" was saved.")
	})
}
