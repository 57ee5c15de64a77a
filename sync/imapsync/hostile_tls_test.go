package imapsync

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
)

// The STARTTLS and TLS cases of the hostile-server suite: for an account
// set to STARTTLS or TLS, no credentials and no mail command travel in
// plaintext, whatever the server does.

// noPlaintextSecrets checks that the server received neither a LOGIN nor
// the password outside TLS, and nothing but STARTTLS in plaintext.
func noPlaintextSecrets(t *testing.T, f *hostileFixture) {
	t.Helper()
	plain := f.srv.Plaintext()
	if bytes.Contains(plain, []byte("secret-password")) {
		t.Errorf("the password was sent in plaintext: %q", plain)
	}
	for _, c := range f.srv.Commands() {
		if !c.TLS && c.Line != "STARTTLS" {
			t.Errorf("command %q sent in plaintext", c.Line)
		}
	}
}

func TestHostileStartTLSFailures(t *testing.T) {
	okGreeting := "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n"
	cases := []struct {
		name     string
		greeting string
		starttls mailtest.ScriptStep
		want     func(error) bool
	}{
		{"missing", "* OK [CAPABILITY IMAP4rev1] hi\r\n",
			mailtest.ScriptStep{Expect: `^STARTTLS`, Reply: "{tag} BAD unknown command\r\n"}, isRefusal},
		{"refused", okGreeting,
			mailtest.ScriptStep{Expect: `^STARTTLS`, Reply: "{tag} NO not now\r\n"}, isRefusal},
		{"PREAUTH greeting", "* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in already\r\n",
			mailtest.ScriptStep{Expect: `^STARTTLS`, Reply: "{tag} OK begin\r\n", StartTLS: true}, isProtocol},
		{"plaintext injected with the OK", okGreeting,
			mailtest.ScriptStep{Expect: `^STARTTLS`, Reply: "{tag} OK begin\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n", StartTLS: true}, isProtocol},
		{"plaintext injected after the OK", okGreeting,
			mailtest.ScriptStep{Expect: `^STARTTLS`, Reply: "{tag} OK begin\r\n", StartTLS: true,
				Stream: func(w io.Writer, _ string) error {
					_, err := io.WriteString(w, "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n")
					return err
				}}, isProtocol},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, roots, err := mailtest.ScriptedCert(mailtest.ScriptedCertOptions{})
			if err != nil {
				t.Fatal(err)
			}
			f := newHostileFixtureRoots(t, mailtest.ScriptedIMAPOptions{
				Greeting: c.greeting, TLSConfig: cfg,
				Any: syncScript([]string{"INBOX"}, c.starttls),
			}, accounts.SecuritySTARTTLS, roots)
			_, err = f.eng.SyncOnce(context.Background())
			if err == nil || !c.want(err) {
				t.Errorf("SyncOnce: %v (%T)", err, err)
			}
			var ae *accounts.AuthError
			if errors.As(err, &ae) {
				t.Errorf("an authentication error: credentials were sent")
			}
			noPlaintextSecrets(t, f)
			for _, cmd := range f.srv.Commands() {
				if cmd.Line != "STARTTLS" {
					t.Errorf("command %q sent (TLS %v)", cmd.Line, cmd.TLS)
				}
			}
		})
	}
}

func isRefusal(err error) bool {
	var ie *imap.Error
	return errors.As(err, &ie)
}

func isProtocol(err error) bool {
	var pe *accounts.ProtocolError
	return errors.As(err, &pe)
}

