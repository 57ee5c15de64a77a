package gui

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/mailtest"
)

// twoBase is the date the two-account fixture's messages count from.
var twoBase = time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)

// rawMail returns a small message sent hour hours after twoBase.
func rawMail(from, subject, msgID string, hour int, inReplyTo string, refs ...string) mailtest.SeedMessage {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s <%s@example.test>\r\nTo: me@example.test\r\nSubject: %s\r\n", from, strings.ToLower(from), subject)
	fmt.Fprintf(&b, "Date: %s\r\nMessage-ID: <%s>\r\n", twoBase.Add(time.Duration(hour)*time.Hour).Format(time.RFC1123Z), msgID)
	if inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n", inReplyTo, strings.Join(refs, "> <"))
	}
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n")
	return mailtest.SeedMessage{Mailbox: "INBOX", Date: twoBase.Add(time.Duration(hour) * time.Hour), Raw: []byte(b.String())}
}

func inBox(m mailtest.SeedMessage, box string) mailtest.SeedMessage { m.Mailbox = box; return m }

// twoAccounts opens the window over two accounts on two in-process
// servers: "work" has a conversation across INBOX and Sent and a lone
// message; "home" has two messages. It waits until both inboxes are in.
func twoAccounts(t *testing.T) *harness {
	t.Helper()
	return twoAccountsWith(t, nil)
}

// twoAccountsWith is twoAccounts with setup run on the core before the
// window opens.
func twoAccountsWith(t *testing.T, setup func(*app.Core)) *harness {
	t.Helper()
	work := mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: "me@work.test", Seed: []mailtest.SeedMessage{
		rawMail("Ann", "Plan", "plan1@work", 1, ""),
		rawMail("Bob", "Re: Plan", "plan2@work", 3, "plan1@work", "plan1@work"),
		inBox(rawMail("Me", "Re: Plan", "plan3@work", 4, "plan2@work", "plan1@work", "plan2@work"), "Sent"),
		rawMail("Cid", "Lunch", "lunch@work", 5, ""),
	}})
	home := mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: "me@home.test", Seed: []mailtest.SeedMessage{
		rawMail("Dan", "Garden", "garden@home", 2, ""),
		rawMail("Eve", "Books", "books@home", 6, ""),
	}})
	h := newHarness(t, func(c *app.Core) {
		for _, s := range []struct {
			id, name string
			srv      *mailtest.Server
		}{{"work", "Work", work}, {"home", "Home", home}} {
			a := mailtest.DemoAccount(s.srv)
			a.ID, a.Name = s.id, s.name
			if _, err := c.AddAccount(context.Background(), a, s.srv.Password, &app.AddOptions{SkipVerify: true}); err != nil {
				t.Fatal(err)
			}
		}
		if setup != nil {
			setup(c)
		}
	})
	h.waitFor("both inboxes synced", func() bool {
		n := 0
		for _, a := range []string{"work", "home"} {
			if b, err := h.core.MailboxByRole(h.ctx(), a, app.RoleInbox); err == nil && b.Total > 0 {
				n += b.Total
			}
		}
		return n == 5 && h.w.showingMain()
	})
	return h
}

// openFolder opens folder b through the folder tree.
func (h *harness) openFolder(b app.Mailbox) {
	h.t.Helper()
	h.w.folders.selectMailbox(b.ID)
	h.waitFor("folder "+b.Name+" open", func() bool { return h.w.list.mailbox.ID == b.ID })
}

// senders returns the sender column of the list's drawn rows, top down.
func (h *harness) senders() string {
	var s []string
	for _, r := range h.messageRows() {
		s = append(s, r.Data().Sender)
	}
	return strings.Join(s, " | ")
}

