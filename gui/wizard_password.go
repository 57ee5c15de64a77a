package gui

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
)

// passwordLookupTimeout bounds the startup look for missing passwords (each
// keychain call has its own, shorter timeout).
const passwordLookupTimeout = 30 * time.Second

// askMissingPasswords looks, off the UI goroutine, for accounts whose
// password cannot be read (none stored, or no keychain) and asks for each
// one's password in a dialog, one account after the other.
func (w *MainWindow) askMissingPasswords() {
	w.spawn("missing passwords", func() {
		ctx, cancel := context.WithTimeout(w.ctx, passwordLookupTimeout)
		defer cancel()
		missing := w.core.MissingPasswords(ctx)
		if len(missing) == 0 {
			return
		}
		w.do(func() { newPasswordPrompt(w, missing).show() })
	})
}

// passwordPrompt asks for the passwords of accounts that have none, in
// turn: it signs in with the password typed, then keeps it (the keychain,
// or this session's memory when there is no keychain and the user says
// so) and restarts the account's sync.
type passwordPrompt struct {
	w       *MainWindow
	parent  fyne.Window // the window the dialog shows in
	queue   []app.MissingPassword
	dlg     dialog.Dialog
	intro   *widget.Label
	entry   *pwEntry
	msg     *widget.Label
	signIn  *widget.Button
	session *widget.Button
	later   *widget.Button
	busy    bool
	// sessionOnly is set once the user chose to keep the password in
	// memory for the current account.
	sessionOnly bool
}

// pwEntry is the password field: Enter signs in, Esc skips the account.
type pwEntry struct {
	widget.Entry
	p *passwordPrompt
}

func (e *pwEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		e.p.skip()
		return
	}
	e.Entry.TypedKey(k)
}

func newPasswordPrompt(w *MainWindow, missing []app.MissingPassword) *passwordPrompt {
	return newPasswordPromptIn(w, w.win, missing)
}

// newPasswordPromptIn is newPasswordPrompt in the window parent.
func newPasswordPromptIn(w *MainWindow, parent fyne.Window, missing []app.MissingPassword) *passwordPrompt {
	p := &passwordPrompt{w: w, parent: parent, queue: missing}
	p.intro = &widget.Label{Wrapping: fyne.TextWrapWord}
	p.entry = &pwEntry{p: p}
	p.entry.Password = true
	p.entry.ExtendBaseWidget(p.entry)
	p.entry.OnSubmitted = func(string) { p.submit(false) }
	p.msg = &widget.Label{Wrapping: fyne.TextWrapWord}
	p.msg.Hide()
	p.signIn = widget.NewButton("Sign in", func() { p.submit(false) })
	p.signIn.Importance = widget.HighImportance
	p.session = widget.NewButton("Keep it for this session only", func() { p.submit(true) })
	p.session.Hide()
	p.later = widget.NewButton("Later", p.skip)
	content := container.NewVBox(p.intro, p.entry, p.msg, container.NewHBox(p.later, p.session, p.signIn))
	wrapped := container.New(&fixedWidth{width: 460}, content)
	p.dlg = dialog.NewCustomWithoutButtons("Password needed", wrapped, parent)
	return p
}

// current is the account asked for now.
func (p *passwordPrompt) current() app.MissingPassword { return p.queue[0] }

// show asks for the first account in the queue. UI goroutine.
func (p *passwordPrompt) show() {
	m := p.current()
	p.sessionOnly = false
	p.entry.SetText("")
	p.session.Hide()
	setMessage(p.msg, "")
	text := "Tern has no password for " + m.Account.Email + ", so it cannot fetch its mail. Type the password to sign in."
	if accounts.IsKeychainUnavailable(m.Err) {
		var ke *accounts.KeychainError
		errors.As(m.Err, &ke)
		text = "Tern cannot read the password of " + m.Account.Email + ": " + ke.Error() + ". " +
			"Type the password to sign in; without a keychain Tern keeps it in memory until you quit."
		p.session.Show()
	}
	p.intro.SetText(text)
	p.dlg.Show()
	p.parent.Canvas().Focus(p.entry)
}

// submit signs in with the typed password and keeps it, in a goroutine.
func (p *passwordPrompt) submit(sessionOnly bool) {
	if p.busy || p.entry.Text == "" {
		return
	}
	if sessionOnly {
		p.sessionOnly = true
	}
	p.busy = true
	p.signIn.Disable()
	p.session.Disable()
	setMessage(p.msg, "Signing in…")
	acct, password, session := p.current().Account, p.entry.Text, p.sessionOnly
	core := p.w.core
	p.w.spawn("sign in", func() {
		ctx, cancel := context.WithTimeout(p.w.ctx, checkTimeout)
		defer cancel()
		v, err := core.ReverifyAccount(ctx, acct, password, core.AutoconfigOptions())
		if err == nil {
			err = core.UpdateAccount(ctx, v.Account, password, &app.UpdateOptions{SessionOnly: session})
		}
		p.w.do(func() { p.answered(err) })
	})
}

// answered shows the outcome of submit. UI goroutine.
func (p *passwordPrompt) answered(err error) {
	p.busy = false
	p.signIn.Enable()
	p.session.Enable()
	if err == nil {
		p.next()
		return
	}
	var ae *accounts.AuthError
	switch {
	case errors.As(err, &ae):
		setMessage(p.msg, "The "+ae.Protocol+" server "+ae.Addr+" did not accept the password. Check it and try again; some providers want an app password.")
		p.entry.SetText("")
	case accounts.IsKeychainUnavailable(err):
		setMessage(p.msg, "The password works, but there is no keychain to keep it in ("+err.Error()+"). "+
			"Tern can keep it in memory until you quit: you will type it again next time.")
		p.session.Show()
	default:
		setMessage(p.msg, checkErrorText(err))
	}
	p.parent.Canvas().Focus(p.entry)
}

// skip leaves the current account without a password for now.
func (p *passwordPrompt) skip() {
	if p.busy {
		return
	}
	p.next()
}

// next moves to the next account, or closes the dialog after the last.
func (p *passwordPrompt) next() {
	p.queue = p.queue[1:]
	if len(p.queue) > 0 {
		p.show()
		return
	}
	p.dlg.Hide()
	p.w.reloadAll()
}
