package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/goroutine"
	"golang.org/x/oauth2"
)

// ServerOAuth is the accounts.Secrets server name under which an
// account's refresh token is kept.
const ServerOAuth = "oauth"

// DefaultEarly is how long before its expiry an access token is refreshed
// when SourceOptions.Early is zero.
const DefaultEarly = time.Minute

// SourceOptions tune a Source. A nil *SourceOptions means the defaults.
type SourceOptions struct {
	// Early is how long before its expiry an access token is refreshed;
	// DefaultEarly when zero.
	Early time.Duration
	// HTTPClient makes the token requests; http.DefaultClient when nil.
	HTTPClient *http.Client
	// Timeout bounds one refresh, keychain included; one minute when
	// zero.
	Timeout time.Duration
	// OnSignInAgain is called (in the refreshing goroutine) when the
	// provider refuses the grant and the account needs a new sign-in.
	OnSignInAgain func()
	// Logf reports a rolled-over refresh token that could not be saved,
	// and panics; never a token.
	Logf func(format string, args ...any)
}

// Source is the accounts.TokenSource of one account. It keeps the access
// token in memory, refreshes it ahead of its expiry and after a server
// refused it, and saves a refresh token the provider rolls over to the
// keychain. A Source is safe for concurrent use: concurrent callers share
// one refresh.
type Source struct {
	account string
	p       Provider
	secrets accounts.Secrets
	opts    SourceOptions

	mu        sync.Mutex
	access    *oauth2.Token // the current access token; nil before the first refresh
	refresh   string        // the refresh token, once read from the keychain
	unsaved   bool          // refresh was rolled over but not saved yet
	inflight  *refreshCall
	again     error // non-nil (wrapping accounts.ErrSignInAgain) until SignedIn
	refreshes int
}

type refreshCall struct {
	done chan struct{}
	tok  *oauth2.Token
	err  error
}

var _ accounts.TokenSource = (*Source)(nil)

// NewSource returns the token source of accountID, signed in with p, whose
// refresh token is in secrets.
func NewSource(accountID string, p Provider, secrets accounts.Secrets, opts *SourceOptions) *Source {
	s := &Source{account: accountID, p: p, secrets: secrets}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.Early <= 0 {
		s.opts.Early = DefaultEarly
	}
	if s.opts.Timeout <= 0 {
		s.opts.Timeout = time.Minute
	}
	return s
}

// Token returns an access token valid for at least Early yet, refreshing
// it when needed. It fails with an error wrapping accounts.ErrSignInAgain
// once the provider refused the grant, until SignedIn.
func (s *Source) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.again != nil {
		err := s.again
		s.mu.Unlock()
		return "", err
	}
	if s.fresh() {
		t := s.access.AccessToken
		s.mu.Unlock()
		return t, nil
	}
	return s.wait(ctx, s.startLocked())
}

// Renew returns an access token other than refused, which a server just
// refused. Callers that saw the same token refused share one refresh; a
// caller whose refused token was already replaced gets the new one.
func (s *Source) Renew(ctx context.Context, refused string) (string, error) {
	s.mu.Lock()
	if s.again != nil {
		err := s.again
		s.mu.Unlock()
		return "", err
	}
	if s.access != nil && s.access.AccessToken != refused && s.fresh() {
		t := s.access.AccessToken
		s.mu.Unlock()
		return t, nil
	}
	if s.access != nil && s.access.AccessToken == refused {
		s.access = nil // never hand it out again
	}
	return s.wait(ctx, s.startLocked())
}

// fresh reports whether the cached access token is good for Early yet.
// s.mu is held.
func (s *Source) fresh() bool {
	if s.access == nil || s.access.AccessToken == "" {
		return false
	}
	return s.access.Expiry.IsZero() || time.Until(s.access.Expiry) > s.opts.Early
}

