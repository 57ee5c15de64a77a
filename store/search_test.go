package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ternmail/tern/store/query"
)

// searchCorpus stores a few messages that tell the search's terms apart,
// and returns the store with each message's ID by its label.
func searchCorpus(t *testing.T) (*DB, map[string]int64) {
	t.Helper()
	db := openTest(t)
	ctx := context.Background()
	boxesA, err := db.SetMailboxes(ctx, "a", []Mailbox{
		{Name: "INBOX", Role: RoleInbox, Selectable: true},
		{Name: "Archive", Role: RoleArchive, Selectable: true},
		{Name: "Projects/Tern", Delim: "/", Selectable: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	boxesB, err := db.SetMailboxes(ctx, "b", []Mailbox{{Name: "INBOX", Role: RoleInbox, Selectable: true}})
	if err != nil {
		t.Fatal(err)
	}
	box := map[string]Mailbox{"a/INBOX": boxesA[0], "a/Archive": boxesA[1], "a/Projects/Tern": boxesA[2], "b/INBOX": boxesB[0]}
	for _, b := range box {
		if err := db.SetSyncState(ctx, b.ID, SyncState{UIDValidity: 1, UIDNext: 100}); err != nil {
			t.Fatal(err)
		}
	}
	alice := Address{Name: "Alice Smith", Email: "alice@example.com"}
	bob := Address{Name: "Bob", Email: "bob@example.com"}
	carol := Address{Name: "Carol", Email: "carol@example.org"}
	day := func(d int) time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	type seed struct {
		label, box string
		m          Message
		body       string
	}
	seeds := []seed{
		{"m1", "a/INBOX", Message{UID: 1, Subject: "Coffee weekend plans", From: []Address{alice}, To: []Address{bob}, InternalDate: day(0)},
			"let's have coffee this weekend"},
		{"m2", "a/INBOX", Message{UID: 2, Subject: "Weekend", From: []Address{bob}, To: []Address{alice}, InternalDate: day(4),
			Flags: []string{FlagSeen, FlagFlagged}, HasAttachments: true}, "the weekend after coffee"},
		{"m3", "a/Archive", Message{UID: 1, Subject: "Invoice 42", From: []Address{{Name: "Shop", Email: "billing@shop.example"}},
			To: []Address{alice}, Cc: []Address{carol}, InternalDate: day(-19), Flags: []string{FlagSeen}, HasAttachments: true}, "your invoice"},
		{"m4", "a/Projects/Tern", Message{UID: 1, Subject: "Weekly report", From: []Address{carol}, To: []Address{bob}, Cc: []Address{alice},
			InternalDate: day(9)}, "the weekly report is attached"},
		{"m5", "b/INBOX", Message{UID: 1, Subject: "hello", From: []Address{alice}, To: []Address{carol}, InternalDate: day(10),
			Flags: []string{FlagSeen}}, "coffee weekend again"},
		{"m6", "a/INBOX", Message{UID: 3, Subject: `"NEAR(a b)" AND OR * ^x {subject}:y`, From: []Address{bob}, InternalDate: day(1),
			Flags: []string{FlagSeen}}, "star*power"},
		{"m7", "a/INBOX", Message{UID: 4, Subject: "Budget", From: []Address{{Email: "dave@example.net"}}, InternalDate: day(2)}, ""},
	}
	ids := map[string]int64{}
	for _, s := range seeds {
		b := box[s.box]
		s.m.UIDValidity = 1
		if err := db.PutMessages(ctx, b.Account, b.ID, []Message{s.m}); err != nil {
			t.Fatal(err)
		}
		m, err := db.MessageByUID(ctx, b.ID, 1, s.m.UID)
		if err != nil {
			t.Fatal(err)
		}
		ids[s.label] = m.ID
		if s.body != "" {
			if err := db.PutBody(ctx, m.ID, []byte("\r\n"+s.body), BodyInfo{Text: s.body, HasAttachments: s.m.HasAttachments}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return db, ids
}

func labels(ids map[string]int64, msgs []Message) []string {
	byID := map[int64]string{}
	for l, id := range ids {
		byID[id] = l
	}
	var out []string
	for _, m := range msgs {
		out = append(out, byID[m.ID])
	}
	slices.Sort(out)
	return out
}

func TestFind(t *testing.T) {
	db, ids := searchCorpus(t)
	ctx := context.Background()
	tests := []struct {
		q    string
		want string // labels, space-separated, sorted
	}{
		{"", "m1 m2 m3 m4 m5 m6 m7"},
		{"coffee", "m1 m2 m5"},
		{"cof", "m1 m2 m5"},
		{"coffee weekend", "m1 m2 m5"},
		{`"coffee weekend"`, "m1 m5"},
		{`-"coffee weekend"`, "m2 m3 m4 m6 m7"},
		{`"weekend coffee"`, ""},
		{"subject:invoice", "m3"},
		{"subject:weekend", "m1 m2"},
		{"-subject:weekend", "m3 m4 m5 m6 m7"},
		{`subject:"weekly report"`, "m4"},
		{`subject:"report weekly"`, ""},
		{"from:alice", "m1 m5"},
		{"from:Alice@Example.com", "m1 m5"},
		{`from:"alice smith"`, "m1 m5"},
		{"from:ali", "m1 m5"},
		{"-from:alice", "m2 m3 m4 m6 m7"},
		{"to:alice", "m2 m3"},
		{"cc:alice", "m4"},
		{"cc:carol", "m3"},
		{"to:carol", "m5"},
		{"has:attachment", "m2 m3"},
		{"-has:attachment", "m1 m4 m5 m6 m7"},
		{"is:unread", "m1 m4 m7"},
		{"is:read", "m2 m3 m5 m6"},
		{"-is:read", "m1 m4 m7"},
		{"is:starred", "m2"},
		{"-is:starred is:read", "m3 m5 m6"},
		{"before:2026-03-02", "m1 m3"},
		{"before:2026-03-01", "m3"},
		{"after:2026-03-05", "m4 m5"},
		{"after:2026-03-04", "m2 m4 m5"},
		{"-after:2026-03-04 after:2026-03-01", "m6 m7"},
		{"in:archive", "m3"},
		{"in:Projects/Tern", "m4"},
		{`in:"projects/tern"`, "m4"},
		{"in:inbox", "m1 m2 m5 m6 m7"},
		{"-in:inbox", "m3 m4"},
		{"account:b", "m5"},
		{"-account:a", "m5"},
		{"in:inbox from:alice coffee", "m1 m5"},
		{"in:inbox from:alice coffee account:a", "m1"},
		{"budget", "m7"},
		{"dave", "m7"},
		// FTS5 syntax in user input is text, never syntax.
		{`"NEAR(a b)"`, "m6"},
		{`NEAR(a`, "m6"},
		{`AND OR`, "m6"},
		{`*`, "m1 m2 m3 m4 m5 m6 m7"},
		{`^x`, "m6"},
		{`{subject}:y`, "m6"},
		{`subject:"y OR coffee"`, ""},
		{`star*power`, "m6"},
		{`"star power"`, "m6"},
		{`body:invoice`, ""},
		{`-*`, "m1 m2 m3 m4 m5 m6 m7"},
	}
	for _, tt := range tests {
		q, err := query.Parse(tt.q)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.q, err)
		}
		// Both ways of joining the full-text index's IDs: in SQL, and
		// tested while walking.
		for _, small := range []int{smallSet, 0} {
			page, err := db.find(ctx, q, &SearchOptions{Location: time.UTC}, small)
			if err != nil {
				t.Errorf("Find(%q): %v", tt.q, err)
				continue
			}
			if got := strings.Join(labels(ids, page.Messages), " "); got != tt.want {
				t.Errorf("Find(%q) with small=%d = %q, want %q", tt.q, small, got, tt.want)
			}
			n, err := db.findCount(ctx, q, &SearchOptions{Location: time.UTC}, small)
			if err != nil || n != len(page.Messages) {
				t.Errorf("FindCount(%q) = %d, %v; Find found %d", tt.q, n, err, len(page.Messages))
			}
		}
	}
}

func TestFindOrderPagesAndScope(t *testing.T) {
	db, ids := searchCorpus(t)
	ctx := context.Background()
	q, _ := query.Parse("")
	// Newest first, a page at a time.
	var got []int64
	opts := &SearchOptions{Limit: 3}
	q, _ = query.Parse("-zzz")
	for pages := 0; ; pages++ {
		page, err := db.find(ctx, q, opts, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Messages {
			got = append(got, m.ID)
		}
		if !page.More {
			if pages != 2 || len(page.Messages) != 1 {
				t.Errorf("last page %d has %d messages", pages, len(page.Messages))
			}
			break
		}
		opts.Below = CursorOf(page.Messages[len(page.Messages)-1])
	}
	want := []int64{ids["m5"], ids["m4"], ids["m2"], ids["m7"], ids["m6"], ids["m1"], ids["m3"]}
	if !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	// Scope: one account, one folder.
	inboxA, err := db.MailboxByRole(ctx, "a", RoleInbox)
	if err != nil {
		t.Fatal(err)
	}
	q, _ = query.Parse("coffee")
	for _, c := range []struct {
		opts SearchOptions
		want string
	}{
		{SearchOptions{Account: "a"}, "m1 m2"},
		{SearchOptions{Account: "b"}, "m5"},
		{SearchOptions{MailboxID: inboxA.ID}, "m1 m2"},
		{SearchOptions{IDs: []int64{ids["m2"], ids["m3"]}}, "m2"},
		{SearchOptions{IDs: []int64{}}, ""},
	} {
		page, err := db.Find(ctx, q, &c.opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(labels(ids, page.Messages), " "); got != c.want {
			t.Errorf("Find(coffee, %+v) = %q, want %q", c.opts, got, c.want)
		}
	}
	// SkipText tests only the other terms: for messages a server matched.
	q, _ = query.Parse("nothing-here -from:alice is:unread")
	page, err := db.Find(ctx, q, &SearchOptions{SkipText: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(labels(ids, page.Messages), " "); got != "m1 m4 m7" {
		t.Errorf("SkipText: %q", got)
	}
}

func TestFindLocation(t *testing.T) {
	db, ids := searchCorpus(t)
	// m1 arrived 2026-03-01 12:00 UTC, which is already 2 March at UTC+13.
	q, _ := query.Parse("before:2026-03-02 -in:archive")
	for _, c := range []struct {
		loc  *time.Location
		want string
	}{{time.UTC, "m1"}, {time.FixedZone("+13", 13*3600), ""}} {
		page, err := db.Find(context.Background(), q, &SearchOptions{Location: c.loc})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(labels(ids, page.Messages), " "); got != c.want {
			t.Errorf("in %v: %q, want %q", c.loc, got, c.want)
		}
	}
}

func TestFindErrors(t *testing.T) {
	db, _ := searchCorpus(t)
	q, _ := query.Parse("coffee in:Nowhere")
	_, err := db.Find(context.Background(), q, nil)
	var qe *query.Error
	if !errors.As(err, &qe) || qe.Error() != `no folder "Nowhere" (at character 8)` {
		t.Errorf("unknown folder: %v", err)
	}
	if _, err := db.Search(context.Background(), "", "form:alice", 10); !errors.As(err, &qe) {
		t.Errorf("Search with a typo: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q, _ = query.Parse("coffee")
	if _, err := db.Find(ctx, q, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Find after cancel: %v", err)
	}
}

func TestMailboxesMissingBodies(t *testing.T) {
	db, _ := searchCorpus(t)
	ctx := context.Background()
	boxes, err := db.MailboxesMissingBodies(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	// m7 has no body; the other folders of a are complete.
	if len(boxes) != 1 || boxes[0].Name != "INBOX" {
		t.Errorf("missing bodies in %+v", boxes)
	}
	inbox := boxes[0]
	got, err := db.IDsByUID(ctx, inbox.ID, 1, []uint32{1, 4, 99})
	if err != nil || len(got) != 2 || got[1] == 0 || got[4] == 0 {
		t.Errorf("IDsByUID = %v, %v", got, err)
	}
}
