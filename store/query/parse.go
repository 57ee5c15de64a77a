package query

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on a query, so that one query's work stays bounded.
const (
	// MaxLength is the longest query accepted, in bytes.
	MaxLength = 2000
	// MaxTerms is the most terms a query may have.
	MaxTerms = 40
)

// operators are the names before a colon that Parse knows.
var operators = []string{"from", "to", "cc", "subject", "has", "is", "before", "after", "in", "account"}

// Parse parses s. A query that cannot be parsed returns an *Error.
func Parse(s string) (Query, error) {
	q := Query{Source: s}
	if len(s) > MaxLength {
		return q, &Error{Query: s, Pos: MaxLength, Msg: fmt.Sprintf("the query is too long (at most %d characters)", MaxLength)}
	}
	p := parser{s: s}
	for {
		p.skipSpace()
		if p.i >= len(s) {
			break
		}
		t, ok, err := p.term()
		if err != nil {
			return Query{Source: s}, err
		}
		if !ok {
			continue
		}
		if len(q.Terms) == MaxTerms {
			return Query{Source: s}, p.errAt(t.Pos, fmt.Sprintf("too many terms (at most %d)", MaxTerms))
		}
		t.Value = strings.ToValidUTF8(t.Value, "\uFFFD")
		q.Terms = append(q.Terms, t)
	}
	return q, nil
}

type parser struct {
	s string
	i int
}

func (p *parser) errAt(pos int, msg string) *Error { return &Error{Query: p.s, Pos: pos, Msg: msg} }

func isSpace(r rune) bool { return unicode.IsSpace(r) }

func (p *parser) skipSpace() {
	for p.i < len(p.s) {
		r, n := utf8.DecodeRuneInString(p.s[p.i:])
		if !isSpace(r) {
			return
		}
		p.i += n
	}
}

// word reads up to the next space or quote.
func (p *parser) word() string {
	start := p.i
	for p.i < len(p.s) {
		r, n := utf8.DecodeRuneInString(p.s[p.i:])
		if isSpace(r) || r == '"' {
			break
		}
		p.i += n
	}
	return p.s[start:p.i]
}

// quoted reads a quoted string at p.i (which is at the opening quote), up
// to the closing quote or the end of the query.
func (p *parser) quoted() string {
	p.i++ // the opening quote
	end := strings.IndexByte(p.s[p.i:], '"')
	if end < 0 {
		v := p.s[p.i:]
		p.i = len(p.s)
		return v
	}
	v := p.s[p.i : p.i+end]
	p.i += end + 1
	return v
}

// value reads an operator's value: quoted or a word.
func (p *parser) value() (v string, quoted bool) {
	if p.i < len(p.s) && p.s[p.i] == '"' {
		return p.quoted(), true
	}
	return p.word(), false
}

// term reads one term at p.i (not a space). ok is false for a term that
// says nothing (a lone "-", an empty phrase).
func (p *parser) term() (t Term, ok bool, err error) {
	t.Pos = p.i
	if p.s[p.i] == '-' && p.i+1 < len(p.s) {
		if r, _ := utf8.DecodeRuneInString(p.s[p.i+1:]); !isSpace(r) {
			t.Neg = true
			p.i++
		}
	}
	if p.s[p.i] == '"' {
		t.Value, t.Phrase = strings.TrimSpace(p.quoted()), true
		return t, t.Value != "", nil
	}
	opStart := p.i
	w := p.word()
	if w == "-" && !t.Neg {
		return t, false, nil
	}
	name, rest, found := strings.Cut(w, ":")
	if !found || !isOperatorName(name) {
		t.Value = w
		return t, true, nil
	}
	lname := strings.ToLower(name)
	if !isOperator(lname) {
		if rest == "" && (p.i >= len(p.s) || p.s[p.i] != '"') {
			t.Value = w // "Re:" and the like
			return t, true, nil
		}
		if near := nearOperator(lname); near != "" {
			return t, false, p.errAt(opStart, fmt.Sprintf("unknown operator %q — did you mean %s:?", name+":", near))
		}
		t.Value = w // a quoted part after it is a phrase of its own
		return t, true, nil
	}
	// The value starts right after the colon: rewind to it.
	p.i = opStart + len(name) + 1
	v, quoted := p.value()
	if quoted {
		v = strings.TrimSpace(v)
	}
	return p.operator(t, lname, v, quoted, opStart)
}

// operator completes t for operator name with value v.
func (p *parser) operator(t Term, name, v string, quoted bool, pos int) (Term, bool, error) {
	t.Value, t.Phrase = v, quoted
	switch name {
	case "from", "to", "cc", "subject":
		t.Kind = map[string]Kind{"from": From, "to": To, "cc": Cc, "subject": Subject}[name]
		if v == "" {
			example := map[string]string{"from": "from:alice", "to": "to:bob@example.com", "cc": "cc:carol", "subject": `subject:"weekly report"`}[name]
			return t, false, p.errAt(pos, fmt.Sprintf("%s: needs a word, like %s", name, example))
		}
	case "in", "account":
		t.Kind = In
		what := "a folder, like in:inbox or in:Receipts"
		if name == "account" {
			t.Kind, what = Account, "an account ID, like account:work"
		}
		if v == "" {
			return t, false, p.errAt(pos, fmt.Sprintf("%s: needs %s", name, what))
		}
	case "has":
		t.Value, t.Phrase = "", false
		switch strings.ToLower(v) {
		case "attachment", "attachments":
			t.Kind = HasAttachment
		default:
			return t, false, p.errAt(pos, "has: takes only attachment (has:attachment)")
		}
	case "is":
		t.Value, t.Phrase = "", false
		switch strings.ToLower(v) {
		case "unread":
			t.Kind = Unread
		case "read":
			t.Kind = Read
		case "starred", "flagged":
			t.Kind = Starred
		default:
			return t, false, p.errAt(pos, "is: takes unread, read or starred")
		}
	case "before", "after":
		t.Kind = Before
		if name == "after" {
			t.Kind = After
		}
		t.Value, t.Phrase = "", false
		d, err := time.Parse("2006-01-02", v)
		if err != nil || len(v) != len("2006-01-02") {
			return t, false, p.errAt(pos, fmt.Sprintf("%s: needs a date like 2026-12-31", name))
		}
		t.Date = Date{d.Year(), d.Month(), d.Day()}
	}
	return t, true, nil
}

// isOperatorName reports whether s could be an operator's name: a few
// ASCII letters.
func isOperatorName(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func isOperator(s string) bool {
	for _, o := range operators {
		if o == s {
			return true
		}
	}
	return false
}

// nearOperator returns the operator that s is one edit (an insertion,
// deletion, substitution or swap of neighbours) away from, or "". Names of
// two letters or fewer are too short to guess at.
func nearOperator(s string) string {
	if len(s) <= 2 {
		return ""
	}
	for _, o := range operators {
		if editDistance(s, o) == 1 {
			return o
		}
	}
	return ""
}

// editDistance returns the optimal string alignment distance between two
// short ASCII strings.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
