package message

import (
	"encoding/binary"
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// TNEF ("winmail.dat", application/ms-tnef) is the envelope Outlook puts
// around a message's attachments when it sends "rich text". Its layout is
// public: a signature, then attribute records (level, ID, length, data,
// checksum). Tern reads only what the reader lists: each attachment's
// name and size (and keeps its bytes, which are a sub-slice of the input).

// A TNEFAttachment is one file carried in a TNEF stream.
type TNEFAttachment struct {
	Name string // sanitized like any attachment name; "" if the stream has none
	Size int    // bytes of data in the stream
	Data []byte // the file's bytes (a sub-slice of the stream), nil if absent
}

// TNEF limits.
const (
	tnefSignature      = 0x223E9F78
	maxTNEFAttachments = 200
	maxTNEFRecords     = 100000
	maxTNEFProps       = 5000
)

// TNEF attribute IDs (the low 16 bits name the attribute, the high 16 its
// type; only the low half is compared).
const (
	tnefAttachRendData = 0x9002 // starts a new attachment
	tnefAttachTitle    = 0x8010 // the 8.3 or short file name
	tnefAttachData     = 0x800F // the file's bytes
	tnefAttachment     = 0x9005 // the attachment's MAPI properties
	tnefLevelAttach    = 0x02
)

// MAPI property IDs used for the file name.
const (
	mapiAttachLongFilename = 0x3707
	mapiAttachFilename     = 0x3704
	mapiDisplayName        = 0x3001
)

// ErrNotTNEF is returned by ParseTNEF for data without the TNEF signature.
var ErrNotTNEF = errors.New("message: not a TNEF stream")

// IsTNEF reports whether an attachment is a TNEF envelope (winmail.dat).
func IsTNEF(a Attachment) bool {
	switch a.ContentType {
	case "application/ms-tnef", "application/vnd.ms-tnef":
		return true
	}
	return strings.EqualFold(a.Filename, "winmail.dat")
}

// ParseTNEF lists the attachments of a TNEF stream. It is bounded and
// lenient: a truncated or corrupt stream yields the attachments read so
// far, with an error only when nothing usable was found at all.
func ParseTNEF(data []byte) ([]TNEFAttachment, error) {
	if len(data) < 6 || binary.LittleEndian.Uint32(data) != tnefSignature {
		return nil, ErrNotTNEF
	}
	var out []TNEFAttachment
	cur := -1 // index of the attachment being read
	i := 6    // signature (4) and legacy key (2)
	for n := 0; n < maxTNEFRecords && len(data)-i >= 9; n++ {
		level := data[i]
		id := binary.LittleEndian.Uint32(data[i+1:]) & 0xFFFF
		length := binary.LittleEndian.Uint32(data[i+5:])
		i += 9
		if uint64(length) > uint64(len(data)-i) {
			break // truncated record
		}
		val := data[i : i+int(length)]
		i += int(length) + 2 // the checksum is not checked: a bad one still names the file
		if level != tnefLevelAttach {
			continue
		}
		if id == tnefAttachRendData {
			if len(out) >= maxTNEFAttachments {
				break
			}
			out = append(out, TNEFAttachment{})
			cur = len(out) - 1
			continue
		}
		if cur < 0 {
			continue // attachment attributes before any attachment
		}
		a := &out[cur]
		switch id {
		case tnefAttachTitle:
			if a.Name == "" {
				a.Name = tnefString(val)
			}
		case tnefAttachData:
			a.Data, a.Size = val, len(val)
		case tnefAttachment:
			if name := tnefLongName(val); name != "" {
				a.Name = name
			}
		}
	}
	for k := range out {
		if out[k].Name != "" {
			out[k].Name = sanitizeFilename(out[k].Name)
		}
	}
	return out, nil
}

// tnefString decodes an 8-bit, NUL-terminated TNEF string: UTF-8 when it
// is valid, else Windows-1252 (the usual code page).
func tnefString(b []byte) string {
	if k := strings.IndexByte(string(b), 0); k >= 0 {
		b = b[:k]
	}
	if utf8.Valid(b) {
		return string(b)
	}
	s, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return ""
	}
	return string(s)
}

