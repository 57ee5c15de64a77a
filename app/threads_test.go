package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
)

var convBase = time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)

// convMail is a small message of hour hours after convBase in mailbox.
func convMail(mailbox, from, subject, msgID string, hour int, refs ...string) mailtest.SeedMessage {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s <%s@example.test>\r\nTo: x@example.test\r\nSubject: %s\r\n", from, strings.ToLower(from), subject)
	fmt.Fprintf(&b, "Date: %s\r\nMessage-ID: <%s>\r\n", convBase.Add(time.Duration(hour)*time.Hour).Format(time.RFC1123Z), msgID)
	if len(refs) > 0 {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n", refs[len(refs)-1], strings.Join(refs, "> <"))
	}
	b.WriteString("\r\nHi.\r\n")
	return mailtest.SeedMessage{Mailbox: mailbox, Date: convBase.Add(time.Duration(hour) * time.Hour), Raw: []byte(b.String())}
}

// TestConversationsAndUnifiedThroughCore syncs two accounts from two
// servers and reads their conversations and unified folders through Core.
func TestConversationsAndUnifiedThroughCore(t *testing.T) {
	ctx := context.Background()
	c, err := New(Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	seeds := map[string][]mailtest.SeedMessage{
		"work": {
			// The reply arrives (by UID) before the message it answers;
			// my answer is in Sent.
			convMail("INBOX", "Bob", "Re: Plan", "p2@w", 3, "p1@w"),
			convMail("INBOX", "Ann", "Plan", "p1@w", 1),
			convMail("Sent", "Me", "Re: Plan", "p3@w", 4, "p1@w", "p2@w"),
			convMail("INBOX", "Cid", "Lunch", "l@w", 5),
		},
		"home": {convMail("INBOX", "Dan", "Garden", "g@h", 2), convMail("INBOX", "Eve", "Books", "b@h", 6)},
	}
	for _, id := range []string{"work", "home"} {
		srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: "me@" + id + ".test", Seed: seeds[id]})
		a := mailtest.DemoAccount(srv)
		a.ID = id
		if _, err := c.AddAccount(ctx, a, srv.Password, &AddOptions{SkipVerify: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.SyncOnce(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	inbox, err := c.MailboxByRole(ctx, "work", RoleInbox)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := c.CountConversations(ctx, inbox.ID); err != nil || n != 2 {
		t.Fatalf("CountConversations = %d, %v; want 2", n, err)
	}
	convs, err := c.Conversations(ctx, inbox.ID, 0, 10)
	if err != nil || len(convs) != 2 {
		t.Fatalf("Conversations: %d, %v", len(convs), err)
	}
	if convs[0].Latest.Subject != "Lunch" || convs[1].Latest.MessageID != "p2@w" || convs[1].Count != 3 {
		t.Fatalf("conversations %q (%d), %q (%d); want Lunch, then Plan's 3 with Bob's reply newest here",
			convs[0].Latest.Subject, convs[0].Count, convs[1].Latest.Subject, convs[1].Count)
	}
	msgs, err := c.ConversationMessages(ctx, "work", convs[1].ThreadID, inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.MessageID)
	}
	if got := strings.Join(ids, " "); got != "p1@w p2@w p3@w" {
		t.Errorf("conversation %q, want p1@w p2@w p3@w (Sent included, oldest first)", got)
	}

	all, err := c.UnifiedMessages(ctx, RoleInbox, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, m := range all {
		order = append(order, m.Account+":"+m.From[0].Name)
	}
	if got, want := strings.Join(order, " "), "home:Eve work:Cid work:Bob home:Dan work:Ann"; got != want {
		t.Errorf("unified inbox %q, want %q", got, want)
	}
	if n, unread, err := c.CountUnified(ctx, RoleInbox); err != nil || n != 5 || unread != 5 {
		t.Errorf("CountUnified = %d, %d, %v; want 5, 5", n, unread, err)
	}
	// An action on a unified row acts on that row's account.
	if err := c.SetFlagged(ctx, all[3].ID, true); err != nil {
		t.Fatal(err)
	}
	starred, err := c.UnifiedMessages(ctx, RoleFlagged, 0, 10)
	if err != nil || len(starred) != 1 || starred[0].Account != "home" || starred[0].MessageID != "g@h" {
		t.Fatalf("starred %+v, %v; want home's g@h", starred, err)
	}
}
