package message

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

// tnefBuilder writes TNEF streams for tests.
type tnefBuilder struct{ bytes.Buffer }

func newTNEF() *tnefBuilder {
	b := &tnefBuilder{}
	binary.Write(b, binary.LittleEndian, uint32(tnefSignature))
	binary.Write(b, binary.LittleEndian, uint16(0x0001))
	return b
}

func (b *tnefBuilder) attr(level byte, id uint32, data []byte) *tnefBuilder {
	b.WriteByte(level)
	binary.Write(b, binary.LittleEndian, id)
	binary.Write(b, binary.LittleEndian, uint32(len(data)))
	b.Write(data)
	var sum uint16
	for _, c := range data {
		sum += uint16(c)
	}
	binary.Write(b, binary.LittleEndian, sum)
	return b
}

// file adds an attachment with an 8.3 title, optionally a long name in
// its MAPI properties, and its data.
func (b *tnefBuilder) file(title, long string, data []byte) *tnefBuilder {
	b.attr(2, 0x00069002, make([]byte, 14))
	b.attr(2, 0x00018010, append([]byte(title), 0))
	b.attr(2, 0x0006800F, data)
	if long != "" {
		b.attr(2, 0x00069005, mapiProps(long))
	}
	return b
}

// mapiProps is a MAPI property list: an I4, a named property, a binary
// value and the long file name in UTF-16.
func mapiProps(long string) []byte {
	var p bytes.Buffer
	le := func(v any) { binary.Write(&p, binary.LittleEndian, v) }
	le(uint32(4))
	le(uint16(0x0003)) // I4 PR_ATTACH_METHOD
	le(uint16(0x3705))
	le(uint32(1))
	le(uint16(0x001E)) // a named string8 property
	le(uint16(0x8001))
	p.Write(make([]byte, 16))
	le(uint32(1)) // kind: name
	name := utf16Bytes("X")
	le(uint32(len(name)))
	p.Write(name)
	p.Write(make([]byte, int(pad4(uint32(len(name))))-len(name)))
	le(uint32(1))
	le(uint32(3))
	p.Write([]byte("ab\x00\x00"))
	le(uint16(0x0102)) // binary PR_ATTACH_EXTENSION-ish
	le(uint16(0x3702))
	le(uint32(1))
	le(uint32(5))
	p.Write([]byte{1, 2, 3, 4, 5, 0, 0, 0})
	le(uint16(0x001F)) // unicode PR_ATTACH_LONG_FILENAME
	le(uint16(0x3707))
	le(uint32(1))
	s := utf16Bytes(long)
	le(uint32(len(s)))
	p.Write(s)
	p.Write(make([]byte, int(pad4(uint32(len(s))))-len(s)))
	return p.Bytes()
}

func utf16Bytes(s string) []byte {
	var b bytes.Buffer
	for _, u := range utf16.Encode([]rune(s)) {
		binary.Write(&b, binary.LittleEndian, u)
	}
	b.Write([]byte{0, 0})
	return b.Bytes()
}

// sampleTNEF is the stream of testdata/tnef.eml.
func sampleTNEF() []byte {
	b := newTNEF()
	b.attr(1, 0x00078008, []byte("IPM.Microsoft Mail.Note\x00"))
	b.attr(1, 0x0001800D, []byte("Figures\x00"))
	b.file("REPORT~1.PDF", "Quarterly report – Q1.pdf", []byte("%PDF-1.4 fake"))
	b.file("notes.txt", "", []byte("hello"))
	b.file("caf\xe9.doc", "", []byte("x")) // Windows-1252
	b.file("../../evil.exe", "", nil)
	return b.Bytes()
}

