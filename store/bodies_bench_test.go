package store

import (
	"context"
	"encoding/base64"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkPutBodies stores bodies the size of a real mailbox's (mostly
// 5–30 KB of text, one in ten with a 100–600 KB attachment), in the 4 MB
// batches the sync engine writes, with their search text.
func BenchmarkPutBodies(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "tern.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	boxes, _ := db.SetMailboxes(ctx, "a", []Mailbox{{Name: "INBOX", Selectable: true}})
	r := rand.New(rand.NewPCG(3, 4))
	words := strings.Fields("the quick brown fox jumps over a lazy dog while seven wizards quietly judge boxing matches über café naïve résumé")
	text := func(n int) string {
		var sb strings.Builder
		for sb.Len() < n {
			sb.WriteString(words[r.IntN(len(words))])
			sb.WriteByte(' ')
		}
		return sb.String()
	}
	const n = 2000
	var msgs []Message
	for i := 1; i <= n; i++ {
		msgs = append(msgs, Message{UIDValidity: 1, UID: uint32(i), Subject: "Subject " + text(40), InternalDate: time.Unix(int64(i), 0)})
	}
	if err := db.PutMessages(ctx, "a", boxes[0].ID, msgs); err != nil {
		b.Fatal(err)
	}
	stored, _ := db.MissingBodies(ctx, "a", time.Time{}, n)
	bodies := make([]Body, len(stored))
	total := 0
	for i, m := range stored {
		t := text(5000 + r.IntN(25000))
		raw := "Subject: x\r\n\r\n" + t
		if i%10 == 0 {
			blob := make([]byte, 100_000+r.IntN(500_000))
			for j := range blob {
				blob[j] = byte(r.Uint32())
			}
			raw += "\r\n" + base64.StdEncoding.EncodeToString(blob)
		}
		bodies[i] = Body{MessageID: m.ID, Raw: []byte(raw), Info: BodyInfo{Text: t, Preview: t[:100]}}
		total += len(raw)
	}
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		var batch []Body
		size := 0
		for _, body := range bodies {
			batch = append(batch, body)
			if size += len(body.Raw); size >= 4<<20 {
				if _, err := db.PutBodies(ctx, batch); err != nil {
					b.Fatal(err)
				}
				batch, size = nil, 0
			}
		}
		if _, err := db.PutBodies(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total)/1e6*float64(b.N)/b.Elapsed().Seconds(), "MB/s")
}
