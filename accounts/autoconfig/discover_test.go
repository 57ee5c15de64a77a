package autoconfig_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig"
	"github.com/ternmail/tern/accounts/autoconfig/autoconfigtest"
	"github.com/ternmail/tern/internal/mailtest"
)

// mailServer starts a plaintext in-process IMAP+SMTP server; fronts give it
// TLS under the names discovery looks for.
func mailServer(t *testing.T, user, password string) *mailtest.Server {
	return mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: user, Password: password})
}

// serve puts TLS fronts for imapHost:993 and smtpHost:465 before srv.
func serve(n *autoconfigtest.Net, srv *mailtest.Server, imapHost, smtpHost string) {
	n.Front(imapHost, 993, srv.IMAPAddr)
	n.Front(smtpHost, 465, srv.SMTPAddr)
}

func configXML(imapHost string, imapPort int, imapSocket, smtpHost string, smtpPort int, smtpSocket, username string) string {
	return fmt.Sprintf(`<clientConfig version="1.1"><emailProvider id="x">
<incomingServer type="pop3"><hostname>pop.invalid.test</hostname><port>995</port><socketType>SSL</socketType></incomingServer>
<incomingServer type="imap"><hostname>%s</hostname><port>%d</port><socketType>%s</socketType><username>%s</username><authentication>password-cleartext</authentication></incomingServer>
<outgoingServer type="smtp"><hostname>%s</hostname><port>%d</port><socketType>%s</socketType><username>%s</username><authentication>password-cleartext</authentication></outgoingServer>
</emailProvider></clientConfig>`, imapHost, imapPort, imapSocket, username, smtpHost, smtpPort, smtpSocket, username)
}

func discover(t *testing.T, email string, opts *autoconfig.Options) (*autoconfig.Result, error) {
	t.Helper()
	var events []autoconfig.Event
	res, err := autoconfig.Discover(context.Background(), email, opts, func(e autoconfig.Event) { events = append(events, e) })
	if res != nil {
		for _, c := range res.Candidates {
			t.Logf("candidate %s %s %s ok=%v err=%q", c.Source, c.Protocol, c.Endpoint, c.OK, c.Err)
		}
		for _, n := range res.Notes {
			t.Logf("note %s", n)
		}
		if len(events) == 0 {
			t.Error("no progress events")
		}
	}
	return res, err
}

func wantWinner(t *testing.T, res *autoconfig.Result, source autoconfig.Source, imapAddr, smtpAddr string) {
	t.Helper()
	if res.IMAPCandidate == nil || res.SMTPCandidate == nil {
		t.Fatalf("no winner: %+v", res)
	}
	if got := res.IMAP.Addr(); got != imapAddr || res.IMAPCandidate.Source != source {
		t.Errorf("IMAP winner %s from %s, want %s from %s", got, res.IMAPCandidate.Source, imapAddr, source)
	}
	if got := res.SMTP.Addr(); got != smtpAddr || res.SMTPCandidate.Source != source {
		t.Errorf("SMTP winner %s from %s, want %s from %s", got, res.SMTPCandidate.Source, smtpAddr, source)
	}
}

func TestProviderTableWinsAndVerifies(t *testing.T) {
	n := autoconfigtest.New(t)
	srv := mailServer(t, "alice@gmail.com", "pw-gmail")
	serve(n, srv, "imap.gmail.com", "smtp.gmail.com")
	// Another source disagrees: the provider table wins.
	n.SRV("imaps", "gmail.com", 0, 0, 993, "imap.elsewhere.test")
	opts := n.Options()
	res, err := discover(t, "alice@gmail.com", opts)
	if err != nil {
		t.Fatal(err)
	}
	wantWinner(t, res, autoconfig.SourceProvider, "imap.gmail.com:993", "smtp.gmail.com:465")
	ev := res.IMAPCandidate.Evidence
	if ev == nil || ev.Cert != "verified" || !strings.HasPrefix(ev.TLSVersion, "TLS 1.") || len(ev.AuthMechanisms) == 0 {
		t.Fatalf("evidence: %+v", ev)
	}

	acct := accounts.Account{Email: "alice@gmail.com", IMAP: res.IMAP, SMTP: res.SMTP}
	v, err := autoconfig.Verify(context.Background(), acct, "pw-gmail", opts)
	if err != nil {
		t.Fatal(err)
	}
	if !v.IMAP.OK || !v.SMTP.OK || v.Account.IMAP.Username != "alice@gmail.com" || v.SMTP.Evidence.Cert != "verified" {
		t.Fatalf("verification: %+v", v)
	}
}

