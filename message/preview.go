package message

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Preview returns up to n runes of the meaningful text in text, for a
// message list: quoted lines ("> ..."), attribution lines ("On ... wrote:")
// and everything from a signature separator ("-- ") or an "-----Original
// Message-----" line on are skipped, and whitespace runs become single
// spaces.
func Preview(text string, n int) string {
	if n <= 0 {
		return ""
	}
	var kept []string
	runes := 0
	// Lines are taken one at a time: the preview is short and the text
	// may be long.
	for rest, more := text, true; more; {
		var line string
		line, rest, more = strings.Cut(rest, "\n")
		line = strings.TrimRight(line, "\r")
		if line == "-- " || line == "--" || strings.EqualFold(strings.TrimSpace(line), "-----Original Message-----") {
			break
		}
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, ">") {
			continue
		}
		if isAttribution(t) {
			// A wrapped attribution: "On Mon, ... Jane Doe <" / "j@x> wrote:".
			if len(kept) > 0 && !isAttribution(kept[len(kept)-1]) && looksLikeAttributionStart(kept[len(kept)-1]) {
				runes -= utf8.RuneCountInString(kept[len(kept)-1]) + 1
				kept = kept[:len(kept)-1]
			}
			continue
		}
		t = collapseSpace(t, n)
		kept = append(kept, t)
		runes += utf8.RuneCountInString(t) + 1
		if runes > n {
			break
		}
	}
	var b strings.Builder
	count := 0
	space := false
	for _, r := range strings.Join(kept, " ") {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && count > 0 {
			if count == n {
				break
			}
			b.WriteByte(' ')
			count++
		}
		space = false
		if count == n {
			break
		}
		b.WriteRune(r)
		count++
	}
	return b.String()
}

var attributionWords = []string{
	" wrote", " writes", "schrieb", "a écrit", "escribió", "scrisse", "escreveu", "schreef", "napisał", "написал",
}

// isAttribution reports whether line looks like "On <date>, <name> wrote:".
func isAttribution(line string) bool {
	l := strings.ToLower(strings.TrimSpace(line))
	if !strings.HasSuffix(l, ":") || len(l) > 400 {
		return false
	}
	for _, w := range attributionWords {
		if strings.Contains(" "+l, w) {
			return true
		}
	}
	return false
}

func looksLikeAttributionStart(line string) bool {
	l := strings.ToLower(line)
	for _, p := range []string{"on ", "am ", "le ", "el ", "il ", "em ", "op ", "w dniu "} {
		if strings.HasPrefix(l, p) {
			return !strings.HasSuffix(l, ".")
		}
	}
	return false
}

// collapseSpace returns line with its runs of white space made single
// spaces. A line much longer than a preview of n runes (a paragraph of an
// HTML mail is one line) is cut first, when what is left still has more
// than n runes: the rest could not show.
func collapseSpace(line string, n int) string {
	if cut := 8 * n; len(line) > cut {
		if c := strings.Join(strings.Fields(line[:cut]), " "); utf8.RuneCountInString(c) > n {
			return c
		}
	}
	return strings.Join(strings.Fields(line), " ")
}