func TestHostileStartTLSRereadsCapabilities(t *testing.T) {
	// Before TLS the server claims LIST-STATUS and SPECIAL-USE, and sends
	// an ALERT; after TLS only what it says over TLS counts, read anew.
	cfg, roots, err := mailtest.ScriptedCert(mailtest.ScriptedCertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := newHostileFixtureRoots(t, mailtest.ScriptedIMAPOptions{
		Greeting:  "* OK [CAPABILITY IMAP4rev1 STARTTLS LIST-STATUS SPECIAL-USE] hi\r\n* OK [ALERT] Untrusted words before TLS\r\n",
		TLSConfig: cfg,
		Any: syncScript([]string{"INBOX"},
			mailtest.ScriptStep{Expect: `^STARTTLS`, Reply: "{tag} OK begin\r\n", StartTLS: true},
			mailtest.ScriptStep{Expect: `^CAPABILITY`, Reply: "* CAPABILITY IMAP4rev1 XTLS\r\n{tag} OK done\r\n"},
		),
	}, accounts.SecuritySTARTTLS, roots)
	if _, err := f.eng.SyncOnce(context.Background()); err != nil {
		t.Fatalf("SyncOnce: %v", err)
	}
	if got := string(f.srv.Plaintext()); got != "S0 STARTTLS\r\n" {
		t.Errorf("plaintext sent %q, want only STARTTLS", got)
	}
	noPlaintextSecrets(t, f)
	capsAsked := false
	for _, c := range f.srv.Commands() {
		switch {
		case c.Line == "CAPABILITY" && c.TLS:
			capsAsked = true
		case strings.HasPrefix(c.Line, "LIST"):
			if !capsAsked {
				t.Errorf("%q sent before the capabilities were read over TLS", c.Line)
			}
			if strings.Contains(c.Line, "RETURN") {
				t.Errorf("%q uses capabilities announced before TLS", c.Line)
			}
		}
	}
	if got := f.srv.Unexpected(); len(got) > 0 {
		t.Errorf("unexpected commands %q", got)
	}
	if f.logs.contains("Untrusted words") {
		t.Errorf("the ALERT sent before TLS reached the log")
	}
}

func TestHostileCertificatesRefusedBeforeCredentials(t *testing.T) {
	now := time.Now()
	cases := []struct {
		name   string
		opts   mailtest.ScriptedCertOptions
		trust  bool // verify against the certificate's own authority
		reason string
	}{
		{"untrusted", mailtest.ScriptedCertOptions{}, false, ""},
		{"expired", mailtest.ScriptedCertOptions{NotBefore: now.Add(-72 * time.Hour), NotAfter: now.Add(-24 * time.Hour)}, true, "expired"},
		{"wrong name", mailtest.ScriptedCertOptions{Hosts: []string{"mail.example.org"}}, true, "not valid for"},
	}
	for _, sec := range []accounts.Security{accounts.SecuritySTARTTLS, accounts.SecurityTLS} {
		for _, c := range cases {
			t.Run(string(sec)+"/"+c.name, func(t *testing.T) {
				cfg, roots, err := mailtest.ScriptedCert(c.opts)
				if err != nil {
					t.Fatal(err)
				}
				if !c.trust {
					_, roots, err = mailtest.ScriptedCert(mailtest.ScriptedCertOptions{}) // another authority
					if err != nil {
						t.Fatal(err)
					}
				}
				f := newHostileFixtureRoots(t, mailtest.ScriptedIMAPOptions{
					Greeting: "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n", TLSConfig: cfg, ImplicitTLS: sec == accounts.SecurityTLS,
					Any: syncScript([]string{"INBOX"}, mailtest.ScriptStep{Expect: `^STARTTLS`, Reply: "{tag} OK begin\r\n", StartTLS: true}),
				}, sec, roots)
				_, err = f.eng.SyncOnce(context.Background())
				var ce *accounts.CertError
				if !errors.As(err, &ce) {
					t.Fatalf("SyncOnce: %v (%T), want an accounts.CertError", err, err)
				}
				if !strings.Contains(ce.Reason, c.reason) {
					t.Errorf("reason %q does not say %q", ce.Reason, c.reason)
				}
				for _, cmd := range f.srv.Commands() {
					if cmd.Line != "STARTTLS" {
						t.Errorf("command %q sent", cmd.Line)
					}
				}
				noPlaintextSecrets(t, f)
			})
		}
	}
}

func TestHostileImplicitTLSPortSpeaksPlaintext(t *testing.T) {
	f := newHostileFixture(t, mailtest.ScriptedIMAPOptions{
		Greeting: "* OK [CAPABILITY IMAP4rev1] plaintext here\r\n",
		Any:      syncScript([]string{"INBOX"}),
	}, accounts.SecurityTLS)
	_, err := f.eng.SyncOnce(context.Background())
	if !isProtocol(err) {
		t.Fatalf("SyncOnce: %v (%T), want an accounts.ProtocolError", err, err)
	}
	// The server reads the client's TLS hello as lines; nothing else came.
	if plain := f.srv.Plaintext(); bytes.Contains(plain, []byte("LOGIN")) || bytes.Contains(plain, []byte("secret-password")) {
		t.Errorf("credentials sent to a plaintext port: %q", plain)
	}
}
