package message

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
)

var buildNow = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// checkWire fails on a bare CR or LF or a line longer than 998 octets.
func checkWire(t *testing.T, raw []byte) {
	t.Helper()
	for i, c := range raw {
		if c == '\r' && (i+1 >= len(raw) || raw[i+1] != '\n') {
			t.Fatalf("bare CR at %d", i)
		}
		if c == '\n' && (i == 0 || raw[i-1] != '\r') {
			t.Fatalf("bare LF at %d", i)
		}
	}
	for _, line := range bytes.Split(raw, []byte("\r\n")) {
		if len(line) > 998 {
			t.Fatalf("line of %d octets", len(line))
		}
	}
}

type readPart struct {
	header   gomessage.Header
	body     []byte
	filename string
}

// readBack parses raw with go-message and returns its header and decoded
// parts.
func readBack(t *testing.T, raw []byte) (gomail.Header, []readPart) {
	t.Helper()
	e, err := gomessage.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	h := gomail.Header{Header: e.Header}
	var parts []readPart
	if mr := e.MultipartReader(); mr != nil {
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(p.Body)
			if err != nil {
				t.Fatal(err)
			}
			_, params, _ := p.Header.ContentDisposition()
			parts = append(parts, readPart{p.Header, b, params["filename"]})
		}
	} else {
		b, err := io.ReadAll(e.Body)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, readPart{e.Header, b, ""})
	}
	return h, parts
}

func TestBuildRoundTrip(t *testing.T) {
	long := strings.Repeat("long line without breaks ", 60) // > 998
	bin := make([]byte, 70000)
	for i := range bin {
		bin[i] = byte(i * 7)
	}
	tests := []struct {
		name, subject, text, wantCTE string
		atts                         []DraftAttachment
	}{
		{"ascii", "Hello", "Hi.\n.\n..dots\nFrom the start\n", "7bit", nil},
		{"latin", "Grüße aus Köln", "Schöne Grüße\r\n", "quoted-printable", nil},
		{"cjk", "日本語の件名とても長い件名がここに続きます、折り返しが必要なほど長い件名です", "こんにちは世界\nさようなら\n", "base64", nil},
		{"mixed scripts", "Привет, مرحبا, שלום, 👋", "Привет\n", "base64", nil},
		{"long lines", "x", long + "\n", "quoted-printable", nil},
		{"bare cr and lf", "x", "a\rb\nc\r\nd", "7bit", nil},
		{"attachments", "files", "see attached\n", "7bit", []DraftAttachment{
			{Filename: "report.pdf", Data: []byte("%PDF-1.4 fake")},
			{Filename: "Übersicht – 2025 年.bin", ContentType: "application/octet-stream", Data: bin},
			{Filename: "../../etc/notes.txt", Data: []byte("line\nwith bare LF\r")},
			{Filename: strings.Repeat("とても長いファイル名", 12) + ".txt", Data: []byte("x")},
			{Filename: "a \"quoted\" name; with=specials.txt", Data: []byte("y")},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &Draft{
				From:    Address{Name: "Zoë Ünal", Email: "zoe@example.com"},
				To:      []Address{{Name: "Bob, the \"Builder\"", Email: "bob@example.com"}, {Email: "carol@example.org"}},
				Cc:      []Address{{Name: "Дмитрий", Email: "dima@example.ru"}},
				Bcc:     []Address{{Name: "Secret", Email: "hidden@example.net"}},
				Subject: tc.subject, Text: tc.text, Attachments: tc.atts,
				InReplyTo: "parent@example.com", References: []string{"root@example.com", "parent@example.com"},
			}
			raw, err := Build(d, buildNow, "")
			if err != nil {
				t.Fatal(err)
			}
			checkWire(t, raw)
			// Bcc is kept for the copy filed in Sent, and only there.
			if !bytes.Contains(raw, []byte("\r\nBcc: \"Secret\" <hidden@example.net>\r\n")) {
				t.Fatal("no Bcc field for the Sent copy")
			}
			if sent := StripBcc(raw); bytes.Contains(sent, []byte("hidden@example.net")) || bytes.Contains(sent, []byte("Bcc")) {
				t.Fatal("Bcc leaked into the message sent")
			}
			h, parts := readBack(t, raw)
			if s, _ := h.Subject(); s != tc.subject {
				t.Errorf("subject %q, want %q", s, tc.subject)
			}
			from, _ := h.AddressList("From")
			to, _ := h.AddressList("To")
			cc, _ := h.AddressList("Cc")
			if len(from) != 1 || from[0].Name != "Zoë Ünal" || len(to) != 2 || to[0].Name != `Bob, the "Builder"` || len(cc) != 1 || cc[0].Name != "Дмитрий" {
				t.Errorf("addresses: %v %v %v", from, to, cc)
			}
			if id, _ := h.MessageID(); !strings.HasSuffix(id, "@example.com") {
				t.Errorf("message id %q", id)
			}
			if refs, _ := h.MsgIDList("References"); len(refs) != 2 {
				t.Errorf("references %v", refs)
			}
			if irt, _ := h.MsgIDList("In-Reply-To"); len(irt) != 1 || irt[0] != "parent@example.com" {
				t.Errorf("in-reply-to %v", irt)
			}
			if date, _ := h.Date(); !date.Equal(buildNow) {
				t.Errorf("date %v", date)
			}
			if h.Get("Mime-Version") != "1.0" {
				t.Error("no MIME-Version")
			}
			if len(parts) != 1+len(tc.atts) {
				t.Fatalf("%d parts", len(parts))
			}
			if cte := parts[0].header.Get("Content-Transfer-Encoding"); cte != tc.wantCTE {
				t.Errorf("text encoding %q, want %q", cte, tc.wantCTE)
			}
			want := strings.NewReplacer("\r\n", "\r\n", "\r", "\r\n", "\n", "\r\n").Replace(tc.text)
			if !strings.HasSuffix(want, "\r\n") {
				want += "\r\n"
			}
			if string(parts[0].body) != want {
				t.Errorf("text %q, want %q", truncateRunes(string(parts[0].body), 80), truncateRunes(want, 80))
			}
			for i, a := range tc.atts {
				p := parts[i+1]
				if !bytes.Equal(p.body, a.Data) {
					t.Errorf("attachment %d differs", i)
				}
				wantName := a.Filename[strings.LastIndexByte(a.Filename, '/')+1:]
				if p.filename != wantName {
					t.Errorf("attachment name %q, want %q", p.filename, wantName)
				}
			}
		})
	}
}

