package message

import (
	"bytes"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// part is one MIME entity: its header and its still-encoded body, which is
// a sub-slice of the raw message.
type part struct {
	header          header
	body            []byte
	path            string
	relatedResource bool // a non-root part of multipart/related
}

type field struct {
	key   string // lower-case
	value string // unfolded, still RFC 2047-encoded
}

type header []field

func (h header) get(key string) string {
	for _, f := range h {
		if f.key == key {
			return f.value
		}
	}
	return ""
}

// getAll joins every field with key with ", " (for address fields that
// appear more than once).
func (h header) getAll(key string) string {
	var vals []string
	for _, f := range h {
		if f.key == key {
			vals = append(vals, f.value)
		}
	}
	return strings.Join(vals, ", ")
}

// nextLine returns the line starting at b[i:] without its terminator, and
// the index of the following line.
func nextLine(b []byte, i int) (line []byte, next int) {
	j := bytes.IndexByte(b[i:], '\n')
	if j < 0 {
		line, next = b[i:], len(b)
	} else {
		line, next = b[i:i+j], i+j+1
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, next
}

// headerLimits bounds what splitHeaderLimited keeps of one header.
type headerLimits struct {
	total int // bytes of all fields kept (names and values)
	field int // bytes of one field's value
}

// headerCut says what splitHeaderLimited left out.
type headerCut struct {
	total  bool     // fields past limits.total were dropped
	fields []string // keys of fields whose value was cut (at most 10)
}

var defaultHeaderLimits = headerLimits{total: DefaultMaxHeaderBytes, field: DefaultMaxHeaderFieldBytes}

// splitHeader splits an entity into header and body under the default
// header limits (see splitHeaderLimited).
func splitHeader(b []byte) (h header, body []byte, ok bool) {
	h, body, ok, _ = splitHeaderLimited(b, defaultHeaderLimits)
	return h, body, ok
}

// splitHeaderLimited splits an entity into header and body. It is
// lenient: an mbox "From " line is skipped, a line that is neither a field
// nor a continuation ends the header, and input without any header field
// is all body (ok is then false). A field value longer than lim.field is
// cut, and fields past lim.total bytes are dropped (the header is still
// read to its end, so that the body is found); cut says so.
func splitHeaderLimited(b []byte, lim headerLimits) (h header, body []byte, ok bool, cut headerCut) {
	i := 0
	if bytes.HasPrefix(b, []byte("From ")) {
		_, i = nextLine(b, 0)
	}
	// The current field's value spans b[vstart:vend], continuation lines
	// included; it is unfolded once complete, keeping parsing linear.
	vstart, vend := -1, -1
	key := ""
	used := 0
	flush := func() {
		if vstart < 0 {
			return
		}
		v := b[vstart:vend]
		vstart = -1
		if cut.total {
			return
		}
		if len(v) > lim.field {
			n := lim.field
			for n > 0 && !utf8.RuneStart(v[n]) {
				n-- // keep a UTF-8 value valid
			}
			v = v[:n]
			if len(cut.fields) < 10 {
				cut.fields = append(cut.fields, key)
			}
		}
		if used+len(key)+len(v) > lim.total {
			cut.total = true
			return
		}
		used += len(key) + len(v)
		h = append(h, field{key: key, value: unfold(v)})
	}
	for i < len(b) {
		line, next := nextLine(b, i)
		if len(line) == 0 {
			flush()
			return h, b[next:], true, cut
		}
		if line[0] == ' ' || line[0] == '\t' {
			if vstart < 0 {
				// A continuation before any field: not a header.
				return nil, b, false, headerCut{}
			}
			vend = i + len(line)
			i = next
			continue
		}
		k, c, isField := splitField(line)
		if !isField {
			flush()
			if len(h) == 0 && !cut.total {
				return nil, b, false, headerCut{}
			}
			// Missing blank line between header and body.
			return h, b[i:], true, cut
		}
		flush()
		key, vstart, vend = k, i+c+1, i+len(line)
		i = next
	}
	flush()
	if len(h) == 0 && !cut.total {
		return nil, b, false, headerCut{}
	}
	return h, nil, true, cut
}

// unfold joins folded header lines, dropping CR and LF.
func unfold(b []byte) string {
	if bytes.IndexAny(b, "\r\n") < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c != '\r' && c != '\n' {
			out = append(out, c)
		}
	}
	return string(out)
}

// splitField returns a header line's lower-case key and the index of the
// colon that ends it.
func splitField(line []byte) (key string, colon int, ok bool) {
	c := bytes.IndexByte(line, ':')
	if c <= 0 {
		return "", 0, false
	}
	k := bytes.TrimRight(line[:c], " \t")
	if len(k) == 0 {
		return "", 0, false
	}
	for _, ch := range k {
		if ch <= ' ' || ch >= 0x7f {
			return "", 0, false
		}
	}
	return strings.ToLower(string(k)), c, true
}

// splitMultipart returns the bodies of the parts of a multipart body
// (each including its own header), at most max of them, and whether the
// closing delimiter was seen (or max was reached first).
func splitMultipart(b []byte, boundary string, max int) (parts [][]byte, closed bool) {
	dash := []byte("--" + boundary)
	start := -1 // start of the current part's content
	for i := 0; i < len(b); {
		line, next := nextLine(b, i)
		if bytes.HasPrefix(line, dash) {
			rest := line[len(dash):]
			isClose := bytes.HasPrefix(rest, []byte("--"))
			if isClose {
				rest = rest[2:]
			}
			if len(bytes.Trim(rest, " \t")) == 0 {
				if start >= 0 {
					parts = append(parts, b[start:trimLineBreak(b, start, i)])
					if len(parts) >= max {
						return parts, true
					}
				}
				if isClose {
					return parts, true
				}
				start = next
			}
		}
		i = next
	}
	if start >= 0 {
		parts = append(parts, b[start:])
	}
	return parts, false
}

// trimLineBreak returns end moved back over the line break that precedes
// a delimiter line, but not before start.
func trimLineBreak(b []byte, start, end int) int {
	if end > start && b[end-1] == '\n' {
		end--
		if end > start && b[end-1] == '\r' {
			end--
		}
	}
	return end
}

// guessBoundary finds a plausible boundary in a multipart body that has no
// boundary parameter: the first "--xyz" line that occurs again.
func guessBoundary(b []byte) string {
	for i, n := 0, 0; i < len(b) && n < 200; n++ {
		line, next := nextLine(b, i)
		i = next
		line = bytes.TrimRight(line, " \t")
		if len(line) < 3 || len(line) > 200 || line[0] != '-' || line[1] != '-' {
			continue
		}
		cand := line[2:]
		if bytes.Contains(b[next:], append([]byte("\n--"), cand...)) {
			return string(cand)
		}
	}
	return ""
}

// parseParams parses a Content-Type or Content-Disposition value into a
// lower-case value and its parameters (lower-case names). It is lenient
// about quoting and missing semicolons, decodes RFC 2231 extended and
// continued parameters in any known charset, and RFC 2047 encoded words
// inside values.
func parseParams(s string) (string, map[string]string) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, "; \t")
	value := s
	if i >= 0 {
		value, s = s[:i], s[i:]
	} else {
		s = ""
	}
	value = strings.ToLower(strings.Trim(value, `"'`))

	raw := make(map[string]string)
	for n := 0; s != "" && n < 1000; n++ {
		s = strings.TrimLeft(s, "; \t\r\n")
		if s == "" {
			break
		}
		eq := strings.IndexByte(s, '=')
		semi := strings.IndexByte(s, ';')
		if eq < 0 || (semi >= 0 && semi < eq) {
			// A parameter without a value: skip it.
			if semi < 0 {
				break
			}
			s = s[semi:]
			continue
		}
		name := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			j := 1
			for ; j < len(s); j++ {
				c := s[j]
				if c == '\\' && j+1 < len(s) {
					j++
					b.WriteByte(s[j])
					continue
				}
				if c == '"' {
					j++
					break
				}
				b.WriteByte(c)
			}
			val, s = b.String(), s[j:]
		} else {
			end := paramValueEnd(s)
			val, s = strings.TrimSpace(s[:end]), s[end:]
		}
		if name == "" || strings.ContainsAny(name, " \t\"") {
			continue
		}
		if _, dup := raw[name]; !dup {
			raw[name] = val
		}
	}
	return value, combineParams(raw)
}

