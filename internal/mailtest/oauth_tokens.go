package mailtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/ternmail/tern/accounts"
)

// TokenSource is an accounts.TokenSource for tests of the engine and the
// outbox: it refreshes against an OAuthServer's token endpoint (as the
// public client) and turns invalid_grant into accounts.ErrSignInAgain.
// It keeps its grant in memory only and counts what it did.
//
// A TokenSource is safe for concurrent use; a refresh happens under its
// lock, so concurrent callers after one refusal share one refresh.
type TokenSource struct {
	cfg *oauth2.Config

	mu        sync.Mutex
	tok       *oauth2.Token
	refreshes int
	renews    int
	signInErr int
}

// NewTokenSource returns a TokenSource for s's public client holding tok
// (from s.Grant or a code exchange).
func (s *OAuthServer) NewTokenSource(tok *oauth2.Token) *TokenSource {
	return &TokenSource{cfg: s.Config(false, ""), tok: tok}
}

// SetGrant replaces the held tokens, as signing in again does.
func (ts *TokenSource) SetGrant(tok *oauth2.Token) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.tok = tok
}

// Token implements accounts.TokenSource: the held access token while its
// expiry (as the token response said) is more than 10 seconds away, else
// a refreshed one.
func (ts *TokenSource) Token(ctx context.Context) (string, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.tok.Valid() {
		return ts.tok.AccessToken, nil
	}
	return ts.refreshLocked(ctx)
}

// Renew implements accounts.TokenSource: a refresh, unless another caller
// already replaced the refused token.
func (ts *TokenSource) Renew(ctx context.Context, refused string) (string, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.renews++
	if ts.tok.AccessToken != refused && ts.tok.Valid() {
		return ts.tok.AccessToken, nil
	}
	return ts.refreshLocked(ctx)
}

func (ts *TokenSource) refreshLocked(ctx context.Context) (string, error) {
	ts.refreshes++
	old := *ts.tok
	old.Expiry = time.Now().Add(-time.Hour)
	tok, err := ts.cfg.TokenSource(ctx, &old).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
			ts.signInErr++
			return "", fmt.Errorf("refresh: %w", accounts.ErrSignInAgain)
		}
		return "", fmt.Errorf("refresh: %w", err)
	}
	ts.tok = tok
	return tok.AccessToken, nil
}

// Counts returns how many refreshes and renewals the source did, and how
// many refreshes ended in ErrSignInAgain.
func (ts *TokenSource) Counts() (refreshes, renews, signInAgain int) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.refreshes, ts.renews, ts.signInErr
}

var _ accounts.TokenSource = (*TokenSource)(nil)
