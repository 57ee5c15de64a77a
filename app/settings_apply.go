package app

import (
	"context"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/goroutine"
	"github.com/ternmail/tern/sync/imapsync"
	"github.com/ternmail/tern/sync/outbox"
)

// applySyncSettings puts the poll interval and the offline bodies of the
// settings into an engine's account copy a and options o. Options the
// core was made with (tests, the command line) and an account's own poll
// and body-age settings win over the settings.
func (c *Core) applySyncSettings(a *accounts.Account, o *imapsync.Options) {
	s := c.Settings()
	if o.PollInterval == 0 && a.Sync.PollSeconds == 0 {
		o.PollInterval = s.PollInterval()
	}
	switch s.OfflineBodies {
	case OfflineNone:
		if o.BodiesPerPass == 0 {
			o.BodiesPerPass = -1
		}
	case OfflineRecent:
		if a.Sync.BodiesMaxAgeDays == 0 {
			a.Sync.BodiesMaxAgeDays = s.OfflineDays
		}
	}
}

// applyUndoSetting gives a message queued with the default undo window the
// settings' undo-send delay instead, unless the core was made with an
// outbox delay or clock of its own.
func (c *Core) applyUndoSetting(m *outbox.Message) {
	if m.NoUndo {
		return
	}
	if o := c.opts.Outbox; o != nil && (o.UndoDelay != 0 || o.Now != nil) {
		return
	}
	at := time.Now().Add(time.Duration(c.Settings().UndoSendSeconds) * time.Second)
	m.NoUndo = true
	if m.At.Before(at) {
		m.At = at
	}
}

// settingsApplied restarts the running engines when a setting they read
// at start changed, so that the change applies at once.
func (c *Core) settingsApplied(old, next Settings) {
	if old.PollMinutes == next.PollMinutes && old.OfflineBodies == next.OfflineBodies && old.OfflineDays == next.OfflineDays {
		return
	}
	c.mu.Lock()
	if !c.started {
		c.mu.Unlock()
		return
	}
	type stopped struct {
		run  *engineRun
		acct accounts.Account
	}
	var runs []stopped
	for _, a := range c.cfg.Accounts {
		if run, ok := c.engines[a.ID]; ok && run.running() {
			delete(c.engines, a.ID)
			runs = append(runs, stopped{run, a})
		}
	}
	c.mu.Unlock()
	for _, r := range runs {
		goroutine.Go("settings: restart "+r.acct.ID, c.opts.Logf, func() {
			// Never two engines of one account at once: the new one starts
			// after the old has returned.
			if err := r.run.stop(context.Background()); err != nil {
				c.opts.Logf("settings: %s: %v", r.acct.ID, err)
				<-r.run.done
			}
			c.restartEngine(r.acct)
		})
	}
}
