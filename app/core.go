// Package app is Tern's UI-agnostic core: Core is what the GUI and the
// command line call, Bus carries events from the sync engines to them.
//
// Core never imports a UI toolkit. Its methods either return quickly (store
// reads, enqueueing local actions) or take a context and may wait on the
// network or the keychain; the GUI calls the latter from a goroutine, never
// from its UI goroutine.
package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig"
	"github.com/ternmail/tern/accounts/oauth"
	"github.com/ternmail/tern/internal/goroutine"
	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/store"
	"github.com/ternmail/tern/sync/imapsync"
	"github.com/ternmail/tern/sync/outbox"
)

// Demo is a running embedded demo server and the account that reaches it.
type Demo struct {
	Account  accounts.Account
	Password string
	Close    func() error
}

// Options configures a Core. Home is required; nil or zero fields mean
// defaults.
type Options struct {
	// Home is the directory for accounts.toml and the store.
	Home string
	// ConfigDir and DataDir override Home's layout (XDG config and data).
	ConfigDir, DataDir string
	// Secrets holds passwords; nil means the OS keychain.
	Secrets accounts.Secrets
	// StartDemo starts the embedded demo mailbox; nil means no demo.
	StartDemo func() (*Demo, error)
	// Sync tunes every engine; nil means defaults.
	Sync *imapsync.Options
	// Outbox tunes the outbox worker (see app/send.go); nil means defaults.
	Outbox *outbox.Options
	// Logf receives diagnostics; nil discards them.
	Logf func(format string, args ...any)
	// Autoconfig tunes discovery and verification (see AutoconfigOptions); nil means the real network.
	Autoconfig *autoconfig.Options
	// OAuth tunes OAuth sign-ins and token refreshes (app/oauth.go); nil
	// means defaults.
	OAuth *OAuthOptions
}

// Core is the facade of Tern's backend: accounts, the store, one sync engine
// per account, and the event bus.
//
// Core is safe for concurrent use. Methods that take a context may block on
// the network or the keychain; the others only read or write the local
// store.
type Core struct {
	opts       Options
	configPath string
	store      *store.DB
	bus        *Bus
	secrets    accounts.Secrets
	memSecrets accounts.Secrets

	mu      sync.Mutex
	cfg     *accounts.Config
	engines map[string]*engineRun
	// ephemeral accounts live for this session only: never saved, their
	// local data removed at Shutdown (the demo).
	ephemeral map[string]bool
	outbox    outboxRun // the send queue's worker, stopped by Shutdown via runCtx and wg
	demo      *Demo
	started   bool
	runCtx    context.Context
	stopRuns  context.CancelFunc
	wg        sync.WaitGroup
	// crashBackoff is the first wait before a crashed engine restarts;
	// 0 means crashBackoffMin (tests shorten it).
	crashBackoff time.Duration
	// views are the folders' FolderViews (view.go), read on first use.
	views folderViews
	// settings are the user's preferences (settings.go), read at New.
	settings settingsStore
	// oauth holds the token sources of OAuth accounts (app/oauth.go).
	oauth oauthSources
}

// engineRun is an account's sync engine. A one-shot engine (made by
// engine() for work such as RawMessage before Start) has done == nil: it
// does not run in the background, and startEngineLocked starts it.
type engineRun struct {
	engine *imapsync.Engine // never changes: a restarted engine gets a new engineRun
	cancel context.CancelFunc
	// done is closed when the background goroutine has returned.
	done chan struct{}
	// crashed is the status to report while a crashed engine waits to be
	// restarted (its own status is frozen at the moment of the crash).
	crashed *imapsync.Status
}

// running reports whether run's engine runs in the background.
func (run *engineRun) running() bool { return run.done != nil }

// stop cancels run's engine and waits until its goroutine has returned, at
// most engineStopWait.
func (run *engineRun) stop(ctx context.Context) error {
	run.cancel()
	if run.done == nil {
		return nil
	}
	t := time.NewTimer(engineStopWait)
	defer t.Stop()
	select {
	case <-run.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return errors.New("the account's sync did not stop in time; try again")
	}
}

