package gui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/sync/imapsync"
)

// searchFor types q into an empty search field, key by key, and waits for
// the final results (the servers asked too). It returns what Core.Search
// finds for the same query and scope.
func (h *harness) searchFor(q string) app.SearchResult {
	h.t.Helper()
	s := h.w.search
	s.entry.SetText("")
	test.Type(s.entry, q)
	opts := app.SearchOptions{Query: q, Limit: searchLimit, Count: true, Server: true}
	if !s.allMail {
		opts.Folder = h.w.list.mailbox.ID
	}
	want, err := h.core.Search(h.ctx(), opts)
	if err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
	h.waitFor("the results of "+q, func() bool {
		return h.w.list.searching && s.summary.Visible() && !strings.HasSuffix(s.summary.Text, "…")
	})
	return want
}

// shownIDs returns the IDs of the messages the list holds.
func (h *harness) shownIDs() []int64 {
	var ids []int64
	for i := 0; i < h.w.list.count; i++ {
		m, ok := h.w.list.at(i)
		if !ok {
			h.t.Fatalf("row %d of %d not loaded", i, h.w.list.count)
		}
		ids = append(ids, m.ID)
	}
	return ids
}

// TestSearchField drives the search field: Ctrl+K and / focus it, each
// operator class finds in the list what Core.Search finds, with its label;
// the scope toggle, a bad query's error in words, and Escape back to the
// folder.
func TestSearchField(t *testing.T) {
	h := newHarness(t, nil)
	h.startDemo()
	// Search what a finished sync stored: bodies arriving meanwhile would
	// move matches from "on the server" to "here" between two searches.
	h.waitFor("the first sync to finish", func() bool { return strings.Contains(h.statusText(), "Up to date") })
	s := h.w.search
	canvas := h.w.win.Canvas()
	inbox := h.w.list.mailbox

	// Ctrl+K from the list, and / typed in the list.
	canvas.Focus(h.w.list.list)
	shortcut(h, fyne.KeyK, fyne.KeyModifierShortcutDefault)
	if canvas.Focused() != s.entry {
		t.Fatalf("Ctrl+K focused %T, want the search field", canvas.Focused())
	}
	canvas.Focus(h.w.list.list)
	canvas.Focused().(fyne.Focusable).TypedRune('/')
	if canvas.Focused() != s.entry || s.entry.Text != "" {
		t.Fatalf("/ in the list: focus %T, field %q", canvas.Focused(), s.entry.Text)
	}

	acct := h.w.accounts[0].ID
	test.Tap(s.scopeBtn)
	if !s.allMail || s.scopeBtn.Text != "All mail" {
		t.Fatalf("scope button: all mail %v, %q", s.allMail, s.scopeBtn.Text)
	}
	for _, c := range []struct {
		q        string
		mayEmpty bool
	}{
		{q: "invoice"},
		{q: `"your invoice"`},
		{q: "from:hexa"},
		{q: "to:demo@tern.example"},
		{q: "cc:example", mayEmpty: true},
		{q: "subject:invoice"},
		{q: "has:attachment"},
		{q: "is:unread"},
		{q: "is:read"},
		{q: "is:starred"},
		{q: "after:2000-01-01 before:2100-01-01"},
		{q: "in:sent"},
		{q: "account:" + acct},
		{q: "invoice -has:attachment", mayEmpty: true},
		{q: "-is:read -in:inbox"},
	} {
		want := h.searchFor(c.q)
		wantIDs := []int64{}
		for _, m := range append(want.Messages, want.Server...) {
			wantIDs = append(wantIDs, m.ID)
		}
		got := h.shownIDs()
		if len(got) == 0 && !c.mayEmpty {
			t.Errorf("%s: nothing found", c.q)
		}
		if !slices.Equal(got, wantIDs) && !(len(got) == 0 && len(wantIDs) == 0) {
			t.Errorf("%s: the list shows %d messages %v, Core.Search %d %v", c.q, len(got), got, len(wantIDs), wantIDs)
		}
		if s.summary.Text != want.Summary() {
			t.Errorf("%s: label %q, want %q", c.q, s.summary.Text, want.Summary())
		}
	}

	// This folder only.
	test.Tap(s.scopeBtn)
	want := h.searchFor("is:read")
	if s.allMail || len(want.Messages) == 0 {
		t.Fatalf("folder scope: all mail %v, %d found", s.allMail, len(want.Messages))
	}
	for i := 0; i < h.w.list.count; i++ {
		if m, _ := h.w.list.at(i); m.MailboxID != inbox.ID {
			t.Fatalf("folder scope shows a message of mailbox %d", m.MailboxID)
		}
	}
	if got := len(h.shownIDs()); got != len(want.Messages)+len(want.Server) {
		t.Errorf("folder scope: %d rows, want %d", got, len(want.Messages)+len(want.Server))
	}

	// A result deleted leaves the results.
	gone, _ := h.w.list.at(0)
	h.w.list.list.Select(0)
	h.w.deleteSelected()
	h.waitFor("the deleted message out of the results", func() bool {
		return h.w.list.searching && h.w.list.count == len(want.Messages)+len(want.Server)-1 && !slices.Contains(h.shownIDs(), gone.ID)
	})
	if !strings.Contains(s.summary.Text, "here") {
		t.Errorf("label after a delete: %q", s.summary.Text)
	}

	// Results come newest first: the sort bar waits until they are gone.
	if !h.w.list.sortBar.key.Disabled() || !h.w.list.sortBar.dirBtn.Disabled() {
		t.Error("the sort bar is enabled over search results")
	}

	// A bad query says what is wrong and leaves the results alone.
	shown := h.shownIDs()
	test.Type(s.entry, " form:ann")
	h.run()
	if !s.errLabel.Visible() || !strings.Contains(s.errLabel.Text, "form:") {
		t.Errorf("a bad query's error: visible %v, %q", s.errLabel.Visible(), s.errLabel.Text)
	}
	if !slices.Equal(h.shownIDs(), shown) {
		t.Error("a bad query changed the results")
	}

	// Escape: the field empty, the folder's rows back.
	s.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if s.entry.Text != "" || s.errLabel.Visible() || s.summary.Visible() || h.w.list.searching {
		t.Fatalf("after Escape: field %q, error shown %v, label shown %v, searching %v", s.entry.Text, s.errLabel.Visible(), s.summary.Visible(), h.w.list.searching)
	}
	h.waitRows(inbox, app.Sort{}, func() bool { return h.w.list.count > 0 })
	if h.w.list.sortBar.key.Disabled() {
		t.Error("the sort bar stays disabled after Escape")
	}
	if canvas.Focused() != h.w.list.list {
		t.Errorf("after Escape the focus is on %T, want the list", canvas.Focused())
	}
}

