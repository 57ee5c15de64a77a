package gui

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/gui/widgets"
	"github.com/ternmail/tern/message"
)

// maxBodyRunes bounds the text handed to the label; longer bodies are cut
// with a note, to keep the UI responsive (Fyne measures every row).
const maxBodyRunes = 100_000

type readerState int

const (
	readerEmpty readerState = iota
	readerLoading
	readerLoaded
	readerFailed
)

// reader is the right pane: the header block, attachments and the text of
// one message, loaded in a goroutine.
type reader struct {
	w    *MainWindow
	root *fyne.Container

	placeholder *widget.Label
	page        fyne.CanvasObject
	scroll      *container.Scroll
	subject     *widget.Label
	from        *widget.Label
	to          *widget.Label
	cc          *widget.Label
	date        *widget.Label
	toKey       *widget.Label
	ccKey       *widget.Label
	attachments *fyne.Container
	state       *widget.Label
	retryBtn    *widget.Button
	body        *widget.Label
	warnings    *widget.Label

	// rich text view of the body; body is the selectable plain view
	rich       *widget.RichText
	senderWarn *widget.Label
	remoteBar  *fyne.Container
	remoteText *widget.Label
	loadBtn    *widget.Button
	alwaysBtn  *widget.Button
	viewBtn    *widget.Button
	copyBtn    *widget.Button
	actions    *fyne.Container
	linkStatus *widget.Label
	hoverText  string // the link target linkStatus shows while hovered

	// the note above a body too long to show in full
	longNote                      *fyne.Container
	longText                      *widget.Label
	longBrowserBtn, longSourceBtn *widget.Button

	// find in message
	findBar   *fyne.Container
	findEntry *findEntry
	findCount *widget.Label
	find      *finder // nil when nothing is searched

	// the body (label and rich text) under a theme of its own, the
	// window's (scaled by the text size setting) at Scale 1
	bodyBox   *container.ThemeOverride
	bodyTheme *widgets.ScaledTheme

	calendar   *fyne.Container // invitation summaries
	detailsBtn *widget.Button
	sourceBtn  *widget.Button
	browserBtn *widget.Button
	browserDir string // private directory of "Open in browser" pages

	// The native dialogs and the browser, replaceable by tests.
	pickSaveFile func(name string, done func(fyne.URIWriteCloser))
	pickFolder   func(done func(dir string))
	openURL      func(*url.URL) error

	view      *app.ReaderView // the loaded message, nil while loading
	images    map[*message.Image]shownImage
	plainView bool // the selectable text is shown instead of the rich text
	remote    bool // remote content allowed for the shown message
	// loader resolves images off the UI goroutine.
	loader *message.ImageLoader

	msg    app.Message // the shown message, ID 0 when none
	st     readerState
	token  int
	cancel context.CancelFunc
}

