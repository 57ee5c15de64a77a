package gui

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/message"
)

// senderEmail is the first From address of v.
func senderEmail(v *app.ReaderView) string {
	if v == nil || len(v.Message.From) == 0 {
		return ""
	}
	return v.Message.From[0].Email
}

// loadImages resolves v's images (remote ones only when remote is true)
// into resources. It runs off the UI goroutine.
func loadImages(ctx context.Context, l *message.ImageLoader, v *app.ReaderView, remote bool) map[*message.Image]shownImage {
	out := map[*message.Image]shownImage{}
	for i, li := range l.Load(ctx, v.Raw, v.Message, v.Doc, remote) {
		if li.Err != nil || li.Data == nil {
			continue
		}
		name := fmt.Sprintf("msg%d-img%d.%s", v.ID, i, li.Format)
		out[li.Image] = shownImage{res: fyne.NewStaticResource(name, li.Data), width: li.Width, height: li.Height}
	}
	return out
}

// wantsRich reports whether the body is better shown as rich text than
// as selectable plain text: HTML, or text with quotes or links.
func wantsRich(v *app.ReaderView) bool {
	if strings.TrimSpace(v.Message.HTML) != "" {
		return true
	}
	for _, b := range v.Doc.Blocks {
		if b.Quote > 0 {
			return true
		}
		for _, s := range b.Spans {
			if s.Link != "" {
				return true
			}
		}
	}
	return false
}

// renderBody shows the body of the loaded message as rich or plain text.
func (r *reader) renderBody() {
	v := r.view
	if v == nil {
		return
	}
	if r.find != nil {
		r.find.n, r.find.mark, r.find.markable = 0, nil, false
	}
	rich := wantsRich(v) && len(v.Doc.Blocks) > 0
	r.actions.Show()
	if !rich {
		r.viewBtn.Hide()
	} else {
		r.viewBtn.Show()
	}
	links := linkActions{open: r.openLink, hover: r.hoverLink}
	doc, cut := boundDoc(v.Doc, maxRichTextBytes)
	r.showLongNote(cut && rich && !r.plainView)
	switch {
	case rich && !r.plainView:
		r.rich.Segments = segmentsFor(doc, r.images, links, r.find)
		r.rich.Show()
		r.body.Hide()
		r.viewBtn.SetText("Plain text")
	case r.find != nil:
		// Finding in the plain view: the text as rich text, to mark
		// the matches.
		r.rich.Segments = plainSegments(bodyText(v.Message), r.find)
		r.rich.Show()
		r.body.Hide()
		r.viewBtn.SetText("Formatted")
	default:
		r.rich.Segments = nil
		r.rich.Hide()
		// The label is filled only when shown: Fyne measures its text.
		if text := bodyText(v.Message); r.body.Text != text {
			r.body.SetText(text)
		}
		r.body.Show()
		r.viewBtn.SetText("Formatted")
	}
	r.rich.Refresh()
	r.updateFindCount()
	r.updateRemoteBar()
	trace("body", r.msg.ID)
}

// hoverLink shows where a link really goes while the pointer is on it.
func (r *reader) hoverLink(target, warning string, in bool) {
	if !in {
		if r.hoverText != "" && r.linkStatus.Text == r.hoverText {
			r.linkStatus.Hide()
		}
		r.hoverText = ""
		return
	}
	text := "→ " + target
	if warning != "" {
		text += "   ⚠ " + warning
	}
	r.hoverText = text
	r.setLinkStatus(text)
}

