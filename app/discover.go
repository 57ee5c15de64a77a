package app

import (
	"context"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig"
)

// autoconfigOptions fills the unset fields of opts from the core: its
// diagnostics and the roots used by sync.
func (c *Core) autoconfigOptions(opts *autoconfig.Options) *autoconfig.Options {
	var o autoconfig.Options
	if opts != nil {
		o = *opts
	}
	if o.Logf == nil {
		o.Logf = c.opts.Logf
	}
	if o.Roots == nil && c.opts.Sync != nil {
		o.Roots = c.opts.Sync.Roots
	}
	return &o
}

// Discover finds the IMAP and SMTP servers for email without logging in
// (see autoconfig.Discover). opts may be nil for the real network. It may
// take up to the discovery budget; call it off the UI goroutine. progress,
// if not nil, is called from the calling goroutine's Discover, one event at
// a time.
//
// An *autoconfig.UnverifiedError means that the servers are known (from the
// provider table or the domain's own configuration) but could not be
// reached: the Result holds them with the reason. They may be saved with
// AddAccount and SkipVerify, on the user's word; the account's engine keeps
// retrying and syncs once they can be reached.
func (c *Core) Discover(ctx context.Context, email string, opts *autoconfig.Options, progress func(autoconfig.Event)) (*autoconfig.Result, error) {
	return autoconfig.Discover(ctx, email, c.autoconfigOptions(opts), progress)
}

// VerifyAccount logs in to acct's IMAP and SMTP servers with password and
// reports what it saw (see autoconfig.Verify); it stores nothing. Pass the
// returned Verification's Account to AddAccount with SkipVerify: it carries
// the user names that worked.
func (c *Core) VerifyAccount(ctx context.Context, acct accounts.Account, password string, opts *autoconfig.Options) (*autoconfig.Verification, error) {
	return autoconfig.Verify(ctx, acct, password, c.autoconfigOptions(opts))
}