func TestBuildRejectsHeaderInjection(t *testing.T) {
	base := func() *Draft {
		return &Draft{From: Address{Email: "a@example.com"}, To: []Address{{Email: "b@example.com"}}, Subject: "ok"}
	}
	cases := map[string]func(d *Draft){
		"subject LF":      func(d *Draft) { d.Subject = "hi\nBcc: victim@example.com" },
		"subject CR":      func(d *Draft) { d.Subject = "hi\rthere" },
		"from name":       func(d *Draft) { d.From.Name = "Eve\r\nX-Evil: 1" },
		"to email":        func(d *Draft) { d.To[0].Email = "b@example.com\r\nBcc: x@y" },
		"cc name":         func(d *Draft) { d.Cc = []Address{{Name: "a\nb", Email: "c@example.com"}} },
		"bcc email":       func(d *Draft) { d.Bcc = []Address{{Email: "c@exa\nmple.com"}} },
		"filename":        func(d *Draft) { d.Attachments = []DraftAttachment{{Filename: "a\r\n.txt"}} },
		"content type":    func(d *Draft) { d.Attachments = []DraftAttachment{{Filename: "a", ContentType: "text/plain\r\nX: y"}} },
		"in-reply-to":     func(d *Draft) { d.InReplyTo = "a@b\r\nX: y" },
		"references":      func(d *Draft) { d.References = []string{"a@b\nX: y"} },
		"no address":      func(d *Draft) { d.To[0].Email = "not an address" },
		"missing from":    func(d *Draft) { d.From.Email = "" },
		"control in name": func(d *Draft) { d.From.Name = "a\x00b" },
	}
	for name, mutate := range cases {
		d := base()
		mutate(d)
		_, err := Build(d, buildNow, "")
		var he *HeaderError
		if !errors.As(err, &he) {
			t.Errorf("%s: err = %v, want *HeaderError", name, err)
		}
	}
}

