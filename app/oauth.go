package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig"
	"github.com/ternmail/tern/accounts/oauth"
	"golang.org/x/oauth2"
)

// Opener opens a URL in the user's browser: the window passes its
// App.OpenURL, the command line a program such as xdg-open.
type Opener = oauth.Opener

// StateSignIn is the State of an account whose provider no longer accepts
// its OAuth permission (revoked, expired): sync and the outbox wait, and
// nothing is lost, until the user signs in again (Core.SignIn).
const StateSignIn State = "signin"

// SignInNeeded is published when an account enters StateSignIn.
type SignInNeeded struct{ Account string }

func (SignInNeeded) isEvent() {}

// OAuthGrant is the outcome of a sign-in for an account not added yet:
// pass it to AddAccount (AddOptions.OAuth). It holds the tokens; it is
// never printed, and a Grant is used once.
type OAuthGrant struct {
	tok *oauth2.Token
}

// oauthSources are the token sources of the OAuth accounts, one per
// account, shared by its engine and the outbox. Safe for concurrent use.
type oauthSources struct {
	mu sync.Mutex
	m  map[string]*oauth.Source
}

// oauthOptions returns the sign-in options for acct.
func (c *Core) oauthOptions(acct accounts.Account) *oauth.Options {
	o := oauth.Options{LoginHint: acct.Email}
	if c.opts.OAuth != nil {
		o.Timeout, o.HTTPClient = c.opts.OAuth.Timeout, c.opts.OAuth.HTTPClient
	}
	return &o
}

// TokenSource returns the token source of account id, made on first use;
// nil and no error for an account that signs in with a password. It fails
// when the account's provider has no client ID configured.
func (c *Core) TokenSource(id string) (accounts.TokenSource, error) {
	src, err := c.oauthSource(id)
	if src == nil {
		return nil, err
	}
	return src, err
}

func (c *Core) oauthSource(id string) (*oauth.Source, error) {
	a, ok := c.Account(id)
	if !ok {
		return nil, fmt.Errorf("no account %q", id)
	}
	return c.oauthSourceFor(a)
}

// oauthSourceFor returns the token source of a, made on first use; nil
// when a signs in with a password. It may be called with c.mu held: it
// takes c.oauth.mu only, which is never held while taking c.mu.
func (c *Core) oauthSourceFor(a accounts.Account) (*oauth.Source, error) {
	id := a.ID
	c.oauth.mu.Lock()
	defer c.oauth.mu.Unlock()
	if s, ok := c.oauth.m[id]; ok {
		return s, nil
	}
	if !a.UsesOAuth() {
		return nil, nil
	}
	p, err := oauth.ForAccount(a)
	if err != nil {
		return nil, err
	}
	var o oauth.SourceOptions
	if c.opts.OAuth != nil {
		o.HTTPClient, o.Early = c.opts.OAuth.HTTPClient, c.opts.OAuth.Early
	}
	o.Logf = c.opts.Logf
	o.OnSignInAgain = func() {
		c.opts.Logf("account %s: the provider no longer accepts Tern's permission; waiting for a new sign-in", id)
		c.bus.Publish(SignInNeeded{Account: id})
		c.bus.Publish(StatusChanged{Account: id, Status: c.Status(id)})
	}
	if c.oauth.m == nil {
		c.oauth.m = make(map[string]*oauth.Source)
	}
	s := oauth.NewSource(id, p, sessionFirst{mem: c.memSecrets, keychain: c.secrets}, &o)
	c.oauth.m[id] = s
	return s, nil
}

// forgetOAuth drops the token source of a removed account.
func (c *Core) forgetOAuth(id string) {
	c.oauth.mu.Lock()
	delete(c.oauth.m, id)
	c.oauth.mu.Unlock()
}

// NeedsSignIn reports whether account is in StateSignIn.
func (c *Core) NeedsSignIn(account string) bool {
	c.oauth.mu.Lock()
	s := c.oauth.m[account]
	c.oauth.mu.Unlock()
	return s != nil && s.NeedsSignIn()
}

// signInStatus is the Status of an account in StateSignIn.
func signInStatus() Status {
	msg := accounts.ErrSignInAgain.Error() // "sign in again: the provider …"
	return Status{State: StateSignIn, Err: strings.ToUpper(msg[:1]) + msg[1:]}
}

// OAuthProvider says whether an account (not added yet) can sign in with
// OAuth here: it returns the provider's name, or an error that says why
// not (no client ID configured: the error offers an app password).
func OAuthProvider(s accounts.OAuthSettings) (string, error) {
	p, err := oauth.FromSettings(s)
	if err != nil {
		return "", err
	}
	if p.Preset.Name != "" {
		return p.Preset.Name, nil
	}
	return "your provider", nil
}

// SignInNew runs the browser sign-in for acct, an account not added yet
// whose OAuth settings are set: it opens the browser through open once and
// waits for the redirect, at most the configured timeout, or until ctx
// ends (the user's Cancel). Pass the grant to AddAccount.
func (c *Core) SignInNew(ctx context.Context, acct accounts.Account, open Opener) (*OAuthGrant, error) {
	return c.SignInNewWith(ctx, acct, open, nil)
}

// SignInNewWith is SignInNew that also takes the redirect URL the user
// pastes (see SignInOptions).
func (c *Core) SignInNewWith(ctx context.Context, acct accounts.Account, open Opener, so *SignInOptions) (*OAuthGrant, error) {
	if acct.OAuth == nil {
		return nil, oauth.ErrNoSettings
	}
	tok, err := c.browserSignIn(ctx, acct, open, so)
	if err != nil {
		return nil, err
	}
	return &OAuthGrant{tok: tok}, nil
}

