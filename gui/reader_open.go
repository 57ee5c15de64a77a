package gui

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/message"
)

// openAttachment shows an attached message in a window of its own, and
// hands any other attachment to the system's default application, from a
// private copy, after a warning when opening it may run code.
func (r *reader) openAttachment(a message.Attachment) {
	v := r.view
	if v == nil {
		return
	}
	if strings.EqualFold(a.ContentType, "message/rfc822") {
		r.w.spawn("open attached message", func() {
			data, err := v.AttachmentData(a)
			var nested *app.ReaderView
			if err == nil {
				nested, err = app.NewReaderView(0, data)
			}
			r.w.do(func() {
				if err != nil {
					r.setLinkStatus("Could not open " + a.Filename + ": " + err.Error())
					return
				}
				r.showNested(nested)
			})
		})
		return
	}
	open := func() {
		r.w.spawn("open attachment", func() {
			path, err := r.privateCopy(v, a)
			r.w.do(func() {
				if err == nil {
					err = r.openURL(&url.URL{Scheme: "file", Path: filepath.ToSlash(path)})
				}
				if err != nil {
					r.setLinkStatus("Could not open " + a.Filename + ": " + err.Error())
					return
				}
				r.setLinkStatus("Opened " + filepath.Base(path))
			})
		})
	}
	if message.IsExecutable(a.Filename, a.ContentType) {
		d := dialog.NewConfirm("Open a program?",
			"“"+message.SafeFilename(a.Filename)+"” is a program or script. Opening it runs it with your rights: "+
				"open it only if you expected it from this sender.", func(ok bool) {
				if ok {
					open()
				}
			}, r.w.win)
		d.SetConfirmText("Open anyway")
		d.SetDismissText("Cancel")
		d.Show()
		return
	}
	open()
}

// privateCopy writes attachment a to a new private directory (0700) as a
// file (0600) under a safe name, and returns its path. The directory goes
// when the window closes.
func (r *reader) privateCopy(v *app.ReaderView, a message.Attachment) (string, error) {
	data, err := v.AttachmentData(a)
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "tern-open-")
	if err != nil {
		return "", err
	}
	r.w.spawn("attachment copy cleanup", func() {
		<-r.w.ctx.Done()
		os.RemoveAll(dir)
	})
	path := filepath.Join(dir, message.SafeFilename(a.Filename))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", err
	}
	return path, nil
}

// showNested shows an attached message, rendered like any other (remote
// content blocked, the sender checked), in a window of its own.
func (r *reader) showNested(v *app.ReaderView) { r.showInWindow("Attached message — ", v) }

// showInWindow shows message v in a window of its own, titled prefix and
// its subject.
func (r *reader) showInWindow(prefix string, v *app.ReaderView) {
	m := v.Message
	subject := m.Subject
	if subject == "" {
		subject = "(no subject)"
	}
	win := r.w.app.NewWindow(prefix + subject)
	rows := []fyne.CanvasObject{widget.NewLabelWithStyle(subject, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})}
	field := func(name string, list []message.Address) {
		if len(list) == 0 {
			return
		}
		var parts []string
		for _, a := range list {
			parts = append(parts, a.String())
		}
		rows = append(rows, &widget.Label{Text: name + ": " + strings.Join(parts, ", "), Wrapping: fyne.TextWrapWord})
	}
	field("From", m.From)
	field("To", m.To)
	field("Cc", m.Cc)
	if !m.Date.IsZero() {
		rows = append(rows, widget.NewLabel("Date: "+m.Date.Local().Format("Mon, Jan 2, 2006 at 15:04")))
	}
	for _, c := range v.Senders {
		if c.Suspicious() {
			rows = append(rows, &widget.Label{Text: "Careful: the sender is really " + c.Address.Email + " (" + strings.Join(c.Warnings, "; ") + ")",
				Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance})
		}
	}
	for _, a := range m.Attachments {
		rows = append(rows, widget.NewLabel("Attachment: "+message.SafeFilename(a.Filename)+"  ·  "+byteSize(a.Size)))
	}
	doc, _ := boundDoc(v.Doc, maxRichTextBytes)
	body := widget.NewRichText(segmentsFor(doc, nil, linkActions{open: r.openLink, hover: r.hoverLink}, nil)...)
	body.Wrapping = fyne.TextWrapWord
	win.SetContent(container.NewBorder(container.NewVBox(append(rows, widget.NewSeparator())...), nil, nil, nil, container.NewScroll(body)))
	win.Resize(fyne.NewSize(800, 650))
	win.Show()
}
