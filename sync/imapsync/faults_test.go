package imapsync

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
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

// The fault tests run the engine against real Dovecot through a
// mailtest.FaultProxy, which breaks its connections at chosen points, and
// then check that the store equals the server and no pending action was
// lost. The account talks plaintext IMAP to the proxy (Dovecot allows
// LOGIN without TLS on loopback) so that the proxy sees the commands and
// responses it waits for.

// faultFixture is a Dovecot fixture with a FaultProxy in front of its
// IMAP port and an account that goes through the proxy.
type faultFixture struct {
	*fixture
	proxy *mailtest.FaultProxy
	ev    *engineEvents
}

func newFaultFixture(t *testing.T, seed []mailtest.SeedMessage) *faultFixture {
	t.Helper()
	pf := newFixture(t, profileDovecot, seed)
	proxy := mailtest.FaultProxyForTest(t, pf.real.IMAPAddr)
	pf.acct.IMAP.Port = proxy.Port()
	pf.acct.IMAP.Security = accounts.SecurityNone
	f := &faultFixture{fixture: pf, proxy: proxy, ev: &engineEvents{ch: make(chan struct{})}}
	f.opts.OnStatus = f.ev.status
	record := f.opts.OnChange
	f.opts.OnChange = func(c Change) {
		record(c)
		f.ev.change(c)
	}
	f.opts.MaxBackoff = time.Second
	return f
}

// engineEvents records what an engine reports, for tests that wait on it.
type engineEvents struct {
	mu       sync.Mutex
	statuses []Status
	changes  []Change
	ch       chan struct{} // closed and replaced at each event
}

func (ev *engineEvents) status(s Status) {
	ev.mu.Lock()
	ev.statuses = append(ev.statuses, s)
	close(ev.ch)
	ev.ch = make(chan struct{})
	ev.mu.Unlock()
}

func (ev *engineEvents) change(c Change) {
	ev.mu.Lock()
	ev.changes = append(ev.changes, c)
	close(ev.ch)
	ev.ch = make(chan struct{})
	ev.mu.Unlock()
}

// mark returns how many statuses and changes were recorded so far, for
// waits on what comes after.
func (ev *engineEvents) mark() (statuses, changes int) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return len(ev.statuses), len(ev.changes)
}

// waitStatus waits for a status after the first `from` that ok accepts,
// and returns it.
func (ev *engineEvents) waitStatus(t *testing.T, what string, from int, ok func(Status) bool) Status {
	t.Helper()
	var found Status
	ev.wait(t, what, func() bool {
		for _, s := range ev.statuses[from:] {
			if ok(s) {
				found = s
				return true
			}
		}
		return false
	})
	return found
}

// waitChange waits for a change after the first `from` of kind.
func (ev *engineEvents) waitChange(t *testing.T, what string, from int, kind ChangeKind) {
	t.Helper()
	ev.wait(t, what, func() bool {
		for _, c := range ev.changes[from:] {
			if c.Kind == kind {
				return true
			}
		}
		return false
	})
}

