package oauth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/oauth"
	"github.com/ternmail/tern/internal/mailtest"
)

const user, password = "alice@example.com", "alice-pw"

func startServer(t *testing.T, opts *mailtest.OAuthOptions) *mailtest.OAuthServer {
	t.Helper()
	var o mailtest.OAuthOptions
	if opts != nil {
		o = *opts
	}
	o.Users = []mailtest.OAuthUser{{Name: user, Password: password}, {Name: "bob@example.com", Password: "bob-pw"}}
	return mailtest.StartOAuth(t, &o)
}

// provider returns a Provider of srv: the public client (as Microsoft's,
// redirect to http://localhost) or the confidential one (as Google's,
// redirect to http://127.0.0.1/).
func provider(srv *mailtest.OAuthServer, public bool) oauth.Provider {
	p := oauth.Provider{AuthURL: srv.AuthURL, TokenURL: srv.TokenURL, Scopes: []string{"openid", "mail"}}
	if public {
		p.RedirectHost, p.Client = "localhost", oauth.Client{ID: srv.PublicClientID}
	} else {
		p.RedirectHost, p.Client = "127.0.0.1", oauth.Client{ID: srv.ConfidentialClientID, Secret: srv.ConfidentialClientSecret}
	}
	return p
}

// browser returns an opener that signs in as name (allowing or denying
// the consent) and counts its calls.
func browser(t *testing.T, name, pw string, allow bool, opened *atomic.Int32) oauth.Opener {
	b := mailtest.NewBrowser()
	return func(u string) error {
		opened.Add(1)
		_, err := b.Authorize(context.Background(), u, name, pw, allow)
		return err
	}
}

func TestSignInAgainstTheServer(t *testing.T) {
	srv := startServer(t, nil)
	for _, public := range []bool{true, false} {
		name := map[bool]string{true: "public client, localhost", false: "confidential client, 127.0.0.1"}[public]
		t.Run(name, func(t *testing.T) {
			var opened atomic.Int32
			tok, err := oauth.SignIn(context.Background(), provider(srv, public), browser(t, user, password, true, &opened), nil)
			if err != nil {
				t.Fatal(err)
			}
			if opened.Load() != 1 || tok.AccessToken == "" || tok.RefreshToken == "" || tok.Expiry.IsZero() {
				t.Fatalf("opened %d times, token %v %v %v", opened.Load(), tok.AccessToken != "", tok.RefreshToken != "", tok.Expiry)
			}
			// The refresh token works: a Source gets an access token.
			sec := accounts.NewMemorySecrets()
			src := oauth.NewSource("alice", provider(srv, public), sec, nil)
			if err := sec.Set(context.Background(), "alice", oauth.ServerOAuth, tok.RefreshToken); err != nil {
				t.Fatal(err)
			}
			if at, err := src.Token(context.Background()); err != nil || at == "" {
				t.Fatalf("token after sign-in: %q %v", at, err)
			}
		})
	}
}

func TestDeniedConsent(t *testing.T) {
	srv := startServer(t, nil)
	var opened atomic.Int32
	_, err := oauth.SignIn(context.Background(), provider(srv, true), browser(t, user, password, false, &opened), nil)
	if !errors.Is(err, oauth.ErrDenied) || opened.Load() != 1 {
		t.Fatalf("err %v, opened %d; want ErrDenied after one opening", err, opened.Load())
	}
}

// TestWrongClientRefused: a code exchanged by a client the server does not
// know ends in words, without a token in them.
func TestWrongClientRefused(t *testing.T) {
	srv := startServer(t, nil)
	p := provider(srv, false)
	p.Client.Secret = "wrong"
	var opened atomic.Int32
	_, err := oauth.SignIn(context.Background(), p, browser(t, user, password, true, &opened), nil)
	var pe *oauth.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("err %v, want a *ProviderError", err)
	}
	t.Logf("refused: %v", err)
}

