package outbox

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// smugglingBodies end a line with a lone CR or LF around a dot: a server
// that takes one of them for a line end would see the end of DATA early
// and read what follows as commands (SMTP smuggling).
var smugglingBodies = []string{
	"Hello\n.\nMAIL FROM:<evil@example.com>\r\n",
	"Hello\r\n.\nMAIL FROM:<evil@example.com>\r\n",
	"Hello\n.\r\nMAIL FROM:<evil@example.com>\r\n",
	"Hello\r.\r\nMAIL FROM:<evil@example.com>\r\n",
	"Hello\r\n.\rMAIL FROM:<evil@example.com>\r\n",
}

func smugglingMessage(body string) *Message {
	m := testMessage("bob@example.com")
	m.Raw = []byte("From: me@example.com\r\nTo: bob@example.com\r\nSubject: smuggle\r\n\r\n" + body)
	return m
}

// The message goes out CRLF-only and dot-stuffed: the only end of data
// the server sees is the last one.
func TestHostileDataEndsOnce(t *testing.T) {
	d := &submission{}
	srv := mailtest.ScriptedSMTPForTest(t, func(ss *mailtest.SMTPSession) error {
		ss.Reply(greeting)
		return d.serve(ss, ehloSecured)
	}, nil)
	w, _ := hostileWorker(t, srv.Addr, accounts.SecurityNone, nil, nil)
	for _, body := range smugglingBodies {
		if _, err := w.Queue(context.Background(), smugglingMessage(body)); err == nil {
			t.Errorf("queued %q", body)
		}
	}
	body := "Hello\r\n.\r\nMAIL FROM:<evil@example.com>\r\n..\r\n.\r\n"
	it := wait(t, w, queue(t, w, smugglingMessage(body)).ID)
	if it.State != store.OutboxSent {
		t.Fatalf("%s: %s", it.State, it.LastError)
	}
	got := d.got()
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	raw := got[0]
	if n := bytes.Count(raw, []byte("\r\n.\r\n")); n != 1 || !bytes.HasSuffix(raw, []byte("\r\n.\r\n")) {
		t.Errorf("%d ends of data in %q", n, raw)
	}
	if strings.Count(string(raw), "\n") != strings.Count(string(raw), "\r\n") || strings.Count(string(raw), "\r") != strings.Count(string(raw), "\r\n") {
		t.Errorf("a bare CR or LF went out: %q", raw)
	}
	if !bytes.Contains(raw, []byte("\r\n..\r\nMAIL FROM:<evil@example.com>\r\n...\r\n..\r\n.\r\n")) {
		t.Errorf("not dot-stuffed: %q", raw)
	}
}

// A stored message with a lone CR or LF (written by something other than
// Queue) is refused for good, not sent.
func TestHostileStoredBareLineEndNotSent(t *testing.T) {
	d := &submission{}
	srv := mailtest.ScriptedSMTPForTest(t, func(ss *mailtest.SMTPSession) error {
		ss.Reply(greeting)
		return d.serve(ss, ehloSecured)
	}, nil)
	w, db := hostileWorker(t, srv.Addr, accounts.SecurityNone, nil, nil)
	for _, body := range smugglingBodies {
		m := smugglingMessage(body)
		it, err := db.QueueOutbox(context.Background(), store.NewOutbox{Account: m.Account, From: m.From, Rcpts: m.Rcpts, Raw: m.Raw})
		if err != nil {
			t.Fatal(err)
		}
		w.Wake()
		if it = wait(t, w, it.ID); it.State != store.OutboxFailed || !strings.Contains(it.LastError, "bare") {
			t.Errorf("%q: %s: %s", body, it.State, it.LastError)
		}
	}
	if got := d.got(); len(got) != 0 {
		t.Errorf("sent %q", got)
	}
}
