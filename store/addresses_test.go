package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

func addrMailboxes(t testing.TB, db *DB) (inbox, sent Mailbox) {
	t.Helper()
	boxes, err := db.SetMailboxes(context.Background(), "acct", []Mailbox{
		{Name: "INBOX", Role: RoleInbox, Selectable: true},
		{Name: "Sent", Role: RoleSent, Selectable: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range boxes {
		if b.Role == RoleSent {
			sent = b
		} else {
			inbox = b
		}
	}
	return inbox, sent
}

func emails(list []RecentAddress) []string {
	var out []string
	for _, a := range list {
		out = append(out, a.Email)
	}
	return out
}

func TestRecentAddresses(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	inbox, sent := addrMailboxes(t, db)
	now := time.Now()
	old := now.AddDate(-2, 0, 0)
	me := Address{Name: "Me", Email: "me@example.test"}
	var in []Message
	uid := uint32(0)
	msg := func(date time.Time, from Address, to ...Address) Message {
		uid++
		return Message{UIDValidity: 1, UID: uid, Date: date, InternalDate: date, From: []Address{from}, To: to}
	}
	// Olga wrote often, long ago; Anna wrote twice, recently; Bob once.
	for i := 0; i < 6; i++ {
		in = append(in, msg(old, Address{Name: "Olga Old", Email: "olga@example.test"}, me))
	}
	in = append(in, msg(now.Add(-time.Hour), Address{Email: "anna@example.test"}, me),
		msg(now, Address{Name: "Anna Berg", Email: "Anna@Example.test"}, me),
		msg(now, Address{Name: "Bob 100%_x", Email: "bob@example.test"}, me, Address{Email: "not-an-address"}))
	if err := db.PutMessages(ctx, "acct", inbox.ID, in); err != nil {
		t.Fatal(err)
	}
	// The user wrote to Carl once, recently: sent mail counts more.
	if err := db.PutMessages(ctx, "acct", sent.ID, []Message{msg(now, me, Address{Name: "Carl", Email: "carl@example.test"})}); err != nil {
		t.Fatal(err)
	}
	// Updating a stored message does not count it again.
	if err := db.PutMessages(ctx, "acct", inbox.ID, in[6:7]); err != nil {
		t.Fatal(err)
	}
	got, err := db.RecentAddresses(ctx, "acct", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	// me: 10 uses, recent (40); carl: (1+2)*4 = 12; olga: 6; anna: 2*4 = 8; bob: 4.
	want := []string{"me@example.test", "carl@example.test", "anna@example.test", "olga@example.test", "bob@example.test"}
	if fmt.Sprint(emails(got)) != fmt.Sprint(want) {
		t.Fatalf("order = %v, want %v", emails(got), want)
	}
	if got[2].Name != "Anna Berg" || got[2].Uses != 2 {
		t.Errorf("anna = %+v, want the newest name and 2 uses", got[2])
	}
	if got[1].Sent != 1 {
		t.Errorf("carl = %+v, want sent 1", got[1])
	}
	for _, tc := range []struct{ prefix, want string }{
		{"AN", "[anna@example.test]"},
		{"berg", "[anna@example.test]"}, // a word of the name
		{"old", "[olga@example.test]"},
		{"0%", "[]"}, // wildcards are literal, and "0%" starts no word
		{"bob 100%_", "[bob@example.test]"},
		{"%", "[]"},
		{"zz", "[]"},
	} {
		got, err := db.RecentAddresses(ctx, "acct", tc.prefix, 10)
		if err != nil {
			t.Fatal(err)
		}
		if s := fmt.Sprint(emails(got)); s != tc.want {
			t.Errorf("prefix %q = %s, want %s", tc.prefix, s, tc.want)
		}
	}
	if got, _ := db.RecentAddresses(ctx, "other", "", 10); len(got) != 0 {
		t.Errorf("other account = %v", emails(got))
	}
	if got, _ := db.RecentAddresses(ctx, "", "c", 10); fmt.Sprint(emails(got)) != "[carl@example.test]" {
		t.Errorf("all accounts = %v", emails(got))
	}
	if got, _ := db.RecentAddresses(ctx, "acct", "", 2); len(got) != 2 {
		t.Errorf("limit 2 = %v", emails(got))
	}
}

func TestDraftsRoundTrip(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	d := &Draft{Account: "acct", From: "Me <me@example.test>", To: "a@example.test, b@", Subject: "Hi", Body: "Hello\nthere",
		InReplyTo: "x@y", References: []string{"w@y", "x@y"}, SourceID: 7,
		Attachments: []DraftFile{{Filename: "a.txt", ContentType: "text/plain", Data: []byte("A")}, {Filename: "empty.bin"}}}
	id, err := db.SaveDraft(ctx, d, true)
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.Draft(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.To != d.To || got.Body != d.Body || fmt.Sprint(got.References) != fmt.Sprint(d.References) || got.SourceID != 7 ||
		len(got.Attachments) != 2 || string(got.Attachments[0].Data) != "A" || got.Attachments[1].Filename != "empty.bin" {
		t.Fatalf("draft = %+v", got)
	}
	// Saving without files keeps them.
	d.ID, d.Body, d.Attachments = id, "changed", nil
	if _, err := db.SaveDraft(ctx, d, false); err != nil {
		t.Fatal(err)
	}
	if got, _ = db.Draft(ctx, id); got.Body != "changed" || len(got.Attachments) != 2 {
		t.Fatalf("after a save without files: %+v", got)
	}
	if _, err := db.SaveDraft(ctx, d, true); err != nil {
		t.Fatal(err)
	}
	list, err := db.Drafts(ctx, "acct")
	if err != nil || len(list) != 1 || len(list[0].Attachments) != 0 {
		t.Fatalf("drafts = %+v, %v", list, err)
	}
	if err := db.DeleteDraft(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Draft(ctx, id); err != ErrNotFound {
		t.Fatalf("deleted draft: %v", err)
	}
	if _, err := db.SaveDraft(ctx, d, false); err != ErrNotFound {
		t.Fatalf("saving a deleted draft: %v", err)
	}
}

// BenchmarkRecentAddresses looks up a one-letter prefix in a store of 100k
// messages from 5,000 correspondents.
func BenchmarkRecentAddresses(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "tern.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	inbox, _ := addrMailboxes(b, db)
	base := time.Now().AddDate(-3, 0, 0)
	start := time.Now()
	const n = 100_000
	for off := 0; off < n; off += 5000 {
		var msgs []Message
		for i := off; i < off+5000; i++ {
			d := base.Add(time.Duration(i) * 15 * time.Minute)
			msgs = append(msgs, Message{UIDValidity: 1, UID: uint32(i + 1), Date: d, InternalDate: d,
				From: []Address{{Name: fmt.Sprintf("Person %d", i*7919%5000), Email: fmt.Sprintf("p%d@example.test", i*7919%5000)}},
				To:   []Address{{Name: "Me", Email: "me@example.test"}},
				Cc:   []Address{{Email: fmt.Sprintf("list%d@lists.example.test", i%50)}}})
		}
		if err := db.PutMessages(ctx, "acct", inbox.ID, msgs); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("inserted %d messages in %v", n, time.Since(start))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := db.RecentAddresses(ctx, "acct", "p", 8)
		if err != nil || len(got) != 8 {
			b.Fatal(len(got), err)
		}
	}
}
