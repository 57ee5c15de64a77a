package outbox

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/store"
)

// envelope is a message a fake server accepted.
type envelope struct {
	from string
	to   []string
	data []byte
}

// fakeServer is an in-process SMTP submission server whose answers the
// test chooses. Hooks run on the server's goroutines.
type fakeServer struct {
	addr string

	mu       sync.Mutex
	received []envelope
	sessions int

	mail    func(n int, from string) error               // n counts MAIL commands from 1
	rcpt    func(n int, to string) error                 // n counts MAIL commands
	data    func(n int, c *smtp.Conn, body []byte) error // after reading the body
	rawData func(n int, c *smtp.Conn, r io.Reader) error // instead of reading the body
	mails   int

	utf8      bool  // offer SMTPUTF8
	loginOnly bool  // offer AUTH LOGIN only, without an initial response
	maxBytes  int64 // SIZE; 0: not advertised
	mailOpts  []smtp.MailOptions
}

func startFake(t testing.TB, f *fakeServer) *fakeServer {
	t.Helper()
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		f.mu.Lock()
		f.sessions++
		f.mu.Unlock()
		return &fakeSession{f: f, c: c}, nil
	}))
	srv.Domain = "fake.test"
	srv.AllowInsecureAuth = true
	srv.EnableSMTPUTF8 = f.utf8
	srv.MaxMessageBytes = f.maxBytes
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return f
}

func (f *fakeServer) got() []envelope {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]envelope(nil), f.received...)
}

func (f *fakeServer) sessionCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sessions
}

type fakeSession struct {
	f      *fakeServer
	c      *smtp.Conn
	n      int
	authed bool
	from   string
	to     []string
}

func (s *fakeSession) AuthMechanisms() []string {
	if s.f.loginOnly {
		return []string{sasl.Login}
	}
	return []string{sasl.Plain}
}

func (s *fakeSession) Auth(mech string) (sasl.Server, error) {
	check := func(identity, username, password string) error {
		if username != "me@example.com" || password != "secret" {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Bad credentials"}
		}
		s.authed = true
		return nil
	}
	if s.f.loginOnly {
		if mech != sasl.Login {
			return nil, smtp.ErrAuthUnknownMechanism
		}
		return &loginServer{check: check}, nil
	}
	return sasl.NewPlainServer(check), nil
}

// loginServer is the server side of AUTH LOGIN as older servers do it: it
// prompts "Username:" then "Password:" and takes no initial response.
type loginServer struct {
	check func(identity, username, password string) error
	step  int
	user  string
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if resp != nil {
			return nil, false, &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 5, 4}, Message: "No initial response with LOGIN"}
		}
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(resp)
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check("", l.user, string(resp))
}

func (s *fakeSession) Mail(from string, opts *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.f.mu.Lock()
	s.f.mails++
	s.n = s.f.mails
	if opts != nil {
		s.f.mailOpts = append(s.f.mailOpts, *opts)
	}
	s.f.mu.Unlock()
	if s.f.mail != nil {
		if err := s.f.mail(s.n, from); err != nil {
			return err
		}
	}
	s.from, s.to = from, nil
	return nil
}