func TestPrepare(t *testing.T) {
	raw := "From: Alice <alice@example.com>\nTo: bob@example.com, Carol <carol@example.com>\nCc: bob@example.com\nBcc: secret@example.com\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\n\nbody\rwith bare CR\n"
	p, err := Prepare([]byte(raw), buildNow, "")
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, p.Raw)
	if p.From != "alice@example.com" || strings.Join(p.Rcpts, ",") != "bob@example.com,carol@example.com,secret@example.com" {
		t.Fatalf("envelope %q %q", p.From, p.Rcpts)
	}
	if !bytes.Contains(p.Raw, []byte("\r\nBcc: secret@example.com\r\n")) || p.Subject != "Grüße" || p.MessageID == "" {
		t.Fatalf("prepared: %+v\n%s", p, p.Raw)
	}
	if bytes.Contains(StripBcc(p.Raw), []byte("secret@")) {
		t.Fatalf("Bcc leaks into the message sent:\n%s", StripBcc(p.Raw))
	}
	for _, want := range []string{"Date: ", "Message-Id: <" + p.MessageID + ">", "Mime-Version: 1.0", "\r\n\r\nbody\r\nwith bare CR\r\n"} {
		if !bytes.Contains(p.Raw, []byte(want)) {
			t.Errorf("missing %q in\n%s", want, p.Raw)
		}
	}
	if _, err := Prepare([]byte("To: a@example.com\n\nx"), buildNow, ""); err == nil {
		t.Error("no From accepted")
	}
	if _, err := Prepare([]byte("From: a@example.com\n\nx"), buildNow, ""); err == nil {
		t.Error("no recipient accepted")
	}
	if _, err := Prepare([]byte("From: a@example.com\nTo: b@example.com\n\n"+strings.Repeat("x", 1200)), buildNow, ""); err == nil {
		t.Error("long line accepted")
	}
}

