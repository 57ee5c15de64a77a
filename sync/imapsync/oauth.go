package imapsync

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/ternmail/tern/accounts"
)

// dialOAuth connects and signs in with an access token from ts. A refused
// token (expired early, or revoked) is renewed once and tried on a new
// connection. An error of ts itself is returned wrapped: with
// accounts.ErrSignInAgain the engine waits for the user (see Permanent).
func dialOAuth(ctx context.Context, acct accounts.Account, ts accounts.TokenSource, roots *x509.CertPool, timeout time.Duration, m *meter, logf func(string, ...any)) (*conn, error) {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	token, err := ts.Token(tctx)
	cancel()
	if err != nil {
		return nil, tokenError(ctx, acct, err)
	}
	cn, err := dial(ctx, acct, credential{secret: token, oauth: true}, roots, timeout, m, logf)
	var ae *accounts.AuthError
	if !errors.As(err, &ae) {
		return cn, err
	}
	if logf != nil {
		logf("sync %s: the IMAP server refused the access token; renewing it", acct.ID)
	}
	tctx, cancel = context.WithTimeout(ctx, timeout)
	token, err = ts.Renew(tctx, token)
	cancel()
	if err != nil {
		return nil, tokenError(ctx, acct, err)
	}
	return dial(ctx, acct, credential{secret: token, oauth: true}, roots, timeout, m, logf)
}

func tokenError(ctx context.Context, acct accounts.Account, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("access token for %s: %w", acct.Email, err)
}
