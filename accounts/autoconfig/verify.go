package autoconfig

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/goroutine"
)

// Verify logs in to acct's IMAP server (LOGIN) and SMTP server (AUTH PLAIN
// or LOGIN; no mail is sent), both at once, with password. A server whose
// Username is empty is tried with the email address, then with its local
// part. Certificates are verified against Options.Roots (or the system
// roots); a certificate pinned in acct.PinnedCerts or listed in
// Options.AcceptCerts is accepted.
//
// A server whose Auth is accounts.AuthOAuth2 is signed in to with SASL
// OAUTHBEARER or XOAUTH2 as the email address (or Username), and password
// is then the OAuth access token (see VerifyOAuth).
//
// The Verification is returned even on failure and says, per server, what
// was tried and seen. The error is that of the IMAP server, else that of the
// SMTP server: an *accounts.AuthError, a *accounts.CertError, a *SecurityError, an
// *accounts.ConnectError, or ctx's error. No error contains the password.
func Verify(ctx context.Context, acct accounts.Account, password string, opts *Options) (*Verification, error) {
	if _, _, err := splitEmail(acct.Email); err != nil {
		return nil, err
	}
	cfg := opts.config()
	start := time.Now()
	v := &Verification{Account: acct.Clone()}
	done := make(chan struct{}, 2)
	run := func(check *Check, fn func() Check) {
		goroutine.GoErr("autoconfig: verify", cfg.logf, func() error {
			*check = fn()
			return nil
		}, func(err error) {
			var pe *goroutine.PanicError
			if errors.As(err, &pe) {
				check.Err = fmt.Errorf("internal error while checking the %s server: %v", upper(check.Protocol), pe.Value)
			}
			done <- struct{}{}
		})
	}
	v.IMAP.Protocol, v.SMTP.Protocol = ProtocolIMAP, ProtocolSMTP
	run(&v.IMAP, func() Check { return cfg.verifyServer(ctx, acct, ProtocolIMAP, password) })
	run(&v.SMTP, func() Check { return cfg.verifyServer(ctx, acct, ProtocolSMTP, password) })
	for range 2 {
		<-done
	}
	v.Elapsed = time.Since(start)
	if v.IMAP.OK {
		v.Account.IMAP = v.IMAP.Endpoint
	}
	if v.SMTP.OK {
		v.Account.SMTP = v.SMTP.Endpoint
	}
	if v.IMAP.Err != nil {
		return v, v.IMAP.Err
	}
	if v.SMTP.Err != nil {
		return v, v.SMTP.Err
	}
	return v, nil
}

// usernames returns the user names to try for ep.
func usernames(ep accounts.Endpoint, email string) []string {
	if ep.Username != "" {
		return []string{ep.Username}
	}
	local, _, _ := strings.Cut(email, "@")
	if local == email || local == "" {
		return []string{email}
	}
	return []string{email, local}
}

// verifyServer logs in to one server, trying each user name form on a
// fresh connection until one works or an error other than a refused login
// occurs.
func (c *config) verifyServer(ctx context.Context, acct accounts.Account, protocol, password string) Check {
	ep := acct.IMAP
	if protocol == ProtocolSMTP {
		ep = acct.SMTP
	}
	check := Check{Protocol: protocol, Endpoint: ep}
	if err := ep.Validate(); err != nil {
		check.Err = fmt.Errorf("%s server: %w", upper(protocol), err)
		return check
	}
	pin := acct.PinFor(ep.Host, ep.Port)
	names := usernames(ep, acct.Email)
	oauth := ep.AuthMethod() == accounts.AuthOAuth2
	if oauth && ep.Username == "" {
		names = []string{acct.Email} // the token is the address's
	}
	var refused error
	for _, user := range names {
		var ev Evidence
		var err error
		switch {
		case oauth && protocol == ProtocolIMAP:
			ev, err = c.oauthIMAP(ctx, ep, pin, user, password)
		case oauth:
			ev, err = c.oauthSMTP(ctx, ep, pin, user, password)
		case protocol == ProtocolIMAP:
			ev, err = c.loginIMAP(ctx, ep, pin, user, password)
		default:
			ev, err = c.authSMTP(ctx, ep, pin, user, password)
		}
		check.Evidence = ev
		att := Attempt{Username: user}
		if err == nil {
			c.logf("autoconfig: %s %s: signed in as %s (%s)", upper(protocol), ep.Addr(), user, ev.Cert)
		} else {
			c.logf("autoconfig: %s %s: sign-in as %s failed: %v", upper(protocol), ep.Addr(), user, err)
		}
		if err == nil {
			check.Attempts = append(check.Attempts, att)
			check.OK = true
			check.Endpoint.Username = user
			return check
		}
		att.Err = err.Error()
		check.Attempts = append(check.Attempts, att)
		var ae *accounts.AuthError
		if !errors.As(err, &ae) {
			check.Err = err
			return check
		}
		refused = ae.Err
	}
	check.Err = &accounts.AuthError{Protocol: upper(protocol), Addr: ep.Addr(), Usernames: names, Err: refused}
	return check
}

