package gui

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/ternmail/tern/app"
)

// rowsMatch reports whether the list's drawn rows are the first rows of
// the store's page of mailbox b in order o.
func (h *harness) rowsMatch(b app.Mailbox, o app.Sort) (bool, string) {
	rows := h.messageRows()
	if h.w.list.mailbox.ID != b.ID || len(rows) < 3 {
		return false, "no rows"
	}
	page, err := h.core.MessagesSorted(h.ctx(), b.ID, o, 0, len(rows))
	if err != nil {
		h.t.Fatal(err)
	}
	var got, want []string
	for i, r := range rows {
		got = append(got, r.Data().Subject+"|"+r.Data().Sender)
		d := rowData(b, page[i], time.Now())
		want = append(want, d.Subject+"|"+d.Sender)
	}
	return slices.Equal(got, want), fmt.Sprintf("rows %q, want %q", got, want)
}

// waitRows waits until the list's rows are mailbox b's in order o.
func (h *harness) waitRows(b app.Mailbox, o app.Sort, extra func() bool) {
	h.t.Helper()
	var why string
	defer func() {
		if h.t.Failed() {
			h.t.Logf("last look: %s", why)
		}
	}()
	h.waitFor(fmt.Sprintf("the rows of %s in order %+v", b.Name, o), func() bool {
		var ok bool
		ok, why = h.rowsMatch(b, o)
		return ok && (extra == nil || extra())
	})
}

// TestSortOrders chooses each order in both directions from the sort bar
// and checks the rows against the store's; the order is kept for the
// folder across a folder switch and a new window, and Sent sorts by
// recipient.
func TestSortOrders(t *testing.T) {
	h := newHarness(t, nil)
	h.startDemo()
	inbox := h.w.list.mailbox
	bar := h.w.list.sortBar
	labels := []string{"Date", "Sender", "Subject", "Size"}
	if !slices.Equal(bar.key.Options, labels) {
		t.Fatalf("sort options %q, want %q", bar.key.Options, labels)
	}
	if h.w.list.sort != (app.Sort{}) {
		t.Fatalf("a fresh folder's order %+v, want newest first", h.w.list.sort)
	}
	for i, label := range labels {
		bar.key.SetSelected(label)
		for _, flip := range []bool{false, true} {
			if flip {
				test.Tap(bar.dirBtn)
			}
			o := h.w.list.sort
			if o.Key != []app.SortKey{app.SortDate, app.SortSender, app.SortSubject, app.SortSize}[i] {
				t.Fatalf("%s chosen: order %+v", label, o)
			}
			h.waitRows(inbox, o, nil)
		}
	}
	// Subject, A first: remembered.
	bar.key.SetSelected("Subject")
	want := app.Sort{Key: app.SortSubject, Ascending: true}
	h.waitRows(inbox, want, nil)
	h.waitFor("the order saved", func() bool { return h.core.FolderView(inbox).Sort == want })

	// Sent is sorted by its own order; its sender column is the recipients.
	sent := h.folderWithRole(app.RoleSent)
	h.w.folders.tree.Select(mailboxUID(sent.ID))
	h.waitRows(sent, app.Sort{}, nil)
	if !slices.Equal(bar.key.Options, []string{"Date", "Recipient", "Subject", "Size"}) {
		t.Errorf("Sent's sort options %q", bar.key.Options)
	}
	bar.key.SetSelected("Recipient")
	byRcpt := app.Sort{Key: app.SortRecipient, Ascending: true}
	h.waitRows(sent, byRcpt, nil)

	// Back to the inbox: still by subject.
	h.w.folders.tree.Select(mailboxUID(inbox.ID))
	h.waitRows(inbox, want, func() bool { return bar.key.Selected == "Subject" })

	// A new window over the same core opens the inbox by subject.
	h2 := windowFor(t, test.NewTempApp(t), h.core, &testLog{t: t})
	h2.waitRows(inbox, want, func() bool { return h2.w.list.sortBar.key.Selected == "Subject" })
}
