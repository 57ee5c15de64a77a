package outbox

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// submission is the scripted side of a submission server that accepts
// everything, recording each message's DATA byte for byte.
type submission struct {
	mu   sync.Mutex
	data [][]byte
	auth []string // the AUTH command lines
}

func (d *submission) got() [][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([][]byte(nil), d.data...)
}

// serve answers the client's commands until QUIT; ehlo is the reply to
// EHLO.
func (d *submission) serve(ss *mailtest.SMTPSession, ehlo string) error {
	for {
		line, err := ss.ReadLine()
		if err != nil {
			return err
		}
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "EHLO":
			err = ss.Reply(ehlo)
		case "AUTH":
			d.mu.Lock()
			d.auth = append(d.auth, line)
			d.mu.Unlock()
			if strings.HasPrefix(strings.ToUpper(line), "AUTH LOGIN") {
				for _, prompt := range []string{"334 VXNlcm5hbWU6\r\n", "334 UGFzc3dvcmQ6\r\n"} {
					if err := ss.Reply(prompt); err != nil {
						return err
					}
					if _, err := ss.ReadLine(); err != nil {
						return err
					}
				}
			}
			err = ss.Reply("235 2.7.0 Authenticated\r\n")
		case "MAIL", "RCPT", "RSET", "NOOP":
			err = ss.Reply("250 2.0.0 OK\r\n")
		case "DATA":
			if err := ss.Reply("354 Go ahead\r\n"); err != nil {
				return err
			}
			raw, err := ss.ReadData()
			if err != nil {
				return err
			}
			d.mu.Lock()
			d.data = append(d.data, raw)
			d.mu.Unlock()
			err = ss.Reply("250 2.0.0 Queued\r\n")
		case "QUIT":
			ss.Reply("221 2.0.0 Bye\r\n")
			return nil
		default:
			err = ss.Reply("500 5.5.1 Unknown command\r\n")
		}
		if err != nil {
			return err
		}
	}
}

const (
	greeting    = "220 mx.test ESMTP\r\n"
	ehloTLS     = "250-mx.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"
	ehloSecured = "250-mx.test\r\n250-PIPELINING\r\n250 AUTH PLAIN\r\n"
)

// starttls returns a script that greets, offers STARTTLS, answers it with
// reply (which may carry more than the 220) and, on a 220, does the
// handshake and serves the rest with d.
func starttls(d *submission, reply string) func(*mailtest.SMTPSession) error {
	return func(ss *mailtest.SMTPSession) error {
		if err := ss.Reply(greeting); err != nil {
			return err
		}
		if err := ss.Exchange("EHLO", ehloTLS); err != nil {
			return err
		}
		if err := ss.Exchange("STARTTLS", reply); err != nil {
			return err
		}
		if !strings.HasPrefix(reply, "220") {
			_, err := ss.ReadLine() // until the client goes away
			return err
		}
		if err := ss.StartTLS(); err != nil {
			return err
		}
		return d.serve(ss, ehloSecured)
	}
}

// checkPlain fails unless every line the client sent in plain text is
// EHLO, HELO, STARTTLS or QUIT: no credentials, no envelope, no message.
func checkPlain(t *testing.T, sessions []*mailtest.SMTPSession) {
	t.Helper()
	for i, ss := range sessions {
		for _, line := range strings.Split(string(ss.Plain()), "\r\n") {
			verb := strings.ToUpper(strings.Fields(line + " x")[0])
			switch verb {
			case "EHLO", "HELO", "STARTTLS", "QUIT", "X": // X: an empty line or the end
			default:
				t.Errorf("session %d: the client sent %.100q in plain text (all: %.300q)", i, line, ss.Plain())
			}
		}
		if bytes.Contains(ss.Plain(), []byte("c2VjcmV0")) || bytes.Contains(ss.Plain(), []byte("secret")) {
			t.Errorf("session %d: the password went out in plain text", i)
		}
	}
}

