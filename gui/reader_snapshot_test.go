package gui

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/store"
)

// TestReaderSnapshots renders the reader pane alone, at a fixed size in
// the test theme, for a few corpus messages, and compares it with the
// images in testdata (on a mismatch, the new rendering is written to
// testdata/failed). The date is fixed, as it depends on the time zone.
func TestReaderSnapshots(t *testing.T) {
	for _, name := range []string{"newsletter", "receipt", "outlook", "forwarded"} {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("..", "message", "testdata", "corpus", name+".eml"))
			if err != nil {
				t.Fatal(err)
			}
			a := test.NewTempApp(t)
			w := &MainWindow{app: a, opts: Options{Logf: t.Logf, dispatch: func(fn func()) { fn() }}}
			w.ctx, w.cancel = context.WithCancel(context.Background())
			t.Cleanup(w.cancel)
			w.win = test.NewTempWindow(t, nil)
			r := newReader(w)
			v, err := app.NewReaderView(1, raw)
			if err != nil {
				t.Fatal(err)
			}
			imgs := loadImages(w.ctx, r.loader, v, false)
			r.msg, r.st = store.Message{ID: 1}, readerLoaded
			r.setPage(r.page)
			r.setOptional(r.ccKey, r.cc, "")
			r.fillView(v, imgs)
			r.date.SetText("Mon, Mar 3, 2025 at 08:00")
			w.win.SetContent(r.root)
			w.win.Resize(fyne.NewSize(640, 820))
			test.AssertImageMatches(t, "reader_"+name+".png", w.win.Canvas().Capture())
		})
	}
}
