package gui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
)

// outboxView is a window listing the outbox (queued, sent, failed
// messages, with the server's words, Retry and Cancel) and the drafts
// saved on this computer (Open, Delete).
type outboxView struct {
	cs     *composers
	win    fyne.Window
	list   *fyne.Container
	gen    int
	drafts []app.Draft
}

// showOutbox opens the outbox window, or brings it to the front.
func (cs *composers) showOutbox() {
	if cs.outbox != nil {
		cs.outbox.win.RequestFocus()
		cs.outbox.reload()
		return
	}
	v := &outboxView{cs: cs}
	v.win = cs.w.app.NewWindow("Outbox and drafts")
	v.win.Resize(fyne.NewSize(720, 480))
	v.list = container.NewVBox(widget.NewLabel("Loading…"))
	v.win.SetContent(container.NewVScroll(container.NewPadded(v.list)))
	v.win.SetOnClosed(func() {
		if cs.outbox == v {
			cs.outbox = nil
		}
	})
	cs.outbox = v
	v.win.Show()
	v.reload()
}

// reload reads the outbox and the drafts off the UI goroutine.
func (v *outboxView) reload() {
	v.gen++
	gen := v.gen
	w := v.cs.w
	w.spawn("outbox view", func() {
		ctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
		defer cancel()
		items, err := w.core.Outbox(ctx, "")
		drafts, derr := w.core.Drafts(ctx, "")
		w.do(func() {
			if gen != v.gen || v.cs.outbox != v {
				return
			}
			if err == nil {
				err = derr
			}
			v.show(items, drafts, err)
		})
	})
}

func (v *outboxView) show(items []app.OutboxItem, drafts []app.Draft, err error) {
	v.drafts = drafts
	var objs []fyne.CanvasObject
	if err != nil {
		objs = append(objs, &widget.Label{Text: "Could not read the outbox: " + err.Error(), Importance: widget.DangerImportance})
	}
	objs = append(objs, &widget.Label{Text: "Outbox", TextStyle: fyne.TextStyle{Bold: true}})
	if len(items) == 0 {
		objs = append(objs, widget.NewLabel("Nothing sent yet."))
	}
	for _, it := range items {
		objs = append(objs, v.itemRow(it), widget.NewSeparator())
	}
	objs = append(objs, &widget.Label{Text: "Drafts on this computer", TextStyle: fyne.TextStyle{Bold: true}})
	if len(drafts) == 0 {
		objs = append(objs, widget.NewLabel("No drafts."))
	}
	for _, d := range drafts {
		objs = append(objs, v.draftRow(d))
	}
	v.list.Objects = objs
	v.list.Refresh()
}

// outboxStateText says what state means to the user.
func outboxStateText(it app.OutboxItem, now time.Time) (string, widget.Importance) {
	switch it.State {
	case app.OutboxQueued:
		if it.NextAttempt.After(now) {
			if it.Attempts == 0 {
				return "Waiting to be sent (" + shortDuration(it.NextAttempt.Sub(now)) + ")", widget.MediumImportance
			}
			return "Will retry in " + shortDuration(it.NextAttempt.Sub(now)), widget.WarningImportance
		}
		return "Queued", widget.MediumImportance
	case app.OutboxSending:
		return "Sending…", widget.MediumImportance
	case app.OutboxSent:
		return "Sent " + readerDate(it.SentAt), widget.SuccessImportance
	case app.OutboxPartial:
		return "Sent to some recipients only", widget.WarningImportance
	case app.OutboxFailed:
		return "Failed", widget.DangerImportance
	case app.OutboxUncertain:
		return "Maybe sent", widget.WarningImportance
	}
	return it.State, widget.MediumImportance
}

