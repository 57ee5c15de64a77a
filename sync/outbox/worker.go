package outbox

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/goroutine"
	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/store"
)

// Defaults for zero Options fields.
const (
	DefaultUndoDelay      = 5 * time.Second
	DefaultCommandTimeout = time.Minute
	DefaultDataTimeout    = 5 * time.Minute
	DefaultRetryBase      = 30 * time.Second
	DefaultRetryMax       = 30 * time.Minute
	DefaultMaxAttempts    = 8
	DefaultPoll           = 20 * time.Second
	DefaultPruneAfter     = 30 * 24 * time.Hour
)

// UncertainReason is the LastError of a message found "sending" when a
// Worker starts.
const UncertainReason = "Tern stopped while handing this message to the server, so it may or may not have been sent. Check the recipients' replies or your Sent folder, then retry or cancel it."

// Options configures a Worker. A nil *Options, or a zero field, means the
// default; Account and Password are needed to send.
type Options struct {
	// Account returns the current configuration of an account.
	Account func(id string) (accounts.Account, bool)
	// Password returns the SMTP password of an account (the app passes
	// its keychain getter).
	Password func(ctx context.Context, account string) (string, error)
	// Tokens, when set, returns the OAuth 2.0 token source of an account
	// that signs in with OAuth, or nil for one that uses Password. SMTP
	// then authenticates with XOAUTH2 (else OAUTHBEARER); a refused token
	// is renewed once and tried again. An accounts.ErrSignInAgain from
	// the source holds the account: its messages stay queued, with no
	// attempt counted, until Resume (after the user signed in again) or
	// RetryMax passes; Held reports it.
	Tokens func(account string) accounts.TokenSource
	// Roots, when set, replaces the system roots for certificate
	// verification: a private certificate authority's, say. nil means the
	// system roots.
	Roots *x509.CertPool
	// Dial opens network connections; nil means a net.Dialer. It must
	// honour ctx.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// LocalName is the name sent with EHLO; default "localhost".
	LocalName string

	// UndoDelay is how long a queued message waits before it is sent, so
	// that it can be taken back; default DefaultUndoDelay. Negative
	// means no delay.
	UndoDelay time.Duration
	// CommandTimeout bounds each SMTP command and each write.
	CommandTimeout time.Duration
	// DataTimeout bounds the wait for the reply to the message's final ".".
	DataTimeout time.Duration
	// RetryBase and RetryMax shape the backoff after a temporary failure:
	// RetryBase doubled after each attempt, at most RetryMax.
	RetryBase, RetryMax time.Duration
	// MaxAttempts is how many temporary failures make a message fail.
	MaxAttempts int
	// Poll is how often the outbox is checked for messages that another
	// process queued, and for the lock when another process holds it.
	Poll time.Duration
	// PruneAfter is how long sent messages stay listed; default 30 days.
	PruneAfter time.Duration

	// LockPath is a lock file that keeps other processes from sending from
	// the same store at the same time; "" means no lock.
	LockPath string
	// AppendSent says whether sent messages of an account are copied to
	// its Sent folder; nil means DefaultAppendSent.
	AppendSent func(acct accounts.Account) bool
	// OnChange is called, from the worker's goroutines, whenever an outbox
	// message changes state. It must not block.
	OnChange func(account string, id int64)
	// Logf receives diagnostics; nil discards them.
	Logf func(format string, args ...any)
	// Now returns the current time, by which messages fall due; nil means
	// time.Now. Tests pass a clock they move, so that whether a message
	// is due does not depend on how fast the machine is.
	Now func() time.Time
}

