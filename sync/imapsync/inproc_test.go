package imapsync

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// TestSyncDemoMailbox syncs the demo mailbox: every folder whole, the roles
// from SPECIAL-USE or (on Courier, which has none) from the names, the
// unread count, every message complete; a second pass skips every folder;
// search finds the fetched bodies.
func TestSyncDemoMailbox(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		seed := mailtest.DemoSeed(time.Now())
		f := newFixture(t, p, seed)
		e := New(f.st, f.acct, f.opts)
		ctx := context.Background()
		rep, err := e.SyncOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := f.seeded
		got := map[string]int{}
		for _, fr := range rep.Folders {
			got[fr.Name] = fr.Stored
			if fr.Stored != fr.ServerTotal {
				t.Errorf("%s: stored %d, server %d", fr.Name, fr.Stored, fr.ServerTotal)
			}
		}
		for name, n := range want {
			if got[name] != n {
				t.Errorf("%s: stored %d, seeded %d", name, got[name], n)
			}
		}
		if rep.Bodies != len(seed) {
			t.Errorf("bodies fetched %d, want %d", rep.Bodies, len(seed))
		}
		// Roles come from SPECIAL-USE or names.
		for role, name := range map[store.Role]string{"inbox": "INBOX", "sent": "Sent", "drafts": "Drafts", "trash": "Trash", "archive": "Archive"} {
			mb, err := f.st.MailboxByRole(ctx, f.acct.ID, role)
			if err != nil || mb.Name != f.box(name) {
				t.Errorf("role %s: %q %v", role, mb.Name, err)
			}
		}
		// Every seeded message arrived with its subject and flags.
		inbox, _ := f.st.MailboxByRole(ctx, f.acct.ID, "inbox")
		msgs, _ := f.st.Messages(ctx, inbox.ID, 0, 10000)
		bySubject := map[string]store.Message{}
		for _, m := range msgs {
			bySubject[m.MessageID] = m
		}
		unseen := 0
		for _, s := range seed {
			if s.Mailbox != "INBOX" {
				continue
			}
			seen := false
			for _, fl := range s.Flags {
				seen = seen || fl == `\Seen`
			}
			if !seen {
				unseen++
			}
		}
		if inbox.Unread != unseen {
			t.Errorf("INBOX unread %d, seeded %d", inbox.Unread, unseen)
		}
		for _, m := range msgs {
			if m.Subject == "" || len(m.From) == 0 || m.InternalDate.IsZero() || !m.HasBody {
				t.Fatalf("incomplete message: %+v", m)
			}
		}
		// A second pass with nothing changed skips every folder.
		rep, err = e.SyncOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, fr := range rep.Folders {
			if !fr.Skipped {
				t.Errorf("%s re-synced although nothing changed: %+v", fr.Name, fr)
			}
		}
		// Search works over the fetched bodies.
		found, err := f.st.Search(ctx, f.acct.ID, msgs[0].Subject, 5)
		if err != nil || len(found) == 0 {
			t.Errorf("search for %q: %d results, %v", msgs[0].Subject, len(found), err)
		}
	})
}

