// Package message turns a raw RFC 5322 message into the model the reader
// pane displays: decoded headers, a plain-text body, the raw HTML body and
// a list of attachments.
//
// Beside the body it reads what the reader shows around it: calendar
// invitations (ParseCalendar), the files inside Outlook's winmail.dat
// (ParseTNEF), the header fields and raw source for display (Headers,
// SourceText) and a sanitized page for a web browser (BrowserHTML).
//
// Parsing is lenient and bounded: broken MIME yields a best-effort Message
// with Warnings, and the part count, multipart depth, header size and
// decoded text size are limited so that hostile input can neither panic
// nor hang the parser. Render likewise bounds a Document (blocks of at
// most MaxBlockTextBytes, MaxDocumentTextBytes in all) and marks it
// Truncated when it cuts.
package message

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	// Registers the charsets (ISO-8859-*, windows-125x, KOI8-R, GBK, Big5,
	// Shift_JIS, EUC-JP, ISO-2022-JP, EUC-KR, ...) with go-message.
	_ "github.com/emersion/go-message/charset"
)

// Address is a display name and an email address.
type Address struct {
	Name  string
	Email string
}

// String returns "Name <email>", or just "email" when there is no name
// (or just the name when there is no email).
func (a Address) String() string {
	switch {
	case a.Name == "":
		return a.Email
	case a.Email == "":
		return a.Name
	}
	return a.Name + " <" + a.Email + ">"
}

// Attachment describes a non-body part of a message. The content itself
// is not kept; PartPath addresses it (IMAP numbering, e.g. "1.2").
type Attachment struct {
	Filename    string // sanitized: no directory components or control characters
	ContentType string // lower-case media type, e.g. "application/pdf"
	Size        int64  // decoded size in bytes
	Inline      bool   // disposition inline, or a non-root part of multipart/related
	ContentID   string // without angle brackets
	PartPath    string // IMAP-style part number, e.g. "2" or "1.2"
}

// Message is the displayable model of a parsed message.
type Message struct {
	Subject               string
	From, To, Cc, ReplyTo []Address
	Date                  time.Time // zero if missing or unparsable
	MessageID, InReplyTo  string    // without angle brackets
	References            []string  // without angle brackets, oldest first
	Text                  string    // plain text to display, LF line endings
	HTML                  string    // raw (unsanitized) HTML body decoded to UTF-8, "" if none
	Attachments           []Attachment
	Warnings              []string
}

// Options bounds and tunes parsing. A nil *Options, or a zero field, means
// the default for that field.
type Options struct {
	// PreferHTML makes Text derive from the HTML alternative when a message
	// has both a plain and an HTML body.
	PreferHTML bool
	// MaxParts is the maximum number of MIME parts visited (default 500).
	MaxParts int
	// MaxDepth is the maximum multipart nesting depth (default 20, at
	// most 1000).
	MaxDepth int
	// MaxDecodedBytes bounds the decoded body text kept in memory
	// (text/plain and text/html parts, after charset conversion; default
	// 32 MiB). Attachment sizes are counted without keeping their content.
	MaxDecodedBytes int64
	// MaxHeaderBytes bounds the header fields kept of each header (the
	// message's and each part's; default 256 KiB). Fields past it are
	// dropped with a warning.
	MaxHeaderBytes int
	// MaxHeaderFieldBytes bounds one header field's value (default
	// 64 KiB); a longer value is cut with a warning.
	MaxHeaderFieldBytes int
}

// Defaults used for zero Options fields.
const (
	DefaultMaxParts        = 500
	DefaultMaxDepth        = 20
	DefaultMaxDecodedBytes = 32 << 20
	// DefaultMaxHeaderBytes and DefaultMaxHeaderFieldBytes bound headers
	// (see Options). Headers and FromHeader use them too.
	DefaultMaxHeaderBytes      = 256 << 10
	DefaultMaxHeaderFieldBytes = 64 << 10
)

// ErrEmpty is returned by Parse when the input holds nothing at all.
var ErrEmpty = errors.New("message: empty input")

