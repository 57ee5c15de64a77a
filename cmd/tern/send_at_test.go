package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ternmail/tern/internal/mailtest"
)

// TestCLISendAt queues a message for later with --at (RFC 3339, and
// HH:MM): it is listed as queued, due then, and nothing reaches the
// server; a time in the past or not a time is refused.
func TestCLISendAt(t *testing.T) {
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true})
	c := newCLI(t)
	addDemoAccount(t, c, srv)
	at := time.Now().Add(3 * time.Hour).Truncate(time.Second)
	var item outboxJSON
	if err := json.Unmarshal([]byte(c.ok("later\n", "send", "--to", "a@example.com", "--subject", "Later", "--at", at.Format(time.RFC3339), "--json")), &item); err != nil {
		t.Fatal(err)
	}
	if item.State != "queued" || item.NextAttempt == nil || !item.NextAttempt.Equal(at) {
		t.Fatalf("queued: %+v", item)
	}
	hm := time.Now().Add(-time.Hour).Format("15:04") // tomorrow at that time
	if out := c.ok("later\n", "send", "--to", "a@example.com", "--subject", "Tomorrow", "--at", hm); !strings.Contains(out, "to be sent at") {
		t.Fatalf("send --at %s: %q", hm, out)
	}
	var list []outboxJSON
	if err := json.Unmarshal([]byte(c.ok("", "outbox", "--json")), &list); err != nil || len(list) != 2 {
		t.Fatalf("outbox: %+v %v", list, err)
	}
	if d := time.Until(*list[0].NextAttempt); list[0].State != "queued" || d < 22*time.Hour || d > 24*time.Hour {
		t.Fatalf("--at %s: due %v", hm, list[0].NextAttempt)
	}
	if errs := c.fails("x\n", "send", "--to", "a@example.com", "--at", "2001-01-01T00:00:00Z"); !strings.Contains(errs, "in the past") {
		t.Fatalf("past: %q", errs)
	}
	if errs := c.fails("x\n", "send", "--to", "a@example.com", "--at", "soon"); !strings.Contains(errs, "--at") || !strings.Contains(errs, "HH:MM") {
		t.Fatalf("not a time: %q", errs)
	}
	time.Sleep(300 * time.Millisecond)
	if got := srv.Received(); len(got) != 0 {
		t.Fatalf("sent before its time: %d", len(got))
	}
}
