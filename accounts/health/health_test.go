package health_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/health"
	"github.com/ternmail/tern/internal/mailtest"
)

// ports maps the standard ports of a test host to loopback listeners;
// every other port goes to a port that refuses, so that no check reaches
// beyond the test's servers.
func ports(m map[int]string) func(string, int) string {
	return func(_ string, port int) string {
		if a, ok := m[port]; ok {
			return a
		}
		return "127.0.0.1:1"
	}
}

func check(t *testing.T, proto string, ep accounts.Endpoint, o *health.Options) *health.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if proto == "IMAP" {
		return health.CheckIMAP(ctx, ep, o)
	}
	return health.CheckSMTP(ctx, ep, o)
}

func dump(t *testing.T, s *health.Server) {
	t.Helper()
	for _, st := range s.Steps {
		t.Logf("%-12s %-4s %s", st.Name, st.Status, st.Detail)
	}
	for _, a := range s.Alternates {
		t.Logf("alternate %s ok=%v %s", a.Endpoint, a.OK, a.Detail)
	}
	for _, d := range s.Diagnoses {
		t.Logf("diagnosis %s: %s / %s / %s", d.Code, d.Summary, d.Evidence, d.Fix)
	}
}

func wantStep(t *testing.T, s *health.Server, name string, want health.Status) health.Step {
	t.Helper()
	st, ok := s.Step(name)
	if !ok || st.Status != want {
		dump(t, s)
		t.Fatalf("step %s = %+v (present %v), want status %s", name, st, ok, want)
	}
	return st
}

func wantDiagnosis(t *testing.T, s *health.Server, code string) health.Diagnosis {
	t.Helper()
	d, ok := s.Diagnosis(code)
	if !ok {
		dump(t, s)
		t.Fatalf("no diagnosis %s", code)
	}
	if d.Summary == "" || d.Evidence == "" || d.Fix == "" {
		t.Errorf("diagnosis %s lacks words: %+v", code, d)
	}
	return d
}

func endpoint(port int, sec accounts.Security) accounts.Endpoint {
	return accounts.Endpoint{Host: "127.0.0.1", Port: port, Security: sec, Username: mailtest.DefaultUsername}
}

func splitPort(t *testing.T, addr string) int {
	t.Helper()
	_, p, _ := net.SplitHostPort(addr)
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestHealthyServers checks a working IMAP and SMTP server: every step
// passes, the pinned certificate is reported as pinned, SIZE as its limit.
func TestHealthyServers(t *testing.T) {
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true, SMTPMaxBytes: 123456})
	acct := mailtest.DemoAccount(srv)
	for _, tc := range []struct {
		proto string
		ep    accounts.Endpoint
	}{{"IMAP", acct.IMAP}, {"SMTP", acct.SMTP}} {
		t.Run(tc.proto, func(t *testing.T) {
			s := check(t, tc.proto, tc.ep, &health.Options{Username: srv.Username, Password: srv.Password,
				Pin: acct.PinFor(tc.ep.Host, tc.ep.Port), Timeout: 10 * time.Second})
			if s.Failed() || s.Err != nil || len(s.Diagnoses) != 0 {
				dump(t, s)
				t.Fatalf("a healthy server failed: %v", s.Err)
			}
			for _, n := range []string{health.StepResolve, health.StepConnect, health.StepTLS, health.StepGreeting, health.StepCapabilities, health.StepSignIn} {
				wantStep(t, s, n, health.StatusOK)
			}
			if s.TLS == nil || !s.TLS.Pinned || s.TLS.Verified || s.TLS.SHA256 != acct.PinFor(tc.ep.Host, tc.ep.Port) || s.TLS.Version == "" {
				t.Errorf("TLS = %+v, want pinned with the server's fingerprint", s.TLS)
			}
			if tc.proto == "SMTP" && s.SizeLimit != 123456 {
				t.Errorf("SizeLimit = %d, want 123456", s.SizeLimit)
			}
			if len(s.Capabilities) == 0 || len(s.AuthMechanisms) == 0 {
				t.Errorf("capabilities %+v, mechanisms %v", s.Capabilities, s.AuthMechanisms)
			}
		})
	}
}