// TestSearchServerMerge searches a mailbox whose bodies were never
// downloaded: words only in bodies are found by the server, listed after
// the store's matches and counted in the label.
func TestSearchServerMerge(t *testing.T) {
	a := test.NewTempApp(t)
	log := &testLog{t: t}
	core, err := app.New(app.Options{
		Home:      t.TempDir(),
		Secrets:   accounts.NewMemorySecrets(),
		StartDemo: demoFor(mailtest.DemoForTest(t)),
		Sync:      &imapsync.Options{BodiesPerPass: -1},
		Logf:      log.logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	core.Start()
	h := windowFor(t, a, core, log)
	h.startDemo()
	h.waitFor("the first sync to finish", func() bool { return strings.Contains(h.statusText(), "Up to date") })
	s := h.w.search
	test.Tap(s.scopeBtn) // all mail
	// "charged" is only in the invoices' bodies; "card" also in subjects.
	for _, q := range []string{"charged", "card"} {
		want := h.searchFor(q)
		if want.ServerCount == 0 || !strings.Contains(s.summary.Text, "more on the server") || s.summary.Text != want.Summary() {
			t.Errorf("%s: label %q, Core.Search %q (%d on the server)", q, s.summary.Text, want.Summary(), want.ServerCount)
		}
		if q == "card" && want.Here == 0 {
			t.Errorf("card: nothing here (%q), want matches in subjects", want.Summary())
		}
		var wantIDs []int64
		for _, m := range append(want.Messages, want.Server...) {
			wantIDs = append(wantIDs, m.ID)
		}
		if got := h.shownIDs(); !slices.Equal(got, wantIDs) {
			t.Errorf("%s: the list shows %v, want the store's then the server's %v", q, got, wantIDs)
		}
	}
}
