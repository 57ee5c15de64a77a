package message

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func corpusDoc(t testing.TB, name string) (*Message, []byte, *Document) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "corpus", name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m, raw, Render(m)
}

func findBlock(d *Document, kind BlockKind, text string) *Block {
	for i := range d.Blocks {
		b := &d.Blocks[i]
		if b.Kind == kind && strings.Contains(SpansText(b.Spans), text) {
			return b
		}
	}
	return nil
}

func findSpan(d *Document, text string) *Span {
	for i := range d.Blocks {
		for j := range d.Blocks[i].Spans {
			if strings.Contains(d.Blocks[i].Spans[j].Text, text) {
				return &d.Blocks[i].Spans[j]
			}
		}
		for _, row := range d.Blocks[i].Rows {
			for _, c := range row {
				for j := range c.Spans {
					if strings.Contains(c.Spans[j].Text, text) {
						return &c.Spans[j]
					}
				}
			}
		}
	}
	return nil
}

func TestCorpusNewsletter(t *testing.T) {
	_, _, d := corpusDoc(t, "newsletter.eml")
	text := d.Text()
	for _, bad := range []string{"spring specials", "<", "font-family", "mail.css", "MsoNormal"} {
		if strings.Contains(text, bad) {
			t.Errorf("rendered text contains %q:\n%s", bad, text)
		}
	}
	if b := findBlock(d, BlockHeading, "Tides of March"); b == nil || b.Level != 1 {
		t.Errorf("no h1 heading: %+v", b)
	}
	if b := findBlock(d, BlockHeading, "Three lighthouses"); b == nil || b.Level != 2 {
		t.Errorf("no h2 heading: %+v", b)
	}
	if b := findBlock(d, BlockListItem, "Gull Rock"); b == nil || b.Marker != "2." || b.Indent != 1 {
		t.Errorf("ordered item: %+v", b)
	}
	if b := findBlock(d, BlockListItem, "waxy"); b == nil || b.Marker != "•" || b.Indent != 2 {
		t.Errorf("nested item: %+v", b)
	}
	for _, b := range d.Blocks {
		if b.Kind == BlockTable {
			t.Errorf("layout table kept as a table: %+v", b)
		}
	}
	if s := findSpan(d, "harbor masters"); s == nil || !s.Bold {
		t.Errorf("bold span: %+v", s)
	}
	if s := findSpan(d, "weekend sailing"); s == nil || !s.Italic {
		t.Errorf("italic span: %+v", s)
	}
	if s := findSpan(d, "Unsubscribe"); s == nil || s.Link != "https://harborweekly.example/unsubscribe?u=77" || s.LinkWarning != "" {
		t.Errorf("link span: %+v", s)
	}
	if d.RemoteImages != 2 || d.Trackers != 2 || d.RemoteOther != 4 || len(d.Images) != 2 {
		t.Errorf("remote %d, trackers %d, other %d, images %d", d.RemoteImages, d.Trackers, d.RemoteOther, len(d.Images))
	}
	if d.Images[1].Alt != "Boats at high tide" || d.Images[1].Width != 280 || d.Images[1].Source != ImageRemote {
		t.Errorf("hero image %+v", d.Images[1])
	}
	// The reading order follows the layout: heading, text, then the image beside it.
	if !regexp.MustCompile(`(?s)View in browser.*Harbor Weekly.*Tides of March.*weekend sailing.*Boats at high tide.*lighthouses.*Unsubscribe · Preferences`).MatchString(text) {
		t.Errorf("reading order:\n%s", text)
	}
}

func TestCorpusReceipt(t *testing.T) {
	m, raw, d := corpusDoc(t, "receipt.eml")
	var table *Block
	for i := range d.Blocks {
		if d.Blocks[i].Kind == BlockTable {
			table = &d.Blocks[i]
		}
	}
	if table == nil || len(table.Rows) != 4 || len(table.Rows[0]) != 3 {
		t.Fatalf("data table: %+v", table)
	}
	if !table.Rows[0][0].Header || SpansText(table.Rows[0][2].Spans) != "Price" {
		t.Errorf("header row %+v", table.Rows[0])
	}
	if got := SpansText(table.Rows[2][2].Spans); got != "€9.50" {
		t.Errorf("cell %q", got)
	}
	if s := table.Rows[3][2].Spans; len(s) != 1 || !s[0].Bold {
		t.Errorf("total cell %+v", s)
	}
	if s := findSpan(d, "A-10442"); s == nil || !s.Monospace {
		t.Errorf("code span %+v", s)
	}
	if len(d.Images) != 1 || d.Images[0].Source != ImageInline || d.Images[0].ContentID != "logo@northwind.example" {
		t.Fatalf("images %+v", d.Images)
	}
	loaded := (&ImageLoader{}).Load(t.Context(), raw, m, d, false)
	if loaded[0].Err != nil || loaded[0].Format != "png" || loaded[0].Width != 40 || loaded[0].Height != 20 {
		t.Errorf("cid image: %+v", loaded[0])
	}
}

