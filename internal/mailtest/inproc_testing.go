package mailtest

import (
	"testing"

	"github.com/emersion/go-imap/v2/imapclient"
)

// ServerForTest starts an in-process server (see StartServer) and closes it
// when the test ends. opts may be nil.
func ServerForTest(t testing.TB, opts *ServerOptions) *Server {
	t.Helper()
	s, err := StartServer(opts)
	if err != nil {
		t.Fatalf("mailtest: start server: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// DemoForTest starts the demo mailbox's server (see StartDemo) and closes
// it when the test ends. Call it on the test's goroutine, before handing
// the server to code that runs elsewhere (an app.Options.StartDemo, say):
// it fails the test if the server does not start.
func DemoForTest(t testing.TB) *Server {
	t.Helper()
	s, err := StartDemo()
	if err != nil {
		t.Fatalf("mailtest: start the demo server: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// DialIMAP connects to the server's IMAP port (over TLS when the server uses
// it, trusting its certificate) and logs in. The client is closed when the
// test ends. opts may be nil; its TLSConfig is filled in if empty.
func (s *Server) DialIMAP(t testing.TB, opts *imapclient.Options) *imapclient.Client {
	t.Helper()
	var o imapclient.Options
	if opts != nil {
		o = *opts
	}
	var c *imapclient.Client
	var err error
	if s.TLS {
		if o.TLSConfig == nil {
			o.TLSConfig = s.TLSConfig()
		}
		c, err = imapclient.DialTLS(s.IMAPAddr, &o)
	} else {
		c, err = imapclient.DialInsecure(s.IMAPAddr, &o)
	}
	if err != nil {
		t.Fatalf("mailtest: dial IMAP: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(s.Username, s.Password).Wait(); err != nil {
		t.Fatalf("mailtest: IMAP login: %v", err)
	}
	return c
}
