package gui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/store"
)

// TestSentShowsRecipients checks that the rows of Sent and Drafts name the
// recipients, and the inbox's the sender.
func TestSentShowsRecipients(t *testing.T) {
	h := newHarness(t, nil)
	h.startDemo()
	ctx := h.ctx()
	for _, role := range []app.Role{app.RoleSent, app.RoleDrafts, app.RoleInbox} {
		b := h.folderWithRole(role)
		h.w.folders.tree.Select(mailboxUID(b.ID))
		h.waitFor("rows of "+b.Name, func() bool {
			return h.w.list.mailbox.ID == b.ID && len(h.messageRows()) > 0
		})
		page, err := h.core.Messages(ctx, b.ID, 0, len(h.messageRows()))
		if err != nil {
			t.Fatal(err)
		}
		bySubject := map[string][]store.Message{}
		for _, m := range page {
			bySubject[subjectText(m.Subject)] = append(bySubject[subjectText(m.Subject)], m)
		}
		checked := 0
		for _, r := range h.messageRows() {
			got := r.Data().Sender
			var wants []string
			for _, m := range bySubject[r.Data().Subject] {
				want := senderText(m.From)
				if role != app.RoleInbox {
					want = recipientsText(m.To, m.Cc)
				}
				wants = append(wants, want)
			}
			if len(wants) == 0 {
				continue
			}
			checked++
			if role == app.RoleInbox && strings.HasPrefix(got, "To:") || role != app.RoleInbox && !strings.HasPrefix(got, "To: ") || !slices.Contains(wants, got) {
				t.Errorf("%s row %q shows %q, want one of %q", b.Name, r.Data().Subject, got, wants)
			}
		}
		if checked == 0 {
			t.Errorf("%s: no row checked", b.Name)
		}
	}
}

// TestRecipientsText checks the wording of an outgoing row's recipients.
func TestRecipientsText(t *testing.T) {
	ann := app.Address{Name: "Ann", Email: "ann@example.org"}
	bob := app.Address{Email: "bob@example.org"}
	cy := app.Address{Name: "Cy", Email: "cy@example.org"}
	for _, c := range []struct {
		to, cc []app.Address
		want   string
	}{
		{nil, nil, "To: (no recipients)"},
		{[]app.Address{ann}, nil, "To: Ann"},
		{[]app.Address{ann, bob}, nil, "To: Ann, bob@example.org"},
		{[]app.Address{ann}, []app.Address{bob, cy}, "To: Ann, bob@example.org +1"},
	} {
		if got := recipientsText(c.to, c.cc); got != c.want {
			t.Errorf("recipientsText(%v, %v) = %q, want %q", c.to, c.cc, got, c.want)
		}
	}
	if !outgoing(app.Mailbox{Name: "INBOX.Outbox", Delim: ".", Prefix: "INBOX."}) || outgoing(app.Mailbox{Name: "Outboxes"}) {
		t.Error("outgoing: a folder named Outbox is outgoing, Outboxes is not")
	}
}

// TestBrokenSubjectReadsTheSame checks that subjects with broken bytes
// (raw 8-bit bytes in the header; an encoded word whose bytes are not
// its charset's) read the same in the list and in the reader.
func TestBrokenSubjectReadsTheSame(t *testing.T) {
	date := time.Now().Format(time.RFC1123Z)
	raws := map[string]string{
		"raw8bit@tern.test": "Subject: H\xbc\x9a\xe8\xb0 \xe4\xbc\x9a\xe8\xad\xb0\r\n",
		"badword@tern.test": "Subject: =?UTF-8?B?SMK8xJrDqMKw?= =?UTF-8?B?SMr/6K2w?=\r\n",
		"badsjis@tern.test": "Subject: =?Shift_JIS?B?SIG8gZqB6IGw?=\r\n",
	}
	var extra [][]byte
	for id, subj := range raws {
		extra = append(extra, []byte("From: Someone <someone@example.org>\r\nTo: demo@tern.example\r\n"+subj+
			"Date: "+date+"\r\nMessage-ID: <"+id+">\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody\r\n"))
	}
	h := newReaderHarness(t, extra...)
	h.startDemo()
	for id := range raws {
		var m store.Message
		h.waitFor("message "+id+" in the list", func() bool {
			page, err := h.core.Messages(h.ctx(), h.w.list.mailbox.ID, 0, 400)
			if err != nil {
				return false
			}
			for _, x := range page {
				if x.MessageID == id {
					m = x
					return h.w.list.indexOf(x.ID) >= 0
				}
			}
			return false
		})
		idx := h.w.list.indexOf(m.ID)
		h.w.list.list.ScrollTo(idx)
		var row string
		h.waitFor("the row of "+id, func() bool {
			for _, r := range h.messageRows() {
				if r.Data().Subject == subjectText(m.Subject) {
					row = r.Data().Subject
					return true
				}
			}
			return false
		})
		h.w.list.list.Select(idx)
		h.waitFor("the reader to load "+id, func() bool {
			return h.w.reader.msg.ID == m.ID && (h.w.reader.st == readerLoaded || h.w.reader.st == readerFailed)
		})
		if h.w.reader.st == readerFailed {
			t.Fatalf("reader: %s", h.w.reader.state.Text)
		}
		if got := h.w.reader.subject.Text; got != row {
			t.Errorf("%s: the list shows %q, the reader %q", id, row, got)
		}
		if !strings.HasPrefix(row, "H") {
			t.Errorf("%s: subject %q lost its readable start", id, row)
		}
	}
}

// folderWithRole waits for the first account's folder with role.
func (h *harness) folderWithRole(role app.Role) app.Mailbox {
	h.t.Helper()
	var b app.Mailbox
	h.waitFor("the folder with role "+string(role), func() bool {
		for _, x := range h.w.folders.boxes[h.w.accounts[0].ID] {
			if x.Role == role && x.Total > 0 {
				b = x
				return true
			}
		}
		return false
	})
	return b
}
