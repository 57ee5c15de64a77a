package gui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ternmail/tern/app"
)

// notifyShown is how many messages a grouped notification names.
const notifyShown = 3

// notifyMax bounds how many new messages one notification looks at.
const notifyMax = 100

// notifyRemember bounds the set of messages already notified.
const notifyRemember = 10000

// startNotifier tells the desktop about new mail, through send (nil: the
// app's SendNotification on the UI goroutine). It acts on app.NewMail,
// which the engine publishes only after an account's first sync; it
// skips mail already read, mail from the account's own addresses, and
// folders with a role other than the inbox (Junk, Trash, Sent, Drafts,
// Archive). The messages of one NewMail make one notification: the
// sender and subject of a single message, else "N new messages in
// ACCOUNT" with the first few.
func (w *MainWindow) startNotifier(send func(*fyne.Notification)) {
	if send == nil {
		send = func(n *fyne.Notification) { w.app.SendNotification(n) }
	}
	sub := w.core.Subscribe()
	// notified holds the messages already notified: the engine may
	// announce a message twice (its idle connection and its next pass).
	// Only this goroutine uses it.
	notified := map[int64]bool{}
	w.spawn("notifications", func() {
		defer sub.Close()
		for {
			ev, err := sub.Next(w.ctx)
			if err != nil {
				return
			}
			nm, ok := ev.(app.NewMail)
			if !ok {
				continue
			}
			ctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
			if len(notified) > notifyRemember {
				clear(notified)
			}
			n, err := w.newMailNotification(ctx, nm, notified)
			cancel()
			if err != nil {
				w.logf("notifications: %v", err)
				continue
			}
			if n != nil {
				w.do(func() { send(n) })
			}
		}
	})
}

// newMailNotification returns the notification for nm, or nil when it
// deserves none, and adds the messages it names to notified, skipping
// those already there. It reads the store: call it off the UI goroutine.
func (w *MainWindow) newMailNotification(ctx context.Context, nm app.NewMail, notified map[int64]bool) (*fyne.Notification, error) {
	mb, err := w.core.Mailbox(ctx, nm.MailboxID)
	if err != nil {
		return nil, err
	}
	if mb.Role != "" && mb.Role != app.RoleInbox {
		return nil, nil
	}
	msgs, err := w.core.Messages(ctx, nm.MailboxID, 0, min(max(nm.Count, 0), notifyMax))
	if err != nil {
		return nil, err
	}
	own := map[string]bool{}
	for _, fc := range w.core.FromChoices(nm.Account) {
		own[strings.ToLower(fc.Address.Email)] = true
	}
	var fresh []app.Message
	for _, m := range msgs {
		if notified[m.ID] || m.Seen() || (len(m.From) > 0 && own[strings.ToLower(m.From[0].Email)]) {
			continue
		}
		notified[m.ID] = true
		fresh = append(fresh, m)
	}
	switch len(fresh) {
	case 0:
		return nil, nil
	case 1:
		return fyne.NewNotification(notifySender(fresh[0]), notifySubject(fresh[0])), nil
	}
	where := nm.Account
	if acct, ok := w.core.Account(nm.Account); ok && acct.Name != "" {
		where = acct.Name
	}
	var lines []string
	for _, m := range fresh[:min(len(fresh), notifyShown)] {
		lines = append(lines, notifySender(m)+": "+notifySubject(m))
	}
	if more := len(fresh) - notifyShown; more > 0 {
		lines = append(lines, fmt.Sprintf("and %d more", more))
	}
	title := fmt.Sprintf("%d new messages in %s", len(fresh), sanitizeShown(where))
	return fyne.NewNotification(title, strings.Join(lines, "\n")), nil
}

// notifySender is the name, else the address, of m's sender.
func notifySender(m app.Message) string {
	if len(m.From) == 0 {
		return "(unknown sender)"
	}
	s := m.From[0].Name
	if s == "" {
		s = m.From[0].Email
	}
	return clip(sanitizeShown(s), 80)
}

func notifySubject(m app.Message) string {
	if strings.TrimSpace(m.Subject) == "" {
		return "(no subject)"
	}
	return clip(sanitizeShown(m.Subject), 120)
}

// clip shortens s to at most n runes, with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
