package message

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	gomessage "github.com/emersion/go-message"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

type transferEncoding int

const (
	encIdentity transferEncoding = iota
	encBase64
	encQP
)

// transferDecodeInfo returns a part's body and transfer encoding, and
// whether the encoding is known (unknown encodings are treated as identity).
func transferDecodeInfo(pt *part) (data []byte, enc transferEncoding, name string, known bool) {
	name = strings.ToLower(strings.Trim(strings.TrimSpace(pt.header.get("content-transfer-encoding")), `"'`))
	switch name {
	case "base64", "base-64":
		return pt.body, encBase64, name, true
	case "quoted-printable", "quoted_printable", "qp":
		return pt.body, encQP, name, true
	case "", "7bit", "8bit", "binary", "7-bit", "8-bit":
		return pt.body, encIdentity, name, true
	}
	return pt.body, encIdentity, name, false
}

// transferDecode decodes data. Decoding is lenient and never fails; the
// error only reports damage worth a warning.
func transferDecode(data []byte, enc transferEncoding) ([]byte, error) {
	switch enc {
	case encBase64:
		out, _, bad := decodeBase64(data, true)
		if bad > 0 {
			return out, fmt.Errorf("invalid base64 data ignored (%d bytes)", bad)
		}
		return out, nil
	case encQP:
		out, _ := decodeQP(data, true)
		return out, nil
	}
	return data, nil
}

// decodedSize counts the decoded bytes without keeping them.
func decodedSize(data []byte, enc transferEncoding) int64 {
	switch enc {
	case encBase64:
		return base64Size(data)
	case encQP:
		_, n := decodeQP(data, false)
		return n
	}
	return int64(len(data))
}

var b64Values = func() [256]byte {
	var t [256]byte
	for i := range t {
		t[i] = 0xff
	}
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alpha); i++ {
		t[alpha[i]] = byte(i)
	}
	t['-'], t['_'] = 62, 63 // URL-safe alphabet, seen in the wild
	return t
}()

// b64Sextet is 1 for the characters of the base64 alphabets, 0 otherwise.
var b64Sextet = func() (t [256]byte) {
	for i, v := range b64Values {
		if v != 0xff {
			t[i] = 1
		}
	}
	return t
}()

// base64Size returns the n of decodeBase64 (the length of the decoded
// bytes) without decoding: attachment sizes are asked of every message
// synced, and counting is several times cheaper than decoding.
func base64Size(src []byte) int64 {
	var n int64
	for {
		i := bytes.IndexByte(src, '=')
		seg := src
		if i >= 0 {
			seg = src[:i]
		}
		k := 0
		for _, c := range seg {
			k += int(b64Sextet[c])
		}
		// As in decodeBase64: whole quanta give 3 bytes, and a partial
		// one ended by "=" or the end gives 2 sextets → 1, 3 → 2.
		n += int64(k/4*3 + [4]int{0, 0, 1, 2}[k%4])
		if i < 0 {
			return n
		}
		src = src[i+1:]
	}
}

// decodeBase64 decodes leniently: characters outside the alphabet are
// skipped (whitespace silently, others counted in bad), and padding ends a
// quantum so that concatenated base64 blobs decode too.
func decodeBase64(src []byte, keep bool) (out []byte, n int64, bad int) {
	if keep {
		out = make([]byte, 0, len(src)*3/4+3)
	}
	var acc uint32
	k := 0
	flush := func() {
		// k sextets in acc: 2 → 1 byte, 3 → 2 bytes.
		switch k {
		case 2:
			if keep {
				out = append(out, byte(acc>>4))
			}
			n++
		case 3:
			if keep {
				out = append(out, byte(acc>>10), byte(acc>>2))
			}
			n += 2
		}
		acc, k = 0, 0
	}
	for _, c := range src {
		v := b64Values[c]
		if v == 0xff {
			switch c {
			case '=':
				flush()
			case ' ', '\t', '\r', '\n':
			default:
				bad++
			}
			continue
		}
		acc = acc<<6 | uint32(v)
		k++
		if k == 4 {
			if keep {
				out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
			}
			n += 3
			acc, k = 0, 0
		}
	}
	flush()
	return out, n, bad
}

// decodeQP decodes quoted-printable leniently: invalid escapes are kept
// literally, trailing whitespace is dropped and "=" at the end of a line
// is a soft line break.
func decodeQP(src []byte, keep bool) (out []byte, n int64) {
	if keep {
		out = make([]byte, 0, len(src))
	}
	emit := func(b ...byte) {
		if keep {
			out = append(out, b...)
		}
		n += int64(len(b))
	}
	for i := 0; i < len(src); {
		j := bytes.IndexByte(src[i:], '\n')
		var line []byte
		nl := ""
		if j < 0 {
			line = src[i:]
			i = len(src)
		} else {
			line = src[i : i+j]
			i += j + 1
			nl = "\n"
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
				nl = "\r\n"
			}
		}
		line = bytes.TrimRight(line, " \t")
		if len(line) > 0 && line[len(line)-1] == '=' {
			line = line[:len(line)-1]
			nl = ""
		}
		for p := 0; p < len(line); p++ {
			c := line[p]
			if c == '=' && p+2 < len(line) {
				if h, ok := unhex(line[p+1]); ok {
					if l, ok := unhex(line[p+2]); ok {
						emit(h<<4 | l)
						p += 2
						continue
					}
				}
			}
			emit(c)
		}
		if nl != "" {
			emit([]byte(nl)...)
		}
	}
	return out, n
}

