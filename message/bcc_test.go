package message

import (
	"bytes"
	"testing"
)

// TestStripBcc checks that Bcc and Resent-Bcc fields leave the header with
// their continuation lines, whatever their spelling, and that nothing else
// changes: other fields, look-alike names, the body and attached messages.
func TestStripBcc(t *testing.T) {
	const body = "\r\nBcc: in the body <body@example.com>\r\n"
	cases := []struct{ name, in, want string }{
		{"plain", "From: a@example.com\r\nTo: b@example.com\r\nBcc: c@example.com\r\nSubject: s\r\n" + body,
			"From: a@example.com\r\nTo: b@example.com\r\nSubject: s\r\n" + body},
		{"folded", "From: a@example.com\r\nBcc: Carol <c@example.com>,\r\n\tDave <d@example.com>,\r\n  e@example.com\r\nSubject: s\r\n" + body,
			"From: a@example.com\r\nSubject: s\r\n" + body},
		{"first field", "Bcc: c@example.com\r\n d@example.com\r\nFrom: a@example.com\r\n" + body,
			"From: a@example.com\r\n" + body},
		{"last field", "From: a@example.com\r\nBCC: c@example.com\r\n" + body,
			"From: a@example.com\r\n" + body},
		{"case and space before colon", "From: a@example.com\r\nbcc : c@example.com\r\nbCc\t:d@example.com\r\nTo: b@example.com\r\n" + body,
			"From: a@example.com\r\nTo: b@example.com\r\n" + body},
		{"empty Bcc", "From: a@example.com\r\nBcc:\r\nTo: b@example.com\r\n" + body,
			"From: a@example.com\r\nTo: b@example.com\r\n" + body},
		{"several and Resent-Bcc", "Resent-Bcc: r@example.com\r\nFrom: a@example.com\r\nBcc: c@example.com\r\nBcc: d@example.com\r\n" + body,
			"From: a@example.com\r\n" + body},
		{"look-alike names kept", "X-Bcc: x@example.com\r\nBccx: y@example.com\r\nSubject: Bcc: me\r\nTo: b@example.com,\r\n Bcc: z@example.com\r\n" + body,
			"X-Bcc: x@example.com\r\nBccx: y@example.com\r\nSubject: Bcc: me\r\nTo: b@example.com,\r\n Bcc: z@example.com\r\n" + body},
		{"LF line ends", "From: a@example.com\nBcc: c@example.com,\n d@example.com\nTo: b@example.com\n\nBcc: body@example.com\n",
			"From: a@example.com\nTo: b@example.com\n\nBcc: body@example.com\n"},
		{"no body", "From: a@example.com\r\nBcc: c@example.com", "From: a@example.com\r\n"},
		{"attached message untouched",
			"From: a@example.com\r\nBcc: c@example.com\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@example.com\r\nBcc: inner@example.com\r\n\r\nhi\r\n",
			"From: a@example.com\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@example.com\r\nBcc: inner@example.com\r\n\r\nhi\r\n"},
		{"nothing to remove", "From: a@example.com\r\nTo: b@example.com\r\n" + body, "From: a@example.com\r\nTo: b@example.com\r\n" + body},
		{"empty", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := []byte(c.in)
			if got := StripBcc(in); string(got) != c.want {
				t.Errorf("StripBcc(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
			if string(in) != c.in {
				t.Errorf("input modified: %q", in)
			}
		})
	}
}

// TestSentCopyKeepsBcc checks what a message built with Bcc recipients
// looks like to a reader of the Sent folder and to its recipients.
func TestSentCopyKeepsBcc(t *testing.T) {
	d := &Draft{From: Address{Email: "a@example.com"}, To: []Address{{Email: "b@example.com"}},
		Bcc: []Address{{Name: "Carol Ünal", Email: "carol@bcc.example"}, {Email: "dave@bcc.example"}}, Subject: "s", Text: "hi\n"}
	raw, err := Build(d, buildNow, "")
	if err != nil {
		t.Fatal(err)
	}
	h, _ := readBack(t, raw)
	bcc, err := h.AddressList("Bcc")
	if err != nil || len(bcc) != 2 || bcc[0].Name != "Carol Ünal" || bcc[0].Address != "carol@bcc.example" || bcc[1].Address != "dave@bcc.example" {
		t.Fatalf("Bcc of the Sent copy = %v %v\n%s", bcc, err, raw)
	}
	sent := StripBcc(raw)
	checkWire(t, sent)
	if bytes.Contains(sent, []byte("carol@bcc.example")) || bytes.Contains(sent, []byte("dave@bcc.example")) {
		t.Fatalf("Bcc recipients in the message sent:\n%s", sent)
	}
	if _, body, _ := bytes.Cut(raw, []byte("\r\n\r\n")); len(sent) >= len(raw) || !bytes.HasSuffix(sent, body) {
		t.Fatalf("nothing removed, or the body changed:\n%s", sent)
	}
}
