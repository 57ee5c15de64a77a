package gui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/message"
)

// draftPause is how long typing must pause before the draft is saved.
const draftPause = 1500 * time.Millisecond

// maxSuggestions bounds the autocomplete suggestions shown.
const maxSuggestions = 6

// composeState is everything a composer holds, as a plain value: what a
// draft saves, and what an undone send reopens.
type composeState struct {
	Account     string
	DraftID     int64
	From        string // "Name <email>"
	To, Cc, Bcc string
	Subject     string
	Body        string
	InReplyTo   string
	References  []string
	SourceID    int64
	Attachments []message.DraftAttachment
}

func (s *composeState) storeDraft() *app.Draft {
	d := &app.Draft{ID: s.DraftID, Account: s.Account, From: s.From, To: s.To, Cc: s.Cc, Bcc: s.Bcc,
		Subject: s.Subject, Body: s.Body, InReplyTo: s.InReplyTo, References: s.References, SourceID: s.SourceID}
	for _, a := range s.Attachments {
		d.Attachments = append(d.Attachments, app.DraftFile{Filename: a.Filename, ContentType: a.ContentType, Data: a.Data})
	}
	return d
}

func stateFromDraft(d app.Draft) composeState {
	s := composeState{Account: d.Account, DraftID: d.ID, From: d.From, To: d.To, Cc: d.Cc, Bcc: d.Bcc,
		Subject: d.Subject, Body: d.Body, InReplyTo: d.InReplyTo, References: d.References, SourceID: d.SourceID}
	for _, f := range d.Attachments {
		s.Attachments = append(s.Attachments, message.DraftAttachment{Filename: f.Filename, ContentType: f.ContentType, Data: f.Data})
	}
	return s
}

// formatAddress returns a as the user would type it, quoting the name
// when it has characters that would split it.
func formatAddress(a message.Address) string {
	if a.Name == "" {
		return a.Email
	}
	name := a.Name
	if strings.ContainsAny(name, `,;<>@"()[]:\.`) {
		name = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
	}
	return name + " <" + a.Email + ">"
}

func formatAddresses(list []message.Address) string {
	s := make([]string, len(list))
	for i, a := range list {
		s[i] = formatAddress(a)
	}
	return strings.Join(s, ", ")
}

// composer is one message being written, in its own window. Its methods
// run on the UI goroutine.
type composer struct {
	cs    *composers
	w     *MainWindow
	win   fyne.Window
	state composeState // the fields not in widgets: account, IDs, threading, attachments

	from        *widget.Select
	fromChoices []app.FromChoice
	signature   string // the signature block now in the body, "" if none
	to, cc, bcc *addressEntry
	subject     *composerEntry
	body        *bodyEditor
	suggest     *fyne.Container
	suggestFor  *addressEntry
	suggestGen  int
	attsBox     *fyne.Container
	sizeWarn    *widget.Label
	errLabel    *widget.Label
	sendBtn     *widget.Button
	confirm     dialog.Dialog // the open "discard?" question, nil if none: it is asked once at a time
	later       dialog.Dialog // the open "send later" question, nil if none: it is asked once at a time
	laterEntry  *widget.Entry
	laterErr    *widget.Label

	loading bool // setting fields, not the user typing
	closed  bool // the window is closed

	// autosave says when the draft is saved; the composer reports its
	// events to it and performs the saves. Embedded: outboxview.go sets
	// its changed, unsaved and attsChanged as c.changed… (Reopened is the
	// event for that).
	autosave
}

// composerEntry is a single-line Entry that hands the composer's keys and
// shortcuts (Escape, Ctrl+Enter, Ctrl+S) to it.
type composerEntry struct {
	widget.Entry
	c     *composer
	onKey func(*fyne.KeyEvent) bool
}

func newComposerEntry(c *composer, placeholder string) *composerEntry {
	e := &composerEntry{c: c}
	e.PlaceHolder = placeholder
	e.ExtendBaseWidget(e)
	return e
}