// New opens the store and the account configuration under opts.Home. It
// starts nothing: call Start for background sync.
func New(opts Options) (*Core, error) {
	if opts.ConfigDir == "" {
		if opts.Home == "" {
			return nil, errors.New("app: no home directory")
		}
		opts.ConfigDir = opts.Home
	}
	if opts.DataDir == "" {
		opts.DataDir = opts.Home
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	for _, d := range []string{opts.ConfigDir, opts.DataDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create %s: %w", d, err)
		}
	}
	c := &Core{
		opts:       opts,
		configPath: filepath.Join(opts.ConfigDir, "accounts.toml"),
		bus:        NewBus(),
		secrets:    opts.Secrets,
		memSecrets: accounts.NewMemorySecrets(),
		engines:    map[string]*engineRun{},
		ephemeral:  map[string]bool{},
	}
	if c.secrets == nil {
		c.secrets = accounts.NewKeyring(nil)
	}
	cfg, err := accounts.Load(c.configPath)
	if err != nil {
		return nil, err
	}
	c.cfg = cfg
	c.loadSettings()
	st, err := store.Open(filepath.Join(opts.DataDir, "tern.db"))
	if err != nil {
		return nil, err
	}
	c.store = st
	c.runCtx, c.stopRuns = context.WithCancel(context.Background())
	return c, nil
}

// Subscribe returns a subscription to the core's events.
func (c *Core) Subscribe() *Subscription { return c.bus.Subscribe(256) }

// Start starts a sync engine for every account. It returns at once.
func (c *Core) Start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return
	}
	c.started = true
	for _, a := range c.cfg.Accounts {
		c.startEngineLocked(a)
	}
	c.startOutboxLocked()
}

// Shutdown stops every engine and the demo server, and closes the store.
func (c *Core) Shutdown() {
	c.stopRuns()
	c.wg.Wait()
	c.mu.Lock()
	demo := c.demo
	c.demo = nil
	c.mu.Unlock()
	// Shutdown has no caller to return errors to: they are logged.
	if demo != nil && demo.Close != nil {
		if err := demo.Close(); err != nil {
			c.opts.Logf("demo: stop the demo mailbox: %v", err)
		}
	}
	c.mu.Lock()
	for id := range c.ephemeral {
		// Left over data of a demo account is deleted again by the next
		// StartDemo.
		if err := c.store.DeleteAccount(context.Background(), id); err != nil {
			c.opts.Logf("account %s: delete this session's local data: %v", id, err)
		}
	}
	c.mu.Unlock()
	if err := c.store.Close(); err != nil {
		c.opts.Logf("store: close: %v", err)
	}
}

// Accounts returns the configured accounts.
func (c *Core) Accounts() []accounts.Account {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]accounts.Account(nil), c.cfg.Accounts...)
}

// Account returns one account by ID.
func (c *Core) Account(id string) (accounts.Account, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg.Find(id)
}

// password returns the stored IMAP password of account id: from this
// session's memory, else from the keychain.
func (c *Core) password(ctx context.Context, id, server string) (string, error) {
	if p, err := c.memSecrets.Get(ctx, id, server); err == nil {
		return p, nil
	}
	return c.secrets.Get(ctx, id, server)
}

// AddOptions tunes AddAccount.
type AddOptions struct {
	// SessionOnly keeps the password in memory for this session instead of
	// the keychain (for when no keychain is available).
	SessionOnly bool
	// SkipVerify stores the account without logging in first: the caller
	// has verified it (VerifyAccount), or the user chose to save it
	// unverified.
	SkipVerify bool
	// Ephemeral keeps the account for this session only: it is not saved
	// to accounts.toml and its local data is removed at Shutdown.
	Ephemeral bool
	// OAuth is the sign-in of an account that signs in with OAuth
	// (SignInNew); its refresh token goes to the keychain (or memory,
	// with SessionOnly).
	OAuth *OAuthGrant
}

