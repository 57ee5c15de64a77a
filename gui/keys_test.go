package gui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/mailtest"
)

// newServerHarness is newHarness that also returns the demo server, to
// look at what the server holds, and shows the demo inbox.
func newServerHarness(t *testing.T) (*harness, *mailtest.Server) {
	t.Helper()
	a := test.NewTempApp(t)
	log := &testLog{t: t}
	srv := mailtest.DemoForTest(t)
	core, err := app.New(app.Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets(), StartDemo: demoFor(srv), Logf: log.logf})
	if err != nil {
		t.Fatal(err)
	}
	core.Start()
	h := windowFor(t, a, core, log)
	h.startDemo()
	return h, srv
}

// press sends key name to the focused widget, or the canvas, as the
// driver does.
func (h *harness) press(name fyne.KeyName) {
	h.t.Helper()
	ev := &fyne.KeyEvent{Name: name}
	c := h.w.win.Canvas()
	if f := c.Focused(); f != nil {
		f.TypedKey(ev)
	} else if k := c.OnTypedKey(); k != nil {
		k(ev)
	}
	h.run()
}

// typeKey types rune r on the canvas (to the focused widget, if any).
func (h *harness) typeKey(r rune) {
	test.TypeOnCanvas(h.w.win.Canvas(), string(r))
	h.run()
}

// shortcut sends a key with modifiers as the driver does: to the focused
// widget if it takes shortcuts, else to the canvas.
func (h *harness) shortcut(name fyne.KeyName, mod fyne.KeyModifier) {
	s := &desktop.CustomShortcut{KeyName: name, Modifier: mod}
	c := h.w.win.Canvas()
	if f, ok := c.Focused().(fyne.Shortcutable); ok {
		f.TypedShortcut(s)
	} else {
		c.(fyne.Shortcutable).TypedShortcut(s)
	}
	h.run()
}

// withKeyHeld runs fn with modifier key k held down on the focused list.
func (h *harness) withKeyHeld(k fyne.KeyName, fn func()) {
	h.w.list.list.KeyDown(&fyne.KeyEvent{Name: k})
	fn()
	h.w.list.list.KeyUp(&fyne.KeyEvent{Name: k})
}

// row returns the drawn list row i, failing the test if it is not drawn.
func (h *harness) row(i int) *selRow {
	h.t.Helper()
	for _, o := range test.LaidOutObjects(h.w.list.list) {
		if r, ok := o.(*selRow); ok && r.Visible() && r.id == i {
			return r
		}
	}
	h.t.Fatalf("row %d is not drawn", i)
	return nil
}

// click taps list row i with mods held on the mouse.
func (h *harness) click(i int, mods fyne.KeyModifier) {
	h.t.Helper()
	r := h.row(i)
	r.MouseDown(&desktop.MouseEvent{Modifier: mods})
	test.Tap(r)
	h.run()
}

// shows waits until the reader shows row i's message.
func (h *harness) shows(what string, i int) app.Message {
	h.t.Helper()
	var m app.Message
	h.waitFor(what, func() bool {
		var ok bool
		m, ok = h.w.list.at(i)
		return ok && h.w.list.selIndex == i && h.w.list.selectedID == m.ID && h.w.reader.msg.ID == m.ID
	})
	return m
}

// onServer returns the Message-IDs (with their flags) of the messages in
// mailbox on the server.
func onServer(t *testing.T, c *imapclient.Client, mailbox string) map[string][]imap.Flag {
	t.Helper()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]imap.Flag{}
	if sel.NumMessages == 0 {
		return out
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{Envelope: true, Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Envelope != nil {
			out[m.Envelope.MessageID] = m.Flags
		}
	}
	return out
}

func hasImapFlag(flags []imap.Flag, f imap.Flag) bool {
	for _, x := range flags {
		if strings.EqualFold(string(x), string(f)) {
			return true
		}
	}
	return false
}

