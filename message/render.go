package message

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// A Document is a message body rendered for display: a list of Blocks in a
// UI-agnostic model that the GUI turns into toolkit widgets. Rendering
// never fetches anything; remote images are only described (see Image).
type Document struct {
	Blocks []Block
	// Images lists every image block, in order (pointers into Blocks).
	Images []*Image
	// RemoteImages counts remote images that are not trackers: what
	// "Load remote content" would load.
	RemoteImages int
	// Trackers counts images recognised as tracking pixels; they are
	// never loaded.
	Trackers int
	// RemoteOther counts remote stylesheets, fonts and CSS url()s. Tern
	// never applies message CSS, so these are never fetched.
	RemoteOther int
	// Truncated says the body was cut to keep rendering bounded.
	Truncated bool
}

// BlockKind says what a Block is.
type BlockKind int

// Block kinds.
const (
	BlockParagraph BlockKind = iota // running text; Spans may hold "\n" line breaks
	BlockHeading                    // Level 1–6
	BlockListItem                   // Marker, Indent
	BlockPre                        // preformatted text, shown as is in a monospace font
	BlockRule                       // a horizontal rule
	BlockImage                      // Image
	BlockTable                      // a data table: Rows of Cells
)

// A Block is one block-level piece of a Document.
type Block struct {
	Kind   BlockKind
	Level  int    // heading level, 1–6
	Quote  int    // block-quote depth: 0 outside quotes, 1 in a quote, 2 in a quote in a quote…
	Indent int    // list nesting depth (1 for a top-level list item or its continuation)
	Marker string // list item marker, "•" or "3."; "" for a continuation paragraph
	Spans  []Span
	Image  *Image
	Rows   [][]Cell
}

// A Span is a run of text with one style.
type Span struct {
	Text                    string
	Bold, Italic, Monospace bool
	// Link is the target of a link (an http, https or mailto URL), "" for
	// plain text.
	Link string
	// LinkWarning is set when the link's visible text names another
	// destination than its target (see CheckLink).
	LinkWarning string

	anchor int // which <a> the span belongs to (0: none)
}

// A Cell is one cell of a data table.
type Cell struct {
	Spans  []Span
	Header bool
}

// ImageSource says where an image's bytes come from.
type ImageSource int

// Image sources.
const (
	ImageRemote ImageSource = iota // http or https: fetched only on request
	ImageInline                    // cid: a part of the message (multipart/related)
	ImageData                      // data: the bytes are in the URL
)

// An Image is an image of the body. Its bytes are never fetched by the
// renderer.
type Image struct {
	Src           string // the (sanitized) URL
	Alt           string
	Width, Height int // declared size in CSS pixels, 0 if unknown
	Source        ImageSource
	ContentID     string // ImageInline: the part's Content-ID
	Tracker       bool   // a tracking pixel: never loaded
	Link          string // the enclosing link's target, if any
}

// Limits of rendering.
const (
	maxRenderBlocks = 20000
	maxRenderImages = 500
	maxTableRows    = 1000
	maxTableCols    = 24
	maxRenderDepth  = 400
	// MaxDataImageBytes bounds the size of a data: image URL.
	MaxDataImageBytes = 2 << 20
)

// RenderHTML sanitizes s and renders it into a Document.
func RenderHTML(s string) *Document {
	clean := SanitizeHTML(s)
	doc := &Document{}
	doc.RemoteOther = countRemoteCSS(s)
	root, err := html.Parse(strings.NewReader(clean))
	if err != nil {
		return doc
	}
	b := &renderer{doc: doc}
	b.walk(root, style{}, 0)
	b.flush()
	doc.bound()
	return doc
}

// style is the inherited inline and block context.
type style struct {
	bold, italic, mono, pre bool
	link                    string
	anchor                  int
	quote, indent           int
}

