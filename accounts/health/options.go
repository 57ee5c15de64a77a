package health

import (
	"context"
	"crypto/x509"
	"net"
	"time"
)

// DefaultTimeout bounds one connection of a check when Options.Timeout is 0.
const DefaultTimeout = 15 * time.Second

// Resolver looks up host names. *net.Resolver implements it.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// Options tunes a check. A nil *Options, and every zero field, means the
// real network and the defaults.
type Options struct {
	// Username and Password sign in; an empty Password skips the sign-in
	// step.
	Username, Password string
	// Pin is the fingerprint the account pinned for this server, or "".
	Pin string
	// Resolver resolves host names; nil means net.DefaultResolver.
	Resolver Resolver
	// Dial opens connections; nil means a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// PortMap returns the address to dial for host:port, or "" for
	// host:port itself (tests point a name at a loopback port with it).
	PortMap func(host string, port int) string
	// Roots replaces the system roots for certificate verification.
	Roots *x509.CertPool
	// Timeout bounds one connection; 0 means DefaultTimeout.
	Timeout time.Duration
	// NoAlternates skips probing the other security or port of the same
	// server after a failure.
	NoAlternates bool
	// Trace, when not nil, receives the protocol exchanges of every
	// connection, redacted.
	Trace *Trace
}

func (o *Options) orDefault() *Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Resolver == nil {
		c.Resolver = net.DefaultResolver
	}
	if c.Dial == nil {
		var d net.Dialer
		c.Dial = d.DialContext
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	return &c
}

func (o *Options) addr(host string, port int) string {
	if o.PortMap != nil {
		if a := o.PortMap(host, port); a != "" {
			return a
		}
	}
	return net.JoinHostPort(host, itoa(port))
}
