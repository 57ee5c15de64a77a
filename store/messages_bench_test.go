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

// benchMessages returns the headers of n messages of a mailbox, newest
// first, with a few To and Cc addresses each out of a few thousand
// correspondents, subjects, references and a mix of flags.
func benchMessages(n int) []Message {
	r := rand.New(rand.NewPCG(5, 6))
	words := strings.Fields("the quick brown fox jumps over a lazy dog while seven wizards quietly judge boxing matches über café naïve résumé meeting invoice report")
	people := make([]Address, 3000)
	for i := range people {
		people[i] = Address{Name: fmt.Sprintf("Person %d %s", i, words[r.IntN(len(words))]), Email: fmt.Sprintf("person%d@example%d.org", i, i%40)}
	}
	addrs := func(k int) []Address {
		a := make([]Address, k)
		for i := range a {
			a[i] = people[r.IntN(len(people))]
		}
		return a
	}
	msgs := make([]Message, n)
	for i := range msgs {
		uid := n - i // newest first
		var subject strings.Builder
		for subject.Len() < 30+r.IntN(40) {
			subject.WriteString(words[r.IntN(len(words))])
			subject.WriteByte(' ')
		}
		var flags []string
		if r.IntN(10) < 8 {
			flags = append(flags, FlagSeen)
		}
		if r.IntN(20) == 0 {
			flags = append(flags, FlagFlagged)
		}
		var refs []string
		for j := r.IntN(4); j > 0; j-- {
			refs = append(refs, fmt.Sprintf("<%d.%d@mail.example.org>", r.Uint64(), j))
		}
		msgs[i] = Message{
			UIDValidity:  1,
			UID:          uint32(uid),
			Flags:        flags,
			InternalDate: time.Unix(1_600_000_000+int64(uid)*600, 0),
			Date:         time.Unix(1_600_000_000+int64(uid)*600-30, 0),
			Size:         int64(2000 + r.IntN(50_000)),
			Subject:      strings.TrimSpace(subject.String()),
			From:         addrs(1),
			To:           addrs(1 + r.IntN(4)),
			Cc:           addrs(r.IntN(3)),
			MessageID:    fmt.Sprintf("%d@mail.example.org", uid),
			References:   refs,
		}
		if len(refs) > 0 {
			msgs[i].InReplyTo = refs[len(refs)-1]
		}
	}
	return msgs
}

// BenchmarkPutMessagesInitialSync stores the headers of a mailbox's
// initial sync (see benchMessages) into a fresh store in batches of 1000,
// as the sync engine does.
func BenchmarkPutMessagesInitialSync(b *testing.B) {
	const n, batch = 20_000, 1000
	msgs := benchMessages(n)
	ctx := context.Background()
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		b.StopTimer()
		db, inbox := benchInbox(b)
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
}

// BenchmarkPutBodiesInitialSync stores the text bodies (2–12 KB) of a
// mailbox's initial sync into a store that holds their headers, in the
// 4 MB batches the sync engine writes, and then searches them, so that
// index tuning shows its cost to searches too (search-ms/op).
func BenchmarkPutBodiesInitialSync(b *testing.B) {
	const n = 10_000
	msgs := benchMessages(n)
	r := rand.New(rand.NewPCG(7, 8))
	words := strings.Fields("the quick brown fox jumps over a lazy dog while seven wizards quietly judge boxing matches über café naïve résumé")
	for i := range 2000 {
		words = append(words, fmt.Sprintf("w%dx", i)) // rarer words
	}
	texts := make([]string, n)
	total := 0
	for i := range texts {
		var sb strings.Builder
		for k := 2000 + r.IntN(10_000); sb.Len() < k; {
			sb.WriteString(words[r.IntN(len(words))])
			sb.WriteByte(' ')
		}
		texts[i] = sb.String()
		total += len(texts[i])
	}
	ctx := context.Background()
	var searching time.Duration
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		b.StopTimer()
		db, inbox := benchInbox(b)
		for i := 0; i < n; i += 1000 {
			if err := db.PutMessages(ctx, "a", inbox, msgs[i:min(i+1000, n)]); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		var batch []Body
		size := 0
		for i, m := range msgs {
			raw := []byte("Subject: x\r\n\r\n" + texts[i])
			batch = append(batch, Body{MessageID: m.ID, Raw: raw, Info: BodyInfo{Text: texts[i], Preview: texts[i][:100]}})
			if size += len(raw); size >= 4<<20 || i == n-1 {
				if _, err := db.PutBodies(ctx, batch); err != nil {
					b.Fatal(err)
				}
				batch, size = nil, 0
			}
		}
		b.StopTimer()
		start := time.Now()
		for _, q := range []string{"w17x", "quick w99x", "café", "invoice", "w1234x lazy"} {
			for range 20 {
				if _, err := db.Search(ctx, "a", q, 50); err != nil {
					b.Fatal(err)
				}
			}
		}
		searching += time.Since(start)
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(total)/1e6*float64(b.N)/b.Elapsed().Seconds(), "MB/s")
	b.ReportMetric(float64(searching.Milliseconds())/float64(b.N), "search-ms/op")
}