func (s *fakeSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.f.rcpt != nil {
		if err := s.f.rcpt(s.n, to); err != nil {
			return err
		}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *fakeSession) Data(r io.Reader) error {
	if s.f.rawData != nil {
		return s.f.rawData(s.n, s.c, r)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.f.data != nil {
		if err := s.f.data(s.n, s.c, body); err != nil {
			return err
		}
	}
	s.f.mu.Lock()
	s.f.received = append(s.f.received, envelope{s.from, s.to, body})
	s.f.mu.Unlock()
	return nil
}

func (s *fakeSession) Reset()        { s.from, s.to = "", nil }
func (s *fakeSession) Logout() error { return nil }

func testAccount(addr string, sec accounts.Security) accounts.Account {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return accounts.Account{ID: "acct", Email: "me@example.com",
		SMTP: accounts.Endpoint{Host: host, Port: p, Security: sec, Username: "me@example.com"}}
}

// testOptions returns fast options for acct; override fields as needed.
func testOptions(acct accounts.Account) *Options {
	return &Options{
		Account:        func(id string) (accounts.Account, bool) { return acct, id == acct.ID },
		Password:       func(context.Context, string) (string, error) { return "secret", nil },
		UndoDelay:      -1,
		CommandTimeout: 2 * time.Second,
		DataTimeout:    2 * time.Second,
		RetryBase:      20 * time.Millisecond,
		RetryMax:       80 * time.Millisecond,
		MaxAttempts:    3,
		Poll:           100 * time.Millisecond,
	}
}

func openStore(t testing.TB, path string) *store.DB {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "tern.db")
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// runWorker runs w until the test ends.
func runWorker(t testing.TB, w *Worker) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func testMessage(rcpts ...string) *Message {
	raw := "From: me@example.com\r\nTo: " + strings.Join(rcpts, ", ") + "\r\nSubject: test\r\n\r\nHello.\r\n.leading dot\r\n"
	return &Message{Account: "acct", From: "me@example.com", Rcpts: rcpts, Raw: []byte(raw), Subject: "test", NoUndo: true}
}

func queue(t testing.TB, w *Worker, m *Message) store.OutboxItem {
	t.Helper()
	it, err := w.Queue(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func wait(t testing.TB, w *Worker, id int64) store.OutboxItem {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	it, err := w.Wait(ctx, id)
	if err != nil {
		t.Fatalf("waiting for message %d: %v (state %s, %s)", id, err, it.State, it.LastError)
	}
	return it
}

func appends(t testing.TB, db *store.DB) []store.SentAppend {
	t.Helper()
	a, err := db.PendingAppends(context.Background(), "acct")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestSendReusesOneConnection(t *testing.T) {
	f := startFake(t, &fakeServer{})
	db := openStore(t, "")
	w := New(db, testOptions(testAccount(f.addr, accounts.SecurityNone)))
	var ids []int64
	for range 3 {
		ids = append(ids, queue(t, w, testMessage("bob@example.com")).ID)
	}
	runWorker(t, w)
	for _, id := range ids {
		if it := wait(t, w, id); it.State != store.OutboxSent || it.Results["bob@example.com"].Status != store.RcptSent {
			t.Fatalf("message %d: %+v", id, it)
		}
	}
	got := f.got()
	if len(got) != 3 || !strings.Contains(string(got[0].data), "\r\n.leading dot\r\n") {
		t.Fatalf("received %d: %q", len(got), got)
	}
	if n := f.sessionCount(); n != 1 {
		t.Errorf("%d connections for 3 messages", n)
	}
	if a := appends(t, db); len(a) != 3 {
		t.Errorf("%d pending appends", len(a))
	}
	if raw, _ := db.OutboxRaw(context.Background(), ids[0]); len(raw) == 0 {
		t.Error("raw dropped before the append")
	}
}

func smtpErr(code int, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: msg}
}

func TestTemporaryFailures(t *testing.T) {
	t.Run("451 then accepted", func(t *testing.T) {
		f := startFake(t, &fakeServer{mail: func(n int, _ string) error {
			if n == 1 {
				return smtpErr(451, "Greylisted, try again")
			}
			return nil
		}})
		db := openStore(t, "")
		w := New(db, testOptions(testAccount(f.addr, accounts.SecurityNone)))
		it := queue(t, w, testMessage("bob@example.com"))
		runWorker(t, w)
		it = wait(t, w, it.ID)
		if it.State != store.OutboxSent || it.Attempts != 2 || it.LastError != "" || len(f.got()) != 1 {
			t.Fatalf("%+v", it)
		}
	})
	t.Run("451 until giving up", func(t *testing.T) {
		f := startFake(t, &fakeServer{mail: func(int, string) error { return smtpErr(451, "Local problem") }})
		db := openStore(t, "")
		w := New(db, testOptions(testAccount(f.addr, accounts.SecurityNone)))
		it := queue(t, w, testMessage("bob@example.com"))
		runWorker(t, w)
		it = wait(t, w, it.ID)
		if it.State != store.OutboxFailed || it.Attempts != 3 || !strings.Contains(it.LastError, "gave up after 3 attempts") ||
			!strings.Contains(it.LastError, "451 4.0.0 Local problem") {
			t.Fatalf("%+v", it)
		}
		if len(appends(t, db)) != 0 {
			t.Fatal("append recorded for an unsent message")
		}
	})
	t.Run("server unreachable", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		db := openStore(t, "")
		w := New(db, testOptions(testAccount(addr, accounts.SecurityNone)))
		it := queue(t, w, testMessage("bob@example.com"))
		runWorker(t, w)
		it = wait(t, w, it.ID)
		if it.State != store.OutboxFailed || !strings.Contains(it.LastError, "connection refused") {
			t.Fatalf("%+v", it)
		}
	})
	t.Run("stalled server", func(t *testing.T) {
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		f := startFake(t, &fakeServer{rcpt: func(n int, _ string) error {
			if n == 1 {
				<-release
			}
			return nil
		}})
		db := openStore(t, "")
		o := testOptions(testAccount(f.addr, accounts.SecurityNone))
		o.CommandTimeout = 300 * time.Millisecond
		w := New(db, o)
		it := queue(t, w, testMessage("bob@example.com"))
		runWorker(t, w)
		it = wait(t, w, it.ID)
		if it.State != store.OutboxSent || it.Attempts != 2 || len(f.got()) != 1 {
			t.Fatalf("%+v", it)
		}
	})
}

func TestPermanentFailures(t *testing.T) {
	cases := []struct {
		name   string
		f      *fakeServer
		acct   func(addr string) accounts.Account
		pw     string
		want   string
		recv   int
		appnds int
		state  string
	}{
		{name: "550 at MAIL", f: &fakeServer{mail: func(int, string) error { return smtpErr(550, "Sender refused") }},
			want: "MAIL FROM <me@example.com>: 550 5.0.0 Sender refused", state: store.OutboxFailed},
		{name: "554 after DATA", f: &fakeServer{data: func(int, *smtp.Conn, []byte) error { return smtpErr(554, "Spam detected") }},
			want: "end of DATA: 554 5.0.0 Spam detected", state: store.OutboxFailed},
		{name: "wrong password", f: &fakeServer{}, pw: "wrong", want: "535 5.7.8 Bad credentials", state: store.OutboxFailed},
		{name: "no STARTTLS", f: &fakeServer{}, acct: func(addr string) accounts.Account { return testAccount(addr, accounts.SecuritySTARTTLS) },
			want: "does not offer STARTTLS", state: store.OutboxFailed},
		{name: "one of three refused", f: &fakeServer{rcpt: func(_ int, to string) error {
			if to == "nobody@example.com" {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "User unknown"}
			}
			return nil
		}}, want: "RCPT TO <nobody@example.com>: 550 5.1.1 User unknown", recv: 1, appnds: 1, state: store.OutboxPartial},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := startFake(t, tc.f)
			acct := testAccount(f.addr, accounts.SecurityNone)
			if tc.acct != nil {
				acct = tc.acct(f.addr)
			}
			o := testOptions(acct)
			if tc.pw != "" {
				o.Password = func(context.Context, string) (string, error) { return tc.pw, nil }
			}
			db := openStore(t, "")
			w := New(db, o)
			it := queue(t, w, testMessage("bob@example.com", "nobody@example.com", "carol@example.com"))
			runWorker(t, w)
			it = wait(t, w, it.ID)
			if it.State != tc.state || !strings.Contains(it.LastError, tc.want) || it.Attempts != 1 {
				t.Fatalf("state %s attempts %d error %q, want %s %q", it.State, it.Attempts, it.LastError, tc.state, tc.want)
			}
			if got := f.got(); len(got) != tc.recv {
				t.Fatalf("received %d", len(got))
			}
			if len(appends(t, db)) != tc.appnds {
				t.Fatalf("appends")
			}
			if tc.state == store.OutboxPartial {
				if r := it.Results["nobody@example.com"]; r.Status != store.RcptRejected || r.Code != 550 {
					t.Fatalf("results %+v", it.Results)
				}
				if r := it.Results["carol@example.com"]; r.Status != store.RcptSent {
					t.Fatalf("results %+v", it.Results)
				}
				if env := f.got()[0]; len(env.to) != 2 {
					t.Fatalf("delivered to %v", env.to)
				}
			}
		})
	}
}

