package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/goroutine"
	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/sync/outbox"
)

// OutboxChanged says an outbox message of Account changed state (queued,
// sent, failed, cancelled…). ID is the outbox row.
type OutboxChanged struct {
	Account string
	ID      int64
}

func (OutboxChanged) isEvent() {}

// outboxRun is the core's outbox worker; guarded by Core.mu.
type outboxRun struct {
	worker  *outbox.Worker
	running bool
}

// SendOptions tunes Send and SendRaw. A nil *SendOptions means send now,
// after the undo window.
type SendOptions struct {
	// At sends the message later, at this time.
	At time.Time
	// NoUndo skips the undo window (the command line).
	NoUndo bool
}

// ParseSendTime reads a "send later" time: RFC 3339
// ("2026-05-01T08:30:00+02:00"), "YYYY-MM-DD HH:MM" in local time, or
// "HH:MM", the next such time of day after now (today, or tomorrow when it
// has passed). A time not after now is an error.
func ParseSendTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t, err = time.ParseInLocation("2006-01-02 15:04", s, now.Location())
	}
	if err != nil {
		var hm time.Time
		if hm, err = time.ParseInLocation("15:04", s, now.Location()); err == nil {
			t = time.Date(now.Year(), now.Month(), now.Day(), hm.Hour(), hm.Minute(), 0, 0, now.Location())
			if !t.After(now) {
				t = t.AddDate(0, 0, 1)
			}
		}
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a time: use HH:MM, YYYY-MM-DD HH:MM or RFC 3339 (2006-01-02T15:04:05Z07:00)", s)
	}
	if !t.After(now) {
		return time.Time{}, fmt.Errorf("%s is in the past", t.Format("2006-01-02 15:04"))
	}
	return t, nil
}

// outboxLocked returns the outbox worker, creating it (not running) if
// needed. c.mu must be held.
func (c *Core) outboxLocked() *outbox.Worker {
	if c.outbox.worker != nil {
		return c.outbox.worker
	}
	var o outbox.Options
	if c.opts.Outbox != nil {
		o = *c.opts.Outbox
	}
	o.Account = c.Account
	o.Password = func(ctx context.Context, id string) (string, error) { return c.password(ctx, id, "smtp") }
	c.wireOutboxTokens(&o)
	if o.LockPath == "" {
		o.LockPath = filepath.Join(c.opts.DataDir, "outbox.lock")
	}
	o.OnChange = func(account string, id int64) {
		c.bus.Publish(OutboxChanged{Account: account, ID: id})
		// A sent message may wait for its copy to Sent: wake the engine.
		c.mu.Lock()
		run, ok := c.engines[account]
		c.mu.Unlock()
		if ok {
			run.engine.Kick()
		}
	}
	if o.Logf == nil {
		o.Logf = c.opts.Logf
	}
	c.outbox.worker = outbox.New(c.store, &o)
	return c.outbox.worker
}

// startOutboxLocked starts the outbox worker unless it runs. c.mu must be
// held. The worker stops with the core (Shutdown).
func (c *Core) startOutboxLocked() {
	w := c.outboxLocked()
	if c.outbox.running || c.runCtx.Err() != nil {
		return
	}
	c.outbox.running = true
	c.wg.Add(1)
	goroutine.GoErr("outbox", c.opts.Logf, func() error {
		if err := w.Run(c.runCtx); err != nil {
			c.opts.Logf("outbox: %v", err)
		}
		return nil
	}, func(error) { c.wg.Done() })
}

func (c *Core) outboxWorker(start bool) *outbox.Worker {
	c.mu.Lock()
	defer c.mu.Unlock()
	if start {
		c.startOutboxLocked()
	}
	return c.outboxLocked()
}

// Send builds d and queues it for sending through account, after the undo
// window (or at opts.At). An empty d.From is filled in with the account's
// first identity (or its name and address). It returns the outbox row at
// once; OutboxChanged events follow its progress.
func (c *Core) Send(ctx context.Context, account string, d *message.Draft, opts *SendOptions) (OutboxItem, error) {
	acct, ok := c.Account(account)
	if !ok {
		return OutboxItem{}, fmt.Errorf("no account %q", account)
	}
	dd := *d
	if dd.From.Email == "" {
		dd.From = defaultFrom(acct)
	}
	rcpts := dd.Recipients()
	if len(rcpts) == 0 {
		return OutboxItem{}, errors.New("the message has no recipient")
	}
	if dd.MessageID == "" {
		dd.MessageID = message.NewMessageID(domainOf(dd.From.Email))
	}
	raw, err := message.Build(&dd, time.Now(), "")
	if err != nil {
		return OutboxItem{}, err
	}
	return c.queue(ctx, &outbox.Message{Account: account, From: dd.From.Email, Rcpts: rcpts, Raw: raw,
		Subject: dd.Subject, MessageID: dd.MessageID}, opts)
}

