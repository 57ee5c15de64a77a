package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// threadBoxes creates an INBOX, Sent and Trash for account and returns them.
func threadBoxes(t *testing.T, db *DB, account string) (inbox, sent, trash Mailbox) {
	t.Helper()
	boxes, err := db.SetMailboxes(context.Background(), account, []Mailbox{
		{Name: "INBOX", Role: RoleInbox, Selectable: true},
		{Name: "Sent", Role: RoleSent, Selectable: true},
		{Name: "Trash", Role: RoleTrash, Selectable: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Mailbox{}
	for _, b := range boxes {
		byName[b.Name] = b
	}
	return byName["INBOX"], byName["Sent"], byName["Trash"]
}

var threadBase = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// tmsg is a message for the threading tests: uid doubles as its hour.
func tmsg(uid uint32, msgID, subject, inReplyTo string, refs ...string) Message {
	return Message{UIDValidity: 1, UID: uid, MessageID: msgID, Subject: subject, InReplyTo: inReplyTo, References: refs,
		InternalDate: threadBase.Add(time.Duration(uid) * time.Hour), Date: threadBase.Add(time.Duration(uid) * time.Hour),
		From: []Address{{Name: "P" + msgID, Email: msgID + "@example.test"}}}
}

// threadsByMsgID returns each stored message's thread, by Message-ID.
func threadsByMsgID(t *testing.T, db *DB) map[string]int64 {
	t.Helper()
	rows, err := db.r.Query(`SELECT message_id, thread_id FROM messages WHERE account = 'acct'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var th int64
		if err := rows.Scan(&id, &th); err != nil {
			t.Fatal(err)
		}
		if th == 0 {
			t.Errorf("message %s has no thread", id)
		}
		out[id] = th
	}
	return out
}

// sameThread fails unless the messages named share one thread.
func sameThread(t *testing.T, th map[string]int64, ids ...string) {
	t.Helper()
	for _, id := range ids[1:] {
		if th[id] != th[ids[0]] {
			t.Errorf("%s in thread %d, %s in %d: want one thread", id, th[id], ids[0], th[ids[0]])
		}
	}
}

func otherThread(t *testing.T, th map[string]int64, a, b string) {
	t.Helper()
	if th[a] == th[b] {
		t.Errorf("%s and %s share thread %d, want two", a, b, th[a])
	}
}

func put(t *testing.T, db *DB, b Mailbox, msgs ...Message) {
	t.Helper()
	if err := db.PutMessages(context.Background(), b.Account, b.ID, msgs); err != nil {
		t.Fatal(err)
	}
}

func TestThreadOutOfOrder(t *testing.T) {
	db := openTest(t)
	inbox, _, _ := threadBoxes(t, db, "acct")
	// The last reply first, then the root, then the middle, each alone.
	put(t, db, inbox, tmsg(3, "c", "Re: Re: plan", "b", "a", "b"))
	put(t, db, inbox, tmsg(1, "a", "plan", ""))
	put(t, db, inbox, tmsg(2, "b", "Re: plan", "a", "a"))
	put(t, db, inbox, tmsg(4, "x", "plan", "")) // same subject, headers of its own: not a reply
	th := threadsByMsgID(t, db)
	sameThread(t, th, "a", "b", "c")
	otherThread(t, th, "a", "x")
}

func TestThreadMissingParentAndMerge(t *testing.T) {
	db := openTest(t)
	inbox, _, _ := threadBoxes(t, db, "acct")
	// Two replies to a parent never stored share its thread; two
	// branches stored apart are merged by a message that names both.
	put(t, db, inbox, tmsg(1, "s1", "Re: gone", "parent", "parent"), tmsg(2, "s2", "Re: gone", "parent", "parent"))
	put(t, db, inbox, tmsg(3, "b1", "Re: one", "root1", "root1"))
	put(t, db, inbox, tmsg(4, "b2", "Re: two", "root2", "root2"))
	th := threadsByMsgID(t, db)
	sameThread(t, th, "s1", "s2")
	otherThread(t, th, "b1", "b2")
	otherThread(t, th, "s1", "b1")

	put(t, db, inbox, tmsg(5, "m", "Re: both", "root2", "root1", "root2"))
	th = threadsByMsgID(t, db)
	sameThread(t, th, "b1", "b2", "m")
	otherThread(t, th, "s1", "m")
	// A later reply to either branch's root finds the merged thread.
	put(t, db, inbox, tmsg(6, "late", "Re: two", "root2", "root2"))
	sameThread(t, threadsByMsgID(t, db), "b1", "late")
	n, err := db.CountConversations(context.Background(), inbox.ID)
	if err != nil || n != 2 {
		t.Fatalf("CountConversations = %d, %v; want 2", n, err)
	}
}

func TestThreadSubjectFallback(t *testing.T) {
	db := openTest(t)
	inbox, _, _ := threadBoxes(t, db, "acct")
	// Headerless reply stored before its original, in another batch.
	put(t, db, inbox, tmsg(1, "r1", "RE: [team] Lunch  friday", ""))
	put(t, db, inbox, tmsg(2, "o1", "Lunch Friday", ""))
	// Headerless reply after its original.
	put(t, db, inbox, tmsg(3, "o2", "Budget", ""), tmsg(4, "r2", "Aw: Fwd: budget", ""))
	// A reply with headers never joins by subject, and an original
	// without a prefix does not join another original.
	put(t, db, inbox, tmsg(5, "h", "Re: budget", "elsewhere", "elsewhere"))
	put(t, db, inbox, tmsg(6, "o3", "budget", ""))
	// A second original does not take a reply another original claimed.
	put(t, db, inbox, tmsg(7, "o4", "lunch friday", ""))
	th := threadsByMsgID(t, db)
	sameThread(t, th, "r1", "o1")
	sameThread(t, th, "o2", "r2")
	otherThread(t, th, "o2", "h")
	otherThread(t, th, "o2", "o3")
	otherThread(t, th, "o1", "o2")
	otherThread(t, th, "o1", "o4")
}

func TestNormSubject(t *testing.T) {
	for _, c := range []struct {
		in, want string
		reply    bool
	}{
		{"Hello", "hello", false},
		{"Re: Hello", "hello", true},
		{"RE[2]: AW: Fwd:  Hello   World", "hello world", true},
		{"[list] Re: [list] Hello", "hello", true},
		{"Meeting: at noon", "meeting: at noon", false},
		{"Re:", "", true},
	} {
		got, reply := normSubject(c.in)
		if got != c.want || reply != c.reply {
			t.Errorf("normSubject(%q) = %q, %v; want %q, %v", c.in, got, reply, c.want, c.reply)
		}
	}
}

func TestConversationAcrossFolders(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	inbox, sent, trash := threadBoxes(t, db, "acct")
	other, _, _ := threadBoxes(t, db, "other")
	put(t, db, inbox, tmsg(1, "q", "question", ""), tmsg(3, "q2", "Re: question", "a", "q", "a"))
	// My reply, filed in Sent, and a copy of it in INBOX (Cc to me).
	put(t, db, sent, tmsg(2, "a", "Re: question", "q", "q"))
	put(t, db, inbox, tmsg(4, "a", "Re: question", "q", "q"))
	put(t, db, trash, tmsg(5, "t", "Re: question", "q2", "q", "a", "q2"))
	put(t, db, inbox, tmsg(6, "lone", "other", ""))
	// Another account's message with the same IDs is its own thread.
	put(t, db, other, tmsg(7, "q", "question", ""))
	th := threadsByMsgID(t, db)
	sameThread(t, th, "q", "a", "q2", "t")

	page, err := db.ConversationPage(ctx, inbox.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 {
		t.Fatalf("%d conversations, want 2: %+v", len(page), page)
	}
	if page[0].Latest.MessageID != "lone" || page[1].Latest.UID != 4 {
		t.Errorf("order: %s, uid %d; want lone first, then the thread by its uid 4", page[0].Latest.MessageID, page[1].Latest.UID)
	}
	c := page[1]
	// q, a (once, though in Sent and INBOX), q2; not the one in Trash.
	if c.Count != 3 || c.Unread != 3 {
		t.Errorf("count %d unread %d, want 3 and 3", c.Count, c.Unread)
	}
	if len(c.Participants) != 3 || c.Participants[0].Email != "q@example.test" || c.Participants[1].Email != "a@example.test" {
		t.Errorf("participants %v, want q, a, q2 in order", c.Participants)
	}
	msgs, err := db.ConversationMessages(ctx, "acct", c.ThreadID, inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, m.MessageID)
		if m.MessageID == "a" && m.MailboxID != inbox.ID {
			t.Errorf("the reply filed twice came from mailbox %d, want the INBOX copy", m.MailboxID)
		}
	}
	if want := "q a q2"; join(got) != want {
		t.Errorf("conversation %q, want %q", join(got), want)
	}
	// Seen from Trash, the message there belongs to it.
	msgs, err = db.ConversationMessages(ctx, "acct", c.ThreadID, trash.ID)
	if err != nil || len(msgs) != 4 {
		t.Errorf("from Trash: %d messages, %v; want 4", len(msgs), err)
	}
	// Seen from Sent, the reply is the copy there.
	msgs, _ = db.ConversationMessages(ctx, "acct", c.ThreadID, sent.ID)
	for _, m := range msgs {
		if m.MessageID == "a" && m.MailboxID != sent.ID {
			t.Errorf("from Sent the reply came from mailbox %d", m.MailboxID)
		}
	}
	if n, _ := db.CountConversations(ctx, inbox.ID); n != 2 {
		t.Errorf("CountConversations = %d, want 2", n)
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

// TestThreadStoredBefore checks that Open threads the messages a store
// kept from before threading (thread 0), across folders.
func TestThreadStoredBefore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tern.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	inbox, sent, _ := threadBoxes(t, db, "acct")
	put(t, db, inbox, tmsg(1, "a", "hi", ""), tmsg(3, "c", "Re: hi", "b", "a", "b"), tmsg(4, "d", "else", ""))
	put(t, db, sent, tmsg(2, "b", "Re: hi", "a", "a"))
	if _, err := db.w.Exec(`UPDATE messages SET thread_id = 0; DELETE FROM thread_keys; UPDATE thread_seq SET n = 0`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	th := threadsByMsgID(t, db)
	sameThread(t, th, "a", "b", "c")
	otherThread(t, th, "a", "d")
	// New messages thread against what Open computed.
	put(t, db, inbox, tmsg(5, "e", "Re: hi", "c", "a", "b", "c"))
	sameThread(t, threadsByMsgID(t, db), "a", "e")
}

// TestThreadNumbersNotReused checks that a thread number is never given
// twice, though SQLite reuses the highest message ID after a delete.
func TestThreadNumbersNotReused(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	inbox, _, _ := threadBoxes(t, db, "acct")
	put(t, db, inbox, tmsg(1, "a", "one", ""), tmsg(2, "b", "two", ""))
	if err := db.DeleteUIDs(ctx, inbox.ID, 1, []uint32{2}); err != nil {
		t.Fatal(err)
	}
	put(t, db, inbox, tmsg(3, "c", "three", ""))
	put(t, db, inbox, tmsg(4, "r", "Re: two", "b", "b"))
	th := threadsByMsgID(t, db)
	otherThread(t, th, "c", "r")
	otherThread(t, th, "a", "c")
}

// TestConversationPageDeep checks that the grouped reading of deep pages
// finds the same conversations in the same order as the walk of the
// first pages, dates that tie included.
func TestConversationPageDeep(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	inbox, _, _ := threadBoxes(t, db, "acct")
	var msgs []Message
	for i := 1; i <= 120; i++ {
		m := tmsg(uint32(i), fmt.Sprintf("m%d", i), fmt.Sprintf("s%d", i%37), "")
		m.InternalDate = threadBase.Add(time.Duration(i/3) * time.Hour) // three a date
		if i%4 != 0 && i > 37 {
			m.InReplyTo = fmt.Sprintf("m%d", i-37)
		}
		msgs = append(msgs, m)
	}
	put(t, db, inbox, msgs...)
	n, err := db.CountConversations(ctx, inbox.ID)
	if err != nil || n < 40 {
		t.Fatalf("%d conversations, %v", n, err)
	}
	for _, off := range []int{0, 5, 17, n - 3} {
		wi, wl, err1 := db.walkThreads(ctx, inbox.ID, off, 10)
		gi, gl, err2 := db.groupThreads(ctx, inbox.ID, off, 10)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if fmt.Sprint(wi, wl) != fmt.Sprint(gi, gl) {
			t.Errorf("offset %d: walk %v %v, group %v %v", off, wi, wl, gi, gl)
		}
	}
}

// TestThreadRepeatedPut stores messages again (a flag change, a repeat in
// one batch): they keep their threads, hand out no thread number and
// leave the subject keys as they were, so that an original stored later
// still claims its headerless reply.
func TestThreadRepeatedPut(t *testing.T) {
	db := openTest(t)
	inbox, _, _ := threadBoxes(t, db, "acct")
	reply, other := tmsg(1, "r1", "Re: lunch", ""), tmsg(2, "", "", "") // other: nothing to thread by
	put(t, db, inbox, reply, other, reply)
	before := threadsByMsgID(t, db)
	seq := func() (n int64) {
		if err := db.r.QueryRow(`SELECT n FROM thread_seq`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	n := seq()
	reply.Flags, other.Flags = []string{FlagSeen}, []string{FlagFlagged}
	put(t, db, inbox, other, reply, other)
	after := threadsByMsgID(t, db)
	if after["r1"] != before["r1"] || after[""] != before[""] || seq() != n {
		t.Fatalf("threads %v and %d numbers after the repeat, %v and %d before", after, seq(), before, n)
	}
	put(t, db, inbox, tmsg(3, "o1", "Lunch", ""))
	sameThread(t, threadsByMsgID(t, db), "r1", "o1")
}