type renderer struct {
	doc *Document

	// the paragraph being built
	spans       []Span
	kind        BlockKind
	level       int
	marker      string
	blockStyle  style
	started     bool // kind/marker set for the pending block
	pendingSpc  bool
	anchors     int
	anchorStart map[int]int // anchor → first block index
	anchorText  map[int]*strings.Builder
	textBytes   int // text appended so far
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// hiddenNode reports whether an element is hidden from view: the hidden
// attribute, display:none and the other tricks of preheaders.
func hiddenNode(n *html.Node) bool {
	if _, ok := attr(n, "hidden"); ok {
		return true
	}
	st, _ := attr(n, "style")
	if st == "" {
		return false
	}
	if hiddenStyle(st) {
		return true
	}
	for _, decl := range strings.Split(strings.ToLower(st), ";") {
		prop, val, ok := strings.Cut(decl, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(val), "!important"))
		if strings.TrimSpace(prop) == "font-size" && isZeroLength(val) {
			return true
		}
	}
	return false
}

func styleHas(n *html.Node, prop string, vals ...string) bool {
	st, _ := attr(n, "style")
	if st == "" {
		return false
	}
	for _, decl := range strings.Split(strings.ToLower(st), ";") {
		p, v, ok := strings.Cut(decl, ":")
		if !ok || strings.TrimSpace(p) != prop {
			continue
		}
		v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "!important"))
		for _, want := range vals {
			if v == want {
				return true
			}
		}
	}
	return false
}

var headingLevel = map[atom.Atom]int{atom.H1: 1, atom.H2: 2, atom.H3: 3, atom.H4: 4, atom.H5: 5, atom.H6: 6}

var blockAtoms = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Center: true, atom.Section: true, atom.Article: true, atom.Header: true,
	atom.Footer: true, atom.Main: true, atom.Aside: true, atom.Nav: true, atom.Address: true, atom.Figure: true,
	atom.Figcaption: true, atom.Details: true, atom.Summary: true, atom.Dl: true, atom.Dt: true, atom.Dd: true,
	atom.Caption: true, atom.Tr: true, atom.Td: true, atom.Th: true, atom.Table: true, atom.Tbody: true,
	atom.Thead: true, atom.Tfoot: true, atom.Body: true, atom.Html: true,
}

// full reports whether the document holds all it may: past
// maxRenderBlocks blocks or MaxDocumentTextBytes of text, the rest of the
// body is not rendered (bound cuts the text exactly).
func (b *renderer) full() bool {
	return len(b.doc.Blocks) >= maxRenderBlocks || b.textBytes > MaxDocumentTextBytes
}

func (b *renderer) walk(n *html.Node, st style, depth int) {
	if depth > maxRenderDepth {
		// Too deep to keep structure: keep the text.
		b.flatText(n, st)
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if b.full() {
			b.doc.Truncated = true
			return
		}
		switch c.Type {
		case html.TextNode:
			b.text(c.Data, st)
		case html.ElementNode:
			b.element(c, st, depth+1)
		case html.DocumentNode:
			b.walk(c, st, depth+1)
		}
	}
}

// flatText adds the text under n, iteratively.
func (b *renderer) flatText(n *html.Node, st style) {
	stack := []*html.Node{n}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if x.Type == html.TextNode {
			b.text(x.Data, st)
			continue
		}
		if x.Type == html.ElementNode && hiddenNode(x) {
			continue
		}
		var kids []*html.Node
		for c := x.FirstChild; c != nil; c = c.NextSibling {
			kids = append(kids, c)
		}
		for i := len(kids) - 1; i >= 0; i-- {
			stack = append(stack, kids[i])
		}
	}
}

