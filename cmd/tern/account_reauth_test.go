package main

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/oauth"
	"github.com/ternmail/tern/internal/mailtest"
)

// TestAccountSignIn signs an OAuth account in from the command line: the
// browser (a test one) opens once and the refresh token lands in the
// keychain, not in accounts.toml; without a client ID it fails in one
// line that offers an app password.
func TestAccountSignIn(t *testing.T) {
	const user, password = "alice@example.test", "alice-pw"
	srv := mailtest.StartOAuth(t, &mailtest.OAuthOptions{Users: []mailtest.OAuthUser{{Name: user, Password: password}}})
	c := newCLI(t)
	cfg := &accounts.Config{}
	ep := accounts.Endpoint{Host: "127.0.0.1", Port: 993, Security: accounts.SecurityTLS, Auth: accounts.AuthOAuth2}
	if _, err := cfg.Add(accounts.Account{ID: "alice", Email: user, IMAP: ep, SMTP: ep,
		OAuth: &accounts.OAuthSettings{AuthURL: srv.AuthURL, TokenURL: srv.TokenURL, ClientID: srv.PublicClientID, Scopes: []string{"openid"}}}); err != nil {
		t.Fatal(err)
	}
	gmail := accounts.Endpoint{Host: "imap.gmail.com", Port: 993, Security: accounts.SecurityTLS, Auth: accounts.AuthOAuth2}
	if _, err := cfg.Add(accounts.Account{ID: "gmail", Email: "g@gmail.com", IMAP: gmail, SMTP: gmail,
		OAuth: &accounts.OAuthSettings{Provider: accounts.OAuthGoogle}}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Save(filepath.Join(c.home, "accounts.toml")); err != nil {
		t.Fatal(err)
	}

	var opened atomic.Int32
	b := mailtest.NewBrowser()
	open := func(u string) error {
		opened.Add(1)
		_, err := b.Authorize(context.Background(), u, user, password, true)
		return err
	}
	code, out, errs := c.runWith(open, "", "account", "signin", "alice")
	if code != 0 || opened.Load() != 1 || !strings.Contains(out, "Signed in") {
		t.Fatalf("exit %d, browser opened %d times: %s %s", code, opened.Load(), out, errs)
	}
	if rt, err := c.secrets.Get(context.Background(), "alice", oauth.ServerOAuth); err != nil || rt == "" {
		t.Fatalf("refresh token not in the keychain: %v", err)
	}

	t.Setenv(oauth.EnvGoogleClientID, "")
	errs = c.fails("", "account", "signin", "gmail")
	if !strings.Contains(errs, "no Google sign-in registered") || !strings.Contains(errs, "app password") {
		t.Fatalf("without a client ID: %q", errs)
	}
}

// TestDoctorSaysSignInAgain: tern doctor, a process of its own, finds that
// the provider withdrew an OAuth account's permission and says to sign in
// again, with the command; after tern account reauth it no longer does.
func TestDoctorSaysSignInAgain(t *testing.T) {
	const user, password = "alice@example.test", "alice-pw"
	srv := mailtest.StartOAuth(t, &mailtest.OAuthOptions{Users: []mailtest.OAuthUser{{Name: user, Password: password}}})
	c := newCLI(t)
	cfg := &accounts.Config{}
	ep := accounts.Endpoint{Host: "127.0.0.1", Port: closedPortCLI(t), Security: accounts.SecurityTLS, Auth: accounts.AuthOAuth2}
	if _, err := cfg.Add(accounts.Account{ID: "alice", Email: user, IMAP: ep, SMTP: ep,
		OAuth: &accounts.OAuthSettings{AuthURL: srv.AuthURL, TokenURL: srv.TokenURL, ClientID: srv.PublicClientID, Scopes: []string{"openid"}}}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Save(filepath.Join(c.home, "accounts.toml")); err != nil {
		t.Fatal(err)
	}
	b := mailtest.NewBrowser()
	open := func(u string) error {
		_, err := b.Authorize(context.Background(), u, user, password, true)
		return err
	}
	if code, out, errs := c.runWith(open, "", "account", "reauth", "alice"); code != 0 {
		t.Fatalf("reauth: exit %d: %s %s", code, out, errs)
	}
	doctor := func() string {
		// The text is wrapped: compare words.
		_, out, errs := c.run("", "doctor", "--account", "alice")
		return oneLine(out + errs)
	}
	if out := doctor(); strings.Contains(out, "action: Sign in again") {
		t.Fatalf("signed in, yet doctor says: %s", out)
	}
	srv.Revoke(user)
	if out := doctor(); !strings.Contains(out, "action: Sign in again") || !strings.Contains(out, "tern account reauth alice") {
		t.Fatalf("doctor after the revocation: %s", out)
	}
	if _, out, _ := c.run("", "doctor", "--account", "alice", "--json"); !strings.Contains(out, `"sign_in": true`) || !strings.Contains(out, `"sign-in-again"`) {
		t.Fatalf("doctor --json after the revocation: %s", out)
	}
	if code, out, errs := c.runWith(open, "", "account", "reauth", "alice"); code != 0 {
		t.Fatalf("reauth: exit %d: %s %s", code, out, errs)
	}
	if out := doctor(); strings.Contains(out, "action: Sign in again") {
		t.Fatalf("signed in again, yet doctor says: %s", out)
	}
}

// closedPortCLI returns a loopback port nothing listens on.
func closedPortCLI(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}
