package accounts

import (
	"context"
	"errors"
)

// TokenSource gives the OAuth 2.0 access token of an account that signs in
// with OAuth (SASL XOAUTH2 or OAUTHBEARER) instead of a password.
//
// A TokenSource is safe for concurrent use: the sync engine's connections
// and the outbox of one account share one, so that a refresh happens once
// and a refresh token that the provider rolls over is saved once.
type TokenSource interface {
	// Token returns an access token that is valid for a while yet,
	// refreshing it ahead of its expiry.
	Token(ctx context.Context) (string, error)
	// Renew is called after a server refused the access token refused. It
	// returns a fresh token: a refresh of its own, or the one another
	// caller already got after the same refusal.
	Renew(ctx context.Context, refused string) (string, error)
}

// ErrSignInAgain means the provider no longer honours the account's grant
// (revoked, expired, password changed: OAuth's invalid_grant). Nothing
// retries until the user signs in again in the browser; sync and the
// outbox wait and lose nothing.
var ErrSignInAgain = errors.New("sign in again: the provider no longer accepts Tern's permission for this account")