func TestUnifiedInbox(t *testing.T) {
	h := twoAccounts(t)
	h.waitFor("the unified folders at the top of the tree", func() bool {
		rows := h.folderRows()
		return len(rows) > 4 && rows[0].Name() == "All Inboxes" && rows[1].Name() == "Starred"
	})
	h.openFolder(h.w.folders.folders[mailboxUID(unifiedID(app.RoleInbox))])
	want := "Home · Eve | Work · Cid | Work · Bob | Home · Dan | Work · Ann"
	h.waitFor("both accounts' messages newest first, each marked", func() bool { return h.senders() == want })

	// Starring a row of the unified inbox stars that account's message.
	var dan *app.Message
	for _, r := range h.messageRows() {
		if strings.HasPrefix(r.Data().Sender, "Home · Dan") {
			r.TapStar()
		}
	}
	h.waitFor("the star stored on home's message", func() bool {
		msgs, _ := h.core.UnifiedMessages(h.ctx(), app.RoleFlagged, 0, 10)
		if len(msgs) == 1 {
			dan = &msgs[0]
		}
		return dan != nil
	})
	if dan.Account != "home" || !strings.Contains(dan.From[0].Email, "dan") {
		t.Fatalf("starred %s's message from %v, want home's from Dan", dan.Account, dan.From)
	}
	// The unified Starred folder shows it, marked with its account.
	h.openFolder(h.w.folders.folders[mailboxUID(unifiedID(app.RoleFlagged))])
	h.waitFor("Starred lists Dan's message", func() bool { return h.senders() == "Home · Dan" })
	// Conversations are per folder, never for a unified one.
	if !h.w.convs.toggle.Disabled() {
		t.Error("the conversations switch is enabled in a unified folder")
	}
}

func TestConversationsOnOffExpandCollapse(t *testing.T) {
	h := twoAccounts(t)
	inbox, err := h.core.MailboxByRole(h.ctx(), "work", app.RoleInbox)
	if err != nil {
		t.Fatal(err)
	}
	h.openFolder(inbox)
	h.waitFor("the flat list", func() bool { return h.senders() == "Cid | Bob | Ann" })

	test.Tap(h.w.convs.toggle)
	if !h.w.convs.shown() {
		t.Fatal("conversations on, but the flat list is shown")
	}

	heads := func() string {
		var s []string
		for _, it := range h.convItems() {
			s = append(s, it.disclose.Text+" "+it.head.Data().Sender+": "+it.head.Data().Subject)
		}
		return strings.Join(s, " | ")
	}
	// The Plan conversation counts my reply from Sent, and lists who wrote.
	h.waitFor("two conversations", func() bool { return heads() == "▸ Cid: Lunch | ▸ 3 Ann, Bob, Me: Re: Plan" })

	children := func() string {
		var s []string
		for _, it := range h.convItems() {
			for _, o := range it.children.Objects {
				if c := o.(*convChild); c.Visible() {
					s = append(s, c.row.Data().Sender)
				}
			}
		}
		return strings.Join(s, " ")
	}
	test.Tap(h.convRow("Ann").disclose)
	h.waitFor("the conversation expanded, oldest first, Sent included", func() bool { return children() == "Ann Bob Me" })
	// Drawing the window draws the expanded rows (a rectangle without a
	// colour crashed the painter).
	h.w.Window().Canvas().Capture()
	if d := h.convRow("Ann").disclose.Text; !strings.HasPrefix(d, "▾") {
		t.Errorf("expanded row marked %q", d)
	}
	// A message of the conversation opens in the reader.
	for _, it := range h.convItems() {
		for _, o := range it.children.Objects {
			if c := o.(*convChild); c.Visible() && c.row.Data().Sender == "Me" {
				test.Tap(c)
			}
		}
	}
	h.waitFor("my reply from Sent in the reader", func() bool {
		return h.w.reader.msg.ID != 0 && h.w.reader.msg.MessageID == "plan3@work"
	})
	test.Tap(h.convRow("Ann").disclose)
	h.waitFor("the conversation collapsed", func() bool { return children() == "" })

	// The switch is per folder: Sent is flat, and INBOX is conversations again.
	sent, err := h.core.MailboxByRole(h.ctx(), "work", app.RoleSent)
	if err != nil {
		t.Fatal(err)
	}
	h.openFolder(sent)
	if h.w.convs.toggle.Checked || h.w.convs.shown() {
		t.Error("Sent opened as conversations")
	}
	h.openFolder(inbox)
	h.waitFor("INBOX as conversations again", func() bool { return h.w.convs.toggle.Checked && heads() != "" })
	test.Tap(h.w.convs.toggle)
	h.waitFor("the flat list again", func() bool { return !h.w.convs.shown() && h.senders() == "Cid | Bob | Ann" })
	if s := h.w.list.list.Size(); s.Height < 100 {
		t.Errorf("the flat list is shown %v in size", s)
	}
}

