// Package imapsync keeps Tern's store in step with an account's IMAP
// server: one Engine per account connects, syncs folders, headers, flags and
// bodies, waits for new mail with IDLE, and replays local actions.
//
// Everything is keyed by (account, mailbox, UIDVALIDITY, UID). go-imap v2
// has no per-command timeout, so every command runs under a watchdog that
// closes the connection when the server falls silent for too long; the run
// loop then reconnects with backoff. IDLE is restarted by the engine on its
// own timer (Options.IdleRestart), and an IDLE that ends by itself is
// noticed, so push never stops without a word.
//
// Between passes the worker connection keeps INBOX selected. A pass first
// sends NOOP, so that the server's status of the selected mailbox is not a
// stale view of it (Dovecot answers it from the session's view), and then
// reuses that selection when the status agrees with what the session has
// been told, instead of a SELECT, which costs a large mailbox's server a
// scan.
//
// When a server renumbers a folder (a new UIDVALIDITY), its cached
// messages are dropped and fetched again, but local actions waiting for
// replay are kept: each finds its message again by Message-ID.
package imapsync

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/goroutine"
	"github.com/ternmail/tern/store"
)

// Options tunes an Engine. The zero value, or nil, means defaults.
type Options struct {
	// Password returns the account's IMAP password. Required for Run,
	// SyncOnce and FetchBody.
	Password func(ctx context.Context) (string, error)
	// TokenSource, when set, signs in with OAuth 2.0 instead of Password:
	// SASL OAUTHBEARER if the server offers it, else XOAUTH2. A token the
	// server refuses is renewed once (TokenSource.Renew) and tried again.
	// An accounts.ErrSignInAgain from it puts the engine in StateError,
	// with Status.Cause saying so, until it is kicked (after the user
	// signed in again) or the retry time comes; nothing is lost meanwhile.
	// nil means password sign-in.
	TokenSource accounts.TokenSource
	// Roots, when set, replaces the system roots for certificate
	// verification: a private certificate authority's, say. nil means the
	// system roots.
	Roots *x509.CertPool
	// PollInterval is how often folders other than INBOX are synced while
	// idle, and INBOX too on servers without IDLE. Default: the account's
	// poll setting, else 2 minutes.
	PollInterval time.Duration
	// CommandTimeout is how long a command may wait for the server's next
	// bytes; a server silent for longer is disconnected (a big FETCH that
	// keeps flowing is not). Default 60 seconds.
	CommandTimeout time.Duration
	// BatchSize is how many messages one header FETCH asks for. Default 500.
	BatchSize int
	// BodiesPerPass is how many bodies are fetched in the background
	// between two sync passes; 0 means 200, negative means none.
	BodiesPerPass int
	// Connections is how many connections Run keeps: with 2 (the default)
	// one stays in IDLE on INBOX while the other syncs; with 1 the one
	// connection alternates. Opening a message uses one more, on demand.
	// 0 means the account's sync.connections, else 2.
	Connections int
	// IdleRestart is how long one IDLE command runs before the engine ends
	// and restarts it (servers may drop a client idle for 30 minutes, and
	// a server that ends IDLE without a word is noticed then). Default 25
	// minutes.
	IdleRestart time.Duration
	// MaxBackoff caps the wait between reconnection attempts. Default 5 min.
	MaxBackoff time.Duration
	// OnChange is called after the engine wrote something to the store. It
	// must not block.
	OnChange func(Change)
	// OnStatus is called when the engine's status changes. It must not
	// block.
	OnStatus func(Status)
	// Logf receives diagnostics.
	Logf func(format string, args ...any)
}

func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.PollInterval <= 0 {
		r.PollInterval = 2 * time.Minute
	}
	if r.CommandTimeout <= 0 {
		r.CommandTimeout = 60 * time.Second
	}
	if r.BatchSize <= 0 {
		r.BatchSize = 500
	}
	if r.BodiesPerPass == 0 {
		r.BodiesPerPass = 200
	}
	if r.Connections <= 0 {
		r.Connections = 2
	}
	if r.IdleRestart <= 0 {
		r.IdleRestart = 25 * time.Minute
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = 5 * time.Minute
	}
	if r.OnChange == nil {
		r.OnChange = func(Change) {}
	}
	if r.OnStatus == nil {
		r.OnStatus = func(Status) {}
	}
	if r.Logf == nil {
		r.Logf = func(string, ...any) {}
	}
	if r.Password == nil {
		r.Password = func(context.Context) (string, error) { return "", errors.New("no password configured") }
	}
	return r
}

