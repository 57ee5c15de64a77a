package autoconfig

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/goroutine"
	"github.com/ternmail/tern/internal/imapguard"
)

// tlsState records what a TLS handshake saw. Its fields are guarded by mu:
// the handshake may run on a library's goroutine.
type tlsState struct {
	mu      sync.Mutex
	version uint16
	cert    string
	certErr *accounts.CertError
}

// fill copies the state into ev.
func (st *tlsState) fill(ev *Evidence) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.version != 0 {
		ev.TLSVersion = tls.VersionName(st.version)
	}
	ev.Cert = st.cert
	ev.CertError = st.certErr
}

// tlsConfig returns the client TLS configuration for host:port: verified
// against the roots, or accepted when the certificate's fingerprint is pin
// or the one Options.AcceptCerts lists for host:port. The handshake is
// recorded in st.
func (c *config) tlsConfig(host string, port int, pin string, st *tlsState) *tls.Config {
	cfg := accounts.TLSConfig(host, port, "", c.roots)
	accepted := c.accept[acceptKey(host, port)]
	base := cfg.VerifyConnection
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		err := base(cs)
		st.mu.Lock()
		defer st.mu.Unlock()
		st.version = cs.Version
		var ce *accounts.CertError
		switch {
		case err == nil:
			st.cert = "verified"
		case errors.As(err, &ce) && (accepted != "" && ce.SHA256 == accepted || pin != "" && ce.SHA256 == pin):
			st.cert = "accepted by fingerprint " + ce.SHA256
			return nil
		case errors.As(err, &ce):
			st.cert = "not trusted: " + ce.Reason
			st.certErr = ce
		}
		return err
	}
	return cfg
}

// session is one connection to a server, bounded by a watchdog that closes
// it at the deadline or when ctx ends.
type session struct {
	cfg      *config
	protocol string
	ep       accounts.Endpoint
	pin      string
	ctx      context.Context // the watchdog's context
	cancel   context.CancelFunc
	conn     net.Conn
	tls      tlsState
	start    time.Time
}

func (c *config) newSession(ctx context.Context, protocol string, ep accounts.Endpoint, pin string) *session {
	wctx, cancel := context.WithDeadline(ctx, c.deadline(ctx))
	return &session{cfg: c, protocol: protocol, ep: ep, pin: pin, ctx: wctx, cancel: cancel, start: time.Now()}
}

func (s *session) addr() string { return s.ep.Addr() }

// dial opens the TCP connection and arms the watchdog.
func (s *session) dial() error {
	conn, err := s.cfg.dialer(s.ctx, "tcp", s.cfg.mapAddr(s.ep.Host, s.ep.Port))
	if err != nil {
		return s.fail(err)
	}
	s.conn = conn
	context.AfterFunc(s.ctx, func() { conn.Close() })
	return nil
}

func (s *session) close() {
	s.cancel()
	if s.conn != nil {
		s.conn.Close()
	}
}

// fail turns err into the error reported for this session: a CertError as
// is, a timeout or cancellation as such, what imapguard refused as a
// ProtocolError, anything else as a ConnectError.
func (s *session) fail(err error) error {
	var ce *accounts.CertError
	var se *SecurityError
	var ae *accounts.AuthError
	var ge *imapguard.Error
	switch {
	case errors.As(err, &ce):
		return ce
	case errors.As(err, &se), errors.As(err, &ae):
		return err
	case errors.As(err, &ge):
		return &accounts.ProtocolError{Protocol: upper(s.protocol), Addr: s.addr(), Err: err}
	case errors.Is(s.ctx.Err(), context.DeadlineExceeded):
		return &accounts.ConnectError{Protocol: upper(s.protocol), Addr: s.addr(), Err: errTimeout}
	case s.ctx.Err() != nil:
		return &accounts.ConnectError{Protocol: upper(s.protocol), Addr: s.addr(), Err: s.ctx.Err()}
	}
	return &accounts.ConnectError{Protocol: upper(s.protocol), Addr: s.addr(), Err: err}
}

func (s *session) evidence() Evidence {
	ev := Evidence{Addr: s.addr(), Security: s.ep.Security, Elapsed: time.Since(s.start)}
	s.tls.fill(&ev)
	return ev
}

func (s *session) security(problem string) error {
	return &SecurityError{Protocol: upper(s.protocol), Addr: s.addr(), Problem: problem}
}

// imapOpen connects to an IMAP server, secures the connection as the
// endpoint says and reads the greeting and the capabilities.
func (s *session) imapOpen() (*imapclient.Client, imap.CapSet, error) {
	if err := s.dial(); err != nil {
		return nil, nil, err
	}
	cfg := s.cfg.tlsConfig(s.ep.Host, s.ep.Port, s.pin, &s.tls)
	// Every connection reads through imapguard, as the sync engine's do:
	// unknown responses are dropped, sizes bounded, and STARTTLS is strict.
	var cl *imapclient.Client
	switch s.ep.Security {
	case accounts.SecurityTLS:
		tc := tls.Client(s.conn, cfg)
		if err := tc.HandshakeContext(s.ctx); err != nil {
			return nil, nil, s.fail(err)
		}
		cl = imapclient.New(imapguard.New(tc), nil)
	case accounts.SecuritySTARTTLS:
		tc, err := imapguard.StartTLS(s.conn, cfg)
		if err != nil {
			var re *imapguard.RefusedError
			if errors.As(err, &re) {
				return nil, nil, s.security("does not offer STARTTLS")
			}
			return nil, nil, s.fail(err)
		}
		cl = imapclient.New(imapguard.NewAfterStartTLS(tc), nil)
	case accounts.SecurityNone:
		cl = imapclient.New(imapguard.New(s.conn), nil)
	default:
		return nil, nil, fmt.Errorf("unknown security %q for %s", s.ep.Security, s.addr())
	}
	if err := cl.WaitGreeting(); err != nil {
		cl.Close()
		return nil, nil, s.fail(err)
	}
	caps, err := cl.Capability().Wait()
	if err != nil {
		cl.Close()
		return nil, nil, s.fail(err)
	}
	return cl, caps, nil
}