// TestSyncFlagsReplayAndNewMail runs the engine: a flag changed in Tern
// reaches the server, and new mail arrives by IDLE, long before the poll.
func TestSyncFlagsReplayAndNewMail(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		seed := inboxSeed(10)
		f := newFixture(t, p, seed)
		e := New(f.st, f.acct, f.opts)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if _, err := e.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
		inbox, _ := f.st.MailboxByRole(ctx, f.acct.ID, "inbox")
		msgs, _ := f.st.Messages(ctx, inbox.ID, 0, 1)
		top := msgs[0]
		wantSeen := !top.Seen()
		if _, err := f.st.SetFlag(ctx, top.ID, store.FlagSeen, wantSeen); err != nil {
			t.Fatal(err)
		}
		// Run in the background: it replays the action, then IDLEs.
		done := make(chan struct{})
		go func() { e.Run(ctx); close(done) }()
		waitFor(t, "pending action replayed", func() bool {
			acts, _ := f.st.PendingActions(ctx, f.acct.ID)
			return len(acts) == 0 && e.Status().State == StateIdle
		})
		// The server has the flag now: a fresh store syncing the same server
		// sees it.
		st2 := f.serverView(t)
		inbox2, _ := st2.MailboxByRole(ctx, f.acct.ID, "inbox")
		m2, err := st2.MessageByUID(ctx, inbox2.ID, top.UIDValidity, top.UID)
		if err != nil || m2.Seen() != wantSeen {
			t.Fatalf("server-side seen = %v, want %v (%v)", m2.Seen(), wantSeen, err)
		}
		// New mail while idling arrives by IDLE well before the poll interval.
		raw := "From: New Person <new@example.test>\r\nTo: demo@tern.example\r\nSubject: Fresh arrival\r\nMessage-ID: <fresh@example.test>\r\nDate: " +
			time.Now().Format(time.RFC1123Z) + "\r\n\r\nHello there.\r\n"
		start := time.Now()
		if err := f.deliver([]byte(raw)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "new mail in the store", func() bool {
			res, _ := f.st.Messages(ctx, inbox.ID, 0, 1)
			return len(res) == 1 && res[0].Subject == "Fresh arrival"
		})
		t.Logf("new mail visible after %v", time.Since(start))
		// The engine reports the new mail after its write is committed,
		// which the store may show first.
		waitFor(t, "ChangeNewMail", func() bool { return f.changeCount(ChangeNewMail) > 0 })
		cancel()
		<-done
	})
}

// TestSyncFetchBodyOnDemand fetches, stores and reports one body that the
// passes left out.
func TestSyncFetchBodyOnDemand(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		seed := inboxSeed(10)
		f := newFixture(t, p, seed)
		f.opts.BodiesPerPass = -1
		e := New(f.st, f.acct, f.opts)
		ctx := context.Background()
		if _, err := e.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
		inbox, _ := f.st.MailboxByRole(ctx, f.acct.ID, "inbox")
		msgs, _ := f.st.Messages(ctx, inbox.ID, 0, 3)
		if msgs[0].HasBody {
			t.Fatal("body fetched although BodiesPerPass < 0")
		}
		raw, err := e.FetchBody(ctx, msgs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), msgs[0].MessageID) {
			t.Fatalf("fetched body lacks its Message-ID %q", msgs[0].MessageID)
		}
		got, _ := f.st.Message(ctx, msgs[0].ID)
		if !got.HasBody || got.Preview == "" {
			t.Fatalf("body not stored with a preview: %+v", got)
		}
		if f.changeCount(ChangeBody) != 1 {
			t.Fatalf("ChangeBody reported %d times", f.changeCount(ChangeBody))
		}
	})
}

// TestSyncVerifyErrorsAreClear checks the errors of a server that
// answers: a wrong password is a permanent AuthError that does not repeat
// the password; an untrusted certificate a permanent CertError naming its
// fingerprint, and no error once the certificate is in the roots.
func TestSyncVerifyErrorsAreClear(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		f := newFixture(t, p, nil)
		ctx := context.Background()

		// Wrong password: a permanent AuthError.
		err := Verify(ctx, f.acct, "wrong", &Options{Roots: f.opts.Roots})
		var ae *accounts.AuthError
		if !errors.As(err, &ae) || !Permanent(err) {
			t.Fatalf("wrong password: %T %v", err, err)
		}
		if strings.Contains(err.Error(), "wrong") {
			t.Fatalf("error leaks the password: %v", err)
		}

		// An untrusted certificate: a permanent CertError naming the fingerprint.
		noPin := f.acct.Clone()
		noPin.PinnedCerts = nil
		err = Verify(ctx, noPin, f.user.Password, nil)
		var ce *accounts.CertError
		if !errors.As(err, &ce) || !Permanent(err) || !strings.Contains(err.Error(), f.certSHA256()) {
			t.Fatalf("untrusted cert: %T %v", err, err)
		}
		// Trusted through roots, no pin needed.
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(f.certPEM())
		if err := Verify(ctx, noPin, f.user.Password, &Options{Roots: roots}); err != nil {
			t.Fatalf("cert in roots: %v", err)
		}
	})
}