// hostileWorker returns a running worker for an account at addr with
// security sec, trusting ca.
func hostileWorker(t *testing.T, addr string, sec accounts.Security, ca *testCA, edit func(*accounts.Account)) (*Worker, *store.DB) {
	t.Helper()
	acct := testAccount(addr, sec)
	if edit != nil {
		edit(&acct)
	}
	o := testOptions(acct)
	if ca != nil {
		o.Roots = ca.pool
	}
	db := openStore(t, "")
	w := New(db, o)
	runWorker(t, w)
	return w, db
}

// sessions waits for n sessions of srv to end and returns them all.
func sessions(t *testing.T, srv *mailtest.ScriptedSMTP, n int) []*mailtest.SMTPSession {
	t.Helper()
	all, err := srv.WaitSessions(n, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// An account set to STARTTLS sends nothing but EHLO and STARTTLS in plain
// text, whatever the server says.
func TestHostileSTARTTLSRefusals(t *testing.T) {
	for _, c := range []struct {
		name   string
		script func(*mailtest.SMTPSession) error
		state  string // the message's final state
		words  string // in its LastError
		tries  int    // sessions
	}{
		{"not offered", func(ss *mailtest.SMTPSession) error {
			ss.Reply(greeting)
			ss.Exchange("EHLO", "250-mx.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")
			_, err := ss.ReadLine()
			return err
		}, store.OutboxFailed, "does not offer STARTTLS", 1},
		{"454 temporary", starttls(nil, "454 4.7.0 TLS not available due to temporary reason\r\n"),
			store.OutboxFailed, "STARTTLS: 454 4.7.0 TLS not available", 3},
		{"502 refused", starttls(nil, "502 5.5.1 Not implemented\r\n"),
			store.OutboxFailed, "STARTTLS: 502 5.5.1 Not implemented", 1},
		{"plaintext after the 220", nil, store.OutboxFailed, "plain text where the TLS handshake should begin", 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			script := c.script
			var tlsCfg *tls.Config
			if script == nil {
				// Plaintext written once the client started its handshake
				// reaches its TLS layer, which fails.
				script = func(ss *mailtest.SMTPSession) error {
					ss.Reply(greeting)
					ss.Exchange("EHLO", ehloTLS)
					ss.Exchange("STARTTLS", "220 2.0.0 Ready to start TLS\r\n")
					if _, err := ss.Peek(1); err != nil { // the ClientHello
						return err
					}
					ss.Reply("250-mx.test\r\n250 AUTH PLAIN\r\n235 2.7.0 OK\r\n250 OK\r\n250 OK\r\n354 Go\r\n")
					return ss.StartTLS() // fails: the client gave up
				}
				tlsCfg, _ = newTestCA(t).leaf(t, leafOptions{ip: true})
			}
			srv := mailtest.ScriptedSMTPForTest(t, script, &mailtest.ScriptedSMTPOptions{TLS: tlsCfg})
			w, _ := hostileWorker(t, srv.Addr, accounts.SecuritySTARTTLS, nil, nil)
			it := wait(t, w, queue(t, w, testMessage("bob@example.com")).ID)
			if it.State != c.state || !strings.Contains(it.LastError, c.words) {
				t.Errorf("%s: %q, want %s with %q", it.State, it.LastError, c.state, c.words)
			}
			all := sessions(t, srv, c.tries)
			if len(all) != c.tries {
				t.Errorf("%d sessions, want %d", len(all), c.tries)
			}
			checkPlain(t, all)
		})
	}
}

// Replies injected with the "220 Ready to start TLS", in the same write,
// are discarded: after the handshake the client reads only what the server
// says over TLS, sends EHLO again and uses the capabilities it gets then.
func TestHostileSTARTTLSInjection(t *testing.T) {
	ca := newTestCA(t)
	cfg, _ := ca.leaf(t, leafOptions{ip: true})
	d := &submission{}
	// Were the injected lines taken for replies, the EHLO over TLS would
	// be answered by the refusal, and the AUTH by the EHLO reply.
	injected := "220 2.0.0 Ready to start TLS\r\n" + "535 5.7.8 injected refusal\r\n250-mx.test\r\n250 AUTH LOGIN\r\n"
	srv := mailtest.ScriptedSMTPForTest(t, starttls(d, injected), &mailtest.ScriptedSMTPOptions{TLS: cfg})
	w, _ := hostileWorker(t, srv.Addr, accounts.SecuritySTARTTLS, ca, nil)
	it := wait(t, w, queue(t, w, testMessage("bob@example.com")).ID)
	if it.State != store.OutboxSent {
		t.Fatalf("%s: %s", it.State, it.LastError)
	}
	all := sessions(t, srv, 1)
	checkPlain(t, all)
	if p := string(all[0].Plain()); p != "EHLO localhost\r\nSTARTTLS\r\n" {
		t.Errorf("plain text: %q", p)
	}
	sec := string(all[0].Secure())
	if !strings.HasPrefix(sec, "EHLO localhost\r\nAUTH PLAIN ") {
		t.Errorf("over TLS: %q", sec)
	}
	if len(d.got()) != 1 {
		t.Errorf("%d messages", len(d.got()))
	}
}

// The capabilities are read again after TLS: the mechanism and the size
// limit offered over TLS are used, not those offered before.
func TestHostileCapabilitiesAfterTLS(t *testing.T) {
	ca := newTestCA(t)
	cfg, _ := ca.leaf(t, leafOptions{ip: true})
	d := &submission{}
	script := func(ss *mailtest.SMTPSession) error {
		ss.Reply(greeting)
		ss.Exchange("EHLO", "250-mx.test\r\n250-STARTTLS\r\n250-SIZE 10\r\n250 AUTH PLAIN\r\n")
		ss.Exchange("STARTTLS", "220 Go ahead\r\n")
		if err := ss.StartTLS(); err != nil {
			return err
		}
		return d.serve(ss, "250-mx.test\r\n250-SIZE 50000\r\n250 AUTH LOGIN\r\n")
	}
	srv := mailtest.ScriptedSMTPForTest(t, script, &mailtest.ScriptedSMTPOptions{TLS: cfg})
	w, _ := hostileWorker(t, srv.Addr, accounts.SecuritySTARTTLS, ca, nil)
	it := wait(t, w, queue(t, w, testMessage("bob@example.com")).ID)
	if it.State != store.OutboxSent {
		t.Fatalf("%s: %s", it.State, it.LastError)
	}
	if n := w.SizeLimit("acct"); n != 50000 {
		t.Errorf("size limit %d, want the one offered over TLS", n)
	}
	d.mu.Lock()
	auth := d.auth
	d.mu.Unlock()
	if len(auth) != 1 || auth[0] != "AUTH LOGIN" {
		t.Errorf("AUTH commands: %q", auth)
	}
	checkPlain(t, sessions(t, srv, 1))
}

// Certificates that fail verification are refused before anything but
// EHLO and STARTTLS is sent, with the accounts vocabulary's CertError.
func TestHostileCertificates(t *testing.T) {
	ca := newTestCA(t)
	for _, c := range []struct {
		name   string
		leaf   leafOptions
		reason string
	}{
		{"self-signed", leafOptions{ip: true, selfSigned: true}, "self-signed"},
		{"expired", leafOptions{ip: true, expired: true}, "expired"},
		{"wrong name", leafOptions{names: []string{"other.example"}}, "not valid for host 127.0.0.1"},
	} {
		for _, sec := range []accounts.Security{accounts.SecuritySTARTTLS, accounts.SecurityTLS} {
			t.Run(c.name+" "+string(sec), func(t *testing.T) {
				cfg, fp := ca.leaf(t, c.leaf)
				d := &submission{}
				script := starttls(d, "220 Ready\r\n")
				if sec == accounts.SecurityTLS {
					script = func(ss *mailtest.SMTPSession) error {
						ss.Reply(greeting)
						return d.serve(ss, ehloSecured)
					}
				}
				srv := mailtest.ScriptedSMTPForTest(t, script, &mailtest.ScriptedSMTPOptions{TLS: cfg, ImplicitTLS: sec == accounts.SecurityTLS})
				w, _ := hostileWorker(t, srv.Addr, sec, ca, nil)
				_, err := w.LearnSizeLimit(context.Background(), "acct")
				var ce *accounts.CertError
				if !errors.As(err, &ce) || !strings.Contains(ce.Reason, c.reason) || ce.SHA256 != fp {
					t.Fatalf("err %v, want a CertError (%s) for %s", err, c.reason, fp)
				}
				it := wait(t, w, queue(t, w, testMessage("bob@example.com")).ID)
				if it.State != store.OutboxFailed || !strings.Contains(it.LastError, "not trusted ("+c.reason) {
					t.Errorf("%s: %s", it.State, it.LastError)
				}
				all := sessions(t, srv, 2)
				checkPlain(t, all)
				for _, ss := range all {
					if ss.TLS() || len(ss.Secure()) > 0 {
						t.Errorf("the handshake succeeded: %q", ss.Secure())
					}
				}
				if len(d.got()) > 0 || len(d.auth) > 0 {
					t.Error("the server got credentials or mail")
				}
			})
		}
	}
}

// A pinned certificate is trusted; a different one later is refused with
// a CertError that names both, so that the user is asked again.
func TestHostilePinnedCertificateChanges(t *testing.T) {
	ca := newTestCA(t)
	pinned, pinFP := ca.leaf(t, leafOptions{names: []string{"mail.test"}, selfSigned: true})
	other, otherFP := ca.leaf(t, leafOptions{names: []string{"mail.test"}, selfSigned: true})
	d := &submission{}
	var cur atomic.Pointer[tls.Config]
	cur.Store(pinned)
	serverCfg := &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return cur.Load(), nil }}
	srv := mailtest.ScriptedSMTPForTest(t, starttls(d, "220 Ready\r\n"), &mailtest.ScriptedSMTPOptions{TLS: serverCfg})
	pin := func(a *accounts.Account) { a.PinnedCerts = map[string]string{a.SMTP.Addr(): pinFP} }
	w, _ := hostileWorker(t, srv.Addr, accounts.SecuritySTARTTLS, nil, pin)
	if it := wait(t, w, queue(t, w, testMessage("bob@example.com")).ID); it.State != store.OutboxSent {
		t.Fatalf("with the pinned certificate: %s: %s", it.State, it.LastError)
	}
	cur.Store(other)
	acct := testAccount(srv.Addr, accounts.SecuritySTARTTLS)
	pin(&acct)
	_, err := New(openStore(t, ""), testOptions(acct)).LearnSizeLimit(context.Background(), "acct")
	var ce *accounts.CertError
	if !errors.As(err, &ce) || ce.Pinned != pinFP || ce.SHA256 != otherFP || !strings.Contains(ce.Reason, "differs from the trusted certificate") {
		t.Fatalf("err %v, want a CertError for the new certificate", err)
	}
	it := wait(t, w, queue(t, w, testMessage("bob@example.com")).ID)
	if it.State != store.OutboxFailed || !strings.Contains(it.LastError, otherFP) {
		t.Errorf("%s: %s", it.State, it.LastError)
	}
	all := sessions(t, srv, 3)
	checkPlain(t, all)
	if n := len(d.got()); n != 1 {
		t.Errorf("%d messages, want only the one sent with the pinned certificate", n)
	}
}

