package outbox

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/goroutine"
	"github.com/ternmail/tern/internal/oauthsasl"
)

// ServerError is a refusal by the SMTP server, with its words. Codes 4xx
// are temporary, 5xx permanent.
type ServerError struct {
	Op  string // the command refused: "AUTH", "MAIL FROM", "RCPT TO <x>", "DATA", …
	Err *smtp.SMTPError
}

// Error returns the command and the server's reply, e.g.
// "RCPT TO <bob@example.com>: 550 5.1.1 User unknown".
func (e *ServerError) Error() string { return e.Op + ": " + reply(e.Err) }

// Unwrap returns the go-smtp error.
func (e *ServerError) Unwrap() error { return e.Err }

// Temporary reports whether the server asked to try again later (4xx).
func (e *ServerError) Temporary() bool { return e.Err.Code/100 == 4 }

func reply(e *smtp.SMTPError) string {
	s := fmt.Sprintf("%03d", e.Code)
	if c := e.EnhancedCode; c != smtp.NoEnhancedCode && c != smtp.EnhancedCodeNotSet && c[0] > 0 {
		s += fmt.Sprintf(" %d.%d.%d", c[0], c[1], c[2])
	}
	if msg := strings.Join(strings.Fields(e.Message), " "); msg != "" {
		s += " " + msg
	}
	return s
}

// ConfigError is a problem only the user can fix: a server without
// STARTTLS, an untrusted certificate, a missing password, an unknown
// account. It is permanent.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// temporary reports whether err is worth retrying.
func temporary(err error) bool {
	var se *ServerError
	if errors.As(err, &se) {
		return se.Temporary()
	}
	var ce *ConfigError
	return !errors.As(err, &ce)
}

// trackConn counts failed writes, so that a broken DATA can be told apart
// from one whose final "." reached the server; each write has a deadline.
// While heard is set, it keeps what the server says (the greeting and the
// reply to EHLO before STARTTLS), up to 64 KiB.
type trackConn struct {
	net.Conn
	timeout  time.Duration
	writeErr atomic.Bool
	heard    *bytes.Buffer
}

func (c *trackConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if c.heard != nil && c.heard.Len() < 64<<10 {
		c.heard.Write(b[:n])
	}
	return n, err
}

// offersSTARTTLS reports whether the server's reply to EHLO (or HELO), in
// what it said before STARTTLS, was received, and whether it names the
// STARTTLS capability (RFC 3207).
func offersSTARTTLS(heard []byte) (replied, offered bool) {
	for _, line := range strings.Split(string(heard), "\n") {
		line = strings.TrimRight(line, "\r")
		if len(line) < 4 || !strings.HasPrefix(line, "250") {
			continue
		}
		if line[3] == ' ' {
			replied = true
		}
		if f := strings.Fields(line[4:]); len(f) > 0 && strings.EqualFold(f[0], "STARTTLS") && (line[3] == '-' || line[3] == ' ') {
			offered = true
		}
	}
	return replied, offered
}

func (c *trackConn) Write(b []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	n, err := c.Conn.Write(b)
	if err != nil {
		c.writeErr.Store(true)
	}
	return n, err
}

// client is one SMTP connection, used by one goroutine.
type client struct {
	c    *smtp.Client
	conn *trackConn
	addr string
	stop func() bool
}

func (cl *client) close() {
	cl.stop()
	cl.c.Close()
}

func (cl *client) quit() {
	done := make(chan struct{})
	goroutine.Go("outbox: quit "+cl.addr, nil, func() {
		defer close(done)
		cl.c.Quit()
	})
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	cl.close()
}

