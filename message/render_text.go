package message

import (
	"regexp"
	"strings"
)

// Render renders the body of m: its HTML when it has one, else its text.
func Render(m *Message) *Document {
	if strings.TrimSpace(m.HTML) != "" {
		return RenderHTML(m.HTML)
	}
	return RenderText(m.Text)
}

// MaxRenderTextBytes bounds the plain text RenderText renders; the rest
// is left out and the Document is marked Truncated.
const MaxRenderTextBytes = MaxDocumentTextBytes

var urlInText = regexp.MustCompile(`(?i)\b(?:https?://|mailto:)[^\s<>"\x60{}|\\^]+`)

// RenderText renders plain text: lines starting with ">" become quotes
// (their depth is the number of ">"), blank lines separate paragraphs,
// and http, https and mailto URLs become links.
func RenderText(text string) *Document {
	doc := &Document{}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if len(text) > MaxRenderTextBytes {
		text = truncateBytes(text, MaxRenderTextBytes)
		doc.Truncated = true
	}
	var lines []string
	depth := -1
	flush := func() {
		if len(lines) == 0 {
			return
		}
		p := strings.Join(lines, "\n")
		lines = nil
		if strings.TrimSpace(p) == "" || len(doc.Blocks) >= maxRenderBlocks {
			doc.Truncated = doc.Truncated || len(doc.Blocks) >= maxRenderBlocks
			return
		}
		doc.Blocks = append(doc.Blocks, Block{Kind: BlockParagraph, Quote: depth, Spans: linkify(p)})
	}
	for _, line := range strings.Split(text, "\n") {
		d, body := quoteDepth(line)
		if d != depth || strings.TrimSpace(body) == "" {
			flush()
			depth = d
			if strings.TrimSpace(body) == "" {
				continue
			}
		}
		lines = append(lines, strings.TrimRight(body, " \t"))
	}
	flush()
	doc.bound()
	return doc
}

// quoteDepth counts the ">" that start a line ("> > x" and ">> x" are both
// depth 2) and returns the rest.
func quoteDepth(line string) (int, string) {
	d, i := 0, 0
loop:
	for i < len(line) {
		switch {
		case line[i] == '>':
			d++
			i++
		case line[i] == ' ' && d > 0 && i+1 < len(line) && line[i+1] == '>':
			i++
		default:
			break loop
		}
	}
	if d > 0 && i < len(line) && line[i] == ' ' {
		i++
	}
	return d, line[i:]
}

// linkify splits text into plain spans and link spans.
func linkify(s string) []Span {
	var out []Span
	last := 0
	for _, m := range urlInText.FindAllStringIndex(s, 10000) {
		start, end := m[0], m[1]
		// Trailing punctuation is not part of the URL; a closing
		// parenthesis only when unbalanced.
		for end > start {
			c := s[end-1]
			if strings.IndexByte(".,;:!?'\"", c) >= 0 || (c == ')' && strings.Count(s[start:end], "(") < strings.Count(s[start:end], ")")) || c == ']' || c == '>' {
				end--
				continue
			}
			break
		}
		target := cleanLinkTarget(s[start:end])
		if target == "" {
			continue
		}
		if start > last {
			out = append(out, Span{Text: s[last:start]})
		}
		out = append(out, Span{Text: s[start:end], Link: target})
		last = end
	}
	if last < len(s) {
		out = append(out, Span{Text: s[last:]})
	}
	return out
}

// SpansText returns the text of spans.
func SpansText(spans []Span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.Text)
	}
	return b.String()
}

// Text returns the document as plain text, as a reader would copy it:
// quotes prefixed with "> ", list items with their markers, table rows
// with cells separated by tabs, images by their description.
func (d *Document) Text() string {
	var b strings.Builder
	for i, bl := range d.Blocks {
		var body string
		switch bl.Kind {
		case BlockRule:
			body = "———"
		case BlockImage:
			if bl.Image.Alt != "" {
				body = "[image: " + bl.Image.Alt + "]"
			} else {
				body = "[image]"
			}
		case BlockTable:
			rows := make([]string, len(bl.Rows))
			for r, row := range bl.Rows {
				cells := make([]string, len(row))
				for c, cell := range row {
					cells[c] = SpansText(cell.Spans)
				}
				rows[r] = strings.Join(cells, "\t")
			}
			body = strings.Join(rows, "\n")
		default:
			body = SpansText(bl.Spans)
			if bl.Kind == BlockListItem && bl.Marker != "" {
				body = bl.Marker + " " + body
			}
		}
		if bl.Indent > 1 || (bl.Indent == 1 && bl.Kind != BlockListItem) || (bl.Indent == 1 && bl.Marker == "") {
			pad := strings.Repeat("  ", bl.Indent)
			if bl.Kind == BlockListItem && bl.Marker != "" {
				pad = strings.Repeat("  ", bl.Indent-1)
			}
			body = pad + strings.ReplaceAll(body, "\n", "\n"+pad)
		}
		if bl.Quote > 0 {
			prefix := strings.Repeat(">", bl.Quote) + " "
			body = prefix + strings.ReplaceAll(body, "\n", "\n"+prefix)
		}
		if i > 0 {
			sep := "\n\n"
			prev := d.Blocks[i-1]
			if bl.Kind == BlockListItem && prev.Kind == BlockListItem {
				sep = "\n"
			}
			b.WriteString(sep)
		}
		b.WriteString(body)
	}
	return b.String()
}