func (o *Options) withDefaults() Options {
	var out Options
	if o != nil {
		out = *o
	}
	if out.MaxParts <= 0 {
		out.MaxParts = DefaultMaxParts
	}
	if out.MaxDepth <= 0 {
		out.MaxDepth = DefaultMaxDepth
	}
	if out.MaxDecodedBytes <= 0 {
		out.MaxDecodedBytes = DefaultMaxDecodedBytes
	}
	if out.MaxHeaderBytes <= 0 {
		out.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if out.MaxHeaderFieldBytes <= 0 {
		out.MaxHeaderFieldBytes = DefaultMaxHeaderFieldBytes
	}
	// Keep recursion and arithmetic sane whatever the caller asks for.
	out.MaxParts = min(out.MaxParts, 1<<20)
	out.MaxDepth = min(out.MaxDepth, 1000)
	out.MaxDecodedBytes = min(out.MaxDecodedBytes, 1<<40)
	out.MaxHeaderBytes = min(out.MaxHeaderBytes, 1<<30)
	out.MaxHeaderFieldBytes = min(out.MaxHeaderFieldBytes, out.MaxHeaderBytes)
	return out
}

// Parse parses a raw message. It returns an error only when nothing at all
// could be read (empty input); malformed messages yield a best-effort
// Message whose Warnings say what went wrong.
func Parse(raw []byte, opts *Options) (*Message, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, ErrEmpty
	}
	p := &parser{opts: opts.withDefaults(), msg: &Message{}}
	p.budget = p.opts.MaxDecodedBytes
	p.parse(raw)
	return p.msg, nil
}

type parser struct {
	opts   Options
	msg    *Message
	parts  int   // parts visited so far
	budget int64 // decoded text bytes still allowed
	warned map[string]bool

	stopped bool // part limit reached: visit nothing more
}

func (p *parser) warn(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	if p.warned == nil {
		p.warned = make(map[string]bool)
	}
	if p.warned[w] || len(p.warned) >= 50 {
		return
	}
	p.warned[w] = true
	p.msg.Warnings = append(p.msg.Warnings, w)
}

// splitHeader splits an entity under the parser's header limits and
// warns about what they cut.
func (p *parser) splitHeader(b []byte) (header, []byte, bool) {
	h, body, ok, cut := splitHeaderLimited(b, headerLimits{total: p.opts.MaxHeaderBytes, field: p.opts.MaxHeaderFieldBytes})
	if cut.total {
		p.warn("header truncated: fields past %d bytes not shown", p.opts.MaxHeaderBytes)
	}
	for _, k := range cut.fields {
		p.warn("header field %s cut at %d bytes", truncateRunes(sanitizeHeader(k), 40), p.opts.MaxHeaderFieldBytes)
	}
	return h, body, ok
}

func (p *parser) parse(raw []byte) {
	h, body, ok := p.splitHeader(raw)
	if !ok {
		p.warn("no header found, whole message shown as text")
	}
	m := p.msg
	l := listHeader(h)
	m.Subject, m.From, m.To, m.Cc, m.ReplyTo = l.Subject, l.From, l.To, l.Cc, l.ReplyTo
	m.Date, m.MessageID, m.InReplyTo, m.References = l.Date, l.MessageID, l.InReplyTo, l.References
	if d := h.get("date"); strings.TrimSpace(d) != "" && l.Date.IsZero() {
		p.warn("unparsable date %q", truncateRunes(sanitizeHeader(d), 80))
	}

	root := &part{header: h, body: body, path: "1"}
	b := p.walk(root, 0, "text/plain", true)

	plainText := b.plain
	// An empty plain alternative next to a real HTML one is common; show
	// the HTML's text then.
	if b.hasHTML && (p.opts.PreferHTML || strings.TrimSpace(b.plain) == "") {
		plainText = HTMLToText(b.html)
	}
	m.Text = strings.TrimLeft(strings.TrimRightFunc(plainText, unicode.IsSpace), "\n")
	m.HTML = b.html
}

// bodyResult is what a subtree contributes to the displayed body.
type bodyResult struct {
	plain, html       string
	hasPlain, hasHTML bool
}

func (b bodyResult) empty() bool { return !b.hasPlain && !b.hasHTML }

// asPlain returns the subtree's body as plain text.
func (b bodyResult) asPlain() string {
	if b.hasPlain {
		return b.plain
	}
	if b.hasHTML {
		return HTMLToText(b.html)
	}
	return ""
}

// asHTML returns the subtree's body as HTML, escaping plain text.
func (b bodyResult) asHTML() string {
	if b.hasHTML {
		return b.html
	}
	if b.hasPlain {
		return "<pre>" + htmlEscape(b.plain) + "</pre>"
	}
	return ""
}

