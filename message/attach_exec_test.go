package message

import "testing"

func TestIsExecutable(t *testing.T) {
	for _, tc := range []struct {
		name, ctype string
		want        bool
	}{
		{"invoice.pdf", "application/pdf", false},
		{"photo.JPG", "image/jpeg", false},
		{"notes.txt", "text/plain", false},
		{"setup.exe", "application/octet-stream", true},
		{"INVOICE.PDF.EXE", "application/pdf", true},
		{"run.sh", "text/plain", true},
		{"report.docm", "application/octet-stream", true},
		{"script.js.", "text/plain", true},
		{"blob", "application/x-msdownload", true},
		{"resume\u202efdp.exe", "application/pdf", true},
		{"a\x00b.txt", "text/plain", true},
		{"", "application/octet-stream", false},
	} {
		if got := IsExecutable(tc.name, tc.ctype); got != tc.want {
			t.Errorf("IsExecutable(%q, %q) = %v, want %v", tc.name, tc.ctype, got, tc.want)
		}
	}
}
