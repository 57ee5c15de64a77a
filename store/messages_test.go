package store

import (
	"context"
	"fmt"
	"math/rand/v2"
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

// TestUpdateFlagsInChunks applies random server flag changes to 700
// messages, more than one statement's chunk, with UIDs named twice and
// some messages holding a pending local change. Every message ends with
// the last flags the server gave it (pending ones keep theirs), the flag
// columns agree with the flags, the counts with the rows, and the
// returned count is the number of messages that changed.
func TestUpdateFlagsInChunks(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	const n = 700
	inbox := seedMailbox(t, db, n)
	r := rand.New(rand.NewPCG(7, 7))
	kinds := [][]string{nil, {FlagSeen}, {FlagFlagged}, {FlagSeen, FlagFlagged}, {`\Deleted`}, {FlagSeen, "$Label1"},
		{FlagAnswered, FlagSeen}, {FlagDraft}, {FlagSeen, `\Deleted`}}
	for round := 0; round < 4; round++ {
		before := map[uint32][]string{}
		for uid := uint32(1); uid <= n; uid++ {
			m, err := db.MessageByUID(ctx, inbox.ID, 7, uid)
			if err != nil {
				t.Fatal(err)
			}
			before[uid] = m.Flags
		}
		pending := map[uint32]bool{}
		for i := 0; i < 5; i++ {
			uid := uint32(1 + r.IntN(n))
			m, _ := db.MessageByUID(ctx, inbox.ID, 7, uid)
			if _, err := db.SetFlag(ctx, m.ID, FlagFlagged, !m.Flagged()); err != nil {
				t.Fatal(err)
			}
			after, _ := db.MessageByUID(ctx, inbox.ID, 7, uid)
			before[uid] = after.Flags
			pending[uid] = true
		}
		var ups []FlagUpdate
		want := map[uint32][]string{}
		for i := 0; i < 900; i++ {
			uid := uint32(1 + r.IntN(n+20)) // some not stored
			fl := kinds[r.IntN(len(kinds))]
			ups = append(ups, FlagUpdate{UID: uid, Flags: fl, ModSeq: uint64(100*round + i)})
			want[uid] = fl
		}
		changed, err := db.UpdateFlags(ctx, inbox.ID, 7, ups)
		if err != nil {
			t.Fatal(err)
		}
		wantChanged := 0
		for uid := uint32(1); uid <= n; uid++ {
			m, err := db.MessageByUID(ctx, inbox.ID, 7, uid)
			if err != nil {
				t.Fatal(err)
			}
			exp := before[uid]
			if fl, ok := want[uid]; ok && !pending[uid] {
				exp = fl
				if !sameFlags(before[uid], fl) {
					wantChanged++
				}
			}
			if !sameFlags(m.Flags, exp) {
				t.Fatalf("round %d: UID %d has %v, want %v (pending %v)", round, uid, m.Flags, exp, pending[uid])
			}
			var seen, flagged, answered, draft, hidden bool
			db.r.QueryRow(`SELECT seen, flagged, answered, draft, hidden FROM messages WHERE id = ?`, m.ID).Scan(&seen, &flagged, &answered, &draft, &hidden)
			if seen != hasFlag(exp, FlagSeen) || flagged != hasFlag(exp, FlagFlagged) || answered != hasFlag(exp, FlagAnswered) ||
				draft != hasFlag(exp, FlagDraft) || hidden != hasFlag(exp, `\Deleted`) {
				t.Fatalf("round %d: UID %d columns seen %v flagged %v answered %v draft %v hidden %v for %v",
					round, uid, seen, flagged, answered, draft, hidden, exp)
			}
		}
		if changed != wantChanged {
			t.Errorf("round %d: UpdateFlags = %d changed, want %d", round, changed, wantChanged)
		}
		checkCounts(t, db, "acct", fmt.Sprintf("round %d", round))
		acts, _ := db.PendingActions(ctx, "acct")
		for _, a := range acts {
			db.ActionDone(ctx, a.ID)
		}
	}
}