func (b *renderer) element(n *html.Node, st style, depth int) {
	if hiddenNode(n) {
		return
	}
	if styleHas(n, "font-weight", "bold", "bolder", "600", "700", "800", "900") {
		st.bold = true
	}
	if styleHas(n, "font-style", "italic", "oblique") {
		st.italic = true
	}
	switch n.DataAtom {
	case atom.Br:
		b.lineBreak(st)
		return
	case atom.Hr:
		b.flush()
		b.emit(Block{Kind: BlockRule, Quote: st.quote, Indent: st.indent})
		return
	case atom.Img:
		b.image(n, st)
		return
	case atom.Wbr:
		return
	case atom.B, atom.Strong:
		st.bold = true
	case atom.I, atom.Em, atom.Cite, atom.Var:
		st.italic = true
	case atom.Code, atom.Tt, atom.Kbd, atom.Samp:
		st.mono = true
	case atom.A:
		b.anchor(n, st, depth)
		return
	case atom.Pre:
		b.flush()
		st.pre, st.mono = true, true
		b.begin(BlockPre, 0, "", st)
		b.walk(n, st, depth)
		b.flush()
		return
	case atom.Blockquote:
		b.flush()
		st.quote++
		b.walk(n, st, depth)
		b.flush()
		return
	case atom.Ul, atom.Ol:
		b.list(n, st, depth)
		return
	case atom.Li:
		// A list item outside a list.
		b.flush()
		st.indent++
		b.begin(BlockListItem, 0, "•", st)
		b.walk(n, st, depth)
		b.flush()
		return
	case atom.Table:
		b.table(n, st, depth)
		return
	case atom.Dt:
		st.bold = true
	case atom.Dd:
		st.indent++
	}
	if lvl, ok := headingLevel[n.DataAtom]; ok {
		b.flush()
		st.bold = true
		b.begin(BlockHeading, lvl, "", st)
		b.walk(n, st, depth)
		b.flush()
		return
	}
	if blockAtoms[n.DataAtom] {
		b.flush()
		b.walk(n, st, depth)
		b.flush()
		return
	}
	b.walk(n, st, depth)
}

func (b *renderer) list(n *html.Node, st style, depth int) {
	b.flush()
	ordered := n.DataAtom == atom.Ol
	num := 0
	if s, ok := attr(n, "start"); ok {
		if v, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			num = v - 1
		}
	}
	st.indent++
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if b.full() {
			return
		}
		if c.Type != html.ElementNode || c.DataAtom != atom.Li {
			if c.Type == html.ElementNode {
				b.element(c, st, depth+1)
			} else if c.Type == html.TextNode {
				b.text(c.Data, st)
			}
			continue
		}
		if hiddenNode(c) {
			continue
		}
		marker := "•"
		if ordered {
			num++
			marker = strconv.Itoa(num) + "."
		}
		b.flush()
		b.begin(BlockListItem, 0, marker, st)
		b.walk(c, st, depth+1)
		if b.started && b.marker != "" {
			// An empty item still shows its marker.
			b.spans = append(b.spans, Span{Text: ""})
		}
		b.flush()
	}
	b.flush()
}

func (b *renderer) anchor(n *html.Node, st style, depth int) {
	href, _ := attr(n, "href")
	target := cleanLinkTarget(href)
	if target == "" {
		b.walk(n, st, depth)
		return
	}
	b.anchors++
	id := b.anchors
	if b.anchorStart == nil {
		b.anchorStart = map[int]int{}
		b.anchorText = map[int]*strings.Builder{}
	}
	b.anchorStart[id] = len(b.doc.Blocks)
	b.anchorText[id] = &strings.Builder{}
	st.link, st.anchor = target, id
	b.walk(n, st, depth)
	text := b.anchorText[id].String()
	delete(b.anchorText, id)
	start := b.anchorStart[id]
	delete(b.anchorStart, id)
	warn := CheckLink(text, target)
	if warn == "" {
		return
	}
	mark := func(spans []Span) {
		for i := range spans {
			if spans[i].anchor == id {
				spans[i].LinkWarning = warn
			}
		}
	}
	for i := start; i < len(b.doc.Blocks); i++ {
		mark(b.doc.Blocks[i].Spans)
		for _, row := range b.doc.Blocks[i].Rows {
			for j := range row {
				mark(row[j].Spans)
			}
		}
	}
	mark(b.spans)
}

// cleanLinkTarget returns href if it is an absolute http, https or mailto
// URL, else "".
func cleanLinkTarget(href string) string {
	href = strings.TrimSpace(href)
	u, err := url.Parse(href)
	if err != nil {
		return ""
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" {
			return ""
		}
		return u.String()
	case "mailto":
		return u.String()
	}
	return ""
}

// begin sets the kind of the block being built, if none is set yet.
func (b *renderer) begin(kind BlockKind, level int, marker string, st style) {
	if b.started && len(b.spans) > 0 {
		b.flush()
	}
	b.kind, b.level, b.marker, b.blockStyle, b.started = kind, level, marker, st, true
	b.pendingSpc = false
}

