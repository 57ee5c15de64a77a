package gui

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/app"
)

const (
	// searchPause is how long typing must pause before a search runs.
	searchPause = 150 * time.Millisecond
	// searchLimit is how many of the store's matches a search reads at
	// first, and at least at each step as the list scrolls further.
	searchLimit = 1000
)

// searchRows are the rows of a search's results: the store's matches,
// newest first, read so far from the top, then what only the servers
// found. Rows from len(local) to here are not read yet.
type searchRows struct {
	local  []app.Message
	more   bool // the store has matches after local
	here   int  // how many the store has in all
	server []app.Message
}

// count is how many rows the results have in all.
func (r *searchRows) count() int { return r.here + len(r.server) }

// row returns row i if it is read.
func (r *searchRows) row(i int) (app.Message, bool) {
	switch {
	case i < len(r.local):
		return r.local[i], true
	case i >= r.here && i-r.here < len(r.server):
		return r.server[i-r.here], true
	}
	return app.Message{}, false
}

// newSearchRows makes the rows of a search's result.
func newSearchRows(res app.SearchResult) searchRows {
	r := searchRows{local: res.Messages, more: res.More, here: res.Here, server: res.Server}
	if !r.more || r.here < len(r.local) {
		r.here = len(r.local)
	}
	return r
}

// searchEntry is the search field: Escape clears it, Enter and Down go
// to the results.
type searchEntry struct {
	widget.Entry
	onEscape func()
	onEnter  func()
}

func (e *searchEntry) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyEscape:
		e.onEscape()
		return
	case fyne.KeyReturn, fyne.KeyEnter, fyne.KeyDown:
		e.onEnter()
		return
	}
	e.Entry.TypedKey(ev)
}

// searchBox is the toolbar's search field. Each keystroke cancels the
// search running and, once typing pauses, starts the next off the UI
// goroutine: the store's results first, then with the servers' merged.
// The results replace the folder's rows in the message list until the
// field is cleared.
//
// Its methods must be called on the Fyne goroutine.
type searchBox struct {
	w        *MainWindow
	root     *fyne.Container
	entry    *searchEntry
	scopeBtn *widget.Button
	errLabel *widget.Label // what is wrong with the query, in words
	summary  *widget.Label // "12 here, 3 more on the server"

	allMail bool // scope: all mail rather than the open folder
	gen     int  // bumped by every change; a search of an older gen is dropped
	timer   *time.Timer
	cancel  context.CancelFunc
	quiet   bool
	running bool              // a search of gen has not shown its final results
	opts    app.SearchOptions // the last search run, for refresh
	last    app.SearchResult  // its final results
	rows    searchRows        // the results shown
	// loadingMore is set while the store's next matches are read.
	loadingMore bool
}

func newSearchBox(w *MainWindow) *searchBox {
	s := &searchBox{w: w}
	s.entry = &searchEntry{onEscape: s.escape, onEnter: s.toResults}
	s.entry.ExtendBaseWidget(s.entry)
	s.entry.SetPlaceHolder("Search (Ctrl+K)")
	s.entry.OnChanged = func(string) { s.changed() }
	s.scopeBtn = widget.NewButton("", s.toggleScope)
	s.scopeBtn.Importance = widget.LowImportance
	s.setScopeText()
	s.errLabel = &widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord, SizeName: theme.SizeNameCaptionText}
	s.errLabel.Hide()
	s.summary = &widget.Label{Importance: widget.LowImportance, SizeName: theme.SizeNameCaptionText}
	s.summary.Hide()
	field := container.NewBorder(nil, nil, widget.NewIcon(theme.SearchIcon()), s.scopeBtn, s.entry)
	s.root = container.NewVBox(container.New(&minWidth{width: 240}, field), s.errLabel, s.summary)
	return s
}

// focus puts the keyboard in the search field.
func (s *searchBox) focus() {
	if s.w.showingMain() {
		s.w.win.Canvas().Focus(s.entry)
	}
}

// active reports whether search results are shown.
func (s *searchBox) active() bool { return s.w.list.searching }