// TestClickFocusesListAndKeysMove: a click on a row gives the list the
// focus (shown by its ring), and the movement keys then work through it.
func TestClickFocusesListAndKeysMove(t *testing.T) {
	h, _ := newServerHarness(t)
	c := h.w.win.Canvas()
	c.Unfocus()
	h.click(2, 0)
	h.shows("row 2 after a click", 2)
	if c.Focused() != h.w.list.list {
		t.Fatalf("focus on %T after a click on a row", c.Focused())
	}
	if !h.w.list.sel.ring.Visible() {
		t.Error("no focus ring on the focused list")
	}
	h.typeKey('j')
	h.shows("j", 3)
	h.press(fyne.KeyDown)
	h.shows("Down", 4)
	h.typeKey('k')
	h.shows("k", 3)
	h.press(fyne.KeyUp)
	h.shows("Up", 2)

	// End shows real rows of the last page, not placeholders.
	n := h.w.list.count
	h.w.list.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnd}) // no UI work run yet
	h.waitForFirst("End", func() bool {
		if h.w.list.selIndex == n-1 {
			if p := h.placeholders(); len(p) > 0 {
				t.Fatalf("rows %v are placeholders after End", p)
			}
			return true
		}
		return false
	})
	h.shows("End", n-1)
	h.press(fyne.KeyHome)
	h.shows("Home", 0)
	page := h.w.list.visibleRows()
	if page < 2 {
		t.Fatalf("%d rows visible", page)
	}
	h.press(fyne.KeyPageDown)
	h.shows("Page Down", page)
	h.press(fyne.KeyPageUp)
	h.shows("Page Up", 0)

	// n and p go to the next and previous unread message.
	h.typeKey('n')
	h.waitFor("an unread message after n", func() bool {
		m, ok := h.w.list.at(h.w.list.selIndex)
		return ok && h.w.list.selIndex > 0 && h.w.reader.msg.ID == m.ID
	})
	at := h.w.list.selIndex
	for i := 1; i < at; i++ {
		if m, _ := h.w.list.at(i); !m.Seen() {
			t.Fatalf("n skipped unread row %d for %d", i, at)
		}
	}
	h.w.win.Canvas().Unfocus()
	h.press(fyne.KeyHome) // the canvas takes keys when nothing has the focus
	h.shows("Home with nothing focused", 0)

	// The focus leaves with the ring.
	c.Unfocus()
	if h.w.list.sel.ring.Visible() {
		t.Error("focus ring without the focus")
	}
}

// TestLetterKeysActOnTheFocusedList: s, u, e, Delete, ! and m after a
// click; each removal selects and shows the next message.
func TestLetterKeysActOnTheFocusedList(t *testing.T) {
	h, srv := newServerHarness(t)
	ctx := h.ctx()
	acct := h.w.accounts[0].ID
	archive, _ := h.core.MailboxByRole(ctx, acct, app.RoleArchive)
	trash, _ := h.core.MailboxByRole(ctx, acct, app.RoleTrash)
	junk, _ := h.core.MailboxByRole(ctx, acct, app.RoleJunk)
	h.click(0, 0)
	m := h.shows("row 0", 0)

	h.typeKey('s')
	h.waitFor("the star in the store", func() bool { x, _ := h.core.Message(ctx, m.ID); return x.Flagged() })
	h.typeKey('u')
	h.waitFor("unread in the store", func() bool { x, _ := h.core.Message(ctx, m.ID); return !x.Seen() })

	next, _ := h.w.list.at(1)
	h.typeKey('e')
	h.waitFor("the next message shown after e", func() bool {
		return h.w.list.selectedID == next.ID && h.w.reader.msg.ID == next.ID
	})
	h.waitFor("the list without the archived message", func() bool { _, ok := h.w.list.message(m.ID); return !ok })

	third, _ := h.w.list.at(h.w.list.selIndex + 1)
	h.press(fyne.KeyDelete)
	h.waitFor("the next message shown after Delete", func() bool { return h.w.reader.msg.ID == third.ID })

	fourth, _ := h.w.list.at(h.w.list.selIndex + 1)
	h.typeKey('!')
	h.waitFor("the next message shown after !", func() bool { return h.w.reader.msg.ID == fourth.ID })

	// m opens the picker; typing narrows it, Enter moves.
	h.typeKey('m')
	if h.w.picker == nil {
		t.Fatal("m opened no folder picker")
	}
	test.Type(h.w.picker.filter, "arch")
	if len(h.w.picker.shown) != 1 || h.w.picker.shown[0].ID != archive.ID {
		t.Fatalf("picker shows %d folders for \"arch\"", len(h.w.picker.shown))
	}
	h.w.picker.filter.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.run()
	if h.w.picker != nil {
		t.Fatal("the picker stayed open")
	}
	h.waitFor("the list without the moved message", func() bool { _, ok := h.w.list.message(fourth.ID); return !ok })

	cl := srv.DialIMAP(t, nil)
	h.waitFor("each message in its folder on the server", func() bool {
		a, tr, j := onServer(t, cl, archive.Name), onServer(t, cl, trash.Name), onServer(t, cl, junk.Name)
		_, inA := a[m.MessageID]
		_, inT := tr[next.MessageID]
		_, inJ := j[third.MessageID]
		_, inA2 := a[fourth.MessageID]
		return inA && inT && inJ && inA2 && hasImapFlag(a[m.MessageID], imap.FlagFlagged) && !hasImapFlag(a[m.MessageID], imap.FlagSeen)
	})
}