func (e *composerEntry) TypedKey(ev *fyne.KeyEvent) {
	if e.onKey != nil && e.onKey(ev) {
		return
	}
	if e.c.key(ev) {
		return
	}
	e.Entry.TypedKey(ev)
}

func (e *composerEntry) TypedShortcut(s fyne.Shortcut) {
	if e.c.shortcut(s) {
		return
	}
	e.Entry.TypedShortcut(s)
}

// addressEntry is a recipients field with autocomplete.
type addressEntry = composerEntry

// openComposer opens a composer window for st.
func (cs *composers) openComposer(st composeState, fresh bool) *composer {
	w := cs.w
	c := &composer{cs: cs, w: w, state: st}
	c.autosave = newAutosave(draftPause, c.afterPause, c.startSave, c.deleteDraft)
	c.win = w.app.NewWindow(composerTitle(st.Subject))
	c.win.Resize(fyne.NewSize(760, 640))

	c.fromChoices = w.core.FromChoices(st.Account)
	var opts []string
	for _, fc := range c.fromChoices {
		opts = append(opts, formatAddress(fc.Address))
	}
	if st.From != "" && !contains(opts, st.From) {
		opts = append(opts, st.From)
	}
	c.from = widget.NewSelect(opts, func(string) { c.fromChanged() })
	c.to = c.newAddressEntry("To")
	c.cc = c.newAddressEntry("Cc")
	c.bcc = c.newAddressEntry("Bcc")
	c.subject = newComposerEntry(c, "Subject")
	c.subject.OnChanged = func(s string) {
		c.win.SetTitle(composerTitle(s))
		c.edited()
	}
	c.body = newBodyEditor(func() fyne.Canvas {
		if c.win == nil {
			return nil
		}
		return c.win.Canvas()
	}, w.do)
	c.body.onChanged = c.edited
	c.body.onKey = c.key
	c.body.onShortcut = c.shortcut
	c.suggest = container.NewVBox()
	c.attsBox = container.NewVBox()
	c.sizeWarn = &widget.Label{Importance: widget.WarningImportance, Wrapping: fyne.TextWrapWord}
	c.sizeWarn.Hide()
	c.errLabel = &widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord}
	c.errLabel.Hide()

	c.sendBtn = widget.NewButtonWithIcon("Send", theme.MailSendIcon(), c.send)
	c.sendBtn.Importance = widget.HighImportance
	laterBtn := widget.NewButtonWithIcon("Send later…", theme.HistoryIcon(), c.askSendLater)
	saveBtn := widget.NewButtonWithIcon("Save draft", theme.DocumentSaveIcon(), func() { c.save() })
	attachBtn := widget.NewButtonWithIcon("Attach…", theme.ContentAddIcon(), c.chooseFile)
	discardBtn := widget.NewButtonWithIcon("Discard", theme.DeleteIcon(), c.askDiscard)
	for _, b := range []*widget.Button{laterBtn, saveBtn, attachBtn, discardBtn} {
		b.Importance = widget.LowImportance
	}
	bar := container.NewHBox(c.sendBtn, laterBtn, saveBtn, attachBtn, discardBtn)
	form := widget.NewForm(
		widget.NewFormItem("From", c.from),
		widget.NewFormItem("To", c.to),
		widget.NewFormItem("Cc", c.cc),
		widget.NewFormItem("Bcc", c.bcc),
		widget.NewFormItem("Subject", c.subject),
	)
	top := container.NewVBox(bar, widget.NewSeparator(), form, c.suggest, c.attsBox, c.sizeWarn, c.errLabel)
	c.win.SetContent(container.NewBorder(top, nil, nil, nil, c.body.root))

	send := func(fyne.Shortcut) { c.send() }
	save := func(fyne.Shortcut) { c.save() }
	for _, k := range []fyne.KeyName{fyne.KeyReturn, fyne.KeyEnter} {
		c.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}, send)
	}
	c.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault}, save)
	c.win.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) { c.key(ev) })
	c.win.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) { c.addFiles(uris) })
	c.win.SetCloseIntercept(c.closeAndSave)

	c.fill(st, fresh)
	c.learnSizeLimit()
	cs.open = append(cs.open, c)
	c.win.Show()
	if st.To == "" {
		c.win.Canvas().Focus(c.to)
	} else {
		c.body.Focus()
	}
	return c
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func composerTitle(subject string) string {
	if strings.TrimSpace(subject) == "" {
		return "New message"
	}
	return oneLine(subject)
}

