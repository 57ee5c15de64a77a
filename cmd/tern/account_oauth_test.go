package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/oauth"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/mailtest"
)

// oauthCLI runs tern against the test authorization server and real
// Dovecot and Postfix that check its tokens.
type oauthCLI struct {
	*cli
	srv  *mailtest.OAuthServer
	real *mailtest.Real
	user mailtest.RealUser
}

func newOAuthCLI(t *testing.T) *oauthCLI {
	srv := mailtest.StartOAuth(t, nil)
	real := mailtest.RealForTestWith(t, mailtest.RealOptions{OAuth: srv})
	return &oauthCLI{cli: newCLI(t), srv: srv, real: real, user: mailtest.RealDefaultUsers[0]}
}

// run runs tern with stdin and the browser opener open, with 127.0.0.1
// signing in at the test authorization server.
func (c *oauthCLI) run(open func(string) error, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: stdin, stdout: &out, stderr: &errb, getenv: func(k string) string { return c.env[k] },
		secrets: c.secrets, open: open, oauth: &app.OAuthOptions{Timeout: 20 * time.Second, Hosts: map[string]accounts.OAuthSettings{
			"127.0.0.1": {AuthURL: c.srv.AuthURL, TokenURL: c.srv.TokenURL, ClientID: c.srv.PublicClientID, Scopes: []string{"openid", "mail"}}}}}
	code = run(append([]string{"--home", c.home}, args...), e)
	return code, out.String(), errb.String()
}

func (c *oauthCLI) addArgs() []string {
	return []string{"account", "add", "--email", c.user.Name, "--oauth", "--imap", c.real.IMAPAddr + ":starttls",
		"--smtp", c.real.SubmissionAddr + ":starttls", "--accept-cert", c.real.CertSHA256}
}

// assertAdded checks that the account was verified and saved with its
// refresh token in the keychain only, and that it syncs; it returns the
// account's ID.
func (c *oauthCLI) assertAdded(out string) string {
	c.t.Helper()
	list := c.ok("", "account", "list", "--json")
	if !strings.Contains(out, "signed in with") || !strings.Contains(list, c.user.Name) {
		c.t.Fatalf("account add --oauth: %s; list: %s", out, list)
	}
	cfg, _ := os.ReadFile(filepath.Join(c.home, "accounts.toml"))
	if !strings.Contains(string(cfg), "oauth") {
		c.t.Fatalf("accounts.toml has no OAuth settings:\n%s", cfg)
	}
	id := strings.SplitN(strings.SplitN(list, `"id": "`, 2)[1], `"`, 2)[0]
	rt, err := c.secrets.Get(context.Background(), id, oauth.ServerOAuth)
	if err != nil || rt == "" {
		c.t.Fatalf("refresh token not in the keychain: %v", err)
	}
	if strings.Contains(string(cfg), rt) || strings.Contains(out, rt) {
		c.t.Fatal("the refresh token is in accounts.toml or the output")
	}
	if code, out, errs := c.run(nil, strings.NewReader(""), "sync"); code != 0 || !strings.Contains(out, "INBOX") {
		c.t.Fatalf("sync after add --oauth: exit %d: %s %s", code, out, errs)
	}
	return id
}

