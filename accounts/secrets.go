package accounts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Secrets stores passwords per account and server. Implementations are safe
// for concurrent use by multiple goroutines.
type Secrets interface {
	// Get returns the secret for accountID and server ("imap", "smtp", …),
	// or an error wrapping ErrSecretNotFound.
	Get(ctx context.Context, accountID, server string) (string, error)
	// Set stores secret, replacing an earlier one.
	Set(ctx context.Context, accountID, server, secret string) error
	// Delete removes the secret; deleting a missing secret is not an error.
	Delete(ctx context.Context, accountID, server string) error
}

// Server names used with Secrets.
const (
	ServerIMAP = "imap"
	ServerSMTP = "smtp"
)

// ErrSecretNotFound is returned (wrapped) by Secrets.Get when no secret is stored.
var ErrSecretNotFound = errors.New("no password stored")

// validateSecretKey checks accountID and server, which become keychain
// attributes. Both follow the account ID rules.
func validateSecretKey(accountID, server string) error {
	if err := ValidateID(accountID); err != nil {
		return fmt.Errorf("secrets: account %w", err)
	}
	if err := ValidateID(server); err != nil {
		return fmt.Errorf("secrets: server %s", strings.TrimPrefix(err.Error(), "id "))
	}
	return nil
}

// NewMemorySecrets returns Secrets kept in memory for the life of the process,
// for sessions without a keychain. It is safe for concurrent use.
func NewMemorySecrets() Secrets {
	return &memorySecrets{m: make(map[memKey]string)}
}

type memKey struct{ account, server string }

type memorySecrets struct {
	mu sync.RWMutex
	m  map[memKey]string
}

func (s *memorySecrets) Get(ctx context.Context, accountID, server string) (string, error) {
	if err := validateSecretKey(accountID, server); err != nil {
		return "", err
	}
	s.mu.RLock()
	v, ok := s.m[memKey{accountID, server}]
	s.mu.RUnlock()
	if !ok {
		return "", fmt.Errorf("%s %s: %w", accountID, server, ErrSecretNotFound)
	}
	return v, nil
}

func (s *memorySecrets) Set(ctx context.Context, accountID, server, secret string) error {
	if err := validateSecretKey(accountID, server); err != nil {
		return err
	}
	s.mu.Lock()
	s.m[memKey{accountID, server}] = secret
	s.mu.Unlock()
	return nil
}

func (s *memorySecrets) Delete(ctx context.Context, accountID, server string) error {
	if err := validateSecretKey(accountID, server); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.m, memKey{accountID, server})
	s.mu.Unlock()
	return nil
}

// ProbeKeychain checks that s works by storing, reading back and deleting a
// throwaway item. With a keychain from NewKeyring each step is bounded by its
// timeout. A failure is usually a *KeychainError (see IsKeychainUnavailable).
func ProbeKeychain(ctx context.Context, s Secrets) error {
	var b [8]byte
	rand.Read(b[:])
	id := "tern-probe-" + hex.EncodeToString(b[:])
	rand.Read(b[:])
	want := hex.EncodeToString(b[:])
	const server = "probe"
	if err := s.Set(ctx, id, server, want); err != nil {
		return err
	}
	got, err := s.Get(ctx, id, server)
	if err == nil && got != want {
		err = &KeychainError{Op: "probe", Err: errors.New("read back a different value than was stored")}
	}
	if derr := s.Delete(ctx, id, server); err == nil {
		err = derr
	}
	return err
}