func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Account == nil {
		r.Account = func(string) (accounts.Account, bool) { return accounts.Account{}, false }
	}
	if r.Password == nil {
		r.Password = func(context.Context, string) (string, error) { return "", accounts.ErrSecretNotFound }
	}
	if r.Dial == nil {
		d := &net.Dialer{KeepAlive: 30 * time.Second}
		r.Dial = d.DialContext
	}
	if r.LocalName == "" {
		r.LocalName = "localhost"
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.UndoDelay == 0 {
		r.UndoDelay = DefaultUndoDelay
	} else if r.UndoDelay < 0 {
		r.UndoDelay = 0
	}
	if r.CommandTimeout <= 0 {
		r.CommandTimeout = DefaultCommandTimeout
	}
	if r.DataTimeout <= 0 {
		r.DataTimeout = DefaultDataTimeout
	}
	if r.RetryBase <= 0 {
		r.RetryBase = DefaultRetryBase
	}
	if r.RetryMax <= 0 {
		r.RetryMax = DefaultRetryMax
	}
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = DefaultMaxAttempts
	}
	if r.Poll <= 0 {
		r.Poll = DefaultPoll
	}
	if r.PruneAfter <= 0 {
		r.PruneAfter = DefaultPruneAfter
	}
	if r.AppendSent == nil {
		r.AppendSent = DefaultAppendSent
	}
	if r.OnChange == nil {
		r.OnChange = func(string, int64) {}
	}
	if r.Logf == nil {
		r.Logf = func(string, ...any) {}
	}
	return r
}

// DefaultAppendSent reports whether Tern should copy a message sent through
// acct to its Sent folder: not for Gmail, which files sent mail itself.
func DefaultAppendSent(acct accounts.Account) bool {
	for _, h := range []string{acct.SMTP.Host, acct.IMAP.Host} {
		h = strings.TrimSuffix(strings.ToLower(h), ".")
		if h == "smtp.gmail.com" || h == "imap.gmail.com" || h == "smtp.googlemail.com" || h == "imap.googlemail.com" {
			return false
		}
	}
	return true
}

// Message is a message to queue.
type Message struct {
	Account   string
	From      string   // MAIL FROM
	Rcpts     []string // RCPT TO
	Raw       []byte   // CRLF line endings only; a Bcc field is kept for Sent, never sent
	Subject   string   // for display
	MessageID string   // for display, without angle brackets
	// At is when to send ("send later"); zero means now.
	At time.Time
	// NoUndo sends without the undo window.
	NoUndo bool
}

// Worker sends queued messages. It is safe for concurrent use; Run runs
// its loop, and Queue, Cancel, Retry and Wait work whether it runs or not
// (in this process or in another one sharing the store).
type Worker struct {
	db   *store.DB
	opts Options
	wake chan struct{}

	mu   sync.Mutex
	busy map[string]bool // accounts with a sending goroutine
	// sizes are the SIZE limits the accounts' servers advertised at the
	// last connection, in this process (not persisted: the next
	// connection tells again).
	sizes map[string]int64
	// held are the accounts waiting for the user to sign in again, with
	// the error that said so and when to look again by themselves.
	held map[string]heldAccount
}

type heldAccount struct {
	err   error
	until time.Time
}

// New returns a Worker over db. It starts nothing: call Run.
func New(db *store.DB, opts *Options) *Worker {
	return &Worker{db: db, opts: opts.withDefaults(), wake: make(chan struct{}, 1), busy: map[string]bool{}, sizes: map[string]int64{},
		held: map[string]heldAccount{}}
}

// SizeLimit returns the largest message account's SMTP server accepts, as
// its SIZE extension said when Tern last connected in this process, or 0
// when that is not known (no connection yet, or no limit advertised).
func (w *Worker) SizeLimit(account string) int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sizes[account]
}

func (w *Worker) setSizeLimit(account string, n int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sizes[account] = max(n, 0)
}

