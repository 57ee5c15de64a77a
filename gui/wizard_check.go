package gui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig"
	"github.com/ternmail/tern/app"
)

// checkPage shows the sign-in to each server, then the save.
type checkPage struct {
	imapLine, smtpLine, saveLine *widget.Label
}

// toCheckPage reads the account from the settings page and moves to the
// check page, each server's line saying state and the save line save; ok
// is false, with the settings page showing why, when the form is invalid.
func (wz *wizard) toCheckPage(unchecked bool, state, save string) (a accounts.Account, password string, ok bool) {
	a, err := wz.formAccount()
	if err != nil {
		setMessage(wz.settingsErr, err.Error())
		wz.sessionBtn.Hide()
		return a, "", false
	}
	wz.unchecked = unchecked
	setMessage(wz.settingsErr, "")
	wz.sessionBtn.Hide()
	wz.imapLine.SetText("Incoming mail (IMAP) " + a.IMAP.Addr() + ": " + state)
	wz.smtpLine.SetText("Outgoing mail (SMTP) " + a.SMTP.Addr() + ": " + state)
	wz.saveLine.SetText(save)
	wz.setStep(stepCheck)
	wz.focusFirst()
	return a, wz.sPassword.Text, true
}

// buildCheck builds the check page.
func (wz *wizard) buildCheck() fyne.CanvasObject {
	wz.imapLine = &widget.Label{Wrapping: fyne.TextWrapWord}
	wz.smtpLine = &widget.Label{Wrapping: fyne.TextWrapWord}
	wz.saveLine = &widget.Label{Wrapping: fyne.TextWrapWord}
	note := &widget.Label{Text: "Tern signs in to both servers to check the settings and the password. It sends no mail.", Wrapping: fyne.TextWrapWord}
	return container.NewVBox(note, widget.NewProgressBarInfinite(), wz.imapLine, wz.smtpLine, wz.saveLine)
}

// startCheck verifies the settings by signing in to both servers, then
// saves the account: added and syncing, or updated.
func (wz *wizard) startCheck() {
	a, password, ok := wz.toCheckPage(false, "signing in…", "")
	if !ok {
		return
	}
	core, opts, edit, sessionOnly := wz.w.core, wz.w.core.AutoconfigOptions(), wz.edit != nil, wz.sessionOnly
	wz.run("check account", checkTimeout, func(ctx context.Context, op int) func() {
		var v *autoconfig.Verification
		var err error
		if edit {
			v, err = core.ReverifyAccount(ctx, a, password, opts)
		} else {
			v, err = core.VerifyAccount(ctx, a, password, opts)
		}
		if err != nil {
			return func() { wz.checkFailed(v, err) }
		}
		wz.w.do(func() {
			if wz.current(op) {
				wz.showChecks(v)
				wz.saveLine.SetText("Saving the account…")
			}
		})
		var saved accounts.Account
		if edit {
			err = core.UpdateAccount(ctx, v.Account, password, &app.UpdateOptions{SessionOnly: sessionOnly})
			saved = v.Account
		} else {
			saved, err = core.AddAccount(ctx, v.Account, password, &app.AddOptions{SkipVerify: true, SessionOnly: sessionOnly})
		}
		if err != nil {
			return func() { wz.checkFailed(v, err) }
		}
		return func() { wz.finished(saved, v) }
	})
}

// showChecks shows the verification per server.
func (wz *wizard) showChecks(v *autoconfig.Verification) {
	if v == nil {
		return
	}
	for _, x := range []struct {
		label *widget.Label
		check autoconfig.Check
		what  string
	}{{wz.imapLine, v.IMAP, "Incoming mail (IMAP)"}, {wz.smtpLine, v.SMTP, "Outgoing mail (SMTP)"}} {
		c := x.check
		s := x.what + " " + c.Endpoint.Addr() + ": "
		switch {
		case c.OK:
			s += "signed in as " + c.Endpoint.Username
		case c.Err != nil:
			s += "failed: " + c.Err.Error()
		default:
			s += "not checked"
		}
		if e := evidenceText(c.Evidence); e != "" {
			s += "\n" + e
		}
		x.label.SetText(s)
	}
}

// checkFailed goes back to the settings with what went wrong and the way
// out the user has. Nothing was stored.
func (wz *wizard) checkFailed(v *autoconfig.Verification, err error) {
	wz.showChecks(v)
	wz.setStep(stepSettings)
	var ce *accounts.CertError
	var ae *accounts.AuthError
	var pe *app.PasswordUnavailableError
	var se *autoconfig.SecurityError
	if errors.As(err, &ce) || errors.As(err, &ae) || errors.As(err, &se) {
		// A server answered: it can be checked now, so the offer to save
		// without checking no longer applies.
		wz.uncheckedBox.Hide()
	}
	switch {
	case errors.As(err, &pe):
		// Nothing was checked: the stored password could not be read.
		text := "Nothing was checked yet: Tern has no stored password for " + wz.sEmail.Text + ". Type the password above and check again."
		if accounts.IsKeychainUnavailable(err) {
			text = "Nothing was checked yet: Tern cannot read the stored password, because there is no keychain (" + pe.Err.Error() + "). " +
				"Type the password above and check again; Tern can then keep it in memory until you quit."
		}
		setMessage(wz.settingsErr, text)
		wz.w.win.Canvas().Focus(wz.sPassword)
		return
	case errors.As(err, &ce):
		setMessage(wz.settingsErr, "")
		wz.showCert(ce)
		wz.focusFirst()
		return
	case errors.As(err, &ae):
		setMessage(wz.settingsErr, fmt.Sprintf("The %s server %s did not accept the password (user names tried: %s). "+
			"Check the password and the user name; some providers want an app password. Nothing was saved.",
			ae.Protocol, ae.Addr, strings.Join(ae.Usernames, ", ")))
		wz.w.win.Canvas().Focus(wz.sPassword)
		return
	case accounts.IsKeychainUnavailable(err):
		setMessage(wz.settingsErr, "The settings work, but there is no keychain to keep your password in ("+err.Error()+"). "+
			"Tern keeps passwords only in the system keychain. Without one, it can keep the password in memory until you quit: you will type it again next time.")
		wz.sessionBtn.Show()
	default:
		setMessage(wz.settingsErr, checkErrorText(err)+" Nothing was saved.")
	}
	wz.focusFirst()
}

// checkErrorText says err in words for the settings page.
func checkErrorText(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "The check took too long: a server did not answer."
	case errors.Is(err, context.Canceled):
		return "The check was stopped."
	}
	s := err.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
