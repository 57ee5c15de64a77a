package gui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/mailtest"
)

// TestSearchPagesAsTheListScrolls searches a folder with more matches
// than one read of the store gives (searchLimit), and checks that the
// list counts them all, that End reads the rest and shows real rows, and
// that the rows are the store's matches in order, each once.
func TestSearchPagesAsTheListScrolls(t *testing.T) {
	const n = searchLimit + pageSize + 50
	seed := make([]mailtest.SeedMessage, 0, n+1)
	for i := 0; i < n; i++ {
		seed = append(seed, rawMail("Ann", fmt.Sprintf("Invoice %d", i), fmt.Sprintf("inv%d@work", i), i, ""))
	}
	seed = append(seed, rawMail("Bob", "Lunch", "lunch@work", n, ""))
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: "me@work.test", Seed: seed})
	h := newHarness(t, func(c *app.Core) {
		a := mailtest.DemoAccount(srv)
		a.ID, a.Name = "work", "Work"
		if _, err := c.AddAccount(context.Background(), a, srv.Password, &app.AddOptions{SkipVerify: true}); err != nil {
			t.Fatal(err)
		}
	})
	h.waitFor("the inbox synced and open", func() bool {
		b, err := h.core.MailboxByRole(h.ctx(), "work", app.RoleInbox)
		return err == nil && b.Total == n+1 && h.w.showingMain() && h.w.list.mailbox.ID == b.ID && h.w.list.count == n+1
	})

	want, err := h.core.Search(h.ctx(), app.SearchOptions{Query: "subject:invoice", Folder: h.w.list.mailbox.ID, Limit: 2 * n})
	if err != nil || len(want.Messages) != n || want.More {
		t.Fatalf("Core.Search: %d matches, more %v, %v", len(want.Messages), want.More, err)
	}
	h.searchFor("subject:invoice")
	s := h.w.search
	if h.w.list.count != n || s.summary.Text != fmt.Sprintf("%d here", n) {
		t.Fatalf("the list counts %d rows, the summary says %q; want %d", h.w.list.count, s.summary.Text, n)
	}
	if len(s.rows.local) != searchLimit {
		t.Fatalf("%d matches read at first, want %d: the test would not page", len(s.rows.local), searchLimit)
	}

	h.w.focusList()
	h.w.list.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnd})
	h.waitForFirst("End", func() bool {
		if h.w.list.selIndex == n-1 {
			if p := h.placeholders(); len(p) > 0 {
				t.Fatalf("rows %v are placeholders after End", p)
			}
			return true
		}
		return false
	})
	h.waitFor("the last match in the reader", func() bool { return h.w.reader.msg.ID == want.Messages[n-1].ID })
	if !strings.HasPrefix(h.w.reader.msg.Subject, "Invoice 0") {
		t.Errorf("the last row is %q, want the oldest invoice", h.w.reader.msg.Subject)
	}
	got := h.shownIDs()
	wantIDs := make([]int64, 0, n)
	for _, m := range want.Messages {
		wantIDs = append(wantIDs, m.ID)
	}
	if !slices.Equal(got, wantIDs) {
		t.Errorf("the list's %d rows differ from Core.Search's %d matches", len(got), len(wantIDs))
	}
}
