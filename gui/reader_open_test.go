package gui

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ternmail/tern/message"
)

func TestReaderOpenAttachments(t *testing.T) {
	inner := "From: Carol <carol@example.org>\r\nTo: demo@tern.example\r\nSubject: The original question\r\n" +
		"Date: Mon, 2 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain\r\n\r\nWhat time is the meeting?\r\n"
	raw := "From: Dan <dan@example.org>\r\nTo: demo@tern.example\r\nSubject: Three attachments\r\nDate: %DATE%\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"question.eml\"\r\n\r\n" + inner +
		att("report.pdf", "application/pdf", "%PDF-1.4 not really") +
		att("invoice.pdf.exe", "application/octet-stream", "MZ not really") + "--b--\r\n"
	h := newReaderHarness(t, withDate(raw))
	h.startDemo()
	r := h.w.reader
	var opened []string
	r.openURL = func(u *url.URL) error { opened = append(opened, u.Path); return nil }
	h.openBySubject("Three attachments")
	atts := map[string]message.Attachment{}
	for _, a := range r.view.Message.Attachments {
		atts[a.ContentType] = a
	}
	if len(atts) != 3 {
		t.Fatalf("attachments: %+v", r.view.Message.Attachments)
	}

	// An attached message opens in a window of its own, rendered.
	r.openAttachment(atts["message/rfc822"])
	var nested fyne.Window
	h.waitFor("the attached message's window", func() bool { nested = h.windowTitled("Attached message — "); return nested != nil })
	if labelWithPrefix(nested.Content(), "The original question") == nil {
		t.Error("the attached message's subject is not shown")
	}

	// A document opens from a private copy.
	r.openAttachment(atts["application/pdf"])
	h.waitFor("the PDF handed to the system", func() bool { return len(opened) == 1 })
	fi, err := os.Stat(opened[0])
	if err != nil || fi.Mode().Perm() != 0o600 || !strings.HasSuffix(opened[0], "/report.pdf") {
		t.Fatalf("private copy %q: %v %v", opened[0], fi, err)
	}
	if data, _ := os.ReadFile(opened[0]); string(data) != "%PDF-1.4 not really" {
		t.Fatalf("private copy holds %q", data)
	}

	// A program asks first, and nothing runs unless the user says so.
	r.openAttachment(atts["application/octet-stream"])
	_, open := overlayWidgets(t, h, "Open anyway")
	h.run()
	if len(opened) != 1 {
		t.Fatal("the program was opened before the user agreed")
	}
	test.Tap(open)
	h.waitFor("the program handed to the system after the warning", func() bool { return len(opened) == 2 })
}
