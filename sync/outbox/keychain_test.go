package outbox

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/store"
)

// TestKeychainFailureIsNotAnAttempt has the keychain fail (no answer in
// time, as when it is locked) more times than MaxAttempts: the message
// stays queued, no attempt counted, and is sent once the keychain answers.
func TestKeychainFailureIsNotAnAttempt(t *testing.T) {
	f := startFake(t, &fakeServer{})
	db := openStore(t, "")
	o := testOptions(testAccount(f.addr, accounts.SecurityNone))
	const locked = 5 // more than o.MaxAttempts
	var calls atomic.Int32
	o.Password = func(context.Context, string) (string, error) {
		if calls.Add(1) <= locked {
			return "", &accounts.KeychainError{Op: "get", Err: context.DeadlineExceeded}
		}
		return "secret", nil
	}
	w := New(db, o)
	it := queue(t, w, testMessage("bob@example.com"))
	runWorker(t, w)
	it = wait(t, w, it.ID)
	if it.State != store.OutboxSent || it.Attempts != 1 || len(f.got()) != 1 {
		t.Fatalf("state %s after %d attempts (%q), %d delivered; want sent at the first attempt once the keychain answered",
			it.State, it.Attempts, it.LastError, len(f.got()))
	}
	if n := calls.Load(); n <= locked {
		t.Fatalf("the keychain was asked %d times", n)
	}
	if strings.Contains(it.LastError, "keychain") {
		t.Errorf("last error %q kept after the send", it.LastError)
	}
}
