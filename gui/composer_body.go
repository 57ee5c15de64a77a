package gui

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The composer's body editor.
//
// Fyne's multi-line Entry redraws its text row by row, and for every row
// converts its whole text to runes: typing one character into a 30,000
// character reply costs about 60 ms, which is visible lag. bodyEditor
// keeps the text in a column of plain Entries (chunks) of at most
// chunkLines lines each, inside one scroll container, so a keystroke only
// redraws its own chunk. The chunks look like one field: their own
// backgrounds and borders are transparent and there is no gap between
// them. The arrow keys, Backspace and Delete cross chunk boundaries as if
// the text were one; a selection stays inside one chunk.
const (
	chunkLines    = 20
	maxChunkLines = 3 * chunkLines // a chunk grown beyond this (a paste) is split again
)

type bodyEditor struct {
	// later runs a function on the UI goroutine after the current event.
	later     func(func())
	chunks    []*bodyChunk
	box       *fyne.Container
	scroll    *container.Scroll
	root      fyne.CanvasObject
	onChanged func()
	// onKey lets the composer see keys first (Escape); true means handled.
	onKey      func(*fyne.KeyEvent) bool
	onShortcut func(fyne.Shortcut) bool
	canvas     func() fyne.Canvas
}

// bodyChunk is one Entry of a bodyEditor.
type bodyChunk struct {
	widget.Entry
	ed    *bodyEditor
	rows  int          // the rows it is sized for
	shift fyne.KeyName // the Shift key held down, "" if none
}

// KeyDown notes a Shift key held, which makes the Entry select as the
// cursor moves.
func (c *bodyChunk) KeyDown(ev *fyne.KeyEvent) {
	if ev.Name == desktop.KeyShiftLeft || ev.Name == desktop.KeyShiftRight {
		c.shift = ev.Name
	}
	c.Entry.KeyDown(ev)
}

// KeyUp notes the Shift key released.
func (c *bodyChunk) KeyUp(ev *fyne.KeyEvent) {
	if ev.Name == c.shift {
		c.shift = ""
	}
	c.Entry.KeyUp(ev)
}

func newBodyEditor(canvasOf func() fyne.Canvas, later func(func())) *bodyEditor {
	ed := &bodyEditor{canvas: canvasOf, later: later}
	ed.box = container.NewVBox()
	ed.scroll = container.NewVScroll(ed.box)
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.StrokeColor = theme.Color(theme.ColorNameInputBorder)
	bg.StrokeWidth = theme.Size(theme.SizeNameInputBorder)
	bg.CornerRadius = theme.Size(theme.SizeNameInputRadius)
	inner := container.NewThemeOverride(ed.scroll, chunkTheme{fyne.CurrentApp().Settings().Theme()})
	ed.root = container.NewStack(bg, inner)
	ed.SetText("")
	return ed
}

func (ed *bodyEditor) newChunk(text string) *bodyChunk {
	c := &bodyChunk{ed: ed}
	c.MultiLine = true
	c.Wrapping = fyne.TextWrapWord
	c.Scroll = container.ScrollNone
	c.ExtendBaseWidget(c)
	c.SetText(text)
	// A wrapping Entry scrolls inside a height of MinRowsVisible rows: size
	// it for its text (fit corrects this once it knows its width).
	c.rows = strings.Count(text, "\n") + 1
	c.SetMinRowsVisible(c.rows)
	c.OnChanged = func(string) {
		ed.fit(c)
		if ed.onChanged != nil {
			ed.onChanged()
		}
	}
	return c
}

// Resize refits the chunk to its text when its width changes.
func (c *bodyChunk) Resize(size fyne.Size) {
	changed := size.Width != c.Size().Width
	c.Entry.Resize(size)
	if changed && c.ed.later != nil {
		c.ed.later(func() { c.ed.fit(c) })
	}
}

// fit sizes c to show all its rows, so that it never scrolls by itself.
func (ed *bodyEditor) fit(c *bodyChunk) {
	if c.SelectedText() != "" || c.Size().Width <= 0 {
		return
	}
	row, col := c.CursorRow, c.CursorColumn
	rows := c.lastRow() + 1
	c.CursorRow, c.CursorColumn = row, col
	if rows == c.rows {
		c.Refresh()
		return
	}
	c.rows = rows
	c.SetMinRowsVisible(rows)
	ed.box.Refresh()
}

// Text returns the whole body, LF line breaks.
func (ed *bodyEditor) Text() string {
	parts := make([]string, len(ed.chunks))
	for i, c := range ed.chunks {
		parts[i] = c.Text
	}
	return strings.Join(parts, "\n")
}