func TestDeferredRecipientRetriedAlone(t *testing.T) {
	f := startFake(t, &fakeServer{rcpt: func(n int, to string) error {
		if n == 1 && to == "later@example.com" {
			return smtpErr(452, "Mailbox busy")
		}
		return nil
	}})
	db := openStore(t, "")
	w := New(db, testOptions(testAccount(f.addr, accounts.SecurityNone)))
	it := queue(t, w, testMessage("bob@example.com", "later@example.com"))
	runWorker(t, w)
	it = wait(t, w, it.ID)
	got := f.got()
	if it.State != store.OutboxSent || len(got) != 2 || len(got[1].to) != 1 || got[1].to[0] != "later@example.com" {
		t.Fatalf("%+v, received %+v", it, got)
	}
	if len(appends(t, db)) != 1 {
		t.Fatal("want one append")
	}
}

func TestConnectionDrops(t *testing.T) {
	t.Run("after the final dot", func(t *testing.T) {
		f := startFake(t, &fakeServer{data: func(n int, c *smtp.Conn, _ []byte) error {
			if n == 1 {
				c.Conn().Close()
			}
			return nil
		}})
		db := openStore(t, "")
		w := New(db, testOptions(testAccount(f.addr, accounts.SecurityNone)))
		it := queue(t, w, testMessage("bob@example.com"))
		runWorker(t, w)
		it = wait(t, w, it.ID)
		if it.State != store.OutboxUncertain || !strings.Contains(it.LastError, "may or may not have been sent") || len(appends(t, db)) != 0 {
			t.Fatalf("%+v", it)
		}
		if _, err := w.Retry(context.Background(), it.ID); err != nil {
			t.Fatal(err)
		}
		if it = wait(t, w, it.ID); it.State != store.OutboxSent || len(appends(t, db)) != 1 {
			t.Fatalf("after retry: %+v", it)
		}
	})
	t.Run("during DATA", func(t *testing.T) {
		f := startFake(t, &fakeServer{rawData: func(n int, c *smtp.Conn, r io.Reader) error {
			if n == 1 {
				io.ReadFull(r, make([]byte, 10))
				c.Conn().Close()
				return errors.New("dropped")
			}
			_, err := io.Copy(io.Discard, r)
			return err
		}})
		db := openStore(t, "")
		w := New(db, testOptions(testAccount(f.addr, accounts.SecurityNone)))
		m := testMessage("bob@example.com")
		m.Raw = append(m.Raw, []byte(strings.Repeat(strings.Repeat("x", 70)+"\r\n", 20000))...) // larger than socket buffers
		it := queue(t, w, m)
		runWorker(t, w)
		it = wait(t, w, it.ID)
		// Either the write failed (retried, then sent) or the final dot
		// went out before the drop was seen (uncertain); never sent twice.
		if it.State != store.OutboxSent && it.State != store.OutboxUncertain {
			t.Fatalf("%+v", it)
		}
		t.Logf("state %s after %d attempts", it.State, it.Attempts)
	})
}

