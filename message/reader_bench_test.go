package message_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/store"
)

// cachedMessage stores raw as the body of a message in a fresh store and
// returns the store and the message's ID.
func cachedMessage(b *testing.B, raw []byte) (*store.DB, int64) {
	b.Helper()
	db, err := store.Open(filepath.Join(b.TempDir(), "tern.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	ctx := context.Background()
	boxes, err := db.SetMailboxes(ctx, "a", []store.Mailbox{{Name: "INBOX", Selectable: true}})
	if err != nil {
		b.Fatal(err)
	}
	if err := db.PutMessages(ctx, "a", boxes[0].ID, []store.Message{{UIDValidity: 1, UID: 1, Subject: "x", InternalDate: time.Now()}}); err != nil {
		b.Fatal(err)
	}
	missing, err := db.MissingBodies(ctx, "a", time.Time{}, 1)
	if err != nil || len(missing) != 1 {
		b.Fatal(err, len(missing))
	}
	m, _ := message.Parse(raw, nil)
	if err := db.PutBody(ctx, missing[0].ID, raw, store.BodyInfo{Text: m.Text, Preview: message.Preview(m.Text, 100)}); err != nil {
		b.Fatal(err)
	}
	return db, missing[0].ID
}

// BenchmarkOpenPlainMessage measures what the reader does to show a
// cached plain message, short of the toolkit: read the body from the store
// and build the reader's view of it (parse, render, sender checks, header
// list, invitations), as app.Core.OpenForReading does. The GUI's part
// (segments and layout) is gui's BenchmarkReaderShowCached.
func BenchmarkOpenPlainMessage(b *testing.B) {
	raw, err := os.ReadFile("testdata/corpus/forwarded.eml")
	if err != nil {
		b.Fatal(err)
	}
	db, id := cachedMessage(b, raw)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		body, err := db.Body(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		v, err := app.NewReaderView(id, body)
		if err != nil || len(v.Doc.Blocks) == 0 {
			b.Fatal(err)
		}
	}
}