func (s *searchBox) setScopeText() {
	if s.allMail {
		s.scopeBtn.SetText("All mail")
	} else {
		s.scopeBtn.SetText("This folder")
	}
}

func (s *searchBox) toggleScope() {
	s.allMail = !s.allMail
	s.setScopeText()
	s.changed()
}

// changed reacts to a keystroke or a new scope.
func (s *searchBox) changed() {
	if s.quiet {
		return
	}
	s.stop()
	text := s.entry.Text
	if strings.TrimSpace(text) == "" {
		s.showError(nil)
		s.summary.Hide()
		if s.w.list.searching {
			s.w.list.endResults()
		}
		return
	}
	if err := app.ParseQuery(text); err != nil {
		s.showError(err)
		return
	}
	s.showError(nil)
	gen := s.gen
	s.timer = time.AfterFunc(searchPause, func() { s.w.do(func() { s.run(gen) }) })
}

// stop drops the search waiting or running.
func (s *searchBox) stop() {
	s.gen++
	s.running = false
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
}

// run searches for the field's text: the store's page first, then the
// servers asked too.
func (s *searchBox) run(gen int) {
	if gen != s.gen || !s.w.showingMain() {
		return
	}
	opts := app.SearchOptions{Query: s.entry.Text, Limit: searchLimit, Count: true}
	folder := s.w.list.mailbox
	if !s.allMail {
		if folder.ID == 0 {
			s.showError(errors.New("open a folder to search it, or search all mail"))
			return
		}
		opts.Folder = folder.ID
	}
	ctx, cancel := context.WithCancel(s.w.ctx)
	s.cancel = cancel
	s.running, s.opts = true, opts
	s.w.spawn("search", func() {
		defer cancel()
		// Each result has variables of its own: the UI goroutine reads the
		// first while this one runs the second.
		here, err := s.w.core.Search(ctx, opts)
		s.w.do(func() { s.show(gen, here, err, false) })
		if err != nil || ctx.Err() != nil {
			return
		}
		opts.Server = true
		merged, serr := s.w.core.Search(ctx, opts)
		if ctx.Err() != nil {
			return
		}
		s.w.do(func() { s.show(gen, merged, serr, true) })
	})
}

// show puts a search's results in the list.
func (s *searchBox) show(gen int, res app.SearchResult, err error, final bool) {
	if gen != s.gen {
		return
	}
	if final || err != nil {
		s.running = false
	}
	if err != nil {
		s.showError(err)
		return
	}
	if final {
		s.last = res
	}
	s.loadingMore = false
	s.rows = newSearchRows(res)
	s.w.list.showResults(&s.rows)
	text := res.Summary()
	if final && res.ServerErr != nil {
		text += "; the server could not be asked: " + res.ServerErr.Error()
	} else if !final {
		text += "…"
	}
	s.summary.SetText(text)
	s.summary.Show()
}

// refresh runs the last search again in the store, after the store
// changed (a result deleted, moved or marked), keeping what the servers
// found the last time: asking them again at every change of a sync would
// load them for nothing. It does nothing while a search is running.
func (s *searchBox) refresh() {
	if !s.w.list.searching || s.running {
		return
	}
	gen, opts, last := s.gen, s.opts, s.last
	opts.Limit = max(searchLimit, len(s.rows.local)) // keep what was read as the list scrolled
	ctx, cancel := context.WithCancel(s.w.ctx)
	s.cancel = cancel
	s.running = true
	s.w.spawn("search again", func() {
		defer cancel()
		res, err := s.w.core.Search(ctx, opts)
		if err == nil {
			here := make(map[int64]bool, len(res.Messages))
			for _, m := range res.Messages {
				here[m.ID] = true
			}
			for _, m := range last.Server {
				if !here[m.ID] {
					res.Server = append(res.Server, m)
				}
			}
			res.ServerCount = max(last.ServerCount-(len(last.Server)-len(res.Server)), len(res.Server))
			res.ServerErr = last.ServerErr
		}
		s.w.do(func() { s.show(gen, res, err, true) })
	})
}

