package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// uncertainRow leaves an outbox message of acct "uncertain", as a process
// killed during its DATA does, and returns it with its bytes.
func uncertainRow(t *testing.T, c *Core, acct accounts.Account, subject string, rcpts ...string) (store.OutboxItem, []byte) {
	t.Helper()
	ctx := context.Background()
	msgID := fmt.Sprintf("%d.uncertain@example.test", time.Now().UnixNano())
	raw := []byte("From: " + acct.Email + "\r\nTo: " + strings.Join(rcpts, ", ") + "\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + msgID + ">\r\nDate: " + time.Now().Format(time.RFC1123Z) + "\r\n\r\nHello.\r\n")
	it, err := c.store.QueueOutbox(ctx, store.NewOutbox{Account: acct.ID, From: acct.Email, Rcpts: rcpts, Subject: subject,
		MessageID: msgID, Raw: raw, NotBefore: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.store.BeginOutboxData(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.store.RecoverOutbox(ctx, "Tern stopped"); err != nil {
		t.Fatal(err)
	}
	it, _ = c.store.OutboxItem(ctx, it.ID)
	if it.State != store.OutboxUncertain || it.Attempts != 1 {
		t.Fatalf("not uncertain: %+v", it)
	}
	return it, raw
}

// sentCopies returns how many messages of acct's Sent folder have subject.
func sentCopies(c *Core, acct accounts.Account, subject string) int {
	ctx := context.Background()
	sent, err := c.store.MailboxByRole(ctx, acct.ID, store.RoleSent)
	if err != nil {
		return 0
	}
	msgs, _ := c.Messages(ctx, sent.ID, 0, 100)
	n := 0
	for _, m := range msgs {
		if m.Subject == subject {
			n++
		}
	}
	return n
}

// A message left uncertain that Dovecot delivered to the sender's own
// INBOX (she was among the recipients) is marked sent after the next sync,
// and its copy is filed in Sent.
func TestUncertainFoundInInboxThroughDovecot(t *testing.T) {
	alice := mailtest.RealUser{Name: "alice@example.test", Password: "alice-pw-16"}
	bob := mailtest.RealUser{Name: "bob@example.test", Password: "bob-pw-16"}
	real := mailtest.RealForTest(t, alice, bob)
	c, acct := coreWithRealAccount(t, real, alice)
	c.Start()
	waitFirstSync(t, c, acct)
	ctx := context.Background()
	it, raw := uncertainRow(t, c, acct, "Delivered before the crash", bob.Name, alice.Name)
	other, _ := uncertainRow(t, c, acct, "Never delivered", bob.Name, alice.Name)
	if err := real.Deliver(alice.Name, raw); err != nil { // what the server did before Tern was killed
		t.Fatal(err)
	}
	c.SyncNow(acct.ID)
	waitUntil(t, "the message marked sent", func() bool {
		it, _ = c.store.OutboxItem(ctx, it.ID)
		return it.State == store.OutboxSent
	})
	if it.LastError != "" || it.Results[bob.Name].Status != store.RcptSent || it.Attempts != 1 {
		t.Errorf("resolved: %+v", it)
	}
	waitUntil(t, "the copy in Sent", func() bool {
		acts, _ := c.store.PendingAppends(ctx, acct.ID)
		return len(acts) == 0 && sentCopies(c, acct, "Delivered before the crash") == 1
	})
	if o, _ := c.store.OutboxItem(ctx, other.ID); o.State != store.OutboxUncertain {
		t.Errorf("the message never delivered is %s", o.State)
	}
}

// A message left uncertain whose copy the provider filed in Sent itself is
// marked sent after the next sync, without a second copy.
func TestUncertainFoundInSent(t *testing.T) {
	c, srv, acct := newSendCore(t)
	ctx := context.Background()
	it, raw := uncertainRow(t, c, acct, "Filed by the provider", "bob@example.com")
	if _, err := srv.Append("Sent", raw, []string{`\Seen`}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SyncOnce(ctx, acct.ID); err != nil {
		t.Fatal(err)
	}
	if it, _ = c.store.OutboxItem(ctx, it.ID); it.State != store.OutboxSent {
		t.Fatalf("after a sync: %+v", it)
	}
	if acts, _ := c.store.PendingAppends(ctx, acct.ID); len(acts) != 0 {
		t.Errorf("a second copy is to be filed: %+v", acts)
	}
	if n := sentCopies(c, acct, "Filed by the provider"); n != 1 {
		t.Errorf("%d copies in Sent", n)
	}
}

// The user's two choices: mark as sent files the copy in Sent; send again
// sends it. Neither applies to a message that is not uncertain.
func TestResolveUncertainChoices(t *testing.T) {
	c, srv, acct := newSendCore(t)
	ctx := context.Background()
	marked, _ := uncertainRow(t, c, acct, "Marked as sent", "bob@example.com")
	again, _ := uncertainRow(t, c, acct, "Sent again", "carol@example.com")

	it, err := c.ResolveUncertain(ctx, marked.ID, MarkSent)
	if err != nil || it.State != store.OutboxSent {
		t.Fatalf("mark as sent: %+v %v", it, err)
	}
	if state, err := c.FileSentCopy(ctx, acct.ID, marked.ID); err != nil || state != SentCopyFiled {
		t.Fatalf("copy to Sent: %s %v", state, err)
	}
	if _, err := c.ResolveUncertain(ctx, marked.ID, SendAgain); !isOutboxStateErr(err) {
		t.Errorf("send again after mark as sent: %v", err)
	}
	if _, err := c.ResolveUncertain(ctx, marked.ID, MarkSent); !isOutboxStateErr(err) {
		t.Errorf("mark as sent twice: %v", err)
	}

	if it, err = c.ResolveUncertain(ctx, again.ID, SendAgain); err != nil || it.State != store.OutboxQueued {
		t.Fatalf("send again: %+v %v", it, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if it, err = c.WaitSent(wctx, again.ID); err != nil || it.State != store.OutboxSent {
		t.Fatalf("sent again: %+v %v", it, err)
	}
	got := srv.Received()
	if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "carol@example.com" {
		t.Errorf("received %+v", got)
	}
	if !strings.Contains(UncertainAdvice(marked, time.Now()), "mark it as sent") {
		t.Error(UncertainAdvice(marked, time.Now()))
	}
}

func isOutboxStateErr(err error) bool {
	var se *store.OutboxStateError
	return errors.As(err, &se)
}