func TestCorpusForge(t *testing.T) {
	_, _, d := corpusDoc(t, "forge.eml")
	if b := findBlock(d, BlockParagraph, "sanitize first"); b == nil || b.Quote != 1 {
		t.Errorf("quote %+v", b)
	}
	pre := findBlock(d, BlockPre, "RenderHTML")
	if pre == nil || !strings.Contains(SpansText(pre.Spans), "\n    show(b)\n}") || !pre.Spans[0].Monospace {
		t.Errorf("pre %+v", pre)
	}
	if d.Trackers != 1 || d.RemoteImages != 0 {
		t.Errorf("beacon: trackers %d remote %d", d.Trackers, d.RemoteImages)
	}
	if s := findSpan(d, "view it on GitForge"); s == nil || s.Link == "" {
		t.Errorf("link %+v", s)
	}
}

func TestCorpusInvite(t *testing.T) {
	m, _, d := corpusDoc(t, "invite.eml")
	if b := findBlock(d, BlockHeading, "Design review"); b == nil {
		t.Error("no heading")
	}
	if !strings.Contains(d.Text(), "Where\tRoom Fjord") {
		t.Errorf("table text:\n%s", d.Text())
	}
	if s := findSpan(d, "https://meet.example.org/abc-defg"); s == nil || s.Link != "https://meet.example.org/abc-defg" || s.LinkWarning != "" {
		t.Errorf("link %+v", s)
	}
	var names []string
	for _, a := range m.Attachments {
		names = append(names, a.Filename)
	}
	if !strings.Contains(strings.Join(names, ","), "invite.ics") {
		t.Errorf("attachments %v", names)
	}
}

func TestCorpusForwarded(t *testing.T) {
	_, _, d := corpusDoc(t, "forwarded.eml")
	if b := findBlock(d, BlockParagraph, "Who is coming"); b == nil || b.Quote != 1 {
		t.Errorf("quote %+v", b)
	}
	if b := findBlock(d, BlockParagraph, "weather"); b == nil || b.Quote != 2 {
		t.Errorf("nested quote %+v", b)
	}
	if s := findSpan(d, "https://maps.example.net"); s == nil || s.Link != "https://maps.example.net/?q=harbor+pier+3" {
		t.Errorf("URL with trailing dot %+v", s)
	}
	if s := findSpan(d, "https://club.example.net"); s == nil || s.Link != "https://club.example.net/trips/42" {
		t.Errorf("URL in parentheses %+v", s)
	}
	if b := findBlock(d, BlockParagraph, "Forwarded message"); b == nil || b.Quote != 0 {
		t.Errorf("forward header %+v", b)
	}
}

func TestCorpusOutlook(t *testing.T) {
	_, _, d := corpusDoc(t, "outlook.eml")
	text := d.Text()
	if strings.Contains(text, "shapedefaults") || strings.Contains(text, "MsoNormal") || strings.Contains(text, "Calibri") {
		t.Errorf("Outlook markup leaked:\n%s", text)
	}
	s := findSpan(d, "portal.contoso.example")
	if s == nil || s.Link != "http://evil-login.example/contoso" || !strings.Contains(s.LinkWarning, "evil-login.example") {
		t.Errorf("deceptive link not flagged: %+v", s)
	}
	if s := findSpan(d, "From:"); s == nil || !s.Bold {
		t.Errorf("reply header %+v", s)
	}
	if !strings.Contains(text, "Regards,\nJose") {
		t.Errorf("line break lost:\n%s", text)
	}
}

func TestCorpusAppleMail(t *testing.T) {
	m, raw, d := corpusDoc(t, "apple.eml")
	if b := findBlock(d, BlockParagraph, "bring dessert"); b == nil || b.Quote != 1 {
		t.Errorf("quote %+v", b)
	}
	if b := findBlock(d, BlockParagraph, "Lunch on Sunday"); b == nil || b.Quote != 2 {
		t.Errorf("nested quote %+v", b)
	}
	if len(d.Images) != 1 || d.Images[0].Source != ImageData {
		t.Fatalf("images %+v", d.Images)
	}
	loaded := (&ImageLoader{}).Load(t.Context(), raw, m, d, false)
	if loaded[0].Err != nil || loaded[0].Width != 8 {
		t.Errorf("data image %+v", loaded[0])
	}
}

