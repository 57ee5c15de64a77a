package message

import (
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestSafeFilename(t *testing.T) {
	tests := []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"../../.bashrc", "bashrc"},
		{"/etc/passwd", "passwd"},
		{`..\..\x`, "x"},
		{`C:\Windows\system32\evil.dll`, "evil.dll"},
		{"a\x00b.txt", "ab.txt"},
		{"invoice\u202efdp.exe", "invoicefdp.exe"},
		{"CON", "_CON"},
		{"nul.txt", "_nul.txt"},
		{"com1.log", "_com1.log"},
		{"LPT9", "_LPT9"},
		{"console.txt", "console.txt"},
		{"", DefaultFilename},
		{"..", DefaultFilename},
		{"   ", DefaultFilename},
		{"...", DefaultFilename},
		{"x/", DefaultFilename},
		{"a..b.txt", "a.b.txt"},
		{"what?<>|*:\".txt", "what_______.txt"},
		{"name. . ", "name"},
		{"tab\there.txt", "tab here.txt"},
		{"zero\u200bwidth.txt", "zerowidth.txt"},
	}
	for _, tt := range tests {
		if got := SafeFilename(tt.in); got != tt.want {
			t.Errorf("SafeFilename(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := SafeFilename(strings.Repeat("é", 300) + ".pdf")
	if len(long) > 200 || !strings.HasSuffix(long, ".pdf") || !utf8.ValidString(long) {
		t.Errorf("long name %d bytes %q", len(long), long[len(long)-10:])
	}
}

func TestUniquePath(t *testing.T) {
	taken := map[string]bool{
		filepath.Join("d", "a.txt"):     true,
		filepath.Join("d", "a (2).txt"): true,
		filepath.Join("d", "CONx"):      true,
	}
	exists := func(p string) bool { return taken[p] }
	for _, tt := range []struct{ in, want string }{
		{"b.txt", "b.txt"},
		{"a.txt", "a (3).txt"},
		{"../a.txt", "a (3).txt"},
		{"", DefaultFilename},
		{"CON", "_CON"},
	} {
		got, err := UniquePath("d", tt.in, exists)
		if err != nil || got != filepath.Join("d", tt.want) {
			t.Errorf("UniquePath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := UniquePath("d", "x", func(string) bool { return true }); err == nil {
		t.Error("no error when every name is taken")
	}
}

func TestPartData(t *testing.T) {
	for _, f := range []string{"attachments.eml", "corpus/invite.eml", "nested_rfc822.eml", "related.eml"} {
		raw := readFixture(t, f)
		m := parseFixture(t, f, nil)
		for _, a := range m.Attachments {
			data, err := PartData(raw, a.PartPath)
			if err != nil {
				t.Errorf("%s part %s: %v", f, a.PartPath, err)
				continue
			}
			if int64(len(data)) != a.Size {
				t.Errorf("%s part %s (%s): %d bytes, size %d", f, a.PartPath, a.Filename, len(data), a.Size)
			}
		}
	}
	if _, err := PartData([]byte("Subject: x\r\n\r\nhi"), "2"); err == nil {
		t.Error("no error for a missing part")
	}
	if d, err := PartData([]byte("Subject: x\r\n\r\nhi"), "1"); err != nil || string(d) != "hi" {
		t.Errorf("single part: %q %v", d, err)
	}
}
