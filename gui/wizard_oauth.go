package gui

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig"
	"github.com/ternmail/tern/app"
)

// stepOAuth is the wizard's page for a provider that signs in in the
// browser (OAuth 2.0): Tern opens the browser at a click and waits.
const stepOAuth = "oauth"

// oauthPage is the sign-in in the browser.
type oauthPage struct {
	oauthOffer   *app.OAuthOffer
	oauthIntro   *widget.Label
	oauthWaiting *fyne.Container // the waiting line and its progress bar
	oauthErr     *widget.Label
	oauthBtn     *widget.Button
}

// buildOAuth builds the sign-in page.
func (wz *wizard) buildOAuth() fyne.CanvasObject {
	wz.oauthIntro = &widget.Label{Wrapping: fyne.TextWrapWord}
	wz.oauthErr = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	wz.oauthErr.Hide()
	wz.oauthWaiting = container.NewVBox(widget.NewLabel("Waiting for you to sign in in your browser…"), widget.NewProgressBarInfinite())
	wz.oauthWaiting.Hide()
	wz.oauthBtn = widget.NewButton("Sign in in the browser", wz.startOAuth)
	wz.oauthBtn.Importance = widget.HighImportance
	return container.NewVBox(wz.oauthIntro, container.NewHBox(wz.oauthBtn), wz.oauthWaiting, wz.oauthErr)
}

// offerOAuth shows the sign-in page for the account discovery found.
func (wz *wizard) offerOAuth(offer *app.OAuthOffer) {
	wz.oauthOffer = offer
	email := strings.TrimSpace(wz.email.Text)
	wz.oauthIntro.SetText(offer.Provider + " signs you in in your browser: Tern opens it at " + offer.Provider +
		"'s page, where you sign in as " + email + " and allow Tern to read and send your mail. " +
		"Tern never sees your password; it keeps the permission in the system keychain.")
	wz.oauthBtn.SetText("Sign in with " + offer.Provider + " in the browser")
	wz.oauthBtn.Enable()
	wz.oauthWaiting.Hide()
	setMessage(wz.oauthErr, "")
	wz.setStep(stepOAuth)
	wz.focusFirst()
}

// opener returns what opens the browser: the window's App.OpenURL.
func (w *MainWindow) opener() app.Opener {
	open := w.opts.openURL
	if open == nil {
		open = w.app.OpenURL
	}
	return func(raw string) error {
		u, err := url.Parse(raw)
		if err != nil {
			return err
		}
		return open(u)
	}
}

// oauthAccount is the account to add: the servers discovery found, with
// OAuth sign-in as the address.
func (wz *wizard) oauthAccount() accounts.Account {
	email := strings.TrimSpace(wz.email.Text)
	imap, smtp := wz.result.IMAP, wz.result.SMTP
	for _, e := range []*accounts.Endpoint{&imap, &smtp} {
		e.Auth, e.Username = accounts.AuthOAuth2, email
	}
	s := wz.oauthOffer.Settings
	a := accounts.Account{Name: strings.TrimSpace(wz.name.Text), Email: email, IMAP: imap, SMTP: smtp, OAuth: &s}
	for hp, fp := range wz.pins {
		if a.PinnedCerts == nil {
			a.PinnedCerts = map[string]string{}
		}
		a.PinnedCerts[hp] = fp
	}
	return a
}

// startOAuth opens the browser once and waits for the sign-in, then
// checks both servers with its token and adds the account.
func (wz *wizard) startOAuth() {
	if wz.step != stepOAuth || wz.oauthBtn.Disabled() {
		return
	}
	a := wz.oauthAccount()
	wz.oauthBtn.Disable()
	wz.oauthWaiting.Show()
	setMessage(wz.oauthErr, "")
	core, opts, open := wz.w.core, wz.w.core.AutoconfigOptions(), wz.w.opener()
	wz.run("oauth sign-in", checkTimeout+oauthWait, func(ctx context.Context, op int) func() {
		g, err := core.SignInNew(ctx, a, open)
		if err != nil {
			return func() { wz.oauthFailed(err) }
		}
		wz.w.do(func() {
			if wz.current(op) {
				wz.imapLine.SetText("Incoming mail (IMAP) " + a.IMAP.Addr() + ": signing in…")
				wz.smtpLine.SetText("Outgoing mail (SMTP) " + a.SMTP.Addr() + ": signing in…")
				wz.saveLine.SetText("")
				wz.setStep(stepCheck)
			}
		})
		v, err := core.VerifyAccount(ctx, a, g.AccessToken(), opts)
		if err != nil {
			return func() { wz.showChecks(v); wz.setStep(stepOAuth); wz.oauthFailed(err) }
		}
		saved, err := core.AddAccount(ctx, v.Account, "", &app.AddOptions{SkipVerify: true, OAuth: g, SessionOnly: wz.sessionOnly})
		if err != nil {
			return func() { wz.setStep(stepOAuth); wz.oauthFailed(err) }
		}
		return func() { wz.finished(saved, v) }
	})
}

// oauthWait is how long the wizard waits for the browser: the core's
// sign-in timeout ends it first.
const oauthWait = 10 * 60e9

// oauthFailed shows why the sign-in failed, and lets the user try again.
func (wz *wizard) oauthFailed(err error) {
	wz.oauthWaiting.Hide()
	wz.oauthBtn.Enable()
	wz.oauthBtn.SetText("Try again")
	msg := err.Error()
	var ae *accounts.AuthError
	if errors.As(err, &ae) && ae.Err != nil {
		msg = ae.Err.Error()
	}
	setMessage(wz.oauthErr, strings.ToUpper(msg[:1])+msg[1:]+".")
}

// oauthDiscovered decides, after discovery, whether the account signs in
// in the browser: it shows the sign-in page and reports true, or puts
// the reason it cannot (no client ID in this build, with the provider's
// app password instructions) on the settings page and reports false.
func (wz *wizard) oauthDiscovered(res *autoconfig.Result) bool {
	offer, err := wz.w.core.OAuthFor(res)
	if err != nil {
		wz.found.SetText(wz.found.Text + "\n\n" + err.Error())
		return false
	}
	if offer == nil {
		return false
	}
	wz.offerOAuth(offer)
	return true
}

// signInAgain runs the browser sign-in of an account in "sign in again"
// (the status bar's and the health view's button; after, if not nil, runs
// on the UI goroutine once it succeeded): the browser opens once per click.
func (w *MainWindow) signInAgain(id string, btn *widget.Button, after func()) {
	btn.Disable()
	btn.SetText("Waiting for you to sign in in your browser…")
	open := w.opener()
	w.spawn("sign in again", func() {
		ctx, cancel := context.WithTimeout(w.ctx, oauthWait)
		defer cancel()
		err := w.core.SignIn(ctx, id, open)
		w.do(func() {
			btn.Enable()
			btn.SetText("Sign in again")
			if err != nil {
				w.status.notice("Sign in again: " + err.Error())
				return
			}
			w.status.set(id, w.core.Status(id))
			w.status.refresh()
			if after != nil {
				after()
			}
		})
	})
}
