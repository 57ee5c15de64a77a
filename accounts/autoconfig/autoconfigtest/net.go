// Package autoconfigtest is a small fake Internet on 127.0.0.1 for testing
// server discovery offline: a DNS server, HTTPS and HTTP web servers, a
// certificate authority, and TLS fronts that put a certificate for any host
// name in front of a local plaintext mail server. Net.Options wires them
// into autoconfig.Options.
package autoconfigtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/miekg/dns"

	"github.com/ternmail/tern/accounts/autoconfig"
	"github.com/ternmail/tern/internal/goroutine"
)

// Net is a fake network. Its methods are safe for concurrent use.
type Net struct {
	// Roots trusts the Net's certificate authority.
	Roots *x509.CertPool
	// DNSAddr is the UDP address of the DNS server.
	DNSAddr string

	t     testing.TB
	ca    *x509.Certificate
	caKey *ecdsa.PrivateKey

	mu      sync.Mutex
	a       map[string]bool
	mx      map[string][]*net.MX
	srv     map[string][]*net.SRV
	hangDNS map[string]bool
	failDNS map[string]bool
	offline bool
	ports   map[string]string
	pages   map[string]page
	certs   map[string]*tls.Certificate

	httpsAddr, httpAddr string
	stop                chan struct{}
}

type page struct {
	body string
	hang bool
}

// New starts a Net; everything stops when the test ends.
func New(t testing.TB) *Net {
	t.Helper()
	n := &Net{
		t: t, a: map[string]bool{}, mx: map[string][]*net.MX{}, srv: map[string][]*net.SRV{},
		hangDNS: map[string]bool{}, failDNS: map[string]bool{}, ports: map[string]string{}, pages: map[string]page{},
		certs: map[string]*tls.Certificate{}, stop: make(chan struct{}),
	}
	t.Cleanup(func() { close(n.stop) })
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "autoconfigtest CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	n.ca, _ = x509.ParseCertificate(der)
	n.caKey = key
	n.Roots = x509.NewCertPool()
	n.Roots.AddCert(n.ca)

	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ds := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(n.serveDNS)}
	goroutine.Go("autoconfigtest: dns", quiet, func() { ds.ActivateAndServe() })
	t.Cleanup(func() { ds.Shutdown() })
	n.DNSAddr = pc.LocalAddr().String()

	https := httptest.NewUnstartedServer(http.HandlerFunc(n.serveHTTP))
	https.TLS = &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		c := n.Cert(h.ServerName)
		return &c, nil
	}}
	https.StartTLS()
	t.Cleanup(https.Close)
	n.httpsAddr = https.Listener.Addr().String()
	plain := httptest.NewServer(http.HandlerFunc(n.serveHTTP))
	t.Cleanup(plain.Close)
	n.httpAddr = plain.Listener.Addr().String()
	return n
}

// Options returns discovery options that use only this Net: its DNS
// server, its port map, its roots, and its dialer (Net.Dial).
func (n *Net) Options() *autoconfig.Options {
	return &autoconfig.Options{
		Resolver: n.Resolver(),
		Dial:     n.Dial,
		PortMap:  n.PortMap,
		Roots:    n.Roots,
		Budget:   5 * time.Second,
		Timeout:  3 * time.Second,
	}
}

// Resolver returns a resolver that asks only the Net's DNS server (and
// fails as a machine without a network does while the Net is offline).
func (n *Net) Resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		if n.isOffline() {
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ENETUNREACH}
		}
		var d net.Dialer
		return d.DialContext(ctx, "udp", n.DNSAddr)
	}}
}

// Dial dials like a machine on this Net: a host name is looked up in the
// Net's DNS (a name without an address fails as net.Dialer does, with a
// *net.DNSError), and only loopback addresses are reached. A name that
// resolves reaches nothing (connection refused): only Map makes a server
// reachable, through the port map, so a test never touches a real server
// on this machine's well-known ports. While the Net is offline every dial
// fails with "network is unreachable".
func (n *Net) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if n.isOffline() {
		return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ENETUNREACH}
	}
	if net.ParseIP(host) == nil {
		if _, err := n.Resolver().LookupHost(ctx, host); err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
		return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
	}
	return Dial(ctx, network, addr)
}

// Dial dials loopback addresses only; anything else is refused at once.
func Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// SetOffline takes the Net's network down (true) or brings it back: while
// it is down, DNS queries and connections fail as on a machine whose
// network is unreachable.
func (n *Net) SetOffline(offline bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.offline = offline
}

func (n *Net) isOffline() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.offline
}

// PortMap returns the local address serving host:port, or "".
func (n *Net) PortMap(host string, port int) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ports[strings.ToLower(net.JoinHostPort(host, strconv.Itoa(port)))]
}