// TestWriteTNEFFixture regenerates testdata/tnef.eml when TERN_WRITE_FIXTURES is set.
func TestWriteTNEFFixture(t *testing.T) {
	if os.Getenv("TERN_WRITE_FIXTURES") == "" {
		t.Skip("set TERN_WRITE_FIXTURES=1 to regenerate")
	}
	enc := base64.StdEncoding.EncodeToString(sampleTNEF())
	var lines []string
	for len(enc) > 76 {
		lines = append(lines, enc[:76])
		enc = enc[76:]
	}
	lines = append(lines, enc)
	eml := "From: Jose Alvarez <jose@contoso.example>\r\nTo: reader@example.com\r\nSubject: Figures (winmail.dat)\r\n" +
		"Date: Fri, 07 Mar 2025 12:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nThe figures are attached.\r\n" +
		"--b1\r\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\r\nContent-Disposition: attachment; filename=\"winmail.dat\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + strings.Join(lines, "\r\n") + "\r\n--b1--\r\n"
	if err := os.WriteFile(filepath.Join("testdata", "tnef.eml"), []byte(eml), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTNEFFixture(t *testing.T) {
	raw := readFixture(t, "tnef.eml")
	m, err := Parse(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 1 || !IsTNEF(m.Attachments[0]) {
		t.Fatalf("attachments %+v", m.Attachments)
	}
	data, err := PartData(raw, m.Attachments[0].PartPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, sampleTNEF()) {
		t.Fatal("fixture differs from sampleTNEF; regenerate with TERN_WRITE_FIXTURES=1")
	}
	got, err := ParseTNEF(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []TNEFAttachment{
		{Name: "Quarterly report – Q1.pdf", Size: 13},
		{Name: "notes.txt", Size: 5},
		{Name: "café.doc", Size: 1},
		{Name: "evil.exe", Size: 0},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d attachments: %+v", len(got), got)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Size != want[i].Size {
			t.Errorf("attachment %d: %q %d, want %q %d", i, got[i].Name, got[i].Size, want[i].Name, want[i].Size)
		}
	}
	if string(got[1].Data) != "hello" {
		t.Errorf("data %q", got[1].Data)
	}
}

func TestTNEFMalformed(t *testing.T) {
	if _, err := ParseTNEF([]byte("not tnef at all")); err != ErrNotTNEF {
		t.Errorf("err %v", err)
	}
	if _, err := ParseTNEF(nil); err != ErrNotTNEF {
		t.Errorf("nil: err %v", err)
	}
	full := sampleTNEF()
	// Every truncation yields a prefix of the attachments, never a panic.
	for n := 6; n < len(full); n++ {
		got, err := ParseTNEF(full[:n])
		if err != nil || len(got) > 4 {
			t.Fatalf("truncated at %d: %v %d", n, err, len(got))
		}
	}
	// A record claiming 4 GB stops the walk.
	b := newTNEF().file("a.txt", "", []byte("a"))
	b.Write([]byte{2, 0x02, 0x90, 0x06, 0x00, 0xff, 0xff, 0xff, 0xff})
	if got, _ := ParseTNEF(b.Bytes()); len(got) != 1 || got[0].Name != "a.txt" {
		t.Errorf("got %+v", got)
	}
	// A huge property count is bounded.
	props := []byte{0xff, 0xff, 0xff, 0xff, 0x1E, 0x10, 0x07, 0x37, 0xff, 0xff, 0xff, 0x7f}
	b = newTNEF()
	b.attr(2, 0x00069002, nil).attr(2, 0x00018010, []byte("t.txt\x00")).attr(2, 0x00069005, props)
	if got, _ := ParseTNEF(b.Bytes()); len(got) != 1 || got[0].Name != "t.txt" {
		t.Errorf("got %+v", got)
	}
	// The attachment count is bounded.
	b = newTNEF()
	for range maxTNEFAttachments + 50 {
		b.attr(2, 0x00069002, nil)
	}
	if got, _ := ParseTNEF(b.Bytes()); len(got) != maxTNEFAttachments {
		t.Errorf("%d attachments", len(got))
	}
}

func FuzzTNEF(f *testing.F) {
	f.Add(sampleTNEF())
	f.Add(newTNEF().file("a", "long name.txt", []byte("x")).Bytes())
	f.Add(mapiProps("x.txt"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseTNEF(data)
		if err != nil {
			return
		}
		if len(got) > maxTNEFAttachments {
			t.Fatalf("%d attachments", len(got))
		}
		for _, a := range got {
			if strings.ContainsAny(a.Name, "/\\\x00") {
				t.Errorf("unsafe name %q", a.Name)
			}
			if a.Size != len(a.Data) {
				t.Errorf("size %d, data %d", a.Size, len(a.Data))
			}
		}
		// The property reader alone, on raw input.
		_ = tnefLongName(data)
	})
}
