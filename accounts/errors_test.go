package accounts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// Each kind of network error has its explanation in the one table,
// however deeply the network layer wrapped it.
func TestExplain(t *testing.T) {
	op := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: err}}
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{op(syscall.ECONNREFUSED), "connection refused (is the server running, and is the port right?)"},
		{&net.DNSError{Err: "no such host", Name: "imap.nowhere.test", IsNotFound: true}, "no such host"},
		{&net.DNSError{Err: "i/o timeout", Name: "imap.slow.test", IsTimeout: true}, "the DNS lookup timed out"},
		{&net.DNSError{Err: "server misbehaving", Name: "imap.odd.test"}, "DNS lookup failed (server misbehaving)"},
		{op(syscall.ENETUNREACH), "network is unreachable"},
		{op(syscall.ENETDOWN), "network is unreachable"},
		{op(syscall.EHOSTUNREACH), "no route to host"},
		{op(syscall.EHOSTDOWN), "no route to host"},
		{ErrTimeout, "the server stopped answering"},
		{fmt.Errorf("LOGIN: %w", ErrTimeout), "the server stopped answering"},
		{&net.OpError{Op: "read", Net: "tcp", Err: timeoutError{}}, "the server stopped answering"},
		{io.EOF, "the connection was closed by the server"},
		{io.ErrUnexpectedEOF, "the connection was closed by the server"},
		{net.ErrClosed, "the connection was closed by the server"},
		{op(syscall.ECONNRESET), "the connection was closed by the server"},
		{context.Canceled, "context canceled"}, // unknown: its own words
		{nil, "unknown error"},
	} {
		if got := Explain(c.err); got != c.want {
			t.Errorf("Explain(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

// The errors name the server and what failed, keep their cause for
// errors.Is, and never hold a password.
func TestConnectAndAuthErrors(t *testing.T) {
	ce := &ConnectError{Protocol: "SMTP", Addr: "smtp.example.test:587", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	if got, want := ce.Error(), "cannot reach the SMTP server smtp.example.test:587: connection refused (is the server running, and is the port right?)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !errors.Is(fmt.Errorf("sending: %w", ce), syscall.ECONNREFUSED) {
		t.Error("the cause is lost")
	}
	if got, want := (&ConnectError{Addr: "a.test:993", Err: ErrTimeout}).Error(), "cannot reach the server a.test:993: the server stopped answering"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	ae := &AuthError{Protocol: "IMAP", Addr: "imap.example.test:993", Usernames: []string{"sam@example.test", "sam"}, Err: errors.New("Authentication failed.")}
	if got, want := ae.Error(), "the IMAP server imap.example.test:993 refused the user name or password (tried sam@example.test, sam): Authentication failed."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var target *AuthError
	if !errors.As(fmt.Errorf("sync: %w", ae), &target) || target != ae {
		t.Error("errors.As does not find the AuthError")
	}
	if s := (&AuthError{Addr: "x.test:465"}).Error(); s != "the server x.test:465 refused the user name or password" || strings.Contains(s, "tried") {
		t.Errorf("got %q", s)
	}
}