// fill sets the widgets from st; fresh adds the identity's signature.
func (c *composer) fill(st composeState, fresh bool) {
	c.loading = true
	defer func() { c.loading = false }()
	if st.From == "" && len(c.fromChoices) > 0 {
		st.From = formatAddress(c.fromChoices[0].Address)
	}
	c.from.SetSelected(st.From)
	c.to.SetText(st.To)
	c.cc.SetText(st.Cc)
	c.bcc.SetText(st.Bcc)
	c.subject.SetText(st.Subject)
	body := st.Body
	if fresh {
		if sig := c.choiceSignature(st.From); sig != "" {
			c.signature = signatureBlock(sig)
			body = insertSignature(body, c.signature)
		}
	}
	c.body.SetText(body)
	c.refreshAttachments()
}

func (c *composer) choiceSignature(from string) string {
	for _, fc := range c.fromChoices {
		if formatAddress(fc.Address) == from {
			return strings.TrimRight(fc.Signature, "\n")
		}
	}
	return ""
}

// choiceReplyTo is the reply-to address of the identity from sends as.
func (c *composer) choiceReplyTo(from string) string {
	for _, fc := range c.fromChoices {
		if formatAddress(fc.Address) == from {
			return fc.ReplyTo
		}
	}
	return ""
}

// signatureBlock is the "-- " separator line and the signature.
func signatureBlock(sig string) string { return "-- \n" + sig + "\n" }

// insertSignature puts the block below the user's text: before a quote or
// forwarded message, or at the end.
func insertSignature(body, block string) string {
	if strings.HasPrefix(body, "\n\n") {
		return "\n\n" + block + body[1:]
	}
	if body == "" {
		return "\n\n" + block
	}
	return body + "\n" + block
}

// fromChanged swaps the signature for the new identity's.
func (c *composer) fromChanged() {
	if c.loading {
		return
	}
	sig := c.choiceSignature(c.from.Selected)
	block := ""
	if sig != "" {
		block = signatureBlock(sig)
	}
	if block != c.signature {
		text := c.body.Text()
		switch {
		case c.signature != "" && strings.Contains(text, c.signature):
			text = strings.Replace(text, c.signature, block, 1)
		case c.signature == "" && block != "":
			text = insertSignature(text, block)
		}
		c.signature = block
		c.body.SetText(text)
	}
	c.edited()
}

func (c *composer) newAddressEntry(placeholder string) *addressEntry {
	e := newComposerEntry(c, "")
	_ = placeholder
	e.OnChanged = func(string) {
		c.edited()
		c.lookup(e)
	}
	e.onKey = func(ev *fyne.KeyEvent) bool {
		if c.suggestFor != e || len(c.suggest.Objects) == 0 {
			return false
		}
		switch ev.Name {
		case fyne.KeyReturn, fyne.KeyEnter:
			c.suggest.Objects[0].(*widget.Button).OnTapped()
			return true
		case fyne.KeyEscape:
			c.hideSuggestions()
			return true
		}
		return false
	}
	return e
}

