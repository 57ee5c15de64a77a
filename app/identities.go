package app

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"

	"github.com/ternmail/tern/accounts"
)

// Identity is one sender identity of an account as the window edits it:
// the configured identity and whether it is the account's default, the one
// a new message is sent from. It is a plain value.
type Identity struct {
	accounts.Identity
	Default bool
}

// IdentityError says what is wrong with an account's identities, in words
// a person can act on. Index is the position of the identity at fault in
// the list given to SetIdentities, or -1 when the fault is the list's.
type IdentityError struct {
	Index int
	// Field is "name", "email", "reply-to" or "" for the identity or list as a whole.
	Field  string
	Reason string
}

func (e *IdentityError) Error() string { return e.Reason }

// Identities returns account's identities, the default first. An account
// without identities sends from its own name and address and has none.
func (c *Core) Identities(account string) ([]Identity, error) {
	acct, ok := c.Account(account)
	if !ok {
		return nil, fmt.Errorf("no account %q", account)
	}
	out := make([]Identity, len(acct.Identities))
	for i, id := range acct.Identities {
		id.Aliases = slices.Clone(id.Aliases)
		out[i] = Identity{Identity: id, Default: i == 0}
	}
	return out, nil
}

// SetIdentities replaces account's identities with ids and saves the
// configuration. The default is stored first, where the composer and Send
// look for it; the others keep their order. It refuses, with an
// *IdentityError, an address that is not a plain email address, a name
// with a line break, two identities with one address, and a non-empty
// list without exactly one default. The account's sync is not interrupted.
func (c *Core) SetIdentities(ctx context.Context, account string, ids []Identity) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	list, err := checkIdentities(ids)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	acct, ok := c.cfg.Find(account)
	if !ok {
		return fmt.Errorf("no account %q", account)
	}
	acct.Identities = list
	if err := acct.Validate(); err != nil {
		return &IdentityError{Index: -1, Reason: "These identities cannot be saved: " + err.Error() + "."}
	}
	prev := c.cfg.Accounts
	next := slices.Clone(prev)
	for i := range next {
		if next[i].ID == account {
			next[i] = acct
		}
	}
	c.cfg.Accounts = next
	if err := c.saveLocked(); err != nil {
		c.cfg.Accounts = prev
		return fmt.Errorf("save the identities: %w", err)
	}
	c.bus.Publish(AccountsChanged{})
	return nil
}

// checkIdentities validates ids and returns them as the configuration
// keeps them: trimmed, the default first.
func checkIdentities(ids []Identity) ([]accounts.Identity, error) {
	seen := map[string]int{}
	def := -1
	var out []accounts.Identity
	for i, id := range ids {
		n := i + 1
		id.Name = strings.TrimSpace(id.Name)
		id.Email = strings.TrimSpace(id.Email)
		id.ReplyTo = strings.TrimSpace(id.ReplyTo)
		id.Signature = strings.TrimRight(strings.ReplaceAll(id.Signature, "\r\n", "\n"), "\n")
		if strings.ContainsAny(id.Name, "\x00\r\n") {
			return nil, &IdentityError{Index: i, Field: "name", Reason: fmt.Sprintf("The name of identity %d has a line break; use one line.", n)}
		}
		if id.Email == "" {
			return nil, &IdentityError{Index: i, Field: "email", Reason: fmt.Sprintf("Identity %d has no email address.", n)}
		}
		if !plainAddress(id.Email) {
			return nil, &IdentityError{Index: i, Field: "email", Reason: fmt.Sprintf("“%s” is not an email address (like name@example.com).", id.Email)}
		}
		if id.ReplyTo != "" && !plainAddress(id.ReplyTo) {
			return nil, &IdentityError{Index: i, Field: "reply-to", Reason: fmt.Sprintf("The reply-to address “%s” is not an email address (like name@example.com).", id.ReplyTo)}
		}
		for _, addr := range append([]string{id.Email}, id.Aliases...) {
			k := strings.ToLower(addr)
			if j, dup := seen[k]; dup && j == i {
				return nil, &IdentityError{Index: i, Field: "email", Reason: fmt.Sprintf("Identity %d lists %s twice.", n, addr)}
			} else if dup {
				return nil, &IdentityError{Index: i, Field: "email", Reason: fmt.Sprintf("Identities %d and %d both send from %s; each address can have one identity.", j+1, n, addr)}
			}
			seen[k] = i
		}
		if id.Default {
			if def >= 0 {
				return nil, &IdentityError{Index: i, Reason: "Only one identity can be the default; identities " + fmt.Sprint(def+1) + " and " + fmt.Sprint(n) + " both are."}
			}
			def = i
		}
		out = append(out, id.Identity)
	}
	if len(out) > 0 && def < 0 {
		return nil, &IdentityError{Index: -1, Reason: "Choose which identity is the default."}
	}
	if def > 0 {
		d := out[def]
		out = append(out[:def], out[def+1:]...)
		out = append([]accounts.Identity{d}, out...)
	}
	return out, nil
}

// plainAddress reports whether s is a bare address such as a@b.c.
func plainAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}
