package gui

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
)

// composers is the main window's composing machinery: the open composer
// windows, the message in its undo window and the outbox window.
type composers struct {
	w    *MainWindow
	open []*composer

	bar     *fyne.Container // in the status line
	label   *widget.Label
	undoBtn *widget.Button
	viewBtn *widget.Button
	last    *sendingMsg
	outbox  *outboxView

	replyBtn, replyAllBtn, forwardBtn *widget.Button
}

// sendingMsg is the last message sent from a composer.
type sendingMsg struct {
	id    int64
	state composeState
	due   time.Time
	final bool
}

func newComposers(w *MainWindow) *composers {
	cs := &composers{w: w}
	cs.label = widget.NewLabel("")
	cs.undoBtn = widget.NewButton("Undo", cs.undo)
	cs.undoBtn.Importance = widget.HighImportance
	cs.viewBtn = widget.NewButton("Outbox", cs.showOutbox)
	cs.viewBtn.Importance = widget.LowImportance
	cs.bar = container.NewHBox(cs.label, cs.undoBtn, cs.viewBtn)
	cs.bar.Hide()
	sub := w.core.Subscribe()
	w.spawn("outbox events", func() {
		defer sub.Close()
		for {
			ev, err := sub.Next(w.ctx)
			if err != nil {
				return
			}
			switch ev.(type) {
			case app.OutboxChanged, app.Resync:
				w.do(cs.outboxChanged)
			}
		}
	})
	return cs
}

func (cs *composers) forget(c *composer) {
	for i, x := range cs.open {
		if x == c {
			cs.open = append(cs.open[:i], cs.open[i+1:]...)
			return
		}
	}
}

// toolbar returns the main window's compose buttons.
func (cs *composers) toolbar() []fyne.CanvasObject {
	w := cs.w
	newBtn := widget.NewButtonWithIcon("New", theme.DocumentCreateIcon(), cs.compose)
	cs.replyBtn = widget.NewButtonWithIcon("Reply", theme.MailReplyIcon(), func() { cs.reply(false) })
	cs.replyAllBtn = widget.NewButtonWithIcon("Reply all", theme.MailReplyAllIcon(), func() { cs.reply(true) })
	cs.forwardBtn = widget.NewButtonWithIcon("Forward", theme.MailForwardIcon(), nil)
	cs.forwardBtn.OnTapped = func() {
		menu := fyne.NewMenu("",
			fyne.NewMenuItem("Forward inline", func() { cs.forward(false) }),
			fyne.NewMenuItem("Forward as attachment", func() { cs.forward(true) }))
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(cs.forwardBtn).AddXY(0, cs.forwardBtn.Size().Height)
		widget.ShowPopUpMenuAtPosition(menu, w.win.Canvas(), pos)
	}
	outboxBtn := widget.NewButtonWithIcon("Outbox", theme.MailSendIcon(), cs.showOutbox)
	objs := []fyne.CanvasObject{newBtn, cs.replyBtn, cs.replyAllBtn, cs.forwardBtn, outboxBtn}
	for _, o := range objs {
		o.(*widget.Button).Importance = widget.LowImportance
	}
	cs.updateActions(w.selectedID())
	return objs
}

// menuItems returns the Message menu's compose items.
func (cs *composers) menuItems() []*fyne.MenuItem {
	item := func(label string, key fyne.KeyName, mod fyne.KeyModifier, fn func()) *fyne.MenuItem {
		it := fyne.NewMenuItem(label, fn)
		it.Shortcut = &desktop.CustomShortcut{KeyName: key, Modifier: mod}
		return it
	}
	sc := fyne.KeyModifierShortcutDefault
	return []*fyne.MenuItem{
		item("New message", fyne.KeyN, sc, cs.compose),
		item("Reply", fyne.KeyR, sc, func() { cs.reply(false) }),
		item("Reply all", fyne.KeyR, sc|fyne.KeyModifierShift, func() { cs.reply(true) }),
		item("Forward", fyne.KeyL, sc, func() { cs.forward(false) }),
		fyne.NewMenuItem("Forward as attachment", func() { cs.forward(true) }),
		fyne.NewMenuItem("Outbox and drafts", cs.showOutbox),
	}
}

// updateActions enables Reply, Reply all and Forward when a message is
// selected.
func (cs *composers) updateActions(id int64) {
	for _, b := range []*widget.Button{cs.replyBtn, cs.replyAllBtn, cs.forwardBtn} {
		if b == nil {
			continue
		}
		if id == 0 {
			b.Disable()
		} else {
			b.Enable()
		}
	}
}

// currentAccount is the account of the folder shown, else the first one.
func (cs *composers) currentAccount() string {
	if a := cs.w.list.mailbox.Account; a != "" {
		return a
	}
	if len(cs.w.accounts) > 0 {
		return cs.w.accounts[0].ID
	}
	return ""
}

// compose opens an empty composer.
func (cs *composers) compose() {
	account := cs.currentAccount()
	if account == "" {
		cs.w.status.notice("Add an account to write messages.")
		return
	}
	cs.openComposer(composeState{Account: account}, true)
}

