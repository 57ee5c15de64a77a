// Package query parses Tern's search language, shared by the window's
// search field and `tern search`.
//
// A query is a list of terms separated by spaces, all of which must hold:
//
//	coffee                 a word in the subject, an address or the body (as a prefix: "cof" finds it too)
//	"coffee weekend"       a phrase: these words, next to each other, in this order
//	from:alice             a word (prefix) of a sender's name or address; also to: cc:
//	subject:"weekly report" a word or, quoted, a phrase of the subject
//	has:attachment
//	is:unread is:read is:starred
//	before:2026-12-31      received before that day; after:2026-01-31 received after it
//	in:Receipts in:sent    a folder by its path, or by its role (inbox, sent, drafts, archive, trash, junk)
//	account:work           an account by its ID
//	-term                  any term negated
//
// Operator names are case-insensitive. A word of the form name:value whose
// name is no operator is searched as text ("Re:budget"), unless the name
// is one letter off an operator ("form:alice"), which is reported as a
// likely typo. An unterminated quote runs to the end of the query, so that
// a query being typed is always searchable.
//
// The package is pure: it knows no SQL, store or server; store and
// sync/imapsync compile a Query for their side.
package query

import (
	"fmt"
	"strings"
	"time"
)

// Kind says what a Term tests.
type Kind int

// The kinds of term.
const (
	Text          Kind = iota // Value in the subject, an address or the body
	From                      // Value in a From address
	To                        // Value in a To address
	Cc                        // Value in a Cc address
	Subject                   // Value in the subject
	HasAttachment             // the message has an attachment
	Unread                    // the message is not \Seen
	Read                      // the message is \Seen
	Starred                   // the message is \Flagged
	Before                    // received before Date (that day not included)
	After                     // received after Date (that day not included)
	In                        // the message is in folder Value
	Account                   // the message belongs to account Value
)

var kindNames = [...]string{"text", "from", "to", "cc", "subject", "has", "is", "is", "is", "before", "after", "in", "account"}

// String returns the kind's operator name ("text" for Text).
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// IsText reports whether the kind matches words in the message's text
// (Text, From, To, Cc, Subject), as opposed to its state or place.
func (k Kind) IsText() bool { return k >= Text && k <= Subject }

// Date is a calendar day, without a time zone: the caller decides in which
// zone the day begins.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// In returns the start of the day in loc (time.Local when nil).
func (d Date) In(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.Local
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// String returns the day as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Term is one condition of a query.
type Term struct {
	Kind Kind
	// Neg negates the term (a leading "-").
	Neg bool
	// Value is the word or phrase of a text kind (without quotes), the
	// folder of In, the account of Account; empty for the others.
	Value string
	// Phrase reports whether Value was quoted: a phrase matches its words
	// exactly and in order; an unquoted word matches as a prefix.
	Phrase bool
	// Date is the day of Before and After.
	Date Date
	// Pos is the byte offset in the query where the term starts (its "-"
	// included).
	Pos int
}

// String returns the term as it would be typed.
func (t Term) String() string {
	var sb strings.Builder
	if t.Neg {
		sb.WriteByte('-')
	}
	switch t.Kind {
	case Text:
	case HasAttachment:
		sb.WriteString("has:attachment")
	case Unread:
		sb.WriteString("is:unread")
	case Read:
		sb.WriteString("is:read")
	case Starred:
		sb.WriteString("is:starred")
	case Before, After:
		sb.WriteString(t.Kind.String() + ":" + t.Date.String())
	default:
		sb.WriteString(t.Kind.String() + ":")
	}
	switch t.Kind {
	case Text, From, To, Cc, Subject, In, Account:
		if t.Phrase {
			sb.WriteString(`"` + t.Value + `"`)
		} else {
			sb.WriteString(t.Value)
		}
	}
	return sb.String()
}

// Query is a parsed query: all its terms must hold. An empty query matches
// every message.
type Query struct {
	Terms []Term
	// Source is the text the query was parsed from, for errors about its
	// terms (see Query.Errorf).
	Source string
}

// String returns the query in canonical form; parsing it gives the same
// terms (positions aside).
func (q Query) String() string {
	parts := make([]string, len(q.Terms))
	for i, t := range q.Terms {
		parts[i] = t.String()
	}
	return strings.Join(parts, " ")
}

// Empty reports whether the query has no terms.
func (q Query) Empty() bool { return len(q.Terms) == 0 }

// Has reports whether the query has a term of kind k, negated or not.
func (q Query) Has(k Kind) bool {
	for _, t := range q.Terms {
		if t.Kind == k {
			return true
		}
	}
	return false
}

// Errorf returns an *Error about term t of q, for problems found after
// parsing (a folder that does not exist).
func (q Query) Errorf(t Term, format string, args ...any) *Error {
	return &Error{Query: q.Source, Pos: t.Pos, Msg: fmt.Sprintf(format, args...)}
}

// Error is a query that cannot be parsed: Msg says why in words, Pos is the
// byte offset of the offending term in the query.
type Error struct {
	Query string
	Pos   int
	Msg   string
}

// Error returns the message and the position as a 1-based character
// column.
func (e *Error) Error() string {
	col := len([]rune(e.Query[:min(max(e.Pos, 0), len(e.Query))])) + 1
	return fmt.Sprintf("%s (at character %d)", e.Msg, col)
}