// Engine syncs one account.
//
// Run is meant to run in one goroutine for the engine's life; SyncOnce is
// its one-shot counterpart and must not run at the same time as Run.
// FetchBody, Kick and Status are safe to call from any goroutine at any time.
type Engine struct {
	st   *store.DB
	acct accounts.Account
	opts Options
	kick chan struct{}
	full atomic.Bool // the next pass syncs every folder

	mu     sync.Mutex
	status Status

	// passMu serialises sync passes (Run's and SyncOnce's).
	passMu sync.Mutex
	// touched names the mailboxes that this pass's replay moved or copied
	// into; guarded by passMu.
	touched map[string]bool

	// fetchMu guards the on-demand connection used by FetchBody, so that
	// opening a message never waits behind a background sync.
	fetchMu   sync.Mutex
	fetchConn *conn

	meter meter
	// idleNews points at the channel by which the idle connection wakes
	// the worker, for settled.
	idleNews atomic.Pointer[chan struct{}]
}

// New returns an engine for acct over st. It does nothing until Run,
// SyncOnce or FetchBody is called.
func New(st *store.DB, acct accounts.Account, opts *Options) *Engine {
	o := opts.withDefaults()
	if (opts == nil || opts.PollInterval == 0) && acct.Sync.PollSeconds > 0 {
		o.PollInterval = acct.Sync.PollInterval()
	}
	if (opts == nil || opts.Connections == 0) && acct.Sync.Connections > 0 {
		o.Connections = acct.Sync.Connections
	}
	return &Engine{
		st:     st,
		acct:   acct,
		opts:   o,
		kick:   make(chan struct{}, 1),
		status: Status{State: StateStopped, Since: time.Now()},
	}
}

// Status returns the engine's current status.
func (e *Engine) Status() Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.status
}

func (e *Engine) setStatus(s Status) {
	e.mu.Lock()
	if s.State != e.status.State {
		s.Since = time.Now()
	} else {
		s.Since = e.status.Since
	}
	e.status = s
	e.mu.Unlock()
	e.opts.OnStatus(s)
}

// Stats returns what the engine has done on the network so far.
func (e *Engine) Stats() Stats { return e.meter.stats() }

// noteSkipped records the folders a listing left out because their names
// do not decode (see Stats.SkippedFolders), and logs them.
func (e *Engine) noteSkipped(names []string) {
	slices.Sort(names)
	names = slices.Compact(names)
	for _, n := range names {
		e.opts.Logf("sync %s: folder %q skipped: its name does not decode", e.acct.ID, n)
	}
	e.meter.mu.Lock()
	e.meter.skipped = names
	e.meter.mu.Unlock()
}

// settled reports whether a running engine has finished reacting: its
// worker waits with no wake queued and its idle connection is in IDLE (or,
// with one connection, the worker is in IDLE), and neither moved while
// this looked. Only news
// from the server (or a kick) can set it going again. Tests and
// benchmarks wait for it.
func (e *Engine) settled() bool {
	m := &e.meter
	wakes, idles := m.wakes.Load(), m.idleStarts.Load()
	ok := m.idling.Load() == 1 && len(e.kick) == 0
	if ch := e.idleNews.Load(); ch != nil {
		ok = ok && m.waiting.Load() == 1 && len(*ch) == 0
	} // else one connection, and the worker itself is in IDLE
	return ok && m.idling.Load() == 1 && m.wakes.Load() == wakes && m.idleStarts.Load() == idles
}

// Kick asks a running engine to replay pending actions and sync INBOX now.
func (e *Engine) Kick() { signal(e.kick) }

// Refresh asks a running engine to sync every folder now.
func (e *Engine) Refresh() {
	e.full.Store(true)
	signal(e.kick)
}