// paramValueEnd finds the end of an unquoted value: a ';', or whitespace
// followed by what looks like the next "name=".
func paramValueEnd(s string) int {
	for j := 0; j < len(s); j++ {
		switch s[j] {
		case ';':
			return j
		case ' ', '\t', '\r', '\n':
			k := j
			for k < len(s) && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r' || s[k] == '\n') {
				k++
			}
			t := k
			for t < len(s) && isTokenChar(s[t]) {
				t++
			}
			if t > k && t < len(s) && s[t] == '=' {
				return j
			}
			j = k - 1
		}
	}
	return len(s)
}

func isTokenChar(c byte) bool {
	return c > ' ' && c < 0x7f && !strings.ContainsRune(`()<>@,;:\"/[]?=`, rune(c))
}

type section struct {
	idx     int
	encoded bool
	value   string
}

// combineParams resolves RFC 2231 sections ("name*0*", "name*1", ...) and
// extended values ("name*") into plain parameters, and decodes values.
func combineParams(raw map[string]string) map[string]string {
	out := make(map[string]string, len(raw))
	ext := make(map[string][]section)
	for name, val := range raw {
		star := strings.IndexByte(name, '*')
		if star < 0 {
			out[name] = decodeParamValue(val)
			continue
		}
		base, rest := name[:star], name[star+1:]
		if base == "" {
			continue
		}
		sec := section{value: val}
		if rest == "" { // name*=charset'lang'value
			sec.encoded = true
		} else {
			if strings.HasSuffix(rest, "*") {
				sec.encoded = true
				rest = rest[:len(rest)-1]
			}
			n, err := strconv.Atoi(rest)
			if err != nil || n < 0 || n > 10000 {
				continue
			}
			sec.idx = n
		}
		if len(ext[base]) < 1000 {
			ext[base] = append(ext[base], sec)
		}
	}
	for base, secs := range ext {
		sort.SliceStable(secs, func(i, j int) bool { return secs[i].idx < secs[j].idx })
		var buf []byte
		charsetLabel := ""
		for k, sec := range secs {
			v := sec.value
			if sec.encoded {
				if k == 0 {
					// charset'language'value
					if a := strings.IndexByte(v, '\''); a >= 0 {
						if b := strings.IndexByte(v[a+1:], '\''); b >= 0 {
							charsetLabel = v[:a]
							v = v[a+1+b+1:]
						}
					}
				}
				buf = append(buf, percentDecode(v)...)
			} else {
				buf = append(buf, v...)
			}
		}
		s, _, _ := decodeCharset(charsetLabel, buf, 1<<20)
		if strings.Contains(s, "=?") {
			s = DecodeHeader(s)
		}
		out[base] = sanitizeHeader(s) // the extended form wins
	}
	return out
}

