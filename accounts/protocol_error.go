package accounts

import "fmt"

// ProtocolError means a server was reached but sent something Tern does not
// accept: a malformed response, or one beyond the bounds Tern sets on what
// it reads (an oversized literal or line, a structure nested too deep), or
// a step of the protocol out of order (plaintext after STARTTLS). The
// connection was closed. Retrying helps only once the server changes. It
// is not modified after it is returned.
type ProtocolError struct {
	Protocol string // "IMAP" or "SMTP"; "" when not known
	Addr     string // host:port
	Err      error  // what was wrong
}

// Error returns one line naming the server and what it sent: "the IMAP
// server mail.example.com:993 sent what Tern cannot accept: a literal of
// 4000000000 bytes where at most 1048576 were expected".
func (e *ProtocolError) Error() string {
	return fmt.Sprintf("%s sent what Tern cannot accept: %v", server(e.Protocol, e.Addr), e.Err)
}

// Unwrap returns what was wrong.
func (e *ProtocolError) Unwrap() error { return e.Err }