func TestDomainAutoconfigBeatsISPDBAndSRV(t *testing.T) {
	n := autoconfigtest.New(t)
	srv := mailServer(t, "alice", "pw")
	serve(n, srv, "mail.example.test", "mail.example.test")
	serve(n, srv, "isp.example.test", "isp.example.test")
	serve(n, srv, "srv.example.test", "srv.example.test")
	n.Page("https://autoconfig.example.test/mail/config-v1.1.xml",
		configXML("mail.example.test", 993, "SSL", "mail.example.test", 465, "SSL", "%EMAILLOCALPART%"))
	n.Page("https://autoconfig.thunderbird.net/v1.1/example.test",
		configXML("isp.example.test", 993, "SSL", "isp.example.test", 465, "SSL", "%EMAILADDRESS%"))
	n.SRV("imaps", "example.test", 0, 0, 993, "srv.example.test")
	n.SRV("submissions", "example.test", 0, 0, 465, "srv.example.test")
	opts := n.Options()
	res, err := discover(t, "alice@example.test", opts)
	if err != nil {
		t.Fatal(err)
	}
	wantWinner(t, res, autoconfig.SourceAutoconfig, "mail.example.test:993", "mail.example.test:465")
	if res.IMAP.Username != "alice" {
		t.Errorf("username %q, want the local part", res.IMAP.Username)
	}
	v, err := autoconfig.Verify(context.Background(), accounts.Account{Email: "alice@example.test", IMAP: res.IMAP, SMTP: res.SMTP}, "pw", opts)
	if err != nil || v.Account.SMTP.Username != "alice" {
		t.Fatalf("verify: %v %+v", err, v)
	}

	// Without the domain's own document the ISPDB wins; the well-known
	// location is the second place looked at.
	n2 := autoconfigtest.New(t)
	serve(n2, srv, "isp.example.test", "isp.example.test")
	serve(n2, srv, "wk.example.test", "wk.example.test")
	serve(n2, srv, "srv.example.test", "srv.example.test")
	n2.Page("https://autoconfig.thunderbird.net/v1.1/example.test",
		configXML("isp.example.test", 993, "SSL", "isp.example.test", 465, "SSL", "%EMAILADDRESS%"))
	n2.SRV("imaps", "example.test", 0, 0, 993, "srv.example.test")
	n2.SRV("submissions", "example.test", 0, 0, 465, "srv.example.test")
	res, err = discover(t, "alice@example.test", n2.Options())
	if err != nil {
		t.Fatal(err)
	}
	wantWinner(t, res, autoconfig.SourceISPDB, "isp.example.test:993", "isp.example.test:465")
	n2.Page("https://example.test/.well-known/autoconfig/mail/config-v1.1.xml",
		configXML("wk.example.test", 993, "SSL", "wk.example.test", 465, "SSL", "%EMAILADDRESS%"))
	res, err = discover(t, "alice@example.test", n2.Options())
	if err != nil {
		t.Fatal(err)
	}
	wantWinner(t, res, autoconfig.SourceAutoconfig, "wk.example.test:993", "wk.example.test:465")
}

func TestVerifiedBeatsPrecedence(t *testing.T) {
	n := autoconfigtest.New(t)
	srv := mailServer(t, "bob@mixed.test", "pw")
	// The domain's document names a server that is down; SRV names one that works.
	n.Page("https://autoconfig.mixed.test/mail/config-v1.1.xml",
		configXML("down.mixed.test", 993, "SSL", "down.mixed.test", 465, "SSL", "%EMAILADDRESS%"))
	n.Map("down.mixed.test", 993, autoconfigtest.Closed(t))
	n.Map("down.mixed.test", 465, autoconfigtest.Closed(t))
	serve(n, srv, "up.mixed.test", "up.mixed.test")
	n.SRV("imaps", "mixed.test", 0, 0, 993, "up.mixed.test")
	n.SRV("submissions", "mixed.test", 0, 0, 465, "up.mixed.test")
	res, err := discover(t, "bob@mixed.test", n.Options())
	if err != nil {
		t.Fatal(err)
	}
	wantWinner(t, res, autoconfig.SourceSRV, "up.mixed.test:993", "up.mixed.test:465")
	failed := 0
	for _, c := range res.Candidates {
		if c.Source == autoconfig.SourceAutoconfig && !c.OK && strings.Contains(c.Err, "connection refused") {
			failed++
		}
	}
	if failed != 2 {
		t.Errorf("want both autoconfig candidates failed with connection refused, got %d", failed)
	}
}

