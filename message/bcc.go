package message

import "bytes"

// StripBcc returns raw without its Bcc and Resent-Bcc header fields, for
// the copy handed to SMTP: Build and Prepare keep Bcc in the header so
// that the copy filed in Sent shows whom the sender Bcc'd, and the
// recipients must never see it. Only the message's own header is touched
// (up to the first empty line, or all of raw when there is none); a
// removed field goes with its folded continuation lines, and a field name
// matches in any case and with white space before the colon. Lines may end
// in CRLF or LF. raw itself is returned when it holds no such field, and
// is never modified.
func StripBcc(raw []byte) []byte {
	var out []byte // nil until a field is removed
	dropping := false
	for i := 0; i < len(raw); {
		end := bytes.IndexByte(raw[i:], '\n')
		if end < 0 {
			end = len(raw)
		} else {
			end += i + 1
		}
		line := raw[i:end]
		content := bytes.TrimRight(line, "\r\n")
		if len(content) == 0 {
			// The empty line ends the header: the body follows as is.
			if out != nil {
				out = append(out, raw[i:]...)
			}
			break
		}
		if content[0] == ' ' || content[0] == '\t' {
			// A continuation line belongs to the field before it.
		} else {
			dropping = isBccField(content)
		}
		switch {
		case dropping && out == nil:
			out = append(make([]byte, 0, len(raw)), raw[:i]...)
		case !dropping && out != nil:
			out = append(out, line...)
		}
		i = end
	}
	if out == nil {
		return raw
	}
	return out
}

// isBccField reports whether a header line starts a Bcc or Resent-Bcc
// field.
func isBccField(line []byte) bool {
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return false
	}
	name := bytes.TrimRight(line[:colon], " \t")
	return bytes.EqualFold(name, []byte("bcc")) || bytes.EqualFold(name, []byte("resent-bcc"))
}
