package gui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
)

// statusBar is the bottom line: each account's sync state, and the last
// notice (a refused action, a failed mark-read …) until dismissed.
type statusBar struct {
	w     *MainWindow
	root  *fyne.Container
	items *fyne.Container

	accounts []accounts.Account
	status   map[string]app.Status
	labels   map[string]*widget.Label
	retries  map[string]*widget.Button
	signins  map[string]*widget.Button // "Sign in again", for OAuth accounts
	details  map[string]*widget.Button // open the account's health

	noticeLabel *widget.Label
	noticeClose *widget.Button
}

func newStatusBar(w *MainWindow) *statusBar {
	s := &statusBar{w: w, status: map[string]app.Status{}, labels: map[string]*widget.Label{}, retries: map[string]*widget.Button{},
		signins: map[string]*widget.Button{}, details: map[string]*widget.Button{}}
	s.items = container.NewHBox()
	s.noticeLabel = &widget.Label{Importance: widget.WarningImportance, Truncation: fyne.TextTruncateEllipsis}
	s.noticeClose = widget.NewButtonWithIcon("", theme.CancelIcon(), func() { s.notice("") })
	s.noticeClose.Importance = widget.LowImportance
	s.noticeClose.Hide()
	notice := container.NewBorder(nil, nil, nil, s.noticeClose, s.noticeLabel)
	s.root = container.NewBorder(nil, nil, s.items, nil, container.New(layout.NewStackLayout(), notice))
	return s
}

// setAccounts sets which accounts the bar shows.
func (s *statusBar) setAccounts(a []accounts.Account) {
	s.accounts = a
	s.items.RemoveAll()
	s.labels = map[string]*widget.Label{}
	s.retries = map[string]*widget.Button{}
	s.signins = map[string]*widget.Button{}
	s.details = map[string]*widget.Button{}
	for i, acct := range a {
		if i > 0 {
			s.items.Add(widget.NewSeparator())
		}
		l := widget.NewLabel("")
		id := acct.ID
		b := widget.NewButton("Retry now", func() { s.w.core.SyncNow(id) })
		b.Importance = widget.LowImportance
		b.Hide()
		d := widget.NewButton("What is wrong?", func() { s.w.showHealth(id) })
		d.Importance = widget.LowImportance
		d.Hide()
		s.labels[id], s.retries[id], s.details[id] = l, b, d
		s.items.Add(l)
		s.items.Add(b)
		s.items.Add(d)
		if acct.UsesOAuth() {
			var si *widget.Button
			si = widget.NewButton("Sign in again", func() { s.w.signInAgain(id, si, nil) })
			si.Importance = widget.HighImportance
			si.Hide()
			s.signins[id] = si
			s.items.Add(si)
		}
	}
}

func (s *statusBar) set(account string, st app.Status) { s.status[account] = st }

// refresh redraws every account's state.
func (s *statusBar) refresh() {
	now := time.Now()
	for _, a := range s.accounts {
		l := s.labels[a.ID]
		if l == nil {
			continue
		}
		st := s.status[a.ID]
		text := statusText(st, now)
		if st.State == app.StateSignIn {
			text = "Sign in again: the provider no longer accepts Tern's permission; mail waits, nothing is lost"
		}
		if len(s.accounts) > 1 {
			name := a.Name
			if name == "" {
				name = a.Email
			}
			text = name + ": " + text
		}
		switch st.State {
		case app.StateError, app.StateSignIn:
			l.Importance = widget.DangerImportance
		case app.StateOffline:
			l.Importance = widget.WarningImportance
		default:
			l.Importance = widget.MediumImportance
		}
		l.SetText(text)
		if st.State == app.StateError || st.State == app.StateOffline {
			s.retries[a.ID].Show()
			s.details[a.ID].Show()
		} else {
			s.retries[a.ID].Hide()
			s.details[a.ID].Hide()
		}
		if si := s.signins[a.ID]; si != nil {
			if st.State == app.StateSignIn {
				si.Show()
			} else {
				si.Hide()
			}
		}
	}
}

// needsTick reports whether a retry countdown is shown.
func (s *statusBar) needsTick() bool {
	for _, st := range s.status {
		if st.State == app.StateOffline && !st.Retry.IsZero() {
			return true
		}
	}
	return false
}

// notice shows msg until the next notice; "" hides it.
func (s *statusBar) notice(msg string) {
	s.noticeLabel.SetText(msg)
	if msg == "" {
		s.noticeClose.Hide()
	} else {
		s.noticeClose.Show()
	}
}