func TestSRVPriorityAndWeight(t *testing.T) {
	n := autoconfigtest.New(t)
	srv := mailServer(t, "carol@srv.test", "pw")
	for _, h := range []string{"a.srv.test", "b.srv.test", "c.srv.test", "d.srv.test"} {
		serve(n, srv, h, h)
	}
	n.SRV("imaps", "srv.test", 10, 100, 993, "a.srv.test")
	n.SRV("imaps", "srv.test", 0, 5, 993, "b.srv.test")
	n.SRV("imaps", "srv.test", 0, 50, 993, "c.srv.test")
	n.SRV("imap", "srv.test", 0, 0, 143, "d.srv.test") // STARTTLS: implicit TLS is preferred
	n.SRV("submissions", "srv.test", 0, 0, 465, "d.srv.test")
	n.SRV("submission", "srv.test", 0, 0, 0, ".") // not offered
	res, err := discover(t, "carol@srv.test", n.Options())
	if err != nil {
		t.Fatal(err)
	}
	wantWinner(t, res, autoconfig.SourceSRV, "c.srv.test:993", "d.srv.test:465")
	if !strings.Contains(strings.Join(res.Notes, "\n"), "_submission._tcp.srv.test: \".\": not offered") {
		t.Errorf("notes do not report the \".\" target: %q", res.Notes)
	}
}

func TestMXHostingProvider(t *testing.T) {
	n := autoconfigtest.New(t)
	srv := mailServer(t, "dan@hosted.test", "pw")
	serve(n, srv, "imap.hoster.test", "smtp.hoster.test")
	n.MX("hosted.test", 20, "mx.backup.test")
	n.MX("hosted.test", 10, "mx1.eu.hoster.test")
	n.Page("https://autoconfig.thunderbird.net/v1.1/hoster.test",
		configXML("imap.hoster.test", 993, "SSL", "smtp.hoster.test", 465, "SSL", "%EMAILADDRESS%"))
	res, err := discover(t, "dan@hosted.test", n.Options())
	if err != nil {
		t.Fatal(err)
	}
	wantWinner(t, res, autoconfig.SourceMX, "imap.hoster.test:993", "smtp.hoster.test:465")
	if !strings.Contains(res.IMAPCandidate.Detail, "hoster.test") {
		t.Errorf("detail %q", res.IMAPCandidate.Detail)
	}

	// A Google Workspace domain: MX into google.com, found in the table.
	n.MX("workspace.test", 1, "aspmx.l.google.com")
	ws := mailServer(t, "erin@workspace.test", "pw")
	serve(n, ws, "imap.gmail.com", "smtp.gmail.com")
	res, err = discover(t, "erin@workspace.test", n.Options())
	if err != nil {
		t.Fatal(err)
	}
	wantWinner(t, res, autoconfig.SourceMX, "imap.gmail.com:993", "smtp.gmail.com:465")
}

func TestGuessingSTARTTLSOnlyRealServers(t *testing.T) {
	user := mailtest.RealUser{Name: "dave@starttls.test", Password: "dave-pw-9"}
	real := mailtest.RealForTest(t, user)
	n := autoconfigtest.New(t)
	n.Roots.AppendCertsFromPEM(real.CertPEM) // valid for mail.starttls.test
	n.A("mail.starttls.test", "starttls.test")
	n.Map("mail.starttls.test", 143, real.IMAPAddr)
	n.Map("mail.starttls.test", 587, real.SubmissionAddr)
	opts := n.Options()
	res, err := discover(t, user.Name, opts)
	if err != nil {
		t.Fatal(err)
	}
	wantWinner(t, res, autoconfig.SourceGuess, "mail.starttls.test:143", "mail.starttls.test:587")
	if res.IMAP.Security != accounts.SecuritySTARTTLS || res.SMTP.Security != accounts.SecuritySTARTTLS {
		t.Fatalf("security %s/%s", res.IMAP.Security, res.SMTP.Security)
	}
	for _, c := range res.Candidates {
		if c.Endpoint.Host == "imap.starttls.test" && !strings.Contains(c.Err, "no such name") {
			t.Errorf("unresolvable guess: %+v", c)
		}
	}
	acct := accounts.Account{Email: user.Name, IMAP: res.IMAP, SMTP: res.SMTP}
	v, err := autoconfig.Verify(context.Background(), acct, user.Password, opts)
	if err != nil {
		t.Fatal(err)
	}
	if v.SMTP.Evidence.TLSVersion == "" || v.IMAP.Evidence.Cert != "verified" {
		t.Fatalf("evidence: %+v %+v", v.IMAP.Evidence, v.SMTP.Evidence)
	}
	// A wrong password: both user name forms tried, a clear error.
	v, err = autoconfig.Verify(context.Background(), acct, "wrong-pw-123", opts)
	var ae *accounts.AuthError
	if !errors.As(err, &ae) || ae.Protocol != "IMAP" || len(v.IMAP.Attempts) != 2 || strings.Contains(err.Error(), "wrong-pw-123") {
		t.Fatalf("wrong password: %v, %+v", err, v.IMAP.Attempts)
	}
	if !strings.Contains(err.Error(), "refused the user name or password") {
		t.Fatalf("message: %v", err)
	}
}