// Run syncs until ctx is cancelled: connect, sync every folder, then wait
// for new mail (IDLE on INBOX) or the poll interval, and again; on errors it
// reconnects with capped exponential backoff and jitter. Errors that need
// the user (wrong password, untrusted certificate) put the engine in
// StateError until it is kicked or the poll interval passes.
func (e *Engine) Run(ctx context.Context) {
	defer e.closeFetchConn()
	backoff := time.Second
	for ctx.Err() == nil {
		err := e.runSession(ctx)
		if ctx.Err() != nil {
			break
		}
		var wait time.Duration
		if Permanent(err) {
			wait = e.opts.PollInterval * 5
			e.setStatus(Status{State: StateError, Err: err.Error(), Cause: err, Retry: time.Now().Add(wait)})
		} else {
			wait = backoff/2 + rand.N(backoff/2+1)
			backoff = min(backoff*2, e.opts.MaxBackoff)
			e.setStatus(Status{State: StateOffline, Err: err.Error(), Cause: err, Retry: time.Now().Add(wait)})
		}
		e.opts.Logf("sync %s: %v (retrying in %v)", e.acct.ID, err, wait.Round(time.Second))
		if e.sleep(ctx, wait) {
			backoff = time.Second // the user asked: try at once, and afresh
		}
	}
	e.setStatus(Status{State: StateStopped})
}

// sleep waits for d, a kick or ctx, and reports whether it was kicked.
func (e *Engine) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-e.kick:
		return true
	}
	return false
}

// runSession connects and syncs until an error or ctx's end.
func (e *Engine) runSession(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
			e.opts.Logf("sync %s: panic: %v\n%s", e.acct.ID, r, debug.Stack())
		}
	}()
	e.setStatus(Status{State: StateConnecting})
	cn, err := e.connect(ctx)
	if err != nil {
		return err
	}
	defer cn.close()
	sctx, stopIdler := context.WithCancel(ctx)
	defer stopIdler()
	var inboxChanged chan struct{} // signalled by the idler; nil without one
	lastFull := time.Time{}
	for {
		full := e.full.Swap(false) || time.Since(lastFull) >= e.opts.PollInterval
		rep, err := e.pass(ctx, cn, full)
		if err != nil {
			return err
		}
		if full {
			lastFull = time.Now()
		}
		if inboxChanged == nil && e.opts.Connections >= 2 && (cn.has(imap.CapIdle) || cn.has(imap.CapIMAP4rev2)) {
			inboxChanged = make(chan struct{}, 1)
			e.idleNews.Store(&inboxChanged)
			goroutine.Go("sync "+e.acct.ID+": idler", e.opts.Logf, func() { e.idleLoop(sctx, inboxChanged) })
		}
		more := false
		if e.opts.BodiesPerPass > 0 {
			n, err := e.fetchBodies(ctx, cn, e.opts.BodiesPerPass)
			if err != nil {
				return err
			}
			more = n == e.opts.BodiesPerPass
			rep.Bodies += n
		}
		e.setStatus(Status{State: StateIdle})
		if more {
			continue // more bodies to fetch: a cheap pass first, for new mail
		}
		wait := e.opts.PollInterval - time.Since(lastFull)
		if inboxChanged != nil {
			if wait > 0 {
				if _, err := e.park(ctx, cn); err != nil {
					return err
				}
			}
			err = e.waitSignal(ctx, cn, inboxChanged, wait)
		} else {
			err = e.wait(ctx, cn, wait)
		}
		if err != nil {
			return err
		}
	}
}

// waitSignal waits, with the idler watching INBOX on its own connection,
// for new mail, a kick, ctx's end or d.
func (e *Engine) waitSignal(ctx context.Context, cn *conn, inboxChanged chan struct{}, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	e.meter.waiting.Store(1)
	defer func() {
		e.meter.waiting.Store(0)
		e.meter.wakes.Add(1)
	}()
	select {
	case <-inboxChanged:
	case <-e.kick:
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	case <-cn.c.Closed():
		return cn.failed(net.ErrClosed)
	}
	return nil
}

// idleLoop keeps a second connection in IDLE on INBOX and signals notify
// when the server reports new or expunged messages, reconnecting with
// backoff, until ctx ends. Its failures never stop the worker, which still
// polls.
func (e *Engine) idleLoop(ctx context.Context, notify chan struct{}) {
	backoff := time.Second
	for ctx.Err() == nil {
		started := time.Now()
		err := e.idleOnce(ctx, notify)
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) > time.Minute {
			backoff = time.Second
		}
		e.opts.Logf("sync %s: idle connection: %v (again in %v)", e.acct.ID, err, backoff)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		backoff = min(backoff*2, e.opts.MaxBackoff)
	}
}

