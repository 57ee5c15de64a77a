package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig/autoconfigtest"
	"github.com/ternmail/tern/internal/mailtest"
)

// netCLI runs tern with discovery pointed at a fake network.
type netCLI struct {
	*cli
	net *autoconfigtest.Net
}

func newNetCLI(t *testing.T) *netCLI {
	c := &netCLI{cli: newCLI(t), net: autoconfigtest.New(t)}
	c.autoconfig = c.net.Options()
	return c
}

const testConfigXML = `<clientConfig version="1.1"><emailProvider id="corp.test">
<incomingServer type="imap"><hostname>mail.%%EMAILDOMAIN%%</hostname><port>993</port><socketType>SSL</socketType><username>%%EMAILADDRESS%%</username><authentication>password-cleartext</authentication></incomingServer>
<outgoingServer type="smtp"><hostname>%s</hostname><port>465</port><socketType>SSL</socketType><username>%%EMAILADDRESS%%</username><authentication>password-cleartext</authentication></outgoingServer>
</emailProvider></clientConfig>`

func TestCLIAutoconfigJSON(t *testing.T) {
	c := newNetCLI(t)
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: "ann@corp.test", Password: "pw"})
	c.net.Front("mail.corp.test", 993, srv.IMAPAddr)
	c.net.Front("smtp.corp.test", 465, srv.SMTPAddr)
	c.net.Page("https://autoconfig.corp.test/mail/config-v1.1.xml", fmt.Sprintf(testConfigXML, "smtp.corp.test"))

	var got discoveryJSON
	out := c.ok("", "autoconfig", "--json", "ann@corp.test")
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.IMAP == nil || got.SMTP == nil || got.Source != "autoconfig" {
		t.Fatalf("result: %s", out)
	}
	want := winnerJSON{endpointJSON{Host: "mail.corp.test", Port: 993, Security: "tls", Username: "ann@corp.test"}, true, ""}
	if *got.IMAP != want || got.SMTP.Host != "smtp.corp.test" || got.SMTP.Security != "tls" || !got.SMTP.Verified {
		t.Fatalf("endpoints: %+v %+v", got.IMAP, got.SMTP)
	}
	var okIMAP bool
	for _, cand := range got.Candidates {
		if cand.Source == "autoconfig" && cand.Protocol == "imap" && cand.OK {
			okIMAP = cand.Evidence != nil && cand.Evidence.Certificate == "verified" && cand.Evidence.TLSVersion != "" &&
				len(cand.Evidence.AuthMechanisms) > 0
		}
	}
	if !okIMAP {
		t.Fatalf("no evidence for the IMAP winner: %s", out)
	}
	// Text output streams the probes and names the winners.
	text := c.ok("", "autoconfig", "ann@corp.test")
	if !strings.Contains(text, "IMAP: mail.corp.test:993:tls") || !strings.Contains(text, "certificate verified") {
		t.Fatalf("text: %s", text)
	}
	if errs := c.fails("", "autoconfig", "nobody@nowhere.test"); !strings.Contains(errs, "found no working IMAP or SMTP server") {
		t.Fatalf("nothing found: %q", errs)
	}
}

// Without DNS, tern autoconfig for a known provider prints its servers
// marked unverified with the reason (text and --json) and exits non-zero
// with that reason, instead of "found no working server".
func TestCLIAutoconfigUnverifiedOffline(t *testing.T) {
	c := newNetCLI(t) // imap.gmail.com and smtp.gmail.com do not resolve
	const reason = "could not reach imap.gmail.com: no such host — are you offline?"
	code, out, errs := c.run("", "autoconfig", "--json", "hal@gmail.com")
	if code == 0 || !strings.Contains(errs, "unverified") || !strings.Contains(errs, reason) || strings.Count(strings.TrimRight(errs, "\n"), "\n") != 0 {
		t.Fatalf("exit %d, error %q", code, errs)
	}
	var got discoveryJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.IMAP == nil || got.SMTP == nil {
		t.Fatalf("no servers: %s", out)
	}
	want := winnerJSON{endpointJSON{Host: "imap.gmail.com", Port: 993, Security: "tls", Username: "hal@gmail.com"}, false, reason}
	if *got.IMAP != want || got.SMTP.Host != "smtp.gmail.com" || got.SMTP.Verified || !strings.Contains(got.SMTP.Unverified, "smtp.gmail.com") ||
		got.Source != "provider" {
		t.Fatalf("servers: %+v %+v (%s)", got.IMAP, got.SMTP, out)
	}
	unreachable := false
	for _, cand := range got.Candidates {
		unreachable = unreachable || cand.Host == "imap.gmail.com" && cand.Unreachable && !cand.OK
	}
	if !unreachable {
		t.Fatalf("the candidate is not marked unreachable: %s", out)
	}

	code, text, _ := c.run("", "autoconfig", "hal@gmail.com")
	if code == 0 || !strings.Contains(text, "IMAP: imap.gmail.com:993:tls, user hal@gmail.com, from provider — UNVERIFIED: "+reason) ||
		!strings.Contains(text, "SMTP: smtp.gmail.com:465:tls") {
		t.Fatalf("exit %d, text: %s", code, text)
	}
}

