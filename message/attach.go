package message

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultFilename is the name SafeFilename falls back to.
const DefaultFilename = "attachment"

// maxFilenameBytes bounds a saved file's name.
const maxFilenameBytes = 200

// SafeFilename turns a name taken from a message into one that is safe to
// create in a directory the user chose: no directory parts or "..", no
// control, invisible or bidi characters, none of the characters Windows
// forbids, no leading dots (hidden files) or trailing dots and spaces, no
// reserved device name (CON, NUL, COM1…), at most 200 bytes with the
// extension kept. An empty result becomes "attachment".
func SafeFilename(name string) string {
	name = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case r == utf8.RuneError, unicode.IsControl(r), isBidiControl(r), isInvisible(r),
			unicode.Is(unicode.Bidi_Control, r), r == '\u2028', r == '\u2029':
			return -1
		case r == '\\':
			return '/'
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:*?"<>|`, r) {
			return '_'
		}
		return r
	}, name)
	for strings.Contains(name, "..") {
		name = strings.ReplaceAll(name, "..", ".")
	}
	name = strings.Join(strings.Fields(name), " ")
	name = strings.TrimLeft(name, ". ")
	name = strings.TrimRight(name, ". ")
	if reservedName(name) {
		name = "_" + name
	}
	if len(name) > maxFilenameBytes {
		ext := filepath.Ext(name)
		if len(ext) > 20 || !utf8.ValidString(ext) {
			ext = ""
		}
		name = strings.TrimRight(truncateBytes(name[:len(name)-len(ext)], maxFilenameBytes-len(ext)), ". ") + ext
	}
	if name == "" {
		return DefaultFilename
	}
	return name
}

// reservedName reports whether name (with any extension) is a Windows
// device name.
func reservedName(name string) bool {
	base, _, _ := strings.Cut(name, ".")
	base = strings.ToUpper(strings.TrimSpace(base))
	switch base {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$":
		return true
	}
	if strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT") {
		switch base[3:] {
		case "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³":
			return true
		}
	}
	return false
}

// ErrNoFreeName is returned by UniquePath when every candidate exists.
var ErrNoFreeName = errors.New("no free file name")

// UniquePath returns dir joined with SafeFilename(name), or, if exists
// says that path is taken, "name (2).ext", "name (3).ext"… so that
// nothing is overwritten. exists is typically a stat of the file system;
// create the file with O_EXCL all the same.
func UniquePath(dir, name string, exists func(path string) bool) (string, error) {
	name = SafeFilename(name)
	p := filepath.Join(dir, name)
	if !exists(p) {
		return p, nil
	}
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	if stem == "" {
		stem, ext = name, ""
	}
	for i := 2; i < 10000; i++ {
		suffix := " (" + strconv.Itoa(i) + ")"
		s := stem
		if len(s)+len(suffix)+len(ext) > maxFilenameBytes {
			s = truncateBytes(s, maxFilenameBytes-len(suffix)-len(ext))
		}
		p = filepath.Join(dir, s+suffix+ext)
		if !exists(p) {
			return p, nil
		}
	}
	return "", ErrNoFreeName
}

// maxPartBytes bounds the decoded size PartData returns.
const maxPartBytes = 256 << 20

// PartData returns the decoded content of the part at path (an
// Attachment's PartPath) of a raw message.
func PartData(raw []byte, path string) ([]byte, error) {
	h, body, _ := splitHeader(raw)
	cur := &part{header: h, body: body, path: "1"}
	segs := strings.Split(path, ".")
	for i, seg := range segs {
		n, err := strconv.Atoi(seg)
		if err != nil || n < 1 || n > DefaultMaxParts {
			return nil, fmt.Errorf("bad part path %q", path)
		}
		mt, params := parseParams(cur.header.get("content-type"))
		if !strings.HasPrefix(mt, "multipart/") {
			if i == 0 && n == 1 && len(segs) == 1 {
				break // the message itself is the part
			}
			return nil, fmt.Errorf("no part %s", path)
		}
		boundary := params["boundary"]
		if boundary == "" {
			boundary = guessBoundary(cur.body)
		}
		if boundary == "" {
			return nil, fmt.Errorf("no part %s", path)
		}
		bodies, _ := splitMultipart(cur.body, boundary, n)
		if len(bodies) < n {
			return nil, fmt.Errorf("no part %s", path)
		}
		ch, cb, _ := splitHeader(bodies[n-1])
		cur = &part{header: ch, body: cb}
	}
	data, enc, _, _ := transferDecodeInfo(cur)
	if decodedSize(data, enc) > maxPartBytes {
		return nil, fmt.Errorf("part %s is larger than %d bytes", path, maxPartBytes)
	}
	return transferDecode(data, enc)
}

// InlinePart returns the PartPath of the attachment with Content-ID cid,
// or "".
func (m *Message) InlinePart(cid string) string {
	cid = strings.Trim(strings.TrimSpace(cid), "<>")
	for _, a := range m.Attachments {
		if a.ContentID != "" && strings.EqualFold(a.ContentID, cid) {
			return a.PartPath
		}
	}
	return ""
}