// updateRemoteBar announces the blocked remote content of the shown
// message: images (which Load fetches), tracking pixels, and stylesheets,
// fonts and other CSS references (never fetched). Once images are
// loaded, it says what stays blocked.
func (r *reader) updateRemoteBar() {
	v := r.view
	if v == nil {
		r.remoteBar.Hide()
		return
	}
	d := v.Doc
	images := d.RemoteImages
	if r.remote {
		images = 0
	}
	if images+d.Trackers+d.RemoteOther == 0 {
		r.remoteBar.Hide()
		return
	}
	policy := r.settings().RemoteContent
	text := remoteBarText(images, d.Trackers, d.RemoteOther, r.remote)
	if policy == app.RemoteNever && images > 0 {
		text += " Preferences block remote content."
	}
	r.remoteText.SetText(text)
	if images > 0 && policy != app.RemoteNever {
		r.loadBtn.Show()
	} else {
		r.loadBtn.Hide()
	}
	// Never offer to trust a sender that looks forged.
	if images > 0 && policy == app.RemoteKnown && senderEmail(v) != "" && !senderSuspicious(v) {
		r.alwaysBtn.Show()
	} else {
		r.alwaysBtn.Hide()
	}
	r.remoteBar.Show()
}

// remoteBarText words the remote-content bar: counts of blocked images,
// trackers and other remote content.
func remoteBarText(images, trackers, other int, loaded bool) string {
	count := func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	var parts []string
	if images > 0 {
		parts = append(parts, count(images, "image", "images"))
	}
	if trackers > 0 {
		parts = append(parts, count(trackers, "tracker", "trackers"))
	}
	if other > 0 {
		parts = append(parts, count(other, "other (stylesheet, font)", "other (stylesheets, fonts)"))
	}
	if loaded {
		return "Still blocked: " + strings.Join(parts, ", ") + ". Trackers, stylesheets and fonts are never loaded."
	}
	return "Remote content blocked: " + strings.Join(parts, ", ") + "."
}

// senderSuspicious reports whether a sender of v looks forged.
func senderSuspicious(v *app.ReaderView) bool {
	for _, c := range v.Senders {
		if c.Suspicious() {
			return true
		}
	}
	return false
}

// loadRemote loads the remote images of the shown message, off the UI
// goroutine.
func (r *reader) loadRemote() {
	v := r.view
	if v == nil || r.remote {
		return
	}
	r.remote = true
	r.remoteText.SetText("Loading remote images…")
	r.loadBtn.Disable()
	token := r.token
	loader := r.loader
	ctx := r.w.ctx
	r.w.spawn("load remote content", func() {
		imgs := loadImages(ctx, loader, v, true)
		r.w.do(func() {
			r.loadBtn.Enable()
			if token != r.token {
				return
			}
			r.images = imgs
			r.renderBody()
		})
	})
}

// alwaysRemote loads remote content for this sender, now and from now on
// (kept in the settings).
func (r *reader) alwaysRemote() {
	if r.view == nil || senderSuspicious(r.view) {
		return
	}
	if addr := senderEmail(r.view); addr != "" {
		r.rememberSender(addr, func(c *app.SenderChoice) { c.Remote = true })
	}
	r.loadRemote()
}

// toggleView switches between the formatted and the plain text, and
// remembers the choice for the sender.
func (r *reader) toggleView() {
	r.plainView = !r.plainView
	r.renderBody()
	if r.view == nil {
		return
	}
	if addr := senderEmail(r.view); addr != "" {
		view := app.ViewHTML
		if r.plainView {
			view = app.ViewPlain
		}
		r.rememberSender(addr, func(c *app.SenderChoice) { c.View = view })
	}
}

// copyText puts the body's text on the clipboard.
func (r *reader) copyText() {
	if r.view == nil {
		return
	}
	text := r.view.Doc.Text()
	if !wantsRich(r.view) {
		text = bodyText(r.view.Message)
	}
	r.w.app.Clipboard().SetContent(text)
	r.setLinkStatus("Text copied to the clipboard.")
}

func (r *reader) setLinkStatus(s string) {
	r.linkStatus.SetText(s)
	r.linkStatus.Show()
}