// TestWrongPassword: a refused password is an auth failure with the
// re-enter action, and not the app-password diagnosis.
func TestWrongPassword(t *testing.T) {
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true})
	acct := mailtest.DemoAccount(srv)
	s := check(t, "IMAP", acct.IMAP, &health.Options{Username: srv.Username, Password: "wrong", Pin: acct.PinFor(acct.IMAP.Host, acct.IMAP.Port)})
	wantStep(t, s, health.StepSignIn, health.StatusFail)
	d := wantDiagnosis(t, s, health.DiagAuthFailed)
	if d.Action == nil || d.Action.Kind != health.ActionReenterPassword {
		t.Errorf("action %+v", d.Action)
	}
	if _, ok := s.Diagnosis(health.DiagAppPassword); ok {
		t.Error("a wrong password was taken for an app-password demand")
	}
}

func scriptedTLS(t *testing.T, certOpts mailtest.ScriptedCertOptions) (*tls.Config, *x509.CertPool) {
	t.Helper()
	if certOpts.NotAfter.IsZero() {
		certOpts.NotBefore, certOpts.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour)
	}
	cfg, roots, err := mailtest.ScriptedCert(certOpts)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, roots
}

var imapBasics = []mailtest.ScriptStep{
	{Expect: `^CAPABILITY`, Reply: "* CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN SASL-IR\r\n{tag} OK done\r\n"},
	{Expect: `^LOGOUT`, Reply: "* BYE bye\r\n{tag} OK bye\r\n", Close: true},
}

// TestAppPasswordAlertIMAP: Gmail's ALERT at sign-in is diagnosed as an
// app password to create, not as a wrong password.
func TestAppPasswordAlertIMAP(t *testing.T) {
	cfg, roots := scriptedTLS(t, mailtest.ScriptedCertOptions{})
	srv := mailtest.ScriptedIMAPForTest(t, mailtest.ScriptedIMAPOptions{TLSConfig: cfg, ImplicitTLS: true,
		Any: append([]mailtest.ScriptStep{{Expect: `^AUTHENTICATE PLAIN`,
			Reply: "{tag} NO [ALERT] Application-specific password required: https://support.google.com/mail/accounts/answer/185833 (Failure)\r\n"}}, imapBasics...)})
	s := check(t, "IMAP", endpoint(srv.Port(), accounts.SecurityTLS), &health.Options{Username: "u@example.test", Password: "pw", Roots: roots})
	wantStep(t, s, health.StepTLS, health.StatusOK)
	wantStep(t, s, health.StepSignIn, health.StatusFail)
	d := wantDiagnosis(t, s, health.DiagAppPassword)
	if !strings.Contains(d.Evidence, "Application-specific password required") || d.Action == nil || d.Action.Kind != health.ActionReenterPassword {
		t.Errorf("diagnosis %+v", d)
	}
	if _, ok := s.Diagnosis(health.DiagAuthFailed); ok {
		t.Error("also diagnosed as a wrong password")
	}
	if !s.TLS.Verified || s.TLS.Pinned || !s.TLS.HostnameMatch {
		t.Errorf("TLS %+v, want verified", s.TLS)
	}
}

// TestAppPasswordSMTP534: SMTP's 534 5.7.9 is the same diagnosis.
func TestAppPasswordSMTP534(t *testing.T) {
	cfg, roots := scriptedTLS(t, mailtest.ScriptedCertOptions{})
	srv := mailtest.ScriptedSMTPForTest(t, func(ss *mailtest.SMTPSession) error {
		ss.Reply("220 smtp.example.test ESMTP\r\n")
		if err := ss.Exchange("EHLO", "250-smtp.example.test\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n250 AUTH LOGIN PLAIN\r\n"); err != nil {
			return err
		}
		return ss.Exchange("AUTH PLAIN", "534-5.7.9 Application-specific password required. Learn more at\r\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor\r\n")
	}, &mailtest.ScriptedSMTPOptions{TLS: cfg, ImplicitTLS: true})
	s := check(t, "SMTP", endpoint(splitPort(t, srv.Addr), accounts.SecurityTLS), &health.Options{Username: "u@example.test", Password: "pw", Roots: roots})
	wantStep(t, s, health.StepSignIn, health.StatusFail)
	d := wantDiagnosis(t, s, health.DiagAppPassword)
	if !strings.Contains(d.Evidence, "534 5.7.9") {
		t.Errorf("evidence %q lacks the server's words", d.Evidence)
	}
	if s.SizeLimit != 35882577 {
		t.Errorf("SizeLimit = %d", s.SizeLimit)
	}
	var ae *accounts.AuthError
	if !errorsAs(s.Err, &ae) {
		t.Errorf("Err = %v, want an AuthError", s.Err)
	}
}

