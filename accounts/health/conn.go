package health

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ternmail/tern/accounts"
)

func itoa(n int) string { return strconv.Itoa(n) }

// countConn counts the bytes read, so that a timeout tells "accepted and
// said nothing" from "stopped half way".
type countConn struct {
	net.Conn
	read atomic.Int64
}

func (c *countConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// probe is one connection of a check.
type probe struct {
	o     *Options
	srv   *Server
	proto string
	ep    accounts.Endpoint
	raw   *countConn
	ctx   context.Context
	stop  func() bool
	tr    *connTrace

	mu    sync.Mutex // guards state: the handshake may run on another goroutine
	state *tls.ConnectionState
	cerr  *accounts.CertError
}

// resolve runs the resolve step; false when it failed.
func (p *probe) resolve(ctx context.Context) bool {
	start := time.Now()
	host := p.ep.Host
	if ip := net.ParseIP(host); ip != nil {
		p.srv.Addresses = []string{ip.String()}
		p.srv.add(StepResolve, StatusOK, 0, host+" is an address")
		return true
	}
	addrs, err := p.o.Resolver.LookupHost(ctx, host)
	if err != nil {
		p.srv.add(StepResolve, StatusFail, time.Since(start), accounts.Explain(err))
		p.srv.Err = &accounts.ConnectError{Protocol: p.proto, Addr: p.ep.Addr(), Err: err}
		p.srv.diagnose(Diagnosis{Code: DiagNoHost, Summary: "The server name " + host + " does not resolve.",
			Evidence: accounts.Explain(err), Fix: "Check the spelling of the server name, and that this computer is online."})
		return false
	}
	p.srv.Addresses = addrs
	p.srv.add(StepResolve, StatusOK, time.Since(start), fmt.Sprintf("%s has %d address(es): %s", host, len(addrs), joinMax(addrs, 4)))
	return true
}

// connect runs the connect step and arms the connection's deadline.
func (p *probe) connect(ctx context.Context) bool {
	start := time.Now()
	dctx, cancel := context.WithTimeout(ctx, p.o.Timeout)
	defer cancel()
	c, err := p.o.Dial(dctx, "tcp", p.o.addr(p.ep.Host, p.ep.Port))
	if err != nil {
		if dctx.Err() != nil && ctx.Err() == nil {
			err = accounts.ErrTimeout
		}
		p.srv.add(StepConnect, StatusFail, time.Since(start), accounts.Explain(err))
		p.srv.Err = &accounts.ConnectError{Protocol: p.proto, Addr: p.ep.Addr(), Err: err}
		return false
	}
	p.raw = &countConn{Conn: c}
	p.raw.SetDeadline(time.Now().Add(p.o.Timeout))
	p.stop = context.AfterFunc(ctx, func() { c.Close() })
	p.srv.add(StepConnect, StatusOK, time.Since(start), "connected to "+c.RemoteAddr().String())
	return true
}

func (p *probe) close() {
	if p.stop != nil {
		p.stop()
	}
	if p.raw != nil {
		p.raw.Close()
	}
}

// tlsConfig verifies the certificate as the sync engine does (roots, then
// the pin) and records what the handshake saw.
func (p *probe) tlsConfig() *tls.Config {
	cfg := accounts.TLSConfig(p.ep.Host, p.ep.Port, p.o.Pin, p.o.Roots)
	verify := cfg.VerifyConnection
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		err := verify(cs)
		p.mu.Lock()
		defer p.mu.Unlock()
		p.state = &cs
		errors.As(err, &p.cerr)
		return err
	}
	return cfg
}

