package autoconfig

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
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
	s := c.newSession(ctx, ProtocolIMAP, ep, pin)
	defer s.close()
	cl, caps, err := s.imapOpen()
	if err != nil {
		return s.evidence(), err
	}
	defer cl.Close()
	ev := s.evidence()
	ev.AuthMechanisms = imapMechanisms(caps)
	var client *oauthsasl.Client
	switch {
	case caps.Has(imap.AuthCap(oauthsasl.OAuthBearer)):
		client = oauthsasl.NewOAuthBearer(user, token, ep.Host, ep.Port)
	case caps.Has(imap.AuthCap(oauthsasl.XOAUTH2)):
		client = oauthsasl.NewXOAUTH2(user, token)
	default:
		return ev, s.security("offers no OAuth sign-in (neither OAUTHBEARER nor XOAUTH2)")
	}
	err = cl.Authenticate(client)
	ev.Elapsed = time.Since(s.start)
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && s.ctx.Err() == nil {
			return ev, &accounts.AuthError{Protocol: "IMAP", Addr: s.addr(), Usernames: []string{user}, Err: oauthRefused(user, ie.Text)}
		}
		return ev, s.fail(err)
	}
	logout(cl)
	return ev, nil
}

// oauthSMTP authenticates to SMTP with the access token and quits.
func (c *config) oauthSMTP(ctx context.Context, ep accounts.Endpoint, pin, user, token string) (Evidence, error) {
	s := c.newSession(ctx, ProtocolSMTP, ep, pin)
	defer s.close()
	cl, err := s.smtpOpen()
	if err != nil {
		return s.evidence(), err
	}
	defer cl.Close()
	ev := s.evidence()
	mechs, ok := smtpMechanisms(cl)
	ev.AuthMechanisms = mechs
	if !ok {
		return ev, s.noAuth()
	}
	var client *oauthsasl.Client
	switch {
	case slices.Contains(mechs, oauthsasl.XOAUTH2):
		client = oauthsasl.NewXOAUTH2(user, token)
	case slices.Contains(mechs, oauthsasl.OAuthBearer):
		client = oauthsasl.NewOAuthBearer(user, token, ep.Host, ep.Port)
	default:
		return ev, s.security("offers only AUTH " + strings.Join(mechs, " ") + ", no OAuth sign-in")
	}
	err = cl.Auth(client)
	ev.Elapsed = time.Since(s.start)
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) && s.ctx.Err() == nil {
			return ev, &accounts.AuthError{Protocol: "SMTP", Addr: s.addr(), Usernames: []string{user}, Err: oauthRefused(user, se.Message)}
		}
		return ev, s.fail(err)
	}
	cl.Quit()
	return ev, nil
}
