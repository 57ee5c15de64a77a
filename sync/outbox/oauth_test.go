package outbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// oauthWorker starts an OAuthServer, Dovecot and Postfix taking its tokens
// (Postfix's configuration extended by postfixConf, if set), and a worker
// for alice's account that signs in with a token source holding a grant
// of hers. The password is never to be asked for.
func oauthWorker(t *testing.T, postfixConf string, retryMax time.Duration) (*Worker, *store.DB, *mailtest.OAuthServer, *mailtest.Real, *mailtest.TokenSource) {
	t.Helper()
	o := mailtest.StartOAuth(t, nil)
	r := mailtest.RealForTestWith(t, mailtest.RealOptions{OAuth: o})
	if postfixConf != "" {
		if err := r.ReconfigurePostfix(postfixConf); err != nil {
			t.Fatal(err)
		}
	}
	grant, err := o.Grant("alice@example.test")
	if err != nil {
		t.Fatal(err)
	}
	ts := o.NewTokenSource(grant)
	opts := realOptions(r)
	opts.Password = func(context.Context, string) (string, error) {
		return "", errors.New("the password must not be asked for")
	}
	opts.Tokens = func(account string) accounts.TokenSource {
		if account == "acct" {
			return ts
		}
		return nil
	}
	opts.RetryMax = retryMax
	opts.Logf = t.Logf
	db := openStore(t, "")
	w := New(db, opts)
	runWorker(t, w)
	return w, db, o, r, ts
}

func aliceToBob(subject string) *Message {
	raw := "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: " + subject + "\r\n\r\nHello.\r\n"
	return &Message{Account: "acct", From: "alice@example.test", Rcpts: []string{"bob@example.test"}, Raw: []byte(raw), Subject: subject, NoUndo: true}
}

// waitPostfixLog waits until Postfix's log (written by its log daemon,
// a moment after the event) holds want n times.
func waitPostfixLog(t *testing.T, r *mailtest.Real, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(r.Dir, "postfix.log"))
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Count(string(b), want)
		if got == n {
			return
		}
		if got > n || time.Now().After(deadline) {
			t.Fatalf("Postfix logged %q %d times, want %d\n%s", want, got, n, r.LogTail(20))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOAuthSend sends through Postfix with XOAUTH2 (offered with
// OAUTHBEARER; the worker prefers it) and with OAUTHBEARER (the only one
// offered); then the access token expires at the provider before its
// stated expiry and the next message goes out after one renewal, in one
// attempt.
func TestOAuthSend(t *testing.T) {
	for _, tc := range []struct{ mech, conf string }{
		{"XOAUTH2", ""},
		{"OAUTHBEARER", "smtpd_sasl_mechanism_filter = !xoauth2, static:rest"},
	} {
		t.Run(tc.mech, func(t *testing.T) {
			t.Parallel()
			w, _, o, r, ts := oauthWorker(t, tc.conf, 80*time.Millisecond)
			it := queue(t, w, aliceToBob("first "+tc.mech))
			if it = wait(t, w, it.ID); it.State != store.OutboxSent || it.Attempts != 1 {
				t.Fatalf("first message: %s after %d attempts: %s\n%s", it.State, it.Attempts, it.LastError, r.LogTail(20))
			}
			waitPostfixLog(t, r, "sasl_method="+tc.mech+", sasl_username=alice@example.test", 1)

			o.ExpireAccessTokens("alice@example.test")
			it = queue(t, w, aliceToBob("second "+tc.mech))
			if it = wait(t, w, it.ID); it.State != store.OutboxSent || it.Attempts != 1 {
				t.Fatalf("after the token expired: %s after %d attempts: %s\n%s", it.State, it.Attempts, it.LastError, r.LogTail(20))
			}
			if refreshes, renews, _ := ts.Counts(); refreshes != 1 || renews != 1 {
				t.Fatalf("%d refreshes, %d renewals; want 1 and 1", refreshes, renews)
			}
			fetchInbox(t, r, "bob@example.test", "bob-secret", 2)
		})
	}
}

// TestOAuthSendSignInAgain revokes the grant before a message is sent: the
// refresh fails with invalid_grant, the account is held with
// ErrSignInAgain, and the message stays queued with no attempt counted;
// after a new grant, Resume sends it.
func TestOAuthSendSignInAgain(t *testing.T) {
	w, db, o, r, ts := oauthWorker(t, "", time.Hour)
	o.Revoke("alice@example.test")
	it := queue(t, w, aliceToBob("held"))

	deadline := time.Now().Add(30 * time.Second)
	for w.Held("acct") == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the account was not held\n%s", r.LogTail(20))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := w.Held("acct"); !errors.Is(err, accounts.ErrSignInAgain) {
		t.Fatalf("held by %v, want ErrSignInAgain", err)
	}
	it, err := db.OutboxItem(context.Background(), it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if it.State != store.OutboxQueued || it.Attempts != 0 || !strings.Contains(it.LastError, "sign in again") {
		t.Fatalf("held message: %s, %d attempts, %q; want queued, 0 attempts, sign in again", it.State, it.Attempts, it.LastError)
	}
	if _, _, n := ts.Counts(); n != 1 {
		t.Fatalf("%d refreshes ended in ErrSignInAgain, want 1 (the held account must not be retried)", n)
	}

	grant, err := o.Grant("alice@example.test")
	if err != nil {
		t.Fatal(err)
	}
	ts.SetGrant(grant)
	w.Resume("acct")
	if it = wait(t, w, it.ID); it.State != store.OutboxSent || it.Attempts != 1 {
		t.Fatalf("after signing in again: %s after %d attempts: %s", it.State, it.Attempts, it.LastError)
	}
	if w.Held("acct") != nil {
		t.Fatal("the account is still held after sending")
	}
	fetchInbox(t, r, "bob@example.test", "bob-secret", 1)
}
