package message

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	gomessage "github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// maxLine is the longest line, in octets without the CRLF, that RFC 5322
// allows on the wire.
const maxLine = 998

// Draft is an outgoing message before it is built. It is a plain value,
// not safe for concurrent mutation.
type Draft struct {
	From        Address
	To, Cc, Bcc []Address
	ReplyTo     []Address
	Subject     string
	// Text is the plain-text body. Any line break (CRLF, LF or a lone CR)
	// becomes CRLF.
	Text string
	// InReplyTo and References are message IDs without angle brackets.
	InReplyTo  string
	References []string
	// MessageID, without angle brackets; Build generates one when empty.
	MessageID   string
	Attachments []DraftAttachment
}

// DraftAttachment is a file attached to a Draft. ContentType may be empty:
// it is then guessed from the file name's extension.
type DraftAttachment struct {
	Filename    string
	ContentType string
	Data        []byte
}

// Recipients returns the envelope recipients of d (To, Cc and Bcc), without
// duplicates, in order.
func (d *Draft) Recipients() []string {
	var out []string
	seen := map[string]bool{}
	for _, list := range [][]Address{d.To, d.Cc, d.Bcc} {
		for _, a := range list {
			k := strings.ToLower(a.Email)
			if a.Email != "" && !seen[k] {
				seen[k] = true
				out = append(out, a.Email)
			}
		}
	}
	return out
}

// HeaderError reports a header field value that Build or Prepare refuses
// to write: a line break or another control character (which would let the
// value inject header fields), or a malformed address.
type HeaderError struct {
	Field  string // e.g. "Subject", "To", "attachment file name"
	Value  string
	Reason string
}

// Error returns one line naming the field and the problem.
func (e *HeaderError) Error() string {
	return fmt.Sprintf("message: %s %q %s", e.Field, truncateRunes(e.Value, 60), e.Reason)
}

func checkHeaderText(field, v string) error {
	if i := strings.IndexAny(v, "\r\n"); i >= 0 {
		return &HeaderError{Field: field, Value: v, Reason: "contains a line break"}
	}
	for _, r := range v {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return &HeaderError{Field: field, Value: v, Reason: "contains a control character"}
		}
	}
	if !utf8.ValidString(v) {
		return &HeaderError{Field: field, Value: v, Reason: "is not valid UTF-8"}
	}
	return nil
}

// checkEmail accepts addr-spec forms "local@domain" without spaces, angle
// brackets or control characters.
func checkEmail(field, email string) error {
	if err := checkHeaderText(field, email); err != nil {
		return err
	}
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 || strings.ContainsAny(email, " \t<>,;\"()[]\\") {
		return &HeaderError{Field: field, Value: email, Reason: "is not an email address"}
	}
	return nil
}

func checkAddresses(field string, list []Address) error {
	for _, a := range list {
		if err := checkHeaderText(field+" name", a.Name); err != nil {
			return err
		}
		if err := checkEmail(field, a.Email); err != nil {
			return err
		}
	}
	return nil
}

func checkMsgID(field, id string) error {
	if err := checkHeaderText(field, id); err != nil {
		return err
	}
	if id == "" || strings.ContainsAny(id, " \t<>") || !strings.Contains(id, "@") && len(id) > 250 {
		return &HeaderError{Field: field, Value: id, Reason: "is not a message ID"}
	}
	return nil
}

// NewMessageID returns a fresh random message ID (without angle brackets)
// in domain; domain "" means "localhost".
func NewMessageID(domain string) string {
	if domain == "" || checkHeaderText("domain", domain) != nil || strings.ContainsAny(domain, " \t<>@") {
		domain = "localhost"
	}
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:]) + "@" + domain
}

func toMailAddrs(list []Address) []*gomail.Address {
	out := make([]*gomail.Address, 0, len(list))
	for _, a := range list {
		out = append(out, &gomail.Address{Name: a.Name, Address: a.Email})
	}
	return out
}

