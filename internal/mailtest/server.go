package mailtest

import (
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/demomail"
)

// The in-process servers and the demo mailbox live in internal/demomail; these
// are their names for tests.

// Defaults used by StartServer when the options leave them empty.
const (
	// DefaultUsername is the login (and e-mail address) of the server's
	// only account.
	DefaultUsername = demomail.DefaultUsername
	// Delimiter is the mailbox hierarchy delimiter of the IMAP server.
	Delimiter = demomail.Delimiter
)

// The demo account's identity and ID: see demomail.Address, demomail.Name
// and demomail.AccountID.
const (
	DemoAddress   = demomail.Address
	DemoName      = demomail.Name
	DemoAccountID = demomail.AccountID
)

// DemoMailboxes lists the mailboxes DemoSeed fills, parents before children
// (demomail.Mailboxes).
var DemoMailboxes = demomail.Mailboxes

// ServerOptions configures StartServer (demomail.ServerOptions).
type ServerOptions = demomail.ServerOptions

// Envelope is a message accepted by the SMTP server (demomail.Envelope).
type Envelope = demomail.Envelope

// SeedMessage is a message to store in a mailbox when a server starts
// (demomail.SeedMessage).
type SeedMessage = demomail.SeedMessage

// Server is a running in-process IMAP + SMTP server (a demomail.Server) with
// the test helpers of this package. Like demomail.Server, its methods are
// safe for concurrent use.
type Server struct {
	*demomail.Server
}

// StartServer starts an IMAP and an SMTP server on random loopback ports
// (demomail.StartServer). opts may be nil. Call Close when done, or use
// ServerForTest.
func StartServer(opts *ServerOptions) (*Server, error) {
	s, err := demomail.StartServer(opts)
	if err != nil {
		return nil, err
	}
	return &Server{s}, nil
}

// StartDemo starts the demo mailbox's server (demomail.Start).
func StartDemo() (*Server, error) {
	s, err := demomail.Start()
	if err != nil {
		return nil, err
	}
	return &Server{s}, nil
}

// DemoSeed generates the demo mailbox's messages (demomail.Seed).
func DemoSeed(now time.Time) []SeedMessage { return demomail.Seed(now) }

// DemoAccount returns an account that reaches s, trusting its self-signed
// certificate by fingerprint (demomail.Account).
func DemoAccount(s *Server) accounts.Account { return demomail.Account(s.Server) }
