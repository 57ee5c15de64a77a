package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig"
	"github.com/ternmail/tern/accounts/oauth"
	"github.com/ternmail/tern/internal/mailtest"
)

// oauthAccount is an account that signs in at srv with its public client.
func oauthAccount(srv *mailtest.OAuthServer, email string) accounts.Account {
	return accounts.Account{Email: email,
		IMAP:  accounts.Endpoint{Host: "127.0.0.1", Port: 993, Security: accounts.SecurityTLS, Auth: accounts.AuthOAuth2},
		SMTP:  accounts.Endpoint{Host: "127.0.0.1", Port: 465, Security: accounts.SecurityTLS, Auth: accounts.AuthOAuth2},
		OAuth: &accounts.OAuthSettings{AuthURL: srv.AuthURL, TokenURL: srv.TokenURL, ClientID: srv.PublicClientID, Scopes: []string{"openid", "mail"}}}
}

// browserOpener signs in as user in a test browser and counts its calls.
func browserOpener(user, password string, opened *atomic.Int32) Opener {
	b := mailtest.NewBrowser()
	return func(u string) error {
		opened.Add(1)
		_, err := b.Authorize(context.Background(), u, user, password, true)
		return err
	}
}

// TestOAuthAccountSignInAgain adds an account through the browser,
// loses its grant, shows "sign in again", and signs in again.
func TestOAuthAccountSignInAgain(t *testing.T) {
	const user, password = "alice@example.com", "alice-pw"
	srv := mailtest.StartOAuth(t, &mailtest.OAuthOptions{Users: []mailtest.OAuthUser{{Name: user, Password: password}}, RollRefreshTokens: true})
	home := t.TempDir()
	sec := accounts.NewMemorySecrets()
	c, err := New(Options{Home: home, Secrets: sec})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()
	ctx := context.Background()
	sub := c.Subscribe()
	defer sub.Close()

	var opened atomic.Int32
	g, err := c.SignInNew(ctx, oauthAccount(srv, user), browserOpener(user, password, &opened))
	if err != nil || opened.Load() != 1 {
		t.Fatalf("sign-in: %v, browser opened %d times", err, opened.Load())
	}
	a, err := c.AddAccount(ctx, oauthAccount(srv, user), "", &AddOptions{SkipVerify: true, OAuth: g})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := sec.Get(ctx, a.ID, oauth.ServerOAuth)
	if err != nil || rt == "" {
		t.Fatalf("refresh token in the keychain: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(home, "accounts.toml"))
	if err != nil || !strings.Contains(string(data), `auth = "oauth2"`) {
		t.Fatalf("accounts.toml: %v\n%s", err, data)
	}
	if strings.Contains(string(data), rt) || strings.Contains(string(data), g.AccessToken()) {
		t.Fatal("accounts.toml holds a token")
	}

	ts, err := c.TokenSource(a.ID)
	if err != nil || ts == nil {
		t.Fatalf("token source: %v", err)
	}
	if tok, err := ts.Token(ctx); err != nil || tok != g.AccessToken() {
		t.Fatalf("first token: %v (the sign-in's: %v)", err, tok == g.AccessToken())
	}

	// The user revokes Tern's access at the provider: the next refusal
	// puts the account in "sign in again".
	srv.Revoke(user)
	if _, err := ts.Renew(ctx, g.AccessToken()); err == nil {
		t.Fatal("renewed a revoked grant")
	}
	if st := c.Status(a.ID); st.State != StateSignIn || !c.NeedsSignIn(a.ID) || !strings.Contains(st.Err, "Sign in again") {
		t.Fatalf("status %+v, want %s", st, StateSignIn)
	}
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := ev.(SignInNeeded); ok && s.Account == a.ID {
			break
		}
	}

	opened.Store(0)
	if err := c.SignIn(ctx, a.ID, browserOpener(user, password, &opened)); err != nil || opened.Load() != 1 {
		t.Fatalf("sign in again: %v, browser opened %d times", err, opened.Load())
	}
	if c.NeedsSignIn(a.ID) || c.Status(a.ID).State == StateSignIn {
		t.Fatal("still in sign in again after signing in")
	}
	if tok, err := ts.Token(ctx); err != nil || tok == "" {
		t.Fatalf("token after signing in again: %v", err)
	}
	rt2, _ := sec.Get(ctx, a.ID, oauth.ServerOAuth)
	if rt2 == "" || rt2 == rt {
		t.Fatal("the new sign-in's refresh token was not saved")
	}

	if err := c.RemoveAccount(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := sec.Get(ctx, a.ID, oauth.ServerOAuth); err == nil {
		t.Fatal("the refresh token outlived its account")
	}
}

func TestOAuthAccountNeedsASignIn(t *testing.T) {
	srv := mailtest.StartOAuth(t, nil)
	c, err := New(Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()
	if _, err := c.AddAccount(context.Background(), oauthAccount(srv, "bob@example.com"), "", &AddOptions{SkipVerify: true}); err == nil {
		t.Fatal("added an OAuth account without a sign-in")
	}
}

// TestOAuthForWithoutClientID: a Google account in a build without a
// client ID is not offered the browser sign-in; the error says so and
// how to use an app password instead.
func TestOAuthForWithoutClientID(t *testing.T) {
	t.Setenv(oauth.EnvGoogleClientID, "")
	c, err := New(Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()
	res := &autoconfig.Result{OAuth: &autoconfig.OAuthMatch{Preset: accounts.OAuthGoogle, Name: "Google"}}
	offer, err := c.OAuthFor(res)
	if offer != nil || err == nil || !strings.Contains(err.Error(), "no Google sign-in registered") ||
		!strings.Contains(err.Error(), "myaccount.google.com/apppasswords") {
		t.Fatalf("offer %+v, err %v", offer, err)
	}
	t.Setenv(oauth.EnvGoogleClientID, "a-client")
	if offer, err = c.OAuthFor(res); err != nil || offer.Provider != "Google" || offer.Settings.Provider != accounts.OAuthGoogle {
		t.Fatalf("with a client ID: %+v %v", offer, err)
	}
	// A password account's servers: no offer, no error.
	if offer, err = c.OAuthFor(&autoconfig.Result{IMAP: accounts.Endpoint{Host: "imap.example.com"}}); offer != nil || err != nil {
		t.Fatalf("password account: %+v %v", offer, err)
	}
}
