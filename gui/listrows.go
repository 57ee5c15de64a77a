package gui

import (
	"strconv"
	"strings"
	"time"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/gui/widgets"
)

// outgoing reports whether the list of folder b shows whom its messages
// went to rather than who sent them: Sent and Drafts (the sender is the
// user), and an outbox the server keeps as a folder.
func outgoing(b app.Mailbox) bool {
	switch b.Role {
	case app.RoleSent, app.RoleDrafts:
		return true
	}
	parts := b.Parts()
	return len(parts) > 0 && strings.EqualFold(parts[len(parts)-1], "Outbox")
}

// recipientsText returns what the list shows in place of the sender for an
// outgoing message: "To: Ann, Bob +2", the Cc after the To.
func recipientsText(to, cc []app.Address) string {
	all := append(append([]app.Address(nil), to...), cc...)
	if len(all) == 0 {
		return "To: (no recipients)"
	}
	const shown = 2
	names := make([]string, 0, shown)
	for _, a := range all[:min(shown, len(all))] {
		names = append(names, a.Display())
	}
	s := "To: " + strings.Join(names, ", ")
	if len(all) > shown {
		s += " +" + strconv.Itoa(len(all)-shown)
	}
	return s
}

// rowData is what the list's row shows for message m of folder b.
func rowData(b app.Mailbox, m app.Message, now time.Time) widgets.RowData {
	date := m.Date
	if date.IsZero() {
		date = m.InternalDate
	}
	who := senderText(m.From)
	if outgoing(b) {
		who = recipientsText(m.To, m.Cc)
	}
	return widgets.RowData{
		Sender:     who,
		Date:       listDate(date, now),
		Subject:    subjectText(m.Subject),
		Preview:    oneLine(m.Preview),
		Unread:     !m.Seen(),
		Flagged:    m.Flagged(),
		Attachment: m.HasAttachments,
	}
}
