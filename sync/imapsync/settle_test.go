package imapsync

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// settleWatch is how long a settled engine is watched for silence.
// TERN_SETTLE_WATCH shortens it while working on the engine.
func settleWatch(t *testing.T) time.Duration {
	if s := os.Getenv("TERN_SETTLE_WATCH"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("TERN_SETTLE_WATCH: %v", err)
		}
		return d
	}
	return time.Minute
}

// waitSettled waits until the engine has settled (Engine.settled), and
// returns its stats then.
func waitSettled(t *testing.T, e *Engine) Stats {
	t.Helper()
	waitFor(t, "the engine to settle", e.settled)
	return e.Stats()
}

// TestSyncDovecotSettlesAfterFlagChanges marks a message read in Tern and
// has another client star one, then watches the engine: each change costs
// a bounded number of passes, and afterwards it sends nothing for a minute
// (its idle connection stays in IDLE, the worker waits). The engine used to
// wake itself for ever after the first flag change: the idle connection's
// "UID FETCH n:*" returned the last message, which go-imap reported as news.
// Both Dovecot profiles are watched at the same time. The in-process
// server is left out: go test runs at most GOMAXPROCS parallel subtests (2
// on the project's machines), so a third profile's watch would cost
// another minute, and what the watch is for is what a real server sends
// to an idle client (the in-process server's IDLE is a polling stand-in).
func TestSyncDovecotSettlesAfterFlagChanges(t *testing.T) {
	forEachDovecot(t, func(t *testing.T, p profile) {
		f := newFixture(t, p, mailtest.DemoSeed(time.Now()))
		f.opts.PollInterval = time.Hour
		ctx, cancel := context.WithCancel(context.Background())
		e := New(f.st, f.acct, f.opts)
		done := make(chan struct{})
		go func() { e.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		waitFor(t, "every body", func() bool {
			missing, err := f.st.MissingBodies(ctx, f.acct.ID, time.Time{}, 1)
			return err == nil && len(missing) == 0
		})
		start := waitSettled(t, e)

		inbox, err := f.st.MailboxByRole(ctx, f.acct.ID, store.RoleInbox)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := f.st.Messages(ctx, inbox.ID, 0, 2)
		if err != nil || len(msgs) < 2 {
			t.Fatalf("INBOX holds %d messages (%v)", len(msgs), err)
		}
		read := msgs[0]
		if _, err := f.st.SetFlag(ctx, read.ID, `\Seen`, !read.Seen()); err != nil {
			t.Fatal(err)
		}
		e.Kick()
		waitFor(t, "the local change on the server", func() bool {
			_, flags := f.serverState(t, "INBOX")
			m, err := f.st.Message(ctx, read.ID)
			return err == nil && flags[read.UID] == flagKey(m.Flags)
		})
		local := waitSettled(t, e)

		if _, err := f.other.Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		starred := msgs[1]
		if err := f.other.Store(imap.UIDSetNum(imap.UID(starred.UID)), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged}, Silent: true}, nil).Close(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the other client's star in the store", func() bool {
			m, err := f.st.Message(ctx, starred.ID)
			return err == nil && m.Flagged()
		})
		remote := waitSettled(t, e)

		// One change costs the pass that handles it and, at most, one more
		// that finds nothing (the idle connection sees the worker's STORE).
		// Without CONDSTORE a flag change the idle connection reports
		// carries no MODSEQ, so it cannot tell the worker's own STORE from
		// another client's: one more pass per change.
		perChange := int64(3)
		if !p.condstore() {
			perChange++
		}
		if n := local.Passes - start.Passes; n > perChange {
			t.Errorf("the local change cost %d passes, want at most %d", n, perChange)
		}
		if n := remote.Passes - local.Passes; n > perChange {
			t.Errorf("the other client's change cost %d passes, want at most %d", n, perChange)
		}
		t.Logf("passes: %d for the local change, %d for the other client's", local.Passes-start.Passes, remote.Passes-local.Passes)

		// Settled, the engine must be silent whatever the server: no pass,
		// no byte sent, the idle connection in IDLE. (Sleeping is the
		// point here: the watch is for what must not happen.)
		watch := settleWatch(t)
		time.Sleep(watch)
		end := e.Stats()
		t.Logf("settled for %v: %d passes, %d bytes sent, %d received", watch, end.Passes-remote.Passes, end.BytesSent-remote.BytesSent, end.BytesRecv-remote.BytesRecv)
		if end.Passes != remote.Passes {
			t.Errorf("%d passes while nothing changed", end.Passes-remote.Passes)
		}
		if end.BytesSent != remote.BytesSent {
			t.Errorf("%d bytes sent to the server while nothing changed, want none", end.BytesSent-remote.BytesSent)
		}
		if end.Idling != 1 {
			t.Errorf("%d connections in IDLE at the end, want 1", end.Idling)
		}
	})
}
