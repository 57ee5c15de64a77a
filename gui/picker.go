package gui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
)

// folderPicker is a dialog that lists the folders of the shown account,
// narrowed by what is typed into its field; Enter or a tap picks one.
type folderPicker struct {
	dlg    *dialog.CustomDialog
	filter *widget.Entry
	list   *widget.List
	all    []app.Mailbox
	shown  []app.Mailbox
	picked func(app.Mailbox)
}

// pickFolder asks for a folder of the shown account other than the shown
// one and calls picked with it.
func (w *MainWindow) pickFolder(title string, picked func(app.Mailbox)) {
	var all []app.Mailbox
	for _, b := range w.folders.boxes[w.list.mailbox.Account] {
		if b.ID != w.list.mailbox.ID {
			all = append(all, b)
		}
	}
	p := &folderPicker{all: all}
	p.picked = func(b app.Mailbox) {
		p.dlg.Hide()
		picked(b)
	}
	p.filter = widget.NewEntry()
	p.filter.SetPlaceHolder("Type to find a folder")
	p.filter.OnChanged = func(string) { p.narrow() }
	p.filter.OnSubmitted = func(string) {
		if len(p.shown) > 0 {
			p.picked(p.shown[0])
		}
	}
	p.list = widget.NewList(func() int { return len(p.shown) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(id widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(p.shown[id].Name) })
	p.list.OnSelected = func(id widget.ListItemID) { p.picked(p.shown[id]) }
	p.narrow()
	p.dlg = dialog.NewCustom(title, "Cancel", container.NewBorder(p.filter, nil, nil, nil, p.list), w.win)
	p.dlg.SetOnClosed(func() {
		if w.picker == p {
			w.picker = nil
		}
		w.focusList()
	})
	p.dlg.Resize(fyne.NewSize(420, 480))
	w.picker = p
	p.dlg.Show()
	w.win.Canvas().Focus(p.filter)
}

// narrow shows the folders whose name contains the typed text, ignoring
// case; those whose last part starts with it first.
func (p *folderPicker) narrow() {
	q := strings.ToLower(strings.TrimSpace(p.filter.Text))
	var first, rest []app.Mailbox
	for _, b := range p.all {
		name := strings.ToLower(b.Name)
		switch {
		case q == "" || strings.HasPrefix(strings.ToLower(b.Leaf()), q):
			first = append(first, b)
		case strings.Contains(name, q):
			rest = append(rest, b)
		}
	}
	p.shown = append(first, rest...)
	p.list.Refresh()
}
