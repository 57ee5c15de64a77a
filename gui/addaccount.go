package gui

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
)

// accountForm is the manual "Add account" dialog: server settings typed by
// hand, verified by logging in before anything is saved. The setup wizard
// with discovery will replace it.
type accountForm struct {
	w        *MainWindow
	dlg      dialog.Dialog
	name     *widget.Entry
	email    *widget.Entry
	password *widget.Entry
	imap     *widget.Entry
	smtp     *widget.Entry
	username *widget.Entry
	errLabel *widget.Label
	progress *widget.ProgressBarInfinite
	checking *widget.Label
	addBtn   *widget.Button
	cancel   context.CancelFunc
	busy     bool
}

// showAddAccount opens the form.
func (w *MainWindow) showAddAccount() { w.newAccountForm().dlg.Show() }

func (w *MainWindow) newAccountForm() *accountForm {
	f := &accountForm{w: w}
	f.name = widget.NewEntry()
	f.name.SetPlaceHolder("Alice Example")
	f.email = widget.NewEntry()
	f.email.SetPlaceHolder("alice@example.com")
	f.password = widget.NewPasswordEntry()
	f.imap = widget.NewEntry()
	f.imap.SetPlaceHolder("imap.example.com:993:tls")
	f.smtp = widget.NewEntry()
	f.smtp.SetPlaceHolder("smtp.example.com:465:tls")
	f.username = widget.NewEntry()
	f.username.SetPlaceHolder("same as the email address")
	f.errLabel = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	f.errLabel.Hide()
	f.progress = widget.NewProgressBarInfinite()
	f.progress.Hide()
	f.checking = widget.NewLabel("Checking…")
	f.checking.Hide()

	form := widget.NewForm(
		widget.NewFormItem("Name", f.name),
		widget.NewFormItem("Email", f.email),
		widget.NewFormItem("Password", f.password),
		widget.NewFormItem("IMAP server", f.imap),
		widget.NewFormItem("SMTP server", f.smtp),
		widget.NewFormItem("Username", f.username),
	)
	hint := &widget.Label{Text: "Servers are host:port:security, where security is tls, starttls or none.", Wrapping: fyne.TextWrapWord, Importance: widget.LowImportance}
	f.addBtn = widget.NewButton("Add account", f.submit)
	f.addBtn.Importance = widget.HighImportance
	cancelBtn := widget.NewButton("Cancel", f.close)
	buttons := container.NewHBox(layout.NewSpacer(), cancelBtn, f.addBtn)
	content := container.NewVBox(form, hint, container.NewBorder(nil, nil, f.checking, nil, f.progress), f.errLabel, buttons)
	f.dlg = dialog.NewCustomWithoutButtons("Add account", content, w.win)
	f.dlg.Resize(fyne.NewSize(520, 0))
	return f
}

// account builds the account from the fields, or says what is wrong.
func (f *accountForm) account() (accounts.Account, error) {
	email := strings.TrimSpace(f.email.Text)
	if email == "" {
		return accounts.Account{}, errors.New("Please enter your email address.")
	}
	imap, err := accounts.ParseEndpoint(f.imap.Text)
	if err != nil {
		return accounts.Account{}, errors.New("IMAP server: " + err.Error())
	}
	smtp, err := accounts.ParseEndpoint(f.smtp.Text)
	if err != nil {
		return accounts.Account{}, errors.New("SMTP server: " + err.Error())
	}
	user := strings.TrimSpace(f.username.Text)
	if user == "" {
		user = email
	}
	imap.Username, smtp.Username = user, user
	a := accounts.Account{Name: strings.TrimSpace(f.name.Text), Email: email, IMAP: imap, SMTP: smtp}
	// Let the account configuration derive the ID and check the fields
	// the way it will when the account is saved.
	cfg := &accounts.Config{Accounts: append([]accounts.Account(nil), f.w.accounts...)}
	return cfg.Add(a)
}

func (f *accountForm) submit() {
	if f.busy {
		return
	}
	a, err := f.account()
	if err != nil {
		f.showError(err.Error())
		return
	}
	password := f.password.Text
	f.setBusy(true)
	f.showError("")
	ctx, cancel := context.WithTimeout(f.w.ctx, 90*time.Second)
	f.cancel = cancel
	f.w.spawn("add account", func() {
		_, err := f.w.core.AddAccount(ctx, a, password, nil)
		f.w.do(func() {
			if ctx.Err() == context.Canceled {
				return // the form was closed
			}
			cancel()
			f.setBusy(false)
			if err != nil {
				f.showError(err.Error())
				return
			}
			f.dlg.Hide()
			f.w.reloadAll()
		})
	})
}

func (f *accountForm) close() {
	if f.cancel != nil {
		f.cancel()
	}
	f.dlg.Hide()
}

func (f *accountForm) setBusy(busy bool) {
	f.busy = busy
	for _, e := range []*widget.Entry{f.name, f.email, f.password, f.imap, f.smtp, f.username} {
		if busy {
			e.Disable()
		} else {
			e.Enable()
		}
	}
	if busy {
		f.addBtn.Disable()
		f.checking.Show()
		f.progress.Show()
		f.progress.Start()
	} else {
		f.addBtn.Enable()
		f.checking.Hide()
		f.progress.Stop()
		f.progress.Hide()
	}
}

func (f *accountForm) showError(msg string) {
	f.errLabel.SetText(msg)
	if msg == "" {
		f.errLabel.Hide()
	} else {
		f.errLabel.Show()
	}
}
