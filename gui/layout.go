package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
)

const (
	// narrowWidth is the window content width below which the panes
	// collapse: one of list and reader at a time, the folder tree a drawer.
	narrowWidth = 1000
	// drawerWidth is the folder drawer's widest.
	drawerWidth = 300
)

// panes arranges the folder tree, the message list and the reader. Wide,
// they sit side by side in splits the user can drag. Narrow, the list
// fills the pane and the reader replaces it while a message is open (Back
// returns), and the folder tree is a drawer over them that the Folders
// button opens.
//
// Its methods must be called on the Fyne goroutine.
type panes struct {
	w    *MainWindow
	root *fyne.Container // holds the current arrangement, laid out by panesLayout

	narrow     bool
	readerOpen bool // narrow: the reader, not the list, is shown
	drawerOpen bool
	// mode is where the reader sits when wide (the settings' reading pane).
	mode app.ReadingPane

	// list is the message list's pane under the density's theme.
	list    *container.ThemeOverride
	density *densityTheme

	wide        *container.Split // folders | (list | reader), or folders | list with the reader off
	right       *container.Split // list | reader, or list over reader (unused with the reader off)
	single      *fyne.Container  // narrow: list and reader, one shown
	drawer      *fyne.Container  // narrow: the folder tree over the rest
	nav         *fyne.Container
	foldersBtn  *widget.Button
	backBtn     *widget.Button
	folderLabel *widget.Label
}

func newPanes(w *MainWindow) *panes {
	p := &panes{w: w}
	s := w.core.Settings()
	p.mode = s.ReadingPane
	p.density = &densityTheme{base: func() fyne.Theme { return w.app.Settings().Theme() }}
	p.density.set(s.Density)
	p.list = container.NewThemeOverride(w.convs.pane, p.density)
	left, middle := defaultFolderSplit, defaultListSplit
	if o := s.Window.FolderSplit; o > 0 && o < 1 {
		left = o
	}
	if o := s.Window.ListSplit; o > 0 && o < 1 {
		middle = o
	}
	p.buildWide(left, middle)

	p.foldersBtn = widget.NewButtonWithIcon("Folders", theme.MenuIcon(), p.toggleDrawer)
	p.backBtn = widget.NewButtonWithIcon("Back", theme.NavigateBackIcon(), p.back)
	p.foldersBtn.Importance, p.backBtn.Importance = widget.LowImportance, widget.LowImportance
	p.folderLabel = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis}
	p.nav = container.NewBorder(nil, nil, container.NewHBox(p.foldersBtn, p.backBtn), nil, p.folderLabel)
	p.single = container.NewStack()
	shade := canvas.NewRectangle(theme.Color(theme.ColorNameShadow))
	closer := widget.NewButton("", p.closeDrawer) // a tap beside the drawer closes it
	closer.Importance = widget.LowImportance
	panel := container.NewStack(canvas.NewRectangle(theme.Color(theme.ColorNameBackground)), container.NewPadded(container.NewStack()))
	p.drawer = container.New(&drawerLayout{}, panel, container.NewStack(closer, shade))
	p.drawer.Hide()

	p.root = container.New(&panesLayout{p: p}, p.wide)
	return p
}

// setNarrow switches the arrangement for a content of width narrow or not.
func (p *panes) setNarrow(narrow bool) {
	if narrow == p.narrow && len(p.root.Objects) == 1 {
		return
	}
	p.narrow = narrow
	// A pane is in one arrangement at a time.
	p.single.Objects = nil
	p.drawerPanel().Objects = nil
	if !narrow {
		p.drawerOpen = false
		p.list.Show()
		p.w.reader.root.Show()
		p.w.folders.root.Show()
		p.buildWide(p.wide.Offset, p.right.Offset)
		p.root.Objects = []fyne.CanvasObject{p.wide}
		return
	}
	blank := func() fyne.CanvasObject { return container.NewStack() }
	p.right.Leading, p.right.Trailing, p.wide.Leading = blank(), blank(), blank()
	p.single.Objects = []fyne.CanvasObject{p.list, p.w.reader.root}
	p.drawerPanel().Objects = []fyne.CanvasObject{p.w.folders.root}
	p.root.Objects = []fyne.CanvasObject{container.NewBorder(container.NewVBox(p.nav, widget.NewSeparator()), nil, nil, nil, p.single), p.drawer}
	p.update()
}

// The dividers' default offsets.
const (
	defaultFolderSplit = 0.2
	defaultListSplit   = 0.42
)

