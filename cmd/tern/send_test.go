package main

import (
	"encoding/json"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/ternmail/tern/internal/mailtest"
)

func TestCLISend(t *testing.T) {
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true})
	c := newCLI(t)
	addDemoAccount(t, c, srv)
	dir := t.TempDir()
	a1, a2 := filepath.Join(dir, "notes.txt"), filepath.Join(dir, "été.bin")
	os.WriteFile(a1, []byte("some notes\n"), 0o600)
	os.WriteFile(a2, []byte{0, 1, 2, 3}, 0o600)

	out := c.ok("Hello,\n.\nFrom me.\n", "send", "--to", "a@example.com, Bee <b@example.com>", "--to", "c@example.com",
		"--cc", "d@example.com", "--bcc", "e@example.com", "--subject", "CLI test ✓", "--attach", a1+","+a2)
	if !strings.HasPrefix(out, "Sent message ") {
		t.Fatalf("send: %q", out)
	}
	got := srv.Received()
	if len(got) != 1 || len(got[0].To) != 5 {
		t.Fatalf("received %+v", got)
	}
	data := string(got[0].Data)
	for _, want := range []string{"notes.txt", "filename*=utf-8''%C3%A9t%C3%A9.bin", "Cc: <d@example.com>"} {
		if !strings.Contains(data, want) {
			t.Errorf("message lacks %q:\n%s", want, data)
		}
	}
	if strings.Contains(data, "e@example.com") {
		t.Error("Bcc in the message")
	}

	eml := filepath.Join(dir, "m.eml")
	os.WriteFile(eml, []byte("From: "+srv.Username+"\nTo: x@example.com\nBcc: y@example.com\nSubject: from a file\n\nbody\n"), 0o600)
	var item outboxJSON
	if err := json.Unmarshal([]byte(c.ok("", "send", "--eml", eml, "--json")), &item); err != nil {
		t.Fatal(err)
	}
	if item.State != "sent" || item.Subject != "from a file" || len(item.Rcpts) != 2 || item.Results["y@example.com"].Status != "sent" {
		t.Fatalf("send --eml: %+v", item)
	}
	// The file's Bcc field reaches its recipient through the envelope
	// only, never in the message.
	if got = srv.Received(); len(got) != 2 || len(got[1].To) != 2 {
		t.Fatalf("received %+v", got)
	}
	if data := string(got[1].Data); strings.Contains(strings.ToLower(data), "bcc") || strings.Contains(data, "y@example.com") {
		t.Errorf("Bcc in the message sent from a file:\n%s", data)
	}
	var list []outboxJSON
	if err := json.Unmarshal([]byte(c.ok("", "outbox", "--json")), &list); err != nil || len(list) != 2 {
		t.Fatalf("outbox: %v %v", list, err)
	}
	if text := c.ok("", "outbox"); !strings.Contains(text, "from a file") || !strings.Contains(text, "sent") {
		t.Fatalf("outbox: %q", text)
	}
	if errs := c.fails("", "outbox", "cancel", strconv.FormatInt(item.ID, 10)); !strings.Contains(errs, "already sent") {
		t.Fatalf("cancel sent: %q", errs)
	}
	if errs := c.fails("", "send", "--subject", "x"); !strings.Contains(errs, "--to") {
		t.Fatalf("no recipient: %q", errs)
	}
	if errs := c.fails("", "send", "--to", "a@example.com", "--subject", "a\nb"); !strings.Contains(errs, "line break") {
		t.Fatalf("header injection: %q", errs)
	}
	if errs := c.fails("", "send", "--to", "not an address"); !strings.Contains(errs, "--to") {
		t.Fatalf("bad address: %q", errs)
	}
	if errs := c.fails("", "outbox", "cancel", "999"); !strings.Contains(errs, "no message 999") {
		t.Fatalf("cancel unknown: %q", errs)
	}
}

// refusingBackend accepts any login and answers 550 to every recipient.
type refusingBackend struct{}

func (refusingBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return refusingSession{}, nil }

type refusingSession struct{}

func (refusingSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (refusingSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(string, string, string) error { return nil }), nil
}
func (refusingSession) Mail(string, *smtp.MailOptions) error { return nil }
func (refusingSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + to + ">: User unknown"}
}
func (refusingSession) Data(io.Reader) error { return nil }
func (refusingSession) Reset()               {}
func (refusingSession) Logout() error        { return nil }

func TestCLISendRefused(t *testing.T) {
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true})
	s := smtp.NewServer(refusingBackend{})
	s.ErrorLog = log.New(io.Discard, "", 0)
	s.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	defer s.Close()
	c := newCLI(t)
	c.ok(srv.Password+"\n", "account", "add", "--email", srv.Username, "--imap", srv.IMAPAddr+":tls",
		"--smtp", ln.Addr().String()+":none", "--accept-cert", srv.CertSHA256, "--password-stdin")

	errs := c.fails("body\n", "send", "--to", "nobody@example.com", "--subject", "refused")
	if !strings.Contains(errs, "failed: RCPT TO <nobody@example.com>: 550 5.1.1 <nobody@example.com>: User unknown") {
		t.Fatalf("refused: %q", errs)
	}
	var list []outboxJSON
	json.Unmarshal([]byte(c.ok("", "outbox", "--json")), &list)
	if len(list) != 1 || list[0].State != "failed" {
		t.Fatalf("outbox: %+v", list)
	}
	id := strconv.FormatInt(list[0].ID, 10)
	if errs := c.fails("", "outbox", "retry", id); !strings.Contains(errs, "550") {
		t.Fatalf("retry: %q", errs)
	}
	if out := c.ok("", "outbox", "cancel", id); !strings.Contains(out, "Cancelled message "+id) {
		t.Fatalf("cancel: %q", out)
	}
	if out := c.ok("", "outbox"); !strings.Contains(out, "empty") {
		t.Fatalf("outbox after cancel: %q", out)
	}
}