// wait waits until cond (called with ev.mu held) holds, looking again at
// each event. The deadline only ends a test that would hang.
func (ev *engineEvents) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(90 * time.Second)
	defer deadline.Stop()
	for {
		ev.mu.Lock()
		ok, ch := cond(), ev.ch
		ev.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// waitFired waits for a proxy trigger to fire.
func waitFired(t *testing.T, what string, tr *mailtest.Trigger) {
	t.Helper()
	select {
	case <-tr.Fired():
	case <-time.After(90 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// runEngine runs e until the test ends.
func runEngine(t *testing.T, e *Engine) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		e.Run(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// server dials Dovecot directly (not through the proxy) as the fixture's
// user: a fresh connection, which survives nothing the test does.
func (f *faultFixture) server(t *testing.T) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialStartTLS(f.real.IMAPAddr, &imapclient.Options{TLSConfig: f.real.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(f.user.Name, f.user.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// assertStoreEqualsServer checks, for each mailbox, that the store holds
// what the server holds (UIDVALIDITY, UIDs, flags) and that every body
// stored is the server's byte for byte; with allBodies every body must be
// stored.
func (f *faultFixture) assertStoreEqualsServer(t *testing.T, allBodies bool, mailboxes ...string) {
	t.Helper()
	ctx := context.Background()
	f.other = f.server(t)
	for _, name := range mailboxes {
		f.assertMatches(t, name)
		mb, err := f.st.MailboxByName(ctx, f.acct.ID, name)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := f.st.Messages(ctx, mb.ID, 0, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		want := f.serverBodies(t, name)
		bodies := 0
		for _, m := range msgs {
			if !m.HasBody {
				if allBodies {
					t.Fatalf("%s: UID %d has no body", name, m.UID)
				}
				continue
			}
			raw, err := f.st.Body(ctx, m.ID)
			if err != nil {
				t.Fatalf("%s: UID %d: body: %v", name, m.UID, err)
			}
			if sha256.Sum256(raw) != want[m.UID] {
				t.Fatalf("%s: UID %d: the stored body (%d bytes) is not the server's", name, m.UID, len(raw))
			}
			bodies++
		}
		t.Logf("%s: %d messages, %d bodies equal to the server's", name, len(msgs), bodies)
	}
}

// newMailArrives delivers a message (Message-ID id) to INBOX, waits for
// the engine to announce new mail, as it must without being asked, and
// checks that the store then equals the server in mailboxes.
func (f *faultFixture) newMailArrives(t *testing.T, id, subject string, mailboxes ...string) {
	t.Helper()
	_, changes := f.ev.mark()
	if err := f.deliver(faultMessage(id, subject, 2000)); err != nil {
		t.Fatal(err)
	}
	f.ev.waitChange(t, "new mail: "+subject, changes, ChangeNewMail)
	f.assertStoreEqualsServer(t, false, mailboxes...)
}

// serverBodies returns the SHA-256 of every message in mailbox, by UID.
func (f *faultFixture) serverBodies(t *testing.T, mailbox string) map[uint32][32]byte {
	t.Helper()
	sel, err := f.other.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint32][32]byte{}
	if sel.NumMessages == 0 {
		return out
	}
	section := &imap.FetchItemBodySection{Peek: true}
	var all imap.SeqSet
	all.AddRange(1, 0)
	bufs, err := f.other.Fetch(all, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bufs {
		out[uint32(b.UID)] = sha256.Sum256(b.FindBodySection(section))
	}
	return out
}

// countByMessageID counts the messages of mailbox with Message-ID id on
// the server.
func (f *faultFixture) countByMessageID(t *testing.T, mailbox, id string) int {
	t.Helper()
	c := f.server(t)
	if _, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: "<" + id + ">"}}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return len(data.AllUIDs())
}

func (f *faultFixture) pendingActions(t *testing.T) int {
	t.Helper()
	acts, err := f.st.PendingActions(context.Background(), f.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	return len(acts)
}

// faultMessage is a message of about size bytes with Message-ID id.
func faultMessage(id, subject string, size int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Carol <carol@example.test>\r\nTo: alice@example.test\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: Mon, 02 Jun 2025 10:00:00 +0200\r\n\r\n", subject, id)
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "%s, line %d: some text that fills a message to the size the test wants.\r\n", id, i)
	}
	return []byte(b.String())
}

// faultSeed is a small mailbox: messages with various flags in INBOX,
// Archive and Sent, and with big, a few big ones in INBOX, so that a body
// FETCH takes many segments.
func faultSeed(big bool) []mailtest.SeedMessage {
	var seed []mailtest.SeedMessage
	flags := [][]string{nil, {`\Seen`}, {`\Seen`, `\Flagged`}, {`\Answered`, `\Seen`}, {`$Label1`}}
	for i := range 30 {
		id := fmt.Sprintf("small%d@example.test", i)
		seed = append(seed, mailtest.SeedMessage{Mailbox: "INBOX", Flags: flags[i%len(flags)], Raw: faultMessage(id, "small "+id, 1500+i*100)})
	}
	for i := range 5 {
		id := fmt.Sprintf("archived%d@example.test", i)
		seed = append(seed, mailtest.SeedMessage{Mailbox: "Archive", Flags: []string{`\Seen`}, Raw: faultMessage(id, "archived "+id, 3000)})
	}
	for i := range 2 {
		id := fmt.Sprintf("sent%d@example.test", i)
		seed = append(seed, mailtest.SeedMessage{Mailbox: "Sent", Flags: []string{`\Seen`}, Raw: faultMessage(id, "sent "+id, 2000)})
	}
	if big {
		for i := range 4 {
			id := fmt.Sprintf("big%d@example.test", i)
			seed = append(seed, mailtest.SeedMessage{Mailbox: "INBOX", Raw: faultMessage(id, "big "+id, 200<<10)})
		}
	}
	return seed
}

// TestFaultMidFetchBodies breaks the body FETCH of a sync pass in the
// middle of a message's literal, once by each kind of fault: each pass
// fails cleanly, keeps no torn body, and the next pass completes the
// store, every body equal to the server's.
func TestFaultMidFetchBodies(t *testing.T) {
	t.Parallel()
	f := newFaultFixture(t, faultSeed(true))
	ctx := context.Background()
	for _, action := range []mailtest.FaultAction{mailtest.FaultReset, mailtest.FaultDrop, mailtest.FaultTruncate} {
		// Line 1000 of a big message's body: in the middle of its literal.
		tr := f.proxy.Arm(mailtest.Fault{Dir: mailtest.ToClient, Pattern: "example.test, line 1000:", Action: action})
		_, err := New(f.st, f.acct, f.opts).SyncOnce(ctx)
		if !tr.Disarm() {
			t.Fatalf("%v: the fault did not fire (sync: %v)", action, err)
		}
		if err == nil {
			t.Fatalf("%v mid-FETCH: the sync reported no error", action)
		}
		var ce *accounts.ConnectError
		if !errors.As(err, &ce) {
			t.Fatalf("%v mid-FETCH: %v is not a connection error", action, err)
		}
		t.Logf("%v mid-FETCH: %v", action, err)
		f.assertStoreEqualsServer(t, false, "INBOX")
	}
	if _, err := New(f.st, f.acct, f.opts).SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	f.assertStoreEqualsServer(t, true, "INBOX", "Archive", "Sent")
}

// TestFaultMidIdleNewMailArrives resets the idle connection as soon as
// the server confirms IDLE: the engine opens a new one by itself, and a
// message delivered afterwards arrives without anyone kicking it.
func TestFaultMidIdleNewMailArrives(t *testing.T) {
	t.Parallel()
	f := newFaultFixture(t, faultSeed(false))
	f.opts.BodiesPerPass = -1
	reset := f.proxy.Arm(mailtest.Fault{Dir: mailtest.ToClient, Pattern: "+ idling", Action: mailtest.FaultReset})
	e := New(f.st, f.acct, f.opts)
	runEngine(t, e)
	waitFired(t, "the first IDLE", reset)
	back := f.proxy.Arm(mailtest.Fault{Dir: mailtest.ToClient, Pattern: "+ idling", Action: mailtest.FaultMark})
	waitFired(t, "IDLE again after the reset", back)

	f.newMailArrives(t, "after-idle-reset@example.test", "after the reset", "INBOX")
}

// TestFaultDovecotRestartWhileIdle restarts Dovecot while the engine
// waits in IDLE: it reconnects by itself, and a message delivered after
// the restart arrives without any user action.
func TestFaultDovecotRestartWhileIdle(t *testing.T) {
	t.Parallel()
	f := newFaultFixture(t, faultSeed(false))
	f.opts.BodiesPerPass = -1
	idling := f.proxy.Arm(mailtest.Fault{Dir: mailtest.ToClient, Pattern: "+ idling", Action: mailtest.FaultMark})
	e := New(f.st, f.acct, f.opts)
	runEngine(t, e)
	waitFired(t, "IDLE", idling)

	statuses, _ := f.ev.mark()
	again := f.proxy.Arm(mailtest.Fault{Dir: mailtest.ToClient, Pattern: "+ idling", Action: mailtest.FaultMark})
	if err := f.real.RestartDovecot(); err != nil {
		t.Fatal(err)
	}
	f.ev.waitStatus(t, "the engine to notice the restart", statuses, func(s Status) bool { return s.State == StateOffline })
	waitFired(t, "IDLE after the restart", again)

	f.newMailArrives(t, "after-restart@example.test", "after the restart", "INBOX", "Archive")
}

// TestFaultBlackholeWatchdog takes the network away (nothing passes,
// nothing is answered) while the engine is idle, and the user stars a
// message meanwhile: the watchdog ends the silent connection and the
// engine reports itself offline with a timeout instead of hanging. When
// the network comes back it reconnects, replays the star, and the store
// equals the server.
func TestFaultBlackholeWatchdog(t *testing.T) {
	t.Parallel()
	for _, cut := range []bool{false, true} {
		name := "connections survive"
		if cut {
			name = "connections lost"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFaultFixture(t, faultSeed(false))
			f.opts.BodiesPerPass = -1
			f.opts.CommandTimeout = 3 * time.Second
			idling := f.proxy.Arm(mailtest.Fault{Dir: mailtest.ToClient, Pattern: "+ idling", Action: mailtest.FaultMark})
			e := New(f.st, f.acct, f.opts)
			runEngine(t, e)
			waitFired(t, "IDLE", idling)
			ctx := context.Background()

			statuses, _ := f.ev.mark()
			f.proxy.Blackhole()
			inbox, err := f.st.MailboxByName(ctx, f.acct.ID, "INBOX")
			if err != nil {
				t.Fatal(err)
			}
			msgs, err := f.st.Messages(ctx, inbox.ID, 0, 1)
			if err != nil || len(msgs) == 0 {
				t.Fatalf("INBOX: %v, %d messages", err, len(msgs))
			}
			if _, err := f.st.SetFlag(ctx, msgs[0].ID, `\Flagged`, true); err != nil {
				t.Fatal(err)
			}
			e.Kick()
			off := f.ev.waitStatus(t, "the watchdog", statuses, func(s Status) bool { return s.State == StateOffline })
			if !strings.Contains(off.Err, accounts.ErrTimeout.Error()) {
				t.Fatalf("offline for %q, want a timeout", off.Err)
			}
			// Reconnecting through the black hole times out as well.
			f.ev.waitStatus(t, "a reconnection that times out", statuses, func(s Status) bool {
				return s.State == StateOffline && s.Since.After(off.Since)
			})
			if f.pendingActions(t) != 1 {
				t.Fatalf("%d pending actions during the outage, want 1", f.pendingActions(t))
			}

			statuses, _ = f.ev.mark()
			if cut {
				f.proxy.ReleaseCut()
			} else {
				f.proxy.Release()
			}
			f.ev.waitStatus(t, "idle after the outage", statuses, func(s Status) bool { return s.State == StateIdle })
			if n := f.pendingActions(t); n != 0 {
				t.Fatalf("%d pending actions after the outage", n)
			}
			f.assertStoreEqualsServer(t, false, "INBOX")
			m, err := f.st.Message(ctx, msgs[0].ID)
			if err != nil || !strings.Contains(flagKey(m.Flags), `\flagged`) {
				t.Fatalf("the star is lost: %v %v", m.Flags, err)
			}
			// Push works again: new mail arrives by itself.
			f.newMailArrives(t, "after-outage@example.test", "after the outage", "INBOX")
		})
	}
}

// queueSentCopy records outbox message raw as sent, which leaves a
// pending APPEND of it to the Sent folder, and returns its Message-ID.
func queueSentCopy(t *testing.T, st *store.DB, account, id string) {
	t.Helper()
	ctx := context.Background()
	raw := faultMessage(id, "sent "+id, 60<<10)
	it, err := st.QueueOutbox(ctx, store.NewOutbox{Account: account, From: "alice@example.test", Rcpts: []string{"bob@example.test"}, Raw: raw, MessageID: id})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.BeginOutboxData(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateOutbox(ctx, it.ID, store.OutboxUpdate{State: store.OutboxSent, Attempt: true, Delivered: true, AppendSent: true,
		Results: map[string]store.RcptResult{"bob@example.test": {Status: store.RcptSent, Code: 250}}}); err != nil {
		t.Fatal(err)
	}
	apps, err := st.PendingAppends(ctx, account)
	if err != nil || len(apps) != 1 {
		t.Fatalf("pending appends: %v, %v", apps, err)
	}
}

// TestFaultMidAppendSentCopy breaks the APPEND of a sent message's copy
// to Sent: in the middle of the literal (the server stores nothing), and
// after the server stored it but before its OK reached Tern. Either way
// the next pass leaves exactly one copy in Sent and nothing pending.
func TestFaultMidAppendSentCopy(t *testing.T) {
	t.Parallel()
	f := newFaultFixture(t, faultSeed(false))
	f.opts.BodiesPerPass = -1
	ctx := context.Background()
	if _, err := New(f.st, f.acct, f.opts).SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		fault mailtest.Fault
	}{
		{"mid-literal", mailtest.Fault{Dir: mailtest.ToServer, Pattern: "APPEND", After: 20 << 10, Action: mailtest.FaultReset}},
		{"reply lost", mailtest.Fault{Dir: mailtest.ToClient, Pattern: "[APPENDUID", Action: mailtest.FaultDrop}},
	}
	for i, c := range cases {
		id := fmt.Sprintf("sent-%d@example.test", i)
		queueSentCopy(t, f.st, f.acct.ID, id)
		tr := f.proxy.Arm(c.fault)
		_, err := New(f.st, f.acct, f.opts).SyncOnce(ctx)
		if !tr.Disarm() || err == nil {
			t.Fatalf("%s: fired %v, sync error %v", c.name, tr.Disarm(), err)
		}
		if _, err := New(f.st, f.acct, f.opts).SyncOnce(ctx); err != nil {
			t.Fatalf("%s: the pass after: %v", c.name, err)
		}
		if apps, err := f.st.PendingAppends(ctx, f.acct.ID); err != nil || len(apps) != 0 {
			t.Fatalf("%s: pending appends %v, %v", c.name, apps, err)
		}
		if n := f.countByMessageID(t, "Sent", id); n != 1 {
			t.Fatalf("%s: %d copies in Sent, want 1", c.name, n)
		}
	}
	f.assertStoreEqualsServer(t, false, "Sent")
}

// TestFaultMidAppendDraft breaks the upload of a draft to Drafts, in the
// middle of its literal and after the server stored it but before its OK
// reached Tern: the next pass leaves exactly one copy of the draft on the
// server, its latest version.
func TestFaultMidAppendDraft(t *testing.T) {
	t.Parallel()
	f := newFaultFixture(t, faultSeed(false))
	f.opts.BodiesPerPass = -1
	ctx := context.Background()
	if _, err := New(f.st, f.acct, f.opts).SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	d := &store.Draft{Account: f.acct.ID, From: "Alice <alice@example.test>", To: "bob@example.test", Subject: "a long draft"}
	cases := []struct {
		name  string
		fault mailtest.Fault
	}{
		{"mid-literal", mailtest.Fault{Dir: mailtest.ToServer, Pattern: "APPEND", After: 10 << 10, Action: mailtest.FaultReset}},
		{"reply lost", mailtest.Fault{Dir: mailtest.ToClient, Pattern: "[APPENDUID", Action: mailtest.FaultDrop}},
	}
	for i, c := range cases {
		d.Body = fmt.Sprintf("version %d\n%s", i, strings.Repeat("Some words of a draft that goes on.\n", 1000))
		id, err := f.st.SaveDraft(ctx, d, false)
		if err != nil {
			t.Fatal(err)
		}
		if d.ID == 0 {
			d.ID = id
		}
		tr := f.proxy.Arm(c.fault)
		_, err = New(f.st, f.acct, f.opts).SyncOnce(ctx)
		if !tr.Disarm() || err == nil {
			t.Fatalf("%s: fired %v, sync error %v", c.name, tr.Disarm(), err)
		}
		if _, err := New(f.st, f.acct, f.opts).SyncOnce(ctx); err != nil {
			t.Fatalf("%s: the pass after: %v", c.name, err)
		}
		acts, err := f.st.DraftActions(ctx, f.acct.ID)
		if err != nil || len(acts) != 0 {
			t.Fatalf("%s: draft actions left: %+v %v", c.name, acts, err)
		}
		saved, err := f.st.Draft(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		msgID := store.DraftMessageID(saved)
		if n := f.countByMessageID(t, "Drafts", msgID); n != 1 {
			t.Fatalf("%s: %d copies of the draft in Drafts, want 1", c.name, n)
		}
		srv := f.server(t)
		if _, err := srv.Select("Drafts", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
			t.Fatal(err)
		}
		found, err := srv.UIDSearch(&imap.SearchCriteria{Body: []string{fmt.Sprintf("version %d", i)}}, nil).Wait()
		if err != nil || len(found.AllUIDs()) != 1 {
			t.Fatalf("%s: the server's copy is not the latest version: %v %v", c.name, found, err)
		}
	}
	f.assertStoreEqualsServer(t, false, "Drafts")
}

// TestFaultMidMove breaks a queued move to Archive: before the server
// read the whole command, and after it moved the message but before its
// answer reached Tern. The action is neither lost nor applied twice: the
// message ends up in Archive once, and the store equals the server.
func TestFaultMidMove(t *testing.T) {
	t.Parallel()
	f := newFaultFixture(t, faultSeed(false))
	f.opts.BodiesPerPass = -1
	ctx := context.Background()
	if _, err := New(f.st, f.acct, f.opts).SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	inbox, err := f.st.MailboxByName(ctx, f.acct.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	archive, err := f.st.MailboxByName(ctx, f.acct.ID, "Archive")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		fault mailtest.Fault
	}{
		{"command cut", mailtest.Fault{Dir: mailtest.ToServer, Pattern: "UID MOVE", Action: mailtest.FaultReset}},
		{"reply lost", mailtest.Fault{Dir: mailtest.ToClient, Pattern: "[COPYUID", Action: mailtest.FaultDrop}},
	}
	for i, c := range cases {
		msgs, err := f.st.Messages(ctx, inbox.ID, i, 1)
		if err != nil || len(msgs) == 0 {
			t.Fatalf("INBOX: %v", err)
		}
		m := msgs[0]
		if _, err := f.st.Move(ctx, m.ID, archive.ID); err != nil {
			t.Fatal(err)
		}
		tr := f.proxy.Arm(c.fault)
		_, err = New(f.st, f.acct, f.opts).SyncOnce(ctx)
		if !tr.Disarm() || err == nil {
			t.Fatalf("%s: fired %v, sync error %v", c.name, tr.Disarm(), err)
		}
		if f.pendingActions(t) != 1 {
			t.Fatalf("%s: %d pending actions after the fault, want 1", c.name, f.pendingActions(t))
		}
		if _, err := New(f.st, f.acct, f.opts).SyncOnce(ctx); err != nil {
			t.Fatalf("%s: the pass after: %v", c.name, err)
		}
		if n := f.pendingActions(t); n != 0 {
			t.Fatalf("%s: %d pending actions", c.name, n)
		}
		if n := f.countByMessageID(t, "Archive", m.MessageID); n != 1 {
			t.Fatalf("%s: %d copies of %s in Archive, want 1", c.name, n, m.MessageID)
		}
		if n := f.countByMessageID(t, "INBOX", m.MessageID); n != 0 {
			t.Fatalf("%s: %s still in INBOX", c.name, m.MessageID)
		}
	}
	if failed := f.changesOf(ChangeActionFailed); len(failed) != 0 {
		t.Fatalf("actions reported failed: %+v", failed)
	}
	f.assertStoreEqualsServer(t, false, "INBOX", "Archive")
}

// TestFaultBlackholeNoticedUnasked takes the network away while the
// engine is idle and nobody does anything: the next poll's commands go
// unanswered, the watchdog ends them and the engine reports a timeout by
// itself; when the network is back it recovers and new mail arrives.
func TestFaultBlackholeNoticedUnasked(t *testing.T) {
	t.Parallel()
	f := newFaultFixture(t, faultSeed(false))
	f.opts.BodiesPerPass = -1
	f.opts.CommandTimeout = 3 * time.Second
	f.opts.PollInterval = 4 * time.Second // the next poll comes soon
	idling := f.proxy.Arm(mailtest.Fault{Dir: mailtest.ToClient, Pattern: "+ idling", Action: mailtest.FaultMark})
	e := New(f.st, f.acct, f.opts)
	runEngine(t, e)
	waitFired(t, "IDLE", idling)

	statuses, _ := f.ev.mark()
	f.proxy.Blackhole()
	off := f.ev.waitStatus(t, "the watchdog", statuses, func(s Status) bool { return s.State == StateOffline })
	if !strings.Contains(off.Err, accounts.ErrTimeout.Error()) {
		t.Fatalf("offline for %q, want a timeout", off.Err)
	}
	statuses, _ = f.ev.mark()
	f.proxy.Release()
	f.ev.waitStatus(t, "idle after the outage", statuses, func(s Status) bool { return s.State == StateIdle })
	f.newMailArrives(t, "after-quiet-outage@example.test", "after the outage", "INBOX", "Archive")
}

// TestFaultRepeatedCutsBodiesProgress fetches bodies over a link that cuts
// every connection some way into the body FETCH: each pass keeps the
// bodies that arrived whole before the cut, so the passes make progress
// and the store ends up complete, every body equal to the server's.
func TestFaultRepeatedCutsBodiesProgress(t *testing.T) {
	t.Parallel()
	f := newFaultFixture(t, faultSeed(true))
	ctx := context.Background()
	var passes, cuts int
	for passes < 30 {
		passes++
		// The cut comes a little later each pass, as on a link that breaks
		// now and then (TestFaultRepeatedCutsSameOffset has it at the same
		// byte every pass).
		tr := f.proxy.Arm(mailtest.Fault{Dir: mailtest.ToClient, Pattern: "BODY[] {", After: int64(300+20*passes) << 10, Action: mailtest.FaultReset})
		_, err := New(f.st, f.acct, f.opts).SyncOnce(ctx)
		if tr.Disarm() {
			cuts++
		}
		if err == nil {
			break
		}
	}
	if cuts < 2 {
		t.Fatalf("%d cuts in %d passes: the test did not test", cuts, passes)
	}
	t.Logf("%d passes, %d cut", passes, cuts)
	f.assertStoreEqualsServer(t, true, "INBOX", "Archive", "Sent")
}

// TestFaultRepeatedCutsSameOffset cuts every pass's connection at the
// very same byte after its first body literal began, behind a receiver
// that lags (lagRelay): what was in flight at the cut is lost, which over
// one big FETCH was every body. Each pass must still store some bodies
// (the first, small batches arrive whole), so the passes end with the
// store complete, every body equal to the server's.
func TestFaultRepeatedCutsSameOffset(t *testing.T) {
	t.Parallel()
	f := newFaultFixture(t, faultSeed(true))
	f.acct.IMAP.Port = newLagRelay(t, f.proxy.Addr()).port()
	ctx := context.Background()
	var passes, cuts int
	for passes < 30 {
		passes++
		tr := f.proxy.Arm(mailtest.Fault{Dir: mailtest.ToClient, Pattern: "BODY[] {", After: 300 << 10, Action: mailtest.FaultReset})
		rep, err := New(f.st, f.acct, f.opts).SyncOnce(ctx)
		if tr.Disarm() {
			cuts++
		}
		if err == nil {
			break
		}
		if rep == nil || rep.Bodies == 0 {
			t.Fatalf("pass %d stored no body: %v", passes, err)
		}
	}
	if cuts < 2 {
		t.Fatalf("%d cuts in %d passes: the test did not test", cuts, passes)
	}
	t.Logf("%d passes, %d cut", passes, cuts)
	f.assertStoreEqualsServer(t, true, "INBOX", "Archive", "Sent")
}

// TestFaultMidFetchOnDemand cuts the connection that opens a message, in
// the middle of its body. One cut is absorbed: opening tries once more on
// a fresh connection. When that one is cut too, opening fails with a
// connection error instead of hanging or keeping a torn body, and opening
// it again later gets the server's bytes.
func TestFaultMidFetchOnDemand(t *testing.T) {
	t.Parallel()
	f := newFaultFixture(t, faultSeed(true))
	f.opts.BodiesPerPass = -1
	ctx := context.Background()
	if _, err := New(f.st, f.acct, f.opts).SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	inbox, err := f.st.MailboxByName(ctx, f.acct.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := f.st.Messages(ctx, inbox.ID, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]store.Message{}
	for _, m := range msgs {
		byID[m.MessageID] = m
	}
	want := f.serverBodiesOf(t, "INBOX")
	e := New(f.st, f.acct, f.opts)
	cut := func(id string, action mailtest.FaultAction) *mailtest.Trigger {
		return f.proxy.Arm(mailtest.Fault{Dir: mailtest.ToClient, Pattern: id + ", line 1000:", Action: action})
	}

	// One cut: absorbed.
	once, twice := byID["big1@example.test"], byID["big2@example.test"]
	tr := cut(once.MessageID, mailtest.FaultReset)
	raw, err := e.FetchBody(ctx, once.ID)
	if err != nil || !tr.Disarm() {
		t.Fatalf("one cut: %v (fired %v)", err, tr.Disarm())
	}
	if sha256.Sum256(raw) != want[once.UID] {
		t.Fatal("one cut: the body opened is not the server's")
	}

	// Both attempts cut: a clear error, nothing torn kept.
	tr1, tr2 := cut(twice.MessageID, mailtest.FaultReset), cut(twice.MessageID, mailtest.FaultTruncate)
	_, err = e.FetchBody(ctx, twice.ID)
	var ce *accounts.ConnectError
	if err == nil || !errors.As(err, &ce) {
		t.Fatalf("two cuts: %v, want a connection error", err)
	}
	if !tr1.Disarm() || !tr2.Disarm() {
		t.Fatal("two cuts: a fault did not fire")
	}
	if m, _ := f.st.Message(ctx, twice.ID); m.HasBody {
		t.Fatal("two cuts: a torn body was stored")
	}
	raw, err = e.FetchBody(ctx, twice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(raw) != want[twice.UID] {
		t.Fatal("after the cuts: the body opened is not the server's")
	}
	f.assertStoreEqualsServer(t, false, "INBOX")
}

// serverBodiesOf is serverBodies on a fresh connection.
func (f *faultFixture) serverBodiesOf(t *testing.T, mailbox string) map[uint32][32]byte {
	t.Helper()
	f.other = f.server(t)
	return f.serverBodies(t, mailbox)
}

// TestFaultIdleDoneLost loses the DONE that ends IDLE when new mail
// arrives (the server never hears it, so it never answers): the message
// arrives all the same, the watchdog ends that connection, the engine
// opens another one, and the next message arrives by push again.
func TestFaultIdleDoneLost(t *testing.T) {
	t.Parallel()
	f := newFaultFixture(t, faultSeed(false))
	f.opts.BodiesPerPass = -1
	f.opts.CommandTimeout = 3 * time.Second
	idling := f.proxy.Arm(mailtest.Fault{Dir: mailtest.ToClient, Pattern: "+ idling", Action: mailtest.FaultMark})
	e := New(f.st, f.acct, f.opts)
	runEngine(t, e)
	waitFired(t, "IDLE", idling)
	stall := f.proxy.Arm(mailtest.Fault{Dir: mailtest.ToServer, Pattern: "DONE", Action: mailtest.FaultStall})
	defer stall.Release()

	_, changes := f.ev.mark()
	if err := f.deliver(faultMessage("done-lost@example.test", "DONE lost", 2000)); err != nil {
		t.Fatal(err)
	}
	waitFired(t, "the DONE for the new message", stall)
	again := f.proxy.Arm(mailtest.Fault{Dir: mailtest.ToClient, Pattern: "+ idling", Action: mailtest.FaultMark})
	f.ev.waitChange(t, "the new message", changes, ChangeNewMail)
	waitFired(t, "IDLE on a new connection", again)

	f.newMailArrives(t, "after-done-lost@example.test", "after", "INBOX")
}

// TestFaultServerDownWhileIdle cuts the engine's connections and refuses
// new ones for a while, as a server that went down does: the engine keeps
// retrying with backoff, and when the server is back it reconnects by
// itself and new mail arrives.
func TestFaultServerDownWhileIdle(t *testing.T) {
	t.Parallel()
	f := newFaultFixture(t, faultSeed(false))
	f.opts.BodiesPerPass = -1
	idling := f.proxy.Arm(mailtest.Fault{Dir: mailtest.ToClient, Pattern: "+ idling", Action: mailtest.FaultMark})
	e := New(f.st, f.acct, f.opts)
	runEngine(t, e)
	waitFired(t, "IDLE", idling)

	statuses, _ := f.ev.mark()
	f.proxy.SetDown(true)
	if n := f.proxy.CutAll(mailtest.FaultReset); n < 2 {
		t.Fatalf("cut %d connections, want the worker's and the idler's", n)
	}
	f.ev.waitStatus(t, "offline", statuses, func(s Status) bool { return s.State == StateOffline })
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := f.proxy.WaitUntil(ctx, func() bool { return f.proxy.Refused() >= 3 }); err != nil {
		t.Fatalf("%d connections refused: %v", f.proxy.Refused(), err)
	}
	again := f.proxy.Arm(mailtest.Fault{Dir: mailtest.ToClient, Pattern: "+ idling", Action: mailtest.FaultMark})
	f.proxy.SetDown(false)
	waitFired(t, "IDLE after the server came back", again)
	f.newMailArrives(t, "after-down@example.test", "after the server was down", "INBOX", "Archive")
}
