package message

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// HTMLToText renders HTML as readable plain text: script, style, head and
// hidden elements (display:none, visibility:hidden, opacity:0, the hidden
// attribute, collapsed max-height) are dropped; block elements become line
// breaks and paragraphs blank lines; list items get "• " (or "N. " in
// ordered lists); links become "text (url)" unless the text is the URL;
// entities are decoded and whitespace is collapsed except in <pre>.
func HTMLToText(s string) string {
	c := &htmlConv{tagCount: make(map[string]int)}
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return c.w.finish()
		case html.TextToken:
			if c.skipNextText {
				c.skipNextText = false
				continue
			}
			if !c.suppressed() {
				c.w.text(string(z.Text()), c.pre > 0)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			c.skipNextText = false
			name, hasAttr := z.TagName()
			tag := string(name)
			var a tagAttrs
			for n := 0; hasAttr && n < 200; n++ {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch string(k) {
				case "style":
					a.style = string(v)
				case "hidden":
					a.hidden = true
				case "href":
					a.href = string(v)
				case "alt":
					a.alt = string(v)
				case "start":
					a.start = string(v)
				case "type":
					a.typ = string(v)
				}
			}
			c.start(tag, a)
			if tt == html.SelfClosingTagToken && !rawTextTags[tag] && !voidTags[tag] {
				c.end(tag)
			}
		case html.EndTagToken:
			c.skipNextText = false
			name, _ := z.TagName()
			c.end(string(name))
		}
	}
}

type tagAttrs struct {
	style, href, alt, start, typ string
	hidden                       bool
}

var voidTags = setOf("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr", "keygen")

// rawTextTags are those after which the tokenizer returns the content as
// one raw text token.
var rawTextTags = setOf("iframe", "noembed", "noframes", "noscript", "plaintext", "script", "style", "textarea", "title", "xmp")

// skipTags have content that is never shown.
var skipTags = setOf("script", "style", "head", "title", "template", "noscript", "noembed", "noframes", "iframe", "object", "svg", "math", "select", "xml", "datalist")

var blockTags = setOf("address", "article", "aside", "blockquote", "center", "dd", "details", "dialog", "div", "dl", "dt",
	"fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup",
	"li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tr", "ul", "caption", "legend", "xmp",
	"textarea", "plaintext", "menu")

