package autoconfig_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig"
	"github.com/ternmail/tern/internal/mailtest"
)

// TestVerifyIMAPIgnoresUnknownResponses checks that the probe reads through
// the same guard as the sync engine: unknown untagged responses around the
// greeting, the capabilities and LOGIN do not fail the check, and over
// STARTTLS only STARTTLS travels in plaintext.
func TestVerifyIMAPIgnoresUnknownResponses(t *testing.T) {
	cfg, roots, err := mailtest.ScriptedCert(mailtest.ScriptedCertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	unknown := "* XFOO bar\r\n* 2 XNUM\r\n* XLIT {3}\r\nabc\r\n"
	srv := mailtest.ScriptedIMAPForTest(t, mailtest.ScriptedIMAPOptions{
		Greeting:  "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n" + unknown,
		TLSConfig: cfg,
		Any: []mailtest.ScriptStep{
			{Expect: `^STARTTLS`, Reply: "{tag} OK begin\r\n", StartTLS: true},
			{Expect: `^CAPABILITY`, Reply: unknown + "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n"},
			{Expect: `^LOGIN `, Reply: unknown + "{tag} OK LOGIN done\r\n"},
			{Expect: `^AUTHENTICATE PLAIN`, Reply: unknown + "{tag} OK done\r\n"},
			{Expect: `^LOGOUT`, Reply: "* BYE bye\r\n{tag} OK done\r\n", Close: true},
		},
	})
	acct := accounts.Account{ID: "probe", Email: "user@example.com",
		IMAP: accounts.Endpoint{Host: "127.0.0.1", Port: srv.Port(), Security: accounts.SecuritySTARTTLS, Username: "user"},
		SMTP: accounts.Endpoint{Host: "127.0.0.1", Port: 1, Security: accounts.SecuritySTARTTLS, Username: "user"}}
	v, _ := autoconfig.Verify(context.Background(), acct, "secret-password", &autoconfig.Options{Roots: roots})
	if v == nil || !v.IMAP.OK {
		var e error
		if v != nil {
			e = v.IMAP.Err
		}
		t.Fatalf("IMAP check failed: %v", e)
	}
	if plain := string(srv.Plaintext()); plain != "S0 STARTTLS\r\n" {
		t.Errorf("plaintext sent %q, want only STARTTLS", plain)
	}
	if strings.Contains(string(srv.Plaintext()), "secret-password") {
		t.Errorf("the password went out in plaintext")
	}
}