// SetText replaces the body and puts the cursor at its start.
func (ed *bodyEditor) SetText(text string) {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	ed.chunks = nil
	for _, part := range splitChunks(text) {
		ed.chunks = append(ed.chunks, ed.newChunk(part))
	}
	ed.relayout()
}

// splitChunks cuts text into pieces of about chunkLines lines, at a blank
// line or a change of quoting when there is one near, so that a paragraph
// rarely spans two chunks.
func splitChunks(text string) []string {
	lines := strings.Split(text, "\n")
	var out []string
	for len(lines) > maxChunkLines || len(lines) > chunkLines && len(out) == 0 && len(lines) > chunkLines*3/2 {
		cut := chunkLines
		for i := chunkLines; i > chunkLines/2; i-- {
			if strings.TrimLeft(lines[i], "> ") == "" {
				cut = i
				break
			}
		}
		out = append(out, strings.Join(lines[:cut], "\n"))
		lines = lines[cut:]
	}
	return append(out, strings.Join(lines, "\n"))
}

func (ed *bodyEditor) relayout() {
	objs := make([]fyne.CanvasObject, len(ed.chunks))
	for i, c := range ed.chunks {
		objs[i] = c
	}
	ed.box.Objects = objs
	ed.box.Refresh()
}

func (ed *bodyEditor) index(c *bodyChunk) int {
	for i, x := range ed.chunks {
		if x == c {
			return i
		}
	}
	return -1
}

// Focus puts the keyboard focus in the body at its start.
func (ed *bodyEditor) Focus() {
	c := ed.chunks[0]
	c.CursorRow, c.CursorColumn = 0, 0
	ed.focus(c)
}

// focused returns the chunk with the focus, or nil.
func (ed *bodyEditor) focused() *bodyChunk {
	cv := ed.canvas()
	if cv == nil {
		return nil
	}
	if c, ok := cv.Focused().(*bodyChunk); ok && c.ed == ed {
		return c
	}
	return nil
}

func (ed *bodyEditor) focus(c *bodyChunk) {
	if cv := ed.canvas(); cv != nil {
		cv.Focus(c)
	}
	ed.reveal(c)
}

// reveal scrolls so that c's cursor row is visible.
func (ed *bodyEditor) reveal(c *bodyChunk) {
	th := c.Theme()
	lineH := fyne.MeasureText("M", th.Size(theme.SizeNameText), c.TextStyle).Height
	y := c.Position().Y + th.Size(theme.SizeNameInnerPadding) + float32(c.CursorRow)*lineH
	view := ed.scroll.Size().Height
	off := ed.scroll.Offset
	switch {
	case y < off.Y:
		off.Y = y
	case y+2*lineH > off.Y+view:
		off.Y = y + 2*lineH - view
	default:
		return
	}
	if off.Y < 0 {
		off.Y = 0
	}
	ed.scroll.ScrollToOffset(off)
}

// textLen is the length of c's text in runes.
func (c *bodyChunk) textLen() int { return len([]rune(c.Text)) }

// TypedKey moves across chunk boundaries where the Entry would stop.
func (c *bodyChunk) TypedKey(ev *fyne.KeyEvent) {
	ed := c.ed
	if ed.onKey != nil && ed.onKey(ev) {
		return
	}
	i := ed.index(c)
	switch ev.Name {
	case fyne.KeyUp, fyne.KeyDown:
		row, col := c.CursorRow, c.CursorColumn
		c.Entry.TypedKey(ev)
		if c.CursorRow != row || i < 0 {
			ed.reveal(c)
			return
		}
		if ev.Name == fyne.KeyUp && i > 0 {
			p := ed.chunks[i-1]
			p.CursorRow, p.CursorColumn = p.lastRow(), col
			ed.focus(p)
			p.Refresh()
		} else if ev.Name == fyne.KeyDown && i+1 < len(ed.chunks) {
			n := ed.chunks[i+1]
			n.CursorRow, n.CursorColumn = 0, col
			ed.focus(n)
			n.Refresh()
		}
		return
	case fyne.KeyBackspace:
		if i > 0 && c.CursorRow == 0 && c.CursorColumn == 0 && c.SelectedText() == "" {
			ed.merge(i - 1)
			return
		}
	case fyne.KeyDelete:
		if i >= 0 && i+1 < len(ed.chunks) && c.CursorTextOffset() == c.textLen() && c.SelectedText() == "" {
			ed.merge(i)
			return
		}
	case fyne.KeyPageUp, fyne.KeyPageDown:
		off := ed.scroll.Offset
		if ev.Name == fyne.KeyPageUp {
			off.Y -= ed.scroll.Size().Height
		} else {
			off.Y += ed.scroll.Size().Height
		}
		ed.scroll.ScrollToOffset(off)
		return
	}
	c.Entry.TypedKey(ev)
	if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
		ed.rebalance(c)
	}
	ed.reveal(c)
}

