package message

import (
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"
)

// Mailto is what a mailto: link (RFC 6068) asks to write: its recipients,
// subject and body. Header fields other than these are ignored, as RFC
// 6068 section 7 advises for fields a link should not set.
type Mailto struct {
	// To, Cc and Bcc are the addresses, percent-decoded, in order.
	To, Cc, Bcc []string
	// Subject has its encoded words (RFC 2047) decoded and no line breaks.
	Subject string
	// Body has LF line breaks.
	Body string
	// InReplyTo is the message id the link replies to, if any.
	InReplyTo string
}

// ErrNotMailto is returned by ParseMailto for a string that is not a
// mailto: link.
var ErrNotMailto = errors.New("message: not a mailto: link")

// maxMailto bounds the link ParseMailto reads; a link is typed or clicked,
// never a whole message.
const maxMailto = 1 << 20

// ParseMailto parses a mailto: link: "mailto:" addresses, then header
// fields after "?" joined by "&". Addresses and values are percent-decoded
// after the link is split, so that an encoded "," "&" "=" or "?" stays
// part of its address or value; "+" is a plus, not a space. A "to" field
// adds to the addresses before "?".
func ParseMailto(link string) (*Mailto, error) {
	if len(link) < len("mailto:") || !strings.EqualFold(link[:len("mailto:")], "mailto:") {
		return nil, ErrNotMailto
	}
	if len(link) > maxMailto {
		return nil, errors.New("message: mailto: link too long")
	}
	rest := link[len("mailto:"):]
	to, query, _ := strings.Cut(rest, "?")
	m := &Mailto{}
	var err error
	if m.To, err = mailtoAddrs(to); err != nil {
		return nil, err
	}
	if query == "" {
		return m, nil
	}
	for _, field := range strings.Split(query, "&") {
		if field == "" {
			continue
		}
		name, raw, _ := strings.Cut(field, "=")
		name, err := url.PathUnescape(name)
		if err != nil {
			return nil, fmt.Errorf("message: mailto: field %q: %w", field, err)
		}
		switch strings.ToLower(name) {
		case "to", "cc", "bcc":
			addrs, err := mailtoAddrs(raw)
			if err != nil {
				return nil, err
			}
			switch strings.ToLower(name) {
			case "to":
				m.To = append(m.To, addrs...)
			case "cc":
				m.Cc = append(m.Cc, addrs...)
			default:
				m.Bcc = append(m.Bcc, addrs...)
			}
			continue
		}
		value, err := url.PathUnescape(raw)
		if err != nil {
			return nil, fmt.Errorf("message: mailto: field %q: %w", name, err)
		}
		switch strings.ToLower(name) {
		case "subject":
			if d, err := new(mime.WordDecoder).DecodeHeader(value); err == nil {
				value = d
			}
			m.Subject = oneLineHeader(value)
		case "body":
			m.Body = strings.ReplaceAll(strings.ReplaceAll(value, "\r\n", "\n"), "\r", "\n")
		case "in-reply-to":
			m.InReplyTo = oneLineHeader(value)
		}
	}
	return m, nil
}

// mailtoAddrs splits a comma-separated list of percent-encoded addresses.
func mailtoAddrs(raw string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(raw, ",") {
		a, err := url.PathUnescape(part)
		if err != nil {
			return nil, fmt.Errorf("message: mailto: address %q: %w", part, err)
		}
		if a = strings.TrimSpace(oneLineHeader(a)); a != "" {
			out = append(out, a)
		}
	}
	return out, nil
}

// oneLineHeader turns line breaks into spaces: a link must not add header
// lines.
func oneLineHeader(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}
