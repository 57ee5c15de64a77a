package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestFlagsInAnyOrderAreNoChange checks that flags a server returns in
// another order do not count as a change.
func TestFlagsInAnyOrderAreNoChange(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	inbox := seedMailbox(t, db, 2)
	if n, err := db.UpdateFlags(ctx, inbox.ID, 7, []FlagUpdate{{UID: 1, Flags: []string{FlagFlagged, FlagSeen}}}); err != nil || n != 1 {
		t.Fatalf("first update: %d %v", n, err)
	}
	n, err := db.UpdateFlags(ctx, inbox.ID, 7, []FlagUpdate{{UID: 1, Flags: []string{`\seen`, FlagFlagged}}, {UID: 2, Flags: []string{FlagSeen}}})
	if err != nil || n != 0 {
		t.Fatalf("same flags reordered: %d changes, %v", n, err)
	}
	if n, _ := db.UpdateFlags(ctx, inbox.ID, 7, []FlagUpdate{{UID: 1, Flags: []string{FlagSeen}}}); n != 1 {
		t.Fatalf("a removed flag: %d changes", n)
	}
}

// TestDeletedFlagHides checks that messages carrying \Deleted stay out of
// the list, the counts and search, whether they arrive so or get the flag
// later, and come back when it is removed.
func TestDeletedFlagHides(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	inbox := seedMailbox(t, db, 4) // UIDs 1..4; 2 and 4 are seen
	d := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	err := db.PutMessages(ctx, "acct", inbox.ID, []Message{{UIDValidity: 7, UID: 5, InternalDate: d, Subject: "Doomed kumquat", Flags: []string{FlagDeleted}}})
	if err != nil {
		t.Fatal(err)
	}
	visible := func() map[uint32]bool {
		msgs, err := db.Messages(ctx, inbox.ID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		out := map[uint32]bool{}
		for _, m := range msgs {
			out[m.UID] = true
		}
		return out
	}
	if v := visible(); v[5] || len(v) != 4 {
		t.Fatalf("a message stored with \\Deleted is listed: %v", v)
	}
	if found, _ := db.Search(ctx, "acct", "kumquat", 10); len(found) != 0 {
		t.Fatalf("search finds the deleted message: %+v", found)
	}
	if n, _ := db.CountStored(ctx, inbox.ID); n != 5 {
		t.Fatalf("stored %d, want 5 (the server still holds it)", n)
	}
	// Another client marks UID 1 (unseen) deleted.
	if _, err := db.UpdateFlags(ctx, inbox.ID, 7, []FlagUpdate{{UID: 1, Flags: []string{FlagDeleted}}}); err != nil {
		t.Fatal(err)
	}
	mb, _ := db.Mailbox(ctx, inbox.ID)
	if v := visible(); v[1] || mb.Total != 3 || mb.Unread != 1 {
		t.Fatalf("after \\Deleted on 1: visible %v, total %d, unread %d", v, mb.Total, mb.Unread)
	}
	// Re-stored with the same flags (a refetch), it stays hidden.
	err = db.PutMessages(ctx, "acct", inbox.ID, []Message{{UIDValidity: 7, UID: 1, InternalDate: d, Subject: "again", Flags: []string{FlagDeleted}}})
	if err != nil {
		t.Fatal(err)
	}
	if visible()[1] {
		t.Fatal("refetched \\Deleted message listed")
	}
	// Undeleted, it comes back.
	if _, err := db.UpdateFlags(ctx, inbox.ID, 7, []FlagUpdate{{UID: 1, Flags: nil}}); err != nil {
		t.Fatal(err)
	}
	if !visible()[1] {
		t.Fatal("undeleted message still hidden")
	}
}

// TestMissingBodiesUsesItsIndex checks that MissingBodies reads its rows in
// order from messages_missing_body instead of sorting every missing body
// of the account on each call (which made a background body sync cost
// time quadratic in the mailbox's size).
func TestMissingBodiesUsesItsIndex(t *testing.T) {
	db := openTest(t)
	rows, err := db.r.Query(`EXPLAIN QUERY PLAN `+missingBodiesQuery, "a", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	text := strings.Join(plan, "; ")
	if !strings.Contains(text, "messages_missing_body") || strings.Contains(text, "TEMP B-TREE") {
		t.Fatalf("MissingBodies plan %q: want the rows in order from messages_missing_body", text)
	}
}
