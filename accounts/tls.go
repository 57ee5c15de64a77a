package accounts

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Fingerprint returns the certificate's SHA-256 fingerprint as
// "SHA256:" followed by 64 uppercase hex digits.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return "SHA256:" + strings.ToUpper(hex.EncodeToString(sum[:]))
}

// NormalizeFingerprint accepts a SHA-256 fingerprint with or without the
// "SHA256:" prefix, in either case, with or without ':' or space between
// bytes, and returns it in the form produced by Fingerprint.
func NormalizeFingerprint(s string) (string, error) {
	h := strings.TrimSpace(s)
	if len(h) >= 7 && strings.EqualFold(h[:7], "SHA256:") {
		h = h[7:]
	} else if len(h) >= 7 && strings.EqualFold(h[:7], "SHA-256") {
		h = strings.TrimLeft(h[7:], ": ")
	}
	h = strings.NewReplacer(":", "", " ", "").Replace(h)
	if len(h) != 64 {
		return "", fmt.Errorf("fingerprint %q: want SHA256: and 64 hex digits", s)
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", fmt.Errorf("fingerprint %q: want SHA256: and 64 hex digits", s)
	}
	return "SHA256:" + strings.ToUpper(h), nil
}

// CertError reports a server certificate that failed verification and is
// not pinned. It carries what a user needs to decide whether to trust it.
// It is not modified after it is returned.
type CertError struct {
	Host string
	Port int
	// Reason says why verification failed, in words: "self-signed",
	// "unknown authority", "expired", "not yet valid", "not valid for host X",
	// several of these joined by ", ", and ", differs from the trusted
	// certificate" when a different certificate was pinned.
	Reason          string
	Subject, Issuer string
	NotBefore       time.Time
	NotAfter        time.Time
	SHA256          string // Fingerprint of the leaf certificate
	Pinned          string // the pin that did not match, if any
	Err             error  // the x509 verification error
}

// Error returns one line naming the server, the reason, the fingerprint and
// how to trust it.
func (e *CertError) Error() string {
	return fmt.Sprintf("certificate for %s is not trusted (%s); fingerprint %s; trust it with --accept-cert %s",
		net.JoinHostPort(e.Host, strconv.Itoa(e.Port)), e.Reason, e.SHA256, e.SHA256)
}

// Unwrap returns the x509 verification error.
func (e *CertError) Unwrap() error { return e.Err }

// TLSConfig returns a client TLS configuration for host:port (TLS 1.2 or
// newer, ServerName host). The server's certificate chain is verified
// against roots, or the system roots when roots is nil. If verification
// fails but the leaf certificate's fingerprint equals pin (any form
// NormalizeFingerprint accepts; "" for none), the connection is accepted.
// Otherwise the handshake fails with an error from which errors.As extracts
// a *CertError. port is used only in messages.
func TLSConfig(host string, port int, pin string, roots *x509.CertPool) *tls.Config {
	pin, _ = NormalizeFingerprint(pin) // an invalid pin matches nothing
	return &tls.Config{
		ServerName: host,
		MinVersion: tls.VersionTLS12,
		// Verification is done in full by VerifyConnection below, which
		// also knows about the pin.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyPeer(host, port, pin, roots, cs.PeerCertificates, time.Now())
		},
	}
}

func verifyPeer(host string, port int, pin string, roots *x509.CertPool, chain []*x509.Certificate, now time.Time) error {
	if len(chain) == 0 {
		return fmt.Errorf("%s: server sent no certificate", net.JoinHostPort(host, strconv.Itoa(port)))
	}
	leaf := chain[0]
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{
		DNSName:       host,
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now,
	}
	_, verr := leaf.Verify(opts)
	if verr == nil {
		return nil
	}
	fp := Fingerprint(leaf)
	if pin != "" && fp == pin {
		return nil
	}
	reason := certFailureReason(leaf, host, opts, verr)
	if pin != "" {
		reason += ", differs from the trusted certificate"
	}
	return &CertError{
		Host:      host,
		Port:      port,
		Reason:    reason,
		Subject:   leaf.Subject.String(),
		Issuer:    leaf.Issuer.String(),
		NotBefore: leaf.NotBefore,
		NotAfter:  leaf.NotAfter,
		SHA256:    fp,
		Pinned:    pin,
		Err:       verr,
	}
}

// certFailureReason explains verr in words, listing every problem found
// (x509 reports only the first).
func certFailureReason(leaf *x509.Certificate, host string, opts x509.VerifyOptions, verr error) string {
	var reasons []string
	now := opts.CurrentTime
	switch {
	case now.After(leaf.NotAfter):
		reasons = append(reasons, "expired")
	case now.Before(leaf.NotBefore):
		reasons = append(reasons, "not yet valid")
	}
	// Check the chain at a time the leaf is valid, without the host name,
	// to tell authority problems apart from the others.
	chainOpts := opts
	chainOpts.DNSName = ""
	chainOpts.CurrentTime = leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
	if _, err := leaf.Verify(chainOpts); err != nil {
		var ua x509.UnknownAuthorityError
		switch {
		case errors.As(err, &ua) && isSelfSigned(leaf):
			reasons = append(reasons, "self-signed")
		case errors.As(err, &ua):
			reasons = append(reasons, "unknown authority")
		case len(reasons) == 0:
			reasons = append(reasons, shortX509Reason(err))
		}
	}
	if err := leaf.VerifyHostname(host); err != nil {
		reasons = append(reasons, "not valid for host "+host)
	}
	if len(reasons) == 0 {
		reasons = append(reasons, shortX509Reason(verr))
	}
	return strings.Join(reasons, ", ")
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) &&
		c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func shortX509Reason(err error) string {
	return strings.TrimPrefix(err.Error(), "x509: ")
}
