package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
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

// oldAddressTrigger returns the trigger that kept the addresses table
// before PutMessages did (migration 5 to 11), as that migration wrote it.
func oldAddressTrigger(t *testing.T) string {
	t.Helper()
	for _, m := range migrations {
		if i := strings.Index(m, "CREATE TRIGGER addresses_on_message"); i >= 0 {
			if j := strings.Index(m[i:], "\nEND;"); j > 0 {
				return m[i : i+j+len("\nEND;")]
			}
		}
	}
	t.Fatal("the old address trigger is not in the migrations")
	return ""
}

// TestAddressesCountedAsTheTriggerDid stores the same random messages in
// two stores, one through PutMessages (in batches, with repeats) and one
// through bare INSERTs under the old trigger, and checks that both
// addresses tables are equal: uses, sent, names and dates.
func TestAddressesCountedAsTheTriggerDid(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	people := []Address{{"Anna", "anna@x.test"}, {"", "Anna@X.test"}, {"Anna Berg", " anna@x.test "}, {"Bob", "bob@x.test"},
		{"", "bob@x.test"}, {"Ünal", "ünal@x.test"}, {"", "not-an-address"}, {"Carl", "CARL@X.TEST"}, {"Me", "me@x.test"}}
	pick := func() []Address {
		var l []Address
		for k := r.IntN(4); k > 0; k-- {
			l = append(l, people[r.IntN(len(people))])
		}
		return l
	}
	newDB, oldDB := openTest(t), openTest(t)
	newIn, newSent := addrMailboxes(t, newDB)
	oldIn, oldSent := addrMailboxes(t, oldDB)
	if _, err := oldDB.w.Exec(oldAddressTrigger(t)); err != nil {
		t.Fatal(err)
	}
	var msgs []Message
	for uid := uint32(1); uid <= 300; uid++ {
		date := time.Unix(1_700_000_000+int64(r.IntN(4))*3600, 0) // many equal dates
		msgs = append(msgs, Message{UIDValidity: 1, UID: uid, Date: date, InternalDate: date, From: pick(), To: pick(), Cc: pick()})
	}
	for i, m := range msgs {
		oldBox := oldIn
		if i%3 == 0 {
			oldBox = oldSent
		}
		if _, err := oldDB.w.Exec(`INSERT INTO messages (account, mailbox_id, uidvalidity, uid, date, from_addr, to_addr, cc_addr) VALUES (?,?,?,?,?,?,?,?)`,
			"acct", oldBox.ID, m.UIDValidity, m.UID, unix(m.Date), encodeAddrs(m.From), encodeAddrs(m.To), encodeAddrs(m.Cc)); err != nil {
			t.Fatal(err)
		}
	}
	// PutMessages one message at a time, in the order of the old store's
	// inserts (the newest name wins, so order counts), and then again in
	// batches of 7 per mailbox, as updates, which must not count.
	byBox := map[int64][]Message{}
	var order []int64
	for i, m := range msgs {
		id := newIn.ID
		if i%3 == 0 {
			id = newSent.ID
		}
		if _, ok := byBox[id]; !ok {
			order = append(order, id)
		}
		byBox[id] = append(byBox[id], m)
	}
	for i := range msgs {
		id := newIn.ID
		if i%3 == 0 {
			id = newSent.ID
		}
		if err := newDB.PutMessages(ctx, "acct", id, msgs[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range order {
		b := byBox[id]
		for s := 0; s < len(b); s += 7 {
			if err := newDB.PutMessages(ctx, "acct", id, b[s:min(s+7, len(b))]); err != nil {
				t.Fatal(err)
			}
		}
	}
	// One batch of many new messages, in one mailbox, in both stores.
	var batch []Message
	for uid := uint32(1000); uid < 1150; uid++ {
		date := time.Unix(1_700_000_000+int64(r.IntN(4))*3600, 0)
		m := Message{UIDValidity: 1, UID: uid, Date: date, InternalDate: date, From: pick(), To: pick(), Cc: pick()}
		batch = append(batch, m)
		if _, err := oldDB.w.Exec(`INSERT INTO messages (account, mailbox_id, uidvalidity, uid, date, from_addr, to_addr, cc_addr) VALUES (?,?,?,?,?,?,?,?)`,
			"acct", oldIn.ID, m.UIDValidity, m.UID, unix(m.Date), encodeAddrs(m.From), encodeAddrs(m.To), encodeAddrs(m.Cc)); err != nil {
			t.Fatal(err)
		}
	}
	if err := newDB.PutMessages(ctx, "acct", newIn.ID, batch); err != nil {
		t.Fatal(err)
	}
	dump := func(db *DB) []string {
		rows, err := db.r.Query(`SELECT email, name, uses, sent, last_used FROM addresses ORDER BY email`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var email, name string
			var uses, sent, last int64
			if err := rows.Scan(&email, &name, &uses, &sent, &last); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s %q uses=%d sent=%d last=%d", email, name, uses, sent, last))
		}
		return out
	}
	got, want := dump(newDB), dump(oldDB)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("addresses counted by PutMessages:\n%s\nby the old trigger:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(got) < 5 {
		t.Fatalf("only %d addresses: the test exercises too little", len(got))
	}
}