func TestSelfSignedCertificate(t *testing.T) {
	n := autoconfigtest.New(t)
	srv := mailServer(t, "fay@self.test", "pw")
	cert, fp := n.SelfSigned("mail.self.test")
	n.TLSFront("mail.self.test", 993, srv.IMAPAddr, cert)
	n.Front("smtp.self.test", 465, srv.SMTPAddr)
	n.Page("https://autoconfig.self.test/mail/config-v1.1.xml",
		configXML("mail.self.test", 993, "SSL", "smtp.self.test", 465, "SSL", "%EMAILADDRESS%"))
	opts := n.Options()
	res, err := discover(t, "fay@self.test", opts)
	var ce *accounts.CertError
	if !errors.As(err, &ce) || ce.SHA256 != fp || ce.Host != "mail.self.test" || !strings.Contains(ce.Reason, "self-signed") || ce.Subject == "" {
		t.Fatalf("want a CertError with fingerprint %s, got %v", fp, err)
	}
	if res == nil || res.IMAP.Host != "mail.self.test" || res.IMAPCandidate.Evidence.CertError == nil {
		t.Fatalf("result: %+v", res)
	}
	// Accepted for another server, the certificate is still refused here.
	opts.AcceptCerts = map[string]string{"smtp.self.test:465": fp, "mail.self.test:143": fp}
	if _, err = discover(t, "fay@self.test", opts); !errors.As(err, &ce) || ce.SHA256 != fp {
		t.Fatalf("a fingerprint accepted for other servers made mail.self.test:993 acceptable: %v", err)
	}
	opts.AcceptCerts = map[string]string{"Mail.Self.Test:993": strings.ToLower(fp)}
	res, err = discover(t, "fay@self.test", opts)
	if err != nil || !strings.HasPrefix(res.IMAPCandidate.Evidence.Cert, "accepted by fingerprint") {
		t.Fatalf("with the fingerprint accepted: %v %+v", err, res)
	}
	// Verify uses the account's pins.
	acct := accounts.Account{Email: "fay@self.test", IMAP: res.IMAP, SMTP: res.SMTP}
	_, err = autoconfig.Verify(context.Background(), acct, "pw", n.Options())
	if !errors.As(err, &ce) {
		t.Fatalf("verify without pin: %v", err)
	}
	acct.TrustCert("mail.self.test", 993, fp)
	if _, err := autoconfig.Verify(context.Background(), acct, "pw", n.Options()); err != nil {
		t.Fatalf("verify with pin: %v", err)
	}
}

