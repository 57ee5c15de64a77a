package gui

import (
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/ternmail/tern/message"
)

func TestBodyTextWording(t *testing.T) {
	got := bodyText(&message.Message{HTML: `<img src="cid:logo">`})
	if strings.Contains(got, "cannot show") || !strings.Contains(got, "browser") {
		t.Errorf("bodyText = %q", got)
	}
	if got := bodyText(&message.Message{}); got != "(This message has no text.)" {
		t.Errorf("bodyText = %q", got)
	}
}

func TestRemoteBarText(t *testing.T) {
	for _, c := range []struct {
		images, trackers, other int
		loaded                  bool
		want                    string
	}{
		{2, 2, 4, false, "Remote content blocked: 2 images, 2 trackers, 4 other (stylesheets, fonts)."},
		{0, 1, 0, false, "Remote content blocked: 1 tracker."},
		{1, 0, 1, false, "Remote content blocked: 1 image, 1 other (stylesheet, font)."},
		{0, 3, 0, true, "Still blocked: 3 trackers. Trackers, stylesheets and fonts are never loaded."},
	} {
		if got := remoteBarText(c.images, c.trackers, c.other, c.loaded); got != c.want {
			t.Errorf("remoteBarText(%d, %d, %d, %v) = %q, want %q", c.images, c.trackers, c.other, c.loaded, got, c.want)
		}
	}
}

// hugeHTML is a message whose body is one paragraph of about 3 MB.
func hugeHTML() []byte {
	var b strings.Builder
	b.WriteString("From: Log Bot <bot@example.org>\r\nTo: demo@tern.example\r\nSubject: The whole log\r\nDate: %DATE%\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>")
	for i := 0; b.Len() < 3<<20; i++ {
		b.WriteString("line of the log that just goes on without any break at all, number ")
		b.WriteString(itoa(i))
		b.WriteString(". ")
	}
	b.WriteString("THE END</p></body></html>\r\n")
	return withDate(b.String())
}

// spoofedImage is a forged-looking sender whose message has a remote image.
const spoofedImage = "From: =?utf-8?q?PayPal_service=40paypal=2Eexample?= <phish@evil.example>\r\nTo: demo@tern.example\r\n" +
	"Subject: Your invoice is ready\r\nDate: %DATE%\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
	"<p>See your invoice.</p><img src=\"https://evil.example/logo.png\" width=\"200\" height=\"80\" alt=\"logo\">\r\n"

// bigHeader is a message whose header is past the parser's limit.
func bigHeader() []byte {
	var b strings.Builder
	b.WriteString("From: Relay <relay@example.org>\r\nTo: demo@tern.example\r\nSubject: Many hops\r\nDate: %DATE%\r\n")
	for i := 0; b.Len() < 300<<10; i++ {
		b.WriteString("X-Hop-" + itoa(i) + ": relayed by a server that adds a header line every time it sees the mail\r\n")
	}
	b.WriteString("\r\nThe text after all those hops.\r\n")
	return withDate(b.String())
}

// openSlowly is openBySubject for a message that takes long to fetch and
// render under the race detector: its hang guard is generous.
func (h *harness) openSlowly(subject string) {
	h.t.Helper()
	var id int64
	h.waitFor("message "+subject+" in the list", func() bool {
		page, err := h.core.Messages(h.ctx(), h.w.list.mailbox.ID, 0, 400)
		if err != nil {
			return false
		}
		for _, x := range page {
			if x.Subject == subject {
				id = x.ID
				return h.w.list.indexOf(x.ID) >= 0
			}
		}
		return false
	})
	h.w.list.list.Select(h.w.list.indexOf(id))
	deadline := time.Now().Add(5 * time.Minute) // a hang guard, not a speed test
	for !(h.w.reader.msg.ID == id && (h.w.reader.st == readerLoaded || h.w.reader.st == readerFailed)) {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for the reader to load %s", subject)
		}
		select {
		case fn := <-h.q:
			fn()
		case <-time.After(20 * time.Millisecond):
		}
	}
	if h.w.reader.st == readerFailed {
		h.t.Fatalf("reader: %s", h.w.reader.state.Text)
	}
}

