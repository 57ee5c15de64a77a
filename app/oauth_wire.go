package app

import (
	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/sync/imapsync"
	"github.com/ternmail/tern/sync/outbox"
)

// wireEngineTokens gives a's engine the account's token source, when a
// signs in with OAuth.
func (c *Core) wireEngineTokens(o *imapsync.Options, a accounts.Account) {
	if !a.UsesOAuth() {
		return
	}
	// Connected once the engine takes a TokenSource (sync/imapsync).
	_ = o
}

// wireOutboxTokens gives the outbox the token sources of the OAuth
// accounts.
func (c *Core) wireOutboxTokens(o *outbox.Options) {
	// Connected once the outbox takes a per-account TokenSource
	// (sync/outbox).
	_ = o
}
