package store

import (
	"context"
	"testing"
)

// TestServerUnreadUntilFirstSync checks that a mailbox shows the server's
// unseen count until its first sync completes, and its stored count after.
func TestServerUnreadUntilFirstSync(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	inbox := seedMailbox(t, db, 4) // synced (UIDNEXT set), 2 unseen
	arch, err := db.MailboxByName(ctx, "acct", "Archive")
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.SetServerUnread(ctx, "acct", map[string]int{"INBOX": 9, "Archive": 5, "Nowhere": 3})
	if err != nil || n != 2 {
		t.Fatalf("SetServerUnread: %d changed, %v", n, err)
	}
	if n, _ := db.SetServerUnread(ctx, "acct", map[string]int{"Archive": 5}); n != 0 {
		t.Fatalf("the same count again changed %d", n)
	}
	if arch, _ = db.Mailbox(ctx, arch.ID); arch.Unread != 5 || arch.Total != 0 {
		t.Fatalf("Archive before its sync: unread %d total %d, want 5 and 0", arch.Unread, arch.Total)
	}
	if inbox, _ = db.Mailbox(ctx, inbox.ID); inbox.Unread != 2 {
		t.Fatalf("synced INBOX unread %d, want its stored 2", inbox.Unread)
	}
	if err := db.SetSyncState(ctx, arch.ID, SyncState{UIDValidity: 1, UIDNext: 1}); err != nil {
		t.Fatal(err)
	}
	if arch, _ = db.Mailbox(ctx, arch.ID); arch.Unread != 0 {
		t.Fatalf("Archive after its sync: unread %d, want the stored 0", arch.Unread)
	}
	boxes, _ := db.Mailboxes(ctx, "other")
	if len(boxes) != 0 {
		t.Fatalf("another account got %d mailboxes", len(boxes))
	}
}
