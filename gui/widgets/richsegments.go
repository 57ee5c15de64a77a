package widgets

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// ImageSegment is a rich-text block showing an image from bytes already
// in memory. Unlike widget.ImageSegment it never takes a URI, so nothing
// is ever fetched to draw it.
type ImageSegment struct {
	Resource      fyne.Resource
	Width, Height float32 // display size
	Title         string
}

// Inline reports false: images are blocks.
func (s *ImageSegment) Inline() bool { return false }

// Textual returns the image's title.
func (s *ImageSegment) Textual() string { return s.Title }

// Visual returns the image, left-aligned at its display size.
func (s *ImageSegment) Visual() fyne.CanvasObject {
	img := canvas.NewImageFromResource(s.Resource)
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSize(s.Width, s.Height))
	return container.NewHBox(img, layout.NewSpacer())
}

// Update applies the segment to a visual made by Visual.
func (s *ImageSegment) Update(o fyne.CanvasObject) {
	c, ok := o.(*fyne.Container)
	if !ok || len(c.Objects) == 0 {
		return
	}
	if img, ok := c.Objects[0].(*canvas.Image); ok {
		img.Resource = s.Resource
		img.SetMinSize(fyne.NewSize(s.Width, s.Height))
		img.Refresh()
	}
}

// Select does nothing: images are not selectable.
func (s *ImageSegment) Select(_, _ fyne.Position) {}

// SelectedText returns "".
func (s *ImageSegment) SelectedText() string { return "" }

// Unselect does nothing.
func (s *ImageSegment) Unselect() {}

// TableCell is one cell of a TableSegment.
type TableCell struct {
	Text   string
	Bold   bool
	Link   string // tapping calls TableSegment.OnLink with it
	Header bool
	// Highlight marks a cell that matches a search: shown in the primary
	// color.
	Highlight bool
}

// TableSegment is a rich-text block showing a data table in aligned
// columns.
type TableSegment struct {
	Rows   [][]TableCell
	OnLink func(target string)
	// OnHover is called when the pointer enters (in) or leaves a link.
	OnHover func(target string, in bool)
}

// Inline reports false: tables are blocks.
func (s *TableSegment) Inline() bool { return false }

// Textual returns the table as tab-separated lines.
func (s *TableSegment) Textual() string {
	out := ""
	for i, row := range s.Rows {
		if i > 0 {
			out += "\n"
		}
		for j, c := range row {
			if j > 0 {
				out += "\t"
			}
			out += c.Text
		}
	}
	return out
}

// Visual returns the grid of cells.
func (s *TableSegment) Visual() fyne.CanvasObject {
	cols := 1
	for _, row := range s.Rows {
		cols = max(cols, len(row))
	}
	var objs []fyne.CanvasObject
	for _, row := range s.Rows {
		for j := 0; j < cols; j++ {
			var c TableCell
			if j < len(row) {
				c = row[j]
			}
			objs = append(objs, s.cell(c))
		}
	}
	return container.New(layout.NewGridLayoutWithColumns(cols), objs...)
}

func (s *TableSegment) cell(c TableCell) fyne.CanvasObject {
	if c.Link != "" && s.OnLink != nil {
		target := c.Link
		h := NewHoverLink(c.Text, func() { s.OnLink(target) }, func(in bool) {
			if s.OnHover != nil {
				s.OnHover(target, in)
			}
		})
		h.Truncation = fyne.TextTruncateEllipsis
		h.TextStyle.Bold = c.Highlight
		return h
	}
	l := &widget.Label{Text: c.Text, Truncation: fyne.TextTruncateEllipsis, TextStyle: fyne.TextStyle{Bold: c.Bold || c.Header || c.Highlight}}
	if c.Highlight {
		l.Importance = widget.HighImportance
	}
	return l
}

// Update rebuilds the cells of a visual made by Visual.
func (s *TableSegment) Update(o fyne.CanvasObject) {
	c, ok := o.(*fyne.Container)
	if !ok {
		return
	}
	n := s.Visual().(*fyne.Container)
	c.Layout, c.Objects = n.Layout, n.Objects
	c.Refresh()
}

// Select does nothing: tables are not selectable.
func (s *TableSegment) Select(_, _ fyne.Position) {}

// SelectedText returns "".
func (s *TableSegment) SelectedText() string { return "" }

// Unselect does nothing.
func (s *TableSegment) Unselect() {}