func (e *Engine) idleOnce(ctx context.Context, notify chan struct{}) error {
	cn, err := e.connect(ctx)
	if err != nil {
		return err
	}
	defer cn.close()
	name := "INBOX"
	if inbox, err := e.st.MailboxByRole(ctx, e.acct.ID, store.RoleInbox); err == nil {
		name = inbox.Name
	}
	// With CONDSTORE each flag change reported carries its MODSEQ, which
	// tells a change the worker has synced already (its own STORE, which
	// the server may report here a while later) from news.
	sel, err := cn.selectMailbox(name, cn.has(imap.CapCondStore))
	if err != nil {
		return err
	}
	signal(notify) // whatever arrived while this connection was down
	next := uint32(0)
	for {
		// NOOP first, as in wait: news held back until a command.
		if err := cn.noop(); err != nil {
			return err
		}
		known := func(news uint64) bool { return e.known(ctx, name, sel.UIDValidity, news) }
		changed := false
		select {
		case <-cn.changed:
			changed = !known(cn.takeNews())
		default:
			var err error
			if changed, err = cn.idle(ctx, e.opts.IdleRestart, nil, known); err != nil {
				return err
			}
			if ctx.Err() != nil {
				return nil
			}
		}
		if changed {
			next, err = e.idleFetchNew(ctx, cn, name, sel.UIDValidity, next)
			signal(notify)
			if err != nil {
				return err
			}
		}
	}
}

// known reports whether news on the idle connection (see conn.news) is
// nothing, or only flag changes that the store already holds: their highest MODSEQ is
// at most the mailbox's HIGHESTMODSEQ as last synced. Waking the worker
// for them would be the engine waking itself.
func (e *Engine) known(ctx context.Context, name string, uidValidity uint32, news uint64) bool {
	switch news {
	case 0:
		// Every report stores its news before it signals, so a signal
		// without news is one whose news an earlier wake took.
		return true
	case newsAny:
		return false
	}
	mb, err := e.st.MailboxByName(ctx, e.acct.ID, name)
	return err == nil && mb.UIDValidity == uidValidity && news <= mb.ModSeq
}

func (e *Engine) connect(ctx context.Context) (*conn, error) {
	if e.opts.TokenSource != nil {
		return dialOAuth(ctx, e.acct, e.opts.TokenSource, e.opts.Roots, e.opts.CommandTimeout, &e.meter, e.opts.Logf)
	}
	pctx, cancel := context.WithTimeout(ctx, e.opts.CommandTimeout)
	password, err := e.opts.Password(pctx)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("password for %s: %w", e.acct.Email, err)
	}
	return dial(ctx, e.acct, credential{secret: password}, e.opts.Roots, e.opts.CommandTimeout, &e.meter, e.opts.Logf)
}

// SyncOnce connects, runs one full sync pass (folders, headers, flags,
// pending actions, and every missing body unless BodiesPerPass < 0), and
// disconnects.
func (e *Engine) SyncOnce(ctx context.Context) (*Report, error) {
	start := time.Now()
	e.setStatus(Status{State: StateConnecting})
	cn, err := e.connect(ctx)
	if err != nil {
		e.setStatus(Status{State: StateError, Err: err.Error(), Cause: err})
		return nil, err
	}
	defer cn.close()
	rep, err := e.pass(ctx, cn, true)
	if err == nil && e.opts.BodiesPerPass > 0 {
		for {
			var n int
			n, err = e.fetchBodies(ctx, cn, e.opts.BodiesPerPass)
			rep.Bodies += n
			if err != nil || n < e.opts.BodiesPerPass {
				break
			}
		}
	}
	if err != nil {
		e.setStatus(Status{State: StateError, Err: err.Error(), Cause: err})
		return rep, err
	}
	rep.Duration = time.Since(start)
	rep.Millis = rep.Duration.Milliseconds()
	e.setStatus(Status{State: StateIdle})
	return rep, nil
}