// LearnSizeLimit returns account's SIZE limit (0: none advertised). When
// no connection in this process has told it yet, it connects to the SMTP
// server (as for sending: TLS, EHLO and AUTH) to learn it, and
// disconnects: it may wait on the network.
func (w *Worker) LearnSizeLimit(ctx context.Context, account string) (int64, error) {
	w.mu.Lock()
	n, known := w.sizes[account]
	w.mu.Unlock()
	if known {
		return n, nil
	}
	acct, ok := w.opts.Account(account)
	if !ok {
		return 0, fmt.Errorf("no account %q", account)
	}
	cl, err := w.connect(ctx, acct)
	if err != nil {
		return 0, err
	}
	cl.quit()
	return w.SizeLimit(account), nil
}

// Wake makes the worker look for due messages now.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func checkLine(what, s string) error {
	if s == "" || strings.ContainsAny(s, "\r\n\x00 <>") {
		return fmt.Errorf("outbox: invalid %s %q", what, s)
	}
	return nil
}

// checkCRLF reports a bare CR or LF in raw.
func checkCRLF(raw []byte) error {
	for i, c := range raw {
		switch c {
		case '\r':
			if i+1 >= len(raw) || raw[i+1] != '\n' {
				return fmt.Errorf("outbox: bare CR at offset %d; line breaks must be CRLF", i)
			}
		case '\n':
			if i == 0 || raw[i-1] != '\r' {
				return fmt.Errorf("outbox: bare LF at offset %d; line breaks must be CRLF", i)
			}
		}
	}
	return nil
}

// Queue stores m in the outbox, due after the undo window (or at m.At),
// and wakes the worker. The message is durable when Queue returns.
func (w *Worker) Queue(ctx context.Context, m *Message) (store.OutboxItem, error) {
	if err := checkLine("sender", m.From); err != nil {
		return store.OutboxItem{}, err
	}
	if len(m.Rcpts) == 0 {
		return store.OutboxItem{}, errors.New("outbox: no recipient")
	}
	for _, r := range m.Rcpts {
		if err := checkLine("recipient", r); err != nil {
			return store.OutboxItem{}, err
		}
	}
	if len(m.Raw) == 0 {
		return store.OutboxItem{}, errors.New("outbox: empty message")
	}
	if err := checkCRLF(m.Raw); err != nil {
		return store.OutboxItem{}, err
	}
	at := w.opts.Now()
	if !m.NoUndo {
		at = at.Add(w.opts.UndoDelay)
	}
	if m.At.After(at) {
		at = m.At
	}
	it, err := w.db.QueueOutbox(ctx, store.NewOutbox{Account: m.Account, From: m.From, Rcpts: m.Rcpts, Subject: m.Subject,
		MessageID: m.MessageID, Raw: m.Raw, NotBefore: at})
	if err != nil {
		return it, err
	}
	w.opts.OnChange(it.Account, it.ID)
	w.Wake()
	return it, nil
}

// Cancel takes a message back (undo, or giving up on a failed one) and
// returns it with its raw bytes. It fails with a *store.OutboxStateError
// once the message is being sent or was sent to anyone.
func (w *Worker) Cancel(ctx context.Context, id int64) (store.OutboxItem, []byte, error) {
	it, raw, err := w.db.CancelOutbox(ctx, id)
	if err == nil {
		w.opts.OnChange(it.Account, id)
	}
	return it, raw, err
}

// Retry queues a failed, uncertain or partial message again, now.
func (w *Worker) Retry(ctx context.Context, id int64) (store.OutboxItem, error) {
	it, err := w.db.RetryOutbox(ctx, id, w.opts.Now())
	if err == nil {
		w.opts.OnChange(it.Account, id)
		w.Wake()
	}
	return it, err
}

// Wait returns message id once it is final (sent, partial, failed or
// uncertain), or ctx's error with the message as it is then.
func (w *Worker) Wait(ctx context.Context, id int64) (store.OutboxItem, error) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		it, err := w.db.OutboxItem(context.WithoutCancel(ctx), id)
		if err != nil || it.Final() {
			return it, err
		}
		select {
		case <-ctx.Done():
			return it, ctx.Err()
		case <-t.C:
		}
	}
}

