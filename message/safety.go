package message

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// isBidiControl reports whether r changes the direction of the text around
// it: embeddings, overrides and isolates (not the plain LRM/RLM marks).
func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') || r == '\u061c'
}

// SenderCheck is the verdict on one address of a From (or Sender,
// Reply-To) field.
type SenderCheck struct {
	Address Address
	// Warnings says, in words, what is suspicious; empty when nothing is.
	Warnings []string
}

// Suspicious reports whether the address should be shown with a warning,
// its real address prominently.
func (c SenderCheck) Suspicious() bool { return len(c.Warnings) > 0 }

var embeddedAddress = regexp.MustCompile(`[^\s<>"'(),;:@＠]+[@＠][^\s<>"'(),;:@＠]+\.[^\s<>"'(),;:@＠]+`)

// CheckSender inspects an address field as it appears in the message
// (unfolded, still RFC 2047-encoded) for the tricks of spoofed senders:
// a display name that shows another address than the real one, control
// characters (a decoded NUL, CR or LF), bidi overrides, and encoded words
// or odd characters inside the address itself. It is a pure function.
func CheckSender(value string) []SenderCheck {
	var out []SenderCheck
	for _, piece := range splitAddressList(value) {
		if strings.TrimSpace(piece) == "" {
			continue
		}
		list := ParseAddressList(piece)
		if len(list) == 0 {
			continue
		}
		c := SenderCheck{Address: list[0]}
		warn := func(s string) {
			for _, w := range c.Warnings {
				if w == s {
					return
				}
			}
			c.Warnings = append(c.Warnings, s)
		}
		// The decoded piece, before any clean-up.
		decoded := decodeWords(piece)
		if strings.ContainsRune(decoded, 0) {
			warn("hidden NUL character in the sender")
		}
		if strings.ContainsAny(decoded, "\r\n") {
			warn("line break hidden in the sender")
		}
		for _, r := range decoded {
			if r == 0 || r == '\r' || r == '\n' || r == '\t' {
				continue
			}
			if r == utf8.RuneError || (unicode.IsControl(r)) {
				warn("control characters in the sender")
				break
			}
		}
		if strings.ContainsFunc(decoded, isBidiControl) {
			warn("text-direction override in the sender")
		}
		a := c.Address
		email := strings.ToLower(a.Email)
		for _, m := range embeddedAddress.FindAllString(a.Name, 8) {
			m = strings.Trim(strings.ReplaceAll(m, "＠", "@"), ".")
			if !strings.EqualFold(m, email) {
				warn("the name shows another address (" + Printable(m) + ")")
				break
			}
		}
		if strings.Contains(a.Email, "=?") || strings.Contains(piece, "?=@") {
			warn("encoded text inside the address")
		}
		if strings.Count(a.Email, "@") != 1 || strings.ContainsFunc(a.Email, func(r rune) bool {
			return unicode.IsSpace(r) || unicode.IsControl(r) || isBidiControl(r) || r == utf8.RuneError || isInvisible(r)
		}) {
			warn("malformed address")
		}
		out = append(out, c)
	}
	return out
}

// SenderWarnings returns, for each suspicious check, the sentence the
// reader shows above the headers: what is wrong, and the real address
// (with Printable's escapes). It returns nil when no sender is suspicious.
func SenderWarnings(checks []SenderCheck) []string {
	var out []string
	for _, c := range checks {
		if !c.Suspicious() {
			continue
		}
		real := Printable(c.Address.Email)
		if real == "" {
			real = "(no address)"
		}
		out = append(out, "This sender may be forged: "+strings.Join(c.Warnings, "; ")+". The real address is "+real+".")
	}
	return out
}

// Printable returns s fit for one line of a terminal or a log: every
// control character (CR, LF, TAB, the ESC that starts terminal sequences,
// C1 controls) and every bidi control (overrides, embeddings, isolates,
// LRM/RLM/ALM) is replaced by a visible escape such as <U+202E>, and
// invalid UTF-8 by U+FFFD. It is for display only: callers keep the
// decoded value for anything else.
func Printable(s string) string {
	return escapeRunes(s, func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
	})
}

// PrintableText is Printable for a body of text: it keeps line feeds,
// tabs and bidi controls (which right-to-left writing needs), and escapes
// every other control character, so that the text cannot drive the
// terminal it is printed on.
func PrintableText(s string) string {
	return escapeRunes(s, func(r rune) bool {
		return r != '\n' && r != '\t' && unicode.IsControl(r)
	})
}

