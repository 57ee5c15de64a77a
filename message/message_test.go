package message

import (
	"bytes"
	"fmt"
	netmail "net/mail"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func parseFixture(t testing.TB, name string, opts *Options) *Message {
	t.Helper()
	m, err := Parse(readFixture(t, name), opts)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return m
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file string
		opts *Options
		// Exact expectations; zero values are not checked unless noted.
		subject     string
		from        []Address
		text        string   // exact Text, if set
		contains    []string // substrings of Text
		notContains []string // not in Text
		html        bool     // HTML must be non-empty
		noHTML      bool     // HTML must be empty
		warnings    []string // substrings that must appear in Warnings
		noWarnings  bool
		attachments []Attachment
	}{
		{
			file:       "plain_utf8.eml",
			subject:    "Lunch on Friday? 🍕",
			from:       []Address{{"Alice Example", "alice@example.com"}},
			text:       "Hi Bob,\n\nShall we get lunch on Friday? The new café on Main Street — naïve prices.\n\nCheers,\nAlice",
			noHTML:     true,
			noWarnings: true,
		},
		{
			file:       "qp_latin1.eml",
			subject:    "Café crème à emporter",
			from:       []Address{{"René Dupont", "rene@example.fr"}},
			text:       "Bonjour René,\n\nVoici le café crème que vous avez demandé. Prix : 3,50 EUR ? Non, 3,50 F.\nÀ bientôt !",
			noWarnings: true,
		},
		{
			file:       "koi8r_base64.eml",
			subject:    "Привет",
			from:       []Address{{"Иван Петров", "ivan@example.ru"}},
			text:       "Привет, мир!\nЭто письмо в кодировке KOI8-R.",
			noWarnings: true,
		},
		{
			file:       "shift_jis.eml",
			subject:    "会議の件",
			from:       []Address{{"山田太郎", "taro@example.jp"}},
			text:       "こんにちは、世界。\n日本語のメールです。",
			noWarnings: true,
		},
		{
			file:       "iso2022jp.eml",
			subject:    "会議の件",
			from:       []Address{{"山田太郎", "taro@example.jp"}},
			text:       "こんにちは、世界。\n日本語のメールです。",
			noWarnings: true,
		},
		{
			file:    "html_newsletter.eml",
			subject: "Weekly Digest",
			text: "Weekly Digest\n\n" +
				"Hello reader, this week we have three stories & a surprise.\n\n" +
				"• Go 1.26 released\n" +
				"• New mail client (https://example.com/mail) beta\n" +
				"• Visit https://example.com/\n\n" +
				"Top story\n\n" +
				"Line one\nLine two\n\n" +
				"Unsubscribe (https://example.com/unsubscribe?id=42) · help@example.com",
			notContains: []string{"preheader", "font-family", "tracking", "nope", "invisible"},
			html:        true,
			noWarnings:  true,
		},
		{
			file:       "alternative.eml",
			text:       "Plain version of the message.",
			html:       true,
			noWarnings: true,
		},
		{
			file:       "alternative.eml",
			opts:       &Options{PreferHTML: true},
			text:       "HTML version of the message.",
			html:       true,
			noWarnings: true,
		},
		{
			file:       "attachments.eml",
			text:       "See the attached files.",
			html:       true,
			noWarnings: true,
			attachments: []Attachment{
				{Filename: "report.pdf", ContentType: "application/pdf", Size: 1040, PartPath: "2"},
				{Filename: "été — résumé.txt", ContentType: "application/octet-stream", Size: 5, PartPath: "3"},
				{Filename: "фото.png", ContentType: "image/png", Size: 8, PartPath: "4"},
				{Filename: "café-notes.txt", ContentType: "text/plain", Size: 18, PartPath: "5"},
				{Filename: "invite.ics", ContentType: "text/calendar", Size: 30, PartPath: "6"},
			},
		},
		{
			file:       "related.eml",
			text:       "Look:",
			html:       true,
			noWarnings: true,
			attachments: []Attachment{
				{Filename: "logo.gif", ContentType: "image/gif", Size: 14, Inline: true, ContentID: "logo@example.com", PartPath: "2"},
			},
		},
		{
			file:       "nested_rfc822.eml",
			text:       "Forwarding this.",
			noWarnings: true,
			attachments: []Attachment{
				{Filename: "Original réport.eml", ContentType: "message/rfc822", Size: 209, PartPath: "2"},
			},
		},
		{
			file: "flowed.eml",
			text: "This is a long paragraph that was wrapped by the sender.\n\n" +
				"> Quoted text that flows too.\n" +
				">> Deeper quote.\n\n" +
				"From the start of a space-stuffed line.\n" +
				"-- \nAlice",
			noWarnings: true,
		},
		{
			file:       "flowed_nodelsp.eml",
			text:       "One two three four.\nFixed line.",
			noWarnings: true,
		},
		{
			file:     "missing_close_boundary.eml",
			text:     "The text survives a missing closing boundary.",
			warnings: []string{"missing closing boundary"},
			attachments: []Attachment{
				{Filename: "cut.bin", ContentType: "application/octet-stream", Size: 6, PartPath: "2"},
			},
		},
		{
			file:       "lf_only.eml",
			subject:    "LF only",
			text:       "Unix line endings.\nSecond line.",
			html:       true,
			noWarnings: true,
		},
		{
			file:       "no_mime.eml",
			subject:    "Old school",
			from:       []Address{{"", "alice@example.com"}},
			text:       "Just text, no MIME headers.",
			noWarnings: true,
		},
		{
			file:       "headers_only.eml",
			subject:    "Nothing else",
			text:       "",
			noHTML:     true,
			noWarnings: true,
		},
		{
			file:     "unknown_charset.eml",
			text:     "Hello from an unknown charset.",
			warnings: []string{"unknown charset x-foo, shown as UTF-8"},
		},
		{
			file:     "unknown_encoding.eml",
			text:     "Uryyb jbeyq.",
			warnings: []string{"unknown transfer encoding x-rot13"},
		},
	}
	for _, tc := range tests {
		name := tc.file
		if tc.opts != nil {
			name += fmt.Sprintf("/%+v", *tc.opts)
		}
		t.Run(name, func(t *testing.T) {
			m := parseFixture(t, tc.file, tc.opts)
			if tc.subject != "" && m.Subject != tc.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, tc.subject)
			}
			if tc.from != nil && !reflect.DeepEqual(m.From, tc.from) {
				t.Errorf("From = %+v, want %+v", m.From, tc.from)
			}
			if tc.text != "" || tc.file == "headers_only.eml" {
				if m.Text != tc.text {
					t.Errorf("Text =\n%q\nwant\n%q", m.Text, tc.text)
				}
			}
			for _, s := range tc.contains {
				if !strings.Contains(m.Text, s) {
					t.Errorf("Text lacks %q:\n%s", s, m.Text)
				}
			}
			for _, s := range tc.notContains {
				if strings.Contains(m.Text, s) {
					t.Errorf("Text contains %q:\n%s", s, m.Text)
				}
			}
			if tc.html && m.HTML == "" {
				t.Error("HTML is empty")
			}
			if tc.noHTML && m.HTML != "" {
				t.Errorf("HTML = %q, want empty", m.HTML)
			}
			for _, w := range tc.warnings {
				if !hasWarning(m, w) {
					t.Errorf("Warnings %q lack %q", m.Warnings, w)
				}
			}
			if tc.noWarnings && len(m.Warnings) > 0 {
				t.Errorf("unexpected Warnings %q", m.Warnings)
			}
			if tc.attachments != nil && !reflect.DeepEqual(m.Attachments, tc.attachments) {
				t.Errorf("Attachments =\n%+v\nwant\n%+v", m.Attachments, tc.attachments)
			}
		})
	}
}

