package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkConversationPage100k reads the first page (200) of
// conversations, their count, and one conversation's messages in a
// 100,000-message INBOX whose messages form threads of 1 to 8 messages.
func BenchmarkConversationPage100k(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "tern.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	boxes, _ := db.SetMailboxes(ctx, "a", []Mailbox{{Name: "INBOX", Role: RoleInbox, Selectable: true}})
	inbox := boxes[0].ID
	const n = 100_000
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	for off := 0; off < n; off += 1000 {
		batch := make([]Message, 1000)
		for j := range batch {
			i := off + j
			root := i - i%8 + 1 // threads of up to 8, some cut short
			m := Message{UIDValidity: 1, UID: uint32(i + 1), MessageID: fmt.Sprintf("m%d@x", i+1),
				Subject: fmt.Sprintf("subject %d", root), InternalDate: base.Add(time.Duration(i) * time.Minute),
				From: []Address{{Name: fmt.Sprintf("P%d", i%50), Email: fmt.Sprintf("p%d@x", i%50)}}}
			if i+1 != root && i%8 < 1+(i/8)%8 {
				m.InReplyTo = fmt.Sprintf("m%d@x", i)
				m.References = []string{fmt.Sprintf("m%d@x", root), m.InReplyTo}
				m.Subject = "Re: " + m.Subject
			}
			if i%3 == 0 {
				m.Flags = []string{FlagSeen}
			}
			batch[j] = m
		}
		if err := db.PutMessages(ctx, "a", inbox, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("stored %d messages with threads in %v", n, time.Since(start))
	total, err := db.CountConversations(ctx, inbox)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d conversations", total)
	b.Run("count", func(b *testing.B) {
		for range b.N {
			if _, err := db.CountConversations(ctx, inbox); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("first-page", func(b *testing.B) {
		for range b.N {
			if p, err := db.ConversationPage(ctx, inbox, 0, 200); err != nil || len(p) != 200 {
				b.Fatal(len(p), err)
			}
		}
	})
	b.Run("last-page", func(b *testing.B) {
		for range b.N {
			if _, err := db.ConversationPage(ctx, inbox, total-200, 200); err != nil {
				b.Fatal(err)
			}
		}
	})
	p, _ := db.ConversationPage(ctx, inbox, 0, 1)
	b.Run("messages", func(b *testing.B) {
		for range b.N {
			if _, err := db.ConversationMessages(ctx, "a", p[0].ThreadID, inbox); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("flat-page", func(b *testing.B) { // the flat list, for comparison
		for range b.N {
			if _, err := db.Messages(ctx, inbox, 0, 200); err != nil {
				b.Fatal(err)
			}
		}
	})
}
