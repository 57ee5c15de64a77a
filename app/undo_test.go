package app

import (
	"context"
	"errors"
	"testing"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
)

// demoCore returns a core, not started, over a fresh in-process demo
// server, with the inbox synced once; nothing replays but SyncOnce.
func demoCore(t *testing.T) (*Core, accounts.Account, Mailbox) {
	t.Helper()
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
	inbox, err := c.MailboxByRole(ctx, acct.ID, RoleInbox)
	if err != nil {
		t.Fatal(err)
	}
	return c, acct, inbox
}

func syncOnce(t *testing.T, c *Core, account string) {
	t.Helper()
	if _, err := c.SyncOnce(context.Background(), account); err != nil {
		t.Fatal(err)
	}
}

// messageIDs returns the Message-IDs of the messages shown in mailbox id.
func messageIDs(t *testing.T, c *Core, id int64) map[string]Message {
	t.Helper()
	msgs, err := c.Messages(context.Background(), id, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Message{}
	for _, m := range msgs {
		out[m.MessageID] = m
	}
	return out
}

func firstN(t *testing.T, c *Core, box Mailbox, n int) []Message {
	t.Helper()
	msgs, err := c.Messages(context.Background(), box.ID, 0, n)
	if err != nil || len(msgs) < n {
		t.Fatalf("want %d messages in %s, have %d (%v)", n, box.Name, len(msgs), err)
	}
	return msgs
}

func ids(msgs []Message) []int64 {
	out := make([]int64, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

// TestActMovesManyInOneStep moves three messages as one step: gone from the
// inbox at once, in Archive on the server after replay, and one pending
// action each.
func TestActMovesManyInOneStep(t *testing.T) {
	c, acct, inbox := demoCore(t)
	ctx := context.Background()
	archive, _ := c.MailboxByRole(ctx, acct.ID, RoleArchive)
	msgs := firstN(t, c, inbox, 3)
	total, _ := c.CountMessages(ctx, inbox.ID)
	step, err := c.Act(ctx, ids(msgs), ActArchive, 0)
	if err != nil {
		t.Fatal(err)
	}
	if step.Count != 3 || step.String() != "Archived 3 messages" || step.Target.ID != archive.ID {
		t.Fatalf("step: %d %q %v", step.Count, step.String(), step.Target.Name)
	}
	if n, _ := c.CountMessages(ctx, inbox.ID); n != total-3 {
		t.Fatalf("inbox shows %d, want %d", n, total-3)
	}
	if acts, _ := c.store.PendingActions(ctx, acct.ID); len(acts) != 3 {
		t.Fatalf("%d pending actions, want 3", len(acts))
	}
	syncOnce(t, c, acct.ID)
	got := messageIDs(t, c, archive.ID)
	for _, m := range msgs {
		if _, ok := got[m.MessageID]; !ok {
			t.Fatalf("%q not in Archive after replay", m.Subject)
		}
	}
}

// TestActFailsWhole: one message that cannot be moved leaves every message
// as it was.
func TestActFailsWhole(t *testing.T) {
	c, acct, inbox := demoCore(t)
	ctx := context.Background()
	msgs := firstN(t, c, inbox, 2)
	if _, err := c.Act(ctx, []int64{msgs[0].ID, msgs[1].ID, 1 << 40}, ActStar, 0); err == nil {
		t.Fatal("an unknown message was starred")
	}
	if acts, _ := c.store.PendingActions(ctx, acct.ID); len(acts) != 0 {
		t.Fatalf("%d pending actions after a failed act", len(acts))
	}
}

// TestUndoPendingMove takes back a move before the engine replayed it: the
// messages show again at once, and after replay (the move, then the move
// back) they are where they were on the server.
func TestUndoPendingMove(t *testing.T) {
	c, acct, inbox := demoCore(t)
	ctx := context.Background()
	junk, _ := c.MailboxByRole(ctx, acct.ID, RoleJunk)
	msgs := firstN(t, c, inbox, 2)
	total, _ := c.CountMessages(ctx, inbox.ID)
	step, err := c.Act(ctx, ids(msgs), ActJunk, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Undo(ctx, step); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.CountMessages(ctx, inbox.ID); n != total {
		t.Fatalf("inbox shows %d after undo, want %d", n, total)
	}
	before := len(messageIDs(t, c, junk.ID))
	syncOnce(t, c, acct.ID)
	if n := len(messageIDs(t, c, junk.ID)); n != before {
		t.Fatalf("Junk has %d messages after sync, want %d", n, before)
	}
	got := messageIDs(t, c, inbox.ID)
	for _, m := range msgs {
		if _, ok := got[m.MessageID]; !ok {
			t.Fatalf("%q not in the inbox after sync", m.Subject)
		}
	}
	if len(got) != total {
		t.Fatalf("inbox has %d after sync, want %d", len(got), total)
	}
	if acts, _ := c.store.PendingActions(ctx, acct.ID); len(acts) != 0 {
		t.Fatalf("%d pending actions left: %+v", len(acts), acts)
	}
}

// TestUndoPendingExpunge cancels a delete for good that waits for replay:
// the message stays on the server.
func TestUndoPendingExpunge(t *testing.T) {
	c, acct, _ := demoCore(t)
	ctx := context.Background()
	trash, _ := c.MailboxByRole(ctx, acct.ID, RoleTrash)
	m := firstN(t, c, trash, 1)
	step, err := c.Act(ctx, ids(m), ActDelete, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Undo(ctx, step); err != nil {
		t.Fatal(err)
	}
	if _, ok := messageIDs(t, c, trash.ID)[m[0].MessageID]; !ok {
		t.Fatal("the message is not shown again at once")
	}
	syncOnce(t, c, acct.ID)
	if _, ok := messageIDs(t, c, trash.ID)[m[0].MessageID]; !ok {
		t.Fatal("the message was deleted on the server")
	}
}

// TestUndoReplayedMove takes back a move the server has made: the move
// back is keyed by Message-ID (the messages have new UIDs in Trash) and
// brings them back to the inbox on the server.
func TestUndoReplayedMove(t *testing.T) {
	c, acct, inbox := demoCore(t)
	ctx := context.Background()
	trash, _ := c.MailboxByRole(ctx, acct.ID, RoleTrash)
	msgs := firstN(t, c, inbox, 2)
	total, _ := c.CountMessages(ctx, inbox.ID)
	step, err := c.Act(ctx, ids(msgs), ActDelete, 0)
	if err != nil {
		t.Fatal(err)
	}
	if step.Target.ID != trash.ID {
		t.Fatalf("deleted to %q, want Trash", step.Target.Name)
	}
	syncOnce(t, c, acct.ID)
	if n, _ := c.CountMessages(ctx, inbox.ID); n != total-2 {
		t.Fatalf("inbox has %d after the delete, want %d", n, total-2)
	}
	if err := c.Undo(ctx, step); err != nil {
		t.Fatal(err)
	}
	inTrash := messageIDs(t, c, trash.ID)
	for _, m := range msgs {
		if _, ok := inTrash[m.MessageID]; ok {
			t.Fatalf("Trash still shows %q after undo", m.Subject)
		}
	}
	syncOnce(t, c, acct.ID)
	got := messageIDs(t, c, inbox.ID)
	for _, m := range msgs {
		if _, ok := got[m.MessageID]; !ok {
			t.Fatalf("%q not back in the inbox", m.Subject)
		}
	}
	if len(got) != total {
		t.Fatalf("inbox has %d, want %d", len(got), total)
	}
	if acts, _ := c.store.PendingActions(ctx, acct.ID); len(acts) != 0 {
		t.Fatalf("%d pending actions left: %+v", len(acts), acts)
	}
}

// TestUndoReplayedMoveNotYetSynced undoes a move whose target the store has
// not read yet: the move back is found by Message-ID on the server.
func TestUndoReplayedMoveNotYetSynced(t *testing.T) {
	c, acct, inbox := demoCore(t)
	ctx := context.Background()
	archive, _ := c.MailboxByRole(ctx, acct.ID, RoleArchive)
	msgs := firstN(t, c, inbox, 1)
	step, err := c.Act(ctx, ids(msgs), ActArchive, 0)
	if err != nil {
		t.Fatal(err)
	}
	syncOnce(t, c, acct.ID)
	// Forget Archive's copy, as if it had not been synced yet.
	a := messageIDs(t, c, archive.ID)[msgs[0].MessageID]
	if a.ID == 0 {
		t.Fatal("the archived message is not in Archive")
	}
	if err := c.store.DeleteUIDs(ctx, archive.ID, a.UIDValidity, []uint32{a.UID}); err != nil {
		t.Fatal(err)
	}
	if err := c.Undo(ctx, step); err != nil {
		t.Fatal(err)
	}
	syncOnce(t, c, acct.ID)
	if _, ok := messageIDs(t, c, inbox.ID)[msgs[0].MessageID]; !ok {
		t.Fatal("the message is not back in the inbox")
	}
	if acts, _ := c.store.PendingActions(ctx, acct.ID); len(acts) != 0 {
		t.Fatalf("%d pending actions left: %+v", len(acts), acts)
	}
}

// TestUndoFlags reverses a star and a mark-read on the server, after
// replay, leaving each message's other flags alone.
func TestUndoFlags(t *testing.T) {
	c, acct, inbox := demoCore(t)
	ctx := context.Background()
	msgs := firstN(t, c, inbox, 4)
	step, err := c.Act(ctx, ids(msgs), ActStar, 0)
	if err != nil {
		t.Fatal(err)
	}
	syncOnce(t, c, acct.ID)
	if err := c.Undo(ctx, step); err != nil {
		t.Fatal(err)
	}
	syncOnce(t, c, acct.ID)
	// Read the server's flags again from scratch.
	if err := c.store.ResetMailbox(ctx, inbox.ID, 0); err != nil {
		t.Fatal(err)
	}
	syncOnce(t, c, acct.ID)
	got := messageIDs(t, c, inbox.ID)
	for _, m := range msgs {
		if got[m.MessageID].Flagged() != m.Flagged() {
			t.Fatalf("%q flagged %v on the server after undo, was %v", m.Subject, got[m.MessageID].Flagged(), m.Flagged())
		}
	}
}

// TestUndoExpungeReplayed: a delete for good the server has made cannot be
// undone, and says so.
func TestUndoExpungeReplayed(t *testing.T) {
	c, acct, _ := demoCore(t)
	ctx := context.Background()
	trash, _ := c.MailboxByRole(ctx, acct.ID, RoleTrash)
	inbox, _ := c.MailboxByRole(ctx, acct.ID, RoleInbox)
	m := firstN(t, c, inbox, 1)
	if _, err := c.Act(ctx, ids(m), ActDelete, 0); err != nil {
		t.Fatal(err)
	}
	syncOnce(t, c, acct.ID)
	inTrash := firstN(t, c, trash, 1)
	step, err := c.Act(ctx, ids(inTrash), ActDelete, 0)
	if err != nil {
		t.Fatal(err)
	}
	syncOnce(t, c, acct.ID)
	if err := c.Undo(ctx, step); !errors.Is(err, ErrGone) {
		t.Fatalf("undo of a replayed expunge: %v", err)
	}
}
