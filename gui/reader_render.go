package gui

import (
	"fmt"
	"net/url"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/gui/widgets"
	"github.com/ternmail/tern/message"
)

// maxImageWidth bounds the width an image is shown at.
const maxImageWidth = 600

// shownImage is an image's bytes as a Fyne resource, with its size.
type shownImage struct {
	res           fyne.Resource
	width, height int
}

// linkActions is what links do: open is called with a tapped link's
// target and its warning, hover when the pointer enters (in) or leaves it.
type linkActions struct {
	open  func(target, warning string)
	hover func(target, warning string, in bool)
}

func (a linkActions) segment(text, target, warning string, highlight bool) *widgets.LinkSegment {
	return &widgets.LinkSegment{
		Text: text, Target: target, Highlight: highlight,
		OnTapped: func() {
			if a.open != nil {
				a.open(target, warning)
			}
		},
		OnHover: func(in bool) {
			if a.hover != nil {
				a.hover(target, warning, in)
			}
		},
	}
}

// segmentsFor turns a rendered document into rich-text segments. Images
// appear only from images (bytes in memory), never by URL; a missing image
// shows its description. Links show their target on hover and open
// through links. find, when not nil, marks the matches of a search.
func segmentsFor(doc *message.Document, images map[*message.Image]shownImage, links linkActions, find *finder) []widget.RichTextSegment {
	var segs []widget.RichTextSegment
	for i := range doc.Blocks {
		b := &doc.Blocks[i]
		if i > 0 && !(b.Kind == message.BlockListItem && doc.Blocks[i-1].Kind == message.BlockListItem) {
			// A little space between paragraphs.
			segs = append(segs, &widget.TextSegment{Style: widget.RichTextStyle{SizeName: theme.SizeNameCaptionText}, Text: ""})
		}
		switch b.Kind {
		case message.BlockRule:
			segs = append(segs, &widget.SeparatorSegment{})
		case message.BlockImage:
			segs = append(segs, imageSegment(b.Image, images))
		case message.BlockTable:
			segs = append(segs, tableSegment(b, links, find))
		default:
			segs = append(segs, textSegments(b, links, find)...)
		}
	}
	return segs
}

func imageSegment(img *message.Image, images map[*message.Image]shownImage) widget.RichTextSegment {
	if si, ok := images[img]; ok && si.res != nil {
		w, h := float32(si.width), float32(si.height)
		if img.Width > 0 && img.Height > 0 {
			w, h = float32(img.Width), float32(img.Height)
		} else if img.Width > 0 {
			h = h * float32(img.Width) / w
			w = float32(img.Width)
		}
		if w > maxImageWidth {
			h = h * maxImageWidth / w
			w = maxImageWidth
		}
		return &widgets.ImageSegment{Resource: si.res, Width: w, Height: h, Title: img.Alt}
	}
	text := "[image]"
	if img.Alt != "" {
		text = "[image: " + img.Alt + "]"
	}
	if img.Source == message.ImageRemote {
		text = "[remote image"
		if img.Alt != "" {
			text += ": " + img.Alt
		}
		text += "]"
	}
	return &widget.TextSegment{Text: text, Style: widget.RichTextStyle{ColorName: theme.ColorNamePlaceHolder, TextStyle: fyne.TextStyle{Italic: true}}}
}

func tableSegment(b *message.Block, links linkActions, find *finder) widget.RichTextSegment {
	t := &widgets.TableSegment{
		OnLink: func(target string) {
			if links.open != nil {
				links.open(target, "")
			}
		},
		OnHover: func(target string, in bool) {
			if links.hover != nil {
				links.hover(target, "", in)
			}
		},
	}
	for _, row := range b.Rows {
		var cells []widgets.TableCell
		for _, c := range row {
			cell := widgets.TableCell{Text: message.SpansText(c.Spans), Header: c.Header}
			cell.Highlight = find.count(cell.Text)
			for _, s := range c.Spans {
				cell.Bold = cell.Bold || s.Bold
				if s.Link != "" && s.LinkWarning == "" && cell.Link == "" {
					cell.Link = s.Link
				}
			}
			cells = append(cells, cell)
		}
		t.Rows = append(t.Rows, cells)
	}
	return t
}

// textSegments renders a text block: its spans inline, ended by a
// non-inline segment.
func textSegments(b *message.Block, links linkActions, find *finder) []widget.RichTextSegment {
	prefix := ""
	if b.Indent > 0 {
		prefix = strings.Repeat("    ", b.Indent-1)
		if b.Kind == message.BlockListItem && b.Marker != "" {
			prefix += b.Marker + " "
		} else {
			prefix += "    "
		}
	}
	if b.Quote > 0 {
		// Fyne indents text in the block-quote style; it must be one
		// segment, so links inside quotes are shown as text.
		bar := strings.Repeat("▍", b.Quote) + " "
		text := prefix + message.SpansText(b.Spans)
		text = bar + strings.ReplaceAll(text, "\n", "\n"+bar)
		return find.split(text, widget.RichTextStyleBlockquote)
	}
	base := widget.RichTextStyle{Inline: true, ColorName: theme.ColorNameForeground, SizeName: theme.SizeNameText}
	switch b.Kind {
	case message.BlockHeading:
		switch b.Level {
		case 1:
			base.SizeName = theme.SizeNameHeadingText
		case 2:
			base.SizeName = theme.SizeNameSubHeadingText
		}
		base.TextStyle.Bold = true
	case message.BlockPre:
		base.TextStyle.Monospace = true
	}
	var segs []widget.RichTextSegment
	if prefix != "" {
		segs = append(segs, &widget.TextSegment{Style: base, Text: prefix})
	}
	for _, s := range b.Spans {
		if s.Link != "" {
			_, err := url.Parse(s.Link)
			if err == nil {
				target, warning := s.Link, s.LinkWarning
				segs = append(segs, links.segment(s.Text, target, warning, find.count(s.Text)))
				if warning != "" {
					segs = append(segs, &widget.TextSegment{
						Style: widget.RichTextStyle{Inline: true, ColorName: theme.ColorNameError, SizeName: theme.SizeNameText, TextStyle: fyne.TextStyle{Bold: true}},
						Text:  fmt.Sprintf(" ⚠ %s ", warning),
					})
				}
				continue
			}
		}
		st := base
		st.TextStyle.Bold = st.TextStyle.Bold || s.Bold
		st.TextStyle.Italic = s.Italic
		st.TextStyle.Monospace = st.TextStyle.Monospace || s.Monospace
		segs = append(segs, find.split(s.Text, st)...)
	}
	end := base
	end.Inline = false
	segs = append(segs, &widget.TextSegment{Style: end, Text: ""})
	return segs
}

// plainSegments shows plain text as rich text, for finding in the plain
// view.
func plainSegments(text string, find *finder) []widget.RichTextSegment {
	st := widget.RichTextStyle{Inline: true, ColorName: theme.ColorNameForeground, SizeName: theme.SizeNameText}
	segs := find.split(text, st)
	end := st
	end.Inline = false
	return append(segs, &widget.TextSegment{Style: end, Text: ""})
}