func TestRenderHTMLHostile(t *testing.T) {
	d := RenderHTML(`<p onclick="x()">a<script>alert(1)</script><style>p{}</style><iframe src="https://x.example/"></iframe>
<a href="javascript:alert(1)">js</a> <a href="file:///etc/passwd">file</a> <a href="data:text/html,hi">data</a>
<img src="javascript:x"><img src="file:///etc/passwd" alt="f"><span hidden>secret</span><span style="visibility:hidden">secret2</span>
<span style="font-size:0">secret3</span>b&#x202E;c</p>`)
	text := d.Text()
	if strings.Contains(text, "alert") || strings.Contains(text, "secret") || strings.Contains(text, "p{}") || strings.ContainsRune(text, '\u202e') {
		t.Errorf("hostile content shown: %q", text)
	}
	for _, b := range d.Blocks {
		for _, s := range b.Spans {
			if s.Link != "" {
				t.Errorf("unsafe link kept: %+v", s)
			}
		}
		if b.Image != nil && b.Image.Src != "" {
			t.Errorf("unsafe image kept: %+v", b.Image)
		}
	}
	if len(d.Images) != 1 || d.Images[0].Alt != "f" {
		t.Errorf("images %+v", d.Images)
	}
}

// TestRemoteContentNeverFetched serves every remote URL of the corpus from
// a local server and counts the requests: none while rendering and loading
// images by default, the non-tracking images once remote content is
// allowed, and never a tracker, a stylesheet or a font.
func TestRemoteContentNeverFetched(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	serve := func(scheme string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			paths = append(paths, scheme+"://"+r.Host+r.URL.Path)
			mu.Unlock()
			w.Header().Set("Content-Type", "image/png")
			w.Write(testPNG(t))
		}
	}
	tlsSrv := httptest.NewTLSServer(serve("https"))
	defer tlsSrv.Close()
	plainSrv := httptest.NewServer(serve("http"))
	defer plainSrv.Close()
	// Every host resolves here: https (port 443) to the TLS server, plain
	// http (port 80) to the plain one.
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			to := plainSrv.Listener.Addr().String()
			if strings.HasSuffix(addr, ":443") {
				to = tlsSrv.Listener.Addr().String()
			}
			return (&net.Dialer{}).DialContext(ctx, network, to)
		},
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}}
	loader := &ImageLoader{Client: client}
	requests := func(scheme string) []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, p := range paths {
			if scheme == "" || strings.HasPrefix(p, scheme+"://") {
				out = append(out, p)
			}
		}
		return out
	}

	files, _ := filepath.Glob("testdata/corpus/*.eml")
	urls := regexp.MustCompile(`https?://[^\s"'()<>]+`)
	total, plain := 0, 0
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		total += len(urls.FindAll(raw, -1))
		plain += bytes.Count(raw, []byte(`src=3D"http://`)) + bytes.Count(raw, []byte(`src="http://`))
		m, _ := Parse(raw, nil)
		d := Render(m)
		loader.Load(t.Context(), raw, m, d, false)
	}
	if total < 10 || plain < 2 {
		t.Fatalf("corpus has only %d URLs, %d plain http images", total, plain)
	}
	if got := requests(""); len(got) != 0 {
		t.Fatalf("%d requests while rendering by default: %v", len(got), got)
	}

	// The servers answer: a plain http image is fetched once allowed.
	_, raw, d := corpusDoc(t, "shop_http.eml")
	if d.RemoteImages != 2 || d.Trackers != 1 || d.RemoteOther != 1 {
		t.Errorf("shop: remote %d, trackers %d, other %d", d.RemoteImages, d.Trackers, d.RemoteOther)
	}
	m, _ := Parse(raw, nil)
	for _, g := range loader.Load(t.Context(), raw, m, d, true) {
		if g.Err != nil || g.Format != "png" {
			t.Errorf("loaded %+v", g)
		}
	}
	if got := requests("http"); len(got) != 2 {
		t.Fatalf("plain http requests after Load remote content: %v", got)
	}

	_, raw, d = corpusDoc(t, "newsletter.eml")
	m, _ = Parse(raw, nil)
	got := loader.Load(t.Context(), raw, m, d, true)
	if n := len(requests("https")); n != 2 {
		t.Fatalf("https requests after Load remote content: %v", requests("https"))
	}
	for _, p := range requests("") {
		if strings.Contains(p, "track") || strings.Contains(p, ".css") || strings.Contains(p, "woff") || strings.Contains(p, "bg.png") || strings.Contains(p, "o.gif") {
			t.Errorf("fetched %s", p)
		}
	}
	for _, g := range got {
		if g.Err != nil || g.Format != "png" {
			t.Errorf("loaded %+v", g)
		}
	}
}

