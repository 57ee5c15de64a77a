package gui

import (
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// binding is one keyboard shortcut of the main window. The window's table
// of bindings both binds the keys and makes the cheat sheet, so that the
// two cannot disagree.
type binding struct {
	// keys is how the cheat sheet shows the keys, desc what they do.
	keys, desc string
	// runes are typed characters that trigger it.
	runes []rune
	// names are keys that trigger it, pressed alone, or with Shift held
	// when shift is set.
	names []fyne.KeyName
	shift bool
	// shortcuts are combinations with Ctrl (Cmd on macOS) or Alt.
	shortcuts []*desktop.CustomShortcut
	do        func()
}

// ctrl is the modifier of the window's shortcuts: Ctrl, or Cmd on macOS.
const ctrl = fyne.KeyModifierShortcutDefault

// searchShortcut (Ctrl+K) focuses the search field. It is also the
// shortcut of the File menu's Search item: the driver offers a key
// combination to the main menu before the focused widget, so that Ctrl+K
// reaches the search field also from a widget that takes every shortcut
// itself (the reader's find bar, a selectable label of the reader).
var searchShortcut = &desktop.CustomShortcut{KeyName: fyne.KeyK, Modifier: ctrl}

// searchFromMenu focuses the search field unless a dialog of ours is open.
func (w *MainWindow) searchFromMenu() {
	if w.keysOn() {
		w.search.focus()
	}
}

// bindings returns the main window's table of keyboard shortcuts.
func (w *MainWindow) bindings() []binding {
	l := w.list
	sc := func(key fyne.KeyName, mod fyne.KeyModifier) *desktop.CustomShortcut {
		return &desktop.CustomShortcut{KeyName: key, Modifier: mod}
	}
	folders := make([]*desktop.CustomShortcut, 0, 9)
	for i := 1; i <= 9; i++ {
		folders = append(folders, sc(fyne.KeyName(strconv.Itoa(i)), ctrl))
	}
	return []binding{
		{keys: "j  ↓", desc: "Next message", runes: []rune{'j'}, names: []fyne.KeyName{fyne.KeyDown}, do: func() { l.moveCursor(1, false) }},
		{keys: "k  ↑", desc: "Previous message", runes: []rune{'k'}, names: []fyne.KeyName{fyne.KeyUp}, do: func() { l.moveCursor(-1, false) }},
		{keys: "Shift+↓", desc: "Select the next message too", names: []fyne.KeyName{fyne.KeyDown}, shift: true, do: func() { l.moveCursor(1, true) }},
		{keys: "Shift+↑", desc: "Select the previous message too", names: []fyne.KeyName{fyne.KeyUp}, shift: true, do: func() { l.moveCursor(-1, true) }},
		{keys: "Home", desc: "First message", names: []fyne.KeyName{fyne.KeyHome}, do: func() { l.jumpTo(0) }},
		{keys: "End", desc: "Last message", names: []fyne.KeyName{fyne.KeyEnd}, do: func() { l.jumpTo(l.count - 1) }},
		{keys: "Page Down", desc: "A page down", names: []fyne.KeyName{fyne.KeyPageDown}, do: func() { l.moveCursor(l.visibleRows(), false) }},
		{keys: "Page Up", desc: "A page up", names: []fyne.KeyName{fyne.KeyPageUp}, do: func() { l.moveCursor(-l.visibleRows(), false) }},
		{keys: "n", desc: "Next unread message", runes: []rune{'n'}, do: func() { l.nextUnread(1) }},
		{keys: "p", desc: "Previous unread message", runes: []rune{'p'}, do: func() { l.nextUnread(-1) }},
		{keys: "Ctrl+A", desc: "Select all messages", shortcuts: []*desktop.CustomShortcut{sc(fyne.KeyA, ctrl)}, do: l.selectAll},
		{keys: "Esc", desc: "Select only the current message", names: []fyne.KeyName{fyne.KeyEscape}, do: func() {
			if l.selIndex >= 0 {
				l.selectOnly(l.selIndex)
			}
		}},
		{keys: "Enter", desc: "Open the message in its own window", names: []fyne.KeyName{fyne.KeyReturn, fyne.KeyEnter}, do: w.openInWindow},
		{keys: "Delete  #", desc: "Delete", runes: []rune{'#'}, names: []fyne.KeyName{fyne.KeyDelete}, do: w.deleteSelected},
		{keys: "e", desc: "Archive", runes: []rune{'e', 'E'}, do: w.archiveSelected},
		{keys: "s", desc: "Star or unstar", runes: []rune{'s', 'S'}, do: w.toggleStarSelected},
		{keys: "u", desc: "Mark unread (or read)", runes: []rune{'u', 'U'}, do: w.markUnreadSelected},
		{keys: "!", desc: "Junk, or not junk in the Junk folder", runes: []rune{'!'}, do: w.junkSelected},
		{keys: "m", desc: "Move to a folder…", runes: []rune{'m'}, do: w.moveSelected},
		{keys: "Shift+M", desc: "Copy to a folder…", runes: []rune{'M'}, do: w.copySelected},
		{keys: "Ctrl+Z", desc: "Undo the last move, delete or flag change", shortcuts: []*desktop.CustomShortcut{sc(fyne.KeyZ, ctrl)}, do: w.undo.undo},
		{keys: "c", desc: "New message", runes: []rune{'c'}, do: w.compose.compose},
		{keys: "r", desc: "Reply", runes: []rune{'r'}, do: func() { w.compose.reply(false) }},
		{keys: "a", desc: "Reply all", runes: []rune{'a'}, do: func() { w.compose.reply(true) }},
		{keys: "f", desc: "Forward", runes: []rune{'f'}, do: func() { w.compose.forward(false) }},
		{keys: "Ctrl+1 … Ctrl+9", desc: "Open the account's 1st … 9th folder", shortcuts: folders},
		{keys: "Ctrl++", desc: "Larger text in the whole window", shortcuts: []*desktop.CustomShortcut{sc(fyne.KeyPlus, ctrl), sc(fyne.KeyEqual, ctrl), sc(fyne.KeyEqual, ctrl|fyne.KeyModifierShift)}, do: w.zoomIn},
		{keys: "Ctrl+−", desc: "Smaller text in the whole window", shortcuts: []*desktop.CustomShortcut{sc(fyne.KeyMinus, ctrl)}, do: w.zoomOut},
		{keys: "Ctrl+0", desc: "Text at its normal size", shortcuts: []*desktop.CustomShortcut{sc(fyne.Key0, ctrl)}, do: w.zoomReset},
		{keys: "Ctrl+,", desc: "Preferences", shortcuts: []*desktop.CustomShortcut{sc(fyne.KeyComma, ctrl)}, do: w.showPrefs},
		{keys: "/  Ctrl+K", desc: "Search", runes: []rune{'/'}, shortcuts: []*desktop.CustomShortcut{searchShortcut}, do: func() { w.search.focus() }},
		{keys: "F1  ?", desc: "This list of keys", runes: []rune{'?'}, names: []fyne.KeyName{fyne.KeyF1}, do: w.showCheatSheet},
	}
}

// installKeys binds the table's keys on the window's canvas: typed runes
// and keys reach it when no widget has the focus, and through the message
// list when it has; shortcuts with Ctrl go to the canvas whenever the
// focused widget does not take them. None of this needs a window manager.
func (w *MainWindow) installKeys() {
	w.keys = w.bindings()
	c := w.win.Canvas()
	c.SetOnTypedRune(w.typedRune)
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) { w.typedKeyEvent(ev) })
	for i, b := range w.keys {
		for j, s := range b.shortcuts {
			c.AddShortcut(s, func(fyne.Shortcut) {
				if !w.keysOn() {
					return
				}
				if do := w.keys[i].do; do != nil {
					do()
				} else { // Ctrl+1 … Ctrl+9
					w.openFolderN(j)
				}
			})
		}
	}
}