// AddAccount fills in acct's ID and defaults and validates it, stores the
// password (keychain, or memory with SessionOnly), saves the account and
// starts its sync (once Start has run). It returns the account as saved.
//
// The window and the command line verify an account before they add it
// (VerifyAccount checks IMAP and SMTP and reports certificates) and pass
// SkipVerify. Without SkipVerify, AddAccount first logs in to the IMAP
// server with password, and stores nothing when that fails. It may wait on
// the network and the keychain.
func (c *Core) AddAccount(ctx context.Context, acct accounts.Account, password string, opts *AddOptions) (accounts.Account, error) {
	if opts == nil {
		opts = &AddOptions{}
	}
	// Fill in the ID and defaults, and validate, before touching the network.
	c.mu.Lock()
	probe := &accounts.Config{Accounts: append([]accounts.Account(nil), c.cfg.Accounts...)}
	c.mu.Unlock()
	acct, err := probe.Add(acct)
	if err != nil {
		return acct, err
	}
	if acct.UsesOAuth() && opts.OAuth == nil {
		return acct, errors.New("the account signs in with OAuth: sign in in the browser first")
	}
	if !opts.SkipVerify && !acct.UsesOAuth() {
		if err := imapsync.Verify(ctx, acct, password, c.syncOptions()); err != nil {
			return acct, err
		}
	}
	c.mu.Lock()
	added, err := c.cfg.Add(acct)
	c.mu.Unlock()
	if err != nil {
		return acct, err
	}
	secrets := c.secrets
	if opts.SessionOnly {
		secrets = c.memSecrets
	}
	// forget removes every secret this call may have stored: on any error
	// after the first Set, nothing of the account is left behind.
	forget := func() {
		dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, server := range []string{"imap", "smtp", oauth.ServerOAuth} {
			if err := secrets.Delete(dctx, added.ID, server); err != nil && !errors.Is(err, accounts.ErrSecretNotFound) {
				c.opts.Logf("account %s: could not delete the %s password after a failed add: %v", added.ID, server, err)
			}
		}
	}
	if password != "" {
		for _, server := range []string{"imap", "smtp"} {
			if err := secrets.Set(ctx, added.ID, server, password); err != nil {
				forget()
				c.mu.Lock()
				// Remove fails only when the account is gone already
				// (removed meanwhile): nothing is left to undo then.
				_, _ = c.cfg.Remove(added.ID)
				c.mu.Unlock()
				return acct, err
			}
		}
	}
	if opts.OAuth != nil {
		if opts.SessionOnly {
			err = c.memSecrets.Set(ctx, added.ID, oauth.ServerOAuth, opts.OAuth.tok.RefreshToken)
		}
		if err == nil {
			err = c.storeGrant(ctx, added.ID, opts.OAuth)
		}
		if err != nil {
			forget()
			c.forgetOAuth(added.ID)
			c.mu.Lock()
			_, _ = c.cfg.Remove(added.ID)
			c.mu.Unlock()
			return acct, err
		}
	}
	c.mu.Lock()
	if opts.Ephemeral {
		c.ephemeral[added.ID] = true
	}
	err = c.saveLocked()
	if err != nil {
		// Added under this same lock: Remove cannot fail.
		_, _ = c.cfg.Remove(added.ID)
		delete(c.ephemeral, added.ID)
	} else if c.started {
		c.startEngineLocked(added)
	}
	c.mu.Unlock()
	if err != nil {
		forget()
		c.forgetOAuth(added.ID)
		return acct, err
	}
	where := "the keychain"
	if opts.SessionOnly {
		where = "memory for this session"
	}
	c.opts.Logf("account %s: added (IMAP %s, SMTP %s); password kept in %s", added.ID, added.IMAP.Addr(), added.SMTP.Addr(), where)
	c.bus.Publish(AccountsChanged{})
	return added, nil
}

// saveLocked writes accounts.toml without the ephemeral accounts.
func (c *Core) saveLocked() error {
	cfg := *c.cfg
	cfg.Accounts = nil
	for _, a := range c.cfg.Accounts {
		if !c.ephemeral[a.ID] {
			cfg.Accounts = append(cfg.Accounts, a)
		}
	}
	return cfg.Save(c.configPath)
}