// tnefUTF16 decodes a little-endian UTF-16 string up to its NUL.
func tnefUTF16(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for j := 0; j+1 < len(b); j += 2 {
		c := binary.LittleEndian.Uint16(b[j:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// tnefLongName reads the long file name (or, failing that, the file name
// or display name) from an attachment's MAPI property list. Properties it
// cannot size end the walk.
func tnefLongName(b []byte) string {
	r := &tnefReader{b: b}
	count, ok := r.u32()
	if !ok {
		return ""
	}
	names := map[uint16]string{}
	for n := uint32(0); n < count && n < maxTNEFProps; n++ {
		typ, ok1 := r.u16()
		id, ok2 := r.u16()
		if !ok1 || !ok2 {
			break
		}
		if id >= 0x8000 { // a named property: GUID, kind, then an ID or a name
			if !r.skip(16) {
				break
			}
			kind, ok := r.u32()
			if !ok {
				break
			}
			if kind == 0 {
				if !r.skip(4) {
					break
				}
			} else {
				l, ok := r.u32()
				if !ok || !r.skip(pad4(l)) {
					break
				}
			}
		}
		vals, ok := r.values(typ)
		if !ok {
			break
		}
		if len(vals) == 0 {
			continue
		}
		switch id {
		case mapiAttachLongFilename, mapiAttachFilename, mapiDisplayName:
			switch typ &^ 0x1000 {
			case 0x001F:
				names[id] = tnefUTF16(vals[0])
			case 0x001E:
				names[id] = tnefString(vals[0])
			}
		}
	}
	for _, id := range []uint16{mapiAttachLongFilename, mapiAttachFilename, mapiDisplayName} {
		if s := strings.TrimSpace(names[id]); s != "" {
			return s
		}
	}
	return ""
}

// tnefReader reads little-endian values from a byte slice without ever
// going past its end.
type tnefReader struct {
	b []byte
	i int
}

func (r *tnefReader) u16() (uint16, bool) {
	if len(r.b)-r.i < 2 {
		return 0, false
	}
	v := binary.LittleEndian.Uint16(r.b[r.i:])
	r.i += 2
	return v, true
}

func (r *tnefReader) u32() (uint32, bool) {
	if len(r.b)-r.i < 4 {
		return 0, false
	}
	v := binary.LittleEndian.Uint32(r.b[r.i:])
	r.i += 4
	return v, true
}

func (r *tnefReader) skip(n uint64) bool {
	if n > uint64(len(r.b)-r.i) {
		return false
	}
	r.i += int(n)
	return true
}

func (r *tnefReader) take(n uint64) ([]byte, bool) {
	if n > uint64(len(r.b)-r.i) {
		return nil, false
	}
	v := r.b[r.i : r.i+int(n)]
	r.i += int(n)
	return v, true
}

func pad4(n uint32) uint64 { return (uint64(n) + 3) &^ 3 }

// values reads the value(s) of a MAPI property of type typ. Variable-size
// values (strings, binary, objects) are returned; fixed-size ones are
// skipped and returned as one empty value.
func (r *tnefReader) values(typ uint16) ([][]byte, bool) {
	base := typ &^ 0x1000
	multi := typ&0x1000 != 0
	variable := false
	var size uint64
	switch base {
	case 0x0002, 0x0003, 0x0004, 0x000A, 0x000B: // I2, I4, R4, error, boolean (padded to 4)
		size = 4
	case 0x0005, 0x0006, 0x0007, 0x0014, 0x0040: // R8, currency, app time, I8, system time
		size = 8
	case 0x0048: // CLSID
		size = 16
	case 0x001E, 0x001F, 0x0102, 0x000D: // string8, unicode, binary, object
		variable = true
	default:
		return nil, false
	}
	count := uint32(1)
	if multi || variable {
		c, ok := r.u32()
		if !ok || c > maxTNEFProps {
			return nil, false
		}
		count = c
	}
	if !variable {
		return [][]byte{{}}, r.skip(size * uint64(count))
	}
	vals := make([][]byte, 0, min(count, 16))
	for k := uint32(0); k < count; k++ {
		l, ok := r.u32()
		if !ok {
			return nil, false
		}
		v, ok := r.take(uint64(l))
		if !ok || !r.skip(pad4(l)-uint64(l)) {
			return nil, false
		}
		if len(vals) < 16 {
			vals = append(vals, v)
		}
	}
	return vals, true
}
