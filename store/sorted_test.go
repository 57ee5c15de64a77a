package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMessagesSorted checks every order in both directions against a sort
// done here, and that each reads an index rather than sorting the folder.
func TestMessagesSorted(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	boxes, err := db.SetMailboxes(ctx, "acct", []Mailbox{{Name: "INBOX", Role: RoleInbox, Selectable: true}})
	if err != nil {
		t.Fatal(err)
	}
	inbox := boxes[0].ID
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	msgs := []Message{
		{UID: 1, Subject: "banana", Size: 300, From: []Address{{Name: "Zoe", Email: "z@x.org"}}, To: []Address{{Email: "b@x.org"}}},
		{UID: 2, Subject: "Apple", Size: 100, From: []Address{{Email: "adam@x.org"}}, To: []Address{{Name: "Carl", Email: "c@x.org"}}},
		{UID: 3, Subject: "cherry", Size: 200, From: []Address{{Name: "bea", Email: "b@x.org"}}},
		{UID: 4, Subject: "apple", Size: 200, From: []Address{{Name: "Zoe", Email: "z2@x.org"}}, To: []Address{{Name: "Ann", Email: "a@x.org"}}},
		{UID: 5, Subject: "", Size: 50},
	}
	for i := range msgs {
		msgs[i].UIDValidity = 7
		msgs[i].InternalDate = base.Add(time.Duration(msgs[i].UID*7%5) * time.Hour)
	}
	if err := db.PutMessages(ctx, "acct", inbox, msgs); err != nil {
		t.Fatal(err)
	}
	first := func(a []Address) string {
		if len(a) == 0 {
			return ""
		}
		if a[0].Name != "" {
			return strings.ToLower(a[0].Name)
		}
		return strings.ToLower(a[0].Email)
	}
	keys := map[SortKey]func(m Message) string{
		SortDate:      func(Message) string { return "" },
		SortSender:    func(m Message) string { return first(m.From) },
		SortRecipient: func(m Message) string { return first(m.To) },
		SortSubject:   func(m Message) string { return strings.ToLower(m.Subject) },
		SortSize:      func(m Message) string { return fmt.Sprintf("%09d", m.Size) },
	}
	for key, of := range keys {
		for _, asc := range []bool{true, false} {
			want := slices.Clone(msgs)
			slices.SortFunc(want, func(a, b Message) int {
				c := strings.Compare(of(a), of(b))
				if c == 0 {
					c = a.InternalDate.Compare(b.InternalDate)
				}
				if c == 0 {
					c = int(a.UID) - int(b.UID)
				}
				if !asc {
					c = -c
				}
				return c
			})
			s := Sort{Key: key, Ascending: asc}
			var got []uint32
			for off := 0; off < len(msgs); off += 2 { // pages of two
				page, err := db.MessagesSorted(ctx, inbox, s, off, 2)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range page {
					got = append(got, m.UID)
				}
			}
			var wantUIDs []uint32
			for _, m := range want {
				wantUIDs = append(wantUIDs, m.UID)
			}
			if !slices.Equal(got, wantUIDs) {
				t.Errorf("%+v: UIDs %v, want %v", s, got, wantUIDs)
			}

			order, _ := s.orderBy()
			plan := queryPlan(t, db, `SELECT id FROM messages WHERE mailbox_id = ? AND hidden = 0 ORDER BY `+order+` LIMIT 200 OFFSET 0`, inbox)
			if strings.Contains(plan, "TEMP B-TREE") || !strings.Contains(plan, "INDEX") {
				t.Errorf("%+v: the query sorts instead of reading an index: %s", s, plan)
			}
		}
	}
	if _, err := db.MessagesSorted(ctx, inbox, Sort{Key: "colour"}, 0, 10); err == nil {
		t.Error("an unknown sort key is accepted")
	}
}

// queryPlan returns SQLite's plan for q, one step a line.
func queryPlan(t *testing.T, db *DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.r.Query(`EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, detail)
	}
	return strings.Join(out, "\n")
}

// BenchmarkMessagesSortedSwitch opens a 100,000-message folder in each
// order: the count and the first page, as a folder switch does, and a
// page at the end, as jumping to the bottom of the list does.
func BenchmarkMessagesSortedSwitch(b *testing.B) {
	const n = 100_000
	db, inbox, _ := benchFilledInbox(b, n)
	ctx := context.Background()
	for _, key := range []SortKey{SortDate, SortSender, SortRecipient, SortSubject, SortSize} {
		for _, asc := range []bool{false, true} {
			s := Sort{Key: key, Ascending: asc}
			b.Run(fmt.Sprintf("%s/asc=%v", key, asc), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := db.CountMessages(ctx, inbox); err != nil {
						b.Fatal(err)
					}
					if page, err := db.MessagesSorted(ctx, inbox, s, 0, 200); err != nil || len(page) != 200 {
						b.Fatal(err, len(page))
					}
				}
			})
			b.Run(fmt.Sprintf("%s/asc=%v/last-page", key, asc), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if page, err := db.MessagesSorted(ctx, inbox, s, n-200, 200); err != nil || len(page) != 200 {
						b.Fatal(err, len(page))
					}
				}
			})
		}
	}
}

// BenchmarkPutMessagesSortIndexes is BenchmarkPutMessagesInitialSync with
// all of the sort orders' indexes, with the two not on addresses, and
// without any (as a new store has them), side by side in one process, for
// what the indexes cost a sync once someone has sorted by them.
func BenchmarkPutMessagesSortIndexes(b *testing.B) {
	const n, batch = 20_000, 1000
	msgs := benchMessages(n)
	ctx := context.Background()
	all := []SortKey{SortSender, SortRecipient, SortSubject, SortSize}
	for _, with := range [][]SortKey{all, {SortSubject, SortSize}, nil} {
		b.Run(fmt.Sprintf("indexes=%d", len(with)), func(b *testing.B) {
			for it := 0; it < b.N; it++ {
				b.StopTimer()
				db, inbox := benchInbox(b)
				for _, k := range with {
					if err := db.ensureSortIndex(ctx, k); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				for i := 0; i < n; i += batch {
					if err := db.PutMessages(ctx, "a", inbox, msgs[i:min(i+batch, n)]); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				db.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