// startLocked returns the refresh in flight, starting one if none is.
// It unlocks s.mu.
func (s *Source) startLocked() *refreshCall {
	c := s.inflight
	if c == nil {
		c = &refreshCall{done: make(chan struct{})}
		s.inflight = c
		goroutine.GoErr("oauth refresh "+s.account, s.opts.Logf, func() error {
			tok, err := s.doRefresh()
			c.tok = tok
			return err
		}, func(err error) {
			s.finish(c, err)
		})
	}
	s.mu.Unlock()
	return c
}

// wait waits for c or for ctx.
func (s *Source) wait(ctx context.Context, c *refreshCall) (string, error) {
	select {
	case <-c.done:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	if c.err != nil {
		return "", c.err
	}
	return c.tok.AccessToken, nil
}

func (s *Source) finish(c *refreshCall, err error) {
	var notify func()
	s.mu.Lock()
	c.err = err
	if err == nil {
		s.access = c.tok
	} else if errors.Is(err, accounts.ErrSignInAgain) {
		s.again = err
		s.access = nil
		notify = s.opts.OnSignInAgain
	}
	s.inflight = nil
	s.mu.Unlock()
	close(c.done)
	if notify != nil {
		notify()
	}
}

// doRefresh exchanges the refresh token for an access token, saving a
// rolled-over refresh token. It runs in the refresh goroutine, one at a
// time per Source.
func (s *Source) doRefresh() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
	defer cancel()
	s.mu.Lock()
	rt, unsaved := s.refresh, s.unsaved
	s.refreshes++
	s.mu.Unlock()
	if rt == "" {
		v, err := s.secrets.Get(ctx, s.account, ServerOAuth)
		if errors.Is(err, accounts.ErrSecretNotFound) {
			return nil, fmt.Errorf("%s: no OAuth permission is stored: %w", s.account, accounts.ErrSignInAgain)
		}
		if err != nil {
			return nil, err
		}
		rt = v
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.client())
	tok, err := s.p.config("").TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
			return nil, fmt.Errorf("%s: %w", s.account, accounts.ErrSignInAgain)
		}
		return nil, tokenError("refreshing the access token", err)
	}
	if tok.RefreshToken != "" && tok.RefreshToken != rt {
		rt, unsaved = tok.RefreshToken, true
	}
	if unsaved {
		// One Set replaces the keychain item as a whole; refreshes are
		// one at a time, so a later rollover cannot be overwritten by an
		// earlier one.
		if err := s.secrets.Set(ctx, s.account, ServerOAuth, rt); err != nil {
			s.logf("%s: the renewed OAuth permission could not be saved to the keychain (kept in memory, saved at the next refresh): %v", s.account, err)
		} else {
			unsaved = false
		}
	}
	s.mu.Lock()
	s.refresh, s.unsaved = rt, unsaved
	s.mu.Unlock()
	return &oauth2.Token{AccessToken: tok.AccessToken, Expiry: tok.Expiry}, nil
}

func (s *Source) client() *http.Client {
	if s.opts.HTTPClient != nil {
		return s.opts.HTTPClient
	}
	return http.DefaultClient
}

func (s *Source) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// SignedIn takes the tokens of a new sign-in (from Flow.Wait): it saves
// the refresh token in the keychain, caches the access token and ends a
// "sign in again" state.
func (s *Source) SignedIn(ctx context.Context, tok *oauth2.Token) error {
	if tok == nil || tok.RefreshToken == "" {
		return ErrNoRefreshToken
	}
	if err := s.secrets.Set(ctx, s.account, ServerOAuth, tok.RefreshToken); err != nil {
		return err
	}
	s.mu.Lock()
	s.refresh, s.unsaved, s.again = tok.RefreshToken, false, nil
	s.access = &oauth2.Token{AccessToken: tok.AccessToken, Expiry: tok.Expiry}
	s.mu.Unlock()
	return nil
}

// NeedsSignIn reports whether the provider refused the grant: the
// account is in "sign in again" until SignedIn.
func (s *Source) NeedsSignIn() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.again != nil
}

// Refreshes returns how many refreshes the Source has made.
func (s *Source) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes
}
