package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/mailtest"
)

func checkWidth(t *testing.T, text string) {
	t.Helper()
	for _, l := range strings.Split(text, "\n") {
		if n := utf8.RuneCountInString(l); n > 80 {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
}

// TestCLIDoctorHealthy: a working account passes every step, in JSON and
// in text that fits 80 columns, and exits 0.
func TestCLIDoctorHealthy(t *testing.T) {
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true, SMTPMaxBytes: 1 << 20})
	c := newCLI(t)
	addDemoAccount(t, c, srv)
	var j doctorJSON
	if err := json.Unmarshal([]byte(c.ok("", "doctor", "--json")), &j); err != nil {
		t.Fatal(err)
	}
	if !j.OK || len(j.Accounts) != 1 {
		t.Fatalf("report %+v", j)
	}
	r := j.Accounts[0]
	for _, s := range []serverJSON{r.Incoming, r.Outgoing} {
		if len(s.Steps) < 6 || s.TLS == nil || !s.TLS.Pinned || s.Error != "" {
			t.Errorf("%s: %+v", s.Protocol, s)
		}
		for _, st := range s.Steps {
			if st.Status != "ok" && st.Status != "skip" {
				t.Errorf("%s step %+v", s.Protocol, st)
			}
		}
	}
	if r.Outgoing.SizeLimit != 1<<20 || len(r.Diagnoses) != 0 {
		t.Errorf("size %d, diagnoses %+v", r.Outgoing.SizeLimit, r.Diagnoses)
	}
	text := c.ok("", "doctor")
	t.Log(text)
	checkWidth(t, text)
	for _, want := range []string{"Incoming: IMAP", "Outgoing: SMTP", "sign-in", "No problem found."} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}

// TestCLIDoctorWrongPort: an account set to IMAP on port 143, where the
// server refuses, while 993 of the same server answers: the report names
// the cause and the fix, the trace is written without the password, and
// the exit status is 1.
func TestCLIDoctorWrongPort(t *testing.T) {
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true})
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(srv.CertPEM) {
		t.Fatal("no certificate")
	}
	c := newCLI(t)
	c.autoconfig = &autoconfig.Options{Roots: roots, PortMap: func(_ string, port int) string {
		switch port {
		case 993:
			return srv.IMAPAddr
		case 465:
			return srv.SMTPAddr
		}
		return "127.0.0.1:1" // refuses
	}}
	core, err := app.New(app.Options{Home: c.home, Secrets: c.secrets})
	if err != nil {
		t.Fatal(err)
	}
	acct := accounts.Account{Email: srv.Username,
		IMAP: accounts.Endpoint{Host: "127.0.0.1", Port: 143, Security: accounts.SecuritySTARTTLS, Username: srv.Username},
		SMTP: accounts.Endpoint{Host: "127.0.0.1", Port: 465, Security: accounts.SecurityTLS, Username: srv.Username}}
	if _, err := core.AddAccount(context.Background(), acct, srv.Password, &app.AddOptions{SkipVerify: true}); err != nil {
		t.Fatal(err)
	}
	core.Shutdown()

	trace := filepath.Join(t.TempDir(), "trace.txt")
	code, stdout, stderr := c.run("", "doctor", "--trace", trace)
	if code != 1 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	t.Log(stdout)
	checkWidth(t, stdout)
	for _, want := range []string{"FAIL connect", "Port 143 of 127.0.0.1 refuses connections; port 993 of the same",
		"action: Use port 993 with TLS and check again", "also tried 127.0.0.1:993:tls: answers"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), srv.Password) || !strings.Contains(string(b), "AUTH PLAIN [redacted]") {
		t.Errorf("trace:\n%s", b)
	}
	if fi, err := os.Stat(trace); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("trace mode %v %v", fi.Mode(), err)
	}

	var j doctorJSON
	code, stdout, _ = c.run("", "doctor", "--json")
	if err := json.Unmarshal([]byte(stdout), &j); err != nil || code != 1 || j.OK {
		t.Fatalf("exit %d, %v: %s", code, err, stdout)
	}
	d := j.Accounts[0].Diagnoses
	if len(d) != 1 || d[0].Code != "connection-refused" || d[0].Where != "incoming" || d[0].Action == nil ||
		d[0].Action.Kind != "switch-endpoint" || d[0].Action.Server != net.JoinHostPort("127.0.0.1", strconv.Itoa(993))+":tls" {
		t.Errorf("diagnoses %+v", d)
	}
}
