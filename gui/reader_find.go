package gui

import (
	"fmt"
	"image/color"
	"strings"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// maxMarks bounds the matches drawn highlighted; further ones are only
// counted.
const maxMarks = 2000

// finder is the state of "Find in message" while segments are built: the
// query, which match is the current one, and the matches seen so far.
type finder struct {
	query   string // lower case
	current int    // index of the current match
	n       int    // matches seen while building
	// mark is the visual of the current match once drawn.
	mark fyne.CanvasObject
	// markable says the current match has a mark of its own (matches in
	// links and tables have none).
	markable bool
}

// matchRanges returns the byte ranges of text that match lower (a lower
// case query), case-insensitively, without overlaps.
func matchRanges(text, lower string) [][2]int {
	if lower == "" || text == "" {
		return nil
	}
	// Lower-case text rune by rune, remembering where each lowered byte
	// came from, so that a match maps back to the original text.
	var buf strings.Builder
	buf.Grow(len(text))
	from := make([]int, 0, len(text)+1)
	for i, r := range text {
		l := unicode.ToLower(r)
		n := utf8.RuneLen(l)
		if n < 0 {
			l, n = utf8.RuneError, 3
		}
		buf.WriteRune(l)
		for range n {
			from = append(from, i)
		}
	}
	from = append(from, len(text))
	low := buf.String()
	var out [][2]int
	for at := 0; at <= len(low)-len(lower); {
		k := strings.Index(low[at:], lower)
		if k < 0 {
			break
		}
		s, e := at+k, at+k+len(lower)
		out = append(out, [2]int{from[s], from[e]})
		at = e
	}
	return out
}

// count counts the matches in text (links, table cells) and reports
// whether any was found.
func (f *finder) count(text string) bool {
	if f == nil {
		return false
	}
	n := len(matchRanges(text, f.query))
	f.n += n
	return n > 0
}

// split returns text as segments in style st with the matches marked.
func (f *finder) split(text string, st widget.RichTextStyle) []widget.RichTextSegment {
	if f == nil || f.query == "" {
		return []widget.RichTextSegment{&widget.TextSegment{Style: st, Text: text}}
	}
	ranges := matchRanges(text, f.query)
	if len(ranges) == 0 {
		return []widget.RichTextSegment{&widget.TextSegment{Style: st, Text: text}}
	}
	inline := st
	inline.Inline = true
	var segs []widget.RichTextSegment
	last := 0
	for _, r := range ranges {
		if r[0] > last {
			segs = append(segs, &widget.TextSegment{Style: inline, Text: text[last:r[0]]})
		}
		idx := f.n
		f.n++
		if idx >= maxMarks || strings.Contains(text[r[0]:r[1]], "\n") {
			segs = append(segs, &widget.TextSegment{Style: inline, Text: text[r[0]:r[1]]})
		} else {
			m := &markSegment{text: text[r[0]:r[1]], style: st, current: idx == f.current}
			if m.current {
				m.onVisual = func(o fyne.CanvasObject) { f.mark = o }
				f.markable = true
			}
			segs = append(segs, m)
		}
		last = r[1]
	}
	// The last piece ends the paragraph as the original did.
	segs = append(segs, &widget.TextSegment{Style: st, Text: text[last:]})
	return segs
}

// markSegment is a find match: its text on a highlighted background.
type markSegment struct {
	text     string
	style    widget.RichTextStyle
	current  bool
	onVisual func(fyne.CanvasObject)
}

func (m *markSegment) Inline() bool    { return true }
func (m *markSegment) Textual() string { return m.text }

func (m *markSegment) Visual() fyne.CanvasObject {
	l := &widget.Label{Text: m.text, TextStyle: m.style.TextStyle, SizeName: m.style.SizeName}
	if l.SizeName == "" {
		l.SizeName = theme.SizeNameText
	}
	bg := canvas.NewRectangle(markColor(m.current))
	bg.CornerRadius = 2
	o := &fyne.Container{Layout: &unpadLayout{}, Objects: []fyne.CanvasObject{bg, l}}
	if m.onVisual != nil {
		m.onVisual(o)
	}
	return o
}

func (m *markSegment) Update(o fyne.CanvasObject) {
	c, ok := o.(*fyne.Container)
	if !ok || len(c.Objects) != 2 {
		return
	}
	if bg, ok := c.Objects[0].(*canvas.Rectangle); ok {
		bg.FillColor = markColor(m.current)
		bg.Refresh()
	}
	if l, ok := c.Objects[1].(*widget.Label); ok {
		l.Text, l.TextStyle = m.text, m.style.TextStyle
		l.Refresh()
	}
	if m.onVisual != nil {
		m.onVisual(o)
	}
}

func (m *markSegment) Select(_, _ fyne.Position) {}
func (m *markSegment) SelectedText() string      { return "" }
func (m *markSegment) Unselect()                 {}

// markColor is the background of a match: strong for the current one.
func markColor(current bool) color.Color {
	if current {
		return color.NRGBA{R: 0xff, G: 0x9f, B: 0x1a, A: 0xd0}
	}
	return color.NRGBA{R: 0xff, G: 0xe0, B: 0x4d, A: 0x90}
}

// unpadLayout lays a label (last object) without its inner padding, with
// the other objects (its background) behind it at the same place.
type unpadLayout struct{}

func (u *unpadLayout) Layout(o []fyne.CanvasObject, s fyne.Size) {
	l := o[len(o)-1]
	pad := theme.SizeForWidget(theme.SizeNameInnerPadding, l.(fyne.Widget))
	for _, x := range o[:len(o)-1] {
		x.Move(fyne.NewPos(0, 0))
		x.Resize(s)
	}
	l.Move(fyne.NewPos(-pad, -pad))
	l.Resize(s.Add(fyne.NewSize(2*pad, 2*pad)))
}

func (u *unpadLayout) MinSize(o []fyne.CanvasObject) fyne.Size {
	l := o[len(o)-1]
	pad := theme.SizeForWidget(theme.SizeNameInnerPadding, l.(fyne.Widget))
	return l.MinSize().Subtract(fyne.NewSize(2*pad, 2*pad))
}

// findEntry is the find bar's entry: Enter finds the next match, Escape
// closes the bar.
type findEntry struct {
	widget.Entry
	onEscape func()
}

func newFindEntry(onEscape func()) *findEntry {
	e := &findEntry{onEscape: onEscape}
	e.ExtendBaseWidget(e)
	e.PlaceHolder = "Find in message"
	return e
}

// TypedKey closes the bar on Escape.
func (e *findEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		if e.onEscape != nil {
			e.onEscape()
		}
		return
	}
	e.Entry.TypedKey(k)
}