// lastRow returns the last (wrapped) row of c. It moves the cursor: the
// caller puts it back.
func (c *bodyChunk) lastRow() int {
	if c.shift != "" {
		// With Shift down, the probe would select: release it meanwhile.
		ev := &fyne.KeyEvent{Name: c.shift}
		c.Entry.KeyUp(ev)
		defer c.Entry.KeyDown(ev)
	}
	c.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageDown}) // the last row
	return c.CursorRow
}

// TypedRune types r and keeps the cursor visible.
func (c *bodyChunk) TypedRune(r rune) {
	c.Entry.TypedRune(r)
	c.ed.reveal(c)
}

// TypedShortcut gives the composer's shortcuts to the composer, and splits
// a chunk that a paste made long.
func (c *bodyChunk) TypedShortcut(s fyne.Shortcut) {
	if c.ed.onShortcut != nil && c.ed.onShortcut(s) {
		return
	}
	c.Entry.TypedShortcut(s)
	if _, ok := s.(*fyne.ShortcutPaste); ok {
		c.ed.rebalance(c)
	}
}

// merge joins chunk i and the next one, keeping the cursor at the joint.
func (ed *bodyEditor) merge(i int) {
	a, b := ed.chunks[i], ed.chunks[i+1]
	pos := a.textLen()
	a.SetText(a.Text + "\n" + b.Text)
	ed.chunks = append(ed.chunks[:i+1], ed.chunks[i+2:]...)
	ed.relayout()
	a.setOffset(pos + 1)
	a.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
	ed.focus(a)
	ed.rebalance(a)
}

// setOffset puts c's cursor at rune offset pos.
func (c *bodyChunk) setOffset(pos int) {
	c.CursorRow, c.CursorColumn = 0, 0
	// Walk the text: rows are lines here (the wrapped rows of a line are
	// reached by moving right).
	runes := []rune(c.Text)
	row, col := 0, 0
	for k := 0; k < pos && k < len(runes); k++ {
		if runes[k] == '\n' {
			row++
			col = 0
		} else {
			col++
		}
	}
	c.CursorRow, c.CursorColumn = row, col
	if c.Wrapping != fyne.TextWrapOff {
		// Entry counts wrapped rows: let it recompute from a position on
		// the unwrapped line by walking right from the line start.
		c.CursorRow, c.CursorColumn = c.rowOfLine(row), 0
		for k := 0; k < col; k++ {
			c.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
		}
	}
	c.Refresh()
}

// rowOfLine returns the wrapped row where line n of c starts.
func (c *bodyChunk) rowOfLine(n int) int {
	c.CursorRow, c.CursorColumn = 0, 0
	row := 0
	for line := 0; line < n; {
		before := c.CursorTextOffset()
		c.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnd})
		c.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
		after := c.CursorTextOffset()
		if after == before {
			break
		}
		if []rune(c.Text)[after-1] == '\n' {
			line++
		}
		row = c.CursorRow
	}
	return row
}

// rebalance splits c when it has grown beyond maxChunkLines lines.
func (ed *bodyEditor) rebalance(c *bodyChunk) {
	if strings.Count(c.Text, "\n") < maxChunkLines {
		return
	}
	i := ed.index(c)
	pos := c.CursorTextOffset()
	parts := splitChunks(c.Text)
	var chunks []*bodyChunk
	chunks = append(chunks, ed.chunks[:i]...)
	var focus *bodyChunk
	focusPos := 0
	start := 0
	for k, p := range parts {
		nc := c
		if k > 0 {
			nc = ed.newChunk(p)
		} else {
			c.SetText(p)
		}
		n := len([]rune(p))
		if focus == nil && pos <= start+n {
			focus, focusPos = nc, pos-start
		}
		start += n + 1
		chunks = append(chunks, nc)
	}
	chunks = append(chunks, ed.chunks[i+1:]...)
	ed.chunks = chunks
	ed.relayout()
	if focus == nil {
		focus, focusPos = chunks[i+len(parts)-1], 0
	}
	focus.setOffset(focusPos)
	ed.focus(focus)
}

// chunkTheme hides the chunks' own borders and backgrounds and the gaps
// between them, so that the column looks like one field.
type chunkTheme struct{ fyne.Theme }

func (t chunkTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	switch n {
	case theme.ColorNameInputBackground, theme.ColorNameInputBorder:
		return color.Transparent
	}
	return t.Theme.Color(n, v)
}

func (t chunkTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNamePadding:
		return 0
	}
	return t.Theme.Size(n)
}