// Build returns d as an RFC 5322 message ready for SMTP: UTF-8 text in
// 7bit, quoted-printable or base64 (whichever fits), RFC 2047 encoded
// header words, RFC 2231 encoded file names, multipart/mixed when there are
// attachments (each in base64, but a message/rfc822 one in 7bit or 8bit as
// RFC 2046 requires), Date (now), Message-ID (d.MessageID, or a
// new one in msgIDDomain, by default the sender's domain) and MIME-Version.
// Lines end in CRLF only and are at most 998 octets. The Bcc recipients
// are in a Bcc field, for the copy filed in Sent: whatever hands the
// message to SMTP must send StripBcc of it, with d.Recipients as the
// envelope.
//
// A CR, LF or other control character in any header value (subject, a
// name, an address, a file name) fails with a *HeaderError; it is never
// passed on.
func Build(d *Draft, now time.Time, msgIDDomain string) ([]byte, error) {
	if d == nil {
		return nil, errors.New("message: nil draft")
	}
	if err := checkEmail("From", d.From.Email); err != nil {
		return nil, err
	}
	if err := checkHeaderText("From name", d.From.Name); err != nil {
		return nil, err
	}
	for _, l := range []struct {
		name string
		list []Address
	}{{"To", d.To}, {"Cc", d.Cc}, {"Bcc", d.Bcc}, {"Reply-To", d.ReplyTo}} {
		if err := checkAddresses(l.name, l.list); err != nil {
			return nil, err
		}
	}
	if err := checkHeaderText("Subject", d.Subject); err != nil {
		return nil, err
	}
	if d.InReplyTo != "" {
		if err := checkMsgID("In-Reply-To", d.InReplyTo); err != nil {
			return nil, err
		}
	}
	for _, r := range d.References {
		if err := checkMsgID("References", r); err != nil {
			return nil, err
		}
	}
	msgID := d.MessageID
	if msgID == "" {
		if msgIDDomain == "" {
			msgIDDomain = d.From.Email[strings.LastIndexByte(d.From.Email, '@')+1:]
		}
		msgID = NewMessageID(msgIDDomain)
	} else if err := checkMsgID("Message-ID", msgID); err != nil {
		return nil, err
	}
	type att struct {
		h    gomessage.Header
		data []byte
	}
	var atts []att
	for _, a := range d.Attachments {
		name := path.Base(strings.ReplaceAll(a.Filename, "\\", "/"))
		if name == "." || name == "/" {
			name = ""
		}
		if err := checkHeaderText("attachment file name", name); err != nil {
			return nil, err
		}
		ct := strings.TrimSpace(a.ContentType)
		if err := checkHeaderText("attachment content type", ct); err != nil {
			return nil, err
		}
		if ct == "" {
			ct = mime.TypeByExtension(strings.ToLower(path.Ext(name)))
		}
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || strings.HasPrefix(mt, "multipart/") {
			mt, params = "application/octet-stream", nil
		}
		data, cte := a.Data, "base64"
		if mt == "message/rfc822" {
			// RFC 2046 5.2.1: a message/rfc822 part is 7bit, 8bit or
			// binary, never base64. One that cannot be sent as 7bit or
			// 8bit (NULs, lines over 998 octets) goes as an opaque file.
			data = canonicalBytes(a.Data)
			if cte = messagePartEncoding(data); cte == "" {
				data, cte, mt, params = a.Data, "base64", "application/octet-stream", nil
			}
		}
		var h gomessage.Header
		if name != "" {
			if params == nil {
				params = map[string]string{}
			}
			params["name"] = name
		}
		h.SetContentType(mt, params)
		h.Set("Content-Disposition", contentDisposition(name))
		h.Set("Content-Transfer-Encoding", cte)
		atts = append(atts, att{h, data})
	}

	text := canonicalBytes([]byte(strings.ToValidUTF8(d.Text, "\uFFFD")))
	enc := textEncoding(text)
	var th gomessage.Header
	th.Set("Content-Transfer-Encoding", enc)
	th.SetContentType("text/plain", map[string]string{"charset": "utf-8"})

	// Fields are written in the reverse order of setting.
	var h gomail.Header
	if len(atts) == 0 {
		h.Set("Content-Transfer-Encoding", enc)
		h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	} else {
		var rb [12]byte
		rand.Read(rb[:])
		h.SetContentType("multipart/mixed", map[string]string{"boundary": "=_tern_" + hex.EncodeToString(rb[:])})
	}
	h.Set("MIME-Version", "1.0")
	h.SetMsgIDList("References", d.References)
	if d.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{d.InReplyTo})
	}
	h.SetMessageID(msgID)
	h.SetSubject(d.Subject)
	h.SetAddressList("Reply-To", toMailAddrs(d.ReplyTo))
	h.SetAddressList("Bcc", toMailAddrs(d.Bcc))
	h.SetAddressList("Cc", toMailAddrs(d.Cc))
	h.SetAddressList("To", toMailAddrs(d.To))
	h.SetAddressList("From", toMailAddrs([]Address{d.From}))
	h.SetDate(now)

	var buf bytes.Buffer
	size := len(text) + 4096
	for _, a := range atts {
		size += len(a.data)*4/3 + len(a.data)/38 + 512
	}
	buf.Grow(size)
	if len(atts) == 0 {
		w, err := gomessage.CreateWriter(&buf, h.Header)
		if err != nil {
			return nil, fmt.Errorf("message: %w", err)
		}
		if _, err := w.Write(text); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	mw, err := gomessage.CreateWriter(&buf, h.Header)
	if err != nil {
		return nil, fmt.Errorf("message: %w", err)
	}
	tw, err := mw.CreatePart(th)
	if err != nil {
		return nil, fmt.Errorf("message: %w", err)
	}
	if _, err := tw.Write(text); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	for _, a := range atts {
		aw, err := mw.CreatePart(a.h)
		if err != nil {
			return nil, fmt.Errorf("message: %w", err)
		}
		if _, err := aw.Write(a.data); err != nil {
			return nil, err
		}
		if err := aw.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// contentDisposition returns an attachment's Content-Disposition value,
// the file name in RFC 2231 form (percent-encoded UTF-8, in continuations
// short enough to fold) when it is not short printable ASCII.
func contentDisposition(name string) string {
	if name == "" {
		return "attachment"
	}
	if isPrintableASCII(name) && len(name) <= 60 {
		if v := mime.FormatMediaType("attachment", map[string]string{"filename": name}); v != "" {
			return v
		}
	}
	const hexDigits = "0123456789ABCDEF"
	var chunks []string
	var cur strings.Builder
	cur.WriteString("utf-8''")
	for i := 0; i < len(name); i++ {
		c := name[i]
		var enc string
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0) {
			enc = string(c)
		} else {
			enc = string([]byte{'%', hexDigits[c>>4], hexDigits[c&15]})
		}
		if cur.Len()+len(enc) > 60 {
			chunks = append(chunks, cur.String())
			cur.Reset()
		}
		cur.WriteString(enc)
	}
	chunks = append(chunks, cur.String())
	if len(chunks) == 1 {
		return "attachment; filename*=" + chunks[0]
	}
	var b strings.Builder
	b.WriteString("attachment")
	for i, ch := range chunks {
		fmt.Fprintf(&b, "; filename*%d*=%s", i, ch)
	}
	return b.String()
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// textEncoding picks the transfer encoding for CRLF text: 7bit when it is
// printable ASCII in short enough lines, quoted-printable when it is mostly
// ASCII, base64 otherwise.
func textEncoding(text []byte) string {
	unsafe, line, long := 0, 0, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '\r' && i+1 < len(text) && text[i+1] == '\n':
			i++
			line = 0
			continue
		case c >= 0x80 || c < 0x20 && c != '\t' || c == 0x7f:
			unsafe++
		}
		line++
		if line > maxLine {
			long = true
		}
	}
	switch {
	case unsafe == 0 && !long:
		return "7bit"
	case unsafe*2 <= len(text):
		return "quoted-printable"
	}
	return "base64"
}