// lookup asks the store for addresses that complete the last one typed in
// e, off the UI goroutine.
func (c *composer) lookup(e *addressEntry) {
	if c.loading {
		return
	}
	c.suggestGen++
	gen := c.suggestGen
	text := e.Text
	prefix := strings.TrimSpace(text[strings.LastIndexAny(text, ",;")+1:])
	if prefix == "" {
		c.hideSuggestions()
		return
	}
	account := c.state.Account
	c.w.spawn("address lookup", func() {
		ctx, cancel := context.WithTimeout(c.w.ctx, 5*time.Second)
		defer cancel()
		list, err := c.w.core.RecentAddresses(ctx, account, prefix, maxSuggestions+4)
		c.w.do(func() {
			if gen != c.suggestGen || c.closed {
				return
			}
			if err != nil {
				c.w.logf("gui: address lookup: %v", err)
				return
			}
			c.showSuggestions(e, list)
		})
	})
}

func (c *composer) showSuggestions(e *addressEntry, list []app.RecentAddress) {
	present := map[string]bool{}
	for _, a := range message.ParseAddressList(e.Text) {
		present[strings.ToLower(a.Email)] = true
	}
	for _, own := range c.w.core.OwnAddresses(c.state.Account) {
		present[strings.ToLower(own)] = true
	}
	var objs []fyne.CanvasObject
	for _, ra := range list {
		if present[strings.ToLower(ra.Email)] || len(objs) == maxSuggestions {
			continue
		}
		addr := message.Address{Name: ra.Name, Email: ra.Email}
		b := widget.NewButtonWithIcon(formatAddress(addr), theme.AccountIcon(), func() { c.complete(e, addr) })
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.LowImportance
		objs = append(objs, b)
	}
	c.suggestFor = e
	c.suggest.Objects = objs
	c.suggest.Refresh()
}

func (c *composer) hideSuggestions() {
	c.suggestGen++
	c.suggestFor = nil
	if len(c.suggest.Objects) > 0 {
		c.suggest.Objects = nil
		c.suggest.Refresh()
	}
}

// complete replaces the address being typed in e with a.
func (c *composer) complete(e *addressEntry, a message.Address) {
	text := e.Text
	head := text[:strings.LastIndexAny(text, ",;")+1]
	if head != "" {
		head += " "
	}
	e.SetText(head + formatAddress(a) + ", ")
	e.CursorColumn = len([]rune(e.Text))
	e.Refresh()
	c.hideSuggestions()
	c.win.Canvas().Focus(e)
}

// key handles the composer's keys; true means handled.
func (c *composer) key(ev *fyne.KeyEvent) bool {
	if ev.Name == fyne.KeyEscape {
		c.escape()
		return true
	}
	return false
}

// shortcut handles Ctrl+Enter (send) and Ctrl+S (save).
func (c *composer) shortcut(s fyne.Shortcut) bool {
	cs, ok := s.(*desktop.CustomShortcut)
	if !ok || cs.Modifier != fyne.KeyModifierShortcutDefault {
		return false
	}
	switch cs.KeyName {
	case fyne.KeyReturn, fyne.KeyEnter:
		c.send()
		return true
	case fyne.KeyS:
		c.save()
		return true
	}
	return false
}

// edited notes a change by the user: the draft is saved after a pause.
func (c *composer) edited() {
	if c.loading {
		return
	}
	c.autosave.Edited()
}

// afterPause is the autosave's clock: it runs f on the UI goroutine after
// d, unless stopped first.
func (c *composer) afterPause(d time.Duration, f func()) (stop func()) {
	t := time.AfterFunc(d, func() { c.w.do(f) })
	return func() { t.Stop() }
}

// filesEdited notes that the user added or removed an attachment.
func (c *composer) filesEdited() {
	if c.loading {
		return
	}
	c.autosave.FilesEdited()
}

// snapshot returns the composer's state.
func (c *composer) snapshot() composeState {
	st := c.state
	st.From = c.from.Selected
	st.To, st.Cc, st.Bcc = c.to.Text, c.cc.Text, c.bcc.Text
	st.Subject = c.subject.Text
	st.Body = c.body.Text()
	st.Attachments = append([]message.DraftAttachment(nil), c.state.Attachments...)
	return st
}