func (cs *composers) reply(all bool) {
	cs.fromMessage("reply", func(ctx context.Context, id int64) (*app.Compose, error) {
		return cs.w.core.ComposeReply(ctx, id, all)
	})
}

func (cs *composers) forward(asAttachment bool) {
	cs.fromMessage("forward", func(ctx context.Context, id int64) (*app.Compose, error) {
		return cs.w.core.ComposeForward(ctx, id, asAttachment)
	})
}

// fromMessage reads the selected message off the UI goroutine and opens a
// composer with what build returns.
func (cs *composers) fromMessage(what string, build func(context.Context, int64) (*app.Compose, error)) {
	id := cs.w.selectedID()
	if id == 0 {
		return
	}
	cs.w.spawn(what, func() {
		ctx, cancel := context.WithTimeout(cs.w.ctx, 60*time.Second)
		defer cancel()
		cp, err := build(ctx, id)
		cs.w.do(func() {
			if err != nil {
				cs.w.status.notice("Could not " + what + ": " + err.Error())
				return
			}
			cs.openComposer(stateFromCompose(cp), true)
		})
	})
}

func stateFromCompose(cp *app.Compose) composeState {
	d := cp.Draft
	st := composeState{Account: cp.Account, To: formatAddresses(d.To), Cc: formatAddresses(d.Cc), Bcc: formatAddresses(d.Bcc),
		Subject: d.Subject, Body: d.Text, InReplyTo: d.InReplyTo, References: d.References, SourceID: cp.SourceID,
		Attachments: d.Attachments}
	if d.From.Email != "" {
		st.From = formatAddress(d.From)
	}
	return st
}

// openDraft reopens saved draft id, off the UI goroutine.
func (cs *composers) openDraft(id int64) {
	for _, c := range cs.open {
		if c.state.DraftID == id {
			c.win.RequestFocus()
			return
		}
	}
	cs.w.spawn("open draft", func() {
		ctx, cancel := context.WithTimeout(cs.w.ctx, 30*time.Second)
		defer cancel()
		d, err := cs.w.core.Draft(ctx, id)
		cs.w.do(func() {
			if err != nil {
				cs.w.status.notice("Could not open the draft: " + err.Error())
				return
			}
			cs.openComposer(stateFromDraft(d), false)
		})
	})
}

// sent shows "Sending… Undo" for the message just queued.
func (cs *composers) sent(it app.OutboxItem, st composeState) {
	cs.last = &sendingMsg{id: it.ID, state: st, due: it.NextAttempt}
	cs.label.SetText("Sending “" + oneLine(subjectText(st.Subject)) + "”…")
	cs.label.Importance = widget.MediumImportance
	cs.undoBtn.Show()
	cs.bar.Show()
	if d := time.Until(it.NextAttempt); d > 0 {
		time.AfterFunc(d, func() { cs.w.do(cs.outboxChanged) })
	}
	cs.outboxChanged()
}

// undo takes the last message back to a composer, if the server does not
// have it yet.
func (cs *composers) undo() {
	m := cs.last
	if m == nil || m.final {
		return
	}
	cs.undoBtn.Hide()
	cs.w.spawn("undo send", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _, err := cs.w.core.CancelSend(ctx, m.id)
		cs.w.do(func() {
			if err != nil {
				cs.label.SetText("Too late to undo: " + err.Error())
				return
			}
			m.final = true
			cs.bar.Hide()
			cs.openComposer(m.state, false).autosave.Reopened()
		})
	})
}

// outboxChanged updates the sending line and the outbox window from the
// store, off the UI goroutine.
func (cs *composers) outboxChanged() {
	if cs.outbox != nil {
		cs.outbox.reload()
	}
	m := cs.last
	if m == nil || m.final {
		return
	}
	cs.w.spawn("outbox state", func() {
		ctx, cancel := context.WithTimeout(cs.w.ctx, 10*time.Second)
		defer cancel()
		it, err := cs.w.core.OutboxItem(ctx, m.id)
		cs.w.do(func() {
			if cs.last != m || m.final {
				return
			}
			subj := "“" + oneLine(subjectText(m.state.Subject)) + "”"
			switch {
			case errors.Is(err, app.ErrNotFound):
				m.final = true
				cs.bar.Hide()
			case err != nil:
			case it.State == app.OutboxQueued && time.Now().Before(it.NextAttempt) && it.Attempts == 0:
				// Still in the undo window.
			case it.State == app.OutboxQueued || it.State == app.OutboxSending:
				cs.undoBtn.Hide()
				text := "Sending " + subj + "…"
				if it.LastError != "" {
					text += " (will retry: " + it.LastError + ")"
				}
				cs.label.SetText(text)
			case it.State == app.OutboxSent:
				m.final = true
				cs.undoBtn.Hide()
				cs.label.Importance = widget.SuccessImportance
				cs.label.SetText("Sent " + subj)
				time.AfterFunc(8*time.Second, func() {
					cs.w.do(func() {
						if cs.last == m {
							cs.bar.Hide()
						}
					})
				})
			default:
				m.final = true
				cs.undoBtn.Hide()
				cs.label.Importance = widget.DangerImportance
				cs.label.SetText("Not sent " + subj + ": " + oneLine(it.LastError))
			}
		})
	})
}