// tlsDone records the TLS step from what the handshake saw.
func (p *probe) tlsDone(start time.Time, err error) bool {
	p.mu.Lock()
	cs, ce := p.state, p.cerr
	p.mu.Unlock()
	if cs != nil && len(cs.PeerCertificates) > 0 {
		leaf := cs.PeerCertificates[0]
		info := &TLSInfo{Version: tls.VersionName(cs.Version), Subject: leaf.Subject.String(), Issuer: leaf.Issuer.String(),
			NotAfter: leaf.NotAfter, ExpiresInDays: int(time.Until(leaf.NotAfter).Hours() / 24),
			HostnameMatch: leaf.VerifyHostname(p.ep.Host) == nil, SHA256: accounts.Fingerprint(leaf)}
		info.Verified = verified(leaf, cs.PeerCertificates[1:], p.ep.Host, p.o.Roots)
		info.Pinned = !info.Verified && err == nil && ce == nil
		p.srv.TLS = info
	}
	if err != nil {
		p.srv.add(StepTLS, StatusFail, time.Since(start), oneLine(err))
		p.srv.Err = p.wrap(err)
		if ce != nil {
			p.certDiagnosis(ce)
		}
		return false
	}
	t := p.srv.TLS
	detail := t.Version + ", certificate for " + t.Subject + " from " + t.Issuer
	st := StatusOK
	switch {
	case t.Pinned:
		detail += ", not trusted but pinned by you"
	case t.ExpiresInDays < 14:
		st = StatusWarn
		detail += fmt.Sprintf(", expires in %d days", t.ExpiresInDays)
	default:
		detail += fmt.Sprintf(", valid for %d more days", t.ExpiresInDays)
	}
	p.srv.add(StepTLS, st, time.Since(start), detail)
	return true
}

func verified(leaf *x509.Certificate, chain []*x509.Certificate, host string, roots *x509.CertPool) bool {
	inter := x509.NewCertPool()
	for _, c := range chain {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter})
	return err == nil
}

func (p *probe) certDiagnosis(ce *accounts.CertError) {
	act := &Action{Kind: ActionReviewCert, Label: "Review and trust this certificate", Fingerprint: ce.SHA256}
	ev := fmt.Sprintf("certificate %s (issued by %s, valid %s to %s): %s",
		ce.Subject, ce.Issuer, ce.NotBefore.UTC().Format("2006-01-02"), ce.NotAfter.UTC().Format("2006-01-02"), ce.Reason)
	switch {
	case contains(ce.Reason, "expired"):
		p.srv.diagnose(Diagnosis{Code: DiagCertExpired, Evidence: ev,
			Summary: fmt.Sprintf("The server's certificate expired on %s.", ce.NotAfter.UTC().Format("2006-01-02")),
			Fix:     "Ask the provider to renew it. Trust it only if you know the server is yours; the fingerprint is " + ce.SHA256 + ".",
			Action:  act})
	case contains(ce.Reason, "not yet valid"):
		p.srv.diagnose(Diagnosis{Code: DiagCertNotYetValid, Evidence: ev,
			Summary: fmt.Sprintf("The server's certificate is valid only from %s; this computer's clock says %s.", ce.NotBefore.UTC().Format(time.RFC3339), time.Now().UTC().Format(time.RFC3339)),
			Fix:     "Check this computer's date and time; if they are right, the server's certificate is wrong."})
	}
	if contains(ce.Reason, "not valid for host") {
		p.srv.diagnose(Diagnosis{Code: DiagCertWrongName, Evidence: ev,
			Summary: "The server's certificate is for another name than " + p.ep.Host + ".",
			Fix:     "Use the server name the certificate is for, if the provider documents it; trust this one only if you know the server is yours.",
			Action:  act})
	}
	if contains(ce.Reason, "self-signed") || contains(ce.Reason, "unknown authority") {
		p.srv.diagnose(Diagnosis{Code: DiagCertUntrusted, Evidence: ev,
			Summary: "The server's certificate is not signed by an authority this computer trusts (" + ce.Reason + ").",
			Fix:     "Compare the fingerprint " + ce.SHA256 + " with the one your provider publishes, then trust it.",
			Action:  act})
	}
}

// wrap puts err into the accounts vocabulary for this server.
func (p *probe) wrap(err error) error {
	var ce *accounts.CertError
	var ae *accounts.AuthError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ae):
		return err
	case errors.As(err, &ne) && ne.Timeout():
		return &accounts.ConnectError{Protocol: p.proto, Addr: p.ep.Addr(), Err: fmt.Errorf("%w: %w", accounts.ErrTimeout, err)}
	}
	return &accounts.ConnectError{Protocol: p.proto, Addr: p.ep.Addr(), Err: err}
}

// silent reports whether err is a timeout on a connection the server never
// wrote a byte to.
func (p *probe) silent(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() && p.raw.read.Load() == 0
}

// oneLine says what err means in a line: the step's own words, then the
// plain-word explanation of the error beneath.
func oneLine(err error) string {
	var se *stepError
	if errors.As(err, &se) {
		return se.msg + ": " + accounts.Explain(se.err)
	}
	return accounts.Explain(err)
}