// TestSyncUnreachableErrorsAreClear checks the errors of a server that
// cannot be reached: a closed port is a temporary ConnectError, at once; a
// server that accepts but never speaks is given up by the watchdog. No
// IMAP server is reached, so no profile applies: the in-process fixture
// only provides the account.
func TestSyncUnreachableErrorsAreClear(t *testing.T) {
	f := newFixture(t, profileInproc, nil)
	ctx := context.Background()

	// A closed port: a temporary ConnectError, quickly.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().(*net.TCPAddr)
	l.Close()
	closed := f.acct.Clone()
	closed.IMAP.Port = addr.Port
	start := time.Now()
	err := Verify(ctx, closed, "x", nil)
	var cerr *accounts.ConnectError
	if !errors.As(err, &cerr) || Permanent(err) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("closed port: %T %v", err, err)
	}
	if time.Since(start) > 30*time.Second { // a hang guard
		t.Fatalf("closed port took %v", time.Since(start))
	}

	// A server that accepts but never speaks: the watchdog gives up.
	silent, _ := net.Listen("tcp", "127.0.0.1:0")
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	mute := f.acct.Clone()
	mute.IMAP.Port = silent.Addr().(*net.TCPAddr).Port
	mute.IMAP.Security = accounts.SecurityNone
	err = Verify(ctx, mute, "x", &Options{CommandTimeout: 500 * time.Millisecond})
	if err == nil || Permanent(err) {
		t.Fatalf("silent server: %v", err)
	}
}

// TestSyncInprocRunReportsOfflineAndRecovers runs the engine against a
// closed port. No IMAP server is reached: the in-process fixture only
// provides the account and the store.
func TestSyncInprocRunReportsOfflineAndRecovers(t *testing.T) {
	f := newFixture(t, profileInproc, nil)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	acct := f.acct.Clone()
	acct.IMAP.Port = port
	var mu sync.Mutex
	var states []Status
	f.opts.OnStatus = func(s Status) { mu.Lock(); states = append(states, s); mu.Unlock() }
	e := New(f.st, acct, f.opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	waitFor(t, "offline state", func() bool { return e.Status().State == StateOffline })
	if s := e.Status(); !strings.Contains(s.Err, "connection refused") || s.Retry.IsZero() {
		t.Fatalf("offline status: %+v", s)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
	if e.Status().State != StateStopped {
		t.Fatalf("after stop: %v", e.Status().State)
	}
	_ = fmt.Sprint(states)
}

// TestSyncBodiesByAge fetches the bodies of the messages of the last 30
// days only, by their internal dates.
func TestSyncBodiesByAge(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		f := newFixture(t, p, mailtest.DemoSeed(time.Now()))
		acct := f.acct.Clone()
		acct.Sync.BodiesMaxAgeDays = 30
		ctx := context.Background()
		rep, err := New(f.st, acct, f.opts).SyncOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		inbox, _ := f.st.MailboxByRole(ctx, acct.ID, "inbox")
		msgs, _ := f.st.Messages(ctx, inbox.ID, 0, 10000)
		cut := time.Now().AddDate(0, 0, -30)
		var recent, old int
		for _, m := range msgs {
			switch {
			case m.InternalDate.After(cut.Add(time.Hour)) && !m.HasBody:
				t.Fatalf("recent message %v without body", m.InternalDate)
			case m.InternalDate.Before(cut.Add(-time.Hour)) && m.HasBody:
				t.Fatalf("old message %v has a body", m.InternalDate)
			case m.InternalDate.After(cut):
				recent++
			default:
				old++
			}
		}
		if recent == 0 || old == 0 || rep.Bodies >= len(msgs) {
			t.Fatalf("recent %d, old %d, bodies %d: the seed does not test the limit", recent, old, rep.Bodies)
		}
	})
}