// RemoveAccount stops the account's sync and removes its configuration,
// its secrets and its local data.
func (c *Core) RemoveAccount(ctx context.Context, id string) error {
	c.mu.Lock()
	run := c.engines[id]
	delete(c.engines, id)
	_, err := c.cfg.Remove(id)
	if err == nil {
		err = c.saveLocked()
		delete(c.ephemeral, id)
	}
	c.mu.Unlock()
	var errs []error
	if run != nil {
		// Wait for the engine, so that it writes nothing after the
		// store's data is deleted. Should it not stop in time, the data is
		// deleted anyway and the error reported.
		if serr := run.stop(ctx); serr != nil {
			errs = append(errs, serr)
		}
	}
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	c.forgetOAuth(id)
	for _, server := range []string{"imap", "smtp", oauth.ServerOAuth} {
		if err := c.memSecrets.Delete(ctx, id, server); err != nil {
			errs = append(errs, err)
		}
		if err := c.secrets.Delete(ctx, id, server); err != nil && !errors.Is(err, accounts.ErrSecretNotFound) {
			errs = append(errs, err)
		}
	}
	errs = append(errs, c.store.DeleteAccount(ctx, id))
	c.bus.Publish(AccountsChanged{})
	return errors.Join(errs...)
}

// StartDemo starts the embedded demo mailbox and adds (or reuses) its
// account, with the password kept in memory only.
func (c *Core) StartDemo(ctx context.Context) (accounts.Account, error) {
	if c.opts.StartDemo == nil {
		return accounts.Account{}, errors.New("this build has no demo mailbox")
	}
	c.mu.Lock()
	if c.demo != nil {
		a, _ := c.cfg.Find(c.demo.Account.ID)
		c.mu.Unlock()
		return a, nil
	}
	c.mu.Unlock()
	d, err := c.opts.StartDemo()
	if err != nil {
		return accounts.Account{}, fmt.Errorf("start the demo mailbox: %w", err)
	}
	c.mu.Lock()
	c.demo = d
	c.mu.Unlock()
	// Data left by a demo session that did not shut down cleanly. A
	// failure is logged, not fatal: the demo then starts over that data.
	if err := c.store.DeleteAccount(ctx, d.Account.ID); err != nil {
		c.opts.Logf("account %s: delete a previous demo session's data: %v", d.Account.ID, err)
	}
	return c.AddAccount(ctx, d.Account, d.Password, &AddOptions{SessionOnly: true, SkipVerify: true, Ephemeral: true})
}

func (c *Core) syncOptions() *imapsync.Options {
	var o imapsync.Options
	if c.opts.Sync != nil {
		o = *c.opts.Sync
	}
	if o.Logf == nil {
		o.Logf = c.opts.Logf
	}
	return &o
}

func (c *Core) newEngine(a accounts.Account) *imapsync.Engine {
	o := c.syncOptions()
	c.applySyncSettings(&a, o)
	id := a.ID
	o.Password = func(ctx context.Context) (string, error) { return c.password(ctx, id, "imap") }
	o.OnChange = func(ch imapsync.Change) { c.publishChange(id, ch) }
	c.wireEngineTokens(o, a)
	o.OnStatus = func(st imapsync.Status) {
		if c.NeedsSignIn(id) {
			st = signInStatus()
		}
		c.bus.Publish(StatusChanged{Account: id, Status: st})
		if st.State == imapsync.StateIdle { // after a pass
			c.afterSync(id)
		}
	}
	return imapsync.New(c.store, a, o)
}

// Restart backoff of an engine that crashed (a panic in its Run).
const (
	crashBackoffMin = 2 * time.Second
	crashBackoffMax = 5 * time.Minute
)

// startEngineLocked starts a's sync in the background, unless it runs
// already. A one-shot engine made by engine() is started, not replaced.
func (c *Core) startEngineLocked(a accounts.Account) {
	run, ok := c.engines[a.ID]
	if ok && run.running() {
		return
	}
	var e *imapsync.Engine
	if ok {
		e = run.engine
	} else {
		e = c.newEngine(a)
	}
	ctx, cancel := context.WithCancel(c.runCtx)
	run = &engineRun{engine: e, cancel: cancel, done: make(chan struct{})}
	c.engines[a.ID] = run
	c.wg.Add(1)
	goroutine.GoErr("sync "+a.ID+": supervisor", c.opts.Logf, func() error {
		c.superviseEngine(ctx, a.ID, run)
		return nil
	}, func(error) {
		close(run.done)
		c.wg.Done()
	})
}

