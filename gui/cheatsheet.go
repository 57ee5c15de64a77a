package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// cheatSheet lists the window's keys, from the same table that binds them.
func (w *MainWindow) cheatSheet() fyne.CanvasObject {
	grid := container.NewGridWithColumns(2)
	for _, b := range w.keys {
		grid.Add(widget.NewLabelWithStyle(b.keys, fyne.TextAlignTrailing, fyne.TextStyle{Monospace: true}))
		grid.Add(widget.NewLabel(b.desc))
	}
	return container.NewVScroll(grid)
}

// showCheatSheet shows the list of keys in a dialog (F1 or ?).
func (w *MainWindow) showCheatSheet() {
	if w.cheat != nil {
		return
	}
	d := dialog.NewCustom("Keyboard shortcuts", "Close", w.cheatSheet(), w.win)
	d.SetOnClosed(func() {
		w.cheat = nil
		w.focusList()
	})
	w.cheat = d
	d.Resize(fyne.NewSize(560, 640))
	d.Show()
}
