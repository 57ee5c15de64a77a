package message

import (
	netmail "net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	gomail "github.com/emersion/go-message/mail"
)

// maxEncodedWord bounds the length of one RFC 2047 encoded word we accept
// (the RFC says 75; real mail exceeds it), which also keeps decoding
// linear on hostile input.
const maxEncodedWord = 2000

// DecodeHeader decodes a header value leniently: RFC 2047 encoded words in
// any known charset (also adjacent words that split a multi-byte
// character, words glued to text, lower-case or unpadded encodings, and Q
// words containing spaces), raw 8-bit text (UTF-8, else windows-1252).
// Folding is undone, CR, LF and tab become spaces, NUL and other control
// characters are removed, and the result is trimmed.
func DecodeHeader(s string) string {
	return sanitizeHeader(decodeWords(s))
}

// sanitizeHeader unfolds s and removes control characters.
func sanitizeHeader(s string) string {
	clean := utf8.ValidString(s)
	for i := 0; clean && i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			clean = false
		}
	}
	if clean {
		return strings.TrimSpace(s)
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\r' || c == '\n':
			// Folding: drop the line break when whitespace follows.
			j := i
			for j < len(s) && (s[j] == '\r' || s[j] == '\n') {
				j++
			}
			if j < len(s) && (s[j] == ' ' || s[j] == '\t') {
				i = j - 1
				continue
			}
			b.WriteByte(' ')
			i = j - 1
		case c == '\t':
			b.WriteByte(' ')
		case c < 0x20 || c == 0x7f:
			// drop NUL and other controls
		default:
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}

func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return rawHeaderText(s)
	}
	var out strings.Builder
	var runCharset string
	var run []byte
	inRun := false
	flush := func() {
		if inRun {
			d, _, _ := decodeCharset(runCharset, run, 1<<20)
			out.WriteString(d)
			run, inRun = run[:0], false
		}
	}
	lastClose := strings.LastIndex(s, "?=")
	i := 0
	for i < len(s) {
		j := strings.Index(s[i:], "=?")
		if j < 0 || i+j+2 > lastClose {
			break
		}
		start := i + j
		cs, data, end, ok := parseEncodedWord(s, start)
		if !ok {
			flush()
			out.WriteString(rawHeaderText(s[i : start+2]))
			i = start + 2
			continue
		}
		between := s[i:start]
		if inRun && strings.TrimLeft(between, " \t\r\n") == "" {
			// Whitespace between adjacent encoded words is dropped, and
			// words in the same charset are decoded together so that a
			// character split across words survives.
			if !strings.EqualFold(cs, runCharset) {
				flush()
			}
		} else {
			flush()
			out.WriteString(rawHeaderText(between))
		}
		if !inRun {
			runCharset, inRun = cs, true
		}
		if len(run) < 1<<20 {
			run = append(run, data...)
		}
		i = end
	}
	flush()
	out.WriteString(rawHeaderText(s[i:]))
	return out.String()
}

// parseEncodedWord parses "=?charset?enc?text?=" at s[start:]. It returns
// the charset, the decoded bytes and the index after the word.
func parseEncodedWord(s string, start int) (cs string, data []byte, end int, ok bool) {
	rest := s[start+2:]
	if len(rest) > maxEncodedWord {
		rest = rest[:maxEncodedWord]
	}
	q1 := strings.IndexByte(rest, '?')
	if q1 <= 0 || q1 > 100 || strings.ContainsAny(rest[:q1], " \t\r\n\"") {
		return "", nil, 0, false
	}
	cs = rest[:q1]
	if star := strings.IndexByte(cs, '*'); star >= 0 { // RFC 2231 language
		cs = cs[:star]
	}
	if len(rest) < q1+3 || rest[q1+2] != '?' {
		return "", nil, 0, false
	}
	encChar := rest[q1+1]
	text := rest[q1+3:]
	e := strings.Index(text, "?=")
	if e < 0 {
		return "", nil, 0, false
	}
	text = text[:e]
	if strings.ContainsAny(text, " \t\r\n") && len(text) > 200 {
		return "", nil, 0, false
	}
	switch encChar {
	case 'b', 'B':
		data, _, _ = decodeBase64([]byte(text), true)
	case 'q', 'Q':
		data = make([]byte, 0, len(text))
		for k := 0; k < len(text); k++ {
			c := text[k]
			switch {
			case c == '_':
				data = append(data, ' ')
			case c == '=' && k+2 < len(text):
				h, ok1 := unhex(text[k+1])
				l, ok2 := unhex(text[k+2])
				if ok1 && ok2 {
					data = append(data, h<<4|l)
					k += 2
				} else {
					data = append(data, c)
				}
			case c == '\r' || c == '\n':
			default:
				data = append(data, c)
			}
		}
	default:
		return "", nil, 0, false
	}
	return cs, data, start + 2 + q1 + 3 + e + 2, true
}