// connect dials the account's SMTP server, secures the connection and
// authenticates: with the password, or with an access token from the
// account's token source (Options.Tokens). A refused token is renewed
// once and tried on a new connection: after a failed AUTH go-smtp sends
// "*", which Postfix takes for a non-SMTP command and hangs up on.
// Cancelling ctx closes the connection.
func (w *Worker) connect(ctx context.Context, acct accounts.Account) (*client, error) {
	var ts accounts.TokenSource
	if w.opts.Tokens != nil {
		ts = w.opts.Tokens(acct.ID)
	}
	if ts == nil {
		return w.dial(ctx, acct, nil)
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	token, err := ts.Token(tctx)
	cancel()
	if err != nil {
		return nil, tokenError(ctx, acct, err)
	}
	cl, err := w.dial(ctx, acct, &token)
	var ae *accounts.AuthError
	if !errors.As(err, &ae) {
		return cl, err
	}
	w.opts.Logf("outbox: %s: the SMTP server refused the access token; renewing it", acct.ID)
	tctx, cancel = context.WithTimeout(ctx, 30*time.Second)
	token, err = ts.Renew(tctx, token)
	cancel()
	if err != nil {
		return nil, tokenError(ctx, acct, err)
	}
	return w.dial(ctx, acct, &token)
}

func tokenError(ctx context.Context, acct accounts.Account, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("access token for %s: %w", acct.Email, err)
}

// dial connects, secures the connection and authenticates with token (an
// OAuth access token) or, if nil, the account's password.
func (w *Worker) dial(ctx context.Context, acct accounts.Account, token *string) (*client, error) {
	ep := acct.SMTP
	addr := ep.Addr()
	// The whole setup is bounded; afterwards each command is.
	dctx, cancel := context.WithTimeout(ctx, 3*w.opts.CommandTimeout)
	defer cancel()
	nc, err := w.opts.Dial(dctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &accounts.ConnectError{Protocol: "SMTP", Addr: addr, Err: err}
	}
	setupStop := context.AfterFunc(dctx, func() { nc.Close() })
	tc := &trackConn{Conn: nc, timeout: w.opts.CommandTimeout}
	tlsCfg := accounts.TLSConfig(ep.Host, ep.Port, acct.PinFor(ep.Host, ep.Port), w.opts.Roots)
	var c *smtp.Client
	op := "EHLO" // the command a refusal answers
	switch ep.Security {
	case accounts.SecurityTLS:
		c = smtp.NewClient(tls.Client(tc, tlsCfg))
	case accounts.SecuritySTARTTLS:
		// go-smtp does not say why STARTTLS failed: what the server
		// announced in its reply to EHLO does. After the server's 220,
		// go-smtp reads only through TLS: replies injected behind the
		// 220 are dropped with its buffer, or break the handshake.
		tc.heard = new(bytes.Buffer)
		c, err = smtp.NewClientStartTLS(tc, tlsCfg)
		heard := tc.heard.Bytes()
		tc.heard = nil
		replied, offered := offersSTARTTLS(heard)
		switch {
		case err != nil && replied && !offered:
			err = &ConfigError{Err: fmt.Errorf("the server %s does not offer STARTTLS; Tern will not send in clear text", addr)}
		case replied && offered:
			op = "STARTTLS"
		}
	case accounts.SecurityNone: // the user's explicit choice
		c = smtp.NewClient(tc)
	default:
		err = &ConfigError{Err: fmt.Errorf("unknown security %q for %s", ep.Security, addr)}
	}
	if err == nil {
		c.CommandTimeout = w.opts.CommandTimeout
		c.SubmissionTimeout = w.opts.DataTimeout
		// With TLS, the handshake happens here; after STARTTLS, EHLO is
		// sent again and the capabilities are read anew.
		err = c.Hello(w.opts.LocalName)
		op = "EHLO"
	}
	var cl *client
	if err == nil {
		cl = &client{c: c, conn: tc, addr: addr, stop: func() bool { return false }}
		err = w.auth(dctx, cl, acct, token)
	}
	setupStop()
	if err == nil && dctx.Err() != nil {
		err = dctx.Err()
	}
	if err != nil {
		nc.Close()
		var certErr *accounts.CertError
		var se *smtp.SMTPError
		var ce *ConfigError
		var sve *ServerError
		switch {
		case errors.Is(err, accounts.ErrSignInAgain):
			return nil, err // the token source's verdict: the account waits
		case errors.As(err, &ce), errors.As(err, &sve):
			return nil, err
		case errors.As(err, &certErr):
			return nil, &ConfigError{Err: certErr}
		case errors.As(err, &se):
			return nil, &ServerError{Op: op, Err: se}
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case accounts.IsKeychainUnavailable(err):
			return nil, err // the server was reached: the keychain failed
		case errors.As(err, new(tls.RecordHeaderError)) && ep.Security == accounts.SecurityTLS:
			// A plaintext server on a port set to TLS: only the
			// settings can fix it.
			return nil, &ConfigError{Err: &accounts.ConnectError{Protocol: "SMTP", Addr: addr,
				Err: fmt.Errorf("the server answered in plain text, not TLS (is port %d meant for STARTTLS?): %w", ep.Port, err)}}
		case errors.As(err, new(tls.RecordHeaderError)):
			err = fmt.Errorf("the server sent plain text where the TLS handshake should begin: %w", err)
		}
		return nil, &accounts.ConnectError{Protocol: "SMTP", Addr: addr, Err: err}
	}
	cl.stop = context.AfterFunc(ctx, func() { nc.Close() })
	size, _ := c.MaxMessageSize() // from the EHLO reply: no round trip
	w.setSizeLimit(acct.ID, int64(size))
	return cl, nil
}

// auth authenticates with PLAIN, else LOGIN, when the server offers AUTH;
// with a token, with XOAUTH2 or OAUTHBEARER.
func (w *Worker) auth(ctx context.Context, cl *client, acct accounts.Account, token *string) error {
	ok, _ := cl.c.Extension("AUTH")
	if !ok {
		return nil
	}
	user := acct.SMTP.Username
	if user == "" {
		user = acct.Email
	}
	if token != nil {
		return authOAuth(cl, acct, user, *token)
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	pw, err := w.opts.Password(pctx, acct.ID)
	cancel()
	if err != nil {
		if errors.Is(err, accounts.ErrSecretNotFound) {
			return &ConfigError{Err: fmt.Errorf("no SMTP password stored for account %s", acct.ID)}
		}
		return fmt.Errorf("cannot read the SMTP password: %w", err) // keychain trouble: temporary
	}
	var mech sasl.Client
	switch {
	case cl.c.SupportsAuth(sasl.Plain):
		mech = sasl.NewPlainClient("", user, pw)
	case cl.c.SupportsAuth(sasl.Login):
		mech = &loginClient{user: user, password: pw}
	default:
		return &ConfigError{Err: fmt.Errorf("the server %s offers no password authentication Tern knows (PLAIN, LOGIN)", cl.addr)}
	}
	return authWith(cl, user, mech)
}

// authOAuth authenticates with token: XOAUTH2 if the server offers it
// (Google, Microsoft), else OAUTHBEARER.
func authOAuth(cl *client, acct accounts.Account, user, token string) error {
	var mech string
	switch {
	case cl.c.SupportsAuth(oauthsasl.XOAUTH2):
		mech = oauthsasl.XOAUTH2
	case cl.c.SupportsAuth(oauthsasl.OAuthBearer):
		mech = oauthsasl.OAuthBearer
	default:
		return &ConfigError{Err: fmt.Errorf("the server %s offers no OAuth authentication Tern knows (XOAUTH2, OAUTHBEARER)", cl.addr)}
	}
	sc, err := oauthsasl.New(mech, user, token, acct.SMTP.Host, acct.SMTP.Port)
	if err != nil {
		return &ConfigError{Err: err}
	}
	return authWith(cl, user, sc)
}

// authWith runs AUTH with mech and maps a refusal to accounts.AuthError.
func authWith(cl *client, user string, mech sasl.Client) error {
	if err := cl.c.Auth(mech); err != nil {
		var se *smtp.SMTPError
		if r, ok := mech.(*oauthsasl.Client); ok && r.Refusal() != nil && !errors.As(err, &se) {
			// The server reported the token invalid in its challenge,
			// then did not end with a reply go-smtp understood.
			return &accounts.AuthError{Protocol: "SMTP", Addr: cl.addr, Usernames: []string{user}, Err: err}
		}
		switch {
		case errors.As(err, &se) && (se.Code == 535 || se.EnhancedCode == smtp.EnhancedCode{5, 7, 8}):
			// The user name or password is wrong (RFC 4954 section 6);
			// the ServerError beneath keeps it permanent.
			return &accounts.AuthError{Protocol: "SMTP", Addr: cl.addr, Usernames: []string{user}, Err: &ServerError{Op: "AUTH", Err: se}}
		case errors.As(err, &se):
			return &ServerError{Op: "AUTH as " + user, Err: se}
		}
		return &accounts.ConnectError{Protocol: "SMTP", Addr: cl.addr, Err: err}
	}
	return nil
}

// loginClient is the client side of AUTH LOGIN that every server takes:
// no initial response (some servers refuse one), then the user name and
// the password, each when the server prompts for it. go-sasl's client
// sends the name up front and expects "Password:" word for word.
type loginClient struct {
	user, password string
	step           int
}

func (c *loginClient) Start() (string, []byte, error) { return sasl.Login, nil, nil }

func (c *loginClient) Next(challenge []byte) ([]byte, error) {
	c.step++
	p := strings.ToLower(string(challenge))
	switch {
	case strings.HasPrefix(p, "user"):
		return []byte(c.user), nil
	case strings.HasPrefix(p, "pass"):
		return []byte(c.password), nil
	case c.step == 1:
		return []byte(c.user), nil
	case c.step == 2:
		return []byte(c.password), nil
	}
	return nil, sasl.ErrUnexpectedServerChallenge
}
