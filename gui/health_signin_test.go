package gui

import (
	"context"
	"net/url"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/mailtest"
)

// TestHealthViewSignsInAgain: an OAuth account whose grant was revoked
// shows "Sign in again" in Account health with a button; the button
// opens the browser once, signs in, and the re-check no longer asks.
func TestHealthViewSignsInAgain(t *testing.T) {
	const user, password = "alice@example.com", "alice-pw"
	srv := mailtest.StartOAuth(t, &mailtest.OAuthOptions{Users: []mailtest.OAuthUser{{Name: user, Password: password}}})
	log := &testLog{t: t}
	core, err := app.New(app.Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets(), Logf: log.logf})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	acct := accounts.Account{Email: user,
		IMAP:  accounts.Endpoint{Host: "127.0.0.1", Port: closedPort(t), Security: accounts.SecurityTLS, Auth: accounts.AuthOAuth2},
		SMTP:  accounts.Endpoint{Host: "127.0.0.1", Port: closedPort(t), Security: accounts.SecurityTLS, Auth: accounts.AuthOAuth2},
		OAuth: &accounts.OAuthSettings{AuthURL: srv.AuthURL, TokenURL: srv.TokenURL, ClientID: srv.PublicClientID, Scopes: []string{"openid", "mail"}}}
	b := mailtest.NewBrowser()
	var opened atomic.Int32
	open := func(u string) error {
		opened.Add(1)
		_, err := b.Authorize(ctx, u, user, password, true)
		return err
	}
	g, err := core.SignInNew(ctx, acct, open)
	if err != nil {
		t.Fatal(err)
	}
	if acct, err = core.AddAccount(ctx, acct, "", &app.AddOptions{SkipVerify: true, OAuth: g}); err != nil {
		t.Fatal(err)
	}
	srv.Revoke(user)
	ts, _ := core.TokenSource(acct.ID)
	if _, err := ts.Renew(ctx, g.AccessToken()); err == nil || !core.NeedsSignIn(acct.ID) {
		t.Fatalf("renewed a revoked grant: %v", err)
	}

	a := test.NewTempApp(t)
	h := windowForWith(t, a, core, log, func(o *Options) {
		o.openURL = func(u *url.URL) error {
			// A real browser runs beside Tern: the sign-in waits for it.
			go open(u.String())
			return nil
		}
	})
	h.waitFor("the main window", h.w.showingMain)
	h.w.showHealth(acct.ID)
	v := h.w.healths[acct.ID]
	content := v.win.Content()
	h.waitFor("the report", func() bool { return !v.busy && v.report != nil })
	if labelContaining(content, "provider no longer accepts Tern's permission") == nil {
		dumpLabels(t, content)
		t.Fatal("Account health does not say to sign in again")
	}
	btn := buttonWithPrefix(content, "Sign in again")
	if btn == nil {
		dumpLabels(t, content)
		t.Fatal("no Sign in again button")
	}
	opened.Store(0)
	test.Tap(btn)
	h.waitFor("the re-check after signing in", func() bool {
		return !v.busy && v.report != nil && !v.report.Local.SignIn && !core.NeedsSignIn(acct.ID)
	})
	if opened.Load() != 1 {
		t.Errorf("the browser opened %d times", opened.Load())
	}
	if labelContaining(content, "provider no longer accepts Tern's permission") != nil {
		t.Error("still says to sign in again after the re-check")
	}
}