// imapSignIn opens an IMAP session to ep, signs in with signIn and logs
// out. signIn returns pre when it cannot try at all (no way to sign in
// that the server offers), else the server's answer; refused words a
// refusal by the server, which never holds the secret.
func (c *config) imapSignIn(ctx context.Context, ep accounts.Endpoint, pin, user string,
	signIn func(s *session, cl *imapclient.Client, caps imap.CapSet) (pre, err error),
	refused func(words string) error) (Evidence, error) {
	s := c.newSession(ctx, ProtocolIMAP, ep, pin)
	defer s.close()
	cl, caps, err := s.imapOpen()
	if err != nil {
		return s.evidence(), err
	}
	defer cl.Close()
	ev := s.evidence()
	ev.AuthMechanisms = imapMechanisms(caps)
	pre, err := signIn(s, cl, caps)
	if pre != nil {
		return ev, pre
	}
	ev.Elapsed = time.Since(s.start)
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && s.ctx.Err() == nil {
			return ev, &accounts.AuthError{Protocol: "IMAP", Addr: s.addr(), Usernames: []string{user}, Err: refused(ie.Text)}
		}
		return ev, s.fail(err)
	}
	logout(cl)
	return ev, nil
}

// smtpSignIn opens an SMTP session to ep, authenticates with signIn and
// quits; it never sends MAIL. signIn returns pre when it cannot try at all,
// else the server's answer; refused says what a refusal by the server
// means.
func (c *config) smtpSignIn(ctx context.Context, ep accounts.Endpoint, pin string,
	signIn func(s *session, cl *smtp.Client, mechs []string) (pre, err error),
	refused func(addr string, se *smtp.SMTPError) error) (Evidence, error) {
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
	pre, err := signIn(s, cl, mechs)
	if pre != nil {
		return ev, pre
	}
	ev.Elapsed = time.Since(s.start)
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) && s.ctx.Err() == nil {
			return ev, refused(s.addr(), se)
		}
		return ev, s.fail(err)
	}
	cl.Quit()
	return ev, nil
}

// loginIMAP logs in with user and password and logs out.
func (c *config) loginIMAP(ctx context.Context, ep accounts.Endpoint, pin, user, password string) (Evidence, error) {
	return c.imapSignIn(ctx, ep, pin, user, func(s *session, cl *imapclient.Client, caps imap.CapSet) (error, error) {
		if caps.Has(imap.CapLoginDisabled) {
			if !caps.Has(imap.AuthCap(sasl.Plain)) {
				return s.security("allows no password login (LOGINDISABLED)"), nil
			}
			return nil, cl.Authenticate(sasl.NewPlainClient("", user, password))
		}
		return nil, cl.Login(user, password).Wait()
	}, func(words string) error { return errors.New(words) }) // only the server's words: they never hold the password
}

// authSMTP authenticates with user and password and quits; it never sends
// MAIL.
func (c *config) authSMTP(ctx context.Context, ep accounts.Endpoint, pin, user, password string) (Evidence, error) {
	var mech string
	return c.smtpSignIn(ctx, ep, pin, func(s *session, cl *smtp.Client, mechs []string) (error, error) {
		var client sasl.Client
		switch {
		case slices.Contains(mechs, sasl.Plain):
			client, mech = sasl.NewPlainClient("", user, password), sasl.Plain
		case slices.Contains(mechs, sasl.Login):
			client, mech = sasl.NewLoginClient(user, password), sasl.Login
		default:
			return s.security("offers only AUTH " + strings.Join(mechs, " ") + ", which Tern does not support"), nil
		}
		return nil, cl.Auth(client)
	}, func(addr string, se *smtp.SMTPError) error { return smtpAuthError(addr, user, mech, se) })
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// smtpAuthError says what an SMTP server's refusal of AUTH means. Only 535
// (and the enhanced code 5.7.8) means that the user name or password is
// wrong, an *AuthError, so that the next user name form is tried; the
// other refusals name their cause (RFC 4954 section 6, RFC 3463).
func smtpAuthError(addr, user, mech string, se *smtp.SMTPError) error {
	words := fmt.Sprintf("%d %s", se.Code, oneLine(se.Message))
	if c := se.EnhancedCode; c != smtp.NoEnhancedCode && c != (smtp.EnhancedCode{}) {
		words = fmt.Sprintf("%d %d.%d.%d %s", se.Code, c[0], c[1], c[2], oneLine(se.Message))
	}
	problem := func(p string) error {
		return &SecurityError{Protocol: "SMTP", Addr: addr, Problem: p + " (" + words + ")"}
	}
	enh := se.EnhancedCode
	switch {
	case se.Code == 535 || enh == smtp.EnhancedCode{5, 7, 8}:
		return &accounts.AuthError{Protocol: "SMTP", Addr: addr, Usernames: []string{user}, Err: errors.New(words)}
	case se.Code == 534 || enh == smtp.EnhancedCode{5, 7, 9}:
		return problem("refused this way of signing in: the provider wants an app password, or a sign-in on its web page first")
	case se.Code == 538 || enh == smtp.EnhancedCode{5, 7, 11}:
		return problem("wants an encrypted connection before signing in: choose TLS or STARTTLS")
	case se.Code == 530:
		return problem("wants encryption (STARTTLS) or another step before signing in")
	case se.Code == 504 || enh == smtp.EnhancedCode{5, 5, 4} || enh == smtp.EnhancedCode{5, 7, 4}:
		return problem("does not accept AUTH " + mech + " although it offered it")
	case se.Code/100 == 4:
		return problem("could not check the password just now; try again later")
	}
	return problem("refused AUTH " + mech)
}