func TestOutgoingServerRejectsAuth(t *testing.T) {
	n := autoconfigtest.New(t)
	in := mailServer(t, "gus@out.test", "pw")
	other := mailServer(t, "gus@out.test", "another-pw")
	n.Front("imap.out.test", 993, in.IMAPAddr)
	n.Front("smtp.out.test", 465, other.SMTPAddr)
	n.SMTPWithoutAuth("noauth.out.test", 587)
	acct := accounts.Account{Email: "gus@out.test",
		IMAP: accounts.Endpoint{Host: "imap.out.test", Port: 993, Security: accounts.SecurityTLS, Username: "gus@out.test"},
		SMTP: accounts.Endpoint{Host: "smtp.out.test", Port: 465, Security: accounts.SecurityTLS, Username: "gus@out.test"}}
	v, err := autoconfig.Verify(context.Background(), acct, "pw", n.Options())
	var ae *accounts.AuthError
	if !errors.As(err, &ae) || ae.Protocol != "SMTP" || !v.IMAP.OK || v.SMTP.OK {
		t.Fatalf("want an SMTP AuthError, got %v (%+v)", err, v)
	}
	if !strings.Contains(err.Error(), "the SMTP server smtp.out.test:465 refused the user name or password") {
		t.Errorf("message: %v", err)
	}
	acct.SMTP = accounts.Endpoint{Host: "noauth.out.test", Port: 587, Security: accounts.SecuritySTARTTLS}
	_, err = autoconfig.Verify(context.Background(), acct, "pw", n.Options())
	var se *autoconfig.SecurityError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "does not offer AUTH after STARTTLS") {
		t.Fatalf("no AUTH: %v", err)
	}
	// STARTTLS is strict: a plaintext-only server is refused.
	acct.SMTP = accounts.Endpoint{Host: "plain.out.test", Port: 587, Security: accounts.SecuritySTARTTLS}
	n.Map("plain.out.test", 587, other.SMTPAddr)
	v, _ = autoconfig.Verify(context.Background(), acct, "another-pw", n.Options())
	if err := v.SMTP.Err; !errors.As(err, &se) || !strings.Contains(err.Error(), "does not offer STARTTLS") {
		t.Fatalf("no STARTTLS: %v", err)
	}
}

// Discover returns when its budget ends, with the winners found so far and
// the sources that had not answered named in the notes. The budget's end is
// an event the test fires once the SRV servers are in: a slow machine can
// neither end it before them nor make the hanging sources answer first
// (their own limits are an hour away).
func TestBudgetWithHangingSources(t *testing.T) {
	n := autoconfigtest.New(t)
	srv := mailServer(t, "hal@slow.test", "pw")
	serve(n, srv, "srv.slow.test", "srv.slow.test")
	n.HangPage("https://autoconfig.slow.test/mail/config-v1.1.xml")
	n.HangPage("https://slow.test/.well-known/autoconfig/mail/config-v1.1.xml")
	n.HangPage("https://autoconfig.thunderbird.net/v1.1/slow.test")
	n.HangDNS("slow.test") // MX never answers
	for _, h := range []string{"imap.slow.test", "mail.slow.test", "smtp.slow.test"} {
		n.HangDNS(h) // nor does guessing
	}
	n.SRV("imaps", "slow.test", 0, 0, 993, "srv.slow.test")
	n.SRV("submissions", "slow.test", 0, 0, 465, "srv.slow.test")
	budgetEnd := make(chan struct{})
	opts := autoconfig.WithBudgetEnd(n.Options(), budgetEnd)
	opts.Budget, opts.Timeout = time.Hour, time.Hour

	type outcome struct {
		res *autoconfig.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		srvOK := 0
		res, err := autoconfig.Discover(context.Background(), "hal@slow.test", opts, func(e autoconfig.Event) {
			if c := e.Candidate; c != nil && c.OK && c.Source == autoconfig.SourceSRV {
				if srvOK++; srvOK == 2 {
					close(budgetEnd)
				}
			}
		})
		done <- outcome{res, err}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-time.After(time.Minute): // a hang, not a measure of speed
		t.Fatal("Discover did not return after its budget ended")
	}
	if o.err != nil {
		t.Fatal(o.err)
	}
	wantWinner(t, o.res, autoconfig.SourceSRV, "srv.slow.test:993", "srv.slow.test:465")
	notes := strings.Join(o.res.Notes, "\n")
	for _, s := range []autoconfig.Source{autoconfig.SourceAutoconfig, autoconfig.SourceISPDB, autoconfig.SourceMX, autoconfig.SourceGuess} {
		if !strings.Contains(notes, string(s)+": no answer within the") {
			t.Errorf("notes do not name %s as not answering: %q", s, o.res.Notes)
		}
	}
}

