package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/ternmail/tern/internal/goroutine"
)

// DefaultKeychainService is the keychain service name used when
// KeyringOptions.Service is empty.
const DefaultKeychainService = "tern"

// DefaultKeychainTimeout bounds each keychain call when
// KeyringOptions.Timeout is zero.
const DefaultKeychainTimeout = 5 * time.Second

// KeyringOptions configures NewKeyring. A nil *KeyringOptions means defaults.
type KeyringOptions struct {
	// Service names Tern's items in the keychain; default "tern".
	Service string
	// Timeout bounds every call; default 5 s. The keychain may wait for an
	// unlock prompt forever; after Timeout the call returns a *KeychainError
	// while the stuck request is abandoned in the background (a late Set
	// may still take effect).
	Timeout time.Duration
}

// KeychainError reports that the OS keychain could not be used: no keychain
// service, locked, or no answer within the timeout (then it matches
// context.DeadlineExceeded with errors.Is). Its message is in plain words and
// never contains a secret. It is not modified after it is returned.
type KeychainError struct {
	Op  string // "get", "set", "delete" or "probe"
	Err error  // underlying cause
}

// errNoSessionBus is the cause of a KeychainError when there is no D-Bus
// session bus to talk to.
var errNoSessionBus = errors.New("no D-Bus session bus")

// Error returns "keychain unavailable: " followed by a plain explanation.
func (e *KeychainError) Error() string {
	return "keychain unavailable: " + explainKeychainErr(e.Err)
}

// Unwrap returns the underlying cause.
func (e *KeychainError) Unwrap() error { return e.Err }

type timeoutErr struct{ d time.Duration }

func (t timeoutErr) Error() string        { return "timed out after " + t.d.String() }
func (t timeoutErr) Is(target error) bool { return target == context.DeadlineExceeded }

func explainKeychainErr(err error) string {
	var te timeoutErr
	switch {
	case err == nil:
		return "unknown error"
	case errors.As(err, &te):
		return fmt.Sprintf("the keychain did not answer within %s (is it locked and waiting for an unlock prompt?)", te.d)
	case errors.Is(err, errNoSessionBus):
		return "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set; is a desktop session running?)"
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "was not provided by any .service files"),
		strings.Contains(msg, "org.freedesktop.secrets"),
		strings.Contains(msg, "ServiceUnknown"),
		strings.Contains(msg, "activat"):
		return "no Secret Service on the session bus (is gnome-keyring or KeePassXC running?)"
	case strings.Contains(msg, "dial unix"), strings.Contains(msg, "connection refused"),
		strings.Contains(msg, "no such file or directory"),
		strings.Contains(msg, "couldn't determine address of session bus"),
		strings.Contains(msg, "dbus-launch"):
		return "cannot connect to the D-Bus session bus (is a desktop session running?): " + msg
	case strings.Contains(msg, "failed to unlock"), strings.Contains(msg, "prompt"),
		strings.Contains(msg, "IsLocked"), strings.Contains(msg, "locked"):
		return "the keychain is locked (unlock it and try again)"
	}
	return msg
}

// IsKeychainUnavailable reports whether err says the OS keychain cannot be
// used (no keychain service, locked, timed out), as opposed to a missing
// secret or a bad argument. Callers may then offer session-only storage
// (NewMemorySecrets).
func IsKeychainUnavailable(err error) bool {
	var ke *KeychainError
	return errors.As(err, &ke)
}

// keyringBackend is the keychain that a keychain talks to; go-keyring in
// production, fakes in tests.
type keyringBackend interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// goKeyring calls go-keyring's package functions.
type goKeyring struct{}

func (goKeyring) Get(service, user string) (string, error) {
	if err := sessionBusPreflight(); err != nil {
		return "", err
	}
	return keyring.Get(service, user)
}

func (goKeyring) Set(service, user, secret string) error {
	if err := sessionBusPreflight(); err != nil {
		return err
	}
	return keyring.Set(service, user, secret)
}

func (goKeyring) Delete(service, user string) error {
	if err := sessionBusPreflight(); err != nil {
		return err
	}
	return keyring.Delete(service, user)
}

// NewKeyring returns Secrets stored in the OS keychain (Secret Service on
// Linux and BSD, Keychain on macOS, Credential Manager on Windows) through
// go-keyring. Items are stored under opts.Service with the user
// "<accountID>/<server>". Every call is bounded by opts.Timeout. It is safe
// for concurrent use.
func NewKeyring(opts *KeyringOptions) Secrets {
	return newKeychain(opts, goKeyring{})
}

func newKeychain(opts *KeyringOptions, b keyringBackend) *keychain {
	k := &keychain{service: DefaultKeychainService, timeout: DefaultKeychainTimeout, backend: b}
	if opts != nil {
		if opts.Service != "" {
			k.service = opts.Service
		}
		if opts.Timeout > 0 {
			k.timeout = opts.Timeout
		}
	}
	return k
}

type keychain struct {
	service string
	timeout time.Duration
	backend keyringBackend
}

func keychainUser(accountID, server string) string { return accountID + "/" + server }

// call runs f in a goroutine and waits for it at most k.timeout (or until ctx
// ends). f's results are discarded if the caller stopped waiting.
func (k *keychain) call(ctx context.Context, op string, f func() (string, error)) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("keychain %s: %w", op, err)
	}
	type result struct {
		v   string
		err error
	}
	done := make(chan result, 1) // buffered: a late answer must not block the goroutine
	var v string
	goroutine.GoErr("keychain "+op, nil, func() error {
		var err error
		v, err = f()
		return err
	}, func(err error) { done <- result{v, err} })
	timer := time.NewTimer(k.timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.v, r.err
	case <-timer.C:
		return "", &KeychainError{Op: op, Err: timeoutErr{k.timeout}}
	case <-ctx.Done():
		return "", fmt.Errorf("keychain %s: %w", op, ctx.Err())
	}
}

// classify turns a backend error into this package's errors.
func (k *keychain) classify(op, accountID, server string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return fmt.Errorf("%s %s: %w", accountID, server, ErrSecretNotFound)
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return errors.New("keychain: password too long to store")
	}
	var ke *KeychainError
	if errors.As(err, &ke) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err // the caller's context ended
	}
	return &KeychainError{Op: op, Err: err}
}

func (k *keychain) Get(ctx context.Context, accountID, server string) (string, error) {
	if err := validateSecretKey(accountID, server); err != nil {
		return "", err
	}
	v, err := k.call(ctx, "get", func() (string, error) {
		return k.backend.Get(k.service, keychainUser(accountID, server))
	})
	if err != nil {
		return "", k.classify("get", accountID, server, err)
	}
	return v, nil
}

func (k *keychain) Set(ctx context.Context, accountID, server, secret string) error {
	if err := validateSecretKey(accountID, server); err != nil {
		return err
	}
	_, err := k.call(ctx, "set", func() (string, error) {
		err := k.backend.Set(k.service, keychainUser(accountID, server), secret)
		if err != nil && secret != "" && strings.Contains(err.Error(), secret) {
			// Never let a backend echo the secret into our errors.
			err = errors.New("the keychain refused the item (details withheld)")
		}
		return "", err
	})
	return k.classify("set", accountID, server, err)
}

func (k *keychain) Delete(ctx context.Context, accountID, server string) error {
	if err := validateSecretKey(accountID, server); err != nil {
		return err
	}
	_, err := k.call(ctx, "delete", func() (string, error) {
		return "", k.backend.Delete(k.service, keychainUser(accountID, server))
	})
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return k.classify("delete", accountID, server, err)
}