func imapMechanisms(caps imap.CapSet) []string {
	var mechs []string
	for c := range caps {
		if m, ok := strings.CutPrefix(strings.ToUpper(string(c)), "AUTH="); ok {
			mechs = append(mechs, m)
		}
	}
	slices.Sort(mechs)
	if !caps.Has(imap.CapLoginDisabled) {
		mechs = append(mechs, "LOGIN")
	}
	return mechs
}

// probeIMAP checks an IMAP server without logging in.
func (c *config) probeIMAP(ctx context.Context, ep accounts.Endpoint) (Evidence, error) {
	s := c.newSession(ctx, ProtocolIMAP, ep, "")
	defer s.close()
	cl, caps, err := s.imapOpen()
	if err != nil {
		return s.evidence(), err
	}
	defer cl.Close()
	ev := s.evidence()
	ev.AuthMechanisms = imapMechanisms(caps)
	if caps.Has(imap.CapLoginDisabled) && !caps.Has(imap.AuthCap(sasl.Plain)) {
		return ev, s.security("allows no password login (LOGINDISABLED)")
	}
	logout(cl)
	ev.Elapsed = time.Since(s.start)
	return ev, nil
}

// logout says goodbye without waiting long.
func logout(cl *imapclient.Client) {
	done := make(chan struct{})
	goroutine.Go("autoconfig: logout", nil, func() {
		defer close(done)
		cl.Logout().Wait()
	})
	select {
	case <-done:
	case <-time.After(time.Second):
	}
}

// smtpOpen connects to an SMTP server, secures the connection and sends
// EHLO. STARTTLS is strict: a server without it is an error.
func (s *session) smtpOpen() (*smtp.Client, error) {
	if err := s.dial(); err != nil {
		return nil, err
	}
	cfg := s.cfg.tlsConfig(s.ep.Host, s.ep.Port, s.pin, &s.tls)
	var cl *smtp.Client
	switch s.ep.Security {
	case accounts.SecurityTLS:
		tc := tls.Client(s.conn, cfg)
		if err := tc.HandshakeContext(s.ctx); err != nil {
			return nil, s.fail(err)
		}
		cl = smtp.NewClient(tc)
	case accounts.SecuritySTARTTLS:
		var err error
		cl, err = smtp.NewClientStartTLS(s.conn, cfg)
		if err != nil {
			if strings.Contains(err.Error(), "support STARTTLS") {
				return nil, s.security("does not offer STARTTLS")
			}
			return nil, s.fail(err)
		}
	case accounts.SecurityNone:
		cl = smtp.NewClient(s.conn)
	default:
		return nil, fmt.Errorf("unknown security %q for %s", s.ep.Security, s.addr())
	}
	cl.CommandTimeout = s.cfg.timeout
	// EHLO (again, after STARTTLS); this also completes the TLS handshake.
	if err := cl.Hello("localhost"); err != nil {
		cl.Close()
		return nil, s.fail(err)
	}
	return cl, nil
}

// smtpMechanisms returns the AUTH mechanisms the server offers.
func smtpMechanisms(cl *smtp.Client) ([]string, bool) {
	ok, param := cl.Extension("AUTH")
	if !ok {
		return nil, false
	}
	var mechs []string
	for _, m := range strings.Fields(param) {
		mechs = append(mechs, strings.ToUpper(m))
	}
	return mechs, true
}

// noAuth says what is missing when an SMTP server offers no AUTH.
func (s *session) noAuth() error {
	if s.ep.Security == accounts.SecuritySTARTTLS {
		return s.security("does not offer AUTH after STARTTLS")
	}
	return s.security("does not offer AUTH")
}

// probeSMTP checks an SMTP server without logging in or sending mail.
func (c *config) probeSMTP(ctx context.Context, ep accounts.Endpoint) (Evidence, error) {
	s := c.newSession(ctx, ProtocolSMTP, ep, "")
	defer s.close()
	cl, err := s.smtpOpen()
	if err != nil {
		return s.evidence(), err
	}
	defer cl.Close()
	mechs, ok := smtpMechanisms(cl)
	ev := s.evidence()
	ev.AuthMechanisms = mechs
	if !ok {
		return ev, s.noAuth()
	}
	if !slices.Contains(mechs, sasl.Plain) && !slices.Contains(mechs, sasl.Login) {
		return ev, s.security("offers only AUTH " + strings.Join(mechs, " ") + ", which Tern does not support")
	}
	cl.Quit()
	ev.Elapsed = time.Since(s.start)
	return ev, nil
}