// superviseEngine runs run's engine until ctx ends. An engine that panics
// is reported with an error status and replaced by a fresh one after a
// backoff (growing while it keeps crashing).
func (c *Core) superviseEngine(ctx context.Context, id string, run *engineRun) {
	backoff := c.crashBackoff
	if backoff <= 0 {
		backoff = crashBackoffMin
	}
	e := run.engine
	for {
		perr := runRecovered(ctx, e)
		if perr == nil || ctx.Err() != nil {
			return
		}
		c.opts.Logf("sync %s: %v", id, perr)
		st := imapsync.Status{State: StateError, Since: time.Now(), Retry: time.Now().Add(backoff),
			Err: fmt.Sprintf("the sync stopped unexpectedly (%v); restarting", perr)}
		c.mu.Lock()
		run.crashed = &st
		c.mu.Unlock()
		c.bus.Publish(StatusChanged{Account: id, Status: st})
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(backoff*2, crashBackoffMax)
		c.mu.Lock()
		a, ok := c.cfg.Find(id)
		if !ok || c.engines[id] != run {
			c.mu.Unlock()
			return
		}
		// A new engineRun (same goroutine, cancel and done): callers that
		// read run.engine after unlocking never race with the restart.
		e = c.newEngine(a)
		run = &engineRun{engine: e, cancel: run.cancel, done: run.done}
		c.engines[id] = run
		c.mu.Unlock()
	}
}

// runRecovered runs e until ctx ends and returns the panic that stopped it
// early, if any.
func runRecovered(ctx context.Context, e *imapsync.Engine) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v\n%s", r, debug.Stack())
		}
	}()
	e.Run(ctx)
	return nil
}

func (c *Core) publishChange(account string, ch imapsync.Change) {
	switch ch.Kind {
	case imapsync.ChangeMailboxes:
		c.bus.Publish(MailboxesChanged{Account: account})
	case imapsync.ChangeMessages:
		c.bus.Publish(MessagesChanged{Account: account, MailboxID: ch.MailboxID})
	case imapsync.ChangeNewMail:
		c.bus.Publish(NewMail{Account: account, MailboxID: ch.MailboxID, Count: ch.Count})
	case imapsync.ChangeBody:
		c.bus.Publish(BodyFetched{Account: account, MessageID: ch.MessageID})
	case imapsync.ChangeActionFailed:
		c.bus.Publish(ActionFailed{Account: account, Message: ch.Message, Err: ch.Err})
		c.bus.Publish(MessagesChanged{Account: account, MailboxID: ch.Message.MailboxID})
	}
}

// engine returns the engine of account: the running one, or a one-shot
// engine (not running in the background) for work such as RawMessage
// before Start. Start (or restartEngine) starts that same engine later.
func (c *Core) engine(account string) (*imapsync.Engine, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if run, ok := c.engines[account]; ok {
		return run.engine, nil
	}
	a, ok := c.cfg.Find(account)
	if !ok {
		return nil, fmt.Errorf("no account %q", account)
	}
	e := c.newEngine(a)
	c.engines[account] = &engineRun{engine: e, cancel: func() {}}
	return e, nil
}

// Status returns the sync state of account.
func (c *Core) Status(account string) Status {
	c.mu.Lock()
	run, ok := c.engines[account]
	var e *imapsync.Engine
	var crashed *imapsync.Status
	if ok {
		e, crashed = run.engine, run.crashed
	}
	c.mu.Unlock()
	if c.NeedsSignIn(account) {
		return signInStatus()
	}
	if !ok {
		return Status{State: StateStopped}
	}
	if crashed != nil {
		return *crashed
	}
	return e.Status()
}

// SyncNow asks the account's engine to sync at once (all accounts when
// account is empty). It returns immediately.
func (c *Core) SyncNow(account string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, run := range c.engines {
		if account == "" || id == account {
			run.engine.Refresh()
		}
	}
}

// SyncOnce runs one full sync pass of account and returns what it did. It
// is for the command line; the GUI relies on Start.
func (c *Core) SyncOnce(ctx context.Context, account string) (*SyncReport, error) {
	e, err := c.engine(account)
	if err != nil {
		return nil, err
	}
	return e.SyncOnce(ctx)
}

// Mailboxes returns the folders of account, special folders first.
func (c *Core) Mailboxes(ctx context.Context, account string) ([]Mailbox, error) {
	return c.store.Mailboxes(ctx, account)
}

