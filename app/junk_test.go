package app

import (
	"context"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
)

// serverFlags returns the flags of the message with Message-ID id in
// mailbox on srv, and whether it is there.
func serverFlags(t *testing.T, srv *mailtest.Server, mailbox, id string) ([]imap.Flag, bool) {
	t.Helper()
	c := srv.DialIMAP(t, nil)
	if _, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{Envelope: true, Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Envelope != nil && m.Envelope.MessageID == id {
			return m.Flags, true
		}
	}
	return nil, false
}

func hasFlagIn(flags []imap.Flag, f imap.Flag) bool {
	for _, x := range flags {
		if x == f {
			return true
		}
	}
	return false
}

// TestJunkKeywords: marking as junk sets $Junk on the server (which lets
// any keyword be set), not junk moves the message back to the Inbox with
// $NotJunk instead.
func TestJunkKeywords(t *testing.T) {
	srv := mailtest.DemoForTest(t)
	c, err := New(Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets(),
		StartDemo: func() (*Demo, error) {
			return &Demo{Account: mailtest.DemoAccount(srv), Password: srv.Password, Close: srv.Close}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	ctx := context.Background()
	acct, err := c.StartDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	syncOnce(t, c, acct.ID)
	inbox, _ := c.MailboxByRole(ctx, acct.ID, RoleInbox)
	junk, _ := c.MailboxByRole(ctx, acct.ID, RoleJunk)
	m := firstN(t, c, inbox, 1)[0]

	if _, err := c.Act(ctx, []int64{m.ID}, ActJunk, 0); err != nil {
		t.Fatal(err)
	}
	syncOnce(t, c, acct.ID)
	flags, ok := serverFlags(t, srv, junk.Name, m.MessageID)
	if !ok || !hasFlagIn(flags, "$Junk") || hasFlagIn(flags, "$NotJunk") {
		t.Fatalf("in Junk: %v, flags %v", ok, flags)
	}

	j := messageIDs(t, c, junk.ID)[m.MessageID]
	step, err := c.Act(ctx, []int64{j.ID}, ActNotJunk, 0)
	if err != nil || step.Count != 1 || step.Target.ID != inbox.ID {
		t.Fatalf("not junk: %v, %+v", err, step)
	}
	syncOnce(t, c, acct.ID)
	flags, ok = serverFlags(t, srv, inbox.Name, m.MessageID)
	if !ok || hasFlagIn(flags, "$Junk") || !hasFlagIn(flags, "$NotJunk") {
		t.Fatalf("back in the inbox: %v, flags %v", ok, flags)
	}
}
