package store

import (
	"context"
	"testing"
	"time"
)

// An attempt is counted when DATA begins, so that a message left uncertain
// by a crash shows it; the outcome of that attempt does not count it again.
func TestOutboxAttemptCountedBeforeData(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	it := queueTest(t, db, "b@example.com")
	if err := db.BeginOutboxData(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.OutboxItem(ctx, it.ID); got.Attempts != 1 {
		t.Fatalf("attempts while sending: %d", got.Attempts)
	}
	rec, err := db.RecoverOutbox(ctx, "maybe")
	if err != nil || len(rec) != 1 || rec[0].Attempts != 1 {
		t.Fatalf("uncertain: %+v %v", rec, err)
	}
	b := queueTest(t, db, "c@example.com")
	db.BeginOutboxData(ctx, b.ID)
	got, err := db.UpdateOutbox(ctx, b.ID, OutboxUpdate{State: OutboxSent, Attempt: true, Delivered: true})
	if err != nil || got.Attempts != 1 {
		t.Fatalf("after the outcome: %+v %v", got, err)
	}
	got, _ = db.UpdateOutbox(ctx, queueTest(t, db, "d@example.com").ID, OutboxUpdate{State: OutboxQueued, Attempt: true})
	if got.Attempts != 1 {
		t.Fatalf("a refusal before DATA: %d attempts", got.Attempts)
	}
}

// uncertainTest queues a message as the account's own and leaves it
// uncertain, as a crash during DATA does.
func uncertainTest(t *testing.T, db *DB, msgID string, rcpts ...string) OutboxItem {
	t.Helper()
	ctx := context.Background()
	it, err := db.QueueOutbox(ctx, NewOutbox{Account: "acct", From: "me@example.com", Rcpts: rcpts,
		Subject: "Hi", MessageID: msgID, Raw: []byte("Subject: Hi\r\n\r\nbody\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.BeginOutboxData(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecoverOutbox(ctx, "maybe"); err != nil {
		t.Fatal(err)
	}
	return it
}

func TestResolveUncertainOutbox(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	inbox, sent := addrMailboxes(t, db)
	inSent := uncertainTest(t, db, "sent@x", "bob@example.com")
	inInbox := uncertainTest(t, db, "inbox@x", "bob@example.com", "ME@example.com")
	notOwn := uncertainTest(t, db, "other@x", "bob@example.com") // in INBOX, but not sent to me
	older := uncertainTest(t, db, "old@x", "bob@example.com")    // in Sent, dated before it was queued
	missing := uncertainTest(t, db, "missing@x", "bob@example.com")
	now := time.Now()
	put := func(box Mailbox, uid uint32, msgID string, at time.Time) {
		t.Helper()
		if err := db.PutMessages(ctx, "acct", box.ID, []Message{{UIDValidity: 1, UID: uid, MessageID: msgID, InternalDate: at, Date: at}}); err != nil {
			t.Fatal(err)
		}
	}
	put(sent, 1, "sent@x", now)
	put(inbox, 1, "inbox@x", now)
	put(inbox, 2, "other@x", now)
	put(sent, 2, "old@x", now.Add(-48*time.Hour))

	opts := ResolveOptions{Own: []string{"me@example.com"}, AppendSent: true}
	got, err := db.ResolveUncertainOutbox(ctx, "acct", opts)
	if err != nil || len(got) != 2 || got[0].ID != inSent.ID || got[1].ID != inInbox.ID {
		t.Fatalf("resolved %+v %v", got, err)
	}
	for _, it := range got {
		if it.State != OutboxSent || it.LastError != "" || it.Results["bob@example.com"].Status != RcptSent || it.SentAt.IsZero() || it.Attempts != 1 {
			t.Errorf("resolved: %+v", it)
		}
	}
	apps, _ := db.PendingAppends(ctx, "acct")
	if len(apps) != 1 || apps[0].OutboxID != inInbox.ID {
		t.Errorf("copies to Sent: %+v (want one, for the message found in INBOX only)", apps)
	}
	if raw, _ := db.OutboxRaw(ctx, inSent.ID); len(raw) != 0 {
		t.Error("the bytes of a message found in Sent were kept")
	}
	if raw, _ := db.OutboxRaw(ctx, inInbox.ID); len(raw) == 0 {
		t.Error("the bytes of a message to copy to Sent were dropped")
	}
	for _, id := range []int64{notOwn.ID, older.ID, missing.ID} {
		if it, _ := db.OutboxItem(ctx, id); it.State != OutboxUncertain {
			t.Errorf("message %s: %s", it.MessageID, it.State)
		}
	}
	if again, err := db.ResolveUncertainOutbox(ctx, "acct", opts); err != nil || len(again) != 0 {
		t.Errorf("second pass: %+v %v", again, err)
	}
	// A Sent folder named by the account's settings.
	boxes, err := db.SetMailboxes(ctx, "acct", []Mailbox{{Name: "INBOX", Role: RoleInbox, Selectable: true},
		{Name: "Sent", Role: RoleSent, Selectable: true}, {Name: "Gesendet", Selectable: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range boxes {
		if b.Name == "Gesendet" {
			put(b, 1, "missing@x", now)
		}
	}
	if got, _ := db.ResolveUncertainOutbox(ctx, "acct", opts); len(got) != 0 {
		t.Errorf("found outside the Sent folder: %+v", got)
	}
	opts.SentMailbox = "Gesendet"
	if got, _ := db.ResolveUncertainOutbox(ctx, "acct", opts); len(got) != 1 || got[0].ID != missing.ID {
		t.Errorf("with Sent named: %+v", got)
	}
}

func TestMarkOutboxSent(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	it := uncertainTest(t, db, "m@x", "bob@example.com")
	got, err := db.MarkOutboxSent(ctx, it.ID, true)
	if err != nil || got.State != OutboxSent || got.Results["bob@example.com"].Status != RcptSent {
		t.Fatalf("%+v %v", got, err)
	}
	if apps, _ := db.PendingAppends(ctx, "acct"); len(apps) != 1 {
		t.Errorf("%d copies to Sent", len(apps))
	}
	if _, err := db.MarkOutboxSent(ctx, it.ID, true); !isStateErr(err) {
		t.Errorf("marked twice: %v", err)
	}
	if _, err := db.MarkOutboxSent(ctx, queueTest(t, db, "c@example.com").ID, true); !isStateErr(err) {
		t.Errorf("marked a queued message: %v", err)
	}
}