// TestOtherKeys: Enter, c, r, a, f, Ctrl+1, zoom, and the cheat sheet (F1
// and ?) that lists every binding.
func TestOtherKeys(t *testing.T) {
	h, _ := newServerHarness(t)
	h.click(0, 0)
	m := h.shows("row 0", 0)

	h.press(fyne.KeyReturn)
	h.waitFor("the message in its own window", func() bool { return h.windowTitled(subjectText(m.Subject)) != nil })

	windows := func() int { return len(h.w.app.Driver().AllWindows()) }
	for _, r := range []rune{'c', 'r', 'a', 'f'} {
		before := windows()
		h.typeKey(r)
		h.waitFor("a composer after "+string(r), func() bool { return windows() == before+1 })
	}

	// Ctrl+2 opens the second folder of the account.
	h.w.win.Canvas().Focus(h.w.list.list)
	second := h.w.folders.boxes[h.w.accounts[0].ID][1]
	h.shortcut(fyne.Key2, fyne.KeyModifierShortcutDefault)
	h.waitFor("the second folder", func() bool { return h.w.list.mailbox.ID == second.ID })
	h.shortcut(fyne.Key1, fyne.KeyModifierShortcutDefault)
	h.waitFor("the first folder", func() bool { return h.w.list.mailbox.ID != second.ID && h.w.list.count > 0 })

	// Ctrl+plus and Ctrl+minus size the whole window's text (prefs_test.go
	// checks that it is saved).
	textSize := func() float32 { return h.w.app.Settings().Theme().Size(theme.SizeNameText) }
	base := textSize()
	h.shortcut(fyne.KeyPlus, fyne.KeyModifierShortcutDefault)
	if textSize() <= base {
		t.Errorf("text size %v after Ctrl++, was %v", textSize(), base)
	}
	h.shortcut(fyne.KeyMinus, fyne.KeyModifierShortcutDefault)
	h.shortcut(fyne.KeyMinus, fyne.KeyModifierShortcutDefault)
	if textSize() >= base {
		t.Errorf("text size %v after Ctrl+− twice, was %v", textSize(), base)
	}
	h.shortcut(fyne.Key0, fyne.KeyModifierShortcutDefault)
	if textSize() != base {
		t.Errorf("text size %v after Ctrl+0, want %v", textSize(), base)
	}

	h.w.win.Canvas().Focus(h.w.list.list)
	h.press(fyne.KeyF1)
	if h.w.cheat == nil {
		t.Fatal("F1 showed no cheat sheet")
	}
	text := ""
	for _, o := range test.LaidOutObjects(h.w.cheatSheet()) {
		if l, ok := o.(*widget.Label); ok {
			text += l.Text + "\n"
		}
	}
	for _, b := range h.w.keys {
		if !strings.Contains(text, b.keys) || !strings.Contains(text, b.desc) {
			t.Errorf("the cheat sheet lacks %q %q", b.keys, b.desc)
		}
	}
	h.w.cheat.Hide()
	h.run()
	h.typeKey('?')
	if h.w.cheat == nil {
		t.Fatal("? showed no cheat sheet")
	}
}