// TestReaderLimitsAndBlockedContent opens messages at the reader's
// bounds: a multi-MB body (cut, with a note and bounded segments), a
// header past its limit (a note), a tracker alone (announced), and a
// forged sender with a remote image (no "Always for this sender").
func TestReaderLimitsAndBlockedContent(t *testing.T) {
	h := newReaderHarness(t, hugeHTML(), corpusNow(t, "corpus/forge.eml"), withDate(spoofedImage), bigHeader())
	h.startDemo()
	r := h.w.reader

	h.openSlowly("The whole log")
	if !r.longNote.Visible() || r.longText.Text != longNoteText || r.longBrowserBtn.Text != "Open in browser" || r.longSourceBtn.Text != "View source" {
		t.Errorf("long note %v %q", r.longNote.Visible(), r.longText.Text)
	}
	if !r.rich.Visible() {
		t.Fatal("rich text not shown")
	}
	total := 0
	for _, s := range richSegments(r) {
		n := len(s.Textual())
		if n > message.MaxBlockTextBytes {
			t.Errorf("a segment of %d bytes", n)
		}
		total += n
	}
	if total > maxRichTextBytes || total < maxRichTextBytes/2 {
		t.Errorf("rich text holds %d bytes, want at most %d (and most of it)", total, maxRichTextBytes)
	}
	if strings.Contains(r.rich.String(), "THE END") {
		t.Error("the end of a 3 MB body reached the rich view")
	}
	// The note's buttons reach the whole message: the browser gets a
	// page with all of it.
	var opened string
	r.openURL = func(u *url.URL) error { opened = u.Path; return nil }
	test.Tap(r.longBrowserBtn)
	h.waitFor("the page for the browser", func() bool { return opened != "" })
	if page, err := os.ReadFile(opened); err != nil || !strings.Contains(string(page), "THE END") {
		t.Errorf("browser page %s: %v, has the end %v", opened, err, strings.Contains(string(page), "THE END"))
	}
	if r.longSourceBtn.OnTapped == nil {
		t.Error("View source does nothing")
	}

	// A tracker alone is announced, with nothing to load.
	h.openBySubject("Re: [ternmail/tern] Reader renders HTML (#6)")
	if r.longNote.Visible() {
		t.Error("long note on a short message")
	}
	if !r.remoteBar.Visible() || r.remoteText.Text != "Remote content blocked: 1 tracker." || r.loadBtn.Visible() || r.alwaysBtn.Visible() {
		t.Errorf("remote bar %v %q, load %v, always %v", r.remoteBar.Visible(), r.remoteText.Text, r.loadBtn.Visible(), r.alwaysBtn.Visible())
	}

	// A forged sender: its image can be loaded for this message only.
	h.openBySubject("Your invoice is ready")
	if !r.senderWarn.Visible() {
		t.Error("sender not flagged")
	}
	if !r.remoteBar.Visible() || r.remoteText.Text != "Remote content blocked: 1 image." || !r.loadBtn.Visible() {
		t.Errorf("remote bar %v %q, load %v", r.remoteBar.Visible(), r.remoteText.Text, r.loadBtn.Visible())
	}
	if r.alwaysBtn.Visible() {
		t.Error("“Always for this sender” offered for a forged sender")
	}
	r.alwaysRemote()
	if r.w.core.Settings().Sender("phish@evil.example").Remote || r.remote {
		t.Error("alwaysRemote trusted a forged sender")
	}

	// A header past the limit: the reader says so.
	h.openBySubject("Many hops")
	if !r.warnings.Visible() || !strings.Contains(r.warnings.Text, "header truncated") {
		t.Errorf("warnings %v %q", r.warnings.Visible(), r.warnings.Text)
	}
	if !strings.Contains(r.body.Text, "after all those hops") {
		t.Errorf("body %q", r.body.Text)
	}
}