// Map makes host:port reach addr.
func (n *Net) Map(host string, port int, addr string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.ports[strings.ToLower(net.JoinHostPort(host, strconv.Itoa(port)))] = addr
}

// A makes names resolve to 127.0.0.1.
func (n *Net) A(names ...string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, name := range names {
		n.a[strings.ToLower(name)] = true
	}
}

// MX adds an MX record.
func (n *Net) MX(domain string, pref uint16, host string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mx[strings.ToLower(domain)] = append(n.mx[strings.ToLower(domain)], &net.MX{Host: host, Pref: pref})
}

// SRV adds a record for _service._tcp.domain; target "." means "not offered".
func (n *Net) SRV(service, domain string, priority, weight, port uint16, target string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	name := "_" + service + "._tcp." + strings.ToLower(domain)
	n.srv[name] = append(n.srv[name], &net.SRV{Target: target, Port: port, Priority: priority, Weight: weight})
}

// HangDNS makes the DNS server never answer queries for name.
func (n *Net) HangDNS(name string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.hangDNS[strings.ToLower(name)] = true
}

// ServFail makes the DNS server answer SERVFAIL to every query for names
// (a resolver that cannot reach the Internet answers so), or to every query
// at all when names is empty.
func (n *Net) ServFail(names ...string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(names) == 0 {
		n.failDNS[""] = true
	}
	for _, name := range names {
		n.failDNS[strings.ToLower(name)] = true
	}
}

// Page serves body at rawURL (http or https; the query is ignored).
func (n *Net) Page(rawURL, body string) { n.addPage(rawURL, page{body: body}) }

// HangPage makes rawURL never answer (until the client gives up).
func (n *Net) HangPage(rawURL string) { n.addPage(rawURL, page{hang: true}) }

func (n *Net) addPage(rawURL string, p page) {
	u, err := url.Parse(rawURL)
	if err != nil {
		n.t.Fatal(err)
	}
	host := strings.ToLower(u.Hostname())
	n.mu.Lock()
	n.pages[host+u.EscapedPath()] = p
	n.mu.Unlock()
	if u.Scheme == "https" {
		n.Map(host, 443, n.httpsAddr)
	} else {
		n.Map(host, 80, n.httpAddr)
	}
}

func (n *Net) serveHTTP(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	n.mu.Lock()
	p, ok := n.pages[strings.ToLower(host)+r.URL.EscapedPath()]
	n.mu.Unlock()
	switch {
	case !ok:
		http.NotFound(w, r)
	case p.hang:
		select {
		case <-r.Context().Done():
		case <-n.stop:
		}
	default:
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, p.body)
	}
}

func (n *Net) serveDNS(w dns.ResponseWriter, r *dns.Msg) {
	if len(r.Question) != 1 {
		return
	}
	q := r.Question[0]
	name := strings.ToLower(strings.TrimSuffix(q.Name, "."))
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: q.Name, Rrtype: t, Class: dns.ClassINET, Ttl: 60}
	}
	n.mu.Lock()
	hang := n.hangDNS[name]
	fail := n.failDNS[name] || n.failDNS[""]
	exists := n.a[name] || len(n.mx[name]) > 0 || len(n.srv[name]) > 0
	switch q.Qtype {
	case dns.TypeA:
		if n.a[name] {
			m.Answer = append(m.Answer, &dns.A{Hdr: hdr(dns.TypeA), A: net.IPv4(127, 0, 0, 1)})
		}
	case dns.TypeMX:
		for _, mx := range n.mx[name] {
			m.Answer = append(m.Answer, &dns.MX{Hdr: hdr(dns.TypeMX), Preference: mx.Pref, Mx: dns.Fqdn(mx.Host)})
		}
	case dns.TypeSRV:
		for _, s := range n.srv[name] {
			m.Answer = append(m.Answer, &dns.SRV{Hdr: hdr(dns.TypeSRV), Priority: s.Priority, Weight: s.Weight, Port: s.Port, Target: dns.Fqdn(s.Target)})
		}
	}
	n.mu.Unlock()
	if hang {
		return
	}
	if fail {
		m.Answer = nil
		m.Rcode = dns.RcodeServerFailure
	} else if !exists {
		m.Rcode = dns.RcodeNameError
	}
	w.WriteMsg(m)
}

// Cert returns a certificate for hosts signed by the Net's authority.
func (n *Net) Cert(hosts ...string) tls.Certificate {
	key := strings.Join(hosts, ",")
	n.mu.Lock()
	defer n.mu.Unlock()
	if c, ok := n.certs[key]; ok {
		return *c
	}
	c := n.issue(hosts, n.ca, n.caKey)
	n.certs[key] = &c
	return c
}

// SelfSigned returns a self-signed certificate for hosts and its
// fingerprint.
func (n *Net) SelfSigned(hosts ...string) (tls.Certificate, string) {
	c := n.issue(hosts, nil, nil)
	sum := sha256.Sum256(c.Certificate[0])
	return c, "SHA256:" + strings.ToUpper(hex.EncodeToString(sum[:]))
}