// Run sends due messages until ctx is done. With Options.LockPath it first
// waits for the lock. It then marks messages left "sending" by a stopped
// process "uncertain", and prunes old sent messages.
func (w *Worker) Run(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("outbox: panic: %v", r)
			w.opts.Logf("outbox: panic: %v\n%s", r, debug.Stack())
		}
	}()
	if w.opts.LockPath != "" {
		for {
			unlock, ok, err := tryLock(w.opts.LockPath)
			if err != nil {
				return fmt.Errorf("outbox: lock %s: %w", w.opts.LockPath, err)
			}
			if ok {
				defer unlock()
				break
			}
			w.opts.Logf("outbox: another Tern process is sending; waiting")
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(min(w.opts.Poll, 2*time.Second)):
			}
		}
	}
	recovered, err := w.db.RecoverOutbox(ctx, UncertainReason)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	for _, it := range recovered {
		w.opts.Logf("outbox: message %d was being sent when Tern stopped: marked uncertain", it.ID)
		w.opts.OnChange(it.Account, it.ID)
	}
	if _, err := w.db.PruneOutbox(ctx, w.opts.Now().Add(-w.opts.PruneAfter)); err != nil {
		w.opts.Logf("outbox: prune: %v", err)
	}

	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		due, err := w.db.DueOutbox(ctx, w.opts.Now())
		if err != nil && ctx.Err() == nil {
			w.opts.Logf("outbox: %v", err)
		}
		for _, it := range due {
			w.mu.Lock()
			if w.busy[it.Account] || w.heldLocked(it.Account) {
				w.mu.Unlock()
				continue
			}
			w.busy[it.Account] = true
			w.mu.Unlock()
			wg.Add(1)
			account := it.Account
			goroutine.GoErr("outbox: "+account, w.opts.Logf, func() error {
				w.runAccount(ctx, account)
				return nil
			}, func(error) { // after a panic too, once it is logged
				w.mu.Lock()
				delete(w.busy, account)
				w.mu.Unlock()
				w.Wake()
				wg.Done()
			})
		}
		// Sleep until the next message is due, ignoring the accounts
		// whose goroutine is busy: it wakes the loop when it is done.
		sleep := w.opts.Poll
		if next, err := w.db.NextOutboxAttempts(ctx); err == nil {
			w.mu.Lock()
			for account, t := range next {
				if h, ok := w.held[account]; ok && w.heldLocked(account) {
					t = h.until
				}
				if !w.busy[account] {
					sleep = min(sleep, max(t.Sub(w.opts.Now()), 0)+5*time.Millisecond)
				}
			}
			w.mu.Unlock()
		}
		timer := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-w.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// runAccount sends the due messages of one account over one connection,
// until none is left.
func (w *Worker) runAccount(ctx context.Context, account string) {
	var cl *client
	defer func() {
		if cl != nil {
			cl.quit()
		}
	}()
	for ctx.Err() == nil {
		due, err := w.db.DueOutbox(ctx, w.opts.Now())
		if err != nil {
			return
		}
		var it *store.OutboxItem
		for i := range due {
			if due[i].Account == account {
				it = &due[i]
				break
			}
		}
		if it == nil {
			return
		}
		acct, ok := w.opts.Account(account)
		if !ok {
			w.finish(ctx, *it, nil, &ConfigError{Err: fmt.Errorf("no account %q", account)}, false)
			continue
		}
		if cl == nil {
			cl, err = w.connect(ctx, acct)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				w.opts.Logf("outbox: %s: %v", account, err)
				if errors.Is(err, accounts.ErrSignInAgain) {
					w.hold(account, err, due)
					return
				}
				// The failure applies to every due message of the account.
				for _, d := range due {
					if d.Account == account {
						w.finish(ctx, d, nil, err, false)
					}
				}
				return
			}
		}
		w.release(account)
		keep := w.sendOne(ctx, cl, acct, *it)
		if !keep {
			cl.close()
			cl = nil
		}
	}
}