// save saves the draft now, or after the save running (Ctrl+S, the Save
// button).
func (c *composer) save() { c.autosave.Save() }

// startSave saves the draft locally, off the UI goroutine, and reports
// the end to the autosave; it returns whether the attachments are saved
// too (when they changed, and in a draft's first save).
func (c *composer) startSave(filesChanged bool) (withFiles bool) {
	st := c.snapshot()
	withFiles = filesChanged || st.DraftID == 0
	c.w.spawn("save draft", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		id, err := c.w.core.SaveDraft(ctx, st.storeDraft(), withFiles)
		if errors.Is(err, app.ErrNotFound) { // deleted meanwhile: save anew
			st.DraftID = 0
			id, err = c.w.core.SaveDraft(ctx, st.storeDraft(), true)
		}
		c.w.do(func() {
			if err != nil {
				c.showError("Could not save the draft: " + err.Error())
			} else {
				c.state.DraftID = id
			}
			c.autosave.SaveDone(err)
		})
	})
	return withFiles
}

// deleteDraft deletes the saved draft, off the UI goroutine.
func (c *composer) deleteDraft() {
	id := c.state.DraftID
	if id == 0 {
		return
	}
	c.state.DraftID = 0
	c.w.spawn("delete draft", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.w.core.DeleteDraft(ctx, id); err != nil {
			c.w.logf("gui: delete draft %d: %v", id, err)
		}
	})
}

func (c *composer) showError(msg string) {
	c.errLabel.SetText(msg)
	if msg == "" {
		c.errLabel.Hide()
	} else {
		c.errLabel.Show()
	}
}

// draft turns the fields into a message draft, or says what is wrong.
func (c *composer) draft() (*message.Draft, error) {
	d := &message.Draft{Subject: c.subject.Text, Text: c.body.Text(), InReplyTo: c.state.InReplyTo,
		References: c.state.References, Attachments: c.state.Attachments}
	from, err := message.ParseAddresses(c.from.Selected)
	if err != nil || len(from) != 1 {
		return nil, errors.New("choose the address to send from")
	}
	d.From = from[0]
	if rt := c.choiceReplyTo(c.from.Selected); rt != "" {
		d.ReplyTo = []message.Address{{Email: rt}}
	}
	for _, f := range []struct {
		name string
		e    *addressEntry
		dst  *[]message.Address
	}{{"To", c.to, &d.To}, {"Cc", c.cc, &d.Cc}, {"Bcc", c.bcc, &d.Bcc}} {
		list, err := message.ParseAddresses(strings.TrimRight(strings.TrimSpace(f.e.Text), ",;"))
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a list of email addresses", f.name, f.e.Text)
		}
		*f.dst = list
	}
	if len(d.Recipients()) == 0 {
		return nil, errors.New("add at least one recipient")
	}
	return d, nil
}

// send queues the message and closes the composer; the status bar offers
// to undo it for the outbox's undo window.
func (c *composer) send() { c.sendAt(time.Time{}) }

// askSendLater asks when to send the message, then queues it for then.
func (c *composer) askSendLater() {
	if c.autosave.IsFinished() || c.sendBtn.Disabled() || c.later != nil {
		return
	}
	if _, err := c.draft(); err != nil {
		c.showError("Cannot send: " + err.Error())
		return
	}
	c.laterEntry = widget.NewEntry()
	c.laterEntry.SetText(time.Now().Add(time.Hour).Format("15:04"))
	c.laterEntry.SetPlaceHolder("HH:MM or YYYY-MM-DD HH:MM")
	c.laterErr = &widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord}
	c.laterErr.Hide()
	content := container.NewVBox(widget.NewLabel("Send at (HH:MM, or YYYY-MM-DD HH:MM):"), c.laterEntry, c.laterErr)
	var d *dialog.CustomDialog
	schedule := widget.NewButtonWithIcon("Schedule", theme.MailSendIcon(), func() {
		at, err := app.ParseSendTime(c.laterEntry.Text, time.Now())
		if err != nil {
			c.laterErr.SetText(err.Error())
			c.laterErr.Show()
			return
		}
		d.Hide()
		c.sendAt(at)
	})
	schedule.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { d.Hide() })
	d = dialog.NewCustomWithoutButtons("Send later", content, c.win)
	d.SetButtons([]fyne.CanvasObject{cancel, schedule})
	d.SetOnClosed(func() { c.later = nil })
	c.later = d
	d.Show()
	c.win.Canvas().Focus(c.laterEntry)
}