// SendRaw queues an existing message (an .eml file, say) for sending
// through account; see message.Prepare for what it requires and changes.
func (c *Core) SendRaw(ctx context.Context, account string, raw []byte, opts *SendOptions) (OutboxItem, error) {
	if _, ok := c.Account(account); !ok {
		return OutboxItem{}, fmt.Errorf("no account %q", account)
	}
	p, err := message.Prepare(raw, time.Now(), "")
	if err != nil {
		return OutboxItem{}, err
	}
	return c.queue(ctx, &outbox.Message{Account: account, From: p.From, Rcpts: p.Rcpts, Raw: p.Raw,
		Subject: p.Subject, MessageID: p.MessageID}, opts)
}

func (c *Core) queue(ctx context.Context, m *outbox.Message, opts *SendOptions) (OutboxItem, error) {
	if opts != nil {
		m.At, m.NoUndo = opts.At, opts.NoUndo
	}
	c.applyUndoSetting(m)
	w := c.outboxWorker(true)
	return w.Queue(ctx, m)
}

func defaultFrom(acct accounts.Account) message.Address {
	if len(acct.Identities) > 0 {
		id := acct.Identities[0]
		return message.Address{Name: id.Name, Email: id.Email}
	}
	return message.Address{Name: acct.Name, Email: acct.Email}
}

func domainOf(email string) string {
	return email[strings.LastIndexByte(email, '@')+1:]
}

// Outbox returns the outbox of account (all accounts when empty), newest
// first.
func (c *Core) Outbox(ctx context.Context, account string) ([]OutboxItem, error) {
	return c.store.Outbox(ctx, account)
}

// OutboxItem returns outbox message id as it stands now, or an error
// wrapping ErrNotFound when it is no longer in the outbox (cancelled).
func (c *Core) OutboxItem(ctx context.Context, id int64) (OutboxItem, error) {
	return c.store.OutboxItem(ctx, id)
}

// CancelSend takes back a message that has not been handed to the server
// (undo, or giving up on a failed one), and returns its raw bytes.
func (c *Core) CancelSend(ctx context.Context, id int64) (OutboxItem, []byte, error) {
	return c.outboxWorker(false).Cancel(ctx, id)
}

// RetrySend queues a failed, uncertain or partially sent message again,
// now, and makes sure the outbox worker runs.
func (c *Core) RetrySend(ctx context.Context, id int64) (OutboxItem, error) {
	return c.outboxWorker(true).Retry(ctx, id)
}

// WaitSent waits until outbox message id is sent or failed for good (or
// uncertain), and returns it; or returns ctx's error with the message as it
// is then.
func (c *Core) WaitSent(ctx context.Context, id int64) (OutboxItem, error) {
	return c.outboxWorker(false).Wait(ctx, id)
}

// SentCopy says where the copy of a sent message in the Sent folder stands.
type SentCopy string

// Where a sent message's copy in Sent stands.
const (
	SentCopyFiled  SentCopy = "filed"  // Tern filed it in Sent
	SentCopyQueued SentCopy = "queued" // it waits; the next sync files it
	SentCopyServer SentCopy = "server" // the provider files its own copy
	SentCopyNone   SentCopy = "none"   // nothing to file (not sent, or filing failed for good)
)

// FileSentCopy files the copy of outbox message id in the account's Sent
// folder now, rather than at the next sync, and says where it stands; err
// says why a copy stays queued. It is for the command line, which exits
// after sending; the GUI's running engine files copies by itself. It waits
// on the network: never call it on the UI goroutine.
func (c *Core) FileSentCopy(ctx context.Context, account string, id int64) (SentCopy, error) {
	acct, ok := c.Account(account)
	if !ok {
		return SentCopyNone, fmt.Errorf("no account %q", account)
	}
	waiting := func() (bool, error) {
		apps, err := c.store.PendingAppends(ctx, account)
		for _, a := range apps {
			if a.OutboxID == id {
				return true, err
			}
		}
		return false, err
	}
	if w, err := waiting(); err != nil {
		return SentCopyNone, err
	} else if !w {
		if !outbox.DefaultAppendSent(acct) {
			return SentCopyServer, nil
		}
		return SentCopyNone, nil
	}
	before, err := c.store.OutboxItem(ctx, id)
	if err != nil {
		return SentCopyQueued, err
	}
	e, err := c.engine(account)
	if err != nil {
		return SentCopyQueued, err
	}
	if _, err := e.FileSent(ctx); err != nil {
		return SentCopyQueued, err
	}
	if w, err := waiting(); err != nil || w {
		return SentCopyQueued, err
	}
	// A refusal for good is noted as the message's last error.
	if after, err := c.store.OutboxItem(ctx, id); err == nil && after.LastError != before.LastError && after.LastError != "" {
		return SentCopyNone, errors.New(after.LastError)
	}
	return SentCopyFiled, nil
}
