package gui

import (
	"context"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/message"
)

// identitiesDialog lists one account's identities, each with Edit, Remove
// and Make default, and Add. Every change is saved at once through the
// core, off the UI goroutine.
type identitiesDialog struct {
	w       *MainWindow
	account accounts.Account
	dlg     *dialog.CustomDialog
	list    *fyne.Container
	msg     *widget.Label
	addBtn  *widget.Button
	ids     []app.Identity // as saved, the default first
	rows    []*identityRow
	saving  bool
}

// identityRow is one identity in the list.
type identityRow struct {
	id                   app.Identity
	label                *widget.Label
	edit, remove, makeDf *widget.Button
}

// showIdentities opens the identities of account a.
func (w *MainWindow) showIdentities(a accounts.Account) { w.newIdentitiesDialog(a).dlg.Show() }

func (w *MainWindow) newIdentitiesDialog(a accounts.Account) *identitiesDialog {
	d := &identitiesDialog{w: w, account: a, list: container.NewVBox()}
	d.msg = &widget.Label{Wrapping: fyne.TextWrapWord}
	d.msg.Hide()
	d.addBtn = widget.NewButtonWithIcon("Add identity…", theme.ContentAddIcon(), func() { d.openForm(-1) })
	closeBtn := widget.NewButton("Close", func() { d.dlg.Hide() })
	intro := &widget.Label{Wrapping: fyne.TextWrapWord, Text: "The names and addresses you send from with " + a.Email +
		", each with its own signature. New messages are sent from the default one."}
	content := container.NewBorder(intro, container.NewVBox(d.msg, container.NewHBox(d.addBtn, layout.NewSpacer(), closeBtn)), nil, nil,
		container.NewVScroll(d.list))
	d.dlg = dialog.NewCustomWithoutButtons("Identities of "+a.Email, content, w.win)
	d.dlg.Resize(fyne.NewSize(620, 440))
	d.reload()
	return d
}

// reload reads the identities from the core's configuration (in memory)
// and rebuilds the list.
func (d *identitiesDialog) reload() {
	ids, err := d.w.core.Identities(d.account.ID)
	if err != nil {
		setMessage(d.msg, "Cannot read the identities: "+err.Error())
	}
	d.ids = ids
	d.list.RemoveAll()
	d.rows = nil
	if len(ids) == 0 {
		d.list.Add(&widget.Label{Wrapping: fyne.TextWrapWord,
			Text: "No identities: messages are sent as " + formatAddress(message.Address{Name: d.account.Name, Email: d.account.Email}) + ", without a signature."})
	}
	for i, id := range ids {
		i := i
		r := &identityRow{id: id}
		text := identityTitle(id.Identity)
		if id.Default {
			text += "  (default)"
		}
		if id.ReplyTo != "" {
			text += "\nReplies go to " + id.ReplyTo
		}
		if id.Signature != "" {
			text += "\nSignature: " + oneLine(id.Signature)
		}
		r.label = &widget.Label{Text: text, Wrapping: fyne.TextWrapWord}
		r.edit = widget.NewButtonWithIcon("Edit…", theme.DocumentCreateIcon(), func() { d.openForm(i) })
		r.remove = widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), func() { d.removeAt(i) })
		r.makeDf = widget.NewButton("Make default", func() { d.makeDefault(i) })
		buttons := container.NewHBox(r.edit, r.remove)
		if !id.Default {
			buttons.Objects = append([]fyne.CanvasObject{r.makeDf}, buttons.Objects...)
		}
		d.rows = append(d.rows, r)
		d.list.Add(container.NewBorder(nil, widget.NewSeparator(), nil, buttons, r.label))
	}
	d.list.Refresh()
}

// identityTitle is "Name <address>", or the address alone.
func identityTitle(id accounts.Identity) string {
	return formatAddress(message.Address{Name: id.Name, Email: id.Email})
}

// save stores list through the core, off the UI goroutine, then calls done
// on the UI goroutine with the result; on success the list is rebuilt.
func (d *identitiesDialog) save(list []app.Identity, done func(error)) {
	if d.saving {
		return
	}
	d.saving = true
	d.w.spawn("save identities", func() {
		ctx, cancel := context.WithTimeout(d.w.ctx, 10*time.Second)
		defer cancel()
		err := d.w.core.SetIdentities(ctx, d.account.ID, list)
		d.w.do(func() {
			d.saving = false
			if err == nil {
				d.reload()
			}
			done(err)
		})
	})
}

// copyIDs returns an independent copy of the saved identities.
func (d *identitiesDialog) copyIDs() []app.Identity {
	out := slices.Clone(d.ids)
	for i := range out {
		out[i].Aliases = slices.Clone(out[i].Aliases)
	}
	return out
}

// makeDefault makes identity i the default.
func (d *identitiesDialog) makeDefault(i int) {
	list := d.copyIDs()
	for j := range list {
		list[j].Default = j == i
	}
	name := identityTitle(list[i].Identity)
	d.save(list, func(err error) {
		if err != nil {
			setMessage(d.msg, err.Error())
			return
		}
		setMessage(d.msg, "New messages are now sent from "+name+".")
	})
}

// removeAt removes identity i; when it was the default, the next one
// becomes the default.
func (d *identitiesDialog) removeAt(i int) {
	list := d.copyIDs()
	gone := list[i]
	list = slices.Delete(list, i, i+1)
	text := identityTitle(gone.Identity) + " was removed."
	if gone.Default && len(list) > 0 {
		list[0].Default = true
		text += " " + identityTitle(list[0].Identity) + " is now the default."
	}
	d.save(list, func(err error) {
		if err != nil {
			setMessage(d.msg, err.Error())
			return
		}
		setMessage(d.msg, text)
	})
}
