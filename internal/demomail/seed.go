package demomail

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// SeedMessage is a message to store in a mailbox when a server starts.
type SeedMessage struct {
	Mailbox string    // created if missing; "a/b" creates "a" too
	Flags   []string  // IMAP flags, e.g. `\Seen`
	Date    time.Time // INTERNALDATE; zero means now
	Raw     []byte    // RFC 5322 message with CRLF line endings
}

// person is a mailbox address with a time zone for its Date headers.
type person struct {
	name, email string
	tz          int  // UTC offset in hours
	bword       bool // encode the display name with RFC 2047 "B" encoding
}

func (p person) String() string {
	if p.bword && !isASCII(p.name) {
		return mime.BEncoding.Encode("utf-8", p.name) + " <" + p.email + ">"
	}
	return (&mail.Address{Name: p.name, Address: p.email}).String()
}

func (p person) first() string {
	if i := strings.Index(p.name, ", "); i > 0 { // "Family, Given"
		return p.name[i+2:]
	}
	if i := strings.IndexByte(p.name, ' '); i > 0 && !p.bword { // not CJK
		return p.name[:i]
	}
	return p.name
}

func (p person) domain() string {
	return p.email[strings.IndexByte(p.email, '@')+1:]
}

// part is a MIME entity: a leaf with body, or a multipart with parts.
type part struct {
	ctype    string            // media type, e.g. "text/plain"
	params   map[string]string // Content-Type parameters (boundary is added)
	cte      string            // 7bit, 8bit, quoted-printable or base64 (leaves)
	disp     string            // inline / attachment; "" for none
	filename string
	id       string // Content-ID without brackets
	body     []byte // decoded content, already in the charset of params
	parts    []*part
}

// email is a message before serialization.
type email struct {
	from     person
	to, cc   []person
	subject  string
	date     time.Time
	id       string // Message-ID without brackets
	replyTo  string // In-Reply-To target
	refs     []string
	latin1   bool // subject encoded as ISO-8859-1
	headers  [][2]string
	body     *part
	boundary string // seed for multipart boundaries
}

// bytes serializes m as RFC 5322 with CRLF line endings.
func (m *email) bytes() []byte {
	var b bytes.Buffer
	b.Grow(4096)
	field(&b, "Date", m.date.In(time.FixedZone("", m.from.tz*3600)).Format(time.RFC1123Z))
	field(&b, "From", m.from.String())
	field(&b, "To", addrList(m.to))
	if len(m.cc) > 0 {
		field(&b, "Cc", addrList(m.cc))
	}
	field(&b, "Subject", m.encodedSubject())
	field(&b, "Message-ID", "<"+m.id+">")
	if m.replyTo != "" {
		field(&b, "In-Reply-To", "<"+m.replyTo+">")
	}
	if len(m.refs) > 0 {
		field(&b, "References", "<"+strings.Join(m.refs, "> <")+">")
	}
	for _, h := range m.headers {
		field(&b, h[0], h[1])
	}
	field(&b, "MIME-Version", "1.0")
	writeEntity(&b, m.body, m.boundary, 0)
	return b.Bytes()
}

func (m *email) encodedSubject() string {
	switch {
	case isASCII(m.subject):
		return m.subject
	case m.latin1:
		return mime.QEncoding.Encode("ISO-8859-1", string(toLatin1(m.subject)))
	case m.from.bword:
		return mime.BEncoding.Encode("utf-8", m.subject)
	}
	return mime.QEncoding.Encode("utf-8", m.subject)
}

func addrList(ps []person) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// field writes a header field, folding at spaces to keep lines near 78
// characters.
func field(b *bytes.Buffer, k, v string) {
	b.WriteString(k)
	b.WriteByte(':')
	col := len(k) + 1
	for i, w := range strings.Split(v, " ") {
		if i > 0 && w != "" && col+1+len(w) > 78 {
			b.WriteString("\r\n")
			col = 0
		}
		b.WriteByte(' ')
		b.WriteString(w)
		col += 1 + len(w)
	}
	b.WriteString("\r\n")
}

