package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ternmail/tern/store/query"
)

// benchSearchStore fills a store with n messages of benchMessages in three
// folders (INBOX 60%, Archive 30%, Sent 10%), each with a body of 0.5–2 KB
// of text. "coffee" and "weekend" are each in about 80% of the bodies, the
// phrase "coffee weekend" in about 6%, and w0x…w1999x are rare words.
func benchSearchStore(b testing.TB, n int) (*DB, map[string]int64) {
	b.Helper()
	db, err := Open(filepath.Join(b.TempDir(), "tern.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db, fillSearchStore(b, db, n)
}

func fillSearchStore(b testing.TB, db *DB, n int) map[string]int64 {
	ctx := context.Background()
	boxes, err := db.SetMailboxes(ctx, "a", []Mailbox{
		{Name: "INBOX", Role: RoleInbox, Selectable: true},
		{Name: "Archive", Role: RoleArchive, Selectable: true},
		{Name: "Sent", Role: RoleSent, Selectable: true},
	})
	if err != nil {
		b.Fatal(err)
	}
	ids := map[string]int64{}
	for _, mb := range boxes {
		ids[mb.Name] = mb.ID
	}
	msgs := benchMessages(n)
	r := rand.New(rand.NewPCG(9, 10))
	words := strings.Fields("the quick brown fox jumps over a lazy dog while seven wizards quietly judge boxing matches über café naïve résumé meeting report")
	for i := range 2000 {
		words = append(words, fmt.Sprintf("w%dx", i))
	}
	split := []int{n * 6 / 10, n * 9 / 10, n}
	start := 0
	for k, name := range []string{"INBOX", "Archive", "Sent"} {
		part := msgs[start:split[k]]
		for i := range part {
			part[i].HasAttachments = r.IntN(10) == 0
		}
		for i := 0; i < len(part); i += 1000 {
			if err := db.PutMessages(ctx, "a", ids[name], part[i:min(i+1000, len(part))]); err != nil {
				b.Fatal(err)
			}
		}
		start = split[k]
	}
	rows, err := db.r.Query(`SELECT id, has_attachments FROM messages`)
	if err != nil {
		b.Fatal(err)
	}
	var all []int64
	att := map[int64]bool{}
	for rows.Next() {
		var id int64
		var a bool
		rows.Scan(&id, &a)
		all = append(all, id)
		att[id] = a
	}
	rows.Close()
	var batch []Body
	for i, id := range all {
		var sb strings.Builder
		for k := 500 + r.IntN(1500); sb.Len() < k; {
			switch x := r.IntN(100); {
			case x < 1:
				sb.WriteString("coffee ")
			case x < 2:
				sb.WriteString("weekend ")
			default:
				sb.WriteString(words[r.IntN(len(words))] + " ")
			}
		}
		if r.IntN(20) == 0 {
			sb.WriteString("coffee weekend")
		}
		text := sb.String()
		batch = append(batch, Body{MessageID: id, Raw: []byte("\r\n" + text), Info: BodyInfo{Text: text, HasAttachments: att[id]}})
		if len(batch) == 2000 || i == len(all)-1 {
			if _, err := db.PutBodies(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = nil
		}
	}
	return ids
}

// BenchmarkSearch100k measures the time to the first page (50 results,
// newest first) of searches over 100,000 messages, over all mail and in
// INBOX (the window's two scopes). ns/op is the time to first results;
// "matches" is how many messages the query matches in all.
func BenchmarkSearch100k(b *testing.B) {
	db, boxes := benchSearchStore(b, 100_000)
	ctx := context.Background()
	queries := []string{
		"c", "coffee", `"coffee weekend"`, "w1234x", "w17x lazy", "subject:invoice", "from:person12",
		"is:unread", "is:starred", "has:attachment", "coffee -weekend", "-is:read coffee",
		"after:2021-01-01", "in:archive report", `subject:"meeting invoice" is:read`,
	}
	for _, scope := range []string{"all", "INBOX"} {
		for _, text := range queries {
			q, err := query.Parse(text)
			if err != nil {
				b.Fatal(err)
			}
			opts := &SearchOptions{Limit: 50}
			if scope == "INBOX" {
				opts.MailboxID = boxes["INBOX"]
			}
			n, err := db.FindCount(ctx, q, opts)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(scope+"/"+text, func(b *testing.B) {
				for b.Loop() {
					if _, err := db.Find(ctx, q, opts); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n), "matches")
			})
		}
	}
}
