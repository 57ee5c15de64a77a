package autoconfig

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/oauthsasl"
)

// VerifyOAuth is Verify for an account that signs in with OAuth 2.0:
// token is the access token of the user's sign-in in the browser. No
// error contains the token.
func VerifyOAuth(ctx context.Context, acct accounts.Account, token string, opts *Options) (*Verification, error) {
	return Verify(ctx, acct, token, opts)
}

// oauthRefused words a server's refusal of a token: most often the user
// signed in, in the browser, as someone other than the address.
func oauthRefused(user, words string) error {
	msg := "the server refused the sign-in"
	if words = oneLine(words); words != "" {
		msg += " (" + words + ")"
	}
	return errors.New(msg + "; did you sign in in the browser as " + user + "? Sign in again with that account")
}

// oauthIMAP authenticates to IMAP with the access token and logs out.
func (c *config) oauthIMAP(ctx context.Context, ep accounts.Endpoint, pin, user, token string) (Evidence, error) {
	return c.imapSignIn(ctx, ep, pin, user, func(s *session, cl *imapclient.Client, caps imap.CapSet) (error, error) {
		var client *oauthsasl.Client
		switch {
		case caps.Has(imap.AuthCap(oauthsasl.OAuthBearer)):
			client = oauthsasl.NewOAuthBearer(user, token, ep.Host, ep.Port)
		case caps.Has(imap.AuthCap(oauthsasl.XOAUTH2)):
			client = oauthsasl.NewXOAUTH2(user, token)
		default:
			return s.security("offers no OAuth sign-in (neither OAUTHBEARER nor XOAUTH2)"), nil
		}
		return nil, cl.Authenticate(client)
	}, func(words string) error { return oauthRefused(user, words) })
}

// oauthSMTP authenticates to SMTP with the access token and quits.
func (c *config) oauthSMTP(ctx context.Context, ep accounts.Endpoint, pin, user, token string) (Evidence, error) {
	return c.smtpSignIn(ctx, ep, pin, func(s *session, cl *smtp.Client, mechs []string) (error, error) {
		var client *oauthsasl.Client
		switch {
		case slices.Contains(mechs, oauthsasl.XOAUTH2):
			client = oauthsasl.NewXOAUTH2(user, token)
		case slices.Contains(mechs, oauthsasl.OAuthBearer):
			client = oauthsasl.NewOAuthBearer(user, token, ep.Host, ep.Port)
		default:
			return s.security("offers only AUTH " + strings.Join(mechs, " ") + ", no OAuth sign-in"), nil
		}
		return nil, cl.Auth(client)
	}, func(addr string, se *smtp.SMTPError) error {
		return &accounts.AuthError{Protocol: "SMTP", Addr: addr, Usernames: []string{user}, Err: oauthRefused(user, se.Message)}
	})
}
