package widgets

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// HoverLink is a hyperlink that reports the mouse entering and leaving
// it, so that the window can show where it really goes. Tapping calls
// OnTapped only; it never opens anything by itself.
type HoverLink struct {
	widget.Hyperlink
	// OnHover is called with true when the pointer enters the link and
	// false when it leaves.
	OnHover func(in bool)
}

// NewHoverLink returns a link showing text.
func NewHoverLink(text string, tapped func(), hover func(bool)) *HoverLink {
	l := &HoverLink{OnHover: hover}
	l.Text = text
	l.OnTapped = tapped
	l.ExtendBaseWidget(l)
	return l
}

// MouseIn reports the hover.
func (l *HoverLink) MouseIn(e *desktop.MouseEvent) {
	l.Hyperlink.MouseIn(e)
	if l.OnHover != nil {
		l.OnHover(true)
	}
}

// MouseOut reports the end of the hover.
func (l *HoverLink) MouseOut() {
	l.Hyperlink.MouseOut()
	if l.OnHover != nil {
		l.OnHover(false)
	}
}

// LinkSegment is an inline rich-text link whose target is shown on hover
// (through OnHover) instead of being opened blindly: unlike
// widget.HyperlinkSegment it has no URL that Fyne could open by itself.
type LinkSegment struct {
	Text      string
	Target    string // the real destination, for Textual's callers and tests
	Highlight bool   // a find match: shown bold
	OnTapped  func()
	OnHover   func(in bool)
}

// Inline reports true: links flow with the text.
func (s *LinkSegment) Inline() bool { return true }

// Textual returns the link's text.
func (s *LinkSegment) Textual() string { return s.Text }

// Visual returns a HoverLink without the padding a standalone widget has,
// as Fyne does for its own hyperlink segments.
func (s *LinkSegment) Visual() fyne.CanvasObject {
	l := NewHoverLink(s.Text, s.OnTapped, s.OnHover)
	l.TextStyle.Bold = s.Highlight
	return &fyne.Container{Layout: &unpadLayout{parent: l}, Objects: []fyne.CanvasObject{l}}
}

// Update applies the segment to a visual made by Visual.
func (s *LinkSegment) Update(o fyne.CanvasObject) {
	c, ok := o.(*fyne.Container)
	if !ok || len(c.Objects) == 0 {
		return
	}
	l, ok := c.Objects[0].(*HoverLink)
	if !ok {
		return
	}
	l.Text, l.OnTapped, l.OnHover = s.Text, s.OnTapped, s.OnHover
	l.TextStyle.Bold = s.Highlight
	l.Refresh()
}

// Select does nothing: links are not selectable.
func (s *LinkSegment) Select(_, _ fyne.Position) {}

// SelectedText returns "".
func (s *LinkSegment) SelectedText() string { return "" }

// Unselect does nothing.
func (s *LinkSegment) Unselect() {}

// unpadLayout removes a text widget's inner padding so that it lines up
// with the text around it.
type unpadLayout struct{ parent fyne.Widget }

func (u *unpadLayout) Layout(o []fyne.CanvasObject, s fyne.Size) {
	pad := theme.SizeForWidget(theme.SizeNameInnerPadding, u.parent)
	o[0].Move(fyne.NewPos(-pad, -pad))
	o[0].Resize(s.Add(fyne.NewSize(2*pad, 2*pad)))
}

func (u *unpadLayout) MinSize(o []fyne.CanvasObject) fyne.Size {
	pad := theme.SizeForWidget(theme.SizeNameInnerPadding, u.parent)
	return o[0].MinSize().Subtract(fyne.NewSize(2*pad, 2*pad))
}