// TestSyncNewMailEveryPoolSize checks new mail arrives by IDLE with a
// dedicated idle connection (2) and with one connection that alternates
// between syncing and IDLE (1).
func TestSyncNewMailEveryPoolSize(t *testing.T) {
	for _, conns := range []int{1, 2} {
		t.Run(fmt.Sprint(conns), func(t *testing.T) {
			forEachProfile(t, func(t *testing.T, p profile) {
				f := newFixture(t, p, nil)
				f.opts.Connections = conns
				f.opts.PollInterval = time.Hour
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				e := New(f.st, f.acct, f.opts)
				done := make(chan struct{})
				go func() { e.Run(ctx); close(done) }()
				defer func() { cancel(); <-done }()
				waitSettled(t, e)
				inbox, _ := f.st.MailboxByRole(ctx, f.acct.ID, "inbox")
				for i := 0; i < 3; i++ {
					f.deliverAndWait(t, inbox, fmt.Sprintf("arrival %d", i))
				}
			})
		})
	}
}

// TestSyncActionGivenUpAfterMaxAttempts: an action that the connection
// died on MaxActionAttempts times is given up: reverted in the store,
// reported, and never sent to the server.
func TestSyncActionGivenUpAfterMaxAttempts(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		f := newFixture(t, p, inboxSeed(10))
		e := New(f.st, f.acct, f.opts)
		ctx := context.Background()
		if _, err := e.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
		inbox, _ := f.st.MailboxByRole(ctx, f.acct.ID, "inbox")
		msgs, _ := f.st.Messages(ctx, inbox.ID, 0, 2)
		stuck, fine := msgs[0], msgs[1]
		if _, err := f.st.SetFlag(ctx, stuck.ID, store.FlagFlagged, !stuck.Flagged()); err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.SetFlag(ctx, fine.ID, store.FlagFlagged, !fine.Flagged()); err != nil {
			t.Fatal(err)
		}
		acts, _ := f.st.PendingActions(ctx, f.acct.ID)
		if len(acts) != 2 {
			t.Fatalf("%d pending actions, want 2", len(acts))
		}
		for i := 0; i < MaxActionAttempts; i++ {
			if err := f.st.ActionRetry(ctx, acts[0].ID, errors.New("connection reset by peer")); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := e.SyncOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Actions != 1 || f.changeCount(ChangeActionFailed) != 1 {
			t.Fatalf("replayed %d, failed %d; want 1 and 1", rep.Actions, f.changeCount(ChangeActionFailed))
		}
		if left, _ := f.st.PendingActions(ctx, f.acct.ID); len(left) != 0 {
			t.Fatalf("%d actions still pending", len(left))
		}
		if m, _ := f.st.Message(ctx, stuck.ID); m.Flagged() != stuck.Flagged() {
			t.Errorf("given-up flag change not reverted locally: flagged=%v", m.Flagged())
		}
		st2 := f.serverView(t)
		inbox2, _ := st2.MailboxByRole(ctx, f.acct.ID, "inbox")
		for _, c := range []struct {
			m    store.Message
			want bool
		}{{stuck, stuck.Flagged()}, {fine, !fine.Flagged()}} {
			got, err := st2.MessageByUID(ctx, inbox2.ID, c.m.UIDValidity, c.m.UID)
			if err != nil || got.Flagged() != c.want {
				t.Errorf("server: UID %d flagged=%v, want %v (%v)", c.m.UID, got.Flagged(), c.want, err)
			}
		}
	})
}

// TestSyncPinnedCertHostCase syncs an account whose IMAP host is written
// with capitals while its pinned certificate is kept, as Tern stores pins,
// under the lower-case host: the pin must still be found. The pin is the
// only trust (no roots).
func TestSyncPinnedCertHostCase(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		f := newFixture(t, p, nil)
		f.opts.Roots = nil
		f.acct.IMAP.Host = "LocalHost"
		f.acct.PinnedCerts = map[string]string{"localhost:" + strconv.Itoa(f.acct.IMAP.Port): f.certSHA256()}
		if _, err := New(f.st, f.acct, f.opts).SyncOnce(context.Background()); err != nil {
			t.Fatalf("sync with the pin under the lower-case host: %v", err)
		}
	})
}