// TestAccountAddOAuth adds an account from the command line by signing
// in in the browser: the URL printed on a line of its own is the one the
// browser (a test one) opens, once; the servers take the token.
func TestAccountAddOAuth(t *testing.T) {
	c := newOAuthCLI(t)
	var opened atomic.Int32
	var openedURL string
	b := mailtest.NewBrowser()
	open := func(u string) error {
		opened.Add(1)
		openedURL = u
		_, err := b.Authorize(context.Background(), u, c.user.Name, c.user.Password, true)
		return err
	}
	code, out, errs := c.run(open, strings.NewReader(""), c.addArgs()...)
	if code != 0 || opened.Load() != 1 {
		t.Fatalf("exit %d, browser opened %d times: %s %s", code, opened.Load(), out, errs)
	}
	if !strings.Contains("\n"+out, "\n"+openedURL+"\n") || !strings.HasPrefix(openedURL, c.srv.AuthURL) {
		t.Fatalf("the URL opened (%s) is not on a line of its own in: %s", openedURL, out)
	}
	id := c.assertAdded(out)

	// reauth signs the account in again; signin is its alias.
	for _, verb := range []string{"reauth", "signin"} {
		opened.Store(0)
		if code, out, errs := c.run(open, strings.NewReader(""), "account", verb, id); code != 0 || opened.Load() != 1 || !strings.Contains(out, "Signed in") {
			t.Fatalf("account %s: exit %d, opened %d: %s %s", verb, code, opened.Load(), out, errs)
		}
	}
}

// refusingLoopback is a browser's transport that cannot reach the app's
// loopback listener (the browser runs on another machine): the redirect
// is answered here, so the browser only shows its address.
type refusingLoopback struct {
	provider string
	next     http.RoundTripper
}

func (r refusingLoopback) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == r.provider {
		return r.next.RoundTrip(req)
	}
	return &http.Response{StatusCode: http.StatusBadGateway, Body: io.NopCloser(strings.NewReader("unreachable")), Request: req, Header: http.Header{}}, nil
}

// TestAccountAddOAuthPasted adds an account whose browser cannot reach the
// listener: the user pastes the address the browser shows, after a line
// that is not one, on standard input.
func TestAccountAddOAuthPasted(t *testing.T) {
	c := newOAuthCLI(t)
	au, _ := url.Parse(c.srv.AuthURL)
	saved := http.DefaultTransport
	// The test browser's client uses the default transport.
	http.DefaultTransport = refusingLoopback{provider: au.Host, next: saved}
	t.Cleanup(func() { http.DefaultTransport = saved })
	defer func() { http.DefaultTransport = saved }()
	pr, pw := io.Pipe()
	defer pw.Close()
	b := mailtest.NewBrowser()
	open := func(u string) error {
		res, err := b.Authorize(context.Background(), u, c.user.Name, c.user.Password, true)
		if err != nil {
			return err
		}
		if res.Status != http.StatusBadGateway {
			return errors.New("the browser reached the listener")
		}
		// tern reads standard input once the browser was opened.
		go io.WriteString(pw, "not an address\n"+res.RedirectURL.String()+"\n")
		return nil
	}
	code, out, errs := c.run(open, pr, c.addArgs()...)
	http.DefaultTransport = saved
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	if !strings.Contains(errs, "That is not the address the browser came back to") {
		t.Fatalf("no hint for the line that is not an address: %s", errs)
	}
	c.assertAdded(out)
}

// TestAccountAddOAuthNoClient fails in one line, before any sign-in, when
// this build has no client ID for the provider, and offers an app
// password.
func TestAccountAddOAuthNoClient(t *testing.T) {
	c := newCLI(t)
	t.Setenv(oauth.EnvGoogleClientID, "")
	var opened atomic.Int32
	code, _, errs := c.runWith(func(string) error { opened.Add(1); return nil }, "",
		"account", "add", "--email", "someone@gmail.com", "--oauth", "--imap", "imap.gmail.com:993:tls", "--smtp", "smtp.gmail.com:465:tls")
	if code != 1 || opened.Load() != 0 {
		t.Fatalf("exit %d, browser opened %d times: %q", code, opened.Load(), errs)
	}
	if strings.Count(strings.TrimRight(errs, "\n"), "\n") != 0 || !strings.HasPrefix(errs, "tern: ") ||
		!strings.Contains(errs, "no Google sign-in registered") || !strings.Contains(errs, "app password") {
		t.Fatalf("without a client ID: %q", errs)
	}
	if out := c.ok("", "account", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("stored without a sign-in: %s", out)
	}
}