func TestReplySubjects(t *testing.T) {
	for in, want := range map[string]string{
		"Hello":               "Re: Hello",
		"Re: Hello":           "Re: Hello",
		"RE: re: Hello":       "Re: Hello",
		"Re[2]: Hello":        "Re: Hello",
		"AW: Hello":           "Re: Hello",
		"Fwd: Hello":          "Re: Fwd: Hello",
		"Re : Hello":          "Re: Hello",
		"Ratio: 3":            "Re: Ratio: 3",
		"":                    "Re: ",
		"Meeting: re: budget": "Re: Meeting: re: budget",
	} {
		if got := ReplySubject(in); got != want {
			t.Errorf("ReplySubject(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"Hello":          "Fwd: Hello",
		"Fwd: Hello":     "Fwd: Hello",
		"FW: fwd: Hello": "Fwd: Hello",
		"Re: Hello":      "Fwd: Re: Hello",
	} {
		if got := ForwardSubject(in); got != want {
			t.Errorf("ForwardSubject(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReply(t *testing.T) {
	orig := &Message{
		Subject:    "Re: Plans",
		From:       []Address{{Name: "Alice", Email: "alice@example.com"}},
		To:         []Address{{Name: "Me", Email: "ME@example.com"}, {Email: "bob@example.com"}},
		Cc:         []Address{{Email: "carol@example.com"}, {Email: "alice@example.com"}},
		Date:       time.Date(2025, 1, 2, 15, 4, 0, 0, time.UTC),
		MessageID:  "m3@example.com",
		InReplyTo:  "m2@example.com",
		References: []string{"m1@example.com", "m2@example.com"},
		Text:       "Line one\n> older quote\n\nLine three\n",
	}
	d := Reply(orig, false, []string{"me@example.com"})
	if len(d.To) != 1 || d.To[0].Email != "alice@example.com" || len(d.Cc) != 0 {
		t.Fatalf("reply to %v cc %v", d.To, d.Cc)
	}
	if d.Subject != "Re: Plans" || d.InReplyTo != "m3@example.com" || strings.Join(d.References, " ") != "m1@example.com m2@example.com m3@example.com" {
		t.Fatalf("threading: %q %q %v", d.Subject, d.InReplyTo, d.References)
	}
	wantText := "\n\nOn Thu, 2 Jan 2025 at 15:04, Alice <alice@example.com> wrote:\n> Line one\n>> older quote\n>\n> Line three\n"
	if d.Text != wantText {
		t.Fatalf("text %q, want %q", d.Text, wantText)
	}
	all := Reply(orig, true, []string{"me@example.com"})
	var cc []string
	for _, a := range all.Cc {
		cc = append(cc, a.Email)
	}
	if len(all.To) != 1 || strings.Join(cc, ",") != "bob@example.com,carol@example.com" {
		t.Fatalf("reply all: to %v cc %v", all.To, cc)
	}
	withReplyTo := *orig
	withReplyTo.ReplyTo = []Address{{Email: "list@example.com"}}
	if d := Reply(&withReplyTo, false, nil); d.To[0].Email != "list@example.com" {
		t.Fatalf("Reply-To ignored: %v", d.To)
	}
	mine := *orig
	mine.From = []Address{{Email: "me@example.com"}}
	if d := Reply(&mine, false, []string{"me@example.com"}); len(d.To) != 1 || d.To[0].Email != "bob@example.com" {
		t.Fatalf("reply to own message: %v", d.To)
	}
	noRefs := &Message{Subject: "x", From: []Address{{Email: "a@b.c"}}, MessageID: "n2@x", InReplyTo: "n1@x"}
	if d := Reply(noRefs, false, nil); strings.Join(d.References, " ") != "n1@x n2@x" || !strings.Contains(d.Text, "a@b.c wrote:") {
		t.Fatalf("refs from In-Reply-To: %v %q", d.References, d.Text)
	}
	// A reply builds.
	d.From = Address{Email: "me@example.com"}
	if _, err := Build(d, buildNow, ""); err != nil {
		t.Fatal(err)
	}
}

func TestForward(t *testing.T) {
	orig := &Message{Subject: "Fwd: Report", From: []Address{{Name: "Alice", Email: "alice@example.com"}},
		To: []Address{{Email: "bob@example.com"}}, Date: time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC), Text: "The numbers.\r\n"}
	d := Forward(orig)
	if d.Subject != "Fwd: Report" || len(d.To) != 0 {
		t.Fatalf("forward: %+v", d)
	}
	for _, want := range []string{"-------- Forwarded message --------", "From: Alice <alice@example.com>", "To: bob@example.com", "Date: Thu, 2 Jan 2025 15:04:05 +0000", "\n\nThe numbers.\n"} {
		if !strings.Contains(d.Text, want) {
			t.Errorf("forward text lacks %q:\n%s", want, d.Text)
		}
	}
}

func TestParseAddresses(t *testing.T) {
	l, err := ParseAddresses("Alice <a@example.com>, b@example.com")
	if err != nil || len(l) != 2 || l[0].Name != "Alice" || l[1].Email != "b@example.com" {
		t.Fatalf("%v %v", l, err)
	}
	if _, err := ParseAddresses("a@example.com\nBcc: x@y"); err == nil {
		t.Fatal("line break accepted")
	}
	if _, err := ParseAddresses("not an address"); err == nil {
		t.Fatal("garbage accepted")
	}
}

func BenchmarkBuild10MB(b *testing.B) {
	data := bytes.Repeat([]byte{0, 1, 2, 250}, 10<<20/4)
	d := &Draft{From: Address{Email: "a@example.com"}, To: []Address{{Email: "b@example.com"}}, Subject: "big",
		Attachments: []DraftAttachment{{Filename: "big.bin", Data: data}}}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Build(d, buildNow, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBuildAttachedMessageEncoding attaches messages as message/rfc822:
// never base64 (RFC 2046 5.2.1), 7bit for ASCII, 8bit for UTF-8, bare line
// breaks made CRLF, and one that neither fits (a line over 998 octets)
// attached as an opaque file instead.
func TestBuildAttachedMessageEncoding(t *testing.T) {
	long := "Subject: long\r\n\r\n" + strings.Repeat("x", 1200) + "\r\n"
	for _, tc := range []struct {
		name, data, wantType, wantCTE, wantBody string
	}{
		{"ascii", "Subject: hi\nFrom: a@example.com\n\nHello.\n", "message/rfc822", "7bit", "Subject: hi\r\nFrom: a@example.com\r\n\r\nHello.\r\n"},
		{"utf-8", "Subject: Grüße\r\n\r\nПривет\r\n", "message/rfc822", "8bit", "Subject: Grüße\r\n\r\nПривет\r\n"},
		{"long line", long, "application/octet-stream", "base64", long},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &Draft{From: Address{Email: "me@example.com"}, To: []Address{{Email: "you@example.com"}}, Subject: "Fwd: x", Text: "See attached.\n",
				Attachments: []DraftAttachment{{Filename: "x.eml", ContentType: "message/rfc822", Data: []byte(tc.data)}}}
			raw, err := Build(d, buildNow, "")
			if err != nil {
				t.Fatal(err)
			}
			checkWire(t, raw)
			_, parts := readBack(t, raw)
			if len(parts) != 2 {
				t.Fatalf("%d parts", len(parts))
			}
			p := parts[1]
			if mt, _, _ := p.header.ContentType(); mt != tc.wantType {
				t.Errorf("Content-Type %q, want %q", mt, tc.wantType)
			}
			if cte := p.header.Get("Content-Transfer-Encoding"); cte != tc.wantCTE {
				t.Errorf("Content-Transfer-Encoding %q, want %q", cte, tc.wantCTE)
			}
			if string(p.body) != tc.wantBody {
				t.Errorf("body %q, want %q", p.body, tc.wantBody)
			}
		})
	}
}
