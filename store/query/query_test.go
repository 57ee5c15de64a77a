package query

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	d := func(y int, m time.Month, day int) Date { return Date{y, m, day} }
	tests := []struct {
		in   string
		want []Term
	}{
		{"", nil},
		{"   ", nil},
		{"coffee", []Term{{Kind: Text, Value: "coffee"}}},
		{"coffee  weekend", []Term{{Kind: Text, Value: "coffee"}, {Kind: Text, Value: "weekend", Pos: 8}}},
		{`"coffee weekend"`, []Term{{Kind: Text, Value: "coffee weekend", Phrase: true}}},
		{`"coffee weekend`, []Term{{Kind: Text, Value: "coffee weekend", Phrase: true}}},
		{`-"coffee weekend"`, []Term{{Kind: Text, Value: "coffee weekend", Phrase: true, Neg: true}}},
		{`""`, nil},
		{`-`, nil},
		{`- x`, []Term{{Kind: Text, Value: "x", Pos: 2}}},
		{`--x`, []Term{{Kind: Text, Value: "-x", Neg: true}}},
		{`e-mail`, []Term{{Kind: Text, Value: "e-mail"}}},
		{"from:alice", []Term{{Kind: From, Value: "alice"}}},
		{"From:Alice@Example.com", []Term{{Kind: From, Value: "Alice@Example.com"}}},
		{"-to:bob", []Term{{Kind: To, Value: "bob", Neg: true}}},
		{"cc:carol", []Term{{Kind: Cc, Value: "carol"}}},
		{`subject:"weekly report" x`, []Term{{Kind: Subject, Value: "weekly report", Phrase: true}, {Kind: Text, Value: "x", Pos: 24}}},
		{`subject:"weekly report`, []Term{{Kind: Subject, Value: "weekly report", Phrase: true}}},
		{`subject:invoice`, []Term{{Kind: Subject, Value: "invoice"}}},
		{"has:attachment", []Term{{Kind: HasAttachment}}},
		{"-has:Attachments", []Term{{Kind: HasAttachment, Neg: true}}},
		{"is:unread is:read IS:STARRED is:flagged", []Term{{Kind: Unread}, {Kind: Read, Pos: 10}, {Kind: Starred, Pos: 18}, {Kind: Starred, Pos: 29}}},
		{"before:2026-12-31 after:2024-02-29", []Term{{Kind: Before, Date: d(2026, 12, 31)}, {Kind: After, Date: d(2024, 2, 29), Pos: 18}}},
		{"in:inbox", []Term{{Kind: In, Value: "inbox"}}},
		{`in:"Old mail/2019"`, []Term{{Kind: In, Value: "Old mail/2019", Phrase: true}}},
		{"account:work", []Term{{Kind: Account, Value: "work"}}},
		// Not operators: searched as text.
		{"Re: budget", []Term{{Kind: Text, Value: "Re:"}, {Kind: Text, Value: "budget", Pos: 4}}},
		{"Re:budget", []Term{{Kind: Text, Value: "Re:budget"}}},
		{"https://example.com/x", []Term{{Kind: Text, Value: "https://example.com/x"}}},
		{"10:30", []Term{{Kind: Text, Value: "10:30"}}},
		{`label:"a b"`, []Term{{Kind: Text, Value: "label:"}, {Kind: Text, Value: "a b", Phrase: true, Pos: 6}}},
		{`a"b c"d`, []Term{{Kind: Text, Value: "a"}, {Kind: Text, Value: "b c", Phrase: true, Pos: 1}, {Kind: Text, Value: "d", Pos: 6}}},
		{"from:a:b", []Term{{Kind: From, Value: "a:b"}}},
		{`"from:alice"`, []Term{{Kind: Text, Value: "from:alice", Phrase: true}}},
		{"café", []Term{{Kind: Text, Value: "café"}}},
	}
	for _, tt := range tests {
		q, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(q.Terms, tt.want) {
			t.Errorf("Parse(%q) =\n %+v\nwant\n %+v", tt.in, q.Terms, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in, msg string
		pos     int
	}{
		{"form:alice", `unknown operator "form:" — did you mean from:? (at character 1)`, 0},
		{"x -fro:alice", `unknown operator "fro:" — did you mean from:? (at character 4)`, 3},
		{"subjet:x", `unknown operator "subjet:" — did you mean subject:? (at character 1)`, 0},
		{`café bfore:"x"`, `unknown operator "bfore:" — did you mean before:? (at character 6)`, 6},
		{"before:2026-13-01", "before: needs a date like 2026-12-31 (at character 1)", 0},
		{"x after:yesterday", "after: needs a date like 2026-12-31 (at character 3)", 2},
		{"before:2026-2-1", "before: needs a date like 2026-12-31 (at character 1)", 0},
		{"after:2025-02-29", "after: needs a date like 2026-12-31 (at character 1)", 0},
		{"before:", "before: needs a date like 2026-12-31 (at character 1)", 0},
		{"from:", "from: needs a word, like from:alice (at character 1)", 0},
		{`subject:""`, `subject: needs a word, like subject:"weekly report" (at character 1)`, 0},
		{"is:spam", "is: takes unread, read or starred (at character 1)", 0},
		{"has:pdf", "has: takes only attachment (has:attachment) (at character 1)", 0},
		{"in:", "in: needs a folder, like in:inbox or in:Receipts (at character 1)", 0},
		{"account:", "account: needs an account ID, like account:work (at character 1)", 0},
		{strings.Repeat("x ", MaxTerms+1), "too many terms (at most 40) (at character 81)", 80},
		{strings.Repeat("x", MaxLength+1), "the query is too long (at most 2000 characters) (at character 2001)", MaxLength},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		var qe *Error
		if !errors.As(err, &qe) {
			t.Errorf("Parse(%q) = %v, want an *Error", tt.in, err)
			continue
		}
		if qe.Error() != tt.msg || qe.Pos != tt.pos {
			t.Errorf("Parse(%q):\n got %q at %d\nwant %q at %d", tt.in, qe.Error(), qe.Pos, tt.msg, tt.pos)
		}
	}
}

func TestString(t *testing.T) {
	in := `-from:alice subject:"weekly report" "coffee weekend" is:unread has:attachment before:2026-01-02 in:"Old mail" account:w x`
	q, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	if q.String() != in {
		t.Errorf("String() = %q, want %q", q.String(), in)
	}
	if !q.Has(Unread) || q.Has(Read) || q.Empty() {
		t.Errorf("Has/Empty wrong for %q", in)
	}
}

func TestDateIn(t *testing.T) {
	loc := time.FixedZone("X", 3*3600)
	got := Date{2026, 3, 4}.In(loc)
	if !got.Equal(time.Date(2026, 3, 4, 0, 0, 0, 0, loc)) {
		t.Errorf("In = %v", got)
	}
}

// FuzzParse checks that any input parses or fails with an *Error without
// panicking, that the work stays bounded, and that a parsed query's
// canonical form parses to the same terms.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "coffee", `"coffee weekend"`, `-from:"a b" is:unread`, "before:2026-12-31", "form:x",
		`a"b`, "--", "in:Inbox account:w -has:attachment", "Re: x", "\xff\"", "subject:\"\t x\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("Parse(%q): error %T is not an *Error", s, err)
			}
			_ = qe.Error()
			return
		}
		if len(q.Terms) > MaxTerms {
			t.Fatalf("Parse(%q): %d terms", s, len(q.Terms))
		}
		for _, tm := range q.Terms {
			if tm.Pos < 0 || tm.Pos > len(s) {
				t.Fatalf("Parse(%q): term at %d", s, tm.Pos)
			}
			if !utf8.ValidString(tm.Value) {
				t.Fatalf("Parse(%q): invalid UTF-8 value %q", s, tm.Value)
			}
		}
		again, err := Parse(q.String())
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", s, q.String(), err)
		}
		if !sameTerms(q, again) {
			t.Fatalf("Parse(%q) = %q, which parses to %q", s, q.String(), again.String())
		}
	})
}

func sameTerms(a, b Query) bool {
	if len(a.Terms) != len(b.Terms) {
		return false
	}
	for i := range a.Terms {
		x, y := a.Terms[i], b.Terms[i]
		x.Pos, y.Pos = 0, 0
		if x != y {
			return false
		}
	}
	return true
}
