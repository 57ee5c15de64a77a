package imapsync

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// oauthFixture is Dovecot signing in with tokens of an OAuthServer, alice's
// account on it, a store and a token source holding a grant of alice's.
type oauthFixture struct {
	o      *mailtest.OAuthServer
	r      *mailtest.Real
	acct   accounts.Account
	st     *store.DB
	ts     *mailtest.TokenSource
	roots  *x509.CertPool
	user   string
	status statusLog
}

// statusLog records every status an engine reported.
type statusLog struct {
	mu  sync.Mutex
	all []Status
}

func (l *statusLog) add(s Status) {
	l.mu.Lock()
	l.all = append(l.all, s)
	l.mu.Unlock()
}

func (l *statusLog) last() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.all) == 0 {
		return Status{}
	}
	return l.all[len(l.all)-1]
}

func (l *statusLog) states() []State {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []State
	for _, s := range l.all {
		out = append(out, s.State)
	}
	return out
}

// newOAuthFixture starts the servers; dovecotConf, if set, is added to
// Dovecot's configuration (to offer fewer mechanisms).
func newOAuthFixture(t *testing.T, dovecotConf string) *oauthFixture {
	t.Helper()
	o := mailtest.StartOAuth(t, nil)
	r := mailtest.RealForTestWith(t, mailtest.RealOptions{OAuth: o})
	if dovecotConf != "" {
		if err := r.ReconfigureDovecot(dovecotConf); err != nil {
			t.Fatal(err)
		}
	}
	user := mailtest.RealDefaultUsers[0].Name
	grant, err := o.Grant(user)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(r.CertPEM)
	host, portStr, _ := net.SplitHostPort(r.IMAPAddr)
	port, _ := strconv.Atoi(portStr)
	return &oauthFixture{o: o, r: r, user: user, ts: o.NewTokenSource(grant), roots: roots, st: openStore(t),
		acct: accounts.Account{ID: "alice", Email: user,
			IMAP: accounts.Endpoint{Host: host, Port: port, Security: accounts.SecuritySTARTTLS, Username: user, Auth: "oauth2"}}}
}

func (f *oauthFixture) options(t *testing.T) *Options {
	return &Options{
		TokenSource:    f.ts,
		Password:       func(context.Context) (string, error) { return "", errors.New("the password must not be asked for") },
		Roots:          f.roots,
		CommandTimeout: 20 * time.Second,
		PollInterval:   time.Minute,
		OnStatus:       f.status.add,
		Logf:           t.Logf,
	}
}

func (f *oauthFixture) deliver(t *testing.T, subject string) {
	t.Helper()
	raw := fmt.Sprintf("From: Bob <bob@example.test>\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%d@example.test>\r\nDate: %s\r\n\r\nHi.\r\n",
		f.user, subject, time.Now().UnixNano(), time.Now().Format(time.RFC1123Z))
	if err := f.r.Deliver(f.user, []byte(raw)); err != nil {
		t.Fatal(err)
	}
}

