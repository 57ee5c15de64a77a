package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig"
	"github.com/ternmail/tern/app"
)

// oauthSettings returns the OAuth settings of a new account at imapEP and
// smtpEP (as discovery, in res when it ran, found them): the provider's
// preset, or the configured ones for the host. It fails in one sentence
// when the servers do not sign in with OAuth, or when this build has no
// client ID for the provider (the error then offers an app password).
func oauthSettings(core *app.Core, res *autoconfig.Result, imapEP, smtpEP accounts.Endpoint) (*accounts.OAuthSettings, string, error) {
	if res == nil {
		res = &autoconfig.Result{}
	}
	r := *res
	r.IMAP, r.SMTP = imapEP, smtpEP
	offer, err := core.OAuthFor(&r)
	if err != nil {
		return nil, "", err
	}
	if offer == nil {
		return nil, "", fmt.Errorf("%s does not sign in in the browser (OAuth): add the account with --password-stdin", imapEP.Host)
	}
	s := offer.Settings
	return &s, offer.Provider, nil
}

// addOAuthAccount is the end of tern account add --oauth: acct's servers
// are known; the browser sign-in gives the token the servers are verified
// with, then the account is saved with the refresh token in the keychain.
func addOAuthAccount(ctx context.Context, core *app.Core, a *args, e *env, acct accounts.Account, res *autoconfig.Result,
	pin string, opts *autoconfig.Options, source string) error {
	s, provider, err := oauthSettings(core, res, acct.IMAP, acct.SMTP)
	if err != nil {
		return err
	}
	acct.OAuth = s
	acct.IMAP.Auth, acct.SMTP.Auth = accounts.AuthOAuth2, accounts.AuthOAuth2
	pasted, stop := pastedRedirects(ctx, e)
	defer stop()
	g, err := core.SignInNewWith(ctx, acct, browserOpener(a, e, acct.Email), &app.SignInOptions{Pasted: pasted})
	if err != nil {
		return err
	}
	v, err := verifyPinned(ctx, core, &acct, g.AccessToken(), pin, opts)
	if err != nil {
		return err
	}
	added, err := core.AddAccount(ctx, v.Account, "", &app.AddOptions{SkipVerify: true, OAuth: g})
	if err != nil {
		return err
	}
	result := struct {
		accountJSON
		Source       string               `json:"source"`
		Provider     string               `json:"provider"`
		Verification map[string]checkJSON `json:"verification"`
	}{accountOut(added), source, provider, map[string]checkJSON{"imap": checkOut(v.IMAP), "smtp": checkOut(v.SMTP)}}
	return out(e, a, result, func(w io.Writer) {
		fmt.Fprintf(w, "Added account %s (%s): signed in with %s, logged in to %s and %s (settings from %s); the permission is kept in the keychain.\n",
			added.ID, added.Email, provider, added.IMAP.Addr(), added.SMTP.Addr(), source)
	})
}
