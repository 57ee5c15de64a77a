package gui

import (
	"fmt"
	"math"
	"sync"

	"fyne.io/fyne/v2"

	"github.com/ternmail/tern/app"
)

// The window's size when the settings remember none.
const defaultWidth, defaultHeight = 1200, 760

// windowSize returns the window size ws remembers, or the default.
func windowSize(ws app.WindowState) fyne.Size {
	if ws.Width < 200 || ws.Height < 150 {
		return fyne.NewSize(defaultWidth, defaultHeight)
	}
	return fyne.NewSize(ws.Width, ws.Height)
}

// windowState is the window's geometry and folder as last saved and as
// last seen. The UI goroutine updates it each second (observeWindow); the
// goroutine that ends Run reads it once the UI has stopped.
type windowState struct {
	mu    sync.Mutex
	saved app.WindowState // what the settings hold
	seen  app.WindowState // what the window showed at the last look
}

// followSettings applies s, remembers the window state it holds, and
// applies every later change of the settings.
func (w *MainWindow) followSettings(s app.Settings) {
	size := windowSize(s.Window)
	l, m := w.panes.offsets()
	w.winState.saved = app.WindowState{Width: size.Width, Height: size.Height,
		FolderSplit: math.Round(l*1000) / 1000, ListSplit: math.Round(m*1000) / 1000, Folder: s.Window.Folder}
	w.winState.seen = w.winState.saved
	w.stopSettings = w.core.OnSettingsChanged(func(s app.Settings) {
		w.do(func() { w.applySettings(s) })
	})
	if err := w.core.SettingsError(); err != nil {
		w.status.notice("Preferences not read: " + err.Error())
	}
}

// applySettings shows the window as s says. UI goroutine.
func (w *MainWindow) applySettings(s app.Settings) {
	if w.theme.set(s) {
		w.app.Settings().SetTheme(w.theme)
	}
	if w.panes.density.set(s.Density) {
		w.panes.list.Refresh()
	}
	w.panes.setMode(s.ReadingPane)
	w.reader.updateRemoteBar()
	if w.prefs != nil {
		w.prefs.show(s)
	}
}

// Text size steps of Ctrl+plus and Ctrl+minus.
const textScaleStep = 0.1

func (w *MainWindow) zoomIn()    { w.setTextScale(w.theme.textScale() + textScaleStep) }
func (w *MainWindow) zoomOut()   { w.setTextScale(w.theme.textScale() - textScaleStep) }
func (w *MainWindow) zoomReset() { w.setTextScale(1) }

// setTextScale zooms the whole window's text at once and saves the size
// in the settings from a goroutine.
func (w *MainWindow) setTextScale(z float64) {
	z = math.Round(z*10) / 10 // no drift from repeated steps
	z = max(app.MinTextScale, min(app.MaxTextScale, z))
	s := w.core.Settings()
	s.TextScale = z
	if w.theme.set(s) {
		w.app.Settings().SetTheme(w.theme)
	}
	w.status.notice(fmt.Sprintf("Text size %d%%", int(z*100+0.5)))
	w.saveSettings(func(s *app.Settings) { s.TextScale = z })
}

// saveSettings changes the settings with edit off the UI goroutine; a
// failure is shown in the status bar.
func (w *MainWindow) saveSettings(edit func(*app.Settings)) {
	w.spawn("save settings", func() {
		if err := w.core.UpdateSettings(edit); err != nil {
			w.do(func() { w.status.notice("Could not save the preferences: " + err.Error()) })
		}
	})
}

// textScale returns the text size in use.
func (t *appTheme) textScale() float64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return float64(t.scale)
}

// currentWindowState returns the window's geometry and open folder now;
// folder stands for the folder while none is open. UI goroutine.
func (w *MainWindow) currentWindowState(folder app.FolderRef) app.WindowState {
	size := w.win.Canvas().Size()
	ws := app.WindowState{Width: float32(math.Round(float64(size.Width))), Height: float32(math.Round(float64(size.Height))), Folder: folder}
	if w.panes.narrow {
		ws.FolderSplit, ws.ListSplit = w.winState.saved.FolderSplit, w.winState.saved.ListSplit
	} else {
		l, m := w.panes.offsets()
		ws.FolderSplit, ws.ListSplit = math.Round(l*1000)/1000, math.Round(m*1000)/1000
	}
	if b := w.list.mailbox; b.ID > 0 {
		ws.Folder = app.FolderRef{Account: b.Account, Folder: b.Name}
	}
	return ws
}

// observeWindow saves the window's geometry and folder once they have
// stayed the same for a look (a second, from the status ticker) and
// differ from what is saved: a resize or a dragged divider is saved once,
// when it ends, never for each frame. UI goroutine.
func (w *MainWindow) observeWindow() {
	if w.panes == nil || !w.showingMain() {
		return
	}
	st := &w.winState
	st.mu.Lock()
	cur := w.currentWindowState(st.saved.Folder)
	if cur == st.saved || cur != st.seen {
		st.seen = cur
		st.mu.Unlock()
		return
	}
	st.saved = cur
	st.mu.Unlock()
	w.saveSettings(func(s *app.Settings) { s.Window = cur })
}

// saveWindowStateNow saves the last seen window state if it is not saved
// yet: at exit, after the UI has stopped.
func (w *MainWindow) saveWindowStateNow() {
	st := &w.winState
	st.mu.Lock()
	cur, saved := st.seen, st.saved
	st.saved = cur
	st.mu.Unlock()
	if cur == saved || cur.Width == 0 {
		return
	}
	if err := w.core.UpdateSettings(func(s *app.Settings) { s.Window = cur }); err != nil {
		w.logf("gui: save the window's size: %v", err)
	}
}

// rememberedFolder returns the ID of the folder shown last, if it exists.
func (w *MainWindow) rememberedFolder() (int64, bool) {
	ref := w.winState.saved.Folder
	if ref.Account == "" {
		return 0, false
	}
	for _, b := range w.folders.boxes[ref.Account] {
		if b.Name == ref.Folder {
			return b.ID, true
		}
	}
	return 0, false
}
