package gui

import (
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/message"
)

// maxRichTextBytes bounds the text handed to the rich text view: Fyne
// measures every row of it on the UI goroutine (about a second for 32 KiB
// of text), so a longer body is cut, with a note, and the rest is left to
// the browser and the source view.
const maxRichTextBytes = 64 << 10

// longNoteText is the note shown above a body that is not shown in full.
const longNoteText = "This message is too long to show in full."

// newLongNote builds the note shown when a body is cut, with the ways to
// see all of it.
func (r *reader) newLongNote() *fyne.Container {
	r.longText = &widget.Label{Text: longNoteText, Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance}
	r.longBrowserBtn = widget.NewButtonWithIcon("Open in browser", theme.ComputerIcon(), r.openInBrowser)
	r.longSourceBtn = widget.NewButtonWithIcon("View source", theme.FileTextIcon(), r.viewSource)
	note := container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()),
		container.NewHBox(r.longBrowserBtn, r.longSourceBtn), r.longText)
	note.Hide()
	return note
}

// boundDoc returns doc, or a copy of it that keeps only the blocks whose
// text fits in max bytes, and whether blocks were left out.
func boundDoc(doc *message.Document, max int) (*message.Document, bool) {
	total := 0
	for i := range doc.Blocks {
		total += blockTextLen(&doc.Blocks[i])
		if total > max {
			if i == 0 {
				i = 1 // a first block over the bound still shows (the renderer bounds blocks)
			}
			cut := *doc
			cut.Blocks = doc.Blocks[:i]
			return &cut, true
		}
	}
	return doc, false
}

func blockTextLen(b *message.Block) int {
	n := len(message.SpansText(b.Spans))
	for _, row := range b.Rows {
		for _, c := range row {
			n += len(message.SpansText(c.Spans))
		}
	}
	return n
}

// showLongNote shows or hides the too-long note for the shown body: cut
// by the parser (its decoded-size limit), the renderer or the rich view
// (cut), or too long for the plain view.
func (r *reader) showLongNote(cut bool) {
	v := r.view
	long := v != nil && (cut || v.Doc.Truncated || utf8.RuneCountInString(v.Message.Text) > maxBodyRunes)
	if v != nil {
		for _, w := range v.Message.Warnings {
			long = long || strings.Contains(w, "decoded text larger than")
		}
	}
	if long {
		r.longNote.Show()
	} else {
		r.longNote.Hide()
	}
}
