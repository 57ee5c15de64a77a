package message

import (
	"encoding/base64"
	"strings"
	"testing"
)

// b64Word returns an RFC 2047 B-encoded word of data in charset cs.
func b64Word(cs, data string) string {
	return "=?" + cs + "?B?" + base64.StdEncoding.EncodeToString([]byte(data)) + "?="
}

// strayByteSubject is the subject of issue 20: UTF-8 but for the first
// byte of 東 (E6 9D B1), lost, which leaves two continuation bytes.
const strayByteSubject = "I\x9d\xb1\xe4\xba\xac M\xc3\xbcnchen Z\xc3\xbcrich na\xc3\xafve"

// TestDecodeHeaderInvalidUTF8 checks that a word declared UTF-8 is read as
// UTF-8 with U+FFFD for each invalid byte only, in B and Q encoding and
// under every spelling of the label, and that valid words and other
// charsets read as before.
func TestDecodeHeaderInvalidUTF8(t *testing.T) {
	const want = "I\uFFFD\uFFFD京 München Zürich naïve"
	cases := []struct{ name, in, want string }{
		{"B", b64Word("UTF-8", strayByteSubject), want},
		{"Q", "=?UTF-8?Q?I=9D=B1=E4=BA=AC_M=C3=BCnchen_Z=C3=BCrich_na=C3=AFve?=", want},
		{"q lower case", "=?utf-8?q?I=9d=b1=e4=ba=ac_M=c3=bcnchen_Z=c3=bcrich_na=c3=afve?=", want},
		{"utf8", b64Word("utf8", strayByteSubject), want},
		{"UTF8", b64Word("UTF8", strayByteSubject), want},
		{"Utf-8", b64Word("Utf-8", strayByteSubject), want},
		{"unicode-1-1-utf-8", b64Word("unicode-1-1-utf-8", strayByteSubject), want},
		{"x-utf-8", b64Word("x-utf-8", strayByteSubject), want},
		{"language tag", b64Word("UTF-8*de", strayByteSubject), want},
		{"split across words", b64Word("UTF-8", strayByteSubject[:9]) + "\r\n " + b64Word("UTF-8", strayByteSubject[9:]), want},
		{"text around", "Re: " + b64Word("UTF-8", strayByteSubject) + " [42]", "Re: " + want + " [42]"},
		{"run of invalid bytes", b64Word("UTF-8", "a\xff\xfeb"), "a\uFFFD\uFFFDb"},
		{"cut sequence at the end", b64Word("UTF-8", "abc\xe4\xba"), "abc\uFFFD\uFFFD"},
		{"encoded U+FFFD kept", b64Word("UTF-8", "a\uFFFDb"), "a\uFFFDb"},
		{"valid word", b64Word("UTF-8", "東京 München"), "東京 München"},
		{"valid Q word", "=?UTF-8?Q?M=C3=BCnchen_Z=C3=BCrich?=", "München Zürich"},
		{"ISO-8859-1", "=?ISO-8859-1?Q?M=FCnchen_na=EFve?=", "München naïve"},
		{"ISO-8859-1 as windows-1252", "=?iso-8859-1?q?=93quoted=94?=", "\u201cquoted\u201d"},
		{"windows-1252", b64Word("windows-1252", "Z\xfcrich \x80"), "Zürich €"},
		{"Shift_JIS", b64Word("Shift_JIS", "\x93\x8c\x8b\x9e"), "東京"},
		{"ISO-2022-JP", b64Word("ISO-2022-JP", "\x1b$BEl5~\x1b(B"), "東京"},
		{"raw 8-bit latin-1 stays windows-1252", "M\xfcnchen", "München"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := DecodeHeader(c.in); got != c.want {
				t.Errorf("DecodeHeader(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
		})
	}
}

// TestInvalidUTF8Body checks that a body declared UTF-8 with a stray byte
// keeps its valid characters, so that search finds its words.
func TestInvalidUTF8Body(t *testing.T) {
	for _, cs := range []string{"utf-8", "UTF8", `"utf-8"`} {
		raw := "Subject: x\r\nContent-Type: text/plain; charset=" + cs + "\r\n\r\n" + strayByteSubject + "\r\n"
		m, err := Parse([]byte(raw), nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := "I\uFFFD\uFFFD京 München Zürich naïve"; m.Text != want {
			t.Errorf("charset=%s: Text = %q, want %q", cs, m.Text, want)
		}
	}
}

// TestListHeaderAgreesWithReader checks that the header fields a sync
// engine fetches on their own decode as the reader decodes the whole
// message: the same subject and names in the list, in search and in the
// reader.
func TestListHeaderAgreesWithReader(t *testing.T) {
	fields := "Subject: " + b64Word("UTF-8", strayByteSubject) + "\r\n" +
		"From: " + b64Word("utf8", "J\xc3\xbcrgen \xff M\xc3\xbcller") + " <jm@example.org>\r\n" +
		"To: =?ISO-8859-1?Q?Ren=E9?= <r@example.org>, \"Doe, Jane\" <jd@example.org>\r\n" +
		"Cc: " + b64Word("Shift_JIS", "\x93\x8c\x8b\x9e") + " <tokyo@example.org>\r\n" +
		"Reply-To: list@example.org\r\n"
	raw := "Date: Mon, 2 Jan 2006 15:04:05 +0000\r\n" + fields + "Message-ID: <1@example.org>\r\n\r\nbody\r\n"

	m, err := Parse([]byte(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "I\uFFFD\uFFFD京 München Zürich naïve"; m.Subject != want {
		t.Fatalf("reader subject = %q, want %q", m.Subject, want)
	}
	if want := "Jürgen \uFFFD Müller"; len(m.From) != 1 || m.From[0].Name != want {
		t.Fatalf("reader From = %q, want name %q", m.From, want)
	}
	// IMAP returns only the asked fields, ended by an empty line.
	for name, in := range map[string]string{"fields only": fields + "\r\n", "whole message": raw} {
		l := ParseListHeader([]byte(in))
		got := []any{l.Subject, l.From, l.To, l.Cc, l.ReplyTo}
		want := []any{m.Subject, m.From, m.To, m.Cc, m.ReplyTo}
		for i := range got {
			if g, w := strings.TrimSpace(fmtAny(got[i])), strings.TrimSpace(fmtAny(want[i])); g != w {
				t.Errorf("%s: field %d: list %s, reader %s", name, i, g, w)
			}
		}
	}
	// Sender stands in for a missing From, as in the reader.
	if l := ParseListHeader([]byte("Sender: s@example.org\r\n\r\n")); len(l.From) != 1 || l.From[0].Email != "s@example.org" {
		t.Errorf("From from Sender = %q", l.From)
	}
}

func fmtAny(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []Address:
		var b strings.Builder
		for _, a := range v {
			b.WriteString("[" + a.Name + "|" + a.Email + "]")
		}
		return b.String()
	}
	return "?"
}