// hold keeps account's messages from being tried until Resume or
// RetryMax: its token source said the user must sign in again. The due
// messages stay queued, not counted as attempted, with err as their last
// error.
func (w *Worker) hold(account string, err error, due []store.OutboxItem) {
	w.mu.Lock()
	w.held[account] = heldAccount{err: err, until: w.opts.Now().Add(w.opts.RetryMax)}
	w.mu.Unlock()
	for _, d := range due {
		if d.Account == account {
			w.update(d, store.OutboxUpdate{State: store.OutboxQueued, NextAttempt: d.NextAttempt, LastError: err.Error()})
		}
	}
}

// heldLocked reports whether account is held now; w.mu is held.
func (w *Worker) heldLocked(account string) bool {
	h, ok := w.held[account]
	return ok && w.opts.Now().Before(h.until)
}

func (w *Worker) release(account string) {
	w.mu.Lock()
	delete(w.held, account)
	w.mu.Unlock()
}

// Held returns the error that holds account's messages (one that wraps
// accounts.ErrSignInAgain), or nil if the account is not held.
func (w *Worker) Held(account string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.heldLocked(account) {
		return nil
	}
	return w.held[account].err
}

// Resume releases an account held for sign-in (see Options.Tokens): its
// queued messages are tried now.
func (w *Worker) Resume(account string) {
	w.release(account)
	w.Wake()
}

// sendOne sends one message on cl and records the outcome. It returns
// whether cl is still usable.
func (w *Worker) sendOne(ctx context.Context, cl *client, acct accounts.Account, it store.OutboxItem) bool {
	raw, err := w.db.OutboxRaw(ctx, it.ID)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, store.ErrNotFound) {
			return true // shutting down, or cancelled meanwhile
		}
		// Back off: left as it is, the row would be picked again at once.
		w.finish(ctx, it, nil, fmt.Errorf("cannot read the message from the local store: %w", err), false)
		return true
	}
	// The stored message keeps its Bcc field for the copy filed in Sent;
	// the recipients get it without.
	raw = message.StripBcc(raw)
	// Queue checked the line ends; a row written by other means is
	// checked again, since a lone CR or LF next to a dot could end the
	// DATA early for some servers (SMTP smuggling).
	if err := checkCRLF(raw); err != nil {
		w.finish(ctx, it, nil, &ConfigError{Err: err}, false)
		return true
	}
	rcpts := it.Remaining()
	results := map[string]store.RcptResult{}
	mailOpts := &smtp.MailOptions{Size: int64(len(raw))}
	if !isASCII(it.From) || !allASCII(rcpts) {
		// Without SMTPUTF8 go-smtp refuses with a plain error, which
		// would look like a network failure and be retried in vain.
		if ok, _ := cl.c.Extension("SMTPUTF8"); !ok {
			var bad []string
			for _, a := range append([]string{it.From}, rcpts...) {
				if !isASCII(a) {
					bad = append(bad, a)
				}
			}
			w.finish(ctx, it, nil, &ConfigError{Err: fmt.Errorf("the server %s does not accept addresses with non-ASCII characters (it does not offer SMTPUTF8): %s",
				cl.addr, strings.Join(bad, ", "))}, false)
			return true
		}
		mailOpts.UTF8 = true
	}
	if err := cl.c.Mail(it.From, mailOpts); err != nil {
		return w.commandFailed(ctx, cl, it, results, "MAIL FROM <"+it.From+">", err)
	}
	var accepted []string
	var lastRefusal error
	for _, r := range rcpts {
		err := cl.c.Rcpt(r, nil)
		var se *smtp.SMTPError
		switch {
		case err == nil:
			accepted = append(accepted, r)
		case errors.As(err, &se):
			st := store.RcptRejected
			if se.Code/100 == 4 {
				st = store.RcptDeferred
			}
			results[r] = store.RcptResult{Status: st, Code: se.Code, Message: reply(se)}
			lastRefusal = &ServerError{Op: "RCPT TO <" + r + ">", Err: se}
		default:
			return w.commandFailed(ctx, cl, it, nil, "RCPT TO <"+r+">", err)
		}
	}
	if len(accepted) == 0 {
		w.reset(cl)
		w.finish(ctx, it, results, lastRefusal, false)
		return true
	}
	if err := w.db.BeginOutboxData(ctx, it.ID); err != nil {
		// Not sent. Cancelled or changed meanwhile: nothing more to do.
		w.reset(cl)
		var se *store.OutboxStateError
		if !errors.As(err, &se) && !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
			// The store failed: back off rather than pick the message
			// again at once.
			w.finish(ctx, it, results, fmt.Errorf("cannot record the message as being sent: %w", err), false)
		}
		return true
	}
	w.opts.OnChange(it.Account, it.ID)
	wc, err := cl.c.Data()
	if err != nil {
		return w.commandFailed(ctx, cl, it, results, "DATA", err)
	}
	if _, err := wc.Write(raw); err != nil {
		w.finish(ctx, it, results, &accounts.ConnectError{Protocol: "SMTP", Addr: cl.addr, Err: err}, false)
		return false
	}
	_, err = wc.CloseWithResponse()
	var se *smtp.SMTPError
	switch {
	case err == nil:
		for _, r := range accepted {
			results[r] = store.RcptResult{Status: store.RcptSent, Code: 250}
		}
		w.finish(ctx, it, results, lastRefusal, w.opts.AppendSent(acct))
		return true
	case errors.As(err, &se):
		for _, r := range accepted {
			delete(results, r)
		}
		w.finish(ctx, it, results, &ServerError{Op: "end of DATA", Err: se}, false)
		return true
	case cl.conn.writeErr.Load() && ctx.Err() == nil:
		// The final "." never reached the server.
		w.finish(ctx, it, results, &accounts.ConnectError{Protocol: "SMTP", Addr: cl.addr, Err: err}, false)
		return false
	}
	// The message was handed over but the answer was lost: it may have
	// been accepted.
	reason := (&accounts.ConnectError{Protocol: "SMTP", Addr: cl.addr, Err: err}).Error() + " after the message was handed over, so it may or may not have been sent. Check your Sent folder or the recipients, then retry or cancel it."
	if ctx.Err() != nil {
		reason = UncertainReason
	}
	w.update(it, store.OutboxUpdate{State: store.OutboxUncertain, LastError: reason, Results: results, Attempt: true})
	return false
}