// messagePartEncoding returns the transfer encoding of CRLF message data
// attached as message/rfc822: "7bit" for ASCII, "8bit" when it has other
// octets, or "" when neither fits (a NUL, or a line over 998 octets).
func messagePartEncoding(data []byte) string {
	enc, line := "7bit", 0
	for i := 0; i < len(data); i++ {
		switch c := data[i]; {
		case c == '\r' && i+1 < len(data) && data[i+1] == '\n':
			i++
			line = 0
			continue
		case c == 0:
			return ""
		case c >= 0x80:
			enc = "8bit"
		}
		if line++; line > maxLine {
			return ""
		}
	}
	return enc
}

// Prepared is a raw message made ready for the outbox by Prepare.
type Prepared struct {
	Raw       []byte   // CRLF line endings; Bcc kept (send StripBcc(Raw))
	From      string   // the From address, for MAIL FROM
	Rcpts     []string // To, Cc and Bcc addresses, without duplicates
	Subject   string   // decoded
	MessageID string   // without angle brackets
}

// Prepare makes an existing RFC 5322 message (say, an .eml file) ready to
// send: it converts line breaks to CRLF, takes the envelope from From, To,
// Cc and Bcc, and adds Date (now), Message-ID (in msgIDDomain, by default
// the sender's domain) and MIME-Version when they are missing. It fails when the message has no From or no recipient,
// when the header cannot be parsed, or when a line is longer than 998
// octets. Bcc stays in the header, for the copy filed in Sent: whatever
// hands the message to SMTP must send StripBcc of it.
func Prepare(raw []byte, now time.Time, msgIDDomain string) (*Prepared, error) {
	norm := canonicalBytes(raw)
	br := bufio.NewReader(bytes.NewReader(norm))
	th, err := textproto.ReadHeader(br)
	if err != nil {
		return nil, fmt.Errorf("message: cannot read the header: %w", err)
	}
	body := norm[len(norm)-br.Buffered():]
	h := gomail.Header{Header: gomessage.Header{Header: th}}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 {
		return nil, errors.New("message: the message needs exactly one From address")
	}
	p := &Prepared{From: from[0].Address}
	seen := map[string]bool{}
	for _, key := range []string{"To", "Cc", "Bcc"} {
		list, err := h.AddressList(key)
		if err != nil {
			return nil, fmt.Errorf("message: %s: %w", key, err)
		}
		for _, a := range list {
			if err := checkEmail(key, a.Address); err != nil {
				return nil, err
			}
			if k := strings.ToLower(a.Address); !seen[k] {
				seen[k] = true
				p.Rcpts = append(p.Rcpts, a.Address)
			}
		}
	}
	if len(p.Rcpts) == 0 {
		return nil, errors.New("message: no recipient (To, Cc or Bcc)")
	}
	p.Subject, _ = h.Subject()
	p.MessageID, _ = h.MessageID()
	if p.MessageID == "" {
		if msgIDDomain == "" {
			msgIDDomain = p.From[strings.LastIndexByte(p.From, '@')+1:]
		}
		p.MessageID = NewMessageID(msgIDDomain)
		h.SetMessageID(p.MessageID)
	}
	if !h.Has("Date") {
		h.SetDate(now)
	}
	if !h.Has("Mime-Version") {
		h.Set("MIME-Version", "1.0")
	}
	var buf bytes.Buffer
	buf.Grow(len(norm) + 256)
	if err := textproto.WriteHeader(&buf, h.Header.Header); err != nil {
		return nil, fmt.Errorf("message: %w", err)
	}
	buf.Write(body)
	for _, line := range bytes.Split(buf.Bytes(), []byte("\r\n")) {
		if len(line) > maxLine {
			return nil, fmt.Errorf("message: a line is %d octets long, more than the %d allowed", len(line), maxLine)
		}
	}
	p.Raw = buf.Bytes()
	return p, nil
}

