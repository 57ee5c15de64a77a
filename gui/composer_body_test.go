package gui

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
)

func TestBodyEditorChunks(t *testing.T) {
	a := test.NewTempApp(t)
	win := a.NewWindow("body")
	ed := newBodyEditor(func() fyne.Canvas { return win.Canvas() }, nil)
	win.SetContent(ed.root)
	win.Resize(fyne.NewSize(600, 400))
	var lines []string
	for i := 0; i < 100; i++ {
		lines = append(lines, fmt.Sprintf("> line %d", i))
	}
	text := "top\n\n" + strings.Join(lines, "\n")
	ed.SetText(text)
	if len(ed.chunks) < 4 || ed.Text() != text {
		t.Fatalf("%d chunks, text round trip %v", len(ed.chunks), ed.Text() == text)
	}
	n := len(ed.chunks)

	// Down from the last row of a chunk goes to the next one.
	first := ed.chunks[0]
	first.CursorRow, first.CursorColumn = first.lastRow(), 2
	ed.focus(first)
	first.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	if ed.focused() != ed.chunks[1] || ed.chunks[1].CursorRow != 0 {
		t.Fatalf("Down: focus %p, want chunk 1", ed.focused())
	}
	// Up comes back.
	ed.chunks[1].TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	if ed.focused() != first {
		t.Fatal("Up did not go back to chunk 0")
	}

	// Backspace at the start of a chunk joins it to the previous one.
	second := ed.chunks[1]
	joint := len(first.Text) // where the line break between them is
	second.CursorRow, second.CursorColumn = 0, 0
	ed.focus(second)
	second.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
	if got := ed.Text(); len(got) != len(text)-1 || len(ed.chunks) > n {
		t.Fatalf("after Backspace: %d chunks, len %d (want %d)", len(ed.chunks), len(got), len(text)-1)
	}
	c := ed.focused()
	test.Type(c, "X")
	if strings.Index(ed.Text(), "X") != joint || len(ed.Text()) != len(text) {
		t.Fatalf("typing at the joint: %q", ed.Text()[:80])
	}

	// Delete at the end of a chunk joins the next one.
	last := ed.chunks[len(ed.chunks)-2]
	last.setOffset(last.textLen())
	ed.focus(last)
	before := ed.Text()
	last.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	if len(ed.Text()) != len(before)-1 {
		t.Fatalf("Delete at a chunk end: len %d, want %d", len(ed.Text()), len(before)-1)
	}

	// Shift held (capitals) neither selects nor loses characters.
	c = ed.chunks[0]
	ed.focus(c)
	c.setOffset(0)
	shift := &fyne.KeyEvent{Name: desktop.KeyShiftLeft}
	c.KeyDown(shift)
	test.Type(c, "AB")
	c.KeyUp(shift)
	test.Type(c, "c")
	if !strings.HasPrefix(ed.Text(), "ABctop") || c.SelectedText() != "" {
		t.Fatalf("typing with Shift: %q (selected %q)", ed.Text()[:10], c.SelectedText())
	}

	// A long text typed or pasted into one chunk is split again.
	ed.SetText("")
	big := strings.Repeat("pasted line\n", 200)
	c = ed.chunks[0]
	ed.focus(c)
	c.SetText(big)
	ed.rebalance(c)
	if len(ed.chunks) < 5 || ed.Text() != big {
		t.Fatalf("after a big paste: %d chunks", len(ed.chunks))
	}
}