// commandFailed records the failure of a command before the message was
// handed over, and says whether the connection is still usable.
func (w *Worker) commandFailed(ctx context.Context, cl *client, it store.OutboxItem, results map[string]store.RcptResult, op string, err error) bool {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		w.reset(cl)
		w.finish(ctx, it, results, &ServerError{Op: op, Err: se}, false)
		return true
	}
	if ctx.Err() != nil {
		// Shutting down: put a message marked sending back in the queue
		// (nothing was handed over).
		w.update(it, store.OutboxUpdate{State: store.OutboxQueued, NextAttempt: w.opts.Now(), LastError: it.LastError})
		return false
	}
	w.finish(ctx, it, results, &accounts.ConnectError{Protocol: "SMTP", Addr: cl.addr, Err: err}, false)
	return false
}

func (w *Worker) reset(cl *client) {
	cl.c.Reset()
}

// finish records the outcome of an attempt whose message was not handed
// over (cause != nil) or was accepted (cause may name refused recipients).
func (w *Worker) finish(ctx context.Context, it store.OutboxItem, results map[string]store.RcptResult, cause error, appendSent bool) {
	delivered := false
	merged := map[string]store.RcptResult{}
	for k, v := range it.Results {
		merged[k] = v
	}
	for k, v := range results {
		merged[k] = v
		if v.Status == store.RcptSent {
			delivered = true
		}
	}
	if ctx.Err() != nil && cause != nil && !delivered {
		// Shutting down, not the server's fault: try again next time.
		w.update(it, store.OutboxUpdate{State: store.OutboxQueued, NextAttempt: w.opts.Now(), LastError: it.LastError, Results: results})
		return
	}
	if cause != nil && !delivered && accounts.IsKeychainUnavailable(cause) {
		// The keychain (locked, or not answering) kept the message from
		// being offered to the server at all: not an attempt, so a
		// keychain locked for hours never turns queued mail into failed.
		w.update(it, store.OutboxUpdate{State: store.OutboxQueued, NextAttempt: w.opts.Now().Add(w.backoff(it.Attempts + 1)),
			LastError: cause.Error(), Results: results})
		return
	}
	// Recipients without a final result after this attempt.
	var deferred, rejected, sent int
	for _, r := range it.Rcpts {
		switch merged[r].Status {
		case store.RcptSent:
			sent++
		case store.RcptRejected:
			rejected++
		default:
			deferred++
		}
	}
	u := store.OutboxUpdate{Results: results, Attempt: true, Delivered: delivered, AppendSent: appendSent}
	if cause != nil {
		u.LastError = cause.Error()
	}
	tempCause := cause != nil && temporary(cause)
	switch {
	case deferred > 0 && (tempCause || cause == nil || delivered):
		// Some recipients are still to be served: retry, unless this
		// was the last attempt.
		if it.Attempts+1 >= w.opts.MaxAttempts {
			u.LastError = fmt.Sprintf("gave up after %d attempts: %s", it.Attempts+1, u.LastError)
			u.Results = giveUp(it, merged, results, u.LastError)
			u.State = finalState(sent, rejected+deferred)
		} else {
			u.State = store.OutboxQueued
			u.NextAttempt = w.opts.Now().Add(w.backoff(it.Attempts + 1))
			if delivered && u.LastError == "" {
				u.LastError = "some recipients will be retried"
			}
		}
	case deferred > 0:
		// A permanent failure of the whole message.
		u.Results = giveUp(it, merged, results, u.LastError)
		u.State = finalState(sent, rejected+deferred)
	default:
		u.State = finalState(sent, rejected)
		if u.State == store.OutboxSent {
			u.LastError = ""
		}
	}
	w.update(it, u)
}