// benchInbox opens a fresh store in a temporary directory with one mailbox,
// INBOX of account "a", and returns the store and the mailbox's ID.
func benchInbox(b *testing.B) (*DB, int64) {
	b.Helper()
	db, err := Open(filepath.Join(b.TempDir(), "tern.db"))
	if err != nil {
		b.Fatal(err)
	}
	boxes, err := db.SetMailboxes(context.Background(), "a", []Mailbox{{Name: "INBOX", Selectable: true}})
	if err != nil {
		b.Fatal(err)
	}
	return db, boxes[0].ID
}

// benchFilledInbox is benchInbox holding the headers of n benchMessages,
// stored 1000 at a time; the store is closed when b ends.
func benchFilledInbox(b *testing.B, n int) (*DB, int64, []Message) {
	b.Helper()
	msgs := benchMessages(n)
	db, inbox := benchInbox(b)
	b.Cleanup(func() { db.Close() })
	for i := 0; i < n; i += 1000 {
		if err := db.PutMessages(context.Background(), "a", inbox, msgs[i:min(i+1000, n)]); err != nil {
			b.Fatal(err)
		}
	}
	return db, inbox, msgs
}

// BenchmarkMissingBodiesDrain takes the missing bodies of a 20,000-message
// mailbox 200 at a time, newest first, as the background body sync does,
// marking each page stored before asking for the next.
func BenchmarkMissingBodiesDrain(b *testing.B) {
	const n, page = 20_000, 200
	db, _, _ := benchFilledInbox(b, n)
	ctx := context.Background()
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		b.StopTimer()
		if _, err := db.w.Exec(`UPDATE messages SET has_body = 0`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for {
			got, err := db.MissingBodies(ctx, "a", time.Time{}, page)
			if err != nil {
				b.Fatal(err)
			}
			if len(got) == 0 {
				break
			}
			b.StopTimer()
			ids := make([]string, len(got))
			for i, m := range got {
				ids[i] = fmt.Sprint(m.ID)
			}
			if _, err := db.w.Exec(`UPDATE messages SET has_body = 1 WHERE id IN (` + strings.Join(ids, ",") + `)`); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
}

// BenchmarkUpdateFlags stores 1,000 server flag changes (a keyword on
// every hundredth message, on and off) in a 100,000-message mailbox: the
// store's share of a resync after 1% of flags changed.
func BenchmarkUpdateFlags(b *testing.B) {
	const n = 100_000
	db, inbox, msgs := benchFilledInbox(b, n)
	ctx := context.Background()
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		b.StopTimer()
		var ups []FlagUpdate
		for i := 0; i < 1000; i++ {
			fl := []string{`\Seen`, "$Bench"}
			if it%2 == 1 {
				fl = []string{`\Seen`}
			}
			ups = append(ups, FlagUpdate{UID: msgs[i*100].UID, Flags: fl, ModSeq: uint64(10 + it)})
		}
		b.StartTimer()
		c, err := db.UpdateFlags(ctx, inbox, msgs[0].UIDValidity, ups)
		if err != nil || c != 1000 {
			b.Fatalf("UpdateFlags = %d, %v; want 1000 changed", c, err)
		}
	}
}