func (b *renderer) lineBreak(st style) {
	if !b.started {
		b.begin(BlockParagraph, 0, "", st)
	}
	b.appendText("\n", st)
	b.pendingSpc = false
}

func isCollapsible(r rune) bool {
	return unicode.IsSpace(r) || isInvisible(r) || r == utf8.RuneError || (r < 0x20 && r != '\n')
}

func (b *renderer) text(s string, st style) {
	if st.anchor != 0 {
		if tb := b.anchorText[st.anchor]; tb != nil && tb.Len() < 4096 {
			tb.WriteString(s)
		}
	}
	if st.pre {
		if !b.started {
			b.begin(BlockPre, 0, "", st)
		}
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.Map(func(r rune) rune {
			if r == '\n' || r == '\t' {
				return r
			}
			if r < 0x20 || r == 0x7f || r == utf8.RuneError || isBidiControl(r) {
				return -1
			}
			return r
		}, s)
		b.appendText(s, st)
		return
	}
	var out strings.Builder
	space := b.pendingSpc
	lead := false // a space is due before the first character
	for _, r := range s {
		if isCollapsible(r) {
			if unicode.IsSpace(r) {
				space = true
			}
			continue
		}
		if isBidiControl(r) {
			continue
		}
		if space {
			if out.Len() > 0 {
				out.WriteByte(' ')
			} else {
				lead = true
			}
		}
		space = false
		out.WriteRune(r)
	}
	if out.Len() == 0 {
		b.pendingSpc = space
		return
	}
	if !b.started {
		b.begin(BlockParagraph, 0, "", st)
		lead = false
	}
	if lead && b.hasText() {
		// The space belongs to the text before (not inside a link).
		b.spans[len(b.spans)-1].Text += " "
	}
	b.appendText(out.String(), st)
	b.pendingSpc = space
}

// hasText reports whether the pending block has text on its current line.
func (b *renderer) hasText() bool {
	if len(b.spans) == 0 {
		return false
	}
	last := b.spans[len(b.spans)-1].Text
	return last != "" && !strings.HasSuffix(last, "\n")
}

func (b *renderer) appendText(s string, st style) {
	if s == "" {
		return
	}
	b.textBytes += len(s)
	if n := len(b.spans); n > 0 {
		last := &b.spans[n-1]
		if last.Bold == st.bold && last.Italic == st.italic && last.Monospace == st.mono && last.Link == st.link && last.anchor == st.anchor {
			last.Text += s
			return
		}
	}
	b.spans = append(b.spans, Span{Text: s, Bold: st.bold, Italic: st.italic, Monospace: st.mono, Link: st.link, anchor: st.anchor})
}

// flush ends the block being built.
func (b *renderer) flush() {
	spans := b.spans
	b.spans = nil
	started := b.started
	b.started = false
	b.pendingSpc = false
	if !started {
		return
	}
	if b.kind != BlockPre {
		spans = trimSpans(spans)
	} else {
		spans = trimPre(spans)
	}
	if len(spans) == 0 && b.marker == "" {
		return
	}
	st := b.blockStyle
	b.emit(Block{Kind: b.kind, Level: b.level, Quote: st.quote, Indent: st.indent, Marker: b.marker, Spans: spans})
}

func (b *renderer) emit(bl Block) {
	// The block being built when the text bound was reached still counts:
	// bound cuts it.
	if len(b.doc.Blocks) >= maxRenderBlocks {
		b.doc.Truncated = true
		return
	}
	b.doc.Blocks = append(b.doc.Blocks, bl)
}

// trimSpans trims white space at the start and end of a paragraph and
// around its line breaks.
func trimSpans(spans []Span) []Span {
	for i := range spans {
		t := spans[i].Text
		t = strings.ReplaceAll(t, " \n", "\n")
		t = strings.ReplaceAll(t, "\n ", "\n")
		spans[i].Text = t
	}
	for len(spans) > 0 {
		t := strings.TrimLeft(spans[0].Text, " \n")
		if t != "" {
			spans[0].Text = t
			break
		}
		spans = spans[1:]
	}
	for len(spans) > 0 {
		t := strings.TrimRight(spans[len(spans)-1].Text, " \n")
		if t != "" {
			spans[len(spans)-1].Text = t
			break
		}
		spans = spans[:len(spans)-1]
	}
	// No more than one blank line in a row.
	for i := range spans {
		for strings.Contains(spans[i].Text, "\n\n\n") {
			spans[i].Text = strings.ReplaceAll(spans[i].Text, "\n\n\n", "\n\n")
		}
	}
	return spans
}