// typedRune runs the binding of rune r.
func (w *MainWindow) typedRune(r rune) {
	if !w.keysOn() {
		return
	}
	for _, b := range w.keys {
		for _, x := range b.runes {
			if x == r {
				b.do()
				return
			}
		}
	}
}

// typedKeyEvent runs the binding of key ev and reports whether there was
// one.
func (w *MainWindow) typedKeyEvent(ev *fyne.KeyEvent) bool {
	if !w.keysOn() {
		return false
	}
	shift := w.list.modifiers()&fyne.KeyModifierShift != 0
	for _, b := range w.keys {
		if b.shift != shift {
			continue
		}
		for _, n := range b.names {
			if n == ev.Name {
				b.do()
				return true
			}
		}
	}
	return false
}

// keysOn reports whether the window's keys apply: the three panes are
// shown and no dialog of ours is open over them.
func (w *MainWindow) keysOn() bool {
	return w.showingMain() && w.picker == nil && w.cheat == nil
}

// openFolderN opens the n-th folder (from 0) of the shown account, in the
// folder tree's order.
func (w *MainWindow) openFolderN(n int) {
	account := w.list.mailbox.Account
	if account == "" && len(w.accounts) > 0 {
		account = w.accounts[0].ID
	}
	if boxes := w.folders.boxes[account]; n < len(boxes) {
		w.folders.selectMailbox(boxes[n].ID)
	}
}