// escapeRunes replaces each rune of s for which esc is true by <U+XXXX>,
// and each invalid UTF-8 byte by U+FFFD.
func escapeRunes(s string, esc func(rune) bool) string {
	clean := true
	for i, r := range s {
		if esc(r) || (r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD")) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			b.WriteRune(utf8.RuneError)
		case esc(r):
			fmt.Fprintf(&b, "<U+%04X>", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// FromHeader returns the From field of a raw message, unfolded and still
// encoded ("" if none), for CheckSender.
func FromHeader(raw []byte) string {
	h, _, _ := splitHeader(raw)
	if v := h.getAll("from"); v != "" {
		return v
	}
	return h.getAll("sender")
}

// CheckLink compares the visible text of a link with its target. When the
// text looks like an address or a URL naming another site than the
// target's, it returns a warning naming the real destination; else "".
func CheckLink(text, target string) string {
	u, err := url.Parse(strings.TrimSpace(target))
	if err != nil {
		return "unreadable link target"
	}
	text = strings.TrimSpace(strings.Map(func(r rune) rune {
		if isInvisible(r) || isBidiControl(r) {
			return -1
		}
		return r
	}, text))
	if strings.EqualFold(u.Scheme, "mailto") {
		to := strings.ToLower(u.Opaque)
		if to == "" {
			to = strings.ToLower(u.Path)
		}
		to, _, _ = strings.Cut(to, "?")
		if m := embeddedAddress.FindString(text); m != "" && strings.ToLower(m) != to {
			return "the text shows " + m + " but the link writes to " + to
		}
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return ""
	}
	shown := shownHost(text)
	if shown == "" || sameSite(shown, host) {
		if ip := net.ParseIP(host); ip != nil && shown != "" {
			return "the link goes to the numeric address " + host
		}
		return ""
	}
	return "the text shows " + shown + " but the link goes to " + host
}

var hostLike = regexp.MustCompile(`(?i)^(?:https?://)?((?:[\p{L}\p{N}-]+\.)+[\p{L}]{2,63})(?:[:/?#]|$)`)

// shownHost returns the host a link text presents, if the text as a whole
// looks like a URL or a bare domain ("www.bank.example/login").
func shownHost(text string) string {
	if strings.ContainsAny(text, " \t\n") {
		// "Visit bank.example today": take a word that is a URL.
		for _, w := range strings.Fields(text) {
			lw := strings.ToLower(w)
			if strings.HasPrefix(lw, "http://") || strings.HasPrefix(lw, "https://") || strings.HasPrefix(lw, "www.") {
				return shownHost(strings.TrimRight(w, ".,;:!?)"))
			}
		}
		return ""
	}
	m := hostLike.FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	return strings.ToLower(m[1])
}

// sameSite reports whether two hosts belong to the same site: equal, or
// one a subdomain of the other's registrable domain (approximated as the
// last two labels, three under a short second-level label like co.uk).
func sameSite(a, b string) bool {
	a, b = strings.TrimPrefix(a, "www."), strings.TrimPrefix(b, "www.")
	if a == b {
		return true
	}
	return siteOf(a) == siteOf(b)
}

func siteOf(h string) string {
	labels := strings.Split(strings.TrimSuffix(h, "."), ".")
	n := 2
	if len(labels) >= 3 && len(labels[len(labels)-2]) <= 3 && len(labels[len(labels)-1]) == 2 {
		n = 3 // example.co.uk, example.com.au
	}
	if len(labels) <= n {
		return h
	}
	return strings.Join(labels[len(labels)-n:], ".")
}

// trackerHosts are hosts (or their parents) that serve open-tracking
// pixels.
var trackerHosts = []string{
	"google-analytics.com", "doubleclick.net", "mailtrack.io", "mailtrack.com", "pixel.wp.com",
	"open.convertkit-mail.com", "email.mg.", "list-manage.com", "sendgrid.net", "mandrillapp.com",
	"mailchimp.com", "exacttarget.com", "hubspotemail.net", "t.hubspotemail.net", "mktoresp.com",
	"sparkpostmail.com", "mailgun.org", "trk.klclick.com", "pixel.mailerlite.com", "tracking.",
	"track.", "pixel.", "beacon.",
}

// trackerPaths are path fragments typical of open-tracking URLs.
var trackerPaths = []string{"/track/open", "/wf/open", "/open.aspx", "/o.gif", "/open.gif", "/pixel.gif", "/pixel.png",
	"/e/o/", "/trk/", "/beacon", "/tracking/open", "/imp?", "/open?"}

// IsTracker reports whether a remote image is a tracking pixel: declared
// 1×1 (or smaller, or invisible), or served from a known tracking host or
// path. width and height are -1 when not declared.
func IsTracker(src string, width, height int) bool {
	if (width == 0 || height == 0) || (width >= 0 && width <= 2 && height >= 0 && height <= 2) {
		return true
	}
	if (width == 1 && height < 0) || (height == 1 && width < 0) {
		return true
	}
	u, err := url.Parse(src)
	if err != nil {
		return true
	}
	host := strings.ToLower(u.Hostname())
	for _, t := range trackerHosts {
		if strings.HasSuffix(t, ".") {
			if strings.HasPrefix(host, t) {
				return true
			}
			continue
		}
		if host == t || strings.HasSuffix(host, "."+t) {
			return true
		}
	}
	p := strings.ToLower(u.EscapedPath())
	if u.RawQuery != "" {
		p += "?"
	}
	for _, t := range trackerPaths {
		if strings.Contains(p, t) {
			return true
		}
	}
	return false
}

var remoteCSS = regexp.MustCompile(`(?i)(?:url\(\s*['"]?\s*https?:|@import\s+['"]\s*https?:|<link\b[^>]*\bhref\s*=\s*['"]?\s*https?:)`)

// countRemoteCSS counts remote stylesheets, fonts and CSS url()s in raw
// HTML.
func countRemoteCSS(s string) int {
	return len(remoteCSS.FindAllStringIndex(s, 1000))
}
