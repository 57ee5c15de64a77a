package gui

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/gui/widgets"
)

// corpusNow reads a message of message/testdata with today's date, so
// that it sorts at the top of the demo inbox.
func corpusNow(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "message", "testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(raw), "\n", 30)
	for i, l := range lines {
		if strings.HasPrefix(l, "Date: ") {
			lines[i] = "Date: " + time.Now().Format(time.RFC1123Z) + "\r"
			break
		}
	}
	return []byte(strings.Join(lines, "\n"))
}

// attachmentsMail has attachments with clashing and unsafe names.
var attachmentsMail = "From: Ann <ann@example.org>\r\nTo: demo@tern.example\r\nSubject: Files for you\r\nDate: %DATE%\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n" +
	att("report.pdf", "application/pdf", "PDF ONE") + att("report.pdf", "application/pdf", "PDF TWO") +
	att("../../.bashrc", "text/plain", "evil") + att("CON.txt", "text/plain", "con") + "--b--\r\n"

func att(name, ct, data string) string {
	return "--b\r\nContent-Type: " + ct + "\r\nContent-Disposition: attachment; filename=\"" + name + "\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString([]byte(data)) + "\r\n"
}

func shortcut(h *harness, key fyne.KeyName, mod fyne.KeyModifier) {
	h.w.win.Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(&desktop.CustomShortcut{KeyName: key, Modifier: mod})
}

// marks returns the find matches drawn.
func marks(r *reader) (all, current int) {
	for _, s := range richSegments(r) {
		if m, ok := s.(*markSegment); ok {
			all++
			if m.current {
				current++
			}
		}
	}
	return all, current
}