// rawHeaderText interprets unencoded header bytes: UTF-8 if valid, else
// windows-1252.
func rawHeaderText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	d, _, _ := decodeCharset("", []byte(s), int64(len(s))*3+4)
	return d
}

// ParseAddressList parses an address list header value leniently. It
// decodes RFC 2047 names and accepts forms net/mail rejects: unquoted
// names with commas or dots, bare addresses, missing brackets, unknown
// charsets and garbage between entries. Entries without any address are
// dropped, except a name before a bracketed address.
func ParseAddressList(s string) []Address {
	s = sanitizeHeader(s)
	if s == "" {
		return nil
	}
	if list, err := gomail.ParseAddressList(s); err == nil {
		out := make([]Address, 0, len(list))
		for _, a := range list {
			name := a.Name
			if strings.Contains(name, "=?") {
				name = DecodeHeader(name)
			}
			out = append(out, Address{Name: sanitizeHeader(name), Email: sanitizeHeader(a.Address)})
		}
		return out
	}
	return parseAddressesLenient(s)
}

const maxAddresses = 10000

func parseAddressesLenient(s string) []Address {
	var out []Address
	pendingName := ""
	for _, piece := range splitAddressList(s) {
		if len(out) >= maxAddresses {
			break
		}
		piece = strings.TrimSpace(piece)
		// Group syntax: "name: a@b, c@d;".
		if c := strings.IndexByte(piece, ':'); c >= 0 && !strings.ContainsAny(piece[:c], `<"@(`) {
			piece = strings.TrimSpace(piece[c+1:])
			pendingName = ""
		}
		if piece == "" {
			continue
		}
		a, ok := parseOneAddress(piece)
		if !ok {
			// "Doe, John <j@x>": keep the name part for the next entry.
			pendingName = joinNonEmpty(pendingName, piece, ", ")
			continue
		}
		if pendingName != "" && a.Name != "" && strings.Contains(piece, "<") {
			a.Name = DecodeHeader(pendingName) + ", " + a.Name
		}
		pendingName = ""
		out = append(out, a)
	}
	return out
}

// splitAddressList splits at commas and semicolons outside quotes, angle
// brackets and comments.
func splitAddressList(s string) []string {
	var parts []string
	inQuote, angle, paren := false, 0, 0
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote:
			if c == '\\' {
				i++
			} else if c == '"' {
				inQuote = false
			}
		case c == '"':
			inQuote = true
		case c == '<':
			angle++
		case c == '>':
			if angle > 0 {
				angle--
			}
		case c == '(':
			paren++
		case c == ')':
			if paren > 0 {
				paren--
			}
		case (c == ',' || c == ';') && angle == 0 && paren == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	if start <= len(s) {
		parts = append(parts, s[start:])
	}
	return parts
}

func parseOneAddress(piece string) (Address, bool) {
	if lt := strings.LastIndexByte(piece, '<'); lt >= 0 {
		gt := strings.IndexByte(piece[lt:], '>')
		email := ""
		rest := piece[:lt]
		if gt >= 0 {
			email = piece[lt+1 : lt+gt]
			rest += " " + piece[lt+gt+1:]
		} else {
			email = piece[lt+1:]
		}
		email = cleanEmail(email)
		name := cleanName(rest)
		if email == "" && name == "" {
			return Address{}, false
		}
		return Address{Name: name, Email: email}, true
	}
	// No brackets: the token with an "@" is the address, the rest
	// (typically a "(comment)") is the name.
	var email string
	var nameParts []string
	for _, tok := range strings.Fields(piece) {
		if email == "" && strings.Contains(tok, "@") && !strings.HasPrefix(tok, "(") && !strings.HasPrefix(tok, `"`) {
			email = cleanEmail(tok)
			continue
		}
		nameParts = append(nameParts, tok)
	}
	if email == "" {
		return Address{}, false
	}
	return Address{Name: cleanName(strings.Join(nameParts, " ")), Email: email}, true
}

