package outbox

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	_ "modernc.org/sqlite"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/store"
)

// TestAuthLogin sends through a server that offers only AUTH LOGIN, the
// old way (prompts, no initial response): the right password sends, a
// wrong one fails for good with the server's words.
func TestAuthLogin(t *testing.T) {
	f := startFake(t, &fakeServer{loginOnly: true})
	db := openStore(t, "")
	w := New(db, testOptions(testAccount(f.addr, accounts.SecurityNone)))
	runWorker(t, w)
	it := wait(t, w, queue(t, w, testMessage("bob@example.com")).ID)
	if it.State != store.OutboxSent || len(f.got()) != 1 {
		t.Fatalf("%+v", it)
	}

	o := testOptions(testAccount(f.addr, accounts.SecurityNone))
	o.Password = func(context.Context, string) (string, error) { return "wrong", nil }
	w2 := New(openStore(t, ""), o)
	runWorker(t, w2)
	it = wait(t, w2, queue(t, w2, testMessage("bob@example.com")).ID)
	if it.State != store.OutboxFailed || !strings.Contains(it.LastError, "535 5.7.8 Bad credentials") || it.Attempts != 1 {
		t.Fatalf("%+v", it)
	}
}

// TestSMTPUTF8Needed sends to a non-ASCII address: a server without
// SMTPUTF8 makes the message fail at once (one attempt, no MAIL command)
// with a clear reason; one that offers it gets MAIL FROM … SMTPUTF8.
func TestSMTPUTF8Needed(t *testing.T) {
	m := testMessage("jörg@example.com", "bob@example.com")
	f := startFake(t, &fakeServer{})
	w := New(openStore(t, ""), testOptions(testAccount(f.addr, accounts.SecurityNone)))
	runWorker(t, w)
	it := wait(t, w, queue(t, w, m).ID)
	if it.State != store.OutboxFailed || it.Attempts != 1 || !strings.Contains(it.LastError, "does not offer SMTPUTF8") ||
		!strings.Contains(it.LastError, "jörg@example.com") || strings.Contains(it.LastError, "bob@") {
		t.Fatalf("%+v", it)
	}
	if r := it.Results["jörg@example.com"]; r.Status != store.RcptRejected {
		t.Fatalf("results %+v", it.Results)
	}
	f.mu.Lock()
	mails := f.mails
	f.mu.Unlock()
	if mails != 0 {
		t.Fatalf("%d MAIL commands", mails)
	}

	f2 := startFake(t, &fakeServer{utf8: true})
	w2 := New(openStore(t, ""), testOptions(testAccount(f2.addr, accounts.SecurityNone)))
	runWorker(t, w2)
	it = wait(t, w2, queue(t, w2, m).ID)
	if it.State != store.OutboxSent {
		t.Fatalf("%+v", it)
	}
	f2.mu.Lock()
	defer f2.mu.Unlock()
	if len(f2.mailOpts) != 1 || !f2.mailOpts[0].UTF8 {
		t.Fatalf("MAIL options %+v", f2.mailOpts)
	}
}

// TestEightBitBody checks that a message with 8bit octets (an attached
// message in 8bit, as message.Build makes it) goes with BODY=8BITMIME to a
// server that offers it (go-smtp's client adds it).
func TestEightBitBody(t *testing.T) {
	f := startFake(t, &fakeServer{})
	w := New(openStore(t, ""), testOptions(testAccount(f.addr, accounts.SecurityNone)))
	runWorker(t, w)
	m := testMessage("bob@example.com")
	m.Raw = []byte("From: me@example.com\r\nTo: bob@example.com\r\nSubject: x\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\nSubject: Grüße\r\n\r\nHallo\r\n")
	if it := wait(t, w, queue(t, w, m).ID); it.State != store.OutboxSent {
		t.Fatalf("%+v", it)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.mailOpts) != 1 || f.mailOpts[0].Body != smtp.Body8BitMIME {
		t.Fatalf("MAIL options %+v", f.mailOpts)
	}
}

// TestStoreFailureBacksOff makes the store refuse to mark a message
// "sending" (a trigger): each attempt is recorded and backed off, and the
// message fails after MaxAttempts, instead of being picked again at once,
// forever, unchanged.
func TestStoreFailureBacksOff(t *testing.T) {
	f := startFake(t, &fakeServer{})
	path := t.TempDir() + "/tern.db"
	db := openStore(t, path)
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE TRIGGER refuse_sending BEFORE UPDATE OF state ON outbox WHEN NEW.state = 'sending'
		BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`); err != nil {
		t.Fatal(err)
	}
	w := New(db, testOptions(testAccount(f.addr, accounts.SecurityNone)))
	runWorker(t, w)
	it := wait(t, w, queue(t, w, testMessage("bob@example.com")).ID)
	if it.State != store.OutboxFailed || it.Attempts != 3 || !strings.Contains(it.LastError, "disk on fire") || len(f.got()) != 0 {
		t.Fatalf("%+v", it)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.mails != 3 {
		t.Fatalf("%d MAIL commands for 3 attempts", f.mails)
	}
}

// TestSizeLimitLearned: the worker notes the SIZE a server advertises when
// it connects to send, and LearnSizeLimit connects to learn it (once).
func TestSizeLimitLearned(t *testing.T) {
	f := startFake(t, &fakeServer{maxBytes: 12345})
	w := New(openStore(t, ""), testOptions(testAccount(f.addr, accounts.SecurityNone)))
	if n := w.SizeLimit("acct"); n != 0 {
		t.Fatalf("known before any connection: %d", n)
	}
	runWorker(t, w)
	if it := wait(t, w, queue(t, w, testMessage("bob@example.com")).ID); it.State != store.OutboxSent {
		t.Fatalf("%+v", it)
	}
	if n := w.SizeLimit("acct"); n != 12345 {
		t.Fatalf("SizeLimit = %d after sending", n)
	}

	w2 := New(openStore(t, ""), testOptions(testAccount(f.addr, accounts.SecurityNone)))
	sessions := f.sessionCount()
	for range 2 {
		if n, err := w2.LearnSizeLimit(context.Background(), "acct"); err != nil || n != 12345 {
			t.Fatalf("LearnSizeLimit = %d, %v", n, err)
		}
	}
	if got := f.sessionCount() - sessions; got != 1 {
		t.Fatalf("%d connections to learn the limit twice", got)
	}
	if _, err := w2.LearnSizeLimit(context.Background(), "nobody"); err == nil {
		t.Fatal("no error for an unknown account")
	}
}