func hasWarning(m *Message, sub string) bool {
	for _, w := range m.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

func TestParseHeaders(t *testing.T) {
	m := parseFixture(t, "plain_utf8.eml", nil)
	want := &Message{
		Subject:    "Lunch on Friday? 🍕",
		From:       []Address{{"Alice Example", "alice@example.com"}},
		To:         []Address{{"Bob", "bob@example.org"}, {"", "carol@example.net"}},
		Cc:         []Address{{"Doe, Dave", "dave@example.com"}},
		ReplyTo:    []Address{{"", "replies@example.com"}},
		Date:       time.Date(2024, 5, 14, 7, 30, 0, 0, time.UTC),
		MessageID:  "abc123@example.com",
		InReplyTo:  "prev1@example.org",
		References: []string{"root0@example.org", "prev1@example.org"},
	}
	if m.Subject != want.Subject || !reflect.DeepEqual(m.From, want.From) || !reflect.DeepEqual(m.To, want.To) ||
		!reflect.DeepEqual(m.Cc, want.Cc) || !reflect.DeepEqual(m.ReplyTo, want.ReplyTo) || !m.Date.Equal(want.Date) ||
		m.MessageID != want.MessageID || m.InReplyTo != want.InReplyTo || !reflect.DeepEqual(m.References, want.References) {
		t.Errorf("headers =\n%+v\nwant\n%+v", m, want)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", " \r\n\r\n "} {
		if _, err := Parse([]byte(in), nil); err == nil {
			t.Errorf("Parse(%q): want error", in)
		}
	}
}

// nested builds a message with depth nested multipart/mixed levels around
// a text part.
func nested(depth int) []byte {
	var b bytes.Buffer
	b.WriteString("From: a@example.com\r\nSubject: deep\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n")
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n", i, i+1)
	}
	fmt.Fprintf(&b, "--b%d\r\nContent-Type: text/plain\r\n\r\ninnermost\r\n--b%d--\r\n", depth, depth)
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return b.Bytes()
}

