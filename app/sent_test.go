package app

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/store"
)

func endpointOf(t *testing.T, addr string) accounts.Endpoint {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return accounts.Endpoint{Host: host, Port: p, Security: accounts.SecuritySTARTTLS}
}

// coreWithRealAccount returns a new core, not started, holding user's
// account on real, added as the window adds one (signed in first).
func coreWithRealAccount(t *testing.T, real *mailtest.Real, user mailtest.RealUser) (*Core, accounts.Account) {
	t.Helper()
	c, err := New(Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	a := accounts.Account{Name: "Alice", Email: user.Name, IMAP: endpointOf(t, real.IMAPAddr), SMTP: endpointOf(t, real.SubmissionAddr),
		PinnedCerts: map[string]string{real.IMAPAddr: real.CertSHA256, real.SubmissionAddr: real.CertSHA256}}
	acct, err := c.AddAccount(context.Background(), a, user.Password, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, acct
}

// waitFirstSync waits until a started core has listed acct's folders
// (Sent among them) and its engine is idle.
func waitFirstSync(t *testing.T, c *Core, acct accounts.Account) {
	t.Helper()
	waitUntil(t, "the first sync", func() bool {
		_, err := c.store.MailboxByRole(context.Background(), acct.ID, store.RoleSent)
		return err == nil && c.Status(acct.ID).State == "idle"
	})
}

// TestSentCopyFiledThroughDovecot sends through real Postfix with a running
// core, and finds the message delivered to the recipient and filed, once,
// in the sender's Sent folder by the sync engine.
func TestSentCopyFiledThroughDovecot(t *testing.T) {
	alice := mailtest.RealUser{Name: "alice@example.test", Password: "alice-pw-3"}
	bob := mailtest.RealUser{Name: "bob@example.test", Password: "bob-pw-3"}
	real := mailtest.RealForTest(t, alice, bob)
	c, acct := coreWithRealAccount(t, real, alice)
	c.Start()
	ctx := context.Background()
	waitFirstSync(t, c, acct)
	d := &message.Draft{To: []message.Address{{Name: "Bob", Email: bob.Name}}, Subject: "Filed in Sent", Text: "Hello Bob.\n"}
	it, err := c.Send(ctx, acct.ID, d, &SendOptions{NoUndo: true})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if it, err = c.WaitSent(wctx, it.ID); err != nil || it.State != store.OutboxSent {
		t.Fatalf("send: %+v %v", it, err)
	}
	sent, _ := c.store.MailboxByRole(ctx, acct.ID, store.RoleSent)
	waitUntil(t, "the copy in Sent", func() bool {
		msgs, _ := c.Messages(ctx, sent.ID, 0, 10)
		return len(msgs) == 1 && msgs[0].Subject == "Filed in Sent" && msgs[0].Seen()
	})
	if acts, _ := c.store.PendingAppends(ctx, acct.ID); len(acts) != 0 {
		t.Fatalf("append still pending: %+v", acts)
	}
	// Exactly one copy, also after another pass: the engine is idle again
	// since a moment after the pass was asked for.
	asked := time.Now()
	c.SyncNow(acct.ID)
	waitUntil(t, "a pass and idle again", func() bool {
		st := c.Status(acct.ID)
		return st.State == "idle" && st.Since.After(asked)
	})
	if n, _ := c.CountMessages(ctx, sent.ID); n != 1 {
		t.Fatalf("%d copies in Sent", n)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSentCopyNotDuplicatedAfterCrash: a sent message whose copy reached
// the Sent folder before Tern stopped, but whose pending APPEND was not
// yet marked done, is found there by Message-ID and not filed twice.
func TestSentCopyNotDuplicatedAfterCrash(t *testing.T) {
	c, srv, acct := newSendCore(t)
	ctx := context.Background()
	d := &message.Draft{To: []message.Address{{Email: "bob@example.com"}}, Subject: "Filed once", Text: "Hi.\n"}
	it, err := c.Send(ctx, acct.ID, d, &SendOptions{NoUndo: true})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if it, err = c.WaitSent(wctx, it.ID); err != nil || it.State != store.OutboxSent {
		t.Fatalf("send: %+v %v", it, err)
	}
	// The engine has not run: the APPEND is pending. As if an earlier
	// process had appended the copy and stopped before recording it:
	raw, err := c.store.OutboxRaw(ctx, it.ID)
	if err != nil || len(raw) == 0 {
		t.Fatalf("raw: %d %v", len(raw), err)
	}
	if _, err := srv.Append("Sent", raw, []string{`\Seen`}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if acts, _ := c.store.PendingAppends(ctx, acct.ID); len(acts) != 1 {
		t.Fatalf("pending appends: %+v", acts)
	}
	c.Start()
	waitFirstSync(t, c, acct)
	c.SyncNow(acct.ID)
	waitUntil(t, "the append replayed", func() bool {
		acts, _ := c.store.PendingAppends(ctx, acct.ID)
		return len(acts) == 0 && c.Status(acct.ID).State == "idle"
	})
	if it, _ := c.store.OutboxItem(ctx, it.ID); it.LastError != "" {
		t.Fatalf("append: %s", it.LastError)
	}
	c.SyncNow(acct.ID)
	waitUntil(t, "the Sent folder synced", func() bool {
		sent, err := c.store.MailboxByRole(ctx, acct.ID, store.RoleSent)
		if err != nil {
			return false
		}
		n, _ := c.CountMessages(ctx, sent.ID)
		return n >= 1 && c.Status(acct.ID).State == "idle"
	})
	sent, _ := c.store.MailboxByRole(ctx, acct.ID, store.RoleSent)
	if n, _ := c.CountMessages(ctx, sent.ID); n != 1 {
		t.Fatalf("%d copies in Sent", n)
	}
}
