package gui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
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

	// What the user decided after an error: trust a certificate that did
	// not verify (host:port → fingerprint), keep the password in memory
	// when there is no keychain.
	pins        map[string]string
	sessionOnly bool
	trustBtn    *widget.Button
	sessionBtn  *widget.Button
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
	f.trustBtn = widget.NewButton("Trust this certificate", nil)
	f.trustBtn.Hide()
	f.sessionBtn = widget.NewButton("Keep the password for this session only", func() {
		f.sessionOnly = true
		f.submit()
	})
	f.sessionBtn.Hide()
	buttons := container.NewHBox(layout.NewSpacer(), cancelBtn, f.addBtn)
	content := container.NewVBox(form, hint, container.NewBorder(nil, nil, f.checking, nil, f.progress), f.errLabel,
		container.NewHBox(f.trustBtn, f.sessionBtn), buttons)
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
	for addr, fp := range f.pins {
		if a.PinnedCerts == nil {
			a.PinnedCerts = map[string]string{}
		}
		a.PinnedCerts[addr] = fp
	}
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
		_, err := f.w.core.AddAccount(ctx, a, password, &app.AddOptions{SessionOnly: f.sessionOnly})
		f.w.do(func() {
			if ctx.Err() == context.Canceled {
				return // the form was closed
			}
			cancel()
			f.setBusy(false)
			if err != nil {
				f.showFailure(err)
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

// showFailure explains err and offers the way out the user has: trusting a
// certificate that did not verify, or going on without a keychain.
func (f *accountForm) showFailure(err error) {
	var ce *accounts.CertError
	switch {
	case errors.As(err, &ce):
		addr := net.JoinHostPort(ce.Host, strconv.Itoa(ce.Port))
		f.showError(fmt.Sprintf("The certificate of %s is not trusted (%s).\nSubject: %s\nIssuer: %s\nValid %s to %s\nFingerprint: %s\nTrust it only if you know this server uses it.",
			addr, ce.Reason, ce.Subject, ce.Issuer, ce.NotBefore.Format("2006-01-02"), ce.NotAfter.Format("2006-01-02"), ce.SHA256))
		f.trustBtn.OnTapped = func() {
			if f.pins == nil {
				f.pins = map[string]string{}
			}
			f.pins[addr] = ce.SHA256
			f.submit()
		}
		f.trustBtn.Show()
	case accounts.IsKeychainUnavailable(err):
		f.showError(err.Error() + "\nTern keeps passwords only in the system keychain. Without one, it can keep the password in memory until you quit.")
		f.sessionBtn.Show()
	default:
		f.showError(err.Error())
	}
}

func (f *accountForm) showError(msg string) {
	f.trustBtn.Hide()
	f.sessionBtn.Hide()
	f.errLabel.SetText(msg)
	if msg == "" {
		f.errLabel.Hide()
	} else {
		f.errLabel.Show()
	}
}
