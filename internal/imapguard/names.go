package imapguard

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// heldMailbox returns the mailbox name, as sent, of a held LIST or STATUS
// response; false when the response cannot be read so far (go-imap then
// judges it).
func heldMailbox(resp []byte, typ string) (string, bool) {
	// "* LIST (attrs) delim name ..." or "* STATUS name (...)"
	_, rest, ok := bytes.Cut(resp, []byte(" "))
	if !ok {
		return "", false
	}
	_, rest, ok = bytes.Cut(rest, []byte(" "))
	if !ok {
		return "", false
	}
	if typ == "LIST" {
		end := bytes.IndexByte(rest, ')')
		if len(rest) == 0 || rest[0] != '(' || end < 0 || end+1 >= len(rest) || rest[end+1] != ' ' {
			return "", false
		}
		rest = rest[end+2:]
		var delimOK bool
		if _, rest, delimOK = astring(rest); !delimOK || len(rest) == 0 || rest[0] != ' ' {
			return "", false
		}
		rest = rest[1:]
	}
	name, _, ok := astring(rest)
	return name, ok
}

// astring reads an atom, NIL, a quoted string or a literal at the start of b.
func astring(b []byte) (string, []byte, bool) {
	if len(b) == 0 {
		return "", nil, false
	}
	switch b[0] {
	case '"':
		var sb strings.Builder
		for i := 1; i < len(b); i++ {
			switch b[i] {
			case '\\':
				if i+1 >= len(b) {
					return "", nil, false
				}
				i++
				sb.WriteByte(b[i])
			case '"':
				return sb.String(), b[i+1:], true
			default:
				sb.WriteByte(b[i])
			}
		}
		return "", nil, false
	case '{':
		end := bytes.Index(b, []byte("}\r\n"))
		if end < 0 {
			return "", nil, false
		}
		n, err := strconv.Atoi(strings.TrimSuffix(string(b[1:end]), "+"))
		if err != nil || n < 0 || end+3+n > len(b) {
			return "", nil, false
		}
		return string(b[end+3 : end+3+n]), b[end+3+n:], true
	}
	i := 0
	for i < len(b) && b[i] > ' ' && b[i] != '(' && b[i] != ')' && b[i] != '"' && b[i] != '{' && b[i] < 0x7f {
		i++
	}
	if i == 0 {
		return "", nil, false
	}
	return string(b[:i]), b[i:], true
}

// mutf7 is modified base64 (RFC 3501 §5.1.3: "," for "/", no padding).
var mutf7 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding)

// ValidMailboxName reports whether a mailbox name as sent decodes: modified
// UTF-7 (or UTF-8) that yields no control character. go-imap refuses the
// whole LIST for a name it cannot decode, and a name holding NUL or a line
// break cannot be sent back in a command.
func ValidMailboxName(name string) bool {
	if strings.EqualFold(name, "INBOX") {
		return true
	}
	if !utf8.ValidString(name) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x20 || c == 0x7f {
			return false
		}
		if c != '&' {
			continue
		}
		end := strings.IndexByte(name[i+1:], '-')
		if end < 0 {
			return false
		}
		enc := name[i+1 : i+1+end]
		i += 1 + end
		if enc == "" {
			continue // "&-" is "&"
		}
		raw, err := mutf7.DecodeString(enc)
		if err != nil || len(raw)%2 != 0 {
			return false
		}
		units := make([]uint16, len(raw)/2)
		for j := range units {
			units[j] = uint16(raw[2*j])<<8 | uint16(raw[2*j+1])
		}
		for _, r := range utf16.Decode(units) {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == utf8.RuneError {
				return false
			}
		}
	}
	return true
}