// writeEntity writes the MIME header fields of p, the blank line and its
// body.
func writeEntity(b *bytes.Buffer, p *part, seed string, depth int) {
	params := map[string]string{}
	for k, v := range p.params {
		params[k] = v
	}
	var bnd string
	if len(p.parts) > 0 {
		bnd = fmt.Sprintf("=_%s_%d", seed, depth)
		params["boundary"] = bnd
	}
	field(b, "Content-Type", mime.FormatMediaType(p.ctype, params))
	if len(p.parts) == 0 {
		field(b, "Content-Transfer-Encoding", p.cte)
	}
	if p.id != "" {
		field(b, "Content-ID", "<"+p.id+">")
	}
	if p.disp != "" {
		dp := map[string]string{}
		if p.filename != "" {
			dp["filename"] = p.filename
		}
		field(b, "Content-Disposition", mime.FormatMediaType(p.disp, dp))
	}
	b.WriteString("\r\n")

	if len(p.parts) == 0 {
		encodeBody(b, p.cte, p.body)
		return
	}
	if depth == 0 {
		b.WriteString("This is a multi-part message in MIME format.\r\n")
	}
	for _, c := range p.parts {
		b.WriteString("\r\n--" + bnd + "\r\n")
		writeEntity(b, c, seed, depth+1)
	}
	b.WriteString("\r\n--" + bnd + "--\r\n")
}

func encodeBody(b *bytes.Buffer, cte string, body []byte) {
	switch cte {
	case "base64":
		enc := base64.StdEncoding.EncodeToString(body)
		for len(enc) > 76 {
			b.WriteString(enc[:76])
			b.WriteString("\r\n")
			enc = enc[76:]
		}
		if enc != "" {
			b.WriteString(enc)
			b.WriteString("\r\n")
		}
	case "quoted-printable":
		w := quotedprintable.NewWriter(b)
		w.Write(body)
		w.Close()
		if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
			b.WriteString("\r\n")
		}
	default: // 7bit, 8bit: text with CRLF line endings
		s := strings.ReplaceAll(string(body), "\r\n", "\n")
		s = strings.TrimRight(s, "\n")
		b.WriteString(strings.ReplaceAll(s, "\n", "\r\n"))
		b.WriteString("\r\n")
	}
}

// textPart returns a text/<sub> leaf choosing a realistic transfer encoding.
// variant selects among the encodings for non-ASCII text.
func textPart(sub, text string, variant int, latin1 bool) *part {
	p := &part{ctype: "text/" + sub, params: map[string]string{"charset": "utf-8"}, body: []byte(text)}
	switch {
	case latin1:
		p.params["charset"] = "ISO-8859-1"
		p.body = toLatin1(text)
		p.cte = "quoted-printable"
	case sub == "html":
		p.cte = "quoted-printable"
	case isASCII(text) && variant%4 != 3:
		p.cte = "7bit"
		p.params["charset"] = "us-ascii"
		p.body = []byte(wrapText(text, 72, false))
	case variant%5 == 1:
		p.cte = "8bit"
		p.body = []byte(wrapText(text, 72, false))
	case variant%5 == 2:
		p.cte = "base64"
	default:
		p.cte = "quoted-printable"
		if variant%2 == 0 {
			p.params["format"] = "flowed"
			p.body = []byte(wrapText(text, 72, true))
		}
	}
	return p
}

func multipart(sub string, parts ...*part) *part {
	return &part{ctype: "multipart/" + sub, parts: parts}
}

func attachment(ctype, filename string, data []byte) *part {
	return &part{ctype: ctype, params: map[string]string{"name": filename}, cte: "base64",
		disp: "attachment", filename: filename, body: data}
}

// wrapText hard-wraps paragraphs at width columns, keeping quoted lines.
// With flowed, soft line breaks keep a trailing space (RFC 3676).
func wrapText(s string, width int, flowed bool) string {
	var out strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			out.WriteByte('\n')
		}
		if strings.HasPrefix(line, ">") || utf8.RuneCountInString(line) <= width {
			out.WriteString(line)
			continue
		}
		col := 0
		for j, w := range strings.Fields(line) {
			n := utf8.RuneCountInString(w)
			if j > 0 && col+1+n > width {
				if flowed {
					out.WriteByte(' ')
				}
				out.WriteByte('\n')
				col = 0
			} else if j > 0 {
				out.WriteByte(' ')
				col++
			}
			out.WriteString(w)
			col += n
		}
	}
	return out.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// toLatin1 converts UTF-8 to ISO-8859-1, replacing unmappable runes by '?'.
func toLatin1(s string) []byte {
	s = latin1Fallbacks.Replace(s)
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r < 0x100 {
			out = append(out, byte(r))
		} else {
			out = append(out, '?')
		}
	}
	return out
}

var latin1Fallbacks = strings.NewReplacer("—", "--", "–", "-", "“", "\"", "”", "\"", "„", "\"", "’", "'", "→", "->", "…", "...")

func hash32(parts ...string) uint32 {
	h := fnv.New32a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum32()
}
