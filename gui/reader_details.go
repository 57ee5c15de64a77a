package gui

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/message"
)

// maxSourceShown bounds the raw message shown by "View source".
const maxSourceShown = 128 << 10

// addShortcuts registers the reader's keyboard shortcuts on the window
// (Ctrl+plus and Ctrl+minus zoom the whole window: keys.go).
func (r *reader) addShortcuts() {
	c := r.w.win.Canvas()
	mod := fyne.KeyModifierShortcutDefault
	add := func(key fyne.KeyName, m fyne.KeyModifier, fn func()) {
		c.AddShortcut(&desktop.CustomShortcut{KeyName: key, Modifier: m}, func(fyne.Shortcut) { fn() })
	}
	add(fyne.KeyF, mod, r.openFind)
	add(fyne.KeyU, mod, r.viewSource)
}

// viewMenu is the window's View menu: the reader's actions.
func (r *reader) viewMenu() *fyne.Menu {
	return fyne.NewMenu("View",
		fyne.NewMenuItem("Find in message (Ctrl+F)", r.openFind),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Larger text (Ctrl++)", r.w.zoomIn),
		fyne.NewMenuItem("Smaller text (Ctrl+−)", r.w.zoomOut),
		fyne.NewMenuItem("Normal text size (Ctrl+0)", r.w.zoomReset),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Message headers", r.showHeaders),
		fyne.NewMenuItem("Message source (Ctrl+U)", r.viewSource),
		fyne.NewMenuItem("Open in browser", r.openInBrowser),
	)
}

// showHeaders shows every header field of the message in a dialog.
func (r *reader) showHeaders() {
	v := r.view
	if v == nil {
		return
	}
	var b strings.Builder
	for _, h := range v.Headers {
		b.WriteString(h.Name)
		b.WriteString(": ")
		b.WriteString(h.Value)
		b.WriteString("\n")
	}
	text := strings.TrimRight(b.String(), "\n")
	label := &widget.Label{Text: text, Selectable: true, Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Monospace: true}}
	copyBtn := widget.NewButtonWithIcon("Copy all", theme.ContentCopyIcon(), func() {
		r.w.app.Clipboard().SetContent(text)
	})
	sourceBtn := widget.NewButtonWithIcon("View source", theme.FileTextIcon(), r.viewSource)
	content := container.NewBorder(nil, container.NewHBox(copyBtn, sourceBtn), nil, nil, container.NewVScroll(label))
	d := dialog.NewCustom(fmt.Sprintf("Message headers (%d)", len(v.Headers)), "Close", content, r.w.win)
	size := r.w.win.Canvas().Size()
	d.Resize(fyne.NewSize(min(900, size.Width*0.9), min(640, size.Height*0.85)))
	d.Show()
}

// viewSource shows the raw message in its own window: monospace,
// selectable, scrollable, and bounded for huge messages.
func (r *reader) viewSource() {
	v := r.view
	if v == nil {
		return
	}
	subject := r.subject.Text
	r.w.spawn("view source", func() {
		text, cut := v.Source(maxSourceShown)
		r.w.do(func() {
			win := r.w.app.NewWindow("Source — " + subject)
			label := &widget.Label{Text: text, Selectable: true, TextStyle: fyne.TextStyle{Monospace: true}}
			note := fmt.Sprintf("%s, %d lines", byteSize(int64(len(v.Raw))), strings.Count(text, "\n")+1)
			if cut {
				note = fmt.Sprintf("Showing the first %s of %s. Save the message to see all of it.", byteSize(int64(len(text))), byteSize(int64(len(v.Raw))))
			}
			noteLabel := &widget.Label{Text: note, Importance: widget.LowImportance, Wrapping: fyne.TextWrapWord}
			copyBtn := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() {
				r.w.app.Clipboard().SetContent(text)
			})
			bottom := container.NewBorder(nil, nil, nil, copyBtn, noteLabel)
			win.SetContent(container.NewBorder(nil, bottom, nil, nil, container.NewScroll(label)))
			win.Resize(fyne.NewSize(900, 700))
			win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyW, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) { win.Close() })
			win.Show()
		})
	})
}