func TestCLIAccountAddDiscovers(t *testing.T) {
	c := newNetCLI(t)
	const password = "s3cret-Pa55word"
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: "bea@corp.test", Password: password})
	c.net.Front("mail.corp.test", 993, srv.IMAPAddr)
	c.net.Front("smtp.corp.test", 465, srv.SMTPAddr)
	c.net.Page("https://autoconfig.corp.test/mail/config-v1.1.xml", fmt.Sprintf(testConfigXML, "smtp.corp.test"))

	// TERN_DEBUG sends the core's diagnostics to stderr: they are checked
	// for the passwords below.
	c.env = map[string]string{"TERN_DEBUG": "1"}
	var logs strings.Builder

	// A wrong password: a clear error, nothing stored.
	code, _, errs := c.run("wrong-password\n", "account", "add", "--email", "bea@corp.test", "--password-stdin")
	logs.WriteString(errs)
	lines := strings.Split(strings.TrimRight(errs, "\n"), "\n")
	if code == 0 || !strings.Contains(lines[len(lines)-1], "refused the user name or password") {
		t.Fatalf("wrong password: exit %d, %q", code, errs)
	}
	if out := c.ok("", "account", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("stored after a failed login: %s", out)
	}

	code, out, errs := c.run(password+"\n", "account", "add", "--email", "bea@corp.test", "--name", "Bea", "--password-stdin", "--json")
	logs.WriteString(errs)
	if code != 0 {
		t.Fatalf("account add: exit %d: %s", code, errs)
	}
	// The diagnostics were captured (so the checks below can fail) and
	// hold neither password.
	if !strings.Contains(logs.String(), "sign-in as bea@corp.test failed") || !strings.Contains(logs.String(), "signed in as bea@corp.test") ||
		!strings.Contains(logs.String(), "added (IMAP mail.corp.test:993") {
		t.Fatalf("TERN_DEBUG logs not captured: %q", logs.String())
	}
	for _, p := range []string{password, "wrong-password"} {
		if strings.Contains(logs.String(), p) {
			t.Fatalf("password %q in the logs: %s", p, logs.String())
		}
	}
	var added struct {
		accountJSON
		Source       string               `json:"source"`
		Verification map[string]checkJSON `json:"verification"`
	}
	if err := json.Unmarshal([]byte(out), &added); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if added.IMAP.Host != "mail.corp.test" || added.SMTP.Host != "smtp.corp.test" || added.Source != "autoconfig" ||
		!added.Verification["imap"].OK || !added.Verification["smtp"].OK || added.IMAP.Username != "bea@corp.test" {
		t.Fatalf("account add: %s", out)
	}
	got, err := c.secrets.Get(context.Background(), added.ID, accounts.ServerSMTP)
	if err != nil || got != password {
		t.Fatalf("keychain: %q %v", got, err)
	}
	// The password is nowhere but the keychain.
	cfg, _ := os.ReadFile(filepath.Join(c.home, "accounts.toml"))
	db, _ := os.ReadFile(filepath.Join(c.home, "tern.db"))
	if len(cfg) == 0 || bytes.Contains(cfg, []byte(password)) || bytes.Contains(db, []byte(password)) || strings.Contains(out, password) {
		t.Fatal("password found in accounts.toml, the store or the --json output")
	}
	assertNoPasswordUnder(t, c.home, password, "wrong-password")
}

// assertNoPasswordUnder walks dir recursively and fails if any file holds
// one of the passwords.
func assertNoPasswordUnder(t *testing.T, dir string, passwords ...string) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, p := range passwords {
			if bytes.Contains(data, []byte(p)) {
				t.Errorf("password %q found in %s", p, path)
			}
		}
		return nil
	})
	if err != nil || files == 0 {
		t.Fatalf("walk %s: %v (%d files)", dir, err, files)
	}
}