func (n *Net) issue(hosts []string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		n.t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	signer, signerKey := parent, parentKey
	if signer == nil {
		signer, signerKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		n.t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TLSFront serves implicit TLS for host:port with cert, forwarding the
// plaintext to backend, and maps host:port to it.
func (n *Net) TLSFront(host string, port int, backend string, cert tls.Certificate) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		n.t.Fatal(err)
	}
	n.t.Cleanup(func() { ln.Close() })
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	goroutine.Go("autoconfigtest: front", quiet, func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			goroutine.Go("autoconfigtest: forward", quiet, func() { n.forward(tls.Server(c, cfg), backend) })
		}
	})
	n.Map(host, port, ln.Addr().String())
}

// Front is TLSFront with a certificate for host from the Net's authority.
func (n *Net) Front(host string, port int, backend string) {
	n.TLSFront(host, port, backend, n.Cert(host))
}

func (n *Net) forward(c net.Conn, backend string) {
	defer c.Close()
	b, err := net.Dial("tcp", backend)
	if err != nil {
		return
	}
	defer b.Close()
	done := make(chan struct{}, 2)
	goroutine.Go("autoconfigtest: copy", quiet, func() {
		defer func() { done <- struct{}{} }()
		io.Copy(b, c)
	})
	goroutine.Go("autoconfigtest: copy", quiet, func() {
		defer func() { done <- struct{}{} }()
		io.Copy(c, b)
	})
	select {
	case <-done:
	case <-n.stop:
	}
}

// Closed returns a loopback address where nothing listens.
func Closed(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// SMTPWithoutAuth starts an SMTP server with STARTTLS (certificate for
// host) that offers no AUTH, and maps host:port to it.
func (n *Net) SMTPWithoutAuth(host string, port int) {
	n.serveSMTP(host, port, func() smtp.Session { return noAuthSession{} })
}

// serveSMTP starts an SMTP server with STARTTLS (certificate for host)
// whose sessions come from session, and maps host:port to it.
func (n *Net) serveSMTP(host string, port int, session func() smtp.Session) {
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return session(), nil
	}))
	s.Domain = host
	cert := n.Cert(host)
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		n.t.Fatal(err)
	}
	goroutine.Go("autoconfigtest: smtp", quiet, func() { s.Serve(ln) })
	n.t.Cleanup(func() { s.Close() })
	n.Map(host, port, ln.Addr().String())
}

// noAuthSession is an SMTP session without AUTH that refuses all mail.
type noAuthSession struct{}

func (noAuthSession) Mail(string, *smtp.MailOptions) error { return errors.New("no relaying") }
func (noAuthSession) Rcpt(string, *smtp.RcptOptions) error { return errors.New("no relaying") }
func (noAuthSession) Data(io.Reader) error                 { return errors.New("no relaying") }
func (noAuthSession) Reset()                               {}
func (noAuthSession) Logout() error                        { return nil }

// SMTPRefusingAuth starts an SMTP server with STARTTLS (certificate for
// host) that offers AUTH PLAIN and LOGIN and answers every AUTH with code,
// the enhanced code enh and msg; it maps host:port to it.
func (n *Net) SMTPRefusingAuth(host string, port int, code int, enh smtp.EnhancedCode, msg string) {
	refusal := &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: msg}
	n.serveSMTP(host, port, func() smtp.Session { return refusingSession{err: refusal} })
}

// refusingSession offers AUTH and refuses it with err.
type refusingSession struct {
	noAuthSession
	err *smtp.SMTPError
}

func (r refusingSession) AuthMechanisms() []string { return []string{sasl.Plain, sasl.Login} }

func (r refusingSession) Auth(string) (sasl.Server, error) { return refusingSASL{r.err}, nil }

// refusingSASL refuses the first response.
type refusingSASL struct{ err error }

func (r refusingSASL) Next([]byte) ([]byte, bool, error) { return nil, false, r.err }

// SMTPWithAuth starts an SMTP server with STARTTLS (certificate for host)
// that offers AUTH PLAIN after STARTTLS and accepts user with password
// (it relays no mail); it maps host:port to it.
func (n *Net) SMTPWithAuth(host string, port int, user, password string) {
	n.serveSMTP(host, port, func() smtp.Session { return &authSession{user: user, password: password} })
}

// authSession accepts AUTH PLAIN for one user and refuses all mail.
type authSession struct {
	noAuthSession
	user, password string
}

func (a *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (a *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != a.user || password != a.password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		return nil
	}), nil
}

// quiet drops the panics of the test servers' goroutines, as the servers
// always have: a test sees its server fail through its own checks.
func quiet(string, ...any) {}