func trimPre(spans []Span) []Span {
	if len(spans) > 0 {
		spans[0].Text = strings.TrimPrefix(spans[0].Text, "\n")
	}
	for len(spans) > 0 {
		t := strings.TrimRight(spans[len(spans)-1].Text, " \t\n")
		if t != "" {
			spans[len(spans)-1].Text = t
			break
		}
		spans = spans[:len(spans)-1]
	}
	return spans
}

func (b *renderer) image(n *html.Node, st style) {
	src, _ := attr(n, "src")
	src = strings.TrimSpace(src)
	alt, _ := attr(n, "alt")
	alt = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if isBidiControl(r) || isInvisible(r) {
			return -1
		}
		return r
	}, alt)), " ")
	img := &Image{Src: src, Alt: truncateRunes(alt, 200), Link: st.link}
	w, h := imageSize(n)
	img.Width, img.Height = max(w, 0), max(h, 0)
	lower := strings.ToLower(src)
	switch {
	case strings.HasPrefix(lower, "cid:"):
		img.Source = ImageInline
		id, err := url.PathUnescape(src[4:])
		if err != nil {
			id = src[4:]
		}
		img.ContentID = strings.Trim(id, "<>")
	case strings.HasPrefix(lower, "data:"):
		if len(src) > MaxDataImageBytes*4/3+64 {
			img.Src = ""
		}
		img.Source = ImageData
	case strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://"):
		img.Source = ImageRemote
		img.Tracker = IsTracker(src, w, h)
	default:
		img.Src = ""
	}
	if img.Src == "" && img.Alt == "" {
		return
	}
	if img.Tracker {
		b.doc.Trackers++
		return
	}
	if len(b.doc.Images) >= maxRenderImages {
		b.doc.Truncated = true
		return
	}
	if img.Source == ImageRemote && img.Src != "" {
		b.doc.RemoteImages++
	}
	// Images are blocks; the text around them continues after.
	saved, started, kind, level, marker, bst := b.spans, b.started, b.kind, b.level, b.marker, b.blockStyle
	b.spans = nil
	b.started = false
	if len(saved) > 0 && started {
		b.spans, b.started = saved, true
		b.flush()
	}
	b.emit(Block{Kind: BlockImage, Quote: st.quote, Indent: st.indent, Image: img})
	if len(b.doc.Blocks) > 0 && b.doc.Blocks[len(b.doc.Blocks)-1].Image == img {
		b.doc.Images = append(b.doc.Images, img)
	}
	if started && len(saved) == 0 {
		// Keep a list marker or heading kind for the text after the image.
		b.kind, b.level, b.marker, b.blockStyle, b.started = kind, level, marker, bst, true
	}
}

// imageSize reads an image's declared size from its attributes or style;
// -1 means not declared.
func imageSize(n *html.Node) (w, h int) {
	px := func(v string) int {
		v = strings.TrimSpace(strings.ToLower(v))
		if strings.HasSuffix(v, "%") {
			return -1
		}
		v = strings.TrimSuffix(v, "px")
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 || f > 1e5 {
			return -1
		}
		return int(f + 0.5)
	}
	w, h = -1, -1
	if v, ok := attr(n, "width"); ok {
		w = px(v)
	}
	if v, ok := attr(n, "height"); ok {
		h = px(v)
	}
	st, _ := attr(n, "style")
	for _, decl := range strings.Split(st, ";") {
		p, v, ok := strings.Cut(decl, ":")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(p)) {
		case "width":
			if x := px(v); x >= 0 {
				w = x
			}
		case "height":
			if x := px(v); x >= 0 {
				h = x
			}
		}
	}
	return w, h
}