// A server that the provider table or the domain's own configuration
// names, but that cannot be reached now (no DNS, no network), is the result,
// marked unverified with the reason, instead of nothing.
func TestUnreachableKnownServerIsUnverified(t *testing.T) {
	for _, tc := range []struct {
		name     string
		email    string
		setup    func(*autoconfigtest.Net)
		imap     string
		smtp     string
		source   autoconfig.Source
		reason   string // in each reason
		notFound bool   // the error is a NotFoundError, not an UnverifiedError
	}{
		{name: "provider host does not resolve", email: "hal@gmail.com", setup: func(*autoconfigtest.Net) {},
			imap: "imap.gmail.com:993", smtp: "smtp.gmail.com:465", source: autoconfig.SourceProvider, reason: "no such host"},
		{name: "DNS answers SERVFAIL", email: "hal@gmail.com", setup: func(n *autoconfigtest.Net) { n.ServFail() },
			imap: "imap.gmail.com:993", smtp: "smtp.gmail.com:465", source: autoconfig.SourceProvider, reason: "DNS lookup failed"},
		{name: "network unreachable", email: "hal@gmail.com", setup: func(n *autoconfigtest.Net) { n.SetOffline(true) },
			imap: "imap.gmail.com:993", smtp: "smtp.gmail.com:465", source: autoconfig.SourceProvider, reason: "network is unreachable"},
		{name: "the domain's own config names a host that does not resolve", email: "ann@corp.test", setup: func(n *autoconfigtest.Net) {
			n.Page("https://autoconfig.corp.test/mail/config-v1.1.xml",
				configXML("mail.corp.test", 993, "SSL", "mail.corp.test", 465, "SSL", "%EMAILADDRESS%"))
		}, imap: "mail.corp.test:993", smtp: "mail.corp.test:465", source: autoconfig.SourceAutoconfig, reason: "no such host"},
		// A guess that cannot be reached is no result: it was only a guess.
		{name: "a guessed host", email: "ann@guess.test", setup: func(n *autoconfigtest.Net) {
			n.A("imap.guess.test", "smtp.guess.test")
		}, notFound: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := autoconfigtest.New(t)
			tc.setup(n)
			res, err := discover(t, tc.email, n.Options())
			if tc.notFound {
				var nf *autoconfig.NotFoundError
				if !errors.As(err, &nf) || len(nf.Protocols) != 2 || len(res.Unverified) != 0 {
					t.Fatalf("want nothing found, got %v, unverified %+v", err, res.Unverified)
				}
				return
			}
			var ue *autoconfig.UnverifiedError
			if !errors.As(err, &ue) {
				t.Fatalf("want an UnverifiedError, got %v", err)
			}
			wantWinner(t, res, tc.source, tc.imap, tc.smtp)
			if res.IMAPCandidate.OK || res.SMTPCandidate.OK || !res.IMAPCandidate.Unreachable || !res.SMTPCandidate.Unreachable {
				t.Errorf("winners not marked unreachable: %+v %+v", res.IMAPCandidate, res.SMTPCandidate)
			}
			if len(res.Unverified) != 2 || len(ue.Servers) != 2 {
				t.Fatalf("unverified %+v, error %+v", res.Unverified, ue.Servers)
			}
			for i, want := range []struct{ protocol, addr string }{{autoconfig.ProtocolIMAP, tc.imap}, {autoconfig.ProtocolSMTP, tc.smtp}} {
				u := res.Unverified[i]
				host, _, _ := strings.Cut(want.addr, ":")
				if u.Protocol != want.protocol || u.Endpoint.Addr() != want.addr || u.Source != tc.source ||
					!strings.HasPrefix(u.Reason, "could not reach "+host+": ") || !strings.Contains(u.Reason, tc.reason) ||
					!strings.HasSuffix(u.Reason, " — are you offline?") {
					t.Errorf("unverified %s: %+v", want.protocol, u)
				}
				if !strings.Contains(err.Error(), u.Reason) {
					t.Errorf("error %q lacks %q", err, u.Reason)
				}
			}
		})
	}
}