func TestParseLimits(t *testing.T) {
	t.Run("depth", func(t *testing.T) {
		start := time.Now()
		m, err := Parse(nested(1000), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !hasWarning(m, "nesting deeper than 20") {
			t.Errorf("Warnings = %q, want depth warning", m.Warnings)
		}
		if m.Subject != "deep" {
			t.Errorf("Subject = %q", m.Subject)
		}
		if d := time.Since(start); d > 60*time.Second { // a hang guard, not a speed test (see the benchmarks)
			t.Errorf("took %v", d)
		}
	})
	t.Run("depth within limit", func(t *testing.T) {
		m, _ := Parse(nested(10), nil)
		if m.Text != "innermost" || len(m.Warnings) > 0 {
			t.Errorf("Text = %q, Warnings = %q", m.Text, m.Warnings)
		}
	})
	t.Run("parts", func(t *testing.T) {
		var b bytes.Buffer
		b.WriteString("Content-Type: multipart/mixed; boundary=x\n\n")
		for i := 0; i < 5000; i++ {
			fmt.Fprintf(&b, "--x\nContent-Type: application/octet-stream\n\n%d\n", i)
		}
		b.WriteString("--x--\n")
		m, _ := Parse(b.Bytes(), &Options{MaxParts: 200})
		if !hasWarning(m, "message truncated: more than 200 parts") {
			t.Errorf("Warnings = %q", m.Warnings)
		}
		if n := len(m.Attachments); n != 199 { // the root multipart is a part too
			t.Errorf("%d attachments, want 199", n)
		}
	})
	t.Run("header bytes", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("From: a@example.com\r\nSubject: many fields\r\n")
		for i := 0; b.Len() < 400<<10; i++ {
			fmt.Fprintf(&b, "X-Junk-%d: %s\r\n\t%s\r\n", i, strings.Repeat("j", 40), strings.Repeat("k", 20))
		}
		b.WriteString("X-Last: dropped\r\n\r\nthe body\r\n")
		m, _ := Parse([]byte(b.String()), nil)
		if !hasWarning(m, "header truncated: fields past 262144 bytes not shown") {
			t.Errorf("Warnings = %q", m.Warnings)
		}
		if m.Subject != "many fields" || m.Text != "the body" {
			t.Errorf("Subject = %q, Text = %.80q", m.Subject, m.Text)
		}
		h, _, _, cut := splitHeaderLimited([]byte(b.String()), defaultHeaderLimits)
		if !cut.total || h.get("x-last") != "" {
			t.Errorf("cut %+v, X-Last %q", cut, h.get("x-last"))
		}
		kept := 0
		for _, f := range h {
			kept += len(f.key) + len(f.value)
		}
		if kept > DefaultMaxHeaderBytes {
			t.Errorf("kept %d header bytes", kept)
		}
		m, _ = Parse([]byte(b.String()), &Options{MaxHeaderBytes: 1000})
		if !hasWarning(m, "fields past 1000 bytes") || m.Text != "the body" {
			t.Errorf("Warnings = %q, Text = %.80q", m.Warnings, m.Text)
		}
	})
	t.Run("header field", func(t *testing.T) {
		long := strings.Repeat("é", 100<<10) // 200 KiB of UTF-8
		raw := "Subject: " + long + "\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nX-Part: " + long + "\r\n\r\npart text\r\n--b--\r\n"
		m, _ := Parse([]byte(raw), nil)
		if n := len(m.Subject); n > DefaultMaxHeaderFieldBytes || n < DefaultMaxHeaderFieldBytes-4 || !utf8.ValidString(m.Subject) {
			t.Errorf("len(Subject) = %d, valid %v", n, utf8.ValidString(m.Subject))
		}
		if !hasWarning(m, "header field subject cut at 65536 bytes") || !hasWarning(m, "header field x-part cut") {
			t.Errorf("Warnings = %q", m.Warnings)
		}
		if m.Text != "part text" {
			t.Errorf("Text = %.80q", m.Text)
		}
	})
	t.Run("decoded bytes", func(t *testing.T) {
		body := strings.Repeat("0123456789abcdef", 4096) // 64 KiB
		raw := "Content-Type: text/plain\n\n" + body
		m, _ := Parse([]byte(raw), &Options{MaxDecodedBytes: 1000})
		if len(m.Text) != 1000 || !hasWarning(m, "decoded text larger than 1000 bytes") {
			t.Errorf("len(Text) = %d, Warnings = %q", len(m.Text), m.Warnings)
		}
	})
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name, raw string
		text      string
		warning   string
	}{
		{
			name: "no header at all",
			raw:  "just some text\nand more",
			text: "just some text\nand more",
		},
		{
			name: "missing blank line after header",
			raw:  "Subject: x\nContent-Type: text/plain\nHello there\n",
			text: "Hello there",
		},
		{
			name:    "multipart without boundary parameter",
			raw:     "Content-Type: multipart/mixed\n\n--abc\nContent-Type: text/plain\n\nguessed\n--abc--\n",
			text:    "guessed",
			warning: "guessed",
		},
		{
			name:    "multipart without any boundary",
			raw:     "Content-Type: multipart/mixed; boundary=nope\n\nno parts here\n",
			text:    "no parts here",
			warning: "no parts",
		},
		{
			name: "part without header",
			raw:  "Content-Type: multipart/mixed; boundary=b\n\n--b\nbare text\n--b--\n",
			text: "bare text",
		},
		{
			name:    "broken base64",
			raw:     "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGVsbG8g!!d29y\nbGQ\n",
			text:    "hello world",
			warning: "invalid base64",
		},
		{
			name: "broken quoted-printable",
			raw:  "Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\na=ZZb =3D c=\nd  \n=\n",
			text: "a=ZZb = cd",
		},
		{
			name: "latin1 bytes without charset",
			raw:  "Subject: caf\xe9\nContent-Type: text/plain\n\ncaf\xe9\n",
			text: "café",
		},
		{
			name: "invalid utf-8 declared utf-8",
			raw:  "Content-Type: text/plain; charset=utf-8\n\nok \xff bad\n",
			text: "ok \uFFFD bad",
		},
		{
			name: "controls stripped",
			raw:  "Content-Type: text/plain\n\na\x00b\x1bc\r\nd\re\n",
			text: "abc\nd\ne",
		},
		{
			name: "html charset from meta",
			raw:  "Content-Type: text/html\n\n<meta charset=\"windows-1251\"><p>\xcf\xf0\xe8\xe2\xe5\xf2</p>",
			text: "Привет",
		},
		{
			name:    "bad content type",
			raw:     "Content-Type: garbage\n\nbody\n",
			text:    "body",
			warning: "invalid content type",
		},
		{
			name: "mbox From line",
			raw:  "From alice@example.com Mon Jan  1 00:00:00 2024\nSubject: hi\n\nbody\n",
			text: "body",
		},
		{
			name: "empty plain alternative",
			raw: "Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\n \n" +
				"--b\nContent-Type: text/html\n\n<p>from html</p>\n--b--\n",
			text: "from html",
		},
		{
			name: "html inline with text in mixed",
			raw: "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nfirst\n" +
				"--b\nContent-Type: text/html\n\n<p>second</p>\n--b--\n",
			text: "first\n\nsecond",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse([]byte(tc.raw), nil)
			if err != nil {
				t.Fatal(err)
			}
			if m.Text != tc.text {
				t.Errorf("Text = %q, want %q (warnings %q)", m.Text, tc.text, m.Warnings)
			}
			if tc.warning != "" && !hasWarning(m, tc.warning) {
				t.Errorf("Warnings = %q, want %q", m.Warnings, tc.warning)
			}
		})
	}
}

