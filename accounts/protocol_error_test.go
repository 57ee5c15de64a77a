package accounts

import (
	"errors"
	"strings"
	"testing"
)

func TestProtocolErrorWords(t *testing.T) {
	cause := errors.New("a literal of 4000000000 bytes where at most 1048576 were expected")
	err := error(&ProtocolError{Protocol: "IMAP", Addr: "mail.example.com:993", Err: cause})
	msg := err.Error()
	for _, want := range []string{"the IMAP server mail.example.com:993", "cannot accept", "4000000000"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "cannot reach") {
		t.Errorf("%q says the server could not be reached", msg)
	}
	if !errors.Is(err, cause) {
		t.Errorf("errors.Is does not find the cause")
	}
	var ce *ConnectError
	if errors.As(err, &ce) {
		t.Errorf("a ProtocolError is taken for a ConnectError")
	}
}
