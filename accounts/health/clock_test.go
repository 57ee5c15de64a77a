package health_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/health"
	"github.com/ternmail/tern/internal/mailtest"
)

// greetingServer is a scripted SMTP server (implicit TLS) that greets with
// greeting and answers EHLO.
func greetingServer(t *testing.T, greeting string) (accounts.Endpoint, *health.Options) {
	t.Helper()
	cfg, roots := scriptedTLS(t, mailtest.ScriptedCertOptions{})
	srv := mailtest.ScriptedSMTPForTest(t, func(ss *mailtest.SMTPSession) error {
		ss.Reply(greeting)
		if err := ss.Exchange("EHLO", "250-mx.example.test\r\n250 AUTH PLAIN\r\n"); err != nil {
			return err
		}
		_, err := ss.ReadLine() // QUIT, or the end of the connection
		return err
	}, &mailtest.ScriptedSMTPOptions{TLS: cfg, ImplicitTLS: true})
	return endpoint(splitPort(t, srv.Addr), accounts.SecurityTLS), &health.Options{Roots: roots}
}

// TestClockFromSMTPGreeting: a greeting that gives the server's time (as
// Exim's, Sendmail's and Exchange's do) is compared with this computer's
// clock; three hours apart is diagnosed with both times as evidence, a
// few seconds is not, and a greeting without a date says nothing.
func TestClockFromSMTPGreeting(t *testing.T) {
	behind := time.Now().Add(-3 * time.Hour).UTC()
	cases := []struct {
		name, greeting string
		wantDiag       bool
		wantTime       bool
	}{
		{"exim three hours behind", "220 mx.example.test ESMTP Exim 4.96 " + behind.Format("Mon, 02 Jan 2006 15:04:05 -0700") + "\r\n", true, true},
		{"sendmail in time", "220 mx.example.test ESMTP Sendmail 8.17.1/8.17.1; " + time.Now().UTC().Format("Mon, 2 Jan 2006 15:04:05 MST") + "\r\n", false, true},
		{"no date", "220 mx.example.test ESMTP Postfix\r\n", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ep, o := greetingServer(t, c.greeting)
			s := check(t, "SMTP", ep, o)
			wantStep(t, s, health.StepGreeting, health.StatusOK)
			if got := !s.ServerTime.IsZero(); got != c.wantTime {
				t.Fatalf("ServerTime %v, want one: %v", s.ServerTime, c.wantTime)
			}
			d, ok := s.Diagnosis(health.DiagClockOff)
			if ok != c.wantDiag {
				t.Fatalf("clock diagnosis %v, want %v: %+v", ok, c.wantDiag, d)
			}
			if !ok {
				if c.wantTime && s.ClockSkew.Abs() > time.Minute {
					t.Errorf("skew %v", s.ClockSkew)
				}
				return
			}
			if !strings.Contains(d.Summary, "3 hours ahead of") || !strings.Contains(d.Evidence, behind.Format(time.RFC3339)) {
				t.Errorf("diagnosis %+v", d)
			}
			if s.ClockSkew < 3*time.Hour-time.Minute || s.ClockSkew > 3*time.Hour+time.Minute {
				t.Errorf("skew %v, want about 3h", s.ClockSkew)
			}
		})
	}
}

// TestSMTPTooManyConnections: an SMTP server that turns the connection
// away with 421 for too many connections, or refuses AUTH with 454 for the
// same reason, is diagnosed as too many connections with the fix of fewer
// connections, not as a wrong password or a server down.
func TestSMTPTooManyConnections(t *testing.T) {
	cfg, roots := scriptedTLS(t, mailtest.ScriptedCertOptions{})
	greeting421 := mailtest.ScriptedSMTPForTest(t, func(ss *mailtest.SMTPSession) error {
		return ss.Reply("421 4.7.0 mx.example.test Error: too many connections from 127.0.0.1\r\n")
	}, &mailtest.ScriptedSMTPOptions{TLS: cfg, ImplicitTLS: true})
	limit421 := mailtest.ScriptedSMTPForTest(t, func(ss *mailtest.SMTPSession) error {
		return ss.Reply("421 4.3.2 Connection limit exceeded for 127.0.0.1, closing transmission channel\r\n")
	}, &mailtest.ScriptedSMTPOptions{TLS: cfg, ImplicitTLS: true})
	auth454 := mailtest.ScriptedSMTPForTest(t, func(ss *mailtest.SMTPSession) error {
		ss.Reply("220 mx.example.test ESMTP\r\n")
		if err := ss.Exchange("EHLO", "250-mx.example.test\r\n250 AUTH PLAIN LOGIN\r\n"); err != nil {
			return err
		}
		return ss.Exchange("AUTH PLAIN", "454 4.7.0 Too many concurrent SMTP connections from this IP; try again later\r\n")
	}, &mailtest.ScriptedSMTPOptions{TLS: cfg, ImplicitTLS: true})
	for _, c := range []struct {
		name, addr, step, words string
	}{
		{"421 greeting", greeting421.Addr, health.StepGreeting, "421 4.7.0"},
		{"421 connection limit", limit421.Addr, health.StepGreeting, "421 4.3.2"},
		{"454 AUTH", auth454.Addr, health.StepSignIn, "454 4.7.0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := check(t, "SMTP", endpoint(splitPort(t, c.addr), accounts.SecurityTLS),
				&health.Options{Username: "u@example.test", Password: "pw", Roots: roots})
			wantStep(t, s, c.step, health.StatusFail)
			d := wantDiagnosis(t, s, health.DiagTooManyConns)
			if d.Action == nil || d.Action.Kind != health.ActionFewerConnections || !strings.Contains(d.Evidence, c.words) {
				t.Errorf("diagnosis %+v", d)
			}
			if _, ok := s.Diagnosis(health.DiagAuthFailed); ok {
				t.Error("also diagnosed as a wrong password")
			}
			if len(s.Alternates) != 0 {
				t.Errorf("other ports probed for a server that answered: %+v", s.Alternates)
			}
		})
	}
}