// testClock is a clock that moves only when the test moves it.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// TestUndoAndSendLater checks that a message waits out its undo delay and
// a send-later message its time, on a clock the test moves, so that the
// order does not depend on the machine's speed.
func TestUndoAndSendLater(t *testing.T) {
	f := startFake(t, &fakeServer{})
	db := openStore(t, "")
	o := testOptions(testAccount(f.addr, accounts.SecurityNone))
	o.UndoDelay = 300 * time.Millisecond
	t0 := time.Now().Truncate(time.Millisecond) // the store keeps milliseconds
	clock := &testClock{now: t0}
	o.Now = clock.Now
	w := New(db, o)
	runWorker(t, w)
	ctx := context.Background()
	received := func() string {
		var to []string
		for _, e := range f.got() {
			to = append(to, e.to...)
		}
		return strings.Join(to, ",")
	}

	m := testMessage("bob@example.com")
	m.NoUndo = false
	it := queue(t, w, m)
	if _, raw, err := w.Cancel(ctx, it.ID); err != nil || len(raw) == 0 {
		t.Fatalf("undo: %v", err)
	}
	later := testMessage("carol@example.com")
	later.At = t0.Add(600 * time.Millisecond)
	lit := queue(t, w, later)
	m2 := testMessage("dave@example.com")
	m2.NoUndo = false
	it2 := queue(t, w, m2)
	if !it2.NextAttempt.Equal(t0.Add(300 * time.Millisecond)) {
		t.Errorf("undoable message due at %v, want t0+300ms", it2.NextAttempt.Sub(t0))
	}

	// Just before the undo delay is over, a message without undo goes
	// alone: the undoable one is not due yet.
	clock.Set(t0.Add(299 * time.Millisecond))
	now := testMessage("eve@example.com")
	if it := wait(t, w, queue(t, w, now).ID); it.State != store.OutboxSent {
		t.Fatalf("%+v", it)
	}
	if cur, _ := db.OutboxItem(ctx, it2.ID); cur.State != store.OutboxQueued {
		t.Fatalf("undoable message is %s before its undo delay is over", cur.State)
	}

	clock.Set(t0.Add(300 * time.Millisecond))
	w.Wake()
	if it2 = wait(t, w, it2.ID); it2.State != store.OutboxSent {
		t.Fatalf("%+v", it2)
	}
	if _, _, err := w.Cancel(ctx, it2.ID); err == nil {
		t.Fatal("cancelled a sent message")
	}
	if cur, _ := db.OutboxItem(ctx, lit.ID); cur.State != store.OutboxQueued {
		t.Fatalf("send-later message is %s too early", cur.State)
	}

	clock.Set(t0.Add(600 * time.Millisecond))
	w.Wake()
	if lit = wait(t, w, lit.ID); lit.State != store.OutboxSent {
		t.Fatalf("%+v", lit)
	}
	if got := received(); got != "eve@example.com,dave@example.com,carol@example.com" {
		t.Fatalf("received for %v", got)
	}
}

