package accounts

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
)

// The errors a user sees when a mail server cannot be used come from one
// vocabulary, whichever layer met them (discovery, sync, sending):
//
//   - [ConnectError]: the server could not be reached, the connection broke,
//     or the server stopped answering ([ErrTimeout]). Retrying later may help.
//   - [CertError]: the server's certificate is not trusted (TLS).
//   - [AuthError]: the server refused the user name or password.
//
// A refusal of a command by the server keeps the protocol library's own
// type (go-imap's *imap.Error, go-smtp's *smtp.SMTPError) beneath the
// layer's wrapping. Every layer wraps with %w, so that callers use
// errors.As on these types only; [Explain] is the one table that puts a
// network error into plain words.

// ErrTimeout means a server did not answer in time; the connection was
// closed.
var ErrTimeout = errors.New("the server stopped answering")

// ConnectError means a server could not be reached, or broke the
// connection, or did not answer in time. Retrying later may help.
type ConnectError struct {
	Protocol string // "IMAP" or "SMTP"; "" when not known
	Addr     string // host:port
	Err      error  // the network error
}

// Error returns one line naming the server and saying, through [Explain],
// what went wrong: "cannot reach the IMAP server mail.example.com:993:
// connection refused (is the server running, and is the port right?)".
func (e *ConnectError) Error() string {
	return fmt.Sprintf("cannot reach %s: %s", server(e.Protocol, e.Addr), Explain(e.Err))
}

// Unwrap returns the network error.
func (e *ConnectError) Unwrap() error { return e.Err }

// AuthError means a server refused the user name or password. Retrying
// will not help until the user changes them.
type AuthError struct {
	Protocol  string   // "IMAP" or "SMTP"; "" when not known
	Addr      string   // host:port
	Usernames []string // the user names tried
	Err       error    // the server's refusal
}

// Error returns one line naming the server, the user names tried and the
// server's words; it never contains the password.
func (e *AuthError) Error() string {
	s := server(e.Protocol, e.Addr) + " refused the user name or password"
	if len(e.Usernames) > 0 {
		s += " (tried " + strings.Join(e.Usernames, ", ") + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the server's refusal.
func (e *AuthError) Unwrap() error { return e.Err }

func server(protocol, addr string) string {
	if protocol == "" {
		return "the server " + addr
	}
	return "the " + protocol + " server " + addr
}

// Explain says what a network error means, in plain words and, where the
// user can do something, what: the one table of such explanations. An error
// it does not know is returned as its own text.
func Explain(err error) string {
	var dnsErr *net.DNSError
	var ne net.Error
	switch {
	case err == nil:
		return "unknown error"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (is the server running, and is the port right?)"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return "no such host"
	case errors.As(err, &dnsErr) && dnsErr.IsTimeout:
		return "the DNS lookup timed out"
	case errors.As(err, &dnsErr):
		return "DNS lookup failed (" + dnsErr.Err + ")"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.ENETDOWN):
		return "network is unreachable"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.EHOSTDOWN):
		return "no route to host"
	case errors.Is(err, ErrTimeout), errors.As(err, &ne) && ne.Timeout():
		return ErrTimeout.Error()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), errors.Is(err, syscall.ECONNRESET):
		return "the connection was closed by the server"
	}
	return err.Error()
}
