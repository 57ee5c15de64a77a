package gui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/message"
)

// maxEML bounds the message file a launch may open.
const maxEML = 64 << 20

// joinDesktop takes the launch's own arguments and, through inst, those
// of later launches: each raises the window and opens what it names. It
// also starts the new-mail notifications.
func (w *MainWindow) joinDesktop(inst *app.Instance, open []string) {
	w.startNotifier(nil, nil)
	if inst != nil {
		inst.Serve(func(args []string) {
			w.do(func() {
				w.raise()
				w.openArgs(args)
			})
		})
	}
	if len(open) > 0 {
		w.do(func() { w.openArgs(open) })
	}
}

// openArgs opens a composer for each mailto: link and a reader window for
// each message file in args.
func (w *MainWindow) openArgs(args []string) {
	for _, arg := range args {
		if strings.HasPrefix(strings.ToLower(arg), "mailto:") {
			w.openMailto(arg)
			continue
		}
		path := arg
		w.spawn("open message file", func() {
			msg, raw, err := readEML(path)
			w.do(func() {
				if err != nil {
					w.status.notice(err.Error())
					return
				}
				w.openEML(path, msg, raw)
			})
		})
	}
}

// desktopAccount is the account a composer opened from outside starts in:
// the folder's shown, else the first one.
func (w *MainWindow) desktopAccount() string {
	if a := w.compose.currentAccount(); a != "" {
		return a
	}
	if list := w.core.Accounts(); len(list) > 0 {
		return list[0].ID
	}
	return ""
}

// openMailto opens a composer filled in from a mailto: link.
func (w *MainWindow) openMailto(link string) {
	m, err := message.ParseMailto(link)
	if err != nil {
		w.status.notice("Cannot open the link: " + err.Error())
		return
	}
	account := w.desktopAccount()
	if account == "" {
		w.status.notice("Add an account to write messages.")
		return
	}
	w.compose.openComposer(composeState{Account: account, To: strings.Join(m.To, ", "), Cc: strings.Join(m.Cc, ", "),
		Bcc: strings.Join(m.Bcc, ", "), Subject: m.Subject, Body: m.Body, InReplyTo: strings.Trim(m.InReplyTo, "<>")}, true)
}

// readEML reads and parses a message file.
func readEML(path string) (*message.Message, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("Cannot open %s: %w", filepath.Base(path), err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if fi.Size() > maxEML {
		return nil, nil, fmt.Errorf("Cannot open %s: larger than %d MB", filepath.Base(path), maxEML>>20)
	}
	raw := make([]byte, fi.Size())
	if _, err := f.ReadAt(raw, 0); err != nil && fi.Size() > 0 {
		return nil, nil, fmt.Errorf("Cannot read %s: %w", filepath.Base(path), err)
	}
	msg, err := message.Parse(raw, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("Cannot read %s: %w", filepath.Base(path), err)
	}
	return msg, raw, nil
}

// emlWindow is a reader window for a message file: its header, its text
// and its attachments' names, with Reply, Reply all and Forward.
type emlWindow struct {
	w   *MainWindow
	win fyne.Window
	msg *message.Message
	raw []byte
	// replyBtn, replyAllBtn, forwardBtn and forwardAttBtn are the actions.
	replyBtn, replyAllBtn, forwardBtn, forwardAttBtn *widget.Button
}

// openEML opens msg, read from path, in a reader window of its own.
func (w *MainWindow) openEML(path string, msg *message.Message, raw []byte) *emlWindow {
	e := &emlWindow{w: w, msg: msg, raw: raw}
	title := msg.Subject
	if title == "" {
		title = filepath.Base(path)
	}
	e.win = w.app.NewWindow(sanitizeShown(title))
	e.win.Resize(fyne.NewSize(760, 640))
	e.replyBtn = widget.NewButtonWithIcon("Reply", theme.MailReplyIcon(), func() { e.reply(false) })
	e.replyAllBtn = widget.NewButtonWithIcon("Reply all", theme.MailReplyAllIcon(), func() { e.reply(true) })
	e.forwardBtn = widget.NewButtonWithIcon("Forward", theme.MailForwardIcon(), func() { e.forward(false) })
	e.forwardAttBtn = widget.NewButton("Forward as attachment", func() { e.forward(true) })
	bar := container.NewHBox(e.replyBtn, e.replyAllBtn, e.forwardBtn, e.forwardAttBtn)

	form := widget.NewForm()
	add := func(name, value string) {
		if value != "" {
			l := widget.NewLabel(sanitizeShown(value))
			l.Wrapping = fyne.TextWrapWord
			form.Append(name, l)
		}
	}
	add("From", formatAddresses(msg.From))
	add("To", formatAddresses(msg.To))
	add("Cc", formatAddresses(msg.Cc))
	if !msg.Date.IsZero() {
		add("Date", msg.Date.Local().Format("Mon 2 Jan 2006 15:04"))
	}
	add("Subject", msg.Subject)
	var names []string
	for _, a := range msg.Attachments {
		if !a.Inline {
			names = append(names, a.Filename)
		}
	}
	add("Attachments", strings.Join(names, ", "))

	body := widget.NewLabel(msg.Text)
	body.Wrapping = fyne.TextWrapWord
	body.Selectable = true
	e.win.SetContent(container.NewBorder(container.NewVBox(bar, form, widget.NewSeparator()), nil, nil, nil,
		container.NewVScroll(body)))
	e.win.Show()
	return e
}

// reply opens a composer with a reply to the message.
func (e *emlWindow) reply(all bool) {
	account := e.w.desktopAccount()
	if account == "" {
		e.w.status.notice("Add an account to write messages.")
		return
	}
	var self []string
	for _, fc := range e.w.core.FromChoices(account) {
		self = append(self, fc.Address.Email)
	}
	e.w.compose.openComposer(e.state(account, message.Reply(e.msg, all, self)), true)
}

// forward opens a composer that forwards the message inline (its text) or
// as an attachment (the file as it is).
func (e *emlWindow) forward(asAttachment bool) {
	account := e.w.desktopAccount()
	if account == "" {
		e.w.status.notice("Add an account to write messages.")
		return
	}
	var d *message.Draft
	if asAttachment {
		name := message.SafeFilename(strings.TrimSpace(e.msg.Subject))
		if name == "" {
			name = "message"
		}
		d = &message.Draft{Subject: message.ForwardSubject(e.msg.Subject),
			Attachments: []message.DraftAttachment{{Filename: name + ".eml", ContentType: "message/rfc822", Data: e.raw}}}
	} else {
		d = message.Forward(e.msg)
	}
	e.w.compose.openComposer(e.state(account, d), true)
}

func (e *emlWindow) state(account string, d *message.Draft) composeState {
	return composeState{Account: account, To: formatAddresses(d.To), Cc: formatAddresses(d.Cc), Bcc: formatAddresses(d.Bcc),
		Subject: d.Subject, Body: d.Text, InReplyTo: d.InReplyTo, References: d.References, Attachments: d.Attachments}
}