func TestCLIAccountAddSelfSignedAndOverrides(t *testing.T) {
	c := newNetCLI(t)
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: "cy@corp.test", Password: "pw"})
	cert, fp := c.net.SelfSigned("mail.corp.test")
	c.net.TLSFront("mail.corp.test", 993, srv.IMAPAddr, cert)
	c.net.Front("smtp.corp.test", 465, srv.SMTPAddr)
	c.net.Page("https://autoconfig.corp.test/mail/config-v1.1.xml", fmt.Sprintf(testConfigXML, "smtp.corp.test"))

	errs := c.fails("pw\n", "account", "add", "--email", "cy@corp.test", "--password-stdin")
	if !strings.Contains(errs, fp) || !strings.Contains(errs, "--accept-cert") || !strings.Contains(errs, "mail.corp.test:993") {
		t.Fatalf("self-signed: %q", errs)
	}
	// An explicit SMTP server overrides discovery (and is verified too).
	c.net.Front("out.corp.test", 465, autoconfigtest.Closed(t))
	errs = c.fails("pw\n", "account", "add", "--email", "cy@corp.test", "--password-stdin", "--accept-cert", fp, "--smtp", "out.corp.test:465:tls")
	if !strings.Contains(errs, "SMTP server out.corp.test:465") {
		t.Fatalf("explicit SMTP not verified: %q", errs)
	}
	out := c.ok("pw\n", "account", "add", "--email", "cy@corp.test", "--password-stdin", "--accept-cert", fp, "--json")
	if !strings.Contains(out, `"host": "mail.corp.test"`) {
		t.Fatalf("add with --accept-cert: %s", out)
	}
	cfg, err := accounts.Load(filepath.Join(c.home, "accounts.toml"))
	if err != nil || len(cfg.Accounts) != 1 || cfg.Accounts[0].PinFor("mail.corp.test", 993) != fp {
		t.Fatalf("pin not stored: %v %+v", err, cfg)
	}
}

func TestCLIAccountAddSMTPRefusesAuth(t *testing.T) {
	c := newNetCLI(t)
	in := mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: "dee@corp.test", Password: "pw"})
	other := mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: "dee@corp.test", Password: "other"})
	c.net.Front("mail.corp.test", 993, in.IMAPAddr)
	c.net.Front("smtp.corp.test", 465, other.SMTPAddr)
	c.net.Page("https://autoconfig.corp.test/mail/config-v1.1.xml", fmt.Sprintf(testConfigXML, "smtp.corp.test"))
	errs := c.fails("pw\n", "account", "add", "--email", "dee@corp.test", "--password-stdin")
	if !strings.Contains(errs, "the SMTP server smtp.corp.test:465 refused the user name or password") {
		t.Fatalf("SMTP refusal: %q", errs)
	}
	if out := c.ok("", "account", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("stored after a failed SMTP login: %s", out)
	}
}

// --accept-cert pins the certificate for the server that presented it
// only: the SMTP server, whose certificate verifies, gets no pin, and a
// different self-signed SMTP certificate is refused although the IMAP one
// was accepted.
func TestCLIAcceptCertPinsOnlyItsServer(t *testing.T) {
	c := newNetCLI(t)
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: "eve@corp.test", Password: "pw"})
	imapCert, imapFP := c.net.SelfSigned("mail.corp.test")
	c.net.TLSFront("mail.corp.test", 993, srv.IMAPAddr, imapCert)
	smtpCert, smtpFP := c.net.SelfSigned("smtp2.corp.test")
	c.net.TLSFront("smtp2.corp.test", 465, srv.SMTPAddr, smtpCert)
	c.net.Front("smtp.corp.test", 465, srv.SMTPAddr) // verifies against the test roots
	c.net.Page("https://autoconfig.corp.test/mail/config-v1.1.xml", fmt.Sprintf(testConfigXML, "smtp.corp.test"))

	errs := c.fails("pw\n", "account", "add", "--email", "eve@corp.test", "--password-stdin", "--accept-cert", imapFP,
		"--smtp", "smtp2.corp.test:465:tls")
	if !strings.Contains(errs, "smtp2.corp.test:465") || !strings.Contains(errs, smtpFP) {
		t.Fatalf("a different SMTP certificate was not refused with its own fingerprint: %q", errs)
	}
	if out := c.ok("", "account", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("stored although the SMTP certificate is not trusted: %s", out)
	}

	c.ok("pw\n", "account", "add", "--email", "eve@corp.test", "--password-stdin", "--accept-cert", imapFP)
	cfg, err := accounts.Load(filepath.Join(c.home, "accounts.toml"))
	if err != nil || len(cfg.Accounts) != 1 {
		t.Fatalf("load: %v %+v", err, cfg)
	}
	a := cfg.Accounts[0]
	if a.PinFor("mail.corp.test", 993) != imapFP {
		t.Errorf("IMAP pin %q, want %s", a.PinFor("mail.corp.test", 993), imapFP)
	}
	if len(a.PinnedCerts) != 1 {
		t.Errorf("pins %v: only the IMAP server presented the accepted certificate", a.PinnedCerts)
	}
}
