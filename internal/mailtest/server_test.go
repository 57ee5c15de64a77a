package mailtest

import (
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// TestServerForTest checks that ServerForTest and DialIMAP reach a plaintext
// server with the default login.
func TestServerForTest(t *testing.T) {
	s := ServerForTest(t, &ServerOptions{Mailboxes: []string{"Projects/Tern"}})
	if s.Username != DefaultUsername || s.TLS {
		t.Fatalf("server: %+v", s.Server)
	}
	c := s.DialIMAP(t, nil)
	if _, err := c.Status("Projects/Tern", &imap.StatusOptions{NumMessages: true}).Wait(); err != nil {
		t.Fatal(err)
	}
}

// TestStartDemo checks the demo's names for tests: DemoForTest (and so
// StartDemo), DemoSeed, DemoAccount, and DialIMAP over TLS.
func TestStartDemo(t *testing.T) {
	s := DemoForTest(t)
	a := DemoAccount(s)
	if a.ID != DemoAccountID || a.Email != DemoAddress || a.PinnedCerts[s.IMAPAddr] != s.CertSHA256 || s.CertSHA256 == "" {
		t.Fatalf("DemoAccount = %+v for %+v", a, s.Server)
	}
	var inbox uint32
	for _, m := range DemoSeed(time.Now()) {
		if m.Mailbox == "INBOX" {
			inbox++
		}
	}
	c := s.DialIMAP(t, nil)
	st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if *st.NumMessages != inbox {
		t.Errorf("INBOX: %d messages, want %d", *st.NumMessages, inbox)
	}
}
