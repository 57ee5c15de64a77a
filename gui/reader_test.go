package gui

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/gui/widgets"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// spoofed is a message whose display name shows another address, with a
// text-direction override.
const spoofed = "From: =?utf-8?b?" + "U2VjdXJpdHkgc2VjdXJpdHlAYmFuay5leGFtcGxlIOKArmxpYW1l" + "?= <phish@evil.example>\r\n" +
	"To: demo@tern.example\r\nSubject: Verify your account\r\nDate: %DATE%\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n\r\n<p>Please verify at <a href=\"http://evil.example/login\">https://bank.example/login</a>.</p>\r\n"

// newReaderHarness is newHarness over a demo mailbox with extra messages
// at the top of the inbox.
func newReaderHarness(t *testing.T, extra ...[]byte) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	log := &testLog{t: t}
	srv := mailtest.DemoForTest(t)
	for _, raw := range extra {
		if _, err := srv.Append("INBOX", raw, nil, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	core, err := app.New(app.Options{
		Home:      t.TempDir(),
		Secrets:   accounts.NewMemorySecrets(),
		StartDemo: demoFor(srv),
		Logf:      log.logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	core.Start()
	return windowFor(t, a, core, log)
}

func withDate(s string) []byte {
	return []byte(strings.ReplaceAll(s, "%DATE%", time.Now().Format(time.RFC1123Z)))
}

// openBySubject selects the inbox message with subject and waits for the
// reader to show it.
func (h *harness) openBySubject(subject string) store.Message {
	h.t.Helper()
	var m store.Message
	h.waitFor("message "+subject+" in the list", func() bool {
		inbox := h.w.list.mailbox
		page, err := h.core.Messages(h.ctx(), inbox.ID, 0, 400)
		if err != nil {
			return false
		}
		for _, x := range page {
			if x.Subject == subject {
				m = x
				return h.w.list.indexOf(x.ID) >= 0
			}
		}
		return false
	})
	h.w.list.list.Select(h.w.list.indexOf(m.ID))
	h.waitFor("the reader to load "+subject, func() bool {
		return h.w.reader.msg.ID == m.ID && (h.w.reader.st == readerLoaded || h.w.reader.st == readerFailed)
	})
	if h.w.reader.st == readerFailed {
		h.t.Fatalf("reader: %s", h.w.reader.state.Text)
	}
	return m
}

// richSegments flattens the reader's rich text segments.
func richSegments(r *reader) []widget.RichTextSegment {
	var out []widget.RichTextSegment
	var walk func([]widget.RichTextSegment)
	walk = func(segs []widget.RichTextSegment) {
		for _, s := range segs {
			out = append(out, s)
			if b, ok := s.(widget.RichTextBlock); ok {
				walk(b.Segments())
			}
		}
	}
	walk(r.rich.Segments)
	return out
}

// checkNoRemoteImageURL fails if any segment would make Fyne fetch a URL.
func checkNoRemoteImageURL(t *testing.T, r *reader) {
	t.Helper()
	for _, s := range richSegments(r) {
		if img, ok := s.(*widget.ImageSegment); ok {
			t.Errorf("URL image segment %v", img.Source)
		}
	}
}

func TestReaderRichHTML(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Write(tinyPNG)
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	newsletter, err := os.ReadFile("../message/testdata/corpus/newsletter.eml")
	if err != nil {
		t.Fatal(err)
	}
	newsletter = []byte(strings.Replace(string(newsletter), "Date: Mon, 03 Mar 2025 08:00:00 +0000", "Date: "+time.Now().Format(time.RFC1123Z), 1))
	h := newReaderHarness(t, newsletter, withDate(spoofed))
	h.w.reader.loader.Client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}}
	h.startDemo()
	r := h.w.reader

	// A newsletter of the demo mailbox: rich text, no URL images.
	page, err := h.core.Messages(h.ctx(), h.w.list.mailbox.ID, 0, 400)
	if err != nil {
		t.Fatal(err)
	}
	demoHTML := ""
	for _, m := range page {
		if len(m.From) > 0 && strings.Contains(m.From[0].Email, "news") && m.Subject != "This week: tides, lighthouses and a recipe" {
			demoHTML = m.Subject
			break
		}
	}
	if demoHTML != "" {
		h.openBySubject(demoHTML)
		if !r.rich.Visible() || r.body.Visible() || len(r.rich.Segments) == 0 {
			t.Errorf("demo newsletter %q: rich %v, plain %v", demoHTML, r.rich.Visible(), r.body.Visible())
		}
		checkNoRemoteImageURL(t, r)
		for _, s := range richSegments(r) {
			if strings.Contains(s.Textual(), "<td") || strings.Contains(s.Textual(), "font-family") {
				t.Errorf("markup shown: %q", s.Textual())
			}
		}
	} else {
		t.Log("no newsletter in the first inbox page of the demo")
	}

	// The corpus newsletter: remote images blocked and announced.
	h.openBySubject("This week: tides, lighthouses and a recipe")
	if !r.rich.Visible() {
		t.Fatal("rich text not shown")
	}
	checkNoRemoteImageURL(t, r)
	var headings, links int
	for _, s := range richSegments(r) {
		switch s := s.(type) {
		case *widget.TextSegment:
			if s.Text == "Tides of March" && s.Style.SizeName == "headingText" {
				headings++
			}
			if strings.Contains(s.Text, "spring specials") {
				t.Error("hidden preheader shown")
			}
		case *widgets.LinkSegment:
			links++
		case *widgets.ImageSegment:
			t.Error("an image shown before remote content was allowed")
		}
	}
	if headings != 1 || links < 4 {
		t.Errorf("%d headings, %d links", headings, links)
	}
	if !r.remoteBar.Visible() || r.remoteText.Text != "Remote content blocked: 2 images, 2 trackers, 4 other (stylesheets, fonts)." || !r.loadBtn.Visible() || !r.alwaysBtn.Visible() {
		t.Errorf("remote bar %v %q", r.remoteBar.Visible(), r.remoteText.Text)
	}
	if n := requests.Load(); n != 0 {
		t.Fatalf("%d requests before Load", n)
	}
	test.Tap(r.loadBtn)
	h.waitFor("the remote images", func() bool {
		n := 0
		for _, s := range richSegments(r) {
			if _, ok := s.(*widgets.ImageSegment); ok {
				n++
			}
		}
		return n == 2
	})
	if n := requests.Load(); n != 2 {
		t.Errorf("%d requests after Load, want 2 (no trackers)", n)
	}
	checkNoRemoteImageURL(t, r)
	if !r.remoteBar.Visible() || !strings.HasPrefix(r.remoteText.Text, "Still blocked: 2 trackers, 4 other") || r.loadBtn.Visible() || r.alwaysBtn.Visible() {
		t.Errorf("remote bar after Load: %v %q", r.remoteBar.Visible(), r.remoteText.Text)
	}

	// Copy text and the selectable view.
	test.Tap(r.copyBtn)
	if got := h.w.app.Clipboard().Content(); !strings.Contains(got, "Tides of March") || strings.Contains(got, "<") {
		t.Errorf("clipboard %.80q", got)
	}
	test.Tap(r.viewBtn)
	if !r.body.Visible() || !r.body.Selectable || r.rich.Visible() {
		t.Error("plain view not shown")
	}
	test.Tap(r.viewBtn)

	// A forged sender is flagged, with the real address.
	h.openBySubject("Verify your account")
	if !r.senderWarn.Visible() || !strings.Contains(r.senderWarn.Text, "phish@evil.example") || !strings.Contains(r.senderWarn.Text, "another address") {
		t.Errorf("sender warning %v %q", r.senderWarn.Visible(), r.senderWarn.Text)
	}
	if !strings.HasPrefix(r.from.Text, "phish@evil.example") || strings.ContainsRune(r.from.Text, '\u202e') {
		t.Errorf("from %q", r.from.Text)
	}
	// Its deceptive link is flagged next to the link.
	flagged := false
	for _, s := range richSegments(r) {
		if ts, ok := s.(*widget.TextSegment); ok && strings.Contains(ts.Text, "evil.example") && strings.Contains(ts.Text, "⚠") {
			flagged = true
		}
	}
	if !flagged {
		t.Error("deceptive link not flagged")
	}
	if requests.Load() != 2 {
		t.Errorf("requests %d", requests.Load())
	}
}

// tinyPNG is an 8×8 PNG.
var tinyPNG = func() []byte {
	b, _ := base64Decode("iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGM4YWODFTEMLQkAZZlQAVIPr1MAAAAASUVORK5CYII=")
	return b
}()

func base64Decode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
