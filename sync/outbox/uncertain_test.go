package outbox

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ternmail/tern/store"
)

// TestKillAfterServerAcceptedResolved: the message the server accepted just
// before Tern was killed is uncertain until a sync stores its copy in Sent;
// then it is sent, without being sent twice or filed twice.
func TestKillAfterServerAcceptedResolved(t *testing.T) {
	f := startFake(t, &fakeServer{})
	dbPath := filepath.Join(t.TempDir(), "tern.db")
	cmd, lines := child(t, "after250", dbPath, f.addr)
	expectLine(t, lines, "QUEUED")
	expectLine(t, lines, "GOT250")
	kill(t, cmd)
	db, w, it := restart(t, dbPath, f)
	if it.State != store.OutboxUncertain {
		t.Fatalf("after restart: %+v", it)
	}
	ctx := context.Background()
	if got, err := w.ResolveUncertain(ctx, "acct"); err != nil || len(got) != 0 {
		t.Fatalf("resolved before any sync: %+v %v", got, err)
	}
	boxes, err := db.SetMailboxes(ctx, "acct", []store.Mailbox{{Name: "INBOX", Role: store.RoleInbox, Selectable: true},
		{Name: "Sent", Role: store.RoleSent, Selectable: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range boxes {
		if b.Role == store.RoleSent { // the provider filed its own copy
			if err := db.PutMessages(ctx, "acct", b.ID, []store.Message{{UIDValidity: 1, UID: 1, MessageID: "kill@example.com",
				InternalDate: time.Now(), Date: time.Now()}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := w.ResolveUncertain(ctx, "acct")
	if err != nil || len(got) != 1 || got[0].State != store.OutboxSent || got[0].Attempts != 1 {
		t.Fatalf("resolved: %+v %v", got, err)
	}
	if len(f.got()) != 1 || len(appends(t, db)) != 0 {
		t.Errorf("received %d, %d copies to file", len(f.got()), len(appends(t, db)))
	}
}

// TestKillDuringDataMarkedSent: the user's word settles an uncertain
// message; a copy is then filed in Sent.
func TestKillDuringDataMarkedSent(t *testing.T) {
	f := startFake(t, &fakeServer{})
	dbPath := filepath.Join(t.TempDir(), "tern.db")
	cmd, lines := child(t, "after250", dbPath, f.addr)
	expectLine(t, lines, "GOT250")
	kill(t, cmd)
	db, w, it := restart(t, dbPath, f)
	ctx := context.Background()
	got, err := w.MarkSent(ctx, it.ID)
	if err != nil || got.State != store.OutboxSent || got.Results["bob@example.com"].Status != store.RcptSent {
		t.Fatalf("marked: %+v %v", got, err)
	}
	if a := appends(t, db); len(a) != 1 || a[0].OutboxID != it.ID {
		t.Errorf("copies to file: %+v", a)
	}
	if _, err := w.MarkSent(ctx, it.ID); err == nil {
		t.Error("marked twice")
	}
}
