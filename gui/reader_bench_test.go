package gui

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/store"
)

// BenchmarkReaderShowCached measures showing a message whose body is in
// the store: the store read, the reader's view (parse, render, checks),
// the rich-text segments and Fyne's layout of them at a pane's width.
func BenchmarkReaderShowCached(b *testing.B) {
	for _, name := range []string{"forwarded.eml", "newsletter.eml"} {
		b.Run(name, func(b *testing.B) {
			raw, err := os.ReadFile(filepath.Join("..", "message", "testdata", "corpus", name))
			if err != nil {
				b.Fatal(err)
			}
			test.NewTempApp(b)
			db, err := store.Open(filepath.Join(b.TempDir(), "tern.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			boxes, _ := db.SetMailboxes(ctx, "a", []store.Mailbox{{Name: "INBOX", Selectable: true}})
			if err := db.PutMessages(ctx, "a", boxes[0].ID, []store.Message{{UIDValidity: 1, UID: 1, Subject: "x", InternalDate: time.Now()}}); err != nil {
				b.Fatal(err)
			}
			missing, _ := db.MissingBodies(ctx, "a", time.Time{}, 1)
			if len(missing) != 1 {
				b.Fatal("no message")
			}
			id := missing[0].ID
			if err := db.PutBody(ctx, id, raw, store.BodyInfo{}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				body, err := db.Body(ctx, id)
				if err != nil {
					b.Fatal(err)
				}
				v, err := app.NewReaderView(id, body)
				if err != nil {
					b.Fatal(err)
				}
				var rt *widget.RichText
				if wantsRich(v) {
					doc, _ := boundDoc(v.Doc, maxRichTextBytes)
					rt = widget.NewRichText(segmentsFor(doc, nil, linkActions{}, nil)...)
				} else {
					rt = widget.NewRichTextWithText(bodyText(v.Message))
				}
				rt.Wrapping = fyne.TextWrapWord
				rt.Resize(fyne.NewSize(700, 100))
				test.WidgetRenderer(rt).Layout(fyne.NewSize(700, rt.MinSize().Height))
				if len(v.Doc.Blocks) == 0 {
					b.Fatal("nothing rendered")
				}
			}
		})
	}
}