// joinBodies joins sibling bodies (multipart/mixed): the plain body is
// every part as plain text, the HTML body every part as HTML.
func joinBodies(bs []bodyResult) bodyResult {
	var out bodyResult
	for _, b := range bs {
		out.hasPlain = out.hasPlain || b.hasPlain
		out.hasHTML = out.hasHTML || b.hasHTML
	}
	var plain, html []string
	for _, b := range bs {
		if b.empty() {
			continue
		}
		if out.hasPlain {
			if s := strings.TrimRight(b.asPlain(), "\n"); s != "" {
				plain = append(plain, s)
			}
		}
		if out.hasHTML {
			if s := b.asHTML(); s != "" {
				html = append(html, s)
			}
		}
	}
	out.plain = strings.Join(plain, "\n\n")
	out.html = strings.Join(html, "\n")
	return out
}

func joinNonEmpty(a, b, sep string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + sep + b
}

// walk visits a part and its children. defType is the content type assumed
// when the part has none; isRoot says whether the part is the message
// itself (whose own path is "1" only when it is not multipart).
func (p *parser) walk(pt *part, depth int, defType string, isRoot bool) bodyResult {
	if p.stopped {
		return bodyResult{}
	}
	p.parts++
	if p.parts > p.opts.MaxParts {
		p.stopped = true
		p.warn("message truncated: more than %d parts", p.opts.MaxParts)
		return bodyResult{}
	}
	ct := p.contentType(pt.header, defType)
	if strings.HasPrefix(ct.mediaType, "multipart/") {
		return p.walkMultipart(pt, ct, depth, isRoot)
	}

	disp, dparams := parseParams(pt.header.get("content-disposition"))
	filename := dparams["filename"]
	if filename == "" {
		filename = ct.params["name"]
	}
	isAttachment := disp == "attachment"

	switch ct.mediaType {
	case "text/plain", "text/html":
		if !isAttachment && (filename == "" || disp == "inline") {
			s := p.decodeText(pt, ct)
			if ct.mediaType == "text/html" {
				return bodyResult{html: s, hasHTML: true}
			}
			return bodyResult{plain: s, hasPlain: true}
		}
	}
	p.addAttachment(pt, ct, disp, filename)
	return bodyResult{}
}

func (p *parser) walkMultipart(pt *part, ct contentType, depth int, isRoot bool) bodyResult {
	if depth >= p.opts.MaxDepth {
		p.warn("message truncated: multipart nesting deeper than %d", p.opts.MaxDepth)
		return bodyResult{}
	}
	boundary := ct.params["boundary"]
	if boundary == "" {
		boundary = guessBoundary(pt.body)
		if boundary == "" {
			p.warn("multipart without boundary, shown as plain text")
			s := p.decodeText(pt, contentType{mediaType: "text/plain", params: ct.params})
			return bodyResult{plain: s, hasPlain: true}
		}
		p.warn("multipart without boundary parameter, guessed %q", boundary)
	}
	bodies, closed := splitMultipart(pt.body, boundary, p.opts.MaxParts-p.parts+1)
	if len(bodies) == 0 {
		p.warn("multipart body has no parts, shown as plain text")
		s := p.decodeText(pt, contentType{mediaType: "text/plain"})
		return bodyResult{plain: s, hasPlain: true}
	}
	if !closed {
		p.warn("multipart missing closing boundary")
	}

	sub := strings.TrimPrefix(ct.mediaType, "multipart/")
	childDef := "text/plain"
	if sub == "digest" {
		childDef = "message/rfc822"
	}
	children := make([]*part, 0, len(bodies))
	for i, b := range bodies {
		h, body, _ := p.splitHeader(b)
		path := fmt.Sprint(i + 1)
		if !isRoot {
			path = pt.path + "." + path
		}
		children = append(children, &part{header: h, body: body, path: path})
	}

	switch sub {
	case "alternative":
		// The last alternative of each kind wins (RFC 2046 orders them by
		// increasing faithfulness); other alternatives (text/calendar, ...)
		// are listed as attachments by walk.
		var out bodyResult
		for _, c := range children {
			r := p.walk(c, depth+1, childDef, false)
			if r.hasPlain && !r.hasHTML {
				out.plain, out.hasPlain = r.plain, true
			} else if r.hasHTML && !r.hasPlain {
				out.html, out.hasHTML = r.html, true
			} else if !r.empty() {
				out.plain, out.hasPlain = r.plain, true
				out.html, out.hasHTML = r.html, true
			}
		}
		return out
	case "related":
		rootIdx := 0
		if start := strings.Trim(strings.TrimSpace(ct.params["start"]), "<>"); start != "" {
			for i, c := range children {
				if strings.Trim(strings.TrimSpace(c.header.get("content-id")), "<>") == start {
					rootIdx = i
					break
				}
			}
		}
		var out bodyResult
		for i, c := range children {
			if i == rootIdx {
				out = p.walk(c, depth+1, childDef, false)
				continue
			}
			c.relatedResource = true
			p.walk(c, depth+1, childDef, false)
		}
		return out
	default: // mixed, signed, report, digest, unknown subtypes
		results := make([]bodyResult, 0, len(children))
		for _, c := range children {
			results = append(results, p.walk(c, depth+1, childDef, false))
		}
		return joinBodies(results)
	}
}

