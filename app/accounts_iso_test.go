package app

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
	"github.com/ternmail/tern/sync/imapsync"
)

// TestSlowAccountDelaysNoOther runs two accounts, one of them on a server
// that accepts connections and never answers: the other syncs as if alone.
// The silent server holds every connection until the test releases it, and
// the command timeout is longer than the test, so the slow account stays
// blocked for as long as the test says: the good account must reach idle
// while the slow one is still blocked, whatever the machine's speed. An
// engine that waited for another account (a shared lock, a serial start)
// would keep the good account waiting for the release that never comes.
func TestSlowAccountDelaysNoOther(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan struct{}, 64) // one token per connection accepted
	release := make(chan struct{})      // closed: the held connections close
	var held sync.WaitGroup
	defer held.Wait()
	defer silent.Close()
	var releaseOnce sync.Once
	releaseAll := func() { releaseOnce.Do(func() { close(release) }) }
	defer releaseAll()
	held.Add(1)
	go func() {
		defer held.Done()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			select {
			case accepted <- struct{}{}:
			default:
			}
			held.Add(1)
			go func() {
				defer held.Done()
				<-release // held open, never a byte, until released
				c.Close()
			}()
		}
	}()
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true, Seed: mailtest.DemoSeed(time.Now())})
	c, err := New(Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets(),
		Sync: &imapsync.Options{CommandTimeout: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	ctx := context.Background()
	port := silent.Addr().(*net.TCPAddr).Port
	slow := accounts.Account{Name: "Slow", Email: "slow@example.test",
		IMAP: accounts.Endpoint{Host: "127.0.0.1", Port: port, Security: accounts.SecurityNone},
		SMTP: accounts.Endpoint{Host: "127.0.0.1", Port: port, Security: accounts.SecurityNone}}
	slowAcct, err := c.AddAccount(ctx, slow, "pw", &AddOptions{SkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	good, err := c.AddAccount(ctx, mailtest.DemoAccount(srv), srv.Password, &AddOptions{SkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	c.Start()
	// The slow account's engine is connected to the silent server and
	// waits for a greeting that comes only when the test releases it.
	select {
	case <-accepted:
	case <-time.After(30 * time.Second):
		t.Fatal("the slow account never connected: the test would prove nothing")
	}
	waitUntil(t, "the good account synced while the slow one is blocked", func() bool {
		inbox, err := c.store.MailboxByRole(ctx, good.ID, store.RoleInbox)
		return err == nil && inbox.Total > 0 && c.Status(good.ID).State == imapsync.StateIdle
	})
	// Still blocked: nothing has released it, and its hour-long timeout
	// has not run out.
	if st := c.Status(slowAcct.ID); st.State == imapsync.StateIdle || st.State == imapsync.StateOffline {
		t.Fatalf("the slow account is %+v while its server still holds the connection", st)
	}
	releaseAll()
	waitUntil(t, "the slow account offline once released", func() bool {
		return c.Status(slowAcct.ID).State == imapsync.StateOffline
	})
}

// newISOCore returns a started-or-not core with one account on an
// in-process server holding the demo mailbox.
func newISOCore(t *testing.T, secrets accounts.Secrets) (*Core, *mailtest.Server, accounts.Account) {
	t.Helper()
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true, Seed: mailtest.DemoSeed(time.Now())})
	if secrets == nil {
		secrets = accounts.NewMemorySecrets()
	}
	c, err := New(Options{Home: t.TempDir(), Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	a, err := c.AddAccount(context.Background(), mailtest.DemoAccount(srv), srv.Password, &AddOptions{SkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv, a
}

// RemoveAccount stops the engine before it deletes the local data (an
// engine still running could write rows back), and the data includes the
// drafts and the addresses kept for autocomplete.
func TestRemoveAccountStopsEngineAndDeletesData(t *testing.T) {
	var stoppedFirst atomic.Value // a bool per Delete: was the engine stopped?
	var run *engineRun
	sec := &hookSecrets{Secrets: accounts.NewMemorySecrets(), onDelete: func() {
		select {
		case <-run.done:
			stoppedFirst.Store(true)
		default:
			stoppedFirst.Store(false)
		}
	}}
	c, _, a := newISOCore(t, sec)
	ctx := context.Background()
	c.Start()
	waitUntil(t, "synced", func() bool {
		inbox, err := c.store.MailboxByRole(ctx, a.ID, store.RoleInbox)
		return err == nil && inbox.Total > 0 && c.Status(a.ID).State == imapsync.StateIdle
	})
	if _, err := c.SaveDraft(ctx, &store.Draft{Account: a.ID, Subject: "half written"}, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.RecentAddresses(ctx, a.ID, "", 5); len(got) == 0 {
		t.Fatal("no addresses after the sync: the test would prove nothing")
	}
	c.mu.Lock()
	run = c.engines[a.ID]
	c.mu.Unlock()
	if err := c.RemoveAccount(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if v, _ := stoppedFirst.Load().(bool); !v {
		t.Errorf("RemoveAccount deleted the secrets (and then the data) before the engine's goroutine ended")
	}
	if got, _ := c.Drafts(ctx, a.ID); len(got) != 0 {
		t.Errorf("%d drafts left", len(got))
	}
	if got, _ := c.RecentAddresses(ctx, a.ID, "", 5); len(got) != 0 {
		t.Errorf("%d addresses left", len(got))
	}
	if got, _ := c.Mailboxes(ctx, a.ID); len(got) != 0 {
		t.Errorf("%d folders left", len(got))
	}
}

// An engine made for one-shot work before Start (the command line's sync,
// RawMessage, CreateFolder) is started by Start like any other.
func TestEngineUsedBeforeStartRunsAfterStart(t *testing.T) {
	c, srv, a := newISOCore(t, nil)
	ctx := context.Background()
	if _, err := c.SyncOnce(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	inbox, err := c.store.MailboxByRole(ctx, a.ID, store.RoleInbox)
	if err != nil {
		t.Fatal(err)
	}
	c.Start()
	if _, err := srv.Append("INBOX", []byte("From: x@example.test\r\nSubject: after start\r\n\r\nhi\r\n"), nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	c.SyncNow(a.ID)
	waitUntil(t, "the running engine to fetch the new message", func() bool {
		n, _ := c.CountMessages(ctx, inbox.ID)
		return n == inbox.Total+1
	})
}

// An engine whose Run panics is reported with an error status and started
// again after a backoff, instead of staying dead with a frozen status.
func TestCrashedEngineReportsAndRestarts(t *testing.T) {
	var panicked atomic.Bool
	// The engine's logger panics once: on the first failed session, in
	// Run itself.
	syncLog := func(format string, args ...any) {
		if panicked.CompareAndSwap(false, true) {
			panic("injected crash")
		}
	}
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	c, err := New(Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets(), Sync: &imapsync.Options{Logf: syncLog}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	c.crashBackoff = 50 * time.Millisecond
	ep := accounts.Endpoint{Host: "127.0.0.1", Port: port, Security: accounts.SecurityNone}
	a, err := c.AddAccount(context.Background(), accounts.Account{Name: "Crash", Email: "crash@example.test", IMAP: ep, SMTP: ep}, "pw", &AddOptions{SkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	sub := c.Subscribe()
	defer sub.Close()
	c.Start()
	sawCrash := false
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("no crash report and restart (crash seen: %v): %v", sawCrash, err)
		}
		st, ok := ev.(StatusChanged)
		if !ok || st.Account != a.ID {
			continue
		}
		if st.Status.State == imapsync.StateError && strings.Contains(st.Status.Err, "stopped unexpectedly") {
			sawCrash = true
			continue
		}
		if sawCrash && st.Status.State == imapsync.StateOffline {
			return // restarted: a new engine tried and failed to connect
		}
	}
}

// hookSecrets calls onDelete before each Delete.
type hookSecrets struct {
	accounts.Secrets
	onDelete func()
}

func (h *hookSecrets) Delete(ctx context.Context, id, server string) error {
	h.onDelete()
	return h.Secrets.Delete(ctx, id, server)
}

// failSecrets is a keychain whose Set fails from the failAt-th call on.
type failSecrets struct {
	accounts.Secrets
	mu     sync.Mutex
	sets   int
	failAt int
}

func (f *failSecrets) Set(ctx context.Context, id, server, secret string) error {
	f.mu.Lock()
	f.sets++
	n := f.sets
	f.mu.Unlock()
	if f.failAt > 0 && n >= f.failAt {
		return errors.New("keychain refused")
	}
	return f.Secrets.Set(ctx, id, server, secret)
}

// A failed AddAccount leaves no secret behind: not when the keychain takes
// the IMAP password and refuses the SMTP one, not when saving
// accounts.toml fails after both were stored.
func TestAddAccountFailureLeavesNoSecret(t *testing.T) {
	ep := accounts.Endpoint{Host: "127.0.0.1", Port: 1, Security: accounts.SecurityNone}
	acct := accounts.Account{Name: "Kim", Email: "kim@example.test", IMAP: ep, SMTP: ep}
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		failAt    int
		breakSave bool
	}{{"second Set fails", 2, false}, {"save fails", 0, true}} {
		t.Run(tc.name, func(t *testing.T) {
			mem := accounts.NewMemorySecrets()
			c, err := New(Options{Home: t.TempDir(), Secrets: &failSecrets{Secrets: mem, failAt: tc.failAt}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Shutdown()
			if tc.breakSave {
				// A directory where accounts.toml goes: the rename fails.
				if err := os.MkdirAll(filepath.Join(c.configPath, "x"), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := c.AddAccount(ctx, acct, "pw-never-kept", &AddOptions{SkipVerify: true}); err == nil {
				t.Fatal("AddAccount succeeded")
			}
			for _, server := range []string{"imap", "smtp"} {
				if p, err := mem.Get(ctx, "kim-example-test", server); !errors.Is(err, accounts.ErrSecretNotFound) {
					t.Errorf("%s secret left after the failed add: %q %v", server, p, err)
				}
			}
			if len(c.Accounts()) != 0 {
				t.Errorf("account kept: %+v", c.Accounts())
			}
		})
	}
}

// Without a keychain, an account configured in an earlier session has no
// readable password: ReverifyAccount says so (and checks nothing), the
// keychain refuses the new one, and SessionOnly keeps it in memory.
func TestUpdateAccountSessionOnlyWithoutKeychain(t *testing.T) {
	home := t.TempDir()
	ep := accounts.Endpoint{Host: "127.0.0.1", Port: 1, Security: accounts.SecurityNone}
	first, err := New(Options{Home: home, Secrets: accounts.NewMemorySecrets()})
	if err != nil {
		t.Fatal(err)
	}
	a, err := first.AddAccount(context.Background(), accounts.Account{Name: "Lu", Email: "lu@example.test", IMAP: ep, SMTP: ep}, "old-pw", &AddOptions{SkipVerify: true})
	first.Shutdown()
	if err != nil {
		t.Fatal(err)
	}

	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/tern-app-test")
	c, err := New(Options{Home: home, Secrets: accounts.NewKeyring(nil)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()
	ctx := context.Background()
	missing := c.MissingPasswords(ctx)
	if len(missing) != 1 || missing[0].Account.ID != a.ID || !accounts.IsKeychainUnavailable(missing[0].Err) {
		t.Fatalf("missing passwords: %+v", missing)
	}
	v, err := c.ReverifyAccount(ctx, a, "", nil)
	var pe *PasswordUnavailableError
	if !errors.As(err, &pe) || v != nil || !accounts.IsKeychainUnavailable(err) {
		t.Fatalf("reverify with the stored password: %v %+v", err, v)
	}
	if err := c.UpdateAccount(ctx, a, "new-pw", nil); !accounts.IsKeychainUnavailable(err) {
		t.Fatalf("update into the keychain: %v", err)
	}
	if _, err := c.password(ctx, a.ID, "imap"); err == nil {
		t.Fatal("a password is kept after the failed update")
	}
	if err := c.UpdateAccount(ctx, a, "new-pw", &UpdateOptions{SessionOnly: true}); err != nil {
		t.Fatalf("session-only update: %v", err)
	}
	for _, server := range []string{"imap", "smtp"} {
		if p, err := c.password(ctx, a.ID, server); err != nil || p != "new-pw" {
			t.Errorf("%s password after the session-only update: %q %v", server, p, err)
		}
	}
	if m := c.MissingPasswords(ctx); len(m) != 0 {
		t.Errorf("still missing: %+v", m)
	}
}
