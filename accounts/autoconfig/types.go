package autoconfig

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/ternmail/tern/accounts"
)

// Source names where a server setting came from.
type Source string

// Sources, in order of precedence (see the package documentation).
const (
	SourceProvider       Source = "provider"
	SourceAutoconfig     Source = "autoconfig"
	SourceISPDB          Source = "ispdb"
	SourceSRV            Source = "srv"
	SourceMX             Source = "mx"
	SourceGuess          Source = "guess"
	SourceAutoconfigHTTP Source = "autoconfig-http" // the last resort
)

// rank returns the precedence of s: lower is better.
func (s Source) rank() int {
	switch s {
	case SourceProvider:
		return 0
	case SourceAutoconfig:
		return 1
	case SourceISPDB:
		return 2
	case SourceSRV:
		return 3
	case SourceMX:
		return 4
	case SourceGuess:
		return 5
	}
	// SourceAutoconfigHTTP: plain HTTP is the last resort, used only when
	// no other source named a server that works.
	return 6
}

// vouches reports whether s is an authority on a domain's servers: the
// provider table, the domain's own configuration (over HTTPS, or its DNS
// records), the ISPDB, or the hosting provider found by MX. A server only
// guessed, or read over plain HTTP, is not vouched for: when it cannot be
// reached, nothing says it exists.
func (s Source) vouches() bool {
	switch s {
	case SourceProvider, SourceAutoconfig, SourceISPDB, SourceSRV, SourceMX:
		return true
	}
	return false
}

// Protocols.
const (
	ProtocolIMAP = "imap"
	ProtocolSMTP = "smtp"
)

// Evidence is what a probe or a login saw on one server.
type Evidence struct {
	// Addr is the server's host:port (before any Options.PortMap).
	Addr     string
	Security accounts.Security
	// TLSVersion is "TLS 1.3" or the like; empty without TLS or when the
	// handshake did not happen.
	TLSVersion string
	// Cert is the certificate status: "verified", "accepted by fingerprint",
	// "not trusted: <reason>", or empty without TLS.
	Cert string
	// CertError is set when the certificate did not verify and is not
	// accepted; it carries what a user needs to pin it.
	CertError *accounts.CertError
	// AuthMechanisms are the SASL mechanisms the server offers (after TLS),
	// plus "LOGIN" for an IMAP server that allows the LOGIN command.
	AuthMechanisms []string
	// Elapsed is the time the probe or login took.
	Elapsed time.Duration
}

// Candidate is one server a source proposed, and what its probe found.
type Candidate struct {
	Source Source
	// Also lists the other sources that proposed the same server.
	Also []Source
	// Detail says where exactly it came from: a URL, a DNS name.
	Detail   string
	Protocol string // ProtocolIMAP or ProtocolSMTP
	// Endpoint is the server. An empty Username means the source did not
	// say: Verify then tries the email address and its local part.
	Endpoint accounts.Endpoint
	// OK reports that the probe succeeded.
	OK bool
	// Err says why the probe failed, in words; empty when OK.
	Err string
	// Unreachable reports that the probe failed only because the server
	// could not be reached (its name did not resolve, the network or host
	// was unreachable, the connection was refused, or nothing answered in
	// time): nothing is known to be wrong with the server itself.
	Unreachable bool
	// Evidence is nil when no connection was attempted.
	Evidence *Evidence

	rank, order int
	insecure    bool // from plain HTTP: usable only when cross-checked
	pending     bool
	skipped     bool // not probed (p.skip)
	err         error
}

// Result is the outcome of Discover.
type Result struct {
	Email string
	// IMAP and SMTP are the winners; a zero Endpoint when none was found.
	IMAP, SMTP accounts.Endpoint
	// IMAPCandidate and SMTPCandidate point into Candidates; nil when none
	// was found.
	IMAPCandidate, SMTPCandidate *Candidate
	// Source is the source of the winners: one name, or "imap-source+smtp-source"
	// when they differ.
	Source string
	// Candidates are all servers tried, in the order their probes finished
	// (those not probed last).
	Candidates []Candidate
	// Notes are what the sources reported, one line each.
	Notes []string
	// Unverified lists the winners that are not known to work: no server
	// of that protocol answered, and this one, named by an authority (the
	// provider table, the domain's own configuration), could not be
	// reached. Its Candidate has OK false and Unreachable true. Such
	// settings may be saved and checked later, when the network is back.
	Unverified []Unverified
	// OAuth is set when the servers found are a provider's that Tern
	// signs in to with OAuth 2.0 (Google, Microsoft).
	OAuth   *OAuthMatch
	Elapsed time.Duration
}