var paragraphTags = setOf("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "pre", "dl", "figure", "xmp", "menu")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

const maxHTMLStack = 4096

type elem struct {
	tag          string
	hidden, skip bool
	pre, list    bool
	anchor       *anchor
	closeNL      int
}

type anchor struct {
	href  string
	start int
	alt   string
}

type listState struct {
	ordered bool
	n       int
}

type htmlConv struct {
	w            textWriter
	stack        []elem
	tagCount     map[string]int
	hidden, skip int
	pre          int
	lists        []listState
	anchors      []*anchor
	skipNextText bool
}

func (c *htmlConv) suppressed() bool { return c.hidden > 0 || c.skip > 0 }

func (c *htmlConv) top() string {
	if len(c.stack) == 0 {
		return ""
	}
	return c.stack[len(c.stack)-1].tag
}

func (c *htmlConv) start(tag string, a tagAttrs) {
	// Implied end tags, as a browser would close them.
	switch {
	case tag == "body":
		if c.tagCount["head"] > 0 {
			c.end("head")
		}
	case tag == "li":
		if t := c.top(); t == "li" || t == "p" {
			c.end(t)
		}
	case tag == "dt" || tag == "dd":
		if t := c.top(); t == "dt" || t == "dd" || t == "p" {
			c.end(t)
		}
	case tag == "td" || tag == "th":
		if t := c.top(); t == "td" || t == "th" {
			c.end(t)
		}
	case tag == "tr":
		if t := c.top(); t == "td" || t == "th" {
			c.end(t)
		}
		if c.top() == "tr" {
			c.end("tr")
		}
	case blockTags[tag] || tag == "hr":
		if c.top() == "p" {
			c.end("p")
		}
	}

	visible := !c.suppressed()
	switch tag {
	case "br":
		if visible {
			c.w.br()
		}
		return
	case "hr":
		if visible {
			c.w.block(2)
		}
		return
	case "img":
		if visible && a.alt != "" && len(c.anchors) > 0 {
			if an := c.anchors[len(c.anchors)-1]; an.alt == "" {
				an.alt = a.alt
			}
		}
		return
	case "wbr":
		return
	}
	if voidTags[tag] {
		return
	}

	if len(c.stack) >= maxHTMLStack {
		// Too deep to track: treat the element as transparent, but never
		// show the raw content of a script or style.
		if rawTextTags[tag] && skipTags[tag] {
			c.skipNextText = true
		}
		return
	}

	e := elem{tag: tag}
	if a.hidden || hiddenStyle(a.style) || (tag == "input" && strings.EqualFold(a.typ, "hidden")) {
		e.hidden = true
		c.hidden++
	}
	if skipTags[tag] {
		e.skip = true
		c.skip++
	}
	visible = !c.suppressed()
	if visible {
		switch {
		case (tag == "ul" || tag == "ol" || tag == "menu") && len(c.lists) > 0:
			c.w.block(1)
			e.closeNL = 1
		case paragraphTags[tag]:
			c.w.block(2)
			e.closeNL = 2
		case blockTags[tag]:
			c.w.block(1)
			e.closeNL = 1
		case tag == "td" || tag == "th":
			c.w.space = true
		}
	}
	switch tag {
	case "ul", "ol", "menu":
		ls := listState{ordered: tag == "ol"}
		if n, err := strconv.Atoi(strings.TrimSpace(a.start)); err == nil && n > -1e6 && n < 1e6 {
			ls.n = n - 1
		}
		c.lists = append(c.lists, ls)
		e.list = true
	case "li":
		if visible {
			indent := 0
			marker := "• "
			if len(c.lists) > 0 {
				indent = len(c.lists) - 1
				ls := &c.lists[len(c.lists)-1]
				if ls.ordered {
					ls.n++
					marker = strconv.Itoa(ls.n) + ". "
				}
			}
			c.w.marker(strings.Repeat("  ", indent) + marker)
		}
	case "pre", "textarea", "xmp", "plaintext":
		e.pre = true
		c.pre++
	case "a":
		if href := strings.TrimSpace(a.href); href != "" {
			e.anchor = &anchor{href: href, start: c.w.b.Len()}
			c.anchors = append(c.anchors, e.anchor)
		}
	}
	c.stack = append(c.stack, e)
	c.tagCount[tag]++
}

func (c *htmlConv) end(tag string) {
	if tag == "br" {
		// </br> is treated as <br> by browsers.
		if !c.suppressed() {
			c.w.br()
		}
		return
	}
	if c.tagCount[tag] == 0 {
		if tag == "p" && !c.suppressed() {
			c.w.block(2)
		}
		return
	}
	for len(c.stack) > 0 {
		e := c.stack[len(c.stack)-1]
		c.stack = c.stack[:len(c.stack)-1]
		c.tagCount[e.tag]--
		c.closeElem(e)
		if e.tag == tag {
			return
		}
	}
}

func (c *htmlConv) closeElem(e elem) {
	if e.anchor != nil {
		c.anchors = c.anchors[:len(c.anchors)-1]
		if !c.suppressed() {
			c.finishAnchor(e.anchor)
		}
	}
	if e.hidden {
		c.hidden--
	}
	if e.skip {
		c.skip--
	}
	if e.pre {
		c.pre--
	}
	if e.list && len(c.lists) > 0 {
		c.lists = c.lists[:len(c.lists)-1]
	}
	if e.closeNL > 0 && !e.hidden && !e.skip && !c.suppressed() {
		c.w.block(e.closeNL)
	}
}

func (c *htmlConv) finishAnchor(a *anchor) {
	text := ""
	if a.start <= c.w.b.Len() {
		text = strings.TrimSpace(c.w.b.String()[a.start:])
	}
	if text == "" && a.alt != "" {
		c.w.text(a.alt, false)
		text = a.alt
	}
	if text == "" {
		return
	}
	href := a.href
	lower := strings.ToLower(href)
	for _, p := range []string{"#", "javascript:", "data:", "cid:", "vbscript:", "file:"} {
		if strings.HasPrefix(lower, p) {
			return
		}
	}
	if strings.HasPrefix(lower, "mailto:") {
		href = href[len("mailto:"):]
	}
	if len(text) <= 2*len(href)+16 && normalizeURL(text) == normalizeURL(href) {
		return
	}
	c.w.space = true
	c.w.raw("(" + strings.Join(strings.Fields(href), "") + ")")
}

func normalizeURL(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, p := range []string{"mailto:", "https://", "http://"} {
		s = strings.TrimPrefix(s, p)
	}
	s = strings.TrimPrefix(s, "www.")
	return strings.TrimRight(s, "/")
}

// hiddenStyle reports whether an inline style hides the element.
func hiddenStyle(style string) bool {
	st := strings.ToLower(style)
	if !strings.Contains(st, "none") && !strings.Contains(st, "hidden") && !strings.Contains(st, "opacity") {
		return false
	}
	var maxHeight0, overflowHidden bool
	for _, decl := range strings.Split(st, ";") {
		prop, val, ok := strings.Cut(decl, ":")
		if !ok {
			continue
		}
		prop = strings.TrimSpace(prop)
		val = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(val), "!important"))
		switch prop {
		case "display":
			if val == "none" {
				return true
			}
		case "visibility":
			if val == "hidden" || val == "collapse" {
				return true
			}
		case "opacity":
			if f, err := strconv.ParseFloat(val, 64); err == nil && f <= 0 {
				return true
			}
		case "max-height", "height":
			if isZeroLength(val) {
				maxHeight0 = true
			}
		case "overflow":
			overflowHidden = val == "hidden"
		}
	}
	return maxHeight0 && overflowHidden
}

