package message

import (
	"strings"
	"testing"
)

func TestCheckSender(t *testing.T) {
	tests := []struct {
		name, value string
		email       string
		warn        string // substring of a warning, "" for none
	}{
		{"plain", `Alice Example <alice@example.com>`, "alice@example.com", ""},
		{"same address in name", `"alice@example.com" <alice@example.com>`, "alice@example.com", ""},
		{"embedded address", `"security@bank.example" <phish@evil.example>`, "phish@evil.example", "another address (security@bank.example)"},
		{"embedded address with text", `"PayPal (service@paypal.example)" <x@evil.example>`, "x@evil.example", "another address"},
		{"encoded embedded address", `=?utf-8?b?cG90dXNAd2hpdGVob3VzZS5leGFtcGxl?= <attacker@evil.example>`, "attacker@evil.example", "another address (potus@whitehouse.example)"},
		{"fullwidth at", `"ceo＠corp.example" <x@evil.example>`, "x@evil.example", "another address"},
		{"NUL", `=?utf-8?q?Bank=00?= <x@evil.example>`, "x@evil.example", "NUL"},
		{"CR LF", `=?utf-8?b?` + b64("Bank\r\nFrom: ceo@corp.example") + `?= <x@evil.example>`, "x@evil.example", "line break"},
		{"RLO", `=?utf-8?b?` + b64("Bob \u202egpj.exe") + `?= <bob@example.com>`, "bob@example.com", "text-direction"},
		{"raw RLO", "Bob \u202emoc.knab <bob@example.com>", "bob@example.com", "text-direction"},
		{"encoded word in address", `=?utf-8?b?cG90dXNAd2hpdGVob3VzZS5leGFtcGxl?=@evil.example`, "", "encoded text inside the address"},
		{"encoded word before at in angle", `Name <=?utf-8?q?a?=@evil.example>`, "", "encoded text inside the address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckSender(tt.value)
			if len(got) != 1 {
				t.Fatalf("%d results: %+v", len(got), got)
			}
			c := got[0]
			if tt.email != "" && c.Address.Email != tt.email {
				t.Errorf("email %q, want %q", c.Address.Email, tt.email)
			}
			if tt.warn == "" {
				if c.Suspicious() {
					t.Errorf("flagged: %v", c.Warnings)
				}
				return
			}
			if !strings.Contains(strings.Join(c.Warnings, "; "), tt.warn) {
				t.Errorf("warnings %q lack %q", c.Warnings, tt.warn)
			}
		})
	}
}

func TestFromHeaderMultiple(t *testing.T) {
	raw := []byte("From: A <a@x.example>, \"b@y.example\" <c@z.example>\r\nSubject: x\r\n\r\nbody")
	got := CheckSender(FromHeader(raw))
	if len(got) != 2 || got[0].Suspicious() || !got[1].Suspicious() {
		t.Errorf("%+v", got)
	}
}

func TestCheckLink(t *testing.T) {
	tests := []struct {
		text, href string
		bad        bool
	}{
		{"Read more", "https://evil.example/", false},
		{"https://www.bank.example/login", "https://bank.example/login", false},
		{"www.bank.example", "https://login.bank.example/", false},
		{"https://www.bank.example/login", "https://bank.example.evil.example/", true},
		{"bank.example", "http://evil.example", true},
		{"Visit https://bank.example now", "https://evil.example", true},
		{"shop.example.co.uk", "https://www.shop.example.co.uk/x", false},
		{"other.co.uk", "https://shop.example.co.uk/x", true},
		{"help@bank.example", "mailto:help@bank.example", false},
		{"help@bank.example", "mailto:harvest@evil.example", true},
		{"bank.example", "http://192.0.2.1/login", true},
		{"v1.2.3", "https://example.com", false},
	}
	for _, tt := range tests {
		if got := CheckLink(tt.text, tt.href); (got != "") != tt.bad {
			t.Errorf("CheckLink(%q, %q) = %q, want bad %v", tt.text, tt.href, got, tt.bad)
		}
	}
}

func TestIsTracker(t *testing.T) {
	tests := []struct {
		src  string
		w, h int
		want bool
	}{
		{"https://cdn.example/logo.png", 200, 60, false},
		{"https://cdn.example/p.gif", 1, 1, true},
		{"https://cdn.example/p.gif", 0, -1, true},
		{"https://cdn.example/p.gif", -1, 1, true},
		{"https://www.google-analytics.com/collect?v=1", -1, -1, true},
		{"https://news.example/track/open?id=1", -1, -1, true},
		{"https://cdn.example/hero.jpg", -1, -1, false},
	}
	for _, tt := range tests {
		if got := IsTracker(tt.src, tt.w, tt.h); got != tt.want {
			t.Errorf("IsTracker(%q, %d, %d) = %v", tt.src, tt.w, tt.h, got)
		}
	}
}

func TestPrintable(t *testing.T) {
	for _, tt := range []struct{ in, line, text string }{
		{"plain ascii", "plain ascii", "plain ascii"},
		{"Support\u202egro.kcabnav", "Support<U+202E>gro.kcabnav", "Support\u202egro.kcabnav"},
		{"a\u2066b\u2069c\u200fd\u061ce", "a<U+2066>b<U+2069>c<U+200F>d<U+061C>e", "a\u2066b\u2069c\u200fd\u061ce"},
		{"red \x1b[31mtext\x1b[0m", "red <U+001B>[31mtext<U+001B>[0m", "red <U+001B>[31mtext<U+001B>[0m"},
		{"line\r\nnext\tcol", "line<U+000D><U+000A>next<U+0009>col", "line<U+000D>\nnext\tcol"},
		{"nul\x00 del\x7f c1\u009b", "nul<U+0000> del<U+007F> c1<U+009B>", "nul<U+0000> del<U+007F> c1<U+009B>"},
		{"sep\u2028par\u2029", "sep<U+2028>par<U+2029>", "sep\u2028par\u2029"},
		{"bad \xff byte, real \ufffd", "bad \ufffd byte, real \ufffd", "bad \ufffd byte, real \ufffd"},
		{"ünïcödé 日本 עברית", "ünïcödé 日本 עברית", "ünïcödé 日本 עברית"},
	} {
		if got := Printable(tt.in); got != tt.line {
			t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.line)
		}
		if got := PrintableText(tt.in); got != tt.text {
			t.Errorf("PrintableText(%q) = %q, want %q", tt.in, got, tt.text)
		}
	}
}

func TestSenderWarnings(t *testing.T) {
	got := SenderWarnings(CheckSender(`=?utf-8?q?Support=E2=80=AEgro.kcabnav?= <attacker@evil.test>, Alice <alice@example.com>`))
	want := []string{"This sender may be forged: text-direction override in the sender. The real address is attacker@evil.test."}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("SenderWarnings = %q, want %q", got, want)
	}
	if got := SenderWarnings(CheckSender(`Alice <alice@example.com>`)); got != nil {
		t.Fatalf("an honest sender has warnings: %q", got)
	}
	// An address the name shows is quoted with its controls escaped.
	got = SenderWarnings(CheckSender(`=?utf-8?q?ceo=E2=80=AE@corp.example?= <x@evil.example>`))
	if len(got) != 1 || strings.ContainsRune(got[0], '\u202e') || !strings.Contains(got[0], "<U+202E>") {
		t.Fatalf("SenderWarnings = %q, want the shown address escaped", got)
	}
}