func newReader(w *MainWindow) *reader {
	r := &reader{w: w}
	selectable := func() *widget.Label {
		return &widget.Label{Selectable: true, Wrapping: fyne.TextWrapWord}
	}
	key := func(s string) *widget.Label {
		return &widget.Label{Text: s, Importance: widget.LowImportance, Alignment: fyne.TextAlignTrailing}
	}
	r.subject = &widget.Label{Selectable: true, Wrapping: fyne.TextWrapWord, SizeName: theme.SizeNameSubHeadingText, TextStyle: fyne.TextStyle{Bold: true}}
	r.from, r.to, r.cc, r.date = selectable(), selectable(), selectable(), selectable()
	r.toKey, r.ccKey = key("To"), key("Cc")
	fields := container.New(layout.NewFormLayout(),
		key("From"), r.from,
		r.toKey, r.to,
		r.ccKey, r.cc,
		key("Date"), r.date,
	)
	r.attachments = container.NewVBox()
	r.state = &widget.Label{Wrapping: fyne.TextWrapWord}
	r.retryBtn = widget.NewButtonWithIcon("Retry", theme.ViewRefreshIcon(), r.retry)
	r.retryBtn.Hide()
	r.body = selectable()
	r.warnings = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.LowImportance, SizeName: theme.SizeNameCaptionText}
	r.warnings.Hide()
	r.loader = &message.ImageLoader{}
	r.rich = widget.NewRichText()
	r.rich.Wrapping = fyne.TextWrapWord
	r.rich.Hide()
	r.senderWarn = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance, TextStyle: fyne.TextStyle{Bold: true}}
	r.senderWarn.Hide()
	r.remoteText = &widget.Label{Wrapping: fyne.TextWrapWord}
	r.loadBtn = widget.NewButton("Load", r.loadRemote)
	r.alwaysBtn = widget.NewButton("Always for this sender", r.alwaysRemote)
	// The text wraps, so that the bar never makes the page wider than
	// the pane.
	r.remoteBar = container.NewBorder(nil, nil, widget.NewIcon(theme.VisibilityOffIcon()),
		container.NewVBox(container.NewHBox(r.loadBtn, r.alwaysBtn)), r.remoteText)
	r.remoteBar.Hide()
	r.viewBtn = widget.NewButtonWithIcon("Plain text", theme.DocumentIcon(), r.toggleView)
	r.copyBtn = widget.NewButtonWithIcon("Copy text", theme.ContentCopyIcon(), r.copyText)
	r.detailsBtn = widget.NewButtonWithIcon("Headers", theme.InfoIcon(), r.showHeaders)
	r.sourceBtn = widget.NewButtonWithIcon("Source", theme.FileTextIcon(), r.viewSource)
	r.browserBtn = widget.NewButtonWithIcon("Browser", theme.ComputerIcon(), r.openInBrowser)
	for _, b := range []*widget.Button{r.viewBtn, r.copyBtn, r.detailsBtn, r.sourceBtn, r.browserBtn} {
		b.Importance = widget.LowImportance
	}
	r.actions = container.NewHBox(r.viewBtn, r.copyBtn, r.detailsBtn, r.sourceBtn, r.browserBtn)
	r.actions.Hide()
	r.linkStatus = &widget.Label{Importance: widget.LowImportance, Truncation: fyne.TextTruncateEllipsis, SizeName: theme.SizeNameCaptionText}
	r.linkStatus.Hide()
	r.calendar = container.NewVBox()
	r.calendar.Hide()
	r.longNote = r.newLongNote()
	r.bodyTheme = &widgets.ScaledTheme{Base: func() fyne.Theme { return w.app.Settings().Theme() }, Scale: 1}
	r.bodyBox = container.NewThemeOverride(container.NewVBox(r.body, r.rich), r.bodyTheme)
	r.buildFindBar()
	content := container.NewVBox(
		r.subject, r.senderWarn, fields, r.attachments, r.remoteBar, r.calendar, r.actions, widget.NewSeparator(),
		r.state, container.NewHBox(r.retryBtn), r.longNote, r.bodyBox, r.warnings,
	)
	r.scroll = container.NewVScroll(content)
	r.page = container.NewBorder(r.findBar, r.linkStatus, nil, nil, r.scroll)
	r.pickSaveFile, r.pickFolder = r.nativeSaveFile, r.nativeFolder
	r.openURL = w.app.OpenURL
	r.addShortcuts()
	r.placeholder = &widget.Label{Text: "Select a message to read it.", Importance: widget.LowImportance}
	r.root = container.NewStack(container.NewCenter(r.placeholder))
	return r
}

func (r *reader) setPage(o fyne.CanvasObject) {
	r.root.Objects = []fyne.CanvasObject{o}
	r.root.Refresh()
}

// clear shows no message.
func (r *reader) clear() {
	r.stop()
	r.msg = app.Message{}
	r.st = readerEmpty
	r.setPage(container.NewCenter(r.placeholder))
}

func (r *reader) stop() {
	r.token++
	if r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
}