func (f *oauthFixture) inbox(t *testing.T) []store.Message {
	t.Helper()
	mb, err := f.st.MailboxByRole(context.Background(), f.acct.ID, store.RoleInbox)
	if err != nil {
		return nil
	}
	msgs, err := f.st.Messages(context.Background(), mb.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// waitLogins waits until Dovecot's log (written by its log process, a
// moment after the event) shows n logins of the user with mech.
func (f *oauthFixture) waitLogins(t *testing.T, mech string, n int) {
	t.Helper()
	want := "Login: user=<" + f.user + ">, method=" + mech + ","
	waitFor(t, fmt.Sprintf("%d logins with %s", n, mech), func() bool {
		b, err := os.ReadFile(filepath.Join(f.r.Dir, "dovecot.log"))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(string(b), want) == n
	})
}

// TestOAuthSync syncs with an access token over OAUTHBEARER (Dovecot offers
// both, and the engine prefers it) and over XOAUTH2 (Dovecot offering only
// that); then the access token expires on the server while the engine
// still holds it, and the next pass renews it once and succeeds, with no
// error status in between.
func TestOAuthSync(t *testing.T) {
	for _, tc := range []struct{ mech, conf string }{
		{"OAUTHBEARER", ""},
		{"XOAUTH2", "auth_mechanisms = plain login xoauth2"},
	} {
		t.Run(tc.mech, func(t *testing.T) {
			t.Parallel()
			f := newOAuthFixture(t, tc.conf)
			ctx := context.Background()
			f.deliver(t, "first")
			f.deliver(t, "second")
			e := New(f.st, f.acct, f.options(t))
			if _, err := e.SyncOnce(ctx); err != nil {
				t.Fatalf("sync: %v\n%s", err, f.r.LogTail(20))
			}
			if n := len(f.inbox(t)); n != 2 {
				t.Fatalf("%d messages in INBOX, want 2", n)
			}
			f.waitLogins(t, tc.mech, 1)

			// The token expires at the provider before its stated expiry
			// (as after a password change): Dovecot refuses it, the
			// engine renews it and goes on.
			f.o.ExpireAccessTokens(f.user)
			f.deliver(t, "third")
			if _, err := e.SyncOnce(ctx); err != nil {
				t.Fatalf("sync after the token expired: %v\n%s", err, f.r.LogTail(20))
			}
			if n := len(f.inbox(t)); n != 3 {
				t.Fatalf("%d messages in INBOX, want 3", n)
			}
			if refreshes, renews, _ := f.ts.Counts(); refreshes != 1 || renews != 1 {
				t.Fatalf("%d refreshes, %d renewals; want 1 and 1", refreshes, renews)
			}
			for _, s := range f.status.states() {
				if s == StateError || s == StateOffline {
					t.Fatalf("status went through %s: %v", s, f.status.states())
				}
			}
		})
	}
}

// TestOAuthSignInAgain revokes the grant under a running engine: after a
// reconnection the refresh fails with invalid_grant, the engine waits in
// StateError with ErrSignInAgain as the cause, keeping its messages and a
// local change; after a new grant and a kick it syncs the new mail and
// replays the change.
func TestOAuthSignInAgain(t *testing.T) {
	f := newOAuthFixture(t, "")
	f.deliver(t, "before")
	opts := f.options(t)
	opts.Connections = 1
	e := New(f.st, f.acct, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, "the first sync", func() bool { return e.Status().State == StateIdle && len(f.inbox(t)) == 1 })

	f.o.Revoke(f.user)
	// Dovecot restarts: the engine's session ends and it signs in anew,
	// with a token the server no longer takes.
	if err := f.r.RestartDovecot(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the engine to wait for the user", func() bool {
		st := e.Status()
		return st.State == StateError && errors.Is(st.Cause, accounts.ErrSignInAgain)
	})
	if _, _, n := f.ts.Counts(); n == 0 {
		t.Fatal("no refresh ended in ErrSignInAgain")
	}
	if st := e.Status(); !strings.Contains(st.Err, "sign in again") {
		t.Errorf("status error %q does not say to sign in again", st.Err)
	}

	// Meanwhile the user reads the message here, and new mail arrives.
	msgs := f.inbox(t)
	if len(msgs) != 1 {
		t.Fatalf("%d messages in the store while waiting, want 1", len(msgs))
	}
	if _, err := f.st.SetFlag(context.Background(), msgs[0].ID, `\Seen`, true); err != nil {
		t.Fatal(err)
	}
	f.deliver(t, "while waiting")
	e.Kick() // the change is queued; the engine still waits for sign-in
	waitFor(t, "the engine to try again and wait again", func() bool {
		_, _, n := f.ts.Counts()
		return n >= 2 && e.Status().State == StateError
	})
	if pend, err := f.st.PendingActions(context.Background(), f.acct.ID); err != nil || len(pend) != 1 {
		t.Fatalf("pending actions while waiting: %d, %v; want the one change", len(pend), err)
	}

	// The user signs in again.
	grant, err := f.o.Grant(f.user)
	if err != nil {
		t.Fatal(err)
	}
	f.ts.SetGrant(grant)
	e.Kick()
	waitFor(t, "sync to resume", func() bool {
		pend, _ := f.st.PendingActions(context.Background(), f.acct.ID)
		return e.Status().State == StateIdle && len(f.inbox(t)) == 2 && len(pend) == 0
	})
	_, flags := serverFlags(t, f)
	if !strings.Contains(flags, `\Seen`) {
		t.Fatalf("the change made while waiting did not reach the server: flags %q", flags)
	}
}

// serverFlags returns the number of messages in INBOX and the flags of the
// first, as another client signed in with the password sees them.
func serverFlags(t *testing.T, f *oauthFixture) (uint32, string) {
	t.Helper()
	c, err := imapclient.DialStartTLS(f.r.IMAPAddr, &imapclient.Options{TLSConfig: f.r.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(f.user, mailtest.RealDefaultUsers[0].Password).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Flags: true}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("fetch flags: %v (%d messages)", err, len(msgs))
	}
	var flags []string
	for _, fl := range msgs[0].Flags {
		flags = append(flags, string(fl))
	}
	return sel.NumMessages, strings.Join(flags, " ")
}
