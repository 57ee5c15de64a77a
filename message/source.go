package message

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// A HeaderField is one field of a message's header, decoded for display.
type HeaderField struct {
	Name  string // as written in the message
	Value string // RFC 2047 decoded, unfolded, without control characters
}

// Header limits.
const (
	maxHeaderFields     = 1000
	maxHeaderValueRunes = 4000
)

// Headers returns every field of raw's top-level header, in order, decoded
// for display. Very long headers are cut.
func Headers(raw []byte) []HeaderField {
	h, _, _ := splitHeader(raw)
	// splitHeader keeps keys in lower case; recover the written name from
	// the raw text, in order.
	names := headerNames(raw, len(h))
	out := make([]HeaderField, 0, min(len(h), maxHeaderFields))
	for i, f := range h {
		if i >= maxHeaderFields {
			break
		}
		name := f.key
		if i < len(names) && strings.EqualFold(names[i], f.key) {
			name = names[i]
		}
		out = append(out, HeaderField{
			Name:  sanitizeShownText(name),
			Value: sanitizeShownText(truncateRunes(DecodeHeader(f.value), maxHeaderValueRunes)),
		})
	}
	return out
}

// headerNames returns the field names of raw's header as written.
func headerNames(raw []byte, n int) []string {
	names := make([]string, 0, n)
	i := 0
	if bytes.HasPrefix(raw, []byte("From ")) {
		_, i = nextLine(raw, 0)
	}
	for i < len(raw) && len(names) < n {
		line, next := nextLine(raw, i)
		if len(line) == 0 {
			break
		}
		if line[0] != ' ' && line[0] != '\t' {
			if c := bytes.IndexByte(line, ':'); c > 0 {
				names = append(names, string(bytes.TrimRight(line[:c], " \t")))
			}
		}
		i = next
	}
	return names
}

// sanitizeShownText makes visible the characters that could make header
// text misleading: direction overrides and invisible characters become
// <U+XXXX>.
func sanitizeShownText(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return isBidiControl(r) || isInvisible(r) }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isBidiControl(r) || isInvisible(r) {
			fmt.Fprintf(&b, "<U+%04X>", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// DefaultMaxSource is the size of raw message SourceText shows by default.
const DefaultMaxSource = 512 << 10

// SourceText returns the raw message as text to show: at most max bytes
// of it (0: DefaultMaxSource), with LF line endings, bytes that are not
// UTF-8 as U+FFFD, and control characters other than tab and newline,
// direction overrides and invisible characters shown as <U+XXXX> or
// <XX>. truncated says it was cut.
func SourceText(raw []byte, max int) (text string, truncated bool) {
	if max <= 0 {
		max = DefaultMaxSource
	}
	if len(raw) > max {
		raw, truncated = raw[:max], true
		// Cut on a line end when one is near, so the last line is whole,
		// else on a rune boundary.
		if k := bytes.LastIndexByte(raw, '\n'); k >= 0 && k > max-4096 {
			raw = raw[:k+1]
		} else {
			for n := len(raw); n > 0 && len(raw)-n < utf8.UTFMax; n-- {
				if utf8.RuneStart(raw[n-1]) {
					if !utf8.FullRune(raw[n-1:]) {
						raw = raw[:n-1]
					}
					break
				}
			}
		}
	}
	var b strings.Builder
	b.Grow(len(raw) + len(raw)/16)
	for i := 0; i < len(raw); {
		c := raw[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\r' && i+1 < len(raw) && raw[i+1] == '\n':
				// CRLF: the LF follows
			case c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f):
				b.WriteByte(c)
			default:
				fmt.Fprintf(&b, "<%02X>", c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(raw[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune('\uFFFD')
		case isBidiControl(r) || isInvisible(r) || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, "<U+%04X>", r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String(), truncated
}
