package gui

import (
	"context"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
)

const (
	// coalesce is how long the pump keeps collecting events after the
	// first one before it reloads.
	coalesce = 75 * time.Millisecond
	// minReload is the shortest time between two reloads, so that a long
	// sync does not reload the window continuously.
	minReload = 300 * time.Millisecond
	// maxFailures bounds how many refused actions one batch reports.
	maxFailures = 5
)

// batch is what a burst of events asks to reload.
type batch struct {
	all       bool // Resync, or the first load
	accounts  bool
	mailboxes map[string]bool // account IDs whose folder list or counts changed
	messages  map[int64]bool  // mailbox IDs whose messages changed
	bodyAccts map[string]bool // accounts with bodies fetched (previews change)
	bodies    map[int64]bool  // message IDs whose body is now stored
	status    map[string]app.Status
	failures  []app.ActionFailed
}

func newBatch() *batch {
	return &batch{
		mailboxes: map[string]bool{},
		messages:  map[int64]bool{},
		bodyAccts: map[string]bool{},
		bodies:    map[int64]bool{},
		status:    map[string]app.Status{},
	}
}

func (b *batch) add(ev app.Event) {
	switch e := ev.(type) {
	case app.AccountsChanged:
		b.accounts = true
	case app.MailboxesChanged:
		b.mailboxes[e.Account] = true
	case app.MessagesChanged:
		b.messages[e.MailboxID] = true
		b.mailboxes[e.Account] = true
	case app.NewMail:
		b.messages[e.MailboxID] = true
		b.mailboxes[e.Account] = true
	case app.BodyFetched:
		b.bodies[e.MessageID] = true
		b.bodyAccts[e.Account] = true
	case app.StatusChanged:
		b.status[e.Account] = e.Status
	case app.ActionFailed:
		if len(b.failures) < maxFailures {
			b.failures = append(b.failures, e)
		}
	case app.Resync:
		b.all = true
	}
}

// snapshot is what load read from the store for apply.
type snapshot struct {
	full     bool // accounts holds the whole account list
	accounts []accounts.Account
	boxes    map[string][]app.Mailbox
	status   map[string]app.Status
	page     *pageSnapshot
	bodies   map[int64]bool
	failures []app.ActionFailed
}

// pageSnapshot is the count and the cached pages of the visible folder.
type pageSnapshot struct {
	mailboxID int64
	sort      app.Sort // the order pages were read in
	count     int
	pages     map[int][]app.Message
	readAt    uint64 // MainWindow.writes before the read
}

// pump turns the core's events into coalesced reloads: it waits for an
// event, gathers the ones that follow for a moment, reads what changed
// from the store and applies it with one call of do.
func (w *MainWindow) pump() {
	b := newBatch()
	b.all = true
	var last time.Time
	for {
		if b.all || b.accounts || len(b.mailboxes)+len(b.messages)+len(b.bodies)+len(b.status)+len(b.failures) > 0 {
			if !last.IsZero() {
				deadline := time.Now().Add(coalesce)
				if d := last.Add(minReload); d.After(deadline) {
					deadline = d
				}
				if !w.drain(b, deadline) {
					return
				}
			}
			s := w.load(b)
			if w.ctx.Err() != nil {
				return
			}
			w.do(func() { w.apply(s) })
			last = time.Now()
			b = newBatch()
		}
		ev, err := w.sub.Next(w.ctx)
		if err != nil {
			return
		}
		b.add(ev)
	}
}

// drain adds events to b until deadline. It returns false when the window
// is closed.
func (w *MainWindow) drain(b *batch, deadline time.Time) bool {
	for {
		ctx, cancel := context.WithDeadline(w.ctx, deadline)
		ev, err := w.sub.Next(ctx)
		cancel()
		if err != nil {
			return w.ctx.Err() == nil && err != app.ErrClosed
		}
		b.add(ev)
	}
}

// load reads from the store what b says changed. It runs off the UI
// goroutine.
func (w *MainWindow) load(b *batch) *snapshot {
	ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
	defer cancel()
	s := &snapshot{
		boxes:    map[string][]app.Mailbox{},
		status:   map[string]app.Status{},
		bodies:   b.bodies,
		failures: b.failures,
	}
	readBoxes := func(account string) {
		boxes, err := w.core.Mailboxes(ctx, account)
		if err != nil {
			w.logf("gui: folders of %s: %v", account, err)
			return
		}
		s.boxes[account] = boxes
	}
	if b.all || b.accounts {
		s.full = true
		s.accounts = w.core.Accounts()
		for _, a := range s.accounts {
			readBoxes(a.ID)
			s.status[a.ID] = w.core.Status(a.ID)
		}
	} else {
		for id, st := range b.status {
			s.status[id] = st
		}
	}
	for id := range b.mailboxes {
		if _, ok := s.boxes[id]; !ok {
			readBoxes(id)
		}
	}
	account, mailboxID, pages := w.view.get()
	order := w.view.order()
	unified := mailboxID < 0 && len(b.messages)+len(b.bodyAccts) > 0
	if mailboxID != 0 && (s.full || unified || b.messages[mailboxID] || b.bodyAccts[account]) {
		ps := &pageSnapshot{mailboxID: mailboxID, sort: order, pages: map[int][]app.Message{}, readAt: w.writes.Load()}
		n, err := w.countMessages(ctx, mailboxID)
		if err != nil {
			w.logf("gui: count messages: %v", err)
			return s
		}
		ps.count = n
		for _, p := range pages {
			if p*pageSize >= n {
				continue
			}
			msgs, err := w.pageMessages(ctx, mailboxID, order, p*pageSize, pageSize)
			if err != nil {
				w.logf("gui: messages: %v", err)
				return s
			}
			ps.pages[p] = msgs
		}
		s.page = ps
	}
	return s
}