func isZeroLength(v string) bool {
	v = strings.TrimRight(v, "abcdefghijklmnopqrstuvwxyz%")
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	return err == nil && f == 0
}

// textWriter accumulates text, collapsing whitespace and merging line
// break requests.
type textWriter struct {
	b         strings.Builder
	nl        int  // newlines requested before the next text
	space     bool // a space is pending before the next text
	trailNL   int  // newlines at the end of b
	trailSpec bool // b ends with a space
}

func (w *textWriter) block(n int) {
	if n > w.nl {
		w.nl = n
	}
}

func (w *textWriter) br() { w.nl++ }

// prep writes pending line breaks or a space before new text.
func (w *textWriter) prep() {
	if w.b.Len() == 0 {
		w.nl, w.space = 0, false
		return
	}
	if w.nl > 0 {
		n := min(w.nl, 2) - w.trailNL
		for ; n > 0; n-- {
			w.b.WriteByte('\n')
			w.trailNL++
		}
		w.nl, w.space = 0, false
		w.trailSpec = false
		return
	}
	if w.space && w.trailNL == 0 && !w.trailSpec {
		w.b.WriteByte(' ')
		w.trailSpec = true
	}
	w.space = false
}

func (w *textWriter) raw(s string) {
	if s == "" {
		return
	}
	w.prep()
	w.b.WriteString(s)
	w.trailNL, w.trailSpec = 0, strings.HasSuffix(s, " ")
}

func (w *textWriter) marker(s string) {
	w.prep()
	w.space = false
	w.b.WriteString(s)
	w.trailNL, w.trailSpec = 0, true
}

func isInvisible(r rune) bool {
	switch r {
	case '\u00ad', '\u034f', '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u2060', '\ufeff':
		return true
	}
	return false
}

func (w *textWriter) text(s string, pre bool) {
	if pre {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
		for len(s) > 0 {
			line, rest, more := strings.Cut(s, "\n")
			if line != "" {
				w.raw(line)
			}
			if more {
				w.prep()
				if w.b.Len() > 0 {
					w.b.WriteByte('\n')
					w.trailNL++
					w.trailSpec = false
				} else {
					w.nl++
				}
			}
			s = rest
		}
		return
	}
	start := -1 // start of the current run of visible characters
	for i, r := range s {
		if unicode.IsSpace(r) || isInvisible(r) || r == utf8.RuneError || (r < 0x20) {
			if start >= 0 {
				w.raw(s[start:i])
				start = -1
			}
			if unicode.IsSpace(r) {
				w.space = true
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		w.raw(s[start:])
	}
}

// finish trims trailing spaces from lines and leading and trailing blank
// lines.
func (w *textWriter) finish() string {
	lines := strings.Split(w.b.String(), "\n")
	out := make([]string, 0, len(lines))
	blank := 0
	for _, l := range lines {
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if l == "" {
			blank++
			continue
		}
		if len(out) > 0 && blank > 0 {
			out = append(out, "")
		}
		blank = 0
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