// openLink shows a link's real target and opens it in the system
// browser; a deceptive link asks first.
func (r *reader) openLink(target, warning string) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto") {
		r.setLinkStatus("Not opened: " + target)
		return
	}
	r.setLinkStatus("Link: " + target)
	open := func() {
		if err := r.openURL(u); err != nil {
			r.setLinkStatus("Could not open " + target + ": " + err.Error())
		}
	}
	if warning == "" {
		open()
		return
	}
	d := dialog.NewConfirm("Open this link?", "This link may be deceptive: "+warning+".\n\nIt really goes to:\n"+target,
		func(ok bool) {
			if ok {
				open()
			}
		}, r.w.win)
	d.SetConfirmText("Open anyway")
	d.SetDismissText("Cancel")
	d.Show()
}

// showSenderWarning flags a forged-looking sender and shows its real
// address.
func (r *reader) showSenderWarning(checks []message.SenderCheck) {
	var lines []string
	for _, c := range checks {
		if !c.Suspicious() {
			continue
		}
		real := c.Address.Email
		if real == "" {
			real = "(no address)"
		}
		lines = append(lines, "⚠ This sender may be forged: "+strings.Join(c.Warnings, "; ")+". The real address is "+real+".")
	}
	if len(lines) == 0 {
		r.senderWarn.Hide()
		return
	}
	r.senderWarn.SetText(strings.Join(lines, "\n"))
	r.senderWarn.Show()
	// The From line shows the real address first.
	var froms []string
	for _, c := range checks {
		froms = append(froms, c.Address.Email+"  (shown as “"+sanitizeShown(c.Address.Name)+"”)")
	}
	r.from.SetText(strings.Join(froms, ", "))
}

