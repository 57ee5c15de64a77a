package message

import "strings"

// unflow joins the soft-broken lines of format=flowed text (RFC 3676). s
// has LF line endings. With delSp the trailing space that marks a soft
// break is removed too.
func unflow(s string, delSp bool) string {
	lines := strings.Split(s, "\n")
	var b strings.Builder
	b.Grow(len(s))
	inPara := false // the previous line was flowed into the current one
	paraDepth := 0
	for i, line := range lines {
		depth := 0
		for depth < len(line) && line[depth] == '>' {
			depth++
		}
		content := line[depth:]
		// Space-stuffing: one leading space was added by the sender.
		content = strings.TrimPrefix(content, " ")
		isSig := content == "-- "
		flowed := !isSig && strings.HasSuffix(content, " ") && i < len(lines)-1
		if inPara && depth != paraDepth {
			// A quote-depth change ends the paragraph (RFC 3676 4.5).
			b.WriteByte('\n')
			inPara = false
		}
		if !inPara {
			if depth > 0 {
				b.WriteString(strings.Repeat(">", depth))
				b.WriteByte(' ')
			}
			paraDepth = depth
		}
		if flowed && delSp {
			content = content[:len(content)-1]
		}
		b.WriteString(content)
		if flowed {
			inPara = true
			continue
		}
		inPara = false
		if i < len(lines)-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}
