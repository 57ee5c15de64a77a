package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/accounts/autoconfig"
	"github.com/ternmail/tern/internal/goroutine"
)

// AutoconfigOptions returns the discovery options the core was built with
// (Options.Autoconfig): nil for the real network. Front ends pass them to
// Discover, VerifyAccount and ReverifyAccount.
func (c *Core) AutoconfigOptions() *autoconfig.Options { return c.opts.Autoconfig }

// PasswordUnavailableError means that an account's stored password could
// not be read: there is none (Err wraps accounts.ErrSecretNotFound) or the
// keychain is unavailable (accounts.IsKeychainUnavailable(Err)). Nothing
// was checked with it.
type PasswordUnavailableError struct {
	Account string
	Err     error
}

func (e *PasswordUnavailableError) Error() string {
	if errors.Is(e.Err, accounts.ErrSecretNotFound) {
		return "no password is stored for " + e.Account
	}
	return "cannot read the stored password of " + e.Account + ": " + e.Err.Error()
}

func (e *PasswordUnavailableError) Unwrap() error { return e.Err }

// ReverifyAccount is VerifyAccount for an edited account that is already
// configured: an empty password means the stored one, and when that cannot
// be read the error is a *PasswordUnavailableError (and the Verification
// nil: nothing was checked). It stores nothing.
func (c *Core) ReverifyAccount(ctx context.Context, acct accounts.Account, password string, opts *autoconfig.Options) (*autoconfig.Verification, error) {
	if password == "" {
		p, err := c.password(ctx, acct.ID, "imap")
		if err != nil {
			return nil, &PasswordUnavailableError{Account: acct.Email, Err: err}
		}
		password = p
	}
	return c.VerifyAccount(ctx, acct, password, opts)
}

// MissingPassword is a configured account whose password cannot be read.
type MissingPassword struct {
	Account accounts.Account
	// Err is a *PasswordUnavailableError: none stored, or no keychain.
	Err error
}

// MissingPasswords returns the configured accounts whose IMAP password is
// neither in this session's memory nor readable from the keychain. It may
// wait on the keychain (each call bounded by the keychain's timeout): call
// it off the UI goroutine.
func (c *Core) MissingPasswords(ctx context.Context) []MissingPassword {
	var out []MissingPassword
	for _, a := range c.Accounts() {
		if _, err := c.password(ctx, a.ID, accounts.ServerIMAP); err != nil {
			out = append(out, MissingPassword{Account: a, Err: &PasswordUnavailableError{Account: a.Email, Err: err}})
		}
	}
	return out
}

// UpdateOptions tunes UpdateAccount.
type UpdateOptions struct {
	// SessionOnly keeps the new password in memory for this session
	// instead of the keychain (for when no keychain is available).
	SessionOnly bool
}

// engineStopWait bounds the wait for an engine to stop in UpdateAccount.
const engineStopWait = 15 * time.Second

// UpdateAccount replaces the settings of the configured account acct.ID
// with acct, as given: verify them first (ReverifyAccount). A non-empty
// password replaces the stored one, where it is kept (the keychain, or
// this session's memory; with opts.SessionOnly, this session's memory and
// not the keychain); an empty one keeps it. It stops the account's
// sync, updates the secrets, saves accounts.toml and starts the sync again
// with the new settings. On error the old settings stay in force.
//
// The local copy of the mail is kept, also when the server changes; the
// engine reconciles it by UIDVALIDITY.
func (c *Core) UpdateAccount(ctx context.Context, acct accounts.Account, password string, opts *UpdateOptions) error {
	if opts == nil {
		opts = &UpdateOptions{}
	}
	if _, err := c.validateUpdate(acct); err != nil {
		return err
	}
	c.mu.Lock()
	old, ok := c.cfg.Find(acct.ID)
	run := c.engines[acct.ID]
	delete(c.engines, acct.ID)
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("no account %q", acct.ID)
	}
	// Stop the engine and wait for it, so that two engines of one account
	// never write to the store at once.
	if run != nil {
		if err := run.stop(ctx); err != nil {
			// Start the old settings again once the engine has stopped,
			// never two engines at once.
			goroutine.Go("account "+acct.ID+": restart", c.opts.Logf, func() {
				if run.done != nil {
					<-run.done
				}
				c.restartEngine(old)
			})
			return err
		}
	}

	var secrets accounts.Secrets
	var oldPasswords map[string]string
	if password != "" {
		secrets = c.secrets
		if _, err := c.memSecrets.Get(ctx, acct.ID, "imap"); err == nil || opts.SessionOnly {
			secrets = c.memSecrets
		}
		oldPasswords = map[string]string{}
		for _, server := range []string{"imap", "smtp"} {
			if p, err := secrets.Get(ctx, acct.ID, server); err == nil {
				oldPasswords[server] = p
			}
		}
		for _, server := range []string{"imap", "smtp"} {
			if err := secrets.Set(ctx, acct.ID, server, password); err != nil {
				c.restoreSecrets(secrets, acct.ID, oldPasswords)
				c.restartEngine(old)
				return err
			}
		}
	}

	c.mu.Lock()
	updated, err := c.validateUpdateLocked(acct)
	if err == nil {
		prev := c.cfg.Accounts
		list := slices.Clone(prev)
		for i := range list {
			if list[i].ID == acct.ID {
				list[i] = updated
			}
		}
		c.cfg.Accounts = list
		if err = c.saveLocked(); err != nil {
			c.cfg.Accounts = prev
		}
	}
	c.mu.Unlock()
	if err != nil {
		if secrets != nil {
			c.restoreSecrets(secrets, acct.ID, oldPasswords)
		}
		c.restartEngine(old)
		return err
	}
	c.restartEngine(updated)
	c.bus.Publish(AccountsChanged{})
	return nil
}

// validateUpdate checks acct as Config.Add would, against the other
// accounts, and returns it with the defaults filled in.
func (c *Core) validateUpdate(acct accounts.Account) (accounts.Account, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.validateUpdateLocked(acct)
}

func (c *Core) validateUpdateLocked(acct accounts.Account) (accounts.Account, error) {
	if _, ok := c.cfg.Find(acct.ID); !ok {
		return acct, fmt.Errorf("no account %q", acct.ID)
	}
	others := &accounts.Config{}
	for _, a := range c.cfg.Accounts {
		if a.ID != acct.ID {
			others.Accounts = append(others.Accounts, a)
		}
	}
	return others.Add(acct)
}

// restoreSecrets puts back the passwords UpdateAccount replaced, as far as
// it can: a server that had none has none again.
func (c *Core) restoreSecrets(secrets accounts.Secrets, id string, old map[string]string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, server := range []string{"imap", "smtp"} {
		var err error
		if p, ok := old[server]; ok {
			err = secrets.Set(ctx, id, server, p)
		} else {
			err = secrets.Delete(ctx, id, server)
		}
		if err != nil && !errors.Is(err, accounts.ErrSecretNotFound) {
			c.opts.Logf("account %s: could not restore the %s password: %v", id, server, err)
		}
	}
}

// restartEngine starts a's sync again if the core runs and a is still
// configured; an engine made meanwhile for one-shot work is replaced.
func (c *Core) restartEngine(a accounts.Account) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started || c.runCtx.Err() != nil {
		return
	}
	if _, ok := c.cfg.Find(a.ID); !ok {
		return
	}
	if run, ok := c.engines[a.ID]; ok {
		run.cancel()
		delete(c.engines, a.ID)
	}
	c.startEngineLocked(a)
}
