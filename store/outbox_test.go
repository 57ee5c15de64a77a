package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func queueTest(t *testing.T, db *DB, rcpts ...string) OutboxItem {
	t.Helper()
	it, err := db.QueueOutbox(context.Background(), NewOutbox{Account: "a", From: "me@example.com", Rcpts: rcpts,
		Subject: "Hi", MessageID: "x@example.com", Raw: []byte("Subject: Hi\r\n\r\nbody\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func TestOutboxLifecycle(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	it := queueTest(t, db, "b@example.com", "c@example.com", "d@example.com")
	if it.State != OutboxQueued || it.Size == 0 || len(it.Rcpts) != 3 || it.Subject != "Hi" {
		t.Fatalf("queued: %+v", it)
	}
	due, err := db.DueOutbox(ctx, time.Now())
	if err != nil || len(due) != 1 {
		t.Fatalf("due: %v %v", due, err)
	}
	next, err := db.NextOutboxAttempts(ctx)
	if err != nil || next["a"].IsZero() {
		t.Fatalf("next: %v %v", next, err)
	}
	if err := db.BeginOutboxData(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CancelOutbox(ctx, it.ID); !isStateErr(err) {
		t.Fatalf("cancel while sending: %v", err)
	}
	// b accepted, c refused for good, d deferred.
	got, err := db.UpdateOutbox(ctx, it.ID, OutboxUpdate{State: OutboxQueued, NextAttempt: time.Now().Add(-time.Second), Attempt: true,
		Delivered: true, AppendSent: true, LastError: "451 later",
		Results: map[string]RcptResult{"b@example.com": {Status: RcptSent, Code: 250}, "c@example.com": {Status: RcptRejected, Code: 550, Message: "550 no"},
			"d@example.com": {Status: RcptDeferred, Code: 451}}})
	if err != nil {
		t.Fatal(err)
	}
	if rem := got.Remaining(); len(rem) != 1 || rem[0] != "d@example.com" || got.Attempts != 1 || got.SentAt.IsZero() {
		t.Fatalf("after first attempt: %+v remaining %v", got, rem)
	}
	apps, err := db.PendingAppends(ctx, "a")
	if err != nil || len(apps) != 1 || apps[0].OutboxID != it.ID {
		t.Fatalf("appends: %+v %v", apps, err)
	}
	if acts, _ := db.PendingActions(ctx, "a"); len(acts) != 0 {
		t.Fatalf("append listed among flag actions: %+v", acts)
	}
	// The second delivery (to d) records no second append.
	if err := db.BeginOutboxData(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	got, err = db.UpdateOutbox(ctx, it.ID, OutboxUpdate{State: OutboxPartial, Attempt: true, Delivered: true, AppendSent: true,
		Results: map[string]RcptResult{"d@example.com": {Status: RcptSent, Code: 250}}})
	if err != nil || got.State != OutboxPartial || got.Remaining() != nil {
		t.Fatalf("partial: %+v %v", got, err)
	}
	if apps, _ := db.PendingAppends(ctx, "a"); len(apps) != 1 {
		t.Fatalf("appends after second delivery: %d", len(apps))
	}
	if raw, _ := db.OutboxRaw(ctx, it.ID); len(raw) == 0 {
		t.Fatal("raw dropped while the append is pending")
	}
	// Retry a partial message: only c is sent again.
	got, err = db.RetryOutbox(ctx, it.ID, time.Time{})
	if err != nil || got.State != OutboxQueued || len(got.Remaining()) != 1 || got.Remaining()[0] != "c@example.com" || got.Attempts != 0 {
		t.Fatalf("retry: %+v %v", got, err)
	}
	got, _ = db.UpdateOutbox(ctx, it.ID, OutboxUpdate{State: OutboxSent, Delivered: true, AppendSent: true,
		Results: map[string]RcptResult{"c@example.com": {Status: RcptSent}}})
	if got.State != OutboxSent {
		t.Fatal(got.State)
	}
	if err := db.AppendDone(ctx, apps[0].ActionID); err != nil {
		t.Fatal(err)
	}
	if raw, err := db.OutboxRaw(ctx, it.ID); err != nil || len(raw) != 0 {
		t.Fatalf("raw kept after append: %d %v", len(raw), err)
	}
	if _, err := db.RetryOutbox(ctx, it.ID, time.Time{}); !isStateErr(err) {
		t.Fatalf("retry of sent: %v", err)
	}
	if n, err := db.PruneOutbox(ctx, time.Now().Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("prune: %d %v", n, err)
	}
}

func isStateErr(err error) bool {
	var se *OutboxStateError
	return errors.As(err, &se)
}

func TestOutboxRecoverAndCancel(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	a := queueTest(t, db, "b@example.com")
	b := queueTest(t, db, "c@example.com")
	if err := db.BeginOutboxData(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	rec, err := db.RecoverOutbox(ctx, "maybe")
	if err != nil || len(rec) != 1 || rec[0].ID != a.ID || rec[0].State != OutboxUncertain || rec[0].LastError != "maybe" {
		t.Fatalf("recover: %+v %v", rec, err)
	}
	if err := db.BeginOutboxData(ctx, a.ID); !isStateErr(err) {
		t.Fatalf("begin on uncertain: %v", err)
	}
	it, raw, err := db.CancelOutbox(ctx, b.ID)
	if err != nil || it.ID != b.ID || len(raw) == 0 {
		t.Fatalf("cancel: %v", err)
	}
	if _, err := db.OutboxItem(ctx, b.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("cancelled row still there: %v", err)
	}
	if _, _, err := db.CancelOutbox(ctx, a.ID); err != nil {
		t.Fatalf("cancel uncertain: %v", err)
	}
	if list, _ := db.Outbox(ctx, ""); len(list) != 0 {
		t.Fatalf("outbox not empty: %+v", list)
	}
	if _, err := db.QueueOutbox(ctx, NewOutbox{Account: "a"}); err == nil {
		t.Fatal("empty message queued")
	}
}

func TestAppendFailed(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	it := queueTest(t, db, "b@example.com")
	db.BeginOutboxData(ctx, it.ID)
	db.UpdateOutbox(ctx, it.ID, OutboxUpdate{State: OutboxSent, Delivered: true, AppendSent: true,
		Results: map[string]RcptResult{"b@example.com": {Status: RcptSent}}})
	apps, _ := db.PendingAppends(ctx, "a")
	if len(apps) != 1 {
		t.Fatal(apps)
	}
	if err := db.ActionRetry(ctx, apps[0].ActionID, errors.New("busy")); err != nil {
		t.Fatal(err)
	}
	if apps, _ = db.PendingAppends(ctx, "a"); apps[0].Attempts != 1 || apps[0].LastError != "busy" {
		t.Fatalf("retry: %+v", apps)
	}
	if err := db.AppendFailed(ctx, apps[0].ActionID, errors.New("NO [OVERQUOTA]")); err != nil {
		t.Fatal(err)
	}
	got, _ := db.OutboxItem(ctx, it.ID)
	if got.State != OutboxSent || got.LastError == "" {
		t.Fatalf("after append failure: %+v", got)
	}
	if err := db.AppendDone(ctx, apps[0].ActionID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("done twice: %v", err)
	}
}
