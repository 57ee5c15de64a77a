package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// TestCLIOutboxUncertain: tern outbox explains an uncertain message, and
// mark-sent and resend settle it.
func TestCLIOutboxUncertain(t *testing.T) {
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true})
	c := newCLI(t)
	addDemoAccount(t, c, srv)
	var accts []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(c.ok("", "account", "list", "--json")), &accts); err != nil || len(accts) != 1 {
		t.Fatalf("accounts: %+v %v", accts, err)
	}
	// Two messages left uncertain, as by a crash during DATA.
	db, err := store.Open(filepath.Join(c.home, "tern.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ids []string
	for _, subject := range []string{"Arrived", "Lost"} {
		raw := "From: " + srv.Username + "\r\nTo: bob@example.com\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject + "@example.test>\r\n\r\nHi.\r\n"
		it, err := db.QueueOutbox(ctx, store.NewOutbox{Account: accts[0].ID, From: srv.Username, Rcpts: []string{"bob@example.com"},
			Subject: subject, MessageID: subject + "@example.test", Raw: []byte(raw), NotBefore: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.BeginOutboxData(ctx, it.ID); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, strconv.FormatInt(it.ID, 10))
	}
	if _, err := db.RecoverOutbox(ctx, "Tern stopped"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	if out := c.ok("", "outbox"); !strings.Contains(out, "Message "+ids[0]+" is uncertain: ") || !strings.Contains(out, "tern outbox mark-sent ID") {
		t.Fatalf("outbox: %q", out)
	}
	out := c.ok("", "outbox", "mark-sent", ids[0])
	if !strings.Contains(out, "Marked message "+ids[0]+" (Arrived) as sent.") || !strings.Contains(out, "Filed a copy in Sent.") {
		t.Fatalf("mark-sent: %q", out)
	}
	if len(srv.Received()) != 0 {
		t.Fatal("mark-sent sent the message")
	}
	if out := c.ok("", "outbox", "resend", ids[1]); !strings.HasPrefix(out, "Sent message "+ids[1]) {
		t.Fatalf("resend: %q", out)
	}
	if got := srv.Received(); len(got) != 1 || !strings.Contains(string(got[0].Data), "Subject: Lost") {
		t.Fatalf("received %+v", got)
	}
	if errs := c.fails("", "outbox", "resend", ids[0]); !strings.Contains(errs, "already sent") {
		t.Fatalf("resend of a sent message: %q", errs)
	}
	var list []outboxJSON
	json.Unmarshal([]byte(c.ok("", "outbox", "--json")), &list)
	for _, it := range list {
		if it.State != "sent" || it.Attempts < 1 {
			t.Errorf("%+v", it)
		}
	}
}