// Mailbox returns the mailbox with local ID id, or an error wrapping
// ErrNotFound.
func (c *Core) Mailbox(ctx context.Context, id int64) (Mailbox, error) {
	return c.store.Mailbox(ctx, id)
}

// MailboxByRole returns the mailbox of account with role, or an error
// wrapping ErrNotFound when the account has none (or its folders were never
// listed).
func (c *Core) MailboxByRole(ctx context.Context, account string, role Role) (Mailbox, error) {
	return c.store.MailboxByRole(ctx, account, role)
}

// FindMailbox returns the mailbox of account named name: its server name,
// a role's word such as "inbox" or "sent" (the string of a Role), or the
// name people see (Mailbox.Path, "Reisen/Zürich" for
// "INBOX.Reisen.Zürich"), in that order.
func (c *Core) FindMailbox(ctx context.Context, account, name string) (Mailbox, error) {
	b, err := c.store.MailboxByName(ctx, account, name)
	if errors.Is(err, ErrNotFound) {
		b, err = c.store.MailboxByRole(ctx, account, Role(name))
	}
	if errors.Is(err, ErrNotFound) {
		// The name people see: without the namespace prefix, "/" between
		// levels ("Reisen/Zürich" for "INBOX.Reisen.Zürich").
		boxes, lerr := c.store.Mailboxes(ctx, account)
		if lerr != nil {
			return b, lerr
		}
		var fold []Mailbox
		for _, mb := range boxes {
			if mb.Path() == name {
				return mb, nil
			}
			if strings.EqualFold(mb.Path(), name) {
				fold = append(fold, mb)
			}
		}
		if len(fold) == 1 {
			return fold[0], nil
		}
		return b, fmt.Errorf("no folder %q in account %s", name, account)
	}
	return b, err
}

// Messages returns a page of a mailbox, newest first.
func (c *Core) Messages(ctx context.Context, mailboxID int64, offset, limit int) ([]Message, error) {
	return c.store.Messages(ctx, mailboxID, offset, limit)
}

// CountMessages returns the number of messages in a mailbox.
func (c *Core) CountMessages(ctx context.Context, mailboxID int64) (int, error) {
	return c.store.CountMessages(ctx, mailboxID)
}

// Message returns one message's headers and state.
func (c *Core) Message(ctx context.Context, id int64) (Message, error) {
	return c.store.Message(ctx, id)
}

// MessageByUID returns the message of mailbox mb with the server's UID uid
// (in mb's current UIDVALIDITY), or an error wrapping ErrNotFound.
func (c *Core) MessageByUID(ctx context.Context, mb Mailbox, uid uint32) (Message, error) {
	return c.store.MessageByUID(ctx, mb.ID, mb.UIDValidity, uid)
}

// OpenMessage returns the parsed body of message id: from the store, or
// fetched from the server ahead of background work. It may wait on the
// network.
func (c *Core) OpenMessage(ctx context.Context, id int64) (*message.Message, error) {
	raw, err := c.RawMessage(ctx, id)
	if err != nil {
		return nil, err
	}
	return message.Parse(raw, nil)
}

// RawMessage returns the raw RFC 5322 bytes of message id, fetching them
// if they are not stored yet.
func (c *Core) RawMessage(ctx context.Context, id int64) ([]byte, error) {
	raw, err := c.store.Body(ctx, id)
	if err == nil {
		return raw, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	m, err := c.store.Message(ctx, id)
	if err != nil {
		return nil, err
	}
	e, err := c.engine(m.Account)
	if err != nil {
		return nil, err
	}
	return e.FetchBody(ctx, id)
}

// SetSeen marks message id read or unread, locally at once and on the
// server in the background.
func (c *Core) SetSeen(ctx context.Context, id int64, seen bool) error {
	return c.setFlag(ctx, id, FlagSeen, seen)
}

// SetFlagged stars or unstars message id.
func (c *Core) SetFlagged(ctx context.Context, id int64, flagged bool) error {
	return c.setFlag(ctx, id, FlagFlagged, flagged)
}

func (c *Core) setFlag(ctx context.Context, id int64, flag string, on bool) error {
	return c.localAction(ctx, func() (Message, error) { return c.store.SetFlag(ctx, id, flag, on) })
}