// TestTooManyConnections: a [LIMIT] refusal suggests fewer connections.
func TestTooManyConnections(t *testing.T) {
	cfg, roots := scriptedTLS(t, mailtest.ScriptedCertOptions{})
	srv := mailtest.ScriptedIMAPForTest(t, mailtest.ScriptedIMAPOptions{TLSConfig: cfg, ImplicitTLS: true,
		Any: append([]mailtest.ScriptStep{{Expect: `^AUTHENTICATE PLAIN`,
			Reply: "{tag} NO [LIMIT] Too many simultaneous connections\r\n"}}, imapBasics...)})
	s := check(t, "IMAP", endpoint(srv.Port(), accounts.SecurityTLS), &health.Options{Username: "u", Password: "pw", Roots: roots})
	d := wantDiagnosis(t, s, health.DiagTooManyConns)
	if d.Action == nil || d.Action.Kind != health.ActionFewerConnections {
		t.Errorf("action %+v", d.Action)
	}
}

// TestCertificateProblems: an expired certificate, one for another name and
// one not valid yet fail TLS with the diagnosis, and nothing is sent; the
// first two offer the fingerprint to review (the third is the clock's
// problem, not the certificate's).
func TestCertificateProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		cert mailtest.ScriptedCertOptions
		code string
	}{
		{"expired", mailtest.ScriptedCertOptions{NotBefore: time.Now().Add(-72 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)}, health.DiagCertExpired},
		{"wrong-name", mailtest.ScriptedCertOptions{Hosts: []string{"mail.elsewhere.test"}}, health.DiagCertWrongName},
		// As this computer's clock sees a certificate when it runs days
		// behind.
		{"not-yet-valid", mailtest.ScriptedCertOptions{NotBefore: time.Now().Add(47 * time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour)}, health.DiagCertNotYetValid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, roots := scriptedTLS(t, tc.cert)
			srv := mailtest.ScriptedIMAPForTest(t, mailtest.ScriptedIMAPOptions{TLSConfig: cfg, ImplicitTLS: true, Any: imapBasics})
			s := check(t, "IMAP", endpoint(srv.Port(), accounts.SecurityTLS), &health.Options{Username: "u", Password: "pw", Roots: roots})
			wantStep(t, s, health.StepTLS, health.StatusFail)
			d := wantDiagnosis(t, s, tc.code)
			if s.TLS == nil {
				t.Fatal("no TLS information")
			}
			fp := s.TLS.SHA256
			if tc.code == health.DiagCertNotYetValid {
				if !strings.Contains(d.Summary, "clock") || d.Action != nil {
					t.Errorf("diagnosis %+v", d)
				}
			} else if d.Action == nil || d.Action.Kind != health.ActionReviewCert || d.Action.Fingerprint != fp {
				t.Errorf("action %+v", d.Action)
			}
			var ce *accounts.CertError
			if !errorsAs(s.Err, &ce) {
				t.Errorf("Err = %v, want a CertError", s.Err)
			}
			if s.TLS.Verified || !strings.HasPrefix(fp, "SHA256:") {
				t.Errorf("TLS %+v", s.TLS)
			}
			if len(srv.Commands()) != 0 {
				t.Errorf("commands sent over an untrusted connection: %v", srv.Commands())
			}
		})
	}
}