func (p *parser) addAttachment(pt *part, ct contentType, disp, filename string) {
	data, enc, encName, known := transferDecodeInfo(pt)
	if !known {
		p.warn("unknown transfer encoding %s, shown raw", truncateRunes(sanitizeHeader(encName), 40))
	}
	size := decodedSize(data, enc)
	a := Attachment{
		ContentType: ct.mediaType,
		Size:        size,
		Inline:      disp == "inline" || pt.relatedResource,
		ContentID:   strings.Trim(strings.TrimSpace(DecodeHeader(pt.header.get("content-id"))), "<>"),
		PartPath:    pt.path,
	}
	filename = sanitizeFilename(filename)
	if ct.mediaType == "message/rfc822" || ct.mediaType == "message/global" {
		if filename == "" {
			decoded, _ := transferDecode(data, enc)
			h, _, _ := splitHeader(decoded)
			filename = sanitizeFilename(DecodeHeader(h.get("subject")))
			if filename == "" {
				filename = "message"
			}
			filename += ".eml"
		}
	}
	if filename == "" {
		filename = "attachment" + extensionFor(ct.mediaType)
	}
	a.Filename = filename
	p.msg.Attachments = append(p.msg.Attachments, a)
}

// decodeText decodes a text part's transfer encoding and charset, bounded
// by the remaining decoded-text budget, and normalizes line endings.
func (p *parser) decodeText(pt *part, ct contentType) string {
	data, enc, encName, known := transferDecodeInfo(pt)
	if !known {
		p.warn("unknown transfer encoding %s, shown raw", truncateRunes(sanitizeHeader(encName), 40))
	}
	decoded, err := transferDecode(data, enc)
	if err != nil {
		p.warn("%v", err)
	}
	if p.budget <= 0 {
		p.warn("message truncated: decoded text larger than %d bytes", p.opts.MaxDecodedBytes)
		return ""
	}
	label, hasLabel := ct.params["charset"]
	var s string
	var truncated bool
	if ct.mediaType == "text/html" && !hasLabel {
		s, truncated = decodeHTMLCharset(decoded, p.budget)
	} else {
		var cerr error
		s, truncated, cerr = decodeCharset(label, decoded, p.budget)
		if cerr != nil {
			p.warn("%v", cerr)
		}
	}
	if truncated {
		p.warn("message truncated: decoded text larger than %d bytes", p.opts.MaxDecodedBytes)
	}
	p.budget -= int64(len(s))
	s = normalizeText(s)
	if ct.mediaType == "text/plain" && strings.EqualFold(ct.params["format"], "flowed") {
		s = unflow(s, strings.EqualFold(ct.params["delsp"], "yes"))
	}
	return s
}

type contentType struct {
	mediaType string
	params    map[string]string
}

func (p *parser) contentType(h header, defType string) contentType {
	raw := h.get("content-type")
	if strings.TrimSpace(raw) == "" {
		return contentType{mediaType: defType, params: map[string]string{}}
	}
	mt, params := parseParams(raw)
	if i := strings.IndexByte(mt, '/'); i <= 0 || i == len(mt)-1 || strings.ContainsAny(mt, " \t\"") {
		switch mt {
		case "text", "plain":
			mt = "text/plain"
		case "html":
			mt = "text/html"
		default:
			p.warn("invalid content type %q, treated as %s", truncateRunes(sanitizeHeader(mt), 60), defType)
			mt = defType
		}
	}
	return contentType{mediaType: mt, params: params}
}

func htmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	return r.Replace(s)
}

func truncateRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}