// Guessing tries port 25 for outgoing mail after 465 and 587, and uses it
// only when it offers STARTTLS and then AUTH.
func TestGuessingPort25(t *testing.T) {
	n := autoconfigtest.New(t)
	srv := mailServer(t, "lu@p25.test", "pw")
	// STARTTLS and AUTH on 25 only: used, and a login works.
	n.A("imap.p25.test", "smtp.p25.test")
	n.Front("imap.p25.test", 993, srv.IMAPAddr)
	n.SMTPWithAuth("smtp.p25.test", 25, "lu@p25.test", "pw")
	opts := n.Options()
	res, err := discover(t, "lu@p25.test", opts)
	if err != nil {
		t.Fatal(err)
	}
	wantWinner(t, res, autoconfig.SourceGuess, "imap.p25.test:993", "smtp.p25.test:25")
	if res.SMTP.Security != accounts.SecuritySTARTTLS || res.SMTPCandidate.Evidence.TLSVersion == "" {
		t.Fatalf("port 25 without STARTTLS: %+v", res.SMTPCandidate)
	}
	v, err := autoconfig.Verify(context.Background(), accounts.Account{Email: "lu@p25.test", IMAP: res.IMAP, SMTP: res.SMTP}, "pw", opts)
	if err != nil || !v.SMTP.OK {
		t.Fatalf("verify: %v %+v", err, v)
	}

	// 587 works too: port 25 comes last.
	n.SMTPWithAuth("smtp.p25.test", 587, "lu@p25.test", "pw")
	res, err = discover(t, "lu@p25.test", opts)
	if err != nil {
		t.Fatal(err)
	}
	wantWinner(t, res, autoconfig.SourceGuess, "imap.p25.test:993", "smtp.p25.test:587")

	// Port 25 with STARTTLS but no AUTH (a server for incoming mail from
	// other servers) is not used.
	n.A("imap.mx25.test", "smtp.mx25.test")
	n.Front("imap.mx25.test", 993, srv.IMAPAddr)
	n.SMTPWithoutAuth("smtp.mx25.test", 25)
	res, err = discover(t, "lu@mx25.test", opts)
	var nf *autoconfig.NotFoundError
	if !errors.As(err, &nf) || len(nf.Protocols) != 1 || nf.Protocols[0] != "SMTP" || res.SMTPCandidate != nil {
		t.Fatalf("want no SMTP server, got %v (%+v)", err, res.SMTPCandidate)
	}
	tried := false
	for _, c := range res.Candidates {
		if c.Endpoint.Addr() == "smtp.mx25.test:25" {
			tried = true
			if c.OK || !strings.Contains(c.Err, "does not offer AUTH after STARTTLS") {
				t.Errorf("port 25 without AUTH: %+v", c)
			}
		}
	}
	if !tried {
		t.Error("port 25 was not tried")
	}
}

func TestPlainHTTPAutoconfigIsCrossChecked(t *testing.T) {
	n := autoconfigtest.New(t)
	srv := mailServer(t, "ivy@http.test", "pw")
	serve(n, srv, "mail.http.test", "mail.http.test")
	serve(n, srv, "mail.evil.test", "mail.evil.test")
	n.Page("http://autoconfig.http.test/mail/config-v1.1.xml",
		configXML("mail.evil.test", 993, "SSL", "mail.http.test", 465, "SSL", "%EMAILADDRESS%"))
	res, err := discover(t, "ivy@http.test", n.Options())
	var nf *autoconfig.NotFoundError
	if !errors.As(err, &nf) || len(nf.Protocols) != 1 || nf.Protocols[0] != "IMAP" {
		t.Fatalf("want IMAP not found (the HTTP-only server lies outside the domain), got %v", err)
	}
	if res.SMTP.Host != "mail.http.test" || res.SMTPCandidate.Source != autoconfig.SourceAutoconfigHTTP {
		t.Fatalf("SMTP in the domain: %+v", res.SMTPCandidate)
	}
}

func TestDiscoverRejectsBadAddress(t *testing.T) {
	for _, bad := range []string{"", "alice", "@example.test", "alice@", "alice@localhost", "a b@example.test"} {
		if _, err := autoconfig.Discover(context.Background(), bad, &autoconfig.Options{}, nil); err == nil {
			t.Errorf("Discover(%q) succeeded", bad)
		}
	}
}