// sendAt queues the message, to be sent at at (zero: now, after the undo
// window), and closes the composer.
func (c *composer) sendAt(at time.Time) {
	if c.autosave.IsFinished() || c.sendBtn.Disabled() {
		return
	}
	d, err := c.draft()
	if err != nil {
		c.showError("Cannot send: " + err.Error())
		return
	}
	c.showError("")
	c.sendBtn.Disable()
	st := c.snapshot()
	account := c.state.Account
	c.w.spawn("send", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var opts *app.SendOptions
		if !at.IsZero() {
			opts = &app.SendOptions{At: at}
		}
		it, err := c.w.core.Send(ctx, account, d, opts)
		c.w.do(func() {
			c.sendBtn.Enable()
			if err != nil {
				c.showError("Cannot send: " + sendErrorText(err))
				return
			}
			c.finish()
			c.deleteDraft() // the draft a save running wrote before; finish deleted it otherwise
			st.DraftID = 0
			c.cs.sent(it, st)
			if !at.IsZero() {
				c.cs.label.SetText("“" + oneLine(subjectText(st.Subject)) + "” will be sent at " + at.Format("Mon 2 Jan 15:04") + ".")
			}
		})
	})
}

// sendErrorText explains err in the user's words.
func sendErrorText(err error) string {
	var he *message.HeaderError
	if errors.As(err, &he) {
		switch {
		case strings.Contains(he.Reason, "line break"):
			return fmt.Sprintf("the %s contains a line break; remove it", strings.ToLower(he.Field))
		case strings.Contains(he.Reason, "control character"):
			return fmt.Sprintf("the %s contains an invisible control character; remove it", strings.ToLower(he.Field))
		}
	}
	return err.Error()
}

// finish ends the composer (sent or discarded): the autosave deletes the
// draft, and the window closes.
func (c *composer) finish() {
	c.autosave.Finished()
	c.close()
}

func (c *composer) close() {
	if c.closed {
		return
	}
	c.closed = true
	c.autosave.Closed()
	c.cs.forget(c)
	c.win.Close()
}

// closeAndSave closes the window, saving the draft if it changed.
func (c *composer) closeAndSave() {
	c.autosave.Closing()
	c.close()
}

// escape closes an unchanged composer, and asks before discarding a
// changed one.
func (c *composer) escape() {
	if c.suggestFor != nil && len(c.suggest.Objects) > 0 {
		c.hideSuggestions()
		return
	}
	if !c.autosave.Changed() {
		c.close()
		return
	}
	c.askDiscard()
}

// askDiscard asks whether to throw the message away.
func (c *composer) askDiscard() {
	if !c.autosave.Changed() && c.state.DraftID == 0 {
		c.discard()
		return
	}
	if c.confirm != nil {
		return
	}
	d := dialog.NewConfirm("Discard this message?", "The draft will be deleted.", func(ok bool) {
		c.confirm = nil
		if ok {
			c.discard()
		}
	}, c.win)
	d.SetConfirmText("Discard")
	d.SetDismissText("Keep editing")
	c.confirm = d
	d.Show()
}

// discard deletes the draft (once a save running ends) and closes the
// composer.
func (c *composer) discard() { c.finish() }

// chooseFile opens the file dialog to attach a file.
func (c *composer) chooseFile() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		rc.Close()
		c.addFiles([]fyne.URI{rc.URI()})
	}, c.win)
	d.Resize(fyne.NewSize(700, 500))
	d.Show()
}