// canonicalBytes converts every line break in b (CRLF, LF or a lone CR)
// to CRLF, and ends a non-empty b with CRLF.
func canonicalBytes(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/32+2)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '\r':
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			out = append(out, '\r', '\n')
		case '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, c)
		}
	}
	if len(out) > 0 && !bytes.HasSuffix(out, []byte("\r\n")) {
		out = append(out, '\r', '\n')
	}
	return out
}

// Reply prefixes and forward prefixes, compared case-insensitively.
var (
	replyPrefixes   = []string{"re", "aw", "sv", "antw", "vs", "r"}
	forwardPrefixes = []string{"fwd", "fw", "wg", "tr", "rv", "i"}
)

// stripPrefixes removes leading "Re:"-like prefixes (also "Re[2]:" and
// "Re :") from subject.
func stripPrefixes(subject string, prefixes []string) string {
	s := strings.TrimSpace(subject)
	for {
		i := strings.IndexByte(s, ':')
		if i <= 0 || i > 10 {
			return s
		}
		word := strings.ToLower(strings.TrimSpace(s[:i]))
		if j := strings.IndexByte(word, '['); j > 0 && strings.HasSuffix(word, "]") {
			word = word[:j]
		}
		found := false
		for _, p := range prefixes {
			if word == p {
				found = true
				break
			}
		}
		if !found {
			return s
		}
		s = strings.TrimSpace(s[i+1:])
	}
}

// ReplySubject returns "Re: " and subject without its reply prefixes, so
// that replies to replies do not stack them.
func ReplySubject(subject string) string {
	return "Re: " + stripPrefixes(subject, replyPrefixes)
}

// ForwardSubject returns "Fwd: " and subject without its forward prefixes.
func ForwardSubject(subject string) string {
	return "Fwd: " + stripPrefixes(subject, forwardPrefixes)
}

// maxReferences bounds the References of a reply: the first and the most
// recent ones are kept.
const maxReferences = 20

