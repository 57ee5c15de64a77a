package main

import (
	"context"
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
