package message

import (
	"regexp"
	"strings"
	"testing"
)

func TestHeaders(t *testing.T) {
	raw := []byte("Received: from a\r\n\tby b\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\nFrom: \"Bank \u202eevil\" <x@y.example>\r\nX-Null: a\x00b\r\n\r\nbody\r\nNot-A-Header: x\r\n")
	got := Headers(raw)
	want := []HeaderField{
		{"Received", "from a by b"},
		{"Subject", "café"},
		{"From", "\"Bank <U+202E>evil\" <x@y.example>"},
		{"X-Null", "ab"},
	}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if h := Headers([]byte("no header here")); len(h) != 0 {
		t.Errorf("%+v", h)
	}
	big := strings.Repeat("X-A: 1\r\n", maxHeaderFields+10) + "\r\n"
	if h := Headers([]byte(big)); len(h) != maxHeaderFields {
		t.Errorf("%d fields", len(h))
	}
}

func TestSourceText(t *testing.T) {
	got, cut := SourceText([]byte("A: b\r\n\r\nx\x01y\xff z\u202e\tend\r\n"), 0)
	if want := "A: b\n\nx<01>y\uFFFD z<U+202E>\tend\n"; got != want || cut {
		t.Errorf("%q %v, want %q", got, cut, want)
	}
	long := []byte(strings.Repeat("0123456789\r\n", 10000))
	got, cut = SourceText(long, 50000)
	if !cut || len(got) > 50000 || !strings.HasSuffix(got, "0123456789\n") {
		t.Errorf("cut %v, %d bytes, ends %q", cut, len(got), got[len(got)-12:])
	}
	// A cut in the middle of a rune leaves no broken rune behind.
	got, _ = SourceText([]byte("ééé"), 3)
	if got != "é" {
		t.Errorf("%q", got)
	}
}

var fetchable = regexp.MustCompile(`(?i)(src|href|background|srcset)\s*=\s*"?(https?:|cid:|//)|url\(|<link|<script|@import`)

func TestBrowserHTML(t *testing.T) {
	m, raw, _ := corpusDoc(t, "newsletter.eml")
	page := BrowserHTML(raw, m, false)
	for _, loc := range fetchable.FindAllStringIndex(page, -1) {
		frag := page[loc[0]:min(len(page), loc[1]+60)]
		if !strings.HasPrefix(strings.ToLower(frag), "href=\"http") {
			t.Errorf("fetchable reference: %q", frag)
		}
	}
	for _, want := range []string{"Content-Security-Policy", "img-src data:;", "Tides of March", "[remote image: Harbor Weekly]", `rel="noreferrer noopener"`, "<b>Subject</b> This week: tides"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "track/open") {
		t.Error("tracker in the page")
	}

	// With remote content allowed: real images, still no tracker.
	page = BrowserHTML(raw, m, true)
	if !strings.Contains(page, `src="https://cdn.harborweekly.example/img/logo.png"`) || strings.Contains(page, "track/open") || strings.Contains(page, "mail.css") {
		t.Error("remote page wrong")
	}

	// cid: images are inlined.
	raw = readFixture(t, "related.eml")
	m, _ = Parse(raw, nil)
	page = BrowserHTML(raw, m, false)
	if !strings.Contains(page, `src="data:image/gif;base64,R0lGODlhAQABAAAAACw="`) || strings.Contains(page, "cid:") {
		t.Errorf("cid image not inlined:\n%s", page)
	}

	// Plain text is escaped.
	m = &Message{Subject: "<b>x</b>", Text: "a <script>alert(1)</script> & b"}
	page = BrowserHTML(nil, m, false)
	if strings.Contains(page, "<script>") || !strings.Contains(page, "&lt;script&gt;") || strings.Contains(page, "<b>x</b>") {
		t.Errorf("%s", page)
	}
}
