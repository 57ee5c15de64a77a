package gui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
)

// sortBar is the strip above the message list that chooses its order: a
// key and a direction, remembered per folder through app.Core's
// FolderView.
//
// Its methods must be called on the Fyne goroutine.
type sortBar struct {
	l      *messageList
	root   *fyne.Container
	key    *widget.Select
	dirBtn *widget.Button
	keys   []app.SortKey // the key of each of key's options
	quiet  bool
}

// sortLabels names the keys; an outgoing folder's list shows recipients,
// and sorts by them, where another shows senders.
func sortLabels(outgoingFolder bool) ([]string, []app.SortKey) {
	who, whoKey := "Sender", app.SortSender
	if outgoingFolder {
		who, whoKey = "Recipient", app.SortRecipient
	}
	return []string{"Date", who, "Subject", "Size"}, []app.SortKey{app.SortDate, whoKey, app.SortSubject, app.SortSize}
}

func newSortBar(l *messageList) *sortBar {
	s := &sortBar{l: l}
	labels, keys := sortLabels(false)
	s.keys = keys
	s.key = widget.NewSelect(labels, s.keyChosen)
	s.dirBtn = widget.NewButtonWithIcon("", theme.MoveDownIcon(), s.flip)
	s.dirBtn.Importance = widget.LowImportance
	s.root = container.NewBorder(nil, nil, widget.NewLabel("Sort by"), s.dirBtn, s.key)
	s.show(app.Sort{}, false)
	return s
}

// show sets the bar to order o of a folder that is outgoing or not,
// without acting on it.
func (s *sortBar) show(o app.Sort, outgoingFolder bool) {
	s.quiet = true
	defer func() { s.quiet = false }()
	labels, keys := sortLabels(outgoingFolder)
	s.keys = keys
	s.key.Options = labels
	key := o.Key
	if key == "" {
		key = app.SortDate
	}
	for i, k := range keys {
		if k == key {
			s.key.SetSelectedIndex(i)
		}
	}
	if o.Ascending {
		s.dirBtn.SetIcon(theme.MoveUpIcon())
	} else {
		s.dirBtn.SetIcon(theme.MoveDownIcon())
	}
	s.key.Refresh()
}

// setEnabled enables the bar, or disables it while the list shows search
// results, which come newest first.
func (s *sortBar) setEnabled(on bool) {
	if on {
		s.key.Enable()
		s.dirBtn.Enable()
	} else {
		s.key.Disable()
		s.dirBtn.Disable()
	}
}

// order returns what the bar shows.
func (s *sortBar) order() app.Sort {
	o := s.l.sort
	if i := s.key.SelectedIndex(); i >= 0 && i < len(s.keys) {
		o.Key = s.keys[i]
	}
	return o
}

func (s *sortBar) keyChosen(string) {
	if s.quiet {
		return
	}
	o := s.order()
	// A new key starts in its natural direction: newest and largest
	// first, names from A.
	o.Ascending = o.Key == app.SortSender || o.Key == app.SortRecipient || o.Key == app.SortSubject
	s.l.setSort(o)
}

func (s *sortBar) flip() {
	o := s.order()
	o.Ascending = !o.Ascending
	s.l.setSort(o)
}

// setSort shows the open folder in order o, from the top, keeping the
// selected message selected if it is among the rows read, and remembers
// o for the folder.
func (l *messageList) setSort(o app.Sort) {
	if l.mailbox.ID == 0 || o == l.sort || l.searching {
		l.sortBar.show(l.sort, outgoing(l.mailbox))
		return
	}
	l.sort = o
	l.sortBar.show(o, outgoing(l.mailbox))
	b := l.mailbox
	l.w.spawn("save sort", func() {
		if err := l.w.core.SetFolderSort(b, o); err != nil {
			l.w.do(func() { l.w.status.notice("Could not remember the order: " + err.Error()) })
		}
	})
	l.reload()
}

// reload reads the open folder's count and first page again, in the
// current order, and scrolls to the top.
func (l *messageList) reload() {
	l.reset()
	l.list.ScrollToTop()
	l.publish()
	l.list.Refresh()
	mailboxID, order, gen := l.mailbox.ID, l.sort, l.gen
	l.loading[0] = true
	l.w.spawn("sort folder", func() {
		ctx, cancel := context.WithTimeout(l.w.ctx, 30*time.Second)
		defer cancel()
		readAt := l.w.writes.Load()
		n, err := l.w.core.CountMessages(ctx, mailboxID)
		var msgs []app.Message
		if err == nil {
			msgs, err = l.w.core.MessagesSorted(ctx, mailboxID, order, 0, pageSize)
		}
		l.w.do(func() {
			if gen != l.gen {
				return
			}
			delete(l.loading, 0)
			if err != nil {
				l.w.status.notice("Could not sort this folder: " + err.Error())
				return
			}
			l.replace(&pageSnapshot{mailboxID: mailboxID, sort: order, count: n, pages: map[int][]app.Message{0: msgs}, readAt: readAt})
		})
	})
}
