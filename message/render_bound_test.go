package message

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func checkBounded(t *testing.T, d *Document) int {
	t.Helper()
	total := 0
	for i, b := range d.Blocks {
		n := len(SpansText(b.Spans))
		if n > MaxBlockTextBytes {
			t.Errorf("block %d holds %d bytes", i, n)
		}
		for _, row := range b.Rows {
			for _, c := range row {
				if n := len(SpansText(c.Spans)); n > MaxBlockTextBytes+len("…") {
					t.Errorf("cell of block %d holds %d bytes", i, n)
				}
				n += len(SpansText(c.Spans))
			}
		}
		total += n
	}
	if total > MaxDocumentTextBytes+len("…") {
		t.Errorf("document holds %d bytes", total)
	}
	return total
}

func TestRenderBounds(t *testing.T) {
	sentence := "Lorem ipsum dolor sit amet, <b>consectetur</b> adipiscing elit. "
	t.Run("one huge paragraph", func(t *testing.T) {
		d := RenderHTML("<p>" + strings.Repeat(sentence, 3<<20/len(sentence)) + "</p><p>after</p>")
		if !d.Truncated {
			t.Error("not Truncated")
		}
		if len(d.Blocks) < MaxDocumentTextBytes/MaxBlockTextBytes {
			t.Errorf("%d blocks", len(d.Blocks))
		}
		if total := checkBounded(t, d); total < MaxDocumentTextBytes/2 {
			t.Errorf("only %d bytes kept", total)
		}
		if s := findSpan(d, "consectetur"); s == nil || !s.Bold {
			t.Errorf("bold span %+v", s)
		}
		// The pieces are cut between words: joined with spaces they are
		// the paragraph's text.
		var pieces []string
		for _, b := range d.Blocks[:10] {
			pieces = append(pieces, SpansText(b.Spans))
		}
		if want := strings.ReplaceAll(strings.Repeat(sentence, 2000), "<b>", ""); !strings.HasPrefix(strings.ReplaceAll(want, "</b>", ""), strings.Join(pieces, " ")) {
			t.Errorf("pieces do not join into the text: %.200q", strings.Join(pieces, "|"))
		}
	})
	t.Run("plain text without blank lines", func(t *testing.T) {
		var b strings.Builder
		for b.Len() < 3<<20 {
			b.WriteString("a line of a log file that goes on and on, https://example.com/x\n")
		}
		d := RenderText(b.String())
		if !d.Truncated {
			t.Error("not Truncated")
		}
		checkBounded(t, d)
		last := SpansText(d.Blocks[len(d.Blocks)-1].Spans)
		if !strings.HasPrefix(last, "a line") && !strings.HasPrefix(last, "https") {
			t.Errorf("last block starts %.30q", last)
		}
	})
	t.Run("short text untouched", func(t *testing.T) {
		d := RenderText("hello\n\nworld")
		if d.Truncated || len(d.Blocks) != 2 {
			t.Errorf("%+v", d)
		}
	})
	t.Run("no spaces", func(t *testing.T) {
		word := strings.Repeat("日本語", 3*MaxBlockTextBytes/9+100)
		d := RenderHTML("<ul><li>" + word + "</li></ul>")
		checkBounded(t, d)
		var got strings.Builder
		for i, b := range d.Blocks {
			s := SpansText(b.Spans)
			if !utf8.ValidString(s) {
				t.Fatalf("block %d is not valid UTF-8", i)
			}
			got.WriteString(s)
			if (i == 0) != (b.Marker == "•") {
				t.Errorf("block %d marker %q", i, b.Marker)
			}
		}
		if len(d.Blocks) < 2 || got.String() != word {
			t.Errorf("%d blocks, text kept %v", len(d.Blocks), got.String() == word)
		}
	})
	t.Run("table cell", func(t *testing.T) {
		d := RenderHTML("<table><tr><th>a</th><th>b</th></tr><tr><td>" + strings.Repeat("x ", MaxBlockTextBytes) + "</td><td>y</td></tr></table>")
		checkBounded(t, d)
		if len(d.Blocks) != 1 || d.Blocks[0].Kind != BlockTable || !strings.HasSuffix(SpansText(d.Blocks[0].Rows[1][0].Spans), "…") {
			t.Errorf("blocks %+v", d.Blocks)
		}
	})
}