// needRows reads the store's matches that follow those read, in a
// goroutine, until the results have at least n rows read from the top
// (or all of them): the list asks as it scrolls towards rows not read.
func (s *searchBox) needRows(n int) {
	if !s.w.list.searching || !s.rows.more || s.loadingMore || len(s.rows.local) >= n || len(s.rows.local) == 0 {
		return
	}
	s.loadingMore = true
	gen, opts := s.gen, s.opts
	opts.Below = app.CursorOf(s.rows.local[len(s.rows.local)-1])
	opts.Limit = max(searchLimit, n-len(s.rows.local))
	opts.Count, opts.Server = false, false
	s.w.spawn("search further", func() {
		ctx, cancel := context.WithTimeout(s.w.ctx, 30*time.Second)
		defer cancel()
		res, err := s.w.core.Search(ctx, opts)
		s.w.do(func() {
			if gen != s.gen || !s.w.list.searching {
				return
			}
			s.loadingMore = false
			if err != nil {
				s.w.logf("gui: search further: %v", err)
				return
			}
			s.rows.local = append(s.rows.local, res.Messages...)
			s.rows.more = res.More
			if !s.rows.more || s.rows.here < len(s.rows.local) {
				s.rows.here = len(s.rows.local) // the store changed meanwhile
			}
			s.w.list.moreResults(&s.rows)
		})
	})
}

// showError shows what is wrong with the query under the field, or hides
// it for a nil err.
func (s *searchBox) showError(err error) {
	if err == nil {
		s.errLabel.Hide()
		return
	}
	s.errLabel.SetText(err.Error())
	s.errLabel.Show()
	s.summary.Hide()
}

// escape clears the field and returns to the folder.
func (s *searchBox) escape() {
	s.entry.SetText("")
	s.w.focusList()
}

// toResults moves the keyboard to the list, on its first row.
func (s *searchBox) toResults() {
	s.w.focusList()
	if s.w.list.count > 0 && s.w.list.selIndex < 0 {
		s.w.list.list.Select(0)
	}
}

// folderOpened clears the search when another folder is opened.
func (s *searchBox) folderOpened() {
	s.stop()
	s.quiet = true
	s.entry.SetText("")
	s.quiet = false
	s.errLabel.Hide()
	s.summary.Hide()
}

// showResults shows r, a search's results, in place of the folder's
// rows, until endResults or another folder is opened.
func (l *messageList) showResults(r *searchRows) {
	l.reset()
	l.searching = true
	l.sortBar.setEnabled(false)
	l.resultPages(r)
	l.publish()
	l.restoreSelection()
	l.list.Refresh()
	l.updateEmpty()
	if l.count == 0 {
		l.empty.SetText("No messages found")
	}
}

// resultPages makes the list's pages of r: every page whose rows are all
// read.
func (l *messageList) resultPages(r *searchRows) {
	l.count = r.count()
	l.pages = map[int][]app.Message{}
	for start := 0; start < l.count; start += pageSize {
		end := min(start+pageSize, l.count)
		if end <= len(r.local) {
			l.pages[start/pageSize] = r.local[start:end:end]
			continue
		}
		page := make([]app.Message, 0, end-start)
		for i := start; i < end; i++ {
			m, ok := r.row(i)
			if !ok {
				break
			}
			page = append(page, m)
		}
		if len(page) == end-start {
			l.pages[start/pageSize] = page
		}
	}
}

// moreResults shows the rows of r read since showResults, keeping the
// selection and the place in the list.
func (l *messageList) moreResults(r *searchRows) {
	l.resultPages(r)
	l.restoreSelection()
	l.list.Refresh()
	if i := l.pending; i >= 0 && i == l.selIndex {
		if _, ok := l.at(i); ok {
			l.pending = -1
			l.selected(i)
		}
	}
	l.pageArrived()
}

// endResults shows the open folder again.
func (l *messageList) endResults() {
	l.searching = false
	l.open(l.mailbox)
}

// minWidth is a layout that fills its size with its objects and asks for
// at least width.
type minWidth struct{ width float32 }

func (m *minWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (m *minWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	s := fyne.NewSize(m.width, 0)
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}
