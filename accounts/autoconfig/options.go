package autoconfig

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ternmail/tern/accounts"
)

// Default limits used when Options leaves them zero.
const (
	// DefaultBudget bounds a whole Discover call.
	DefaultBudget = 10 * time.Second
	// DefaultTimeout bounds one connection (a probe or a login).
	DefaultTimeout = 15 * time.Second
)

// maxConcurrentProbes bounds the probes running at once.
const maxConcurrentProbes = 16

// maxDocument bounds the size of a downloaded config-v1.1.xml.
const maxDocument = 1 << 20

// Resolver looks up DNS records. *net.Resolver implements it.
type Resolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) (cname string, addrs []*net.SRV, err error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupHost(ctx context.Context, host string) (addrs []string, err error)
}

// Options tunes Discover and Verify. A nil *Options, and every zero field,
// means the real network and the defaults.
type Options struct {
	// Resolver answers DNS queries; nil means net.DefaultResolver.
	Resolver Resolver
	// HTTPClient fetches autoconfig documents; nil means a client that dials
	// through Dial and PortMap, trusts Roots, and refuses redirects from
	// HTTPS to HTTP.
	HTTPClient *http.Client
	// Dial opens connections; nil means a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// PortMap returns the address to dial for host:port, or "" for
	// host:port itself. TLS still verifies the certificate for host. Tests
	// use it to point imap.example.test:993 at 127.0.0.1:NNNN.
	PortMap func(host string, port int) string
	// Roots replaces the system roots for certificate verification.
	Roots *x509.CertPool
	// AcceptCerts are the certificates the user chose to trust, by server:
	// "host:port" → fingerprint ("SHA256:HEX"). A certificate is accepted
	// only on the server it is listed for; the same certificate elsewhere,
	// or another one there, must verify or be accepted on its own.
	AcceptCerts map[string]string
	// Budget bounds a whole Discover call; 0 means DefaultBudget.
	Budget time.Duration
	// Timeout bounds one connection; 0 means DefaultTimeout.
	Timeout time.Duration
	// Logf receives diagnostics (never a password); nil discards them.
	Logf func(format string, args ...any)

	// budgetEnd, when closed, ends the budget early (tests: see
	// WithBudgetEnd in export_test.go).
	budgetEnd <-chan struct{}
}

// config is Options with the defaults filled in.
type config struct {
	resolver Resolver
	http     *http.Client
	dialer   func(ctx context.Context, network, addr string) (net.Conn, error)
	portMap  func(host string, port int) string
	roots    *x509.CertPool
	accept   map[string]string // pinKey(host, port) → fingerprint
	budget   time.Duration
	// budgetEnd, when closed, ends the budget before its time.
	budgetEnd <-chan struct{}
	timeout   time.Duration
	logf      func(format string, args ...any)
}

func (o *Options) config() *config {
	var opts Options
	if o != nil {
		opts = *o
	}
	c := &config{
		resolver:  opts.Resolver,
		http:      opts.HTTPClient,
		dialer:    opts.Dial,
		portMap:   opts.PortMap,
		roots:     opts.Roots,
		accept:    map[string]string{},
		budget:    opts.Budget,
		budgetEnd: opts.budgetEnd,
		timeout:   opts.Timeout,
		logf:      opts.Logf,
	}
	if c.resolver == nil {
		c.resolver = net.DefaultResolver
	}
	if c.dialer == nil {
		d := &net.Dialer{}
		c.dialer = d.DialContext
	}
	if c.budget <= 0 {
		c.budget = DefaultBudget
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.logf == nil {
		c.logf = func(string, ...any) {}
	}
	for addr, fp := range opts.AcceptCerts {
		host, portStr, err := net.SplitHostPort(addr)
		port, perr := strconv.Atoi(portStr)
		n, ferr := accounts.NormalizeFingerprint(fp)
		if err == nil && perr == nil && ferr == nil {
			c.accept[acceptKey(host, port)] = n
		}
	}
	if c.http == nil {
		c.http = c.defaultHTTPClient(opts.PortMap == nil)
	}
	return c
}

// defaultHTTPClient dials through the configured dialer and port map.
func (c *config) defaultHTTPClient(useProxy bool) *http.Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, portStr, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			port, _ := strconv.Atoi(portStr)
			return c.dialer(ctx, network, c.mapAddr(host, port))
		},
		TLSClientConfig:       &tls.Config{RootCAs: c.roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   c.timeout,
		ResponseHeaderTimeout: c.timeout,
		MaxIdleConnsPerHost:   1,
		DisableKeepAlives:     true,
	}
	if useProxy {
		tr.Proxy = http.ProxyFromEnvironment
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
				return fmt.Errorf("refusing a redirect from HTTPS to %s", req.URL.Redacted())
			}
			return nil
		},
	}
}

// mapAddr returns the address to dial for host:port.
func (c *config) mapAddr(host string, port int) string {
	if c.portMap != nil {
		if a := c.portMap(host, port); a != "" {
			return a
		}
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// connTimeout returns the deadline for one connection: the timeout, or
// ctx's deadline when that is sooner.
func (c *config) deadline(ctx context.Context) time.Time {
	d := time.Now().Add(c.timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		return cd
	}
	return d
}

// acceptKey is the key of Options.AcceptCerts and config.accept for
// host:port (host in lower case, without a trailing dot).
func acceptKey(host string, port int) string {
	return net.JoinHostPort(strings.TrimSuffix(strings.ToLower(host), "."), strconv.Itoa(port))
}