func testPNG(t testing.TB) []byte {
	_, raw, _ := corpusDoc(t, "receipt.eml")
	m, _ := Parse(raw, nil)
	data, err := PartData(raw, m.InlinePart("logo@northwind.example"))
	if err != nil {
		t.Error(err)
	}
	return data
}

func TestRenderText(t *testing.T) {
	d := RenderText("Hi,\n\nsee <https://a.example/x>, and (https://b.example/y).\n> quoted\n>> deeper\n> > also deeper\nmailto:me@example.com\n")
	want := []struct {
		quote int
		text  string
	}{{0, "Hi,"}, {0, "see <https://a.example/x>, and (https://b.example/y)."}, {1, "quoted"}, {2, "deeper\nalso deeper"}, {0, "mailto:me@example.com"}}
	if len(d.Blocks) != len(want) {
		t.Fatalf("blocks %+v", d.Blocks)
	}
	for i, w := range want {
		if d.Blocks[i].Quote != w.quote || SpansText(d.Blocks[i].Spans) != w.text {
			t.Errorf("block %d: %d %q, want %d %q", i, d.Blocks[i].Quote, SpansText(d.Blocks[i].Spans), w.quote, w.text)
		}
	}
	var links []string
	for _, b := range d.Blocks {
		for _, s := range b.Spans {
			if s.Link != "" {
				links = append(links, s.Link)
			}
		}
	}
	if fmt.Sprint(links) != "[https://a.example/x https://b.example/y mailto:me@example.com]" {
		t.Errorf("links %v", links)
	}
}

func FuzzRenderHTML(f *testing.F) {
	files, _ := filepath.Glob("testdata/corpus/*.eml")
	for _, fn := range files {
		raw, _ := os.ReadFile(fn)
		if m, err := Parse(raw, nil); err == nil && m.HTML != "" {
			f.Add(m.HTML)
		}
	}
	for _, s := range []string{"", "<table><tr><td>a<td>b<tr><td><table><tr><td>c</table></table>",
		"<a href='https://a.example'><p>x<a href='https://b.example'>y</a></p></a>", "<pre>\n\n</pre><li>x<ol start=-5><li>",
		"<img src='data:image/png;base64,AAAA'><img src='cid:%zz'>", strings.Repeat("<div>", 3000) + "x",
		"<blockquote><blockquote><ul><li><pre>a\nb</pre></ul></blockquote>", "<b>\u202e\x00</b><br><br><br>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// A hang shows up as a crash, so the fuzzer keeps the input.
		watchdog := time.AfterFunc(60*time.Second, func() { panic(fmt.Sprintf("RenderHTML took over 60s on %d bytes", len(s))) })
		defer watchdog.Stop()
		d := RenderHTML(s)
		for _, b := range d.Blocks {
			for _, sp := range b.Spans {
				if sp.Link != "" && !strings.HasPrefix(sp.Link, "http://") && !strings.HasPrefix(sp.Link, "https://") && !strings.HasPrefix(sp.Link, "mailto:") {
					t.Fatalf("link %q", sp.Link)
				}
			}
			if b.Kind == BlockImage && b.Image == nil {
				t.Fatal("image block without image")
			}
		}
		_ = d.Text()
	})
}

func bigNewsletter(tb testing.TB) string {
	_, _, _ = corpusDoc(tb, "newsletter.eml")
	raw, _ := os.ReadFile("testdata/corpus/newsletter.eml")
	m, _ := Parse(raw, nil)
	body := m.HTML
	i := strings.Index(body, "<tr><td><h2>")
	j := strings.Index(body, "<tr><td style=\"font-size:11px\">")
	section := body[i:j]
	var b strings.Builder
	b.WriteString(body[:i])
	for b.Len() < 500_000 {
		b.WriteString(section)
	}
	b.WriteString(body[j:])
	return b.String()
}

func BenchmarkRenderNewsletter500K(b *testing.B) {
	s := bigNewsletter(b)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		RenderHTML(s)
	}
}