func TestQueueValidates(t *testing.T) {
	w := New(openStore(t, ""), nil)
	ctx := context.Background()
	bad := []*Message{
		{Account: "acct", From: "me@example.com", Rcpts: []string{"b@example.com"}, Raw: []byte("Subject: x\n\nbare LF\r\n")},
		{Account: "acct", From: "me@example.com", Rcpts: []string{"b@example.com"}, Raw: []byte("Subject: x\r\n\r\nbare CR\r")},
		{Account: "acct", From: "me@example.com\r\nRCPT TO:<x@y>", Rcpts: []string{"b@example.com"}, Raw: []byte("x\r\n")},
		{Account: "acct", From: "me@example.com", Rcpts: nil, Raw: []byte("x\r\n")},
		{Account: "acct", From: "me@example.com", Rcpts: []string{"b@example.com>"}, Raw: []byte("x\r\n")},
	}
	for i, m := range bad {
		if _, err := w.Queue(ctx, m); err == nil {
			t.Errorf("message %d queued", i)
		}
	}
}

func TestDefaultAppendSent(t *testing.T) {
	a := accounts.Account{SMTP: accounts.Endpoint{Host: "smtp.gmail.com"}}
	b := accounts.Account{SMTP: accounts.Endpoint{Host: "mail.example.com"}}
	if DefaultAppendSent(a) || !DefaultAppendSent(b) {
		t.Fatal("DefaultAppendSent")
	}
}

func TestAppendSkippedForGmailLike(t *testing.T) {
	f := startFake(t, &fakeServer{})
	db := openStore(t, "")
	o := testOptions(testAccount(f.addr, accounts.SecurityNone))
	o.AppendSent = func(accounts.Account) bool { return false }
	w := New(db, o)
	it := queue(t, w, testMessage("bob@example.com"))
	runWorker(t, w)
	if it = wait(t, w, it.ID); it.State != store.OutboxSent || len(appends(t, db)) != 0 {
		t.Fatalf("%+v", it)
	}
	if raw, _ := db.OutboxRaw(context.Background(), it.ID); len(raw) != 0 {
		t.Fatal("raw kept although no append is pending")
	}
}
