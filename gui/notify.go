package gui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/desktopnotify"
)

// notifyShown is how many messages a grouped notification names.
const notifyShown = 3

// notifyMax bounds how many new messages one notification looks at.
const notifyMax = 100

// notifyRemember bounds the set of messages already notified, and the
// notifications whose actions are still known.
const notifyRemember = 10000

// appID names Tern to the desktop: its icon and its desktop entry.
const appID = "org.ternmail.tern"

// The actions of a new-mail notification.
const (
	actionOpen     = desktopnotify.DefaultAction
	actionMarkRead = "mark-read"
	actionArchive  = "archive"
)

// notice is a new-mail notification: what it says and the mail it
// stands for.
type notice struct {
	title, body string
	mailboxID   int64
	ids         []int64 // the messages it names; one for a single message
}

// single returns the message a notice about one message names, else 0.
func (n notice) single() int64 {
	if len(n.ids) == 1 {
		return n.ids[0]
	}
	return 0
}

// startNotifier tells the desktop about new mail through the notification
// service on the session bus (bus nil: $DBUS_SESSION_BUS_ADDRESS), with
// actions where the service shows them: a click opens the message (a
// group's click its folder), "Mark read" and "Archive" act on it. Where
// the bus has no notification service it shows nothing; where talking to
// it fails otherwise, it falls back to fallback (nil: the app's
// SendNotification, without actions).
//
// It acts on app.NewMail, which the engine publishes only after an
// account's first sync; it skips mail already read, mail from the
// account's own addresses, folders with a role other than the inbox
// (Junk, Trash, Sent, Drafts, Archive) and folders Options.NotifyAllowed
// refuses. The messages of one NewMail make one notification: the sender
// and subject of a single message, else "N new messages in ACCOUNT" with
// the first few.
func (w *MainWindow) startNotifier(bus *desktopnotify.Options, fallback func(*fyne.Notification)) {
	if fallback == nil {
		fallback = func(n *fyne.Notification) { w.app.SendNotification(n) }
	}
	nf := &notifier{w: w, fallback: fallback, shown: map[uint32]notice{}}
	if bus != nil {
		nf.opts = *bus
	}
	nf.opts.OnEvent = nf.event
	nf.opts.Logf = w.logf
	sub := w.core.Subscribe()
	// notified holds the messages already notified, by folder and UID:
	// the store's row ids are not enough, since SQLite hands the id of a
	// row moved away (the newest) to the next message stored. Only this
	// goroutine uses it.
	notified := map[notifiedKey]bool{}
	w.spawn("notifications", func() {
		defer sub.Close()
		defer nf.close()
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
			if err != nil {
				w.logf("notifications: %v", err)
			} else if n != nil {
				nf.send(ctx, *n)
			}
			cancel()
		}
	})
}

// notifier sends notices to the notification service and acts on the
// actions the user chooses.
//
// send runs on the notifications goroutine, event on the service
// client's; mu guards the rest.
type notifier struct {
	w        *MainWindow
	opts     desktopnotify.Options
	fallback func(*fyne.Notification)

	// mu is held across a send, so that an action on a new notification
	// waits until its notice is known.
	mu     sync.Mutex
	client *desktopnotify.Client // nil until connected
	shown  map[uint32]notice     // by the service's id, until closed
	absent bool                  // the last connection found no service
}

// send shows n, connecting to the service first if need be. Without a
// service it shows nothing, and tries again at the next notice (the
// service may start later than Tern).
func (nf *notifier) send(ctx context.Context, n notice) {
	// A client that failed is closed after mu is released: closing waits
	// for its event goroutine, which may be waiting for mu.
	var stale *desktopnotify.Client
	defer func() {
		if stale != nil {
			stale.Close()
		}
	}()
	nf.mu.Lock()
	defer nf.mu.Unlock()
	if nf.client == nil {
		c, err := desktopnotify.Connect(ctx, &nf.opts)
		switch {
		case errors.Is(err, desktopnotify.ErrNoService):
			if !nf.absent {
				nf.w.logf("notifications: none shown: %v", err)
			}
			nf.absent = true
			return
		case err != nil:
			nf.w.logf("notifications: %v; sending without actions", err)
			nf.w.do(func() { nf.fallback(fyne.NewNotification(n.title, n.body)) })
			return
		}
		nf.client, nf.absent = c, false
	}
	actions := []desktopnotify.Action{{Key: actionOpen, Label: "Open"}}
	if n.single() != 0 {
		actions = append(actions, desktopnotify.Action{Key: actionMarkRead, Label: "Mark read"},
			desktopnotify.Action{Key: actionArchive, Label: "Archive"})
	} else {
		actions = append(actions, desktopnotify.Action{Key: actionMarkRead, Label: "Mark all read"})
	}
	body := n.body
	if nf.client.HasCapability("body-markup") {
		body = escapeMarkup(body)
	}
	id, err := nf.client.Send(ctx, desktopnotify.Notification{AppName: "Tern", Icon: appID, Summary: n.title, Body: body,
		Actions: actions, Category: "email.arrived", DesktopEntry: appID, Urgency: desktopnotify.UrgencyNormal})
	if err != nil {
		// The bus or the service went away: connect again next time.
		nf.w.logf("notifications: %v", err)
		stale, nf.client = nf.client, nil
		return
	}
	if len(nf.shown) >= notifyRemember {
		clear(nf.shown)
	}
	nf.shown[id] = n
}

