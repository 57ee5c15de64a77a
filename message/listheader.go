package message

import (
	"strings"
	"time"
)

// ListHeaderFields returns the names of the header fields ParseListHeader
// reads, for a sync engine to fetch them raw (IMAP's
// BODY.PEEK[HEADER.FIELDS (…)]) instead of taking the server's ENVELOPE
// already decoded by the IMAP library, which reads a UTF-8 encoded word
// byte for byte and so cannot agree with the reader on a broken one.
func ListHeaderFields() []string {
	return []string{"Subject", "From", "Sender", "To", "Cc", "Reply-To", "Date", "Message-ID", "In-Reply-To", "References"}
}

// ListHeader is what the message list, threading and the search index take
// from a message's header.
type ListHeader struct {
	Subject               string
	From, To, Cc, ReplyTo []Address
	Date                  time.Time // zero when missing or unparsable
	MessageID, InReplyTo  string    // without angle brackets
	References            []string
}

// ParseListHeader decodes the fields named by ListHeaderFields from a raw
// header: a whole message, its header, or only those fields. It decodes
// them exactly as Parse does for the reader (Parse calls it), so that a
// subject or a name reads the same in the list, in search and in the
// reader. From falls back to Sender when it holds no address.
func ParseListHeader(raw []byte) ListHeader {
	h, _, _ := splitHeader(raw)
	return listHeader(h)
}

// listHeader decodes the list fields of a split header.
func listHeader(h header) ListHeader {
	l := ListHeader{
		Subject:    DecodeHeader(h.get("subject")),
		From:       ParseAddressList(h.getAll("from")),
		To:         ParseAddressList(h.getAll("to")),
		Cc:         ParseAddressList(h.getAll("cc")),
		ReplyTo:    ParseAddressList(h.getAll("reply-to")),
		MessageID:  firstMsgID(h.get("message-id")),
		InReplyTo:  firstMsgID(h.get("in-reply-to")),
		References: msgIDs(h.get("references")),
	}
	if d := h.get("date"); strings.TrimSpace(d) != "" {
		l.Date, _ = parseDate(d)
	}
	if len(l.From) == 0 {
		l.From = ParseAddressList(h.getAll("sender"))
	}
	return l
}
