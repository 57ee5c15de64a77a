package app

import (
	"context"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/sync/imapsync"
	"github.com/ternmail/tern/sync/outbox"
)

// wireEngineTokens gives a's engine the account's token source, when a
// signs in with OAuth. It may run with c.mu held.
func (c *Core) wireEngineTokens(o *imapsync.Options, a accounts.Account) {
	if !a.UsesOAuth() {
		return
	}
	src, err := c.oauthSourceFor(a)
	if err != nil {
		o.TokenSource = failingTokens{err}
		return
	}
	o.TokenSource = src
}

// wireOutboxTokens gives the outbox the token sources of the OAuth
// accounts, the same ones their engines use.
func (c *Core) wireOutboxTokens(o *outbox.Options) {
	o.Tokens = func(account string) accounts.TokenSource {
		src, err := c.oauthSource(account)
		switch {
		case err != nil:
			return failingTokens{err}
		case src == nil:
			return nil
		}
		return src
	}
}

// resumeAfterSignIn wakes the engine and the outbox of account after a
// new sign-in.
func (c *Core) resumeAfterSignIn(account string) {
	c.mu.Lock()
	run, ok := c.engines[account]
	w := c.outbox.worker
	c.mu.Unlock()
	if ok {
		run.engine.Kick()
		run.engine.Refresh()
	}
	if w != nil {
		w.Resume(account)
	}
}

// failingTokens is the token source of an OAuth account that cannot sign
// in at all (no client ID configured): it says why.
type failingTokens struct{ err error }

func (f failingTokens) Token(context.Context) (string, error)         { return "", f.err }
func (f failingTokens) Renew(context.Context, string) (string, error) { return "", f.err }