// buildFindBar makes the find bar, hidden.
func (r *reader) buildFindBar() {
	r.findEntry = newFindEntry(r.closeFind)
	r.findEntry.OnChanged = func(string) { r.findChanged() }
	r.findEntry.OnSubmitted = func(string) { r.findNext(1) }
	r.findCount = &widget.Label{Importance: widget.LowImportance}
	prev := widget.NewButtonWithIcon("", theme.MoveUpIcon(), func() { r.findNext(-1) })
	next := widget.NewButtonWithIcon("", theme.MoveDownIcon(), func() { r.findNext(1) })
	closeBtn := widget.NewButtonWithIcon("", theme.CancelIcon(), r.closeFind)
	for _, b := range []*widget.Button{prev, next, closeBtn} {
		b.Importance = widget.LowImportance
	}
	r.findBar = container.NewBorder(nil, widget.NewSeparator(), widget.NewIcon(theme.SearchIcon()),
		container.NewHBox(r.findCount, prev, next, closeBtn), r.findEntry)
	r.findBar.Hide()
}

// openFind shows the find bar and focuses it (Ctrl+F).
func (r *reader) openFind() {
	if r.st != readerLoaded {
		return
	}
	r.findBar.Show()
	r.w.win.Canvas().Focus(r.findEntry)
	if r.findEntry.Text != "" {
		r.findChanged()
	}
}

// closeFind hides the find bar and the highlights (Escape).
func (r *reader) closeFind() {
	if !r.findBar.Visible() {
		return
	}
	r.findBar.Hide()
	r.find = nil
	r.renderBody()
	r.w.win.Canvas().Unfocus()
}

// findChanged searches for the entry's text from the first match.
func (r *reader) findChanged() {
	q := strings.ToLower(strings.TrimSpace(r.findEntry.Text))
	if q == "" {
		r.find = nil
	} else {
		r.find = &finder{query: q}
	}
	r.renderBody()
	r.scrollToMatch()
}

// findNext moves to the next (dir 1) or previous (dir -1) match.
func (r *reader) findNext(dir int) {
	f := r.find
	if f == nil || f.n == 0 {
		return
	}
	f.current = (f.current + dir + f.n) % f.n
	r.renderBody()
	r.scrollToMatch()
}

// updateFindCount shows "3 of 12" after a render.
func (r *reader) updateFindCount() {
	f := r.find
	switch {
	case f == nil:
		r.findCount.SetText("")
	case f.n == 0:
		r.findCount.SetText("No matches")
	default:
		if f.current >= f.n {
			f.current = 0
		}
		r.findCount.SetText(fmt.Sprintf("%d of %d", f.current+1, f.n))
	}
}

// scrollToMatch scrolls the body so that the current match shows, a
// third of the way down. Matches without a mark of their own (in links
// and tables) are found by their rank among all matches.
func (r *reader) scrollToMatch() {
	f := r.find
	if f == nil || f.n == 0 {
		return
	}
	r.scroll.Refresh()
	view := r.scroll.Size().Height
	content := r.scroll.Content.MinSize().Height
	y := float32(-1)
	if f.mark != nil && f.markable {
		d := r.w.app.Driver()
		if mark := d.AbsolutePositionForObject(f.mark); !mark.IsZero() {
			y = r.scroll.Offset.Y + mark.Y - d.AbsolutePositionForObject(r.scroll).Y
		}
	}
	if y < 0 {
		body := r.bodyBox.Position().Y
		y = body + r.bodyBox.Size().Height*float32(f.current)/float32(f.n)
	}
	y -= view / 3
	y = max(0, min(y, content-view))
	r.scroll.ScrollToOffset(fyne.NewPos(0, y))
	r.scroll.Refresh()
}