// Only 535 (5.7.8) means a wrong password; the other refusals of AUTH say
// what they mean and are not reported as a wrong password.
func TestSMTPAuthRefusalsSayWhatTheyMean(t *testing.T) {
	n := autoconfigtest.New(t)
	in := mailServer(t, "ida@codes.test", "pw")
	n.Front("imap.codes.test", 993, in.IMAPAddr)
	for i, tc := range []struct {
		code  int
		enh   smtp.EnhancedCode
		msg   string
		auth  bool   // want an *AuthError
		words string // in the message
	}{
		{535, smtp.EnhancedCode{5, 7, 8}, "Authentication credentials invalid", true, "refused the user name or password"},
		{535, smtp.EnhancedCodeNotSet, "bad", true, "refused the user name or password"},
		{534, smtp.EnhancedCode{5, 7, 9}, "Please log in with your web browser", false, "app password"},
		{530, smtp.EnhancedCode{5, 7, 0}, "Must issue a STARTTLS command first", false, "wants encryption"},
		{538, smtp.EnhancedCode{5, 7, 11}, "Encryption required", false, "encrypted connection"},
		{504, smtp.EnhancedCode{5, 5, 4}, "Unrecognized authentication type", false, "does not accept AUTH PLAIN"},
		{454, smtp.EnhancedCode{4, 7, 0}, "Temporary authentication failure", false, "try again later"},
	} {
		host := fmt.Sprintf("smtp%d.codes.test", i)
		n.SMTPRefusingAuth(host, 587, tc.code, tc.enh, tc.msg)
		acct := accounts.Account{Email: "ida@codes.test",
			IMAP: accounts.Endpoint{Host: "imap.codes.test", Port: 993, Security: accounts.SecurityTLS, Username: "ida@codes.test"},
			SMTP: accounts.Endpoint{Host: host, Port: 587, Security: accounts.SecuritySTARTTLS, Username: "ida@codes.test"}}
		v, err := autoconfig.Verify(context.Background(), acct, "pw", n.Options())
		if err == nil || v.SMTP.OK || !v.IMAP.OK {
			t.Errorf("%d: verify: %v %+v", tc.code, err, v)
			continue
		}
		var ae *accounts.AuthError
		if errors.As(err, &ae) != tc.auth {
			t.Errorf("%d: AuthError %v, want %v: %v", tc.code, !tc.auth, tc.auth, err)
		}
		if !strings.Contains(err.Error(), tc.words) || (!tc.auth && !strings.Contains(err.Error(), tc.msg)) {
			t.Errorf("%d: message %q lacks %q or the server's words", tc.code, err, tc.words)
		}
		if strings.Contains(err.Error(), "pw\"") {
			t.Errorf("%d: password in %q", tc.code, err)
		}
	}
}

// Plain-HTTP autoconfig is the last resort: a working guessed server beats
// the one it names, even inside the address's own domain.
func TestPlainHTTPAutoconfigIsLastResort(t *testing.T) {
	n := autoconfigtest.New(t)
	srv := mailServer(t, "jo@last.test", "pw")
	serve(n, srv, "box.last.test", "box.last.test")
	serve(n, srv, "imap.last.test", "smtp.last.test")
	n.A("imap.last.test", "smtp.last.test")
	n.Page("http://autoconfig.last.test/mail/config-v1.1.xml",
		configXML("box.last.test", 993, "SSL", "box.last.test", 465, "SSL", "%EMAILADDRESS%"))
	res, err := discover(t, "jo@last.test", n.Options())
	if err != nil {
		t.Fatal(err)
	}
	wantWinner(t, res, autoconfig.SourceGuess, "imap.last.test:993", "smtp.last.test:465")
	// With nothing else, it is used (in the domain, TLS verified).
	n2 := autoconfigtest.New(t)
	serve(n2, srv, "box.last.test", "box.last.test")
	n2.Page("http://autoconfig.last.test/mail/config-v1.1.xml",
		configXML("box.last.test", 993, "SSL", "box.last.test", 465, "SSL", "%EMAILADDRESS%"))
	res, err = discover(t, "jo@last.test", n2.Options())
	if err != nil {
		t.Fatal(err)
	}
	wantWinner(t, res, autoconfig.SourceAutoconfigHTTP, "box.last.test:993", "box.last.test:465")
}

// A server without TLS named by a document fetched over plain HTTP is
// never used, not even inside the address's own domain.
func TestPlainHTTPAutoconfigNeverPlain(t *testing.T) {
	n := autoconfigtest.New(t)
	srv := mailServer(t, "kai@plain.test", "pw")
	n.Map("mail.plain.test", 143, srv.IMAPAddr)
	n.Map("mail.plain.test", 587, srv.SMTPAddr)
	n.Page("http://autoconfig.plain.test/mail/config-v1.1.xml",
		configXML("mail.plain.test", 143, "plain", "mail.plain.test", 587, "plain", "%EMAILADDRESS%"))
	res, err := discover(t, "kai@plain.test", n.Options())
	var nf *autoconfig.NotFoundError
	if !errors.As(err, &nf) || len(nf.Protocols) != 2 {
		t.Fatalf("want nothing found, got %v (%+v)", err, res)
	}
	for _, c := range res.Candidates {
		if c.Source == autoconfig.SourceAutoconfigHTTP {
			t.Errorf("plain server from plain HTTP proposed: %+v", c)
		}
	}
	if notes := strings.Join(res.Notes, "\n"); !strings.Contains(notes, "socketType plain from a document fetched over plain HTTP is never used") {
		t.Errorf("notes do not say why: %s", notes)
	}
}