// event acts on a click on one of Tern's notifications.
func (nf *notifier) event(ev desktopnotify.Event) {
	nf.mu.Lock()
	n, ok := nf.shown[ev.ID]
	if ev.Kind == desktopnotify.Closed {
		delete(nf.shown, ev.ID)
	}
	nf.mu.Unlock()
	w := nf.w
	if !ok || ev.Kind != desktopnotify.ActionInvoked || w.ctx.Err() != nil {
		return
	}
	switch ev.Action {
	case actionOpen:
		w.do(func() {
			w.raise()
			w.reveal(n.mailboxID, n.single())
		})
	case actionMarkRead:
		w.actFromDesktop(n.ids, app.ActRead)
	case actionArchive:
		w.actFromDesktop(n.ids, app.ActArchive)
	}
}

// close disconnects from the service.
func (nf *notifier) close() {
	nf.mu.Lock()
	c := nf.client
	nf.client = nil
	nf.mu.Unlock()
	if c != nil {
		c.Close() // outside mu: see send
	}
}

// escapeMarkup escapes what the notification body markup would read as
// markup.
func escapeMarkup(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// actFromDesktop does a to messages ids from outside the window (a
// notification's action) through the core, off the UI goroutine, and
// offers the step for undo in the window.
func (w *MainWindow) actFromDesktop(ids []int64, a app.Act) {
	w.spawn("act from the desktop", func() {
		ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
		defer cancel()
		step, err := w.core.Act(ctx, ids, a, 0)
		w.writes.Add(1)
		w.do(func() {
			if err != nil {
				w.status.notice("Could not change the messages: " + err.Error())
				return
			}
			w.undo.offer(step)
		})
	})
}

// raise shows the window, hidden or not, and asks for the focus.
func (w *MainWindow) raise() {
	if w.tray != nil {
		w.tray.hidden = false
	}
	w.win.Show()
	w.win.RequestFocus()
}

// reveal opens folder mailboxID and, when id is not 0, shows message id
// in the reader, selected in the list once its row is there. UI
// goroutine.
func (w *MainWindow) reveal(mailboxID, id int64) {
	if !w.showingMain() {
		return
	}
	if w.list.mailbox.ID != mailboxID || w.list.searching {
		b, ok := w.folders.mailbox(mailboxID)
		if !ok {
			return
		}
		w.folders.selectMailbox(mailboxID)
		if w.list.mailbox.ID != mailboxID || w.list.searching {
			w.openMailbox(b) // the tree had it selected already
		}
	}
	if id == 0 {
		return
	}
	if i := w.list.indexOf(id); i >= 0 {
		w.list.jumpTo(i)
		return
	}
	// The folder's rows are still loading: show the message now, and let
	// the list select its row when the page comes.
	w.list.selectedID, w.list.selIndex = id, -1
	w.spawn("reveal message", func() {
		ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
		m, err := w.core.Message(ctx, id)
		cancel()
		w.do(func() {
			if err != nil {
				w.status.notice("Cannot open the message: " + err.Error())
				return
			}
			if w.list.mailbox.ID != mailboxID || w.list.selectedID != id {
				return // the user went elsewhere meanwhile
			}
			if i := w.list.indexOf(id); i >= 0 {
				w.list.jumpTo(i)
				// The page that brought the row may have selected it
				// already (selectedID), and selecting a selected row
				// opens nothing.
				if w.reader.msg.ID != id {
					w.openMessage(id)
				}
				return
			}
			w.reader.show(m)
			w.panes.messageOpened()
			if !m.Seen() {
				w.setSeen(id, true)
			}
			w.updateActions()
		})
	})
}

// notifiedKey names a message on the server: its folder, UIDVALIDITY and
// UID.
type notifiedKey struct {
	mailbox     int64
	uidValidity uint32
	uid         uint32
}

// newMailNotification returns the notice for nm, or nil when it deserves
// none, and adds the messages it names to notified, skipping those
// already there. It reads the store: call it off the UI goroutine.
func (w *MainWindow) newMailNotification(ctx context.Context, nm app.NewMail, notified map[notifiedKey]bool) (*notice, error) {
	mb, err := w.core.Mailbox(ctx, nm.MailboxID)
	if err != nil {
		return nil, err
	}
	if mb.Role != "" && mb.Role != app.RoleInbox {
		return nil, nil
	}
	if allowed := w.opts.NotifyAllowed; allowed != nil && !allowed(nm.Account, mb.Name) {
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
		key := notifiedKey{m.MailboxID, m.UIDValidity, m.UID}
		if notified[key] || m.Seen() || (len(m.From) > 0 && own[strings.ToLower(m.From[0].Email)]) {
			continue
		}
		notified[key] = true
		fresh = append(fresh, m)
	}
	n := &notice{mailboxID: mb.ID}
	for _, m := range fresh {
		n.ids = append(n.ids, m.ID)
	}
	switch len(fresh) {
	case 0:
		return nil, nil
	case 1:
		n.title, n.body = notifySender(fresh[0]), notifySubject(fresh[0])
		return n, nil
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
	n.title = fmt.Sprintf("%d new messages in %s", len(fresh), sanitizeShown(where))
	n.body = strings.Join(lines, "\n")
	return n, nil
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