// AccessToken returns the grant's access token, for verifying the account
// before it is added.
func (g *OAuthGrant) AccessToken() string {
	if g == nil || g.tok == nil {
		return ""
	}
	return g.tok.AccessToken
}

// SignIn signs account in again in the browser (opened through open,
// once) and resumes its sync and the outbox. The account keeps its
// settings and its mail.
func (c *Core) SignIn(ctx context.Context, account string, open Opener) error {
	return c.SignInWith(ctx, account, open, nil)
}

// SignInWith is SignIn that also takes the redirect URL the user pastes
// (see SignInOptions).
func (c *Core) SignInWith(ctx context.Context, account string, open Opener, so *SignInOptions) error {
	a, ok := c.Account(account)
	if !ok {
		return fmt.Errorf("no account %q", account)
	}
	if !a.UsesOAuth() {
		return fmt.Errorf("account %s signs in with a password, not in the browser", account)
	}
	src, err := c.oauthSource(account)
	if err != nil {
		return err
	}
	tok, err := c.browserSignIn(ctx, a, open, so)
	if err != nil {
		return err
	}
	if err := src.SignedIn(ctx, tok); err != nil {
		return fmt.Errorf("signed in, but the permission could not be saved to the keychain: %w", err)
	}
	c.opts.Logf("account %s: signed in again", account)
	c.bus.Publish(StatusChanged{Account: account, Status: c.Status(account)})
	c.resumeAfterSignIn(account)
	return nil
}

// storeGrant saves the refresh token of g for the new account id.
func (c *Core) storeGrant(ctx context.Context, id string, g *OAuthGrant) error {
	if g == nil || g.tok == nil {
		return errors.New("the account signs in with OAuth but no sign-in was made")
	}
	src, err := c.oauthSource(id)
	if err != nil {
		return err
	}
	if src == nil {
		return fmt.Errorf("account %s does not sign in with OAuth", id)
	}
	return src.SignedIn(ctx, g.tok)
}

// sessionFirst is the Secrets of OAuth refresh tokens: this session's
// memory when the account keeps its secrets there, else the keychain.
type sessionFirst struct{ mem, keychain accounts.Secrets }

func (s sessionFirst) Get(ctx context.Context, id, server string) (string, error) {
	if v, err := s.mem.Get(ctx, id, server); err == nil {
		return v, nil
	}
	return s.keychain.Get(ctx, id, server)
}

func (s sessionFirst) Set(ctx context.Context, id, server, secret string) error {
	if _, err := s.mem.Get(ctx, id, server); err == nil {
		return s.mem.Set(ctx, id, server, secret)
	}
	return s.keychain.Set(ctx, id, server, secret)
}

func (s sessionFirst) Delete(ctx context.Context, id, server string) error {
	return errors.Join(s.mem.Delete(ctx, id, server), s.keychain.Delete(ctx, id, server))
}

// OAuthOptions tune OAuth sign-ins and token refreshes. nil means the
// defaults.
type OAuthOptions struct {
	// Timeout bounds the wait for the browser; oauth.DefaultTimeout when
	// zero.
	Timeout time.Duration
	// HTTPClient makes the token requests; http.DefaultClient when nil.
	HTTPClient *http.Client
	// Early is how long before its expiry an access token is refreshed;
	// oauth.DefaultEarly when zero.
	Early time.Duration
	// Hosts are more servers that sign in with OAuth, by host name, with
	// their provider's settings (endpoints and client): a private
	// deployment's, or a test server's. The presets' hosts (Google,
	// Microsoft) need no entry.
	Hosts map[string]accounts.OAuthSettings
}

// OAuthOffer is how a new account found by discovery can sign in with
// OAuth 2.0.
type OAuthOffer struct {
	// Provider is the provider's name for people: "Google", "Microsoft".
	Provider string
	// Settings are the account's OAuth settings (accounts.Account.OAuth).
	Settings accounts.OAuthSettings
}

// OAuthFor says whether the account that discovery found in res signs in
// with OAuth: nil, nil when it does not (a password then). When it does
// but this build has no client ID for the provider, the error (an
// *oauth.NoClientError) says so and explains the app password way.
func (c *Core) OAuthFor(res *autoconfig.Result) (*OAuthOffer, error) {
	if res == nil {
		return nil, nil
	}
	if res.OAuth != nil {
		s := accounts.OAuthSettings{Provider: res.OAuth.Preset}
		if _, err := oauth.FromSettings(s); err != nil {
			return nil, err
		}
		return &OAuthOffer{Provider: res.OAuth.Name, Settings: s}, nil
	}
	for _, ep := range []accounts.Endpoint{res.IMAP, res.SMTP} {
		// Servers given by hand rather than discovered: the presets'
		// hosts still sign in with their provider.
		if p, ok := oauth.PresetForHost(ep.Host); ok {
			s := *p.Settings()
			if _, err := oauth.FromSettings(s); err != nil {
				return nil, err
			}
			return &OAuthOffer{Provider: p.Name, Settings: s}, nil
		}
	}
	if c.opts.OAuth == nil {
		return nil, nil
	}
	for _, ep := range []accounts.Endpoint{res.IMAP, res.SMTP} {
		if s, ok := c.opts.OAuth.Hosts[ep.Host]; ok && ep.Host != "" {
			s.Scopes = slices.Clone(s.Scopes)
			name := "your provider"
			if p, ok := oauth.Lookup(s.Provider); ok {
				name = p.Name
			}
			return &OAuthOffer{Provider: name, Settings: s}, nil
		}
	}
	return nil, nil
}
