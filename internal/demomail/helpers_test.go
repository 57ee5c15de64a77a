package demomail

import (
	"testing"

	"github.com/emersion/go-imap/v2/imapclient"
)

// serverForTest starts a server (see StartServer) and closes it when the
// test ends. opts may be nil. Tests in other packages use
// mailtest.ServerForTest, which cannot be imported here (mailtest imports
// this package).
func serverForTest(t testing.TB, opts *ServerOptions) *Server {
	t.Helper()
	s, err := StartServer(opts)
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// dialIMAP connects to s's IMAP port (over TLS when s uses it, trusting its
// certificate) and logs in; the client is closed when the test ends. opts
// may be nil.
func dialIMAP(t testing.TB, s *Server, opts *imapclient.Options) *imapclient.Client {
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
		t.Fatalf("dial IMAP: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(s.Username, s.Password).Wait(); err != nil {
		t.Fatalf("IMAP login: %v", err)
	}
	return c
}