// convItems returns the conversation list's drawn rows, top down.
func (h *harness) convItems() []*convItem {
	var out []*convItem
	for _, o := range test.LaidOutObjects(h.w.convs.list) {
		if it, ok := o.(*convItem); ok && it.Visible() && !it.head.Data().Placeholder && it.head.Data().Subject != "" {
			out = append(out, it)
		}
	}
	// The list reuses its items: put them in the order they are drawn.
	slices.SortFunc(out, func(a, b *convItem) int { return cmp.Compare(a.Position().Y, b.Position().Y) })
	return out
}

// convRow returns the drawn conversation row whose senders start with
// who, failing the test if there is none.
func (h *harness) convRow(who string) *convItem {
	h.t.Helper()
	for _, it := range h.convItems() {
		if strings.HasPrefix(it.head.Data().Sender, who) {
			return it
		}
	}
	h.t.Fatalf("no conversation row of %s", who)
	return nil
}

// TestConversationsSwitchRemembered checks that the switch is saved per
// folder as it is flipped, and that a window opened over a core that has
// it saved (as after a restart, TestFolderViewPersists) shows that folder
// as conversations at once.
func TestConversationsSwitchRemembered(t *testing.T) {
	h := twoAccounts(t)
	inbox, err := h.core.MailboxByRole(h.ctx(), "work", app.RoleInbox)
	if err != nil {
		t.Fatal(err)
	}
	h.openFolder(inbox)
	test.Tap(h.w.convs.toggle)
	h.waitFor("the switch saved", func() bool { return h.core.FolderView(inbox).Conversations })
	sent, err := h.core.MailboxByRole(h.ctx(), "work", app.RoleSent)
	if err != nil {
		t.Fatal(err)
	}
	if h.core.FolderView(sent).Conversations {
		t.Error("Sent saved as conversations too")
	}
	test.Tap(h.w.convs.toggle)
	h.waitFor("the switch saved off", func() bool { return !h.core.FolderView(inbox).Conversations })

	h = twoAccountsWith(t, func(c *app.Core) {
		if err := c.SetFolderConversations(app.Mailbox{Account: "work", Name: "INBOX"}, true); err != nil {
			t.Fatal(err)
		}
		if err := c.SetFolderSort(app.Mailbox{Account: "work", Name: "INBOX"}, app.Sort{Key: app.SortSubject, Ascending: true}); err != nil {
			t.Fatal(err)
		}
	})
	if v := h.core.FolderView(app.Mailbox{Account: "work", Name: "INBOX"}); !v.Conversations || v.Sort.Key != app.SortSubject {
		t.Fatalf("the sort and the switch saved one over the other: %+v", v)
	}
	inbox, err = h.core.MailboxByRole(h.ctx(), "work", app.RoleInbox)
	if err != nil {
		t.Fatal(err)
	}
	h.openFolder(inbox)
	h.waitFor("INBOX shown as conversations", func() bool {
		return h.w.convs.toggle.Checked && h.w.convs.shown() && len(h.convItems()) == 2
	})
	h.openFolder(sent)
	if h.w.convs.toggle.Checked || h.w.convs.shown() {
		t.Error("Sent opened as conversations")
	}
}
