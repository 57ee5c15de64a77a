package message

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// table renders a table: a data table (text in a grid) as one BlockTable,
// a layout table (the scaffolding of newsletters) unwrapped into the
// blocks of its cells.
func (b *renderer) table(n *html.Node, st style, depth int) {
	b.flush()
	if rows := dataTableRows(n); rows != nil {
		var out [][]Cell
		for _, row := range rows {
			var cells []Cell
			empty := true
			for _, td := range row {
				cst := st
				header := td.DataAtom == atom.Th
				if header {
					cst.bold = true
				}
				cst.quote, cst.indent = 0, 0
				sub := &renderer{doc: &Document{}, anchors: b.anchors}
				sub.walk(td, cst, depth+1)
				sub.flush()
				b.anchors = sub.anchors
				var spans []Span
				for i, bl := range sub.doc.Blocks {
					if i > 0 && len(spans) > 0 {
						spans = append(spans, Span{Text: " "})
					}
					for _, s := range bl.Spans {
						s.Text = strings.ReplaceAll(s.Text, "\n", " ")
						spans = append(spans, s)
					}
				}
				if len(spans) > 0 {
					empty = false
				}
				cells = append(cells, Cell{Spans: spans, Header: header})
			}
			if !empty {
				out = append(out, cells)
			}
		}
		if len(out) > 0 {
			b.emit(Block{Kind: BlockTable, Quote: st.quote, Indent: st.indent, Rows: out})
		}
		return
	}
	b.walk(n, st, depth)
	b.flush()
}

// notInDataCell are elements that make a table a layout table.
var notInDataCell = map[atom.Atom]bool{
	atom.Table: true, atom.Ul: true, atom.Ol: true, atom.Blockquote: true, atom.Pre: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Img: true, atom.Hr: true,
}

// dataTableRows returns the visible rows of cells of a data table, or nil
// when the table is (or looks like) a layout table: declared
// presentational, nesting tables or block content, or a single column.
func dataTableRows(t *html.Node) [][]*html.Node {
	if r, _ := attr(t, "role"); strings.EqualFold(r, "presentation") || strings.EqualFold(r, "none") {
		return nil
	}
	var rows [][]*html.Node
	maxCols := 0
	ok := true
	var visitRows func(n *html.Node)
	visitRows = func(n *html.Node) {
		for c := n.FirstChild; c != nil && ok; c = c.NextSibling {
			if c.Type != html.ElementNode || hiddenNode(c) {
				continue
			}
			switch c.DataAtom {
			case atom.Thead, atom.Tbody, atom.Tfoot:
				visitRows(c)
			case atom.Tr:
				var cells []*html.Node
				for td := c.FirstChild; td != nil; td = td.NextSibling {
					if td.Type == html.ElementNode && (td.DataAtom == atom.Td || td.DataAtom == atom.Th) && !hiddenNode(td) {
						if hasBlockContent(td, 0) {
							ok = false
							return
						}
						cells = append(cells, td)
					}
				}
				if len(cells) > maxTableCols || len(rows) >= maxTableRows {
					ok = false
					return
				}
				maxCols = max(maxCols, len(cells))
				rows = append(rows, cells)
			case atom.Caption:
			default:
				ok = false
			}
		}
	}
	visitRows(t)
	if !ok || maxCols < 2 {
		return nil
	}
	return rows
}

func hasBlockContent(n *html.Node, depth int) bool {
	if depth > 50 {
		return true
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		if notInDataCell[c.DataAtom] {
			return true
		}
		if hasBlockContent(c, depth+1) {
			return true
		}
	}
	return false
}
