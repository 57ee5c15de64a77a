package message

import (
	"strings"
	"unicode/utf8"
)

// Bounds on what a Document holds, so that a toolkit never lays out one
// enormous piece of text.
const (
	// MaxBlockTextBytes bounds the text of one block: a longer paragraph
	// (one huge <p>, or a plain text without blank lines) is split into
	// several blocks, and a longer table cell is cut. Fyne's rich text
	// wraps a paragraph in time that grows faster than its length (an
	// 8 KiB paragraph takes over a second), hence a small bound.
	MaxBlockTextBytes = 2 << 10
	// MaxDocumentTextBytes bounds the text of a whole Document; what is
	// past it is left out and the Document is marked Truncated.
	MaxDocumentTextBytes = 1 << 20
)

// bound splits long blocks and cuts the document at MaxDocumentTextBytes.
func (d *Document) bound() {
	if d.withinBounds() {
		return
	}
	total := 0
	out := make([]Block, 0, len(d.Blocks))
	for _, bl := range d.Blocks {
		if total >= MaxDocumentTextBytes {
			d.Truncated = true
			break
		}
		switch bl.Kind {
		case BlockTable:
			for r := range bl.Rows {
				for c := range bl.Rows[r] {
					cell := &bl.Rows[r][c]
					cell.Spans = cutSpans(cell.Spans, MaxBlockTextBytes)
					total += spansLen(cell.Spans)
				}
			}
			out = append(out, bl)
		case BlockRule, BlockImage:
			out = append(out, bl)
		default:
			for i, piece := range splitSpans(bl.Spans, MaxBlockTextBytes) {
				if total >= MaxDocumentTextBytes {
					d.Truncated = true
					break
				}
				if n := spansLen(piece); total+n > MaxDocumentTextBytes {
					piece = cutSpans(piece, MaxDocumentTextBytes-total)
					d.Truncated = true
				}
				b := bl
				b.Spans = piece
				if i > 0 {
					b.Marker = "" // a continuation of the list item
				}
				total += spansLen(piece)
				out = append(out, b)
			}
		}
	}
	d.Blocks = out
	if d.Truncated {
		// Keep Images to the images still shown.
		shown := make(map[*Image]bool)
		for _, bl := range d.Blocks {
			if bl.Image != nil {
				shown[bl.Image] = true
			}
		}
		imgs := d.Images[:0]
		for _, img := range d.Images {
			if shown[img] {
				imgs = append(imgs, img)
			}
		}
		d.Images = imgs
	}
}

// withinBounds reports whether no block and no cell is over
// MaxBlockTextBytes and the whole text is within MaxDocumentTextBytes.
func (d *Document) withinBounds() bool {
	total := 0
	for i := range d.Blocks {
		bl := &d.Blocks[i]
		n := spansLen(bl.Spans)
		if n > MaxBlockTextBytes {
			return false
		}
		total += n
		for _, row := range bl.Rows {
			for _, c := range row {
				n := spansLen(c.Spans)
				if n > MaxBlockTextBytes {
					return false
				}
				total += n
			}
		}
	}
	return total <= MaxDocumentTextBytes
}

func spansLen(spans []Span) int {
	n := 0
	for _, s := range spans {
		n += len(s.Text)
	}
	return n
}

// splitSpans splits spans into pieces of at most max bytes of text each,
// preferring to break at a line break or a space.
func splitSpans(spans []Span, max int) [][]Span {
	if spansLen(spans) <= max {
		return [][]Span{spans}
	}
	var pieces [][]Span
	var cur []Span
	room := max
	for _, s := range spans {
		for len(s.Text) > room {
			cut := breakAt(s.Text, room)
			if cut == 0 && len(cur) == 0 {
				cut = runeCut(s.Text, room)
			}
			if cut > 0 {
				head := s
				head.Text = strings.TrimRight(s.Text[:cut], " \n")
				cur = append(cur, head)
				s.Text = strings.TrimLeft(s.Text[cut:], " \n")
			}
			if len(cur) > 0 {
				pieces = append(pieces, cur)
			}
			cur, room = nil, max
		}
		if s.Text != "" {
			cur = append(cur, s)
			room -= len(s.Text)
		}
	}
	if len(cur) > 0 {
		pieces = append(pieces, cur)
	}
	// A cut falls between words: no piece starts or ends with the space.
	out := pieces[:0]
	for _, p := range pieces {
		p[0].Text = strings.TrimLeft(p[0].Text, " \n")
		p[len(p)-1].Text = strings.TrimRight(p[len(p)-1].Text, " \n")
		if spansLen(p) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// breakAt returns where to cut s so that s[:i] fits in room bytes: after
// the last line break or space in the second half of that room, else at a
// rune boundary. It returns 0 when nothing fits and a new piece should
// start (the room is small and s has no break in it).
func breakAt(s string, room int) int {
	if room <= 0 {
		return 0
	}
	head := s[:room]
	if i := strings.LastIndexByte(head, '\n'); i >= room/2 {
		return i + 1
	}
	if i := strings.LastIndexByte(head, ' '); i >= room/2 {
		return i + 1
	}
	if room < MaxBlockTextBytes/4 {
		// Better to start the word in a new block than to split it.
		return 0
	}
	return runeCut(s, room)
}

// runeCut returns the last rune boundary of s at or before room, but at
// least the end of the first rune, so that a cut always makes progress.
func runeCut(s string, room int) int {
	i := room
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	if i == 0 {
		_, n := utf8.DecodeRuneInString(s)
		return n
	}
	return i
}

// cutSpans keeps at most max bytes of the spans' text, marking a cut with
// "…".
func cutSpans(spans []Span, max int) []Span {
	if spansLen(spans) <= max {
		return spans
	}
	var out []Span
	room := max
	for _, s := range spans {
		if len(s.Text) >= room {
			s.Text = truncateBytes(s.Text, room) + "…"
			out = append(out, s)
			break
		}
		out = append(out, s)
		room -= len(s.Text)
	}
	return out
}