// TestMultiSelectAndBulkUndo: Shift+click, Ctrl+click, Shift+Down and
// Ctrl+A select; the reader counts; e archives the selection as one step
// whose toast undoes it, on the server too.
func TestMultiSelectAndBulkUndo(t *testing.T) {
	h, srv := newServerHarness(t)
	ctx := h.ctx()
	acct := h.w.accounts[0].ID
	inbox := h.w.list.mailbox
	archive, _ := h.core.MailboxByRole(ctx, acct, app.RoleArchive)
	total := h.w.list.count

	h.click(1, 0)
	h.shows("row 1", 1)
	h.click(4, fyne.KeyModifierShift)
	if n := len(h.w.list.sel.marked); n != 4 {
		t.Fatalf("Shift+click selected %d, want 4", n)
	}
	if l := labelWithPrefix(h.w.reader.root, "4 messages selected"); l == nil {
		t.Error("the reader does not say 4 messages selected")
	}
	for i := 1; i <= 4; i++ {
		if h.row(i).bg.FillColor != theme.Color(theme.ColorNameSelection) {
			t.Errorf("row %d not highlighted", i)
		}
	}
	if h.row(0).bg.FillColor == theme.Color(theme.ColorNameSelection) {
		t.Error("row 0 highlighted")
	}
	h.click(2, fyne.KeyModifierControl)
	if n := len(h.w.list.sel.marked); n != 3 {
		t.Fatalf("Ctrl+click left %d selected, want 3", n)
	}
	h.withKeyHeld(desktop.KeyShiftLeft, func() { h.press(fyne.KeyDown) })
	if n := len(h.w.list.sel.marked); n != 2 || !h.w.list.isSelected(3) {
		// The anchor is row 2 (the Ctrl+click): Shift+Down selects 2..3.
		t.Fatalf("Shift+Down: %d selected", n)
	}
	h.withKeyHeld(desktop.KeyShiftLeft, func() { h.press(fyne.KeyUp) })
	if n := len(h.w.list.sel.marked); n != 0 || h.w.list.selIndex != 2 {
		t.Fatalf("Shift+Up back to the anchor: %d selected, cursor %d", n, h.w.list.selIndex)
	}
	h.shortcut(fyne.KeyA, fyne.KeyModifierShortcutDefault)
	h.waitFor("all selected", func() bool { return len(h.w.list.sel.marked) == total })
	h.press(fyne.KeyEscape)
	if len(h.w.list.sel.marked) != 0 {
		t.Fatal("Esc kept the multi-selection")
	}

	// Rows 1..3 archived as one step.
	h.click(1, 0)
	h.click(3, fyne.KeyModifierShift)
	var picked []app.Message
	for i := 1; i <= 3; i++ {
		m, _ := h.w.list.at(i)
		picked = append(picked, m)
	}
	after, _ := h.w.list.at(4)
	h.typeKey('e')
	h.waitFor("the toast", func() bool { return h.w.undo.visible() && h.w.undo.btn.Visible() })
	if got := h.w.undo.label.Text; got != "Archived 3 messages" {
		t.Errorf("toast %q", got)
	}
	if h.w.reader.msg.ID != after.ID {
		t.Errorf("reader shows %d, want the next message %d", h.w.reader.msg.ID, after.ID)
	}
	cl := srv.DialIMAP(t, nil)
	h.waitFor("the three in Archive on the server", func() bool {
		a := onServer(t, cl, archive.Name)
		for _, m := range picked {
			if _, ok := a[m.MessageID]; !ok {
				return false
			}
		}
		return true
	})
	test.Tap(h.w.undo.btn)
	h.waitFor("the three back in the list", func() bool {
		for _, m := range picked {
			if h.w.list.indexOf(m.ID) < 0 && !h.listHasMessageID(m.MessageID) {
				return false
			}
		}
		return h.w.list.count == total
	})
	h.waitFor("the three back in the inbox on the server", func() bool {
		in, a := onServer(t, cl, inbox.Name), onServer(t, cl, archive.Name)
		for _, m := range picked {
			if _, ok := in[m.MessageID]; !ok {
				return false
			}
			if _, ok := a[m.MessageID]; ok {
				return false
			}
		}
		return true
	})
}

// placeholders returns the drawn rows of the list that wait for their page.
func (h *harness) placeholders() []int {
	var out []int
	for _, r := range test.LaidOutObjects(h.w.list.list) {
		if mr, ok := r.(*selRow); ok && mr.Visible() && mr.row.Data().Placeholder {
			out = append(out, mr.id)
		}
	}
	return out
}

// listHasMessageID reports whether a cached row has Message-ID id.
func (h *harness) listHasMessageID(id string) bool {
	for _, p := range h.w.list.pages {
		for _, m := range p {
			if m.MessageID == id {
				return true
			}
		}
	}
	return false
}

// TestEveryBindingIsWired sends each key of the table the way the driver
// would (a rune, a key with or without Shift, a shortcut) and checks that
// it runs its own binding and no other.
func TestEveryBindingIsWired(t *testing.T) {
	h, _ := newServerHarness(t)
	h.click(0, 0)
	ran := -1
	for i := range h.w.keys {
		if h.w.keys[i].do != nil {
			h.w.keys[i].do = func() { ran = i }
		}
	}
	check := func(i int, how string, send func()) {
		t.Helper()
		ran = -1
		h.w.win.Canvas().Focus(h.w.list.list)
		send()
		if ran != i {
			t.Errorf("%s ran binding %d, want %d (%s)", how, ran, i, h.w.keys[i].desc)
		}
	}
	for i, b := range h.w.keys {
		for _, r := range b.runes {
			check(i, "rune "+string(r), func() { h.typeKey(r) })
		}
		for _, n := range b.names {
			if b.shift {
				check(i, "Shift+"+string(n), func() { h.withKeyHeld(desktop.KeyShiftLeft, func() { h.press(n) }) })
			} else {
				check(i, string(n), func() { h.press(n) })
			}
		}
		if b.do == nil {
			continue // Ctrl+1 … Ctrl+9, tested in TestOtherKeys
		}
		for _, s := range b.shortcuts {
			check(i, s.ShortcutName(), func() { h.shortcut(s.KeyName, s.Modifier) })
		}
	}
}
