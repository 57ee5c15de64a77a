package message

import (
	"encoding/base64"
	"html"
	"net/url"
	"strings"

	nethtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxBrowserInlineBytes bounds the cid: images inlined into BrowserHTML as
// data: URLs, in total.
const maxBrowserInlineBytes = 20 << 20

// BrowserHTML returns a standalone HTML page of message m (parsed from raw)
// to open in a web browser: the sanitized body (no scripts, forms, frames,
// styles or event handlers), its cid: images inlined as data: URLs, and
// remote images removed unless remote is true (tracking pixels always).
// Nothing else in the page can make the browser fetch anything; a
// Content-Security-Policy says so again. Links keep their targets and send
// no referrer.
func BrowserHTML(raw []byte, m *Message, remote bool) string {
	var body string
	if strings.TrimSpace(m.HTML) != "" {
		body = browserBody(raw, m, SanitizeHTML(m.HTML), remote)
	} else {
		body = `<pre style="white-space:pre-wrap">` + html.EscapeString(m.Text) + "</pre>"
	}
	imgSrc := "data:"
	if remote {
		imgSrc = "data: https: http:"
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n")
	b.WriteString(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ` + imgSrc + `; style-src 'unsafe-inline'">` + "\n")
	b.WriteString(`<meta name="referrer" content="no-referrer">` + "\n")
	b.WriteString("<title>" + html.EscapeString(m.Subject) + "</title>\n")
	b.WriteString(`<style>body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em} .tern-head{border-bottom:1px solid #ccc;margin-bottom:1em;padding-bottom:.5em;color:#444} .tern-head b{display:inline-block;min-width:4em}</style>` + "\n")
	b.WriteString("</head><body>\n<div class=\"tern-head\">\n")
	row := func(k, v string) {
		if v != "" {
			b.WriteString("<div><b>" + k + "</b> " + html.EscapeString(v) + "</div>\n")
		}
	}
	addrs := func(list []Address) string {
		s := make([]string, len(list))
		for i, a := range list {
			s[i] = a.String()
		}
		return strings.Join(s, ", ")
	}
	row("Subject", m.Subject)
	row("From", addrs(m.From))
	row("To", addrs(m.To))
	row("Cc", addrs(m.Cc))
	if !m.Date.IsZero() {
		row("Date", m.Date.Format("Mon, 2 Jan 2006 15:04 -0700"))
	}
	b.WriteString("</div>\n")
	b.WriteString(body)
	b.WriteString("\n</body></html>\n")
	return b.String()
}

// browserBody rewrites sanitized HTML for the browser page.
func browserBody(raw []byte, m *Message, clean string, remote bool) string {
	root, err := nethtml.Parse(strings.NewReader(clean))
	if err != nil {
		return "<pre>" + html.EscapeString(HTMLToText(clean)) + "</pre>"
	}
	inlined := 0
	var walk func(n *nethtml.Node, depth int)
	walk = func(n *nethtml.Node, depth int) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			if c.Type == nethtml.ElementNode {
				switch c.DataAtom {
				case atom.Img:
					if repl := browserImage(raw, m, c, remote, &inlined); repl != nil {
						n.InsertBefore(repl, c)
						n.RemoveChild(c)
					}
				case atom.A:
					setAttr(c, "rel", "noreferrer noopener")
				}
				// Whatever else could name a URL goes (the sanitizer
				// keeps only href and src, but be sure).
				c.Attr = dropURLAttrs(c)
				if depth < maxRenderDepth {
					walk(c, depth+1)
				}
			}
			c = next
		}
	}
	walk(root, 0)
	body := findBody(root)
	if body == nil {
		return ""
	}
	var b strings.Builder
	for c := body.FirstChild; c != nil; c = c.NextSibling {
		nethtml.Render(&b, c)
	}
	return b.String()
}

func findBody(n *nethtml.Node) *nethtml.Node {
	if n.Type == nethtml.ElementNode && n.DataAtom == atom.Body {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if b := findBody(c); b != nil {
			return b
		}
	}
	return nil
}

func setAttr(n *nethtml.Node, key, val string) {
	for i := range n.Attr {
		if n.Attr[i].Key == key {
			n.Attr[i].Val = val
			return
		}
	}
	n.Attr = append(n.Attr, nethtml.Attribute{Key: key, Val: val})
}

// dropURLAttrs keeps an element's attributes except those that could
// make a browser fetch something, other than a's href and img's src.
func dropURLAttrs(n *nethtml.Node) []nethtml.Attribute {
	out := n.Attr[:0]
	for _, a := range n.Attr {
		k := strings.ToLower(a.Key)
		switch {
		case k == "href" && n.DataAtom == atom.A:
		case k == "src" && n.DataAtom == atom.Img:
		case k == "href", k == "src", k == "srcset", k == "background", k == "poster", k == "lowsrc",
			k == "dynsrc", k == "action", k == "formaction", k == "data", k == "longdesc", k == "ping", strings.HasPrefix(k, "on"):
			continue
		case k == "style" && strings.Contains(strings.ToLower(a.Val), "url"):
			continue
		}
		out = append(out, a)
	}
	return out
}

// browserImage decides what an <img> becomes: nil keeps it as is,
// otherwise the node to put in its place.
func browserImage(raw []byte, m *Message, n *nethtml.Node, remote bool, inlined *int) *nethtml.Node {
	src, _ := attr(n, "src")
	alt, _ := attr(n, "alt")
	placeholder := func(what string) *nethtml.Node {
		text := "[" + what
		if alt = strings.TrimSpace(alt); alt != "" {
			text += ": " + alt
		}
		return &nethtml.Node{Type: nethtml.TextNode, Data: text + "]"}
	}
	u, err := url.Parse(strings.TrimSpace(src))
	if err != nil {
		return placeholder("image")
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		w, h := imageSize(n)
		if !remote {
			return placeholder("remote image")
		}
		if IsTracker(src, w, h) {
			return &nethtml.Node{Type: nethtml.TextNode}
		}
		return nil
	case "data":
		if len(src) > MaxDataImageBytes || !strings.HasPrefix(strings.ToLower(strings.TrimPrefix(src, "data:")), "image/") {
			return placeholder("image")
		}
		return nil
	case "cid":
		cid, _ := url.PathUnescape(u.Opaque)
		path := m.InlinePart(cid)
		if path == "" {
			return placeholder("image")
		}
		ct := ""
		for _, a := range m.Attachments {
			if a.PartPath == path {
				ct = a.ContentType
			}
		}
		data, err := PartData(raw, path)
		if err != nil || !strings.HasPrefix(ct, "image/") || strings.ContainsAny(ct, `"'<>;, `) ||
			*inlined+len(data) > maxBrowserInlineBytes {
			return placeholder("image")
		}
		*inlined += len(data)
		setAttr(n, "src", "data:"+ct+";base64,"+base64.StdEncoding.EncodeToString(data))
		return nil
	}
	return placeholder("image")
}