// TestSTARTTLSOnImplicitTLSPort: STARTTLS configured for a port that
// speaks TLS from the first byte: the greeting never comes, TLS on the
// same port works, and the fix is to switch.
func TestSTARTTLSOnImplicitTLSPort(t *testing.T) {
	cfg, roots := scriptedTLS(t, mailtest.ScriptedCertOptions{})
	srv := mailtest.ScriptedIMAPForTest(t, mailtest.ScriptedIMAPOptions{TLSConfig: cfg, ImplicitTLS: true, Any: imapBasics})
	o := &health.Options{Roots: roots, Timeout: 500 * time.Millisecond, PortMap: ports(map[int]string{993: srv.Addr()})}
	s := check(t, "IMAP", endpoint(993, accounts.SecuritySTARTTLS), o)
	wantStep(t, s, health.StepGreeting, health.StatusFail)
	d := wantDiagnosis(t, s, health.DiagSecurityMismatch)
	if d.Action == nil || d.Action.Endpoint == nil || d.Action.Endpoint.Security != accounts.SecurityTLS || d.Action.Endpoint.Port != 993 {
		t.Fatalf("action %+v", d.Action)
	}
}

// TestTLSOnSTARTTLSPort: TLS configured for a port that greets in
// plaintext: the handshake meets the greeting, STARTTLS on the same port
// works.
func TestTLSOnSTARTTLSPort(t *testing.T) {
	cfg, roots := scriptedTLS(t, mailtest.ScriptedCertOptions{})
	srv := mailtest.ScriptedIMAPForTest(t, mailtest.ScriptedIMAPOptions{TLSConfig: cfg,
		Greeting: "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n",
		Steps:    []mailtest.ScriptStep{{Expect: `^STARTTLS`, Reply: "{tag} OK begin TLS\r\n", StartTLS: true}},
		Any:      imapBasics})
	o := &health.Options{Roots: roots, Timeout: 5 * time.Second, PortMap: ports(map[int]string{143: srv.Addr()})}
	s := check(t, "IMAP", endpoint(143, accounts.SecurityTLS), o)
	st := wantStep(t, s, health.StepTLS, health.StatusFail)
	if !strings.Contains(st.Detail, "plaintext") {
		t.Errorf("TLS step %q does not say the server answered in plaintext", st.Detail)
	}
	d := wantDiagnosis(t, s, health.DiagSecurityMismatch)
	if d.Action == nil || d.Action.Endpoint == nil || d.Action.Endpoint.Security != accounts.SecuritySTARTTLS || d.Action.Endpoint.Port != 143 {
		t.Fatalf("action %+v", d.Action)
	}
}