// buildWide makes the wide arrangement's splits for the reading pane's
// mode, their dividers at the given offsets.
func (p *panes) buildWide(left, middle float64) {
	switch p.mode {
	case app.PaneBelow:
		p.right = container.NewVSplit(p.list, p.w.reader.root)
	case app.PaneOff:
		p.right = container.NewHSplit(container.NewStack(), container.NewStack())
	default:
		p.right = container.NewHSplit(p.list, p.w.reader.root)
	}
	p.right.SetOffset(middle)
	if p.mode == app.PaneOff {
		p.wide = container.NewHSplit(p.w.folders.root, p.list)
	} else {
		p.wide = container.NewHSplit(p.w.folders.root, p.right)
	}
	p.wide.SetOffset(left)
}

// setMode puts the reader where mode says.
func (p *panes) setMode(mode app.ReadingPane) {
	if mode == p.mode {
		return
	}
	p.mode = mode
	if p.narrow {
		return // narrow, the reader replaces the list whatever the mode
	}
	p.buildWide(p.wide.Offset, p.right.Offset)
	p.root.Objects = []fyne.CanvasObject{p.wide}
	p.root.Refresh()
}

// readerShown reports whether opening a message shows it in the reader
// (rather than the reader being off).
func (p *panes) readerShown() bool { return p.narrow || p.mode != app.PaneOff }

// offsets returns the wide arrangement's divider offsets.
func (p *panes) offsets() (left, middle float64) { return p.wide.Offset, p.right.Offset }

// drawerPanel is the container inside the drawer that holds the tree.
func (p *panes) drawerPanel() *fyne.Container {
	panel := p.drawer.Objects[0].(*fyne.Container)
	return panel.Objects[1].(*fyne.Container).Objects[0].(*fyne.Container)
}

// update shows what the narrow arrangement's state says.
func (p *panes) update() {
	if !p.narrow {
		return
	}
	if p.readerOpen {
		p.list.Hide()
		p.w.reader.root.Show()
		p.backBtn.Show()
	} else {
		p.w.reader.root.Hide()
		p.list.Show()
		p.backBtn.Hide()
	}
	p.w.folders.root.Show()
	if p.drawerOpen {
		p.drawer.Show()
	} else {
		p.drawer.Hide()
	}
	p.folderLabel.SetText(p.title())
	p.single.Refresh()
	p.drawer.Refresh()
}

func (p *panes) title() string {
	if p.w.list.mailbox.ID == 0 {
		return ""
	}
	return folderName(p.w.list.mailbox)
}

// showingList reports whether the message list is on screen.
func (p *panes) showingList() bool { return !p.narrow || !p.readerOpen }

// showingReader reports whether the reader is on screen.
func (p *panes) showingReader() bool { return !p.narrow || p.readerOpen }

// messageOpened shows the reader over the list when narrow.
func (p *panes) messageOpened() {
	p.readerOpen = true
	p.update()
}

// folderOpened closes the drawer and shows the list when narrow.
func (p *panes) folderOpened() {
	p.readerOpen, p.drawerOpen = false, false
	p.update()
}

// back returns from the reader to the list.
func (p *panes) back() {
	p.readerOpen = false
	p.update()
	p.w.focusList()
}

func (p *panes) toggleDrawer() {
	p.drawerOpen = !p.drawerOpen
	p.update()
}

func (p *panes) closeDrawer() {
	p.drawerOpen = false
	p.update()
}

// panesLayout fills its size with the current arrangement, switching
// arrangements when the width crosses narrowWidth. Its minimum is the
// narrow arrangement's, so that the window can be made narrow.
type panesLayout struct{ p *panes }

func (l *panesLayout) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	l.p.setNarrow(size.Width < narrowWidth)
	for _, o := range l.p.root.Objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (l *panesLayout) MinSize([]fyne.CanvasObject) fyne.Size {
	p := l.p
	list, reader := p.w.convs.pane.MinSize(), p.w.reader.root.MinSize()
	nav := p.nav.MinSize()
	return fyne.NewSize(max(list.Width, reader.Width, nav.Width), nav.Height+max(list.Height, reader.Height))
}

// drawerLayout puts its first object, the drawer's panel, at the left edge,
// up to drawerWidth wide, and its second, the shade, over the rest.
type drawerLayout struct{}

func (drawerLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := min(drawerWidth, size.Width*0.8)
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(w, size.Height))
	objs[1].Move(fyne.NewPos(w, 0))
	objs[1].Resize(fyne.NewSize(size.Width-w, size.Height))
}

func (drawerLayout) MinSize(objs []fyne.CanvasObject) fyne.Size { return objs[0].MinSize() }