// lookupCharset finds a decoder for a charset label, using go-message's
// charset registry. US-ASCII and ISO-8859-1 are widened to windows-1252,
// their superset in practice.
func lookupCharset(label string) (enc encoding.Encoding, isUTF8, ok bool) {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	switch l {
	case "", "utf-8", "utf8", "utf_8", "x-utf-8", "x-utf8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "iso-646-us", "unicode-1-1-utf-8", "x-unknown", "unknown", "default":
		return nil, true, true
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819", "iso-ir-100", "windows-1252", "cp1252":
		return charmap.Windows1252, false, true
	}
	return nil, false, false
}

// declaredUTF8 reports whether a charset label names UTF-8, in any case
// and under the aliases seen in mail ("utf8", "unicode-1-1-utf-8"…).
func declaredUTF8(label string) bool {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	switch l {
	case "utf-8", "utf8", "utf_8", "x-utf-8", "x-utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8":
		return true
	}
	return false
}

// utf8Lossy returns b as UTF-8 text in which each byte that does not
// belong to a valid UTF-8 sequence is replaced by U+FFFD, one per byte
// (strings.ToValidUTF8 would fold a run of them into one and hide how
// much was lost).
func utf8Lossy(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			sb.WriteRune(utf8.RuneError)
			n = 1
		} else {
			sb.Write(b[:n])
		}
		b = b[n:]
	}
	return sb.String()
}

// decodeCharset converts b from the charset label to UTF-8, producing at
// most max bytes. An empty, ASCII or UTF-8 label keeps b when it is valid
// UTF-8, otherwise b is read as windows-1252. An unknown label is reported
// and b is shown as UTF-8.
func decodeCharset(label string, b []byte, max int64) (s string, truncated bool, err error) {
	enc, isUTF8, ok := lookupCharset(label)
	switch {
	case isUTF8:
		if utf8.Valid(b) {
			return limitString(string(bytes.TrimPrefix(b, []byte("\uFEFF"))), max)
		}
		enc = charmap.Windows1252
		if declaredUTF8(label) {
			// Declared UTF-8 but invalid: the valid characters stay,
			// only the invalid bytes become U+FFFD. Reading the whole
			// text as windows-1252 instead would turn every accented
			// letter into mojibake because of one stray byte.
			return limitString(utf8Lossy(bytes.TrimPrefix(b, []byte("\uFEFF"))), max)
		}
	case !ok:
		r, lerr := gomessage.CharsetReader(strings.Trim(strings.TrimSpace(label), `"'`), bytes.NewReader(b))
		if lerr != nil || r == nil {
			s, truncated, _ = limitString(strings.ToValidUTF8(string(b), "\uFFFD"), max)
			return s, truncated, fmt.Errorf("unknown charset %s, shown as UTF-8", truncateRunes(sanitizeHeader(label), 40))
		}
		return readLimited(r, max)
	}
	return readLimited(enc.NewDecoder().Reader(bytes.NewReader(b)), max)
}

// decodeHTMLCharset decodes an HTML body that has no MIME charset: UTF-8
// when valid, else the charset its BOM or <meta> declares.
func decodeHTMLCharset(b []byte, max int64) (string, bool) {
	if utf8.Valid(b) {
		s, t, _ := limitString(string(bytes.TrimPrefix(b, []byte("\uFEFF"))), max)
		return s, t
	}
	enc, _, _ := charset.DetermineEncoding(b, "text/html")
	s, t, _ := readLimited(enc.NewDecoder().Reader(bytes.NewReader(b)), max)
	return s, t
}

func readLimited(r io.Reader, max int64) (string, bool, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, max+1))
	var rerr error
	if err != nil {
		rerr = fmt.Errorf("charset decoding stopped early: %v", err)
	}
	s := strings.ToValidUTF8(buf.String(), "\uFFFD")
	if n > max {
		s, _, _ = limitString(s, max)
		return s, true, rerr
	}
	return s, false, rerr
}

func limitString(s string, max int64) (string, bool, error) {
	if int64(len(s)) <= max {
		return s, false, nil
	}
	return truncateBytes(s, int(max)), true, nil
}

// normalizeText converts line endings to LF, drops a leading BOM and
// removes control characters other than tab and newline.
func normalizeText(s string) string {
	s = strings.TrimPrefix(s, "\uFEFF")
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				continue
			}
			b.WriteByte('\n')
		case c == '\n', c == '\t':
			b.WriteByte(c)
		case c < 0x20, c == 0x7f:
			// drop
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
