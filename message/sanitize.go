package message

import (
	"regexp"
	"sync"

	"github.com/microcosm-cc/bluemonday"
)

// The sanitizer is the first stage of HTML rendering: whatever it lets
// through is the only markup the renderer ever sees. It keeps structure
// (text, headings, lists, quotes, tables, links, images) and the few
// style properties that decide visibility and the size of images, and
// drops everything else: scripts, styles, forms, frames, event handlers,
// unknown URL schemes.

var (
	sanitizerOnce sync.Once
	sanitizer     *bluemonday.Policy
)

// safeStyleValue matches the CSS values kept: no url(), no expression(),
// no escapes or quotes.
var safeStyleValue = regexp.MustCompile(`^[a-zA-Z0-9 .,%#!+\-]{0,64}$`)

// htmlPolicy is Tern's own strict policy. A bluemonday Policy is safe for
// concurrent use once built.
func htmlPolicy() *bluemonday.Policy {
	sanitizerOnce.Do(func() {
		p := bluemonday.NewPolicy()
		p.AllowElements(
			"p", "br", "div", "span", "center", "font", "section", "article", "header", "footer", "main", "aside", "nav",
			"h1", "h2", "h3", "h4", "h5", "h6",
			"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "small", "big", "sub", "sup", "mark", "cite", "q", "abbr",
			"code", "kbd", "samp", "tt", "var", "pre", "blockquote", "hr", "address",
			"ul", "ol", "li", "dl", "dt", "dd",
			"table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption",
			"a", "img", "figure", "figcaption", "details", "summary", "wbr",
		)
		p.AllowAttrs("href").OnElements("a")
		p.AllowAttrs("title").Globally()
		p.AllowAttrs("hidden").Globally()
		p.AllowAttrs("src", "alt").OnElements("img")
		p.AllowAttrs("width", "height").Matching(regexp.MustCompile(`^\s*[0-9]{1,5}(\.[0-9]*)?\s*(px|%)?\s*$`)).OnElements("img", "table", "td", "th")
		p.AllowAttrs("role").Matching(regexp.MustCompile(`^[a-z]{1,20}$`)).OnElements("table")
		p.AllowAttrs("border", "cellpadding", "cellspacing").Matching(regexp.MustCompile(`^[0-9]{1,3}$`)).OnElements("table")
		p.AllowAttrs("colspan", "rowspan").Matching(regexp.MustCompile(`^[0-9]{1,3}$`)).OnElements("td", "th")
		p.AllowAttrs("start").Matching(regexp.MustCompile(`^-?[0-9]{1,6}$`)).OnElements("ol")
		p.AllowAttrs("type").Matching(regexp.MustCompile(`^(?i:cite|1|a|i|disc|circle|square)$`)).OnElements("blockquote", "ol", "ul")
		p.AllowAttrs("class").Matching(regexp.MustCompile(`^[a-zA-Z0-9_ \-]{1,200}$`)).Globally()
		p.AllowStyles("display", "visibility", "opacity", "max-height", "height", "width", "max-width",
			"overflow", "font-size", "mso-hide", "line-height", "font-weight", "font-style", "font-family", "white-space").
			MatchingHandler(safeStyleValue.MatchString).Globally()
		p.AllowURLSchemes("http", "https", "mailto", "cid")
		p.AllowDataURIImages()
		p.RequireParseableURLs(true)
		p.AllowRelativeURLs(false)
		p.AddSpaceWhenStrippingTag(true)
		p.SkipElementsContent("head", "template", "svg", "math", "select", "textarea", "button", "datalist", "xml", "o:p")
		sanitizer = p
	})
	return sanitizer
}

// SanitizeHTML returns s reduced to the markup Tern renders. The result is
// still HTML; the renderer turns it into Blocks.
func SanitizeHTML(s string) string {
	return htmlPolicy().Sanitize(s)
}