// swallower accepts connections and never says a word, as a port blocked
// by a middlebox that completes the handshake looks.
func swallower(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// TestBlockedSubmissionPort: port 465 accepts and says nothing (neither to
// TLS nor to plaintext); 587 of the same server answers: the diagnosis
// names both ports and offers 587.
func TestBlockedSubmissionPort(t *testing.T) {
	cfg, roots := scriptedTLS(t, mailtest.ScriptedCertOptions{})
	smtpSrv := mailtest.ScriptedSMTPForTest(t, func(ss *mailtest.SMTPSession) error {
		ss.Reply("220 smtp.example.test ESMTP\r\n")
		if err := ss.Exchange("EHLO", "250-smtp.example.test\r\n250 STARTTLS\r\n"); err != nil {
			return err
		}
		if err := ss.Exchange("STARTTLS", "220 go ahead\r\n"); err != nil {
			return err
		}
		if err := ss.StartTLS(); err != nil {
			return err
		}
		if err := ss.Exchange("EHLO", "250-smtp.example.test\r\n250-SIZE 1000\r\n250 AUTH PLAIN\r\n"); err != nil {
			return err
		}
		return ss.Exchange("QUIT", "221 bye\r\n")
	}, &mailtest.ScriptedSMTPOptions{TLS: cfg})
	o := &health.Options{Roots: roots, Timeout: 500 * time.Millisecond,
		PortMap: ports(map[int]string{465: swallower(t), 587: smtpSrv.Addr})}
	s := check(t, "SMTP", endpoint(465, accounts.SecurityTLS), o)
	if st := wantStep(t, s, health.StepTLS, health.StatusFail); !strings.Contains(st.Detail, "no answer to the TLS handshake") {
		t.Errorf("TLS step %q does not say the server never answered", st.Detail)
	}
	d := wantDiagnosis(t, s, health.DiagPortBlocked)
	if !strings.Contains(d.Summary, "port 465") || !strings.Contains(d.Summary, "port 587") {
		t.Errorf("summary %q", d.Summary)
	}
	if d.Action == nil || d.Action.Endpoint == nil || d.Action.Endpoint.Port != 587 || d.Action.Endpoint.Security != accounts.SecuritySTARTTLS {
		t.Fatalf("action %+v", d.Action)
	}
	var ce *accounts.ConnectError
	if !errorsAs(s.Err, &ce) || !errorsIs(s.Err, accounts.ErrTimeout) {
		t.Errorf("Err = %v, want a ConnectError of a timeout", s.Err)
	}
}

// TestNothingAnswers: when no port answers, the diagnosis says so and
// suggests no switch.
func TestNothingAnswers(t *testing.T) {
	sw := swallower(t)
	o := &health.Options{Timeout: 300 * time.Millisecond, PortMap: ports(map[int]string{993: sw, 143: sw})}
	s := check(t, "IMAP", endpoint(993, accounts.SecurityTLS), o)
	d := wantDiagnosis(t, s, health.DiagNoAnswer)
	if d.Action == nil || d.Action.Kind != health.ActionRetry {
		t.Errorf("action %+v", d.Action)
	}
	if len(s.Alternates) != 2 {
		t.Errorf("alternates %+v, want the same port with STARTTLS and port 143", s.Alternates)
	}
}

// TestTraceHoldsNoSecret signs in with LOGIN and with AUTHENTICATE PLAIN
// (IMAP) and AUTH PLAIN (SMTP), and checks that the trace keeps the
// exchanges but neither the password nor its SASL encodings.
func TestTraceHoldsNoSecret(t *testing.T) {
	const password = "Tr0ub4dor&3-secret"
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true, Password: password})
	acct := mailtest.DemoAccount(srv)
	tr := health.NewTrace(0)
	for _, ep := range []accounts.Endpoint{acct.IMAP, acct.SMTP} {
		proto := "IMAP"
		if ep == acct.SMTP {
			proto = "SMTP"
		}
		s := check(t, proto, ep, &health.Options{Username: srv.Username, Password: password, Pin: acct.PinFor(ep.Host, ep.Port), Trace: tr})
		wantStep(t, s, health.StepSignIn, health.StatusOK)
	}
	// A server without AUTH=PLAIN gets the password in a LOGIN command.
	cfg, roots := scriptedTLS(t, mailtest.ScriptedCertOptions{})
	login := mailtest.ScriptedIMAPForTest(t, mailtest.ScriptedIMAPOptions{TLSConfig: cfg, ImplicitTLS: true, Any: []mailtest.ScriptStep{
		{Expect: `^CAPABILITY`, Reply: "* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n"},
		{Expect: `^LOGIN `, Reply: "{tag} OK welcome\r\n"},
		{Expect: `^LOGOUT`, Reply: "* BYE bye\r\n{tag} OK bye\r\n", Close: true},
	}})
	s := check(t, "IMAP", endpoint(login.Port(), accounts.SecurityTLS), &health.Options{Username: "u", Password: password, Roots: roots, Trace: tr})
	wantStep(t, s, health.StepSignIn, health.StatusOK)
	if cmds := login.Commands(); !strings.Contains(cmdLines(cmds), password) {
		t.Fatalf("the scripted server never got the password in LOGIN: %v", cmds)
	}

	var b strings.Builder
	tr.WriteTo(&b)
	text := b.String()
	t.Log(text)
	plain := "\x00" + srv.Username + "\x00" + password
	for _, secret := range []string{password, base64.StdEncoding.EncodeToString([]byte(plain)),
		base64.StdEncoding.EncodeToString([]byte(password)), base64.StdEncoding.EncodeToString([]byte("\x00u\x00" + password))} {
		if strings.Contains(text, secret) {
			t.Errorf("the trace holds a secret %q", secret)
		}
	}
	for _, want := range []string{"CAPABILITY", "AUTHENTICATE PLAIN [redacted]", "LOGIN [redacted]", "AUTH PLAIN", "EHLO"} {
		if !strings.Contains(text, want) {
			t.Errorf("the trace lacks %q", want)
		}
	}
	if n := len(tr.Conns()); n != 3 {
		t.Errorf("%d connections traced, want 3", n)
	}
}

func cmdLines(cmds []mailtest.ScriptedCommand) string {
	var s []string
	for _, c := range cmds {
		s = append(s, c.Line)
	}
	return strings.Join(s, "\n")
}