// signedIn returns a Source for alice at srv, signed in through the
// browser, and its secrets.
func signedIn(t *testing.T, srv *mailtest.OAuthServer, opts *oauth.SourceOptions) (*oauth.Source, accounts.Secrets) {
	t.Helper()
	var opened atomic.Int32
	tok, err := oauth.SignIn(context.Background(), provider(srv, true), browser(t, user, password, true, &opened), nil)
	if err != nil {
		t.Fatal(err)
	}
	sec := accounts.NewMemorySecrets()
	src := oauth.NewSource("alice", provider(srv, true), sec, opts)
	if err := src.SignedIn(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	return src, sec
}

// TestConcurrentCallersShareOneRefresh: many goroutines that find the
// token expiring, then many that saw it refused, each cause one refresh.
func TestConcurrentCallersShareOneRefresh(t *testing.T) {
	srv := startServer(t, &mailtest.OAuthOptions{RollRefreshTokens: true})
	// Early beyond the token's hour: every token is "about to expire".
	src, _ := signedIn(t, srv, &oauth.SourceOptions{Early: 2 * 3600e9})
	ctx := context.Background()
	const n = 64
	run := func(f func() (string, error)) map[string]int {
		var mu sync.Mutex
		got := map[string]int{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				tok, err := f()
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				got[tok]++
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()
		return got
	}
	before := src.Refreshes()
	got := run(func() (string, error) { return src.Token(ctx) })
	// Callers that arrive after a refresh finished start another (the
	// token is "expiring" again at once); each refresh serves all those
	// waiting on it.
	if r := src.Refreshes() - before; r < 1 || r > len(got) {
		t.Fatalf("%d refreshes for %d distinct tokens", r, len(got))
	}

	// Renew after a refusal, with a normal Early: one refresh for all.
	src2, _ := signedIn(t, srv, nil)
	old, err := src2.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before = src2.Refreshes()
	got = run(func() (string, error) { return src2.Renew(ctx, old) })
	if r := src2.Refreshes() - before; r != 1 || len(got) != 1 || got[old] != 0 {
		t.Fatalf("renew: %d refreshes, tokens %d (old among them: %v); want one refresh, one new token", r, len(got), got[old] != 0)
	}
	// A caller that comes late with the same refused token gets the new
	// one without a refresh.
	if tok, err := src2.Renew(ctx, old); err != nil || got[tok] != n {
		t.Fatalf("late renew: %v, new token %v", err, got[tok] == n)
	}
	if src2.Refreshes()-before != 1 {
		t.Fatal("a late renew refreshed again")
	}
}

// TestRolledOverRefreshTokenSaved: the provider rolls the refresh token
// over; the new one is saved, and the old one is dead, so a later process
// only works because it was saved.
func TestRolledOverRefreshTokenSaved(t *testing.T) {
	srv := startServer(t, &mailtest.OAuthOptions{RollRefreshTokens: true})
	src, sec := signedIn(t, srv, nil)
	ctx := context.Background()
	first, _ := sec.Get(ctx, "alice", oauth.ServerOAuth)
	old, _ := src.Token(ctx)
	if _, err := src.Renew(ctx, old); err != nil {
		t.Fatal(err)
	}
	second, _ := sec.Get(ctx, "alice", oauth.ServerOAuth)
	if second == "" || second == first {
		t.Fatal("the rolled-over refresh token was not saved")
	}
	// The next process reads the saved one.
	next := oauth.NewSource("alice", provider(srv, true), sec, nil)
	if _, err := next.Token(ctx); err != nil {
		t.Fatalf("a new Source with the saved refresh token: %v", err)
	}
	// The first refresh token no longer works: only saving made it.
	stale := accounts.NewMemorySecrets()
	stale.Set(ctx, "alice", oauth.ServerOAuth, first)
	if _, err := oauth.NewSource("alice", provider(srv, true), stale, nil).Token(ctx); !errors.Is(err, accounts.ErrSignInAgain) {
		t.Fatalf("the rolled-over token still works (%v): the test proves nothing", err)
	}
}

// TestRevokedGrantSignInAgain: invalid_grant puts the Source in "sign in
// again" once, without more requests, until a new sign-in.
func TestRevokedGrantSignInAgain(t *testing.T) {
	srv := startServer(t, nil)
	var again atomic.Int32
	src, sec := signedIn(t, srv, &oauth.SourceOptions{OnSignInAgain: func() { again.Add(1) }})
	ctx := context.Background()
	old, _ := src.Token(ctx)
	srv.Revoke(user)
	_, err := src.Renew(ctx, old)
	if !errors.Is(err, accounts.ErrSignInAgain) || !src.NeedsSignIn() || again.Load() != 1 {
		t.Fatalf("err %v, needs %v, notified %d", err, src.NeedsSignIn(), again.Load())
	}
	rt, _ := sec.Get(ctx, "alice", oauth.ServerOAuth)
	if strings.Contains(err.Error(), rt) || strings.Contains(err.Error(), old) {
		t.Fatal("the error carries a token")
	}
	n := src.Refreshes()
	if _, err := src.Token(ctx); !errors.Is(err, accounts.ErrSignInAgain) || src.Refreshes() != n {
		t.Fatalf("token after invalid_grant: %v, refreshes %d → %d", err, n, src.Refreshes())
	}
	// Signing in again ends it.
	var opened atomic.Int32
	tok, err := oauth.SignIn(ctx, provider(srv, true), browser(t, user, password, true, &opened), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.SignedIn(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if at, err := src.Renew(ctx, tok.AccessToken); err != nil || at == "" || src.NeedsSignIn() {
		t.Fatalf("after a new sign-in: %v", err)
	}
}

func TestNoRefreshTokenStoredIsSignInAgain(t *testing.T) {
	srv := startServer(t, nil)
	src := oauth.NewSource("alice", provider(srv, true), accounts.NewMemorySecrets(), nil)
	if _, err := src.Token(context.Background()); !errors.Is(err, accounts.ErrSignInAgain) {
		t.Fatalf("err %v", err)
	}
}