// Unverified is a winner of Discover that could not be checked.
type Unverified struct {
	Protocol string // ProtocolIMAP or ProtocolSMTP
	Endpoint accounts.Endpoint
	Source   Source
	// Reason says why, in words: "could not reach imap.gmail.com: no such
	// host — are you offline?".
	Reason string
}

// Event is one step of Discover, for progress display.
type Event struct {
	Source Source
	// Message is one line, e.g. "srv: _imaps._tcp.example.com → imap.example.com:993".
	Message string
	// Candidate is set when a probe finished; it is a copy.
	Candidate *Candidate
}

// Attempt is one login attempt of Verify.
type Attempt struct {
	Username string
	Err      string // empty when the login worked
}

// Check is the verification of one server.
type Check struct {
	Protocol string
	// Endpoint is the server, with the user name that worked.
	Endpoint accounts.Endpoint
	OK       bool
	Evidence Evidence
	Attempts []Attempt
	// Err is why the check failed; nil when OK.
	Err error
}

// Verification is the outcome of Verify.
type Verification struct {
	// Account is the verified account, with the user names that worked.
	Account    accounts.Account
	IMAP, SMTP Check
	Elapsed    time.Duration
}

// SecurityError means a server lacks something Tern requires: STARTTLS
// where it was configured, or a usable authentication mechanism.
type SecurityError struct {
	Protocol string
	Addr     string
	// Problem completes "the SMTP server X …", e.g. "does not offer AUTH after STARTTLS".
	Problem string
}

func (e *SecurityError) Error() string {
	return fmt.Sprintf("the %s server %s %s", e.Protocol, e.Addr, e.Problem)
}

// NotFoundError means discovery found no working server for some protocol.
type NotFoundError struct {
	Email     string
	Protocols []string // "IMAP", "SMTP"
	Tried     int      // candidates tried
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("found no working %s server for %s (tried %d candidates); pass the servers explicitly",
		strings.Join(e.Protocols, " or "), e.Email, e.Tried)
}

// UnverifiedError means that Discover found settings it could not check:
// the servers an authority names could not be reached (see
// Result.Unverified).
type UnverifiedError struct {
	Email   string
	Servers []Unverified
}

func (e *UnverifiedError) Error() string {
	var reasons []string
	for _, s := range e.Servers {
		reasons = append(reasons, fmt.Sprintf("%s %s", upper(s.Protocol), s.Reason))
	}
	return fmt.Sprintf("the settings found for %s are unverified: %s", e.Email, strings.Join(reasons, "; "))
}

// unreachable reports whether a probe's error means that the server could
// not be reached at all, rather than that it answered and fell short.
func unreachable(err error) bool {
	var ce *accounts.ConnectError
	if !errors.As(err, &ce) {
		return false
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) || errors.Is(err, errTimeout) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETDOWN) || errors.Is(err, syscall.EHOSTDOWN)
}

// unreachableReason says why the unreachable candidate c could not be
// reached: the host alone when its name did not resolve or there is no
// network (the port does not matter then), host:port otherwise; a cause
// that a machine without a network shows asks whether the user is offline.
func unreachableReason(c *Candidate) string {
	var ce *accounts.ConnectError
	if !errors.As(c.err, &ce) {
		return "could not reach " + c.Endpoint.Addr() + ": " + c.Err
	}
	var dnsErr *net.DNSError
	offline := errors.As(ce.Err, &dnsErr) || errors.Is(ce.Err, syscall.ENETUNREACH) || errors.Is(ce.Err, syscall.ENETDOWN)
	where := c.Endpoint.Addr()
	if offline {
		where = c.Endpoint.Host
	}
	reason := "could not reach " + where + ": " + accounts.Explain(ce.Err)
	if offline || errors.Is(ce.Err, errTimeout) || errors.Is(ce.Err, syscall.EHOSTUNREACH) {
		reason += " — are you offline?"
	}
	return reason
}

// errTimeout is the timeout of a probe or a lookup.
var errTimeout = accounts.ErrTimeout

func upper(protocol string) string { return strings.ToUpper(protocol) }