// giveUp marks every recipient without a final result rejected.
func giveUp(it store.OutboxItem, merged, results map[string]store.RcptResult, reason string) map[string]store.RcptResult {
	out := map[string]store.RcptResult{}
	for k, v := range results {
		out[k] = v
	}
	for _, r := range it.Rcpts {
		switch merged[r].Status {
		case store.RcptSent, store.RcptRejected:
		default:
			res := merged[r]
			res.Status = store.RcptRejected
			if res.Message == "" {
				res.Message = reason
			}
			out[r] = res
		}
	}
	return out
}

func finalState(sent, refused int) string {
	switch {
	case refused == 0:
		return store.OutboxSent
	case sent > 0:
		return store.OutboxPartial
	}
	return store.OutboxFailed
}

func (w *Worker) backoff(attempt int) time.Duration {
	d := w.opts.RetryBase
	for i := 1; i < attempt && d < w.opts.RetryMax; i++ {
		d *= 2
	}
	return min(d, w.opts.RetryMax)
}

func (w *Worker) update(it store.OutboxItem, u store.OutboxUpdate) {
	// Recording the outcome must not be cut short by shutdown.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := w.db.UpdateOutbox(ctx, it.ID, u); err != nil {
		w.opts.Logf("outbox: recording message %d: %v", it.ID, err)
		return
	}
	if u.State != store.OutboxQueued || u.LastError != "" {
		w.opts.Logf("outbox: message %d: %s %s", it.ID, u.State, u.LastError)
	}
	w.opts.OnChange(it.Account, it.ID)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func allASCII(ss []string) bool {
	for _, s := range ss {
		if !isASCII(s) {
			return false
		}
	}
	return true
}