// sanitizeShown removes direction overrides and controls from a display
// name before it is shown.
func sanitizeShown(s string) string {
	return strings.Map(func(r rune) rune {
		if (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') || r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// fillAttachments lists the attachments with Save buttons.
func (r *reader) fillAttachments(pm *message.Message) {
	r.attachments.RemoveAll()
	var listed []message.Attachment
	for _, a := range pm.Attachments {
		if a.Inline && strings.HasPrefix(a.ContentType, "image/") {
			continue
		}
		listed = append(listed, a)
	}
	for _, a := range listed {
		name := a.Filename
		if name == "" {
			name = "(unnamed " + a.ContentType + ")"
		}
		label := &widget.Label{Text: name + "  ·  " + byteSize(a.Size), Truncation: fyne.TextTruncateEllipsis}
		att := a
		save := widget.NewButtonWithIcon("", theme.DocumentSaveIcon(), func() { r.saveAttachment(att) })
		open := widget.NewButtonWithIcon("", theme.FolderOpenIcon(), func() { r.openAttachment(att) })
		r.attachments.Add(container.NewBorder(nil, nil, widget.NewIcon(attachmentIcon(a.ContentType)), container.NewHBox(open, save), label))
		if r.view != nil {
			r.addTNEFFiles(r.view.TNEF[a.PartPath])
		}
	}
	if len(listed) > 1 {
		all := widget.NewButtonWithIcon("Save all", theme.DownloadIcon(), func() { r.saveAll(listed) })
		r.attachments.Add(container.NewHBox(all))
	}
}

// addTNEFFiles lists the files inside a winmail.dat, indented under it,
// each with its own Save button.
func (r *reader) addTNEFFiles(files []message.TNEFAttachment) {
	const shown = 50
	for i, f := range files {
		if i == shown {
			r.attachments.Add(&widget.Label{Text: fmt.Sprintf("      … and %d more files in winmail.dat", len(files)-shown), Importance: widget.LowImportance})
			break
		}
		name := f.Name
		if name == "" {
			name = fmt.Sprintf("(unnamed file %d)", i+1)
		}
		label := &widget.Label{Text: "↳ " + name + "  ·  " + byteSize(int64(f.Size)), Truncation: fyne.TextTruncateEllipsis}
		var save fyne.CanvasObject = layout.NewSpacer()
		if f.Data != nil {
			data := f.Data
			save = widget.NewButtonWithIcon("", theme.DocumentSaveIcon(), func() {
				r.saveData(name, func() ([]byte, error) { return data, nil })
			})
		}
		pad := canvas.NewRectangle(color.Transparent)
		pad.SetMinSize(fyne.NewSize(24, 1))
		r.attachments.Add(container.NewBorder(nil, nil, container.NewHBox(pad, widget.NewIcon(attachmentIcon(""))), save, label))
	}
}

func attachmentIcon(ct string) fyne.Resource {
	switch {
	case strings.HasPrefix(ct, "image/"):
		return theme.FileImageIcon()
	case strings.HasPrefix(ct, "text/"):
		return theme.FileTextIcon()
	case strings.HasPrefix(ct, "audio/"):
		return theme.FileAudioIcon()
	case strings.HasPrefix(ct, "video/"):
		return theme.FileVideoIcon()
	case ct == "application/pdf" || strings.Contains(ct, "document"):
		return theme.DocumentIcon()
	}
	return theme.FileIcon()
}

// nativeSaveFile asks with the file dialog where to save a file named
// name; the dialog asks before replacing a file. done is not called when
// the user cancels.
func (r *reader) nativeSaveFile(name string, done func(fyne.URIWriteCloser)) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err == nil && w != nil {
			done(w)
		}
	}, r.w.win)
	d.SetFileName(name)
	if dir, err := storage.ListerForURI(storage.NewFileURI(downloadsDir())); err == nil {
		d.SetLocation(dir)
	}
	d.Show()
}

// nativeFolder asks with the folder dialog for a directory.
func (r *reader) nativeFolder(done func(dir string)) {
	d := dialog.NewFolderOpen(func(dir fyne.ListableURI, err error) {
		if err == nil && dir != nil {
			done(dir.Path())
		}
	}, r.w.win)
	if dir, err := storage.ListerForURI(storage.NewFileURI(downloadsDir())); err == nil {
		d.SetLocation(dir)
	}
	d.Show()
}

// saveAttachment asks where to save a and writes it there.
func (r *reader) saveAttachment(a message.Attachment) {
	v := r.view
	if v == nil {
		return
	}
	r.saveData(a.Filename, func() ([]byte, error) { return v.AttachmentData(a) })
}

// saveData asks where to save a file named name and writes what data
// returns there, off the UI goroutine.
func (r *reader) saveData(name string, data func() ([]byte, error)) {
	r.pickSaveFile(message.SafeFilename(name), func(w fyne.URIWriteCloser) {
		r.w.spawn("save attachment", func() {
			b, err := data()
			if err == nil {
				_, err = w.Write(b)
			}
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			msg := "Saved " + w.URI().Name()
			if err != nil {
				msg = "Could not save " + name + ": " + err.Error()
			}
			r.w.do(func() { r.setLinkStatus(msg) })
		})
	})
}

// saveAll asks for a folder and saves every attachment there under a
// safe, unused name: nothing is overwritten.
func (r *reader) saveAll(list []message.Attachment) {
	v := r.view
	if v == nil {
		return
	}
	r.pickFolder(func(path string) {
		r.w.spawn("save attachments", func() {
			n, err := saveAttachments(v, list, path)
			msg := fmt.Sprintf("Saved %d attachments to %s", n, path)
			if err != nil {
				msg = fmt.Sprintf("Saved %d attachments to %s; %v", n, path, err)
			}
			r.w.do(func() { r.setLinkStatus(msg) })
		})
	})
}

// saveAttachments writes attachments into dir without overwriting any
// file.
func saveAttachments(v *app.ReaderView, list []message.Attachment, dir string) (int, error) {
	exists := func(p string) bool {
		_, err := os.Lstat(p)
		return err == nil || !errors.Is(err, os.ErrNotExist)
	}
	var errs []error
	n := 0
	for _, a := range list {
		data, err := v.AttachmentData(a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p, err := message.UniquePath(dir, a.Filename, exists)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

func downloadsDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return os.TempDir()
	}
	if d := filepath.Join(home, "Downloads"); dirExists(d) {
		return d
	}
	return home
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