func cleanEmail(s string) string {
	s = strings.TrimSpace(s)
	s = strings.Trim(s, `<>"'(),;`)
	if len(s) > 7 && strings.EqualFold(s[:7], "mailto:") {
		s = s[7:]
	}
	return strings.TrimSpace(s)
}

func cleanName(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		s = s[1 : len(s)-1]
	}
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
		s = strings.ReplaceAll(s, `\"`, `"`)
		s = strings.ReplaceAll(s, `\\`, `\`)
	}
	s = strings.Trim(s, `"' `)
	return DecodeHeader(s)
}

var dateLayouts = []string{
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05 -0700 MST",
	"2 Jan 2006 15:04 -0700",
	"2 Jan 2006 15:04:05",
	"2 Jan 06 15:04:05 -0700",
	"2 Jan 06 15:04:05 MST",
	"2 January 2006 15:04:05 -0700",
	"Jan 2 2006 15:04:05 -0700",
	"Jan 2 15:04:05 2006",
	"Jan 2 15:04:05 2006 -0700",
	"Jan 2 15:04:05 MST 2006",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 Z07:00",
	"2006-01-02 15:04:05",
	"2 Jan 2006",
}

// commonDate is the layout of nearly every Date header.
const commonDate = "Mon, 2 Jan 2006 15:04:05 -0700"

// parseDate parses an RFC 5322 date, with fallbacks for common broken
// forms.
func parseDate(s string) (time.Time, bool) {
	s = sanitizeHeader(s)
	if len(s) > 200 {
		return time.Time{}, false
	}
	// The form nearly every mailer writes, first: net/mail tries several
	// layouts before it and cost 4 µs and 72 allocations a date here.
	if t, err := time.Parse(commonDate, s); err == nil {
		return t, true
	}
	if i := strings.LastIndex(s, " ("); i > 0 && strings.HasSuffix(s, ")") && !strings.Contains(s[:i], "(") {
		if t, err := time.Parse(commonDate, s[:i]); err == nil {
			return t, true // a zone name in a comment, as in "+0200 (CEST)"
		}
	}
	if t, err := netmail.ParseDate(s); err == nil {
		return t, true
	}
	// Drop comments, a day name and "," and collapse spaces.
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth > 0:
		case r == ',':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	fields := strings.Fields(b.String())
	if len(fields) > 0 && len(fields[0]) >= 3 && unicode.IsLetter(rune(fields[0][0])) && isDayName(fields[0]) {
		fields = fields[1:]
	}
	s = strings.Join(fields, " ")
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func isDayName(s string) bool {
	s = strings.ToLower(s)
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		if strings.HasPrefix(s, d) {
			return true
		}
	}
	return false
}

// firstMsgID returns the first message ID in s, without angle brackets.
func firstMsgID(s string) string {
	ids := msgIDs(s)
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// msgIDs returns the message IDs in s: the "<...>" tokens, or the
// whitespace separated words when there are no brackets.
func msgIDs(s string) []string {
	s = sanitizeHeader(s)
	var ids []string
	for len(ids) < 1000 {
		lt := strings.IndexByte(s, '<')
		if lt < 0 {
			break
		}
		gt := strings.IndexByte(s[lt:], '>')
		if gt < 0 {
			break
		}
		if id := strings.TrimSpace(s[lt+1 : lt+gt]); id != "" {
			ids = append(ids, id)
		}
		s = s[lt+gt+1:]
	}
	if len(ids) > 0 {
		return ids
	}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		if len(ids) >= 1000 {
			break
		}
		if strings.Contains(f, "@") {
			ids = append(ids, strings.Trim(f, "<>"))
		}
	}
	return ids
}
