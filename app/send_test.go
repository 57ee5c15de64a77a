package app

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/store"
	"github.com/ternmail/tern/sync/outbox"
)

func newSendCore(t *testing.T) (*Core, *mailtest.Server, accounts.Account) {
	t.Helper()
	return newSendCoreClock(t, nil)
}

// newSendCoreClock is newSendCore with an outbox that tells the time by
// now (nil: time.Now).
func newSendCoreClock(t *testing.T, now func() time.Time) (*Core, *mailtest.Server, accounts.Account) {
	t.Helper()
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true})
	c, err := New(Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets(),
		Outbox: &outbox.Options{UndoDelay: 300 * time.Millisecond, RetryBase: 50 * time.Millisecond, Now: now}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	acct, err := c.AddAccount(context.Background(), mailtest.DemoAccount(srv), srv.Password, &AddOptions{SkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv, acct
}

func TestSendThroughCore(t *testing.T) {
	c, srv, acct := newSendCore(t)
	sub := c.Subscribe()
	defer sub.Close()
	ctx := context.Background()
	d := &message.Draft{To: []message.Address{{Name: "Bob", Email: "bob@example.com"}},
		Bcc: []message.Address{{Email: "secret@example.com"}}, Subject: "Hello from the core", Text: "Hi Bob.\n"}
	it, err := c.Send(ctx, acct.ID, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	if it.State != store.OutboxQueued || it.From != srv.Username {
		t.Fatalf("queued: %+v", it)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if it, err = c.WaitSent(wctx, it.ID); err != nil || it.State != store.OutboxSent {
		t.Fatalf("sent: %+v %v", it, err)
	}
	got := srv.Received()
	if len(got) != 1 || len(got[0].To) != 2 || bytes.Contains(got[0].Data, []byte("secret@")) ||
		!bytes.Contains(got[0].Data, []byte("Subject: Hello from the core")) {
		t.Fatalf("received %+v", got)
	}
	// OutboxChanged events followed the message.
	seen := 0
	for seen < 2 {
		ectx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ev, err := sub.Next(ectx)
		cancel()
		if err != nil {
			t.Fatalf("events: saw %d OutboxChanged: %v", seen, err)
		}
		if oc, ok := ev.(OutboxChanged); ok && oc.Account == acct.ID && oc.ID == it.ID {
			seen++
		}
	}
	list, err := c.Outbox(ctx, "")
	if err != nil || len(list) != 1 {
		t.Fatalf("outbox: %v %v", list, err)
	}
}

func TestSendUndo(t *testing.T) {
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	c, srv, acct := newSendCoreClock(t, now)
	ctx := context.Background()
	it, err := c.Send(ctx, acct.ID, &message.Draft{To: []message.Address{{Email: "bob@example.com"}}, Subject: "oops"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, raw, err := c.CancelSend(ctx, it.ID)
	if err != nil || !bytes.Contains(raw, []byte("Subject: oops")) {
		t.Fatalf("undo: %v", err)
	}
	// Long after the undo delay, a message sent without undo goes alone:
	// the worker's pass that sends it would have sent the other too.
	mu.Lock()
	clock = clock.Add(time.Hour)
	mu.Unlock()
	it, err = c.Send(ctx, acct.ID, &message.Draft{To: []message.Address{{Email: "carol@example.com"}}, Subject: "after"}, &SendOptions{NoUndo: true})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if it, err = c.WaitSent(wctx, it.ID); err != nil || it.State != store.OutboxSent {
		t.Fatalf("send: %+v %v", it, err)
	}
	if got := srv.Received(); len(got) != 1 || !bytes.Contains(got[0].Data, []byte("Subject: after")) {
		t.Fatalf("received %d messages after undo, want only the later one", len(got))
	}
	if _, err := c.Send(ctx, acct.ID, &message.Draft{Subject: "nobody"}, nil); err == nil {
		t.Fatal("sent without recipients")
	}
	_, err = c.Send(ctx, acct.ID, &message.Draft{To: []message.Address{{Email: "b@example.com"}}, Subject: "a\nBcc: x@y"}, nil)
	var he *message.HeaderError
	if !errors.As(err, &he) {
		t.Fatalf("header injection: %v", err)
	}
	if _, err := c.Send(ctx, "nope", &message.Draft{}, nil); err == nil {
		t.Fatal("unknown account accepted")
	}
}

func TestParseSendTime(t *testing.T) {
	loc := time.FixedZone("X", 2*3600)
	now := time.Date(2026, 5, 1, 14, 30, 0, 0, loc)
	for _, tc := range []struct {
		in   string
		want time.Time
		err  string
	}{
		{"16:05", time.Date(2026, 5, 1, 16, 5, 0, 0, loc), ""},
		{"09:00", time.Date(2026, 5, 2, 9, 0, 0, 0, loc), ""}, // passed today: tomorrow
		{"14:30", time.Date(2026, 5, 2, 14, 30, 0, 0, loc), ""},
		{"2026-05-03 08:15", time.Date(2026, 5, 3, 8, 15, 0, 0, loc), ""},
		{"2026-05-01T13:00:00Z", time.Date(2026, 5, 1, 13, 0, 0, 0, time.UTC), ""},
		{"2026-05-01T10:00:00Z", time.Time{}, "in the past"},
		{"tomorrow", time.Time{}, "is not a time"},
		{"25:00", time.Time{}, "is not a time"},
	} {
		got, err := ParseSendTime(tc.in, now)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %v, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%q: %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}
