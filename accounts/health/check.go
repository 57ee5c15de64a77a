package health

import (
	"context"
	"crypto/tls"
	"net"
	"time"

	"github.com/ternmail/tern/accounts"
)

// steps runs a protocol's steps on a probe whose connection is open and
// traced: TLS or STARTTLS, greeting, capabilities, sign-in and what else
// the protocol has. It reports whether a TLS handshake met plaintext and
// whether the server never said anything, which tell alternates what to
// probe.
type steps func(p *probe, ctx context.Context) (plainOnTLS, silent bool)

// check is the frame of CheckIMAP and CheckSMTP: it resolves and connects,
// runs the protocol's steps, and, after a failure, probes the other
// settings of the same server (without signing in) and diagnoses from
// what answers.
func check(ctx context.Context, proto string, run steps, ep accounts.Endpoint, opts *Options) *Server {
	o := opts.orDefault()
	srv := &Server{Protocol: proto, Endpoint: ep}
	p := &probe{o: o, srv: srv, proto: proto, ep: ep}
	defer p.close()
	var plainOnTLS, silent bool
	if p.resolve(ctx) && p.connect(ctx) {
		p.tr = o.Trace.open(proto, ep)
		plainOnTLS, silent = run(p, ctx)
	}
	if srv.Failed() && !o.NoAlternates {
		p.close()
		quiet := *o
		quiet.Password, quiet.NoAlternates = "", true
		alternates(ctx, srv, plainOnTLS, silent, func(alt accounts.Endpoint) *Server {
			return check(ctx, proto, run, alt, &quiet)
		})
	}
	return srv
}

// implicitTLS runs the TLS step of a TLS-from-the-first-byte port: the
// handshake on the raw connection. It returns the TLS connection, or nil
// with whether the server answered in plaintext or not at all.
func (p *probe) implicitTLS(ctx context.Context, cfg *tls.Config) (tc net.Conn, plainOnTLS, silent bool) {
	start := time.Now()
	c := tls.Client(p.raw, cfg)
	if err := c.HandshakeContext(ctx); err != nil {
		silent, plainOnTLS = p.silent(err), isPlaintext(err)
		p.tlsDone(start, handshakeErr(err, silent, plainOnTLS))
		return nil, plainOnTLS, silent
	}
	p.tlsDone(start, nil)
	return c, false, false
}

// noTLS records the TLS step of a server set to no encryption.
func (p *probe) noTLS() {
	p.srv.add(StepTLS, StatusWarn, 0, "none: the password and your mail cross the network unencrypted")
}