// addFiles reads files off the UI goroutine and attaches them.
func (c *composer) addFiles(uris []fyne.URI) {
	if len(uris) == 0 {
		return
	}
	c.w.spawn("attach", func() {
		var atts []message.DraftAttachment
		var errs []string
		for _, u := range uris {
			data, err := readURI(u)
			if err != nil {
				errs = append(errs, u.Name()+": "+err.Error())
				continue
			}
			atts = append(atts, message.DraftAttachment{Filename: u.Name(), Data: data})
		}
		c.w.do(func() {
			if c.closed {
				return
			}
			if len(errs) > 0 {
				c.showError("Could not attach " + strings.Join(errs, "; "))
			}
			c.attach(atts...)
		})
	})
}

func readURI(u fyne.URI) ([]byte, error) {
	if ok, err := storage.CanList(u); err == nil && ok {
		return nil, errors.New("is a folder")
	}
	rc, err := storage.Reader(u)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// attach adds attachments.
func (c *composer) attach(atts ...message.DraftAttachment) {
	if len(atts) == 0 {
		return
	}
	for _, a := range atts {
		a.Filename = filepath.Base(a.Filename)
		c.state.Attachments = append(c.state.Attachments, a)
	}
	c.refreshAttachments()
	c.filesEdited()
}

// removeAttachment removes attachment i.
func (c *composer) removeAttachment(i int) {
	if i < 0 || i >= len(c.state.Attachments) {
		return
	}
	c.state.Attachments = append(c.state.Attachments[:i:i], c.state.Attachments[i+1:]...)
	c.refreshAttachments()
	c.filesEdited()
}

// refreshAttachments redraws the attachment rows and the size warning.
func (c *composer) refreshAttachments() {
	var objs []fyne.CanvasObject
	var total int64
	for i, a := range c.state.Attachments {
		total += int64(len(a.Data))
		idx := i
		rm := widget.NewButtonWithIcon("", theme.CancelIcon(), func() { c.removeAttachment(idx) })
		rm.Importance = widget.LowImportance
		name := widget.NewLabel(a.Filename)
		name.Truncation = fyne.TextTruncateEllipsis
		size := widget.NewLabel(byteSize(int64(len(a.Data))))
		objs = append(objs, container.NewBorder(nil, nil, widget.NewIcon(theme.FileIcon()), container.NewHBox(size, rm), name))
	}
	c.attsBox.Objects = objs
	c.attsBox.Refresh()
	// Base64 grows attachments by a third, plus line breaks.
	wire := total*4/3 + total/38 + int64(len(c.body.Text()))
	limit := c.w.core.SizeLimit(c.state.Account)
	switch {
	case limit > 0 && wire > limit:
		c.sizeWarn.SetText(fmt.Sprintf("This message is about %s once encoded, more than the %s the server accepts: it will likely be refused.",
			byteSize(wire), byteSize(limit)))
		c.sizeWarn.Show()
	case limit <= 0 && wire > app.DefaultSizeWarning:
		c.sizeWarn.SetText(fmt.Sprintf("This message is about %s once encoded; many servers refuse messages over %s.",
			byteSize(wire), byteSize(app.DefaultSizeWarning)))
		c.sizeWarn.Show()
	default:
		c.sizeWarn.Hide()
	}
}

// learnSizeLimit asks the core, off the UI goroutine, for the SIZE limit
// of the account's server when it is not known yet, and redraws the size
// warning with it.
func (c *composer) learnSizeLimit() {
	account := c.state.Account
	if account == "" || c.w.core.SizeLimit(account) > 0 {
		return
	}
	c.w.spawn("learn the size limit", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		n, err := c.w.core.LearnSizeLimit(ctx, account)
		if err != nil {
			c.w.logf("gui: size limit of %s: %v", account, err)
			return
		}
		if n > 0 {
			c.w.do(c.refreshAttachments)
		}
	})
}