func decodeParamValue(v string) string {
	if strings.Contains(v, "=?") {
		return DecodeHeader(v)
	}
	if !utf8.ValidString(v) {
		s, _, _ := decodeCharset("", []byte(v), 1<<20)
		return sanitizeHeader(s)
	}
	return v
}

func percentDecode(s string) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if h, ok := unhex(s[i+1]); ok {
				if l, ok := unhex(s[i+2]); ok {
					b = append(b, h<<4|l)
					i += 2
					continue
				}
			}
		}
		b = append(b, s[i])
	}
	return b
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// sanitizeFilename strips directory components, control and bidi
// characters, and characters that are unsafe in file names.
func sanitizeFilename(s string) string {
	s = strings.ReplaceAll(s, "\\", "/")
	s = path.Base("/" + s)
	if s == "/" || s == "." || s == ".." {
		return ""
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r):
			return -1
		case strings.ContainsRune(`/\:*?"<>|`, r):
			return '_'
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	s = strings.TrimLeft(s, ".")
	if len(s) > 255 {
		s = truncateBytes(s, 255)
	}
	return s
}

// truncateBytes cuts s to at most n bytes on a rune boundary.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func extensionFor(mediaType string) string {
	switch mediaType {
	case "text/plain":
		return ".txt"
	case "text/html":
		return ".html"
	case "text/calendar":
		return ".ics"
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	case "image/gif":
		return ".gif"
	case "application/pdf":
		return ".pdf"
	case "message/rfc822", "message/global":
		return ".eml"
	}
	return ""
}
