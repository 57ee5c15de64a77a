package imapguard

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
)

// RefusedError is a server's refusal of STARTTLS (BAD or NO), or a BYE
// greeting: TLS cannot be had, and the connection must not go on.
type RefusedError struct {
	Status string // "BAD", "NO" or "BYE"
	Text   string // the server's words
}

// Error says that STARTTLS was refused, and the server's words.
func (e *RefusedError) Error() string {
	return fmt.Sprintf("STARTTLS refused (%s %s), so the connection would stay in plaintext", e.Status, e.Text)
}

// StartTLS reads the greeting on c, sends STARTTLS and completes the TLS
// handshake with cfg, returning the TLS connection. Nothing but STARTTLS is
// sent in plaintext, and it fails, never falling back to plaintext, when
// the greeting is PREAUTH (RFC 3501 §6.2.1: a client must not go on
// without TLS), when the server refuses STARTTLS, or when it sends bytes
// after its OK before the handshake (an attacker's injection, which would
// otherwise be read as if it came over TLS). What the server said before
// TLS, its capabilities and alerts included, is discarded: wrap the
// returned connection with NewAfterStartTLS.
func StartTLS(c net.Conn, cfg *tls.Config) (*tls.Conn, error) {
	const maxPlainLine = 16 << 10
	br := bufio.NewReaderSize(c, maxPlainLine)
	// readLine reads one response, skipping its literals (small ones
	// only), and returns its first line.
	readLine := func() (string, error) {
		var first string
		for i := 0; ; i++ {
			line, err := br.ReadSlice('\n')
			if err == bufio.ErrBufferFull {
				return "", refuse("a line of more than %d bytes before TLS", maxPlainLine)
			}
			if err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return "", err
			}
			if i == 0 {
				first = strings.TrimRight(string(line), "\r\n")
			}
			n, ok, err := literalAt(line)
			if err != nil {
				return "", err
			}
			if !ok {
				return first, nil
			}
			if n > maxPlainLine || i > 100 {
				return "", refuse("a literal of %d bytes before TLS", n)
			}
			if _, err := br.Discard(int(n)); err != nil {
				return "", err
			}
		}
	}
	greeting, err := readLine()
	if err != nil {
		return nil, err
	}
	typ, _, _ := strings.Cut(strings.TrimPrefix(greeting, "* "), " ")
	switch {
	case !strings.HasPrefix(greeting, "* "):
		return nil, refuse("a greeting that is not one: %.80q", greeting)
	case strings.EqualFold(typ, "PREAUTH"):
		return nil, refuse("a PREAUTH greeting where STARTTLS is required, so the session would stay in plaintext")
	case strings.EqualFold(typ, "BYE"):
		return nil, &RefusedError{Status: "BYE", Text: greeting}
	case !strings.EqualFold(typ, "OK"):
		return nil, refuse("a greeting that is not one: %.80q", greeting)
	}
	const tag = "S0"
	if _, err := io.WriteString(c, tag+" STARTTLS\r\n"); err != nil {
		return nil, err
	}
	for n := 0; ; n++ {
		if n > 100 {
			return nil, refuse("no answer to STARTTLS in %d lines", n)
		}
		line, err := readLine()
		if err != nil {
			return nil, err
		}
		t, rest, _ := strings.Cut(line, " ")
		if t == "*" {
			continue // untrusted: ignored
		}
		if t != tag {
			return nil, refuse("an answer to a command not sent: %.80q", line)
		}
		status, text, _ := strings.Cut(rest, " ")
		if !strings.EqualFold(status, "OK") {
			return nil, &RefusedError{Status: strings.ToUpper(status), Text: text}
		}
		break
	}
	if br.Buffered() > 0 {
		return nil, refuse("%d bytes in plaintext after the STARTTLS answer, before TLS", br.Buffered())
	}
	tc := tls.Client(c, cfg)
	if err := tc.Handshake(); err != nil {
		return nil, err
	}
	return tc, nil
}