// openInBrowser writes the message as a sanitized HTML page to a private
// file and opens it in the system browser. Remote images are in the page
// only when they are allowed for this message.
func (r *reader) openInBrowser() {
	v := r.view
	if v == nil {
		return
	}
	remote := r.remote
	dir := r.browserDir
	r.setLinkStatus("Opening in the browser…")
	token := r.token
	r.w.spawn("open in browser", func() {
		page := v.BrowserHTML(remote)
		path, newDir, err := writePrivatePage(dir, page)
		r.w.do(func() {
			if newDir != "" && r.browserDir == "" {
				r.browserDir = newDir
				r.w.spawn("browser pages cleanup", func() {
					<-r.w.ctx.Done()
					os.RemoveAll(newDir)
				})
			}
			if err != nil {
				r.setLinkStatus("Could not open in the browser: " + err.Error())
				return
			}
			u := &url.URL{Scheme: "file", Path: filepath.ToSlash(path)}
			if err := r.openURL(u); err != nil {
				r.setLinkStatus("Could not open in the browser: " + err.Error())
				return
			}
			if token == r.token {
				r.setLinkStatus("Opened in the browser")
			}
		})
	})
}

// writePrivatePage writes page to a new file (0600) in dir, or, when dir
// is "", in a new private directory (0700) which it returns.
func writePrivatePage(dir, page string) (path, newDir string, err error) {
	if dir == "" {
		if dir, err = os.MkdirTemp("", "tern-view-"); err != nil {
			return "", "", err
		}
		newDir = dir
		if err = os.Chmod(dir, 0o700); err != nil {
			return "", newDir, err
		}
	}
	f, err := os.CreateTemp(dir, "message-*.html")
	if err != nil {
		return "", newDir, err
	}
	if err = f.Chmod(0o600); err == nil {
		_, err = f.WriteString(page)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", newDir, err
	}
	return f.Name(), newDir, nil
}

// showEvents summarizes calendar invitations above the body.
func (r *reader) showEvents(events []message.Event) {
	r.calendar.RemoveAll()
	if len(events) == 0 {
		r.calendar.Hide()
		return
	}
	const shown = 3
	for i, e := range events {
		if i == shown {
			r.calendar.Add(&widget.Label{Text: fmt.Sprintf("… and %d more events", len(events)-shown), Importance: widget.LowImportance})
			break
		}
		r.calendar.Add(eventCard(e, time.Local))
	}
	r.calendar.Show()
}

// eventCard is one invitation: what, when (with the time zone), where and
// who organizes it.
func eventCard(e message.Event, local *time.Location) fyne.CanvasObject {
	title := e.Summary
	if title == "" {
		title = "(untitled event)"
	}
	kind := "Event"
	switch e.Method {
	case "REQUEST":
		kind = "Invitation"
	case "CANCEL":
		kind = "Cancelled"
	case "REPLY":
		kind = "Reply"
	case "COUNTER":
		kind = "New time proposed"
	}
	if e.Status == "CANCELLED" {
		kind = "Cancelled"
	}
	head := &widget.Label{Text: kind + ": " + title, TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord}
	if kind == "Cancelled" {
		head.Importance = widget.DangerImportance
	}
	key := func(s string) *widget.Label {
		return &widget.Label{Text: s, Importance: widget.LowImportance, Alignment: fyne.TextAlignTrailing}
	}
	val := func(s string) *widget.Label {
		return &widget.Label{Text: s, Selectable: true, Wrapping: fyne.TextWrapWord}
	}
	var rows []fyne.CanvasObject
	when := e.When(local)
	if e.Recurring {
		when += " · repeats"
	}
	if when != "" {
		rows = append(rows, key("When"), val(when))
	}
	if e.Location != "" {
		rows = append(rows, key("Where"), val(e.Location))
	}
	if org := e.Organizer.String(); org != "" {
		rows = append(rows, key("Organizer"), val(org))
	}
	if e.Attendees > 0 {
		n := fmt.Sprintf("%d people invited", e.Attendees)
		if e.Attendees == 1 {
			n = "1 person invited"
		}
		rows = append(rows, key("Guests"), val(n))
	}
	body := container.NewVBox(head)
	if len(rows) > 0 {
		body.Add(container.New(layout.NewFormLayout(), rows...))
	}
	card := container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(theme.CalendarIcon())), nil, body)
	return container.NewVBox(widget.NewSeparator(), card)
}