func TestDecodeHeader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain ascii", "plain ascii"},
		{"=?UTF-8?B?w6l0w6k=?=", "été"},
		{"=?utf-8?q?caf=C3=A9?= au lait", "café au lait"},
		{"=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=", "ab"},
		{"=?ISO-8859-1?Q?a?=  \r\n =?ISO-8859-1?Q?_b?=", "a b"},
		// A multi-byte character split across two words.
		{"=?UTF-8?B?4oK=?= =?UTF-8?B?rA==?=", "€"},
		{"=?utf-8?b?w6l0w6k?=", "été"}, // missing padding
		{"Re:=?utf-8?q?caf=C3=A9?=", "Re:café"},
		{"=?utf-8?q?with spaces inside?=", "with spaces inside"},
		{"=?utf-8*fr?q?caf=C3=A9?=", "café"},
		{"=?x-unknown-cs?q?hello?=", "hello"},
		{"=?utf-8?x?bad?=", "=?utf-8?x?bad?="},
		{"=?utf-8?q?unterminated", "=?utf-8?q?unterminated"},
		{"line\r\n folded", "line folded"},
		{"evil=?utf-8?q?=0D=0AX-Injected:_1=00?=", "evil X-Injected: 1"},
		{"tab\there", "tab here"},
		{"caf\xe9", "café"},
		{"=?Shift_JIS?B?ie+LY4LMjI8=?=", "会議の件"},
		{"=?windows-1251?B?z/Do4uXy?=", "Привет"},
		{"=?gb2312?B?xOO6ww==?=", "你好"},
		{"=?big5?B?pKSk5Q==?=", "中文"},
		{"=?euc-kr?B?x9Gxub7u?=", "한국어"},
		{"=?euc-jp?B?xvzL3Ljs?=", "日本語"},
	}
	for _, tc := range tests {
		if got := DecodeHeader(tc.in); got != tc.want {
			t.Errorf("DecodeHeader(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseAddressList(t *testing.T) {
	tests := []struct {
		in   string
		want []Address
	}{
		{"", nil},
		{"a@example.com", []Address{{"", "a@example.com"}}},
		{`"Doe, John" <j@example.com>, b@example.com`, []Address{{"Doe, John", "j@example.com"}, {"", "b@example.com"}}},
		{"=?utf-8?q?Ren=C3=A9?= <r@example.fr>", []Address{{"René", "r@example.fr"}}},
		{`"=?utf-8?q?Ren=C3=A9?=" <r@example.fr>`, []Address{{"René", "r@example.fr"}}},
		// Forms net/mail rejects.
		{"Doe, John <j@example.com>", []Address{{"Doe, John", "j@example.com"}}},
		{"John Q. Public <jqp@example.com>", []Address{{"John Q. Public", "jqp@example.com"}}},
		{"j@example.com (John Doe)", []Address{{"John Doe", "j@example.com"}}},
		{"=?x-bogus?q?Bob?= <bob@example.com>", []Address{{"Bob", "bob@example.com"}}},
		{"<a@example.com>; <b@example.com>", []Address{{"", "a@example.com"}, {"", "b@example.com"}}},
		{"Team: a@example.com, b@example.com;", []Address{{"", "a@example.com"}, {"", "b@example.com"}}},
		{"undisclosed-recipients:;", []Address{}},
		{"Broken <a@example.com", []Address{{"Broken", "a@example.com"}}},
		{"José <jose@example.com>", []Address{{"José", "jose@example.com"}}},
	}
	for _, tc := range tests {
		got := ParseAddressList(tc.in)
		if len(got) == 0 && len(tc.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseAddressList(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestAddressString(t *testing.T) {
	for _, tc := range []struct {
		a    Address
		want string
	}{
		{Address{"Alice", "a@example.com"}, "Alice <a@example.com>"},
		{Address{"", "a@example.com"}, "a@example.com"},
		{Address{"Alice", ""}, "Alice"},
	} {
		if got := tc.a.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.a, got, tc.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	want := time.Date(2024, 5, 14, 7, 30, 0, 0, time.UTC)
	for _, in := range []string{
		"Tue, 14 May 2024 09:30:00 +0200",
		"Tue, 14 May 2024 09:30:00 +0200 (CEST)",
		"14 May 2024 09:30:00 +0200",
		"Tuesday, 14 May 2024 09:30:00 +0200",
		"Tue,  14 May 2024  09:30:00  +0200",
		"2024-05-14T09:30:00+02:00",
		"Tue May 14 07:30:00 2024",
	} {
		got, ok := parseDate(in)
		if !ok || !got.Equal(want) {
			t.Errorf("parseDate(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	if _, ok := parseDate("not a date"); ok {
		t.Error("parseDate(garbage) succeeded")
	}
}

func TestParseParams(t *testing.T) {
	tests := []struct {
		in     string
		value  string
		params map[string]string
	}{
		{`text/plain; charset="utf-8"; format=flowed`, "text/plain", map[string]string{"charset": "utf-8", "format": "flowed"}},
		{`TEXT/PLAIN;CHARSET=UTF-8`, "text/plain", map[string]string{"charset": "UTF-8"}},
		{`text/plain charset=utf-8 format=flowed`, "text/plain", map[string]string{"charset": "utf-8", "format": "flowed"}},
		{`attachment; filename=my file.pdf`, "attachment", map[string]string{"filename": "my file.pdf"}},
		{`attachment; filename="a \"b\".txt"`, "attachment", map[string]string{"filename": `a "b".txt`}},
		{`attachment; filename*=UTF-8''%E2%82%AC.txt; filename="fallback.txt"`, "attachment", map[string]string{"filename": "€.txt"}},
		{`attachment; filename*0="long "; filename*1="name.txt"`, "attachment", map[string]string{"filename": "long name.txt"}},
		{`attachment; filename*1="b.txt"; filename*0*=utf-8'en'%C3%A9`, "attachment", map[string]string{"filename": "éb.txt"}},
		{`attachment; filename*=koi8-r''%F0%D2%C9%D7%C5%D4.txt`, "attachment", map[string]string{"filename": "Привет.txt"}},
		{`multipart/mixed; boundary="=_abc;def"`, "multipart/mixed", map[string]string{"boundary": "=_abc;def"}},
		{`x; ;; =; novalue; a=1; a=2`, "x", map[string]string{"a": "1"}},
	}
	for _, tc := range tests {
		v, p := parseParams(tc.in)
		if v != tc.value || !reflect.DeepEqual(p, tc.params) {
			t.Errorf("parseParams(%q) = %q, %q; want %q, %q", tc.in, v, p, tc.value, tc.params)
		}
	}
}

func TestSanitizeFilename(t *testing.T) {
	for in, want := range map[string]string{
		"report.pdf":          "report.pdf",
		"../../etc/passwd":    "passwd",
		`C:\Users\x\evil.exe`: "evil.exe",
		"a\x00b\u202ec.txt":   "abc.txt",
		"..":                  "",
		".hidden":             "hidden",
		"what?.txt":           "what_.txt",
	} {
		if got := sanitizeFilename(in); got != want {
			t.Errorf("sanitizeFilename(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnflow(t *testing.T) {
	tests := []struct {
		in    string
		delSp bool
		want  string
	}{
		{"a \nb\nc", false, "a b\nc"},
		{"a\nb", false, "a\nb"},
		{"wo \nrd", true, "word"},
		{"> a \n> b\n>> c", false, "> a b\n>> c"},
		{"> a \n>> b", false, "> a \n>> b"},
		{" >not quote", false, ">not quote"},
		{"-- \nsig", false, "-- \nsig"},
		{"end \n", false, "end "},
	}
	for _, tc := range tests {
		if got := unflow(tc.in, tc.delSp); got != tc.want {
			t.Errorf("unflow(%q, %v) = %q, want %q", tc.in, tc.delSp, got, tc.want)
		}
	}
}

func TestHTMLToText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"paragraphs", "<p>one</p><p>two</p>", "one\n\ntwo"},
		{"br", "a<br>b<br/>c<br><br>d", "a\nb\nc\n\nd"},
		{"whitespace", "  a \n\t b&nbsp;&nbsp;c  ", "a b c"},
		{"entities", "&lt;tag&gt; &amp; &quot;q&quot; &eacute; &#8364; &#x263A;", `<tag> & "q" é € ☺`},
		{"script style head", "<head><title>T</title><style>p{}</style></head><body><script>x()</script>shown</body>", "shown"},
		{"head without end", "<html><head><title>T</title><body>shown", "shown"},
		{"display none", `<div style="display: none !important">hidden</div><span>shown</span>`, "shown"},
		{"hidden attr", `<p hidden>x</p><p style="opacity:0">y</p><p>z</p>`, "z"},
		{"unclosed hidden span", `<table><tr><td><span style="display:none">pre</td><td>shown</td></tr></table>`, "shown"},
		{"ul", "<ul><li>a</li><li>b</li></ul>", "• a\n• b"},
		{"ol", `<ol start="3"><li>a<li>b</ol>`, "3. a\n4. b"},
		{"nested lists", "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>", "• a\n  • b\n• c"},
		{"link", `<a href="https://x.example/p">text</a>`, "text (https://x.example/p)"},
		{"link same as text", `<a href="https://x.example/">x.example</a>`, "x.example"},
		{"mailto", `<a href="mailto:a@example.com">a@example.com</a> <a href="mailto:a@example.com">mail us</a>`, "a@example.com mail us (a@example.com)"},
		{"anchor and js links", `<a href="#top">top</a> <a href="javascript:alert(1)">js</a>`, "top js"},
		{"image link", `<a href="https://x.example/"><img src="logo.png" alt="Logo"></a>`, "Logo (https://x.example/)"},
		{"image link without alt", `<a href="https://x.example/"><img src="logo.png"></a>after`, "after"},
		{"headings", "<h1>Title</h1>text<h2>Sub</h2>more", "Title\n\ntext\n\nSub\n\nmore"},
		{"pre", "<pre>  a\n    b</pre>after", "  a\n    b\n\nafter"},
		{"table", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"},
		{"zero width", "a\u200bb&zwnj;c\u00adD", "abcD"},
		{"comments", "a<!-- hidden -->b<!--[if mso]>x<![endif]-->c", "abc"},
		{"stray end tags", "</div></p>a</span>b", "ab"},
		{"inline elements", "<b>bold</b> <i>it</i><span>x</span>", "bold itx"},
		{"preheader", `<div style="display:none;max-height:0px;overflow:hidden;">pre</div><div style="max-height:0;overflow:hidden">pre2</div><p>Body</p>`, "Body"},
		{"empty", "", ""},
		{"text only", "no tags", "no tags"},
		{"unterminated tag", "a <b", "a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := HTMLToText(tc.in); got != tc.want {
				t.Errorf("HTMLToText(%q) =\n%q\nwant\n%q", tc.in, got, tc.want)
			}
		})
	}
}

func TestHTMLToTextDeep(t *testing.T) {
	in := strings.Repeat("<div>", 100000) + "x<script>hidden()</script>" + strings.Repeat("</span>", 1000) + strings.Repeat("</div>", 100000)
	start := time.Now()
	if got := HTMLToText(in); got != "x" {
		t.Errorf("got %q", got)
	}
	if d := time.Since(start); d > 60*time.Second { // a hang guard, not a speed test (see the benchmarks)
		t.Errorf("took %v", d)
	}
}

func TestPreview(t *testing.T) {
	reply := parseFixture(t, "reply.eml", nil)
	tests := []struct {
		name, text string
		n          int
		want       string
	}{
		{"reply fixture", reply.Text, 100, "Sounds great, see you there!"},
		{"truncate", "Hello   world\n\nsecond paragraph", 13, "Hello world s"},
		{"runes", "日本語のメールです", 3, "日本語"},
		{"quotes only", "> a\n> b", 10, ""},
		{"attribution one line", "Sure.\nOn Mon, 1 Jan 2024, Bob wrote:\n> x\nThanks", 50, "Sure. Thanks"},
		{"signature", "Body\n-- \nsig line", 50, "Body"},
		{"signature without space", "Body\n--\nsig line", 50, "Body"},
		{"original message", "Top\n-----Original Message-----\nFrom: x", 50, "Top"},
		{"german", "Ja.\nAm 01.01.2024 um 10:00 schrieb Bob:\n> x", 50, "Ja."},
		{"zero", "text", 0, ""},
		{"crlf", "a\r\nb", 10, "a b"},
		{"long line", strings.Repeat("é  ", 3000) + "\nnext", 5, "é é é"},
		{"long line of spaces", "a" + strings.Repeat(" ", 5000) + "b c", 3, "a b"},
		{"long line, short preview left", strings.Repeat(" ", 30) + "x" + strings.Repeat(" ", 5000) + "y", 3, "x y"},
	}
	for _, tc := range tests {
		if got := Preview(tc.text, tc.n); got != tc.want {
			t.Errorf("%s: Preview(%q, %d) = %q, want %q", tc.name, tc.text, tc.n, got, tc.want)
		}
	}
}

// FuzzParse checks that Parse never panics or hangs, and that the helpers
// hold up on whatever Parse produces.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	for _, file := range files {
		f.Add(readFixture(f, filepath.Base(file)))
	}
	f.Add(nested(30))
	f.Fuzz(func(t *testing.T, raw []byte) {
		// A hang shows up as a crash, so the fuzzer keeps the input.
		watchdog := time.AfterFunc(60*time.Second, func() { panic(fmt.Sprintf("Parse took over 60s on %d bytes", len(raw))) })
		defer watchdog.Stop()
		m, err := Parse(raw, &Options{MaxParts: 50, MaxDepth: 10, MaxDecodedBytes: 1 << 20})
		if err != nil {
			return
		}
		_ = Preview(m.Text, 80)
		_ = HTMLToText(string(raw))
		for _, a := range m.Attachments {
			if strings.ContainsAny(a.Filename, "/\\\x00") {
				t.Errorf("unsafe filename %q", a.Filename)
			}
		}
		for _, s := range []string{m.Text, m.HTML, m.Subject} {
			if !utf8.ValidString(s) {
				t.Errorf("invalid UTF-8: %q", s)
			}
		}
		if strings.ContainsAny(m.Subject, "\r\n\x00") {
			t.Errorf("control characters in Subject %q", m.Subject)
		}
	})
}

// bigMessage builds a ~100 KB multipart/mixed message: an alternative
// with plain and HTML bodies, and two base64 attachments.
func bigMessage() []byte {
	var b bytes.Buffer
	b.WriteString("From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>, =?utf-8?q?Ren=C3=A9?= <r@example.fr>\r\n" +
		"Subject: =?utf-8?q?Quarterly_r=C3=A9port?=\r\nDate: Tue, 14 May 2024 09:30:00 +0200\r\nMessage-ID: <big@example.com>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"MIX\"\r\n\r\n" +
		"--MIX\r\nContent-Type: multipart/alternative; boundary=\"ALT\"\r\n\r\n" +
		"--ALT\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "Line %d of the plain text body, caf=C3=A9 and more words to fill =\r\nthe line.\r\n", i)
	}
	b.WriteString("--ALT\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "<p style=\"margin:0\">Paragraph %d with <a href=\"https://example.com/%d\">a link</a> and <b>bold</b> text.</p>\r\n", i, i)
	}
	b.WriteString("</body></html>\r\n--ALT--\r\n")
	for k := 0; k < 2; k++ {
		fmt.Fprintf(&b, "--MIX\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"data%d.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", k)
		line := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", 3)[:76]
		for i := 0; i < 250; i++ {
			b.WriteString(line + "\r\n")
		}
	}
	b.WriteString("--MIX--\r\n")
	return b.Bytes()
}

func BenchmarkParse(b *testing.B) {
	raw := bigMessage()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBigMessage(t *testing.T) {
	raw := bigMessage()
	if len(raw) < 90_000 || len(raw) > 130_000 {
		t.Errorf("bigMessage is %d bytes, want ~100 KB", len(raw))
	}
	m, err := Parse(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Quarterly réport" || len(m.Attachments) != 2 || m.Attachments[0].Size != 250*57 ||
		!strings.HasPrefix(m.Text, "Line 0 of the plain text body, café and more words to fill the line.\nLine 1") ||
		len(m.Warnings) > 0 {
		t.Errorf("Subject %q, %d attachments %+v, warnings %q, text %.100q", m.Subject, len(m.Attachments), m.Attachments, m.Warnings, m.Text)
	}
}

// TestParseHostile checks that large adversarial inputs are handled in
// roughly linear time.
func TestParseHostile(t *testing.T) {
	const n = 1 << 20
	tests := map[string]string{
		"encoded word starts":  "Subject: " + strings.Repeat("=?a?q?x", n/7) + "\n\nx",
		"many params":          "Content-Type: text/plain" + strings.Repeat("; a=b", n/5) + "\n\nx",
		"param whitespace":     "Content-Type: text/plain; a=b" + strings.Repeat(" ", n) + "c\n\nx",
		"continuation lines":   "Subject: a\n" + strings.Repeat(" b\n", n/3) + "\nx",
		"many fields":          strings.Repeat("X-A: b\n", n/7) + "\nx",
		"many boundaries":      "Content-Type: multipart/mixed; boundary=b\n\n" + strings.Repeat("--b\n", n/4),
		"guess boundary":       "Content-Type: multipart/mixed\n\n" + strings.Repeat("--x\n--y\n", n/8),
		"many addresses":       "To: " + strings.Repeat("a@b, ", n/5) + "\n\nx",
		"broken addresses":     "To: " + strings.Repeat("((<\"a, ", n/7) + "\n\nx",
		"nested anchors":       "Content-Type: text/html\n\n" + strings.Repeat(`<a href="http://x">y `, n/20),
		"nested divs":          "Content-Type: text/html\n\n" + strings.Repeat("<div>", n/5) + strings.Repeat("</p>", n/4),
		"unclosed tags":        "Content-Type: text/html\n\n" + strings.Repeat("<li><td><tr><p>", n/15),
		"references":           "References: " + strings.Repeat("<a@b> ", n/6) + "\n\nx",
		"base64 junk":          "Content-Transfer-Encoding: base64\n\n" + strings.Repeat("!=", n/2),
		"qp lines":             "Content-Transfer-Encoding: quoted-printable\n\n" + strings.Repeat("=\n", n/2),
		"flowed":               "Content-Type: text/plain; format=flowed; delsp=yes\n\n" + strings.Repeat("> a \n", n/5),
		"rfc2231 sections":     "Content-Type: application/x; " + strings.Repeat("name*9999*=%41; ", n/16) + "\n\nx",
		"html only many parts": "Content-Type: multipart/mixed; boundary=b\n\n" + strings.Repeat("--b\nContent-Type: text/html\n\n<p>x</p>\n", n/40),
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			m, err := Parse([]byte(raw), nil)
			if err != nil {
				t.Fatal(err)
			}
			_ = Preview(m.Text, 100)
			if d := time.Since(start); d > 60*time.Second { // a hang guard, not a speed test (see the benchmarks)
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestOptionsHuge(t *testing.T) {
	m, err := Parse(readFixture(t, "plain_utf8.eml"), &Options{MaxParts: 1 << 62, MaxDepth: 1 << 62, MaxDecodedBytes: 1<<63 - 1})
	if err != nil || !strings.HasPrefix(m.Text, "Hi Bob") {
		t.Errorf("Text = %q, err = %v", m.Text, err)
	}
}

// TestParseDateFastPathAgrees checks that the layouts parseDate tries
// before net/mail give what net/mail gives.
func TestParseDateFastPathAgrees(t *testing.T) {
	for _, s := range []string{
		"Mon, 02 Jun 2025 10:00:00 +0000",
		"Tue, 3 Jun 2025 23:59:59 +0200",
		"Tue, 3 Jun 2025 10:00:00 +0200 (CEST)",
		"Wed, 31 Dec 1997 23:59:59 -1130 (a zone (nested))",
		"Sun, 29 Feb 2004 00:00:00 +1400",
	} {
		got, ok := parseDate(s)
		want, err := netmail.ParseDate(s)
		if !ok || err != nil || !got.Equal(want) {
			t.Errorf("parseDate(%q) = %v, %v; net/mail: %v, %v", s, got, ok, want, err)
			continue
		}
		_, go1 := got.Zone()
		_, go2 := want.Zone()
		if go1 != go2 {
			t.Errorf("parseDate(%q) offset %d, net/mail %d", s, go1, go2)
		}
	}
}