// show shows m's header at once and loads its body in a goroutine.
func (r *reader) show(m app.Message) {
	r.stop()
	r.msg = m
	r.st = readerLoading
	r.subject.SetText(subjectText(m.Subject))
	r.from.SetText(storeAddrs(m.From))
	r.setOptional(r.toKey, r.to, storeAddrs(m.To))
	r.setOptional(r.ccKey, r.cc, storeAddrs(m.Cc))
	date := m.Date
	if date.IsZero() {
		date = m.InternalDate
	}
	r.date.SetText(readerDate(date))
	trace("headers", m.ID)
	r.attachments.RemoveAll()
	r.body.SetText("")
	r.body.Hide()
	r.rich.Segments = nil
	r.rich.Hide()
	r.senderWarn.Hide()
	r.remoteBar.Hide()
	r.longNote.Hide()
	r.calendar.RemoveAll()
	r.calendar.Hide()
	r.actions.Hide()
	r.linkStatus.Hide()
	r.hoverText = ""
	if r.find != nil {
		r.find = &finder{query: r.find.query}
	}
	r.view, r.images, r.remote, r.plainView = nil, nil, false, false
	r.warnings.Hide()
	r.retryBtn.Hide()
	r.state.SetText("Loading…")
	r.state.Show()
	r.setPage(r.page)
	r.scroll.ScrollToTop()

	token := r.token
	ctx, cancel := context.WithTimeout(r.w.ctx, 2*time.Minute)
	r.cancel = cancel
	id := m.ID
	loader := r.loader
	r.w.spawn("open message", func() {
		view, err := r.w.core.OpenForReading(ctx, id)
		var imgs map[*message.Image]shownImage
		remote, plain := false, false
		if err == nil {
			remote, plain = senderChoices(r.settings(), view)
			imgs = loadImages(ctx, loader, view, remote)
		}
		r.w.do(func() {
			if token != r.token {
				return
			}
			cancel()
			r.cancel = nil
			if err != nil {
				r.fail(err)
				return
			}
			r.remote, r.plainView = remote, plain
			r.fillView(view, imgs)
		})
	})
}

func (r *reader) setOptional(key, value *widget.Label, text string) {
	value.SetText(text)
	if text == "" {
		key.Hide()
		value.Hide()
	} else {
		key.Show()
		value.Show()
	}
}

func (r *reader) fail(err error) {
	r.st = readerFailed
	var tl *app.TooLargeError
	if errors.As(err, &tl) { // trying again would not help
		r.state.SetText(tl.Error())
		r.state.Show()
		return
	}
	r.state.SetText("Could not load this message: " + err.Error())
	r.state.Show()
	r.retryBtn.Show()
}

// failed reports whether the shown message could not be loaded.
func (r *reader) failed() bool { return r.st == readerFailed }

// retry loads the shown message again.
func (r *reader) retry() {
	if r.msg.ID != 0 {
		r.show(r.msg)
	}
}

// fillView shows a loaded message.
func (r *reader) fillView(v *app.ReaderView, imgs map[*message.Image]shownImage) {
	r.view, r.images = v, imgs
	r.fill(v.Message)
	r.showSenderWarning(v.Senders)
	r.showEvents(v.Events)
	r.renderBody()
}

// fill shows a parsed message's header and attachments; renderBody
// shows its text.
func (r *reader) fill(pm *message.Message) {
	r.st = readerLoaded
	if pm.Subject != "" {
		r.subject.SetText(pm.Subject)
	}
	if len(pm.From) > 0 {
		r.from.SetText(msgAddrs(pm.From))
	}
	if len(pm.To) > 0 {
		r.setOptional(r.toKey, r.to, msgAddrs(pm.To))
	}
	if len(pm.Cc) > 0 {
		r.setOptional(r.ccKey, r.cc, msgAddrs(pm.Cc))
	}
	if !pm.Date.IsZero() {
		r.date.SetText(readerDate(pm.Date))
	}
	r.fillAttachments(pm)
	r.state.Hide()
	if len(pm.Warnings) > 0 {
		r.warnings.SetText("Note: " + strings.Join(pm.Warnings, "; "))
		r.warnings.Show()
	}
}

// bodyText is the text the reader shows for pm.
func bodyText(pm *message.Message) string {
	text := strings.TrimRight(pm.Text, "\n ")
	if text == "" {
		if pm.HTML != "" {
			return "(This message has no plain text, and its HTML version holds no words: open it in the browser to see it as sent.)"
		}
		return "(This message has no text.)"
	}
	if utf8.RuneCountInString(text) > maxBodyRunes {
		cut := 0
		for i := range text {
			if cut == maxBodyRunes {
				text = text[:i]
				break
			}
			cut++
		}
		text += "\n\n[… the rest of this very long message is not shown]"
	}
	return text
}

func storeAddrs(a []app.Address) string {
	s := make([]string, len(a))
	for i, x := range a {
		s[i] = x.String()
	}
	return strings.Join(s, ", ")
}

func msgAddrs(a []message.Address) string {
	s := make([]string, len(a))
	for i, x := range a {
		s[i] = x.String()
	}
	return strings.Join(s, ", ")
}