// Reply returns a draft replying to orig: to its Reply-To (or From), and
// with all also to its other recipients (To and Cc, as Cc) except the
// addresses in self (the user's own, compared case-insensitively). When
// orig was sent by one of self, the reply goes to orig's recipients. The
// subject gets one "Re: ", In-Reply-To and References thread the reply,
// and the body quotes orig's text under an attribution line. From is left
// empty for the caller.
func Reply(orig *Message, all bool, self []string) *Draft {
	mine := map[string]bool{}
	for _, s := range self {
		mine[strings.ToLower(s)] = true
	}
	d := &Draft{Subject: ReplySubject(orig.Subject)}
	seen := map[string]bool{}
	add := func(dst *[]Address, list []Address) {
		for _, a := range list {
			k := strings.ToLower(a.Email)
			if a.Email == "" || seen[k] || mine[k] {
				continue
			}
			seen[k] = true
			*dst = append(*dst, a)
		}
	}
	fromSelf := len(orig.From) > 0 && mine[strings.ToLower(orig.From[0].Email)]
	switch {
	case fromSelf:
		add(&d.To, orig.To)
	case len(orig.ReplyTo) > 0:
		add(&d.To, orig.ReplyTo)
	default:
		add(&d.To, orig.From)
	}
	if all {
		if !fromSelf {
			add(&d.Cc, orig.To)
		}
		add(&d.Cc, orig.Cc)
	}
	if len(d.To) == 0 && len(d.Cc) > 0 {
		d.To, d.Cc = d.Cc[:1], d.Cc[1:]
	}
	if len(d.To) == 0 && len(orig.From) > 0 {
		d.To = append(d.To, orig.From[0]) // replying to oneself
	}
	d.InReplyTo = orig.MessageID
	refs := append([]string(nil), orig.References...)
	if len(refs) == 0 && orig.InReplyTo != "" {
		refs = append(refs, orig.InReplyTo)
	}
	if orig.MessageID != "" {
		refs = append(refs, orig.MessageID)
	}
	if len(refs) > maxReferences {
		refs = append(refs[:1:1], refs[len(refs)-maxReferences+1:]...)
	}
	d.References = refs
	d.Text = "\n\n" + Attribution(orig) + "\n" + Quote(orig.Text)
	return d
}

// Attribution returns the line that introduces a quoted message, such as
// "On Mon, 2 Jan 2006 at 15:04, Alice <alice@example.com> wrote:".
func Attribution(orig *Message) string {
	who := "someone"
	if len(orig.From) > 0 {
		who = orig.From[0].String()
	}
	if orig.Date.IsZero() {
		return who + " wrote:"
	}
	return "On " + orig.Date.Format("Mon, 2 Jan 2006 at 15:04") + ", " + who + " wrote:"
}

// Quote prefixes every line of text with "> " (">" before a line that is
// already quoted, nothing but ">" before an empty line). Line breaks in the
// result are LF.
func Quote(text string) string {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	text = strings.TrimRight(text, "\n")
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		switch {
		case line == "":
			b.WriteString(">")
		case strings.HasPrefix(line, ">"):
			b.WriteString(">" + line)
		default:
			b.WriteString("> " + line)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Forward returns a draft forwarding orig inline: the subject gets one
// "Fwd: ", and the body carries orig's main header fields and text. orig's
// attachments are not included (Message does not keep their content); the
// caller adds them. From and the recipients are left empty.
func Forward(orig *Message) *Draft {
	var b strings.Builder
	b.WriteString("\n\n-------- Forwarded message --------\n")
	field := func(name, v string) {
		if v != "" {
			b.WriteString(name + ": " + v + "\n")
		}
	}
	field("Subject", orig.Subject)
	if !orig.Date.IsZero() {
		field("Date", orig.Date.Format("Mon, 2 Jan 2006 15:04:05 -0700"))
	}
	field("From", joinAddresses(orig.From))
	field("To", joinAddresses(orig.To))
	field("Cc", joinAddresses(orig.Cc))
	b.WriteString("\n")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(orig.Text, "\r\n", "\n"), "\r", "\n"))
	return &Draft{Subject: ForwardSubject(orig.Subject), Text: b.String()}
}

func joinAddresses(list []Address) string {
	s := make([]string, len(list))
	for i, a := range list {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// ParseAddresses parses a comma-separated list of addresses as a user
// types them ("Alice <a@example.com>, b@example.com") strictly: every
// element must be a valid address.
func ParseAddresses(s string) ([]Address, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if err := checkHeaderText("address", s); err != nil {
		return nil, err
	}
	list, err := mail.ParseAddressList(s)
	if err != nil {
		return nil, fmt.Errorf("message: %q is not a list of email addresses: %w", s, err)
	}
	out := make([]Address, len(list))
	for i, a := range list {
		out[i] = Address{Name: a.Name, Email: a.Address}
	}
	return out, nil
}