// A port set to implicit TLS that answers in plain text fails at once,
// with an error that says so, and nothing is sent.
func TestHostileImplicitTLSSpeaksPlain(t *testing.T) {
	srv := mailtest.ScriptedSMTPForTest(t, func(ss *mailtest.SMTPSession) error {
		ss.Reply(greeting + "250-mx.test\r\n250 AUTH PLAIN\r\n")
		_, err := ss.ReadLine()
		return err
	}, nil)
	w, _ := hostileWorker(t, srv.Addr, accounts.SecurityTLS, nil, nil)
	_, err := w.LearnSizeLimit(context.Background(), "acct")
	var ce *accounts.ConnectError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "plain text") {
		t.Fatalf("err %v, want a ConnectError saying the server spoke plain text", err)
	}
	it := wait(t, w, queue(t, w, testMessage("bob@example.com")).ID)
	if it.State != store.OutboxFailed || !strings.Contains(it.LastError, "plain text") {
		t.Errorf("%s: %s", it.State, it.LastError)
	}
	all := sessions(t, srv, 2)
	for _, ss := range all {
		if bytes.Contains(ss.Plain(), []byte("AUTH")) || bytes.Contains(ss.Plain(), []byte("MAIL")) {
			t.Errorf("sent %q", ss.Plain())
		}
	}
}