func TestReaderTools(t *testing.T) {
	// A big raw message with a short body: its source is cut.
	big := "From: Big <big@example.org>\r\nTo: demo@tern.example\r\nSubject: Huge message\r\nDate: %DATE%\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nBig file.\r\n" +
		att("big.bin", "application/octet-stream", strings.Repeat("0123456789abcdef", 16<<10)) + "--b--\r\n"
	h := newReaderHarness(t, corpusNow(t, "corpus/newsletter.eml"), corpusNow(t, "calendar.eml"), corpusNow(t, "tnef.eml"),
		withDate(attachmentsMail), withDate(big))
	h.startDemo()
	r := h.w.reader
	var opened []string
	r.openURL = func(u *url.URL) error { opened = append(opened, u.String()); return nil }
	mod := fyne.KeyModifierShortcutDefault

	// Find: Ctrl+F, type, Enter for the next match, Escape closes.
	h.openBySubject("This week: tides, lighthouses and a recipe")
	shortcut(h, fyne.KeyF, mod)
	if !r.findBar.Visible() || h.w.win.Canvas().Focused() != r.findEntry {
		t.Fatal("find bar not shown and focused")
	}
	test.Type(r.findEntry, "TIDE")
	all, cur := marks(r)
	if r.find == nil || r.find.n < 2 || all < 2 || cur != 1 || r.findCount.Text != fmt.Sprintf("1 of %d", r.find.n) {
		t.Fatalf("find: %d marks, %d current, %q", all, cur, r.findCount.Text)
	}
	r.findEntry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if r.findCount.Text != fmt.Sprintf("2 of %d", r.find.n) {
		t.Errorf("after Enter: %q", r.findCount.Text)
	}
	r.findEntry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if r.findBar.Visible() || r.find != nil {
		t.Error("Escape did not close the find bar")
	}
	if all, _ := marks(r); all != 0 {
		t.Errorf("%d marks after closing", all)
	}
	// In the plain view too.
	test.Tap(r.viewBtn)
	shortcut(h, fyne.KeyF, mod)
	if !r.rich.Visible() || r.body.Visible() {
		t.Error("plain view not searchable")
	}
	if all, _ := marks(r); all == 0 || r.findCount.Text == "No matches" {
		t.Errorf("plain view: %d marks, %q", all, r.findCount.Text)
	}
	r.findEntry.SetText("no such words anywhere")
	if r.findCount.Text != "No matches" {
		t.Errorf("count %q", r.findCount.Text)
	}
	r.closeFind()
	test.Tap(r.viewBtn)

	// Zoom: Ctrl+= and Ctrl+- scale the text of the whole window, the
	// body's too; Ctrl+0 resets.
	base := r.bodyTheme.Size("text") / r.bodyTheme.Scale
	shortcut(h, fyne.KeyEqual, mod)
	shortcut(h, fyne.KeyEqual, mod)
	if z := h.w.theme.textScale(); z < 1.19 || z > 1.21 || r.bodyTheme.Size("text") != base*1.2 {
		t.Errorf("text scale %v, body text %v", z, r.bodyTheme.Size("text"))
	}
	var sizes []float32
	for _, o := range test.LaidOutObjects(r.rich) {
		if l, ok := o.(*widgets.HoverLink); ok {
			sizes = append(sizes, l.Theme().Size("text"))
		}
	}
	if len(sizes) == 0 || sizes[0] != base*1.2 {
		t.Errorf("link text sizes %v, want %v", sizes, base*1.2)
	}
	shortcut(h, fyne.KeyMinus, mod)
	shortcut(h, fyne.Key0, mod)
	if z := h.w.theme.textScale(); z != 1 {
		t.Errorf("text scale %v after reset", z)
	}

	// Links show their target on hover; tapping opens it.
	var link *widgets.HoverLink
	for _, o := range test.LaidOutObjects(r.rich) {
		if l, ok := o.(*widgets.HoverLink); ok && l.Text == "Read the full story" {
			link = l
		}
	}
	if link == nil {
		t.Fatal("no hover link")
	}
	link.MouseIn(&desktop.MouseEvent{})
	if !r.linkStatus.Visible() || r.linkStatus.Text != "→ https://harborweekly.example/r/tides" {
		t.Errorf("hover status %v %q", r.linkStatus.Visible(), r.linkStatus.Text)
	}
	link.MouseOut()
	if r.linkStatus.Visible() {
		t.Error("status still shown after the pointer left")
	}
	test.TapAt(link, fyne.NewPos(link.Size().Width/2, link.Size().Height/2))
	if len(opened) != 1 || opened[0] != "https://harborweekly.example/r/tides" {
		t.Errorf("opened %v", opened)
	}

	// Headers and source.
	test.Tap(r.detailsBtn)
	headers := monospaceLabel(h.w.Window().Canvas().Overlays().Top())
	if headers == nil || !strings.Contains(headers.Text, "Subject: This week: tides") || !strings.Contains(headers.Text, "Content-Type: text/html") {
		t.Errorf("headers %v", headers)
	}
	test.Tap(r.sourceBtn)
	var source fyne.Window
	h.waitFor("the source window", func() bool { source = h.windowTitled("Source — "); return source != nil })
	if l := monospaceLabel(source.Content()); l == nil || !l.Selectable || !strings.Contains(l.Text, ">Tides of March</h1>") ||
		strings.Contains(l.Text, "\r") {
		t.Errorf("source %v", l)
	}
	source.Close()

	// Open in browser: a private page without remote references.
	n := len(opened)
	test.Tap(r.browserBtn)
	h.waitFor("the browser", func() bool { return len(opened) == n+1 })
	u, _ := url.Parse(opened[n])
	if u.Scheme != "file" {
		t.Fatalf("opened %v", opened[n])
	}
	st, err := os.Stat(u.Path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("page %v %v", st, err)
	}
	if dst, err := os.Stat(filepath.Dir(u.Path)); err != nil || dst.Mode().Perm() != 0o700 {
		t.Errorf("page dir %v %v", dst, err)
	}
	page, _ := os.ReadFile(u.Path)
	if !strings.Contains(string(page), "Tides of March") || strings.Contains(string(page), `src="https:`) || !strings.Contains(string(page), "Content-Security-Policy") {
		t.Errorf("page %.300s", page)
	}

	// A huge message's source is cut, with a note.
	h.openBySubject("Huge message")
	shortcut(h, fyne.KeyU, mod)
	h.waitFor("the source window", func() bool { source = h.windowTitled("Source — Huge message"); return source != nil })
	l, note := monospaceLabel(source.Content()), labelWithPrefix(source.Content(), "Showing the first")
	if l == nil || len(l.Text) > maxSourceShown || note == nil {
		t.Errorf("huge source: %v, note %v", l, note)
	}
	source.Close()

	// A calendar invitation is summarized above the body.
	h.openBySubject("Invitation: Quarterly planning")
	if !r.calendar.Visible() {
		t.Fatal("no invitation summary")
	}
	text := strings.Join(labelTexts(r.calendar), "|")
	for _, want := range []string{"Invitation: Quarterly planning, Q2", "Room Fjord; 3rd floor", "Raman, Priya <priya@example.org>", "Europe/Berlin", "2 people invited"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q: %s", want, text)
		}
	}

	// winmail.dat lists the files inside it.
	h.openBySubject("Figures (winmail.dat)")
	if r.calendar.Visible() {
		t.Error("stale invitation summary")
	}
	text = strings.Join(labelTexts(r.attachments), "|")
	for _, want := range []string{"winmail.dat", "↳ Quarterly report – Q1.pdf  ·  13 B", "↳ notes.txt", "↳ café.doc", "↳ evil.exe"} {
		if !strings.Contains(text, want) {
			t.Errorf("attachments lack %q: %s", want, text)
		}
	}

	// Save and Save all write sanitized, unique names.
	h.openBySubject("Files for you")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "report.pdf"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.pickFolder = func(done func(string)) { done(dir) }
	var saveAll *widget.Button
	for _, o := range test.LaidOutObjects(r.attachments) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Save all" {
			saveAll = b
		}
	}
	if saveAll == nil {
		t.Fatal("no Save all button")
	}
	test.Tap(saveAll)
	h.waitFor("the saved files", func() bool { return strings.HasPrefix(r.linkStatus.Text, "Saved 4 attachments") })
	want := map[string]string{"report.pdf": "mine", "report (2).pdf": "PDF ONE", "report (3).pdf": "PDF TWO", "bashrc": "evil", "_CON.txt": "con"}
	checkDir(t, dir, want)

	// Save one through the (replaced) file dialog.
	dir2 := t.TempDir()
	var asked string
	r.pickSaveFile = func(name string, done func(fyne.URIWriteCloser)) {
		asked = name
		w, err := storage.Writer(storage.NewFileURI(filepath.Join(dir2, name)))
		if err != nil {
			t.Error(err)
			return
		}
		done(w)
	}
	var saveBtns []*widget.Button
	for _, o := range test.LaidOutObjects(r.attachments) {
		if b, ok := o.(*widget.Button); ok && b.Text == "" && b.Icon != nil && b.Icon.Name() == theme.DocumentSaveIcon().Name() {
			saveBtns = append(saveBtns, b)
		}
	}
	if len(saveBtns) != 4 {
		t.Fatalf("%d save buttons", len(saveBtns))
	}
	test.Tap(saveBtns[2])
	h.waitFor("the saved file", func() bool { return strings.HasPrefix(r.linkStatus.Text, "Saved bashrc") })
	if asked != "bashrc" {
		t.Errorf("dialog asked for %q", asked)
	}
	checkDir(t, dir2, map[string]string{"bashrc": "evil"})
}

func checkDir(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(want) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files %q, want %d", names, len(want))
	}
	for name, content := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(b) != content {
			t.Errorf("%s: %q %v, want %q", name, b, err, content)
		}
	}
}

// labelTexts returns the texts of the labels under o.
func labelTexts(o fyne.CanvasObject) []string {
	var out []string
	for _, x := range test.LaidOutObjects(o) {
		if l, ok := x.(*widget.Label); ok && l.Visible() {
			out = append(out, l.Text)
		}
	}
	return out
}
