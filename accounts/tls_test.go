package accounts

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

const testHost = "mail.example.test"

type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

type certSpec struct {
	cn        string
	dnsNames  []string
	isCA      bool
	notBefore time.Time
	notAfter  time.Time
	parent    *testCert // nil: self-signed
}

func newTestCert(t *testing.T, s certSpec) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	if s.notBefore.IsZero() {
		s.notBefore = time.Now().Add(-time.Hour)
	}
	if s.notAfter.IsZero() {
		s.notAfter = time.Now().Add(24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: s.cn},
		DNSNames:              s.dnsNames,
		NotBefore:             s.notBefore,
		NotAfter:              s.notAfter,
		BasicConstraintsValid: true,
		IsCA:                  s.isCA,
	}
	if s.isCA {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	parent, signer := tmpl, key
	if s.parent != nil {
		parent, signer = s.parent.cert, s.parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{cert: cert, key: key}
}

// serveTLS starts a TLS server on 127.0.0.1:0 presenting chain (leaf first)
// and returns its address.
func serveTLS(t *testing.T, maxVersion uint16, chain ...*testCert) string {
	t.Helper()
	tc := tls.Certificate{PrivateKey: chain[0].key, Leaf: chain[0].cert}
	for _, c := range chain {
		tc.Certificate = append(tc.Certificate, c.cert.Raw)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{tc},
		MaxVersion:   maxVersion,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				if c.(*tls.Conn).Handshake() == nil {
					c.Write([]byte("* OK ready\r\n"))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// dial connects to addr with TLSConfig(host, 993, pin, roots) and reads the
// greeting.
func dial(t *testing.T, addr, host, pin string, roots *x509.CertPool) error {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", addr, TLSConfig(host, 993, pin, roots))
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, err := conn.Read(buf) // may return the data together with io.EOF
	if n == 0 {
		return err
	}
	if !strings.HasPrefix(string(buf[:n]), "* OK") {
		t.Fatalf("unexpected greeting %q", buf[:n])
	}
	return nil
}

func wantCertError(t *testing.T, err error, leaf *x509.Certificate, reason string) *CertError {
	t.Helper()
	if err == nil {
		t.Fatal("handshake succeeded, want a certificate error")
	}
	var ce *CertError
	if !errors.As(err, &ce) {
		t.Fatalf("errors.As(%v) found no *CertError", err)
	}
	if !strings.Contains(ce.Reason, reason) {
		t.Errorf("Reason = %q, want it to contain %q", ce.Reason, reason)
	}
	if fp := Fingerprint(leaf); ce.SHA256 != fp {
		t.Errorf("SHA256 = %s, want %s", ce.SHA256, fp)
	}
	msg := ce.Error()
	if strings.Contains(msg, "\n") || !strings.Contains(msg, ce.SHA256) || !strings.Contains(msg, "--accept-cert "+ce.SHA256) {
		t.Errorf("Error() = %q; want one line with the fingerprint and --accept-cert", msg)
	}
	if ce.Host != testHost || ce.Port != 993 {
		t.Errorf("Host/Port = %s/%d", ce.Host, ce.Port)
	}
	return ce
}

func TestFingerprint(t *testing.T) {
	c := newTestCert(t, certSpec{cn: "x", dnsNames: []string{"x"}}).cert
	sum := sha256.Sum256(c.Raw)
	want := "SHA256:" + strings.ToUpper(hex.EncodeToString(sum[:]))
	if got := Fingerprint(c); got != want {
		t.Fatalf("Fingerprint = %s, want %s", got, want)
	}
	var colons []string
	for _, b := range sum {
		colons = append(colons, hex.EncodeToString([]byte{b}))
	}
	for _, in := range []string{want, strings.ToLower(want), hex.EncodeToString(sum[:]), "sha256:" + strings.Join(colons, ":"), " SHA-256 " + strings.Join(colons, ":")} {
		got, err := NormalizeFingerprint(in)
		if err != nil || got != want {
			t.Errorf("NormalizeFingerprint(%q) = %q, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "SHA256:", "SHA256:ABCD", "SHA256:" + strings.Repeat("G", 64), "MD5:" + hex.EncodeToString(sum[:])} {
		if got, err := NormalizeFingerprint(in); err == nil {
			t.Errorf("NormalizeFingerprint(%q) = %q, want error", in, got)
		}
	}
}

func TestTLSSelfSigned(t *testing.T) {
	for _, v := range []struct {
		name string
		max  uint16
	}{{"tls1.2", tls.VersionTLS12}, {"tls1.3", tls.VersionTLS13}} {
		t.Run(v.name, func(t *testing.T) {
			self := newTestCert(t, certSpec{cn: testHost, dnsNames: []string{testHost}})
			addr := serveTLS(t, v.max, self)
			fp := Fingerprint(self.cert)

			// Not pinned: refused, with the fingerprint to trust.
			ce := wantCertError(t, dial(t, addr, testHost, "", nil), self.cert, "self-signed")
			if ce.Reason != "self-signed" {
				t.Errorf("Reason = %q, want exactly self-signed", ce.Reason)
			}
			if ce.Subject != "CN="+testHost || ce.Issuer != "CN="+testHost {
				t.Errorf("Subject/Issuer = %q/%q", ce.Subject, ce.Issuer)
			}
			if !ce.NotAfter.Equal(self.cert.NotAfter) {
				t.Errorf("NotAfter = %v", ce.NotAfter)
			}

			// Pinned to this certificate: accepted, in any spelling of the pin.
			if err := dial(t, addr, testHost, fp, nil); err != nil {
				t.Fatalf("pinned: %v", err)
			}
			if err := dial(t, addr, testHost, strings.ToLower(fp), nil); err != nil {
				t.Fatalf("pinned (lowercase): %v", err)
			}

			// Pinned to another certificate: refused again.
			other := newTestCert(t, certSpec{cn: testHost, dnsNames: []string{testHost}})
			ce = wantCertError(t, dial(t, addr, testHost, Fingerprint(other.cert), nil), self.cert, "differs from the trusted certificate")
			if ce.Pinned != Fingerprint(other.cert) {
				t.Errorf("Pinned = %q", ce.Pinned)
			}

			// Its own certificate as a root: verified without a pin.
			roots := x509.NewCertPool()
			roots.AddCert(self.cert)
			if err := dial(t, addr, testHost, "", roots); err != nil {
				t.Fatalf("self-signed cert in roots: %v", err)
			}
		})
	}
}

func TestTLSCAChain(t *testing.T) {
	root := newTestCert(t, certSpec{cn: "Test Root", isCA: true})
	inter := newTestCert(t, certSpec{cn: "Test Intermediate", isCA: true, parent: root})
	leaf := newTestCert(t, certSpec{cn: testHost, dnsNames: []string{testHost}, parent: inter})
	addr := serveTLS(t, 0, leaf, inter)
	roots := x509.NewCertPool()
	roots.AddCert(root.cert)

	if err := dial(t, addr, testHost, "", roots); err != nil {
		t.Fatalf("chain with intermediate from the peer: %v", err)
	}
	// A wrong pin does not break a chain that verifies.
	if err := dial(t, addr, testHost, "SHA256:"+strings.Repeat("00", 32), roots); err != nil {
		t.Fatalf("verified chain with unrelated pin: %v", err)
	}
	// Without the root: unknown authority (not self-signed).
	ce := wantCertError(t, dial(t, addr, testHost, "", x509.NewCertPool()), leaf.cert, "unknown authority")
	if ce.Issuer != "CN=Test Intermediate" {
		t.Errorf("Issuer = %q", ce.Issuer)
	}
}

func TestTLSWrongHost(t *testing.T) {
	root := newTestCert(t, certSpec{cn: "Test Root", isCA: true})
	leaf := newTestCert(t, certSpec{cn: "other.example.test", dnsNames: []string{"other.example.test"}, parent: root})
	addr := serveTLS(t, 0, leaf)
	roots := x509.NewCertPool()
	roots.AddCert(root.cert)

	ce := wantCertError(t, dial(t, addr, testHost, "", roots), leaf.cert, "not valid for host "+testHost)
	if ce.Reason != "not valid for host "+testHost {
		t.Errorf("Reason = %q", ce.Reason)
	}
	var he x509.HostnameError
	if !errors.As(ce, &he) {
		t.Errorf("CertError does not wrap the x509.HostnameError: %v", ce.Err)
	}
	// The user may still pin it.
	if err := dial(t, addr, testHost, Fingerprint(leaf.cert), roots); err != nil {
		t.Fatalf("pinned: %v", err)
	}
}

func TestTLSExpired(t *testing.T) {
	root := newTestCert(t, certSpec{cn: "Test Root", isCA: true, notBefore: time.Now().Add(-10 * 24 * time.Hour)})
	leaf := newTestCert(t, certSpec{cn: testHost, dnsNames: []string{testHost}, parent: root,
		notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-24 * time.Hour)})
	addr := serveTLS(t, 0, leaf)
	roots := x509.NewCertPool()
	roots.AddCert(root.cert)

	ce := wantCertError(t, dial(t, addr, testHost, "", roots), leaf.cert, "expired")
	if ce.Reason != "expired" {
		t.Errorf("Reason = %q, want exactly expired", ce.Reason)
	}

	// Self-signed and expired and for another host: every problem is named.
	bad := newTestCert(t, certSpec{cn: "other", dnsNames: []string{"other.example.test"},
		notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-24 * time.Hour)})
	addr = serveTLS(t, 0, bad)
	ce = wantCertError(t, dial(t, addr, testHost, "", nil), bad.cert, "expired")
	if want := "expired, self-signed, not valid for host " + testHost; ce.Reason != want {
		t.Errorf("Reason = %q, want %q", ce.Reason, want)
	}
}

func TestTLSConfigBasics(t *testing.T) {
	c := TLSConfig(testHost, 993, "", nil)
	if c.ServerName != testHost || c.MinVersion != tls.VersionTLS12 || c.VerifyConnection == nil {
		t.Fatalf("unexpected config: ServerName=%q MinVersion=%x", c.ServerName, c.MinVersion)
	}
	// A TLS 1.1-only server is refused.
	self := newTestCert(t, certSpec{cn: testHost, dnsNames: []string{testHost}})
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{self.cert.Raw}, PrivateKey: self.key}},
		MinVersion:   tls.VersionTLS10, MaxVersion: tls.VersionTLS11,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	if err := dial(t, ln.Addr().String(), testHost, Fingerprint(self.cert), nil); err == nil {
		t.Fatal("TLS 1.1 handshake succeeded")
	}
}