func (v *outboxView) itemRow(it app.OutboxItem) fyne.CanvasObject {
	state, imp := outboxStateText(it, time.Now())
	title := &widget.Label{Text: oneLine(subjectText(it.Subject)), TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis}
	to := &widget.Label{Text: "To " + strings.Join(it.Rcpts, ", "), Truncation: fyne.TextTruncateEllipsis}
	st := &widget.Label{Text: state, Importance: imp}
	rows := []fyne.CanvasObject{title, to, st}
	switch {
	case it.State == app.OutboxUncertain:
		// What Tern knows, for the choice between the two buttons.
		rows = append(rows, &widget.Label{Text: app.UncertainAdvice(it, time.Now()), Wrapping: fyne.TextWrapWord, Importance: widget.WarningImportance})
	case it.LastError != "":
		rows = append(rows, &widget.Label{Text: "Server: " + it.LastError, Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance})
	}
	for _, r := range it.Rcpts {
		res, ok := it.Results[r]
		if !ok || res.Status == app.RcptSent || res.Message == "" {
			continue
		}
		rows = append(rows, &widget.Label{Text: fmt.Sprintf("%s: %s (%d %s)", r, res.Status, res.Code, res.Message), Wrapping: fyne.TextWrapWord})
	}
	var buttons []fyne.CanvasObject
	id := it.ID
	switch it.State {
	case app.OutboxFailed, app.OutboxPartial:
		buttons = append(buttons, widget.NewButtonWithIcon("Retry", theme.ViewRefreshIcon(), func() { v.retry(id) }))
	case app.OutboxUncertain:
		buttons = append(buttons,
			widget.NewButtonWithIcon("Send again", theme.ViewRefreshIcon(), func() { v.resolve(id, app.SendAgain) }),
			widget.NewButtonWithIcon("Mark as sent", theme.ConfirmIcon(), func() { v.resolve(id, app.MarkSent) }))
	}
	switch it.State {
	case app.OutboxQueued, app.OutboxFailed, app.OutboxUncertain:
		buttons = append(buttons,
			widget.NewButtonWithIcon("Edit", theme.DocumentCreateIcon(), func() { v.cancel(id, it.Account, true) }),
			widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { v.cancel(id, it.Account, false) }))
	}
	return container.NewBorder(nil, nil, nil, container.NewHBox(buttons...), container.NewVBox(rows...))
}

func (v *outboxView) draftRow(d app.Draft) fyne.CanvasObject {
	title := &widget.Label{Text: oneLine(subjectText(d.Subject)), TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis}
	info := "Saved " + readerDate(d.Updated)
	if strings.TrimSpace(d.To) != "" {
		info = "To " + oneLine(d.To) + " · " + info
	}
	if n := len(d.Attachments); n > 0 {
		info += fmt.Sprintf(" · %d attachment(s)", n)
	}
	id := d.ID
	open := widget.NewButtonWithIcon("Open", theme.DocumentCreateIcon(), func() { v.cs.openDraft(id) })
	del := widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), func() { v.deleteDraft(id) })
	return container.NewBorder(nil, nil, nil, container.NewHBox(open, del),
		container.NewVBox(title, &widget.Label{Text: info, Truncation: fyne.TextTruncateEllipsis}))
}

func (v *outboxView) retry(id int64) {
	w := v.cs.w
	w.spawn("retry send", func() {
		ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
		defer cancel()
		_, err := w.core.RetrySend(ctx, id)
		w.do(func() {
			if err != nil {
				w.status.notice("Could not retry: " + err.Error())
			}
			v.reload()
		})
	})
}

// resolve applies the user's choice to uncertain message id.
func (v *outboxView) resolve(id int64, choice app.UncertainChoice) {
	w := v.cs.w
	w.spawn("uncertain message", func() {
		ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
		defer cancel()
		_, err := w.core.ResolveUncertain(ctx, id, choice)
		w.do(func() {
			if err != nil {
				w.status.notice("Could not settle the message: " + err.Error())
			}
			v.reload()
		})
	})
}

// cancel takes message id out of the outbox; with edit, it reopens it in
// a composer (without Bcc, which the sent bytes do not keep).
func (v *outboxView) cancel(id int64, account string, edit bool) {
	w := v.cs.w
	w.spawn("cancel send", func() {
		ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
		defer cancel()
		_, raw, err := w.core.CancelSend(ctx, id)
		var st *composeState
		if err == nil && edit {
			cp, perr := w.core.ComposeFromRaw(account, raw)
			if perr != nil {
				err = perr
			} else {
				s := stateFromCompose(cp)
				st = &s
			}
		}
		w.do(func() {
			if err != nil {
				w.status.notice("Could not cancel: " + err.Error())
			}
			if st != nil {
				c := v.cs.openComposer(*st, false)
				c.autosave.Reopened()
			}
			v.reload()
		})
	})
}

func (v *outboxView) deleteDraft(id int64) {
	w := v.cs.w
	w.spawn("delete draft", func() {
		ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
		defer cancel()
		err := w.core.DeleteDraft(ctx, id)
		w.do(func() {
			if err != nil {
				w.status.notice("Could not delete the draft: " + err.Error())
			}
			v.reload()
		})
	})
}
