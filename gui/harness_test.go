package gui

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/gui/widgets"
	"github.com/ternmail/tern/internal/mailtest"
)

// waitLimit bounds every wait for the backend.
const waitLimit = 20 * time.Second

// harness runs a MainWindow over a real app.Core in the Fyne test app.
// The test goroutine is the UI goroutine: functions the window hands to
// do are queued and run by the harness while it waits, so that widgets
// are only ever touched from one goroutine, as in the real app.
type harness struct {
	t    *testing.T
	core *app.Core
	w    *MainWindow
	q    chan func()
	done chan struct{}
}

// testLog is a Logf that stops logging once the test is over.
type testLog struct {
	mu    sync.Mutex
	t     *testing.T
	over  bool
	lines []string // everything logged, also after stop
}

func (l *testLog) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	if !l.over {
		l.t.Logf(format, args...)
	}
}

// text returns everything logged so far.
func (l *testLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func (l *testLog) stop() {
	l.mu.Lock()
	l.over = true
	l.mu.Unlock()
}

// newCore returns a started Core in a temporary home whose demo mailbox is
// the in-process demo server.
func newCore(t *testing.T, log *testLog, secrets accounts.Secrets) *app.Core {
	t.Helper()
	if secrets == nil {
		secrets = accounts.NewMemorySecrets()
	}
	core, err := app.New(app.Options{
		Home:      t.TempDir(),
		Secrets:   secrets,
		StartDemo: demoFor(mailtest.DemoForTest(t)),
		Logf:      log.logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	core.Start()
	return core
}

// demoFor returns an app.Options.StartDemo that hands the core srv, a
// server the test started (mailtest.DemoForTest: closed when the test ends,
// or by the core when it shuts down).
func demoFor(srv *mailtest.Server) func() (*app.Demo, error) {
	return func() (*app.Demo, error) {
		return &app.Demo{Account: mailtest.DemoAccount(srv), Password: srv.Password, Close: srv.Close}, nil
	}
}

func newHarness(t *testing.T, setup func(*app.Core)) *harness {
	t.Helper()
	return newHarnessWith(t, nil, setup)
}

// newHarnessWith is newHarness with the core's secrets store (nil: memory).
func newHarnessWith(t *testing.T, secrets accounts.Secrets, setup func(*app.Core)) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	log := &testLog{t: t}
	core := newCore(t, log, secrets)
	if setup != nil {
		setup(core)
	}
	return windowFor(t, a, core, log)
}

// windowFor opens the main window of a test app over core, with UI work
// queued for the test goroutine to run, and closes everything at the end
// of the test.
func windowFor(t *testing.T, a fyne.App, core *app.Core, log *testLog) *harness {
	t.Helper()
	return windowForWith(t, a, core, log, nil)
}

// windowForWith is windowFor with the window's options changed by set.
func windowForWith(t *testing.T, a fyne.App, core *app.Core, log *testLog, set func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, core: core, q: make(chan func(), 4096), done: make(chan struct{})}
	opts := &Options{Logf: log.logf}
	if set != nil {
		set(opts)
	}
	opts.dispatch = func(fn func()) {
		select {
		case h.q <- fn:
		case <-h.done:
		}
	}
	h.w = NewWindow(a, core, opts)
	h.w.Window().Resize(fyne.NewSize(1200, 760))
	h.w.Window().Show()
	t.Cleanup(func() {
		h.w.Close()
		close(h.done)
		h.w.wait()
		core.Shutdown()
		log.stop()
	})
	return h
}

// run runs the queued UI work without waiting.
func (h *harness) run() {
	for {
		select {
		case fn := <-h.q:
			fn()
		default:
			return
		}
	}
}

// waitFor runs UI work until cond holds, failing the test after waitLimit.
// It runs all the work queued so far before each look at cond.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	h.waitUntil(what, cond, true)
}

// waitForFirst is waitFor that looks at cond after each single piece of
// UI work, and so returns at the first state in which cond holds, before
// any later work that happened to be queued too: for a state that lasts
// only until the next piece of work (a message sent 100 ms after its
// composer closed may show "Sent" in the very next one).
func (h *harness) waitForFirst(what string, cond func() bool) {
	h.t.Helper()
	h.waitUntil(what, cond, false)
}

func (h *harness) waitUntil(what string, cond func() bool, drain bool) {
	h.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		if drain {
			h.run()
		}
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		select {
		case fn := <-h.q:
			fn()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// objects returns every object drawn in the window.
func (h *harness) objects() []fyne.CanvasObject {
	return test.LaidOutObjects(h.w.Window().Content())
}

// folderRows returns the folder tree's drawn rows.
func (h *harness) folderRows() []*widgets.FolderRow {
	var out []*widgets.FolderRow
	for _, o := range test.LaidOutObjects(h.w.folders.tree) {
		if r, ok := o.(*widgets.FolderRow); ok && r.Visible() {
			out = append(out, r)
		}
	}
	return out
}

// messageRows returns the message list's drawn rows that show a message.
func (h *harness) messageRows() []*widgets.MessageRow {
	var out []*widgets.MessageRow
	for _, o := range test.LaidOutObjects(h.w.list.list) {
		if r, ok := o.(*widgets.MessageRow); ok && r.Visible() && !r.Data().Placeholder && r.Data().Subject != "" {
			out = append(out, r)
		}
	}
	return out
}

// startDemo shows the demo mailbox through the welcome screen and waits
// until the inbox has rows.
func (h *harness) startDemo() {
	h.t.Helper()
	h.waitFor("the welcome screen", func() bool { return h.w.loaded })
	test.Tap(h.w.welcome.demoBtn)
	h.waitFor("the three panes", h.w.showingMain)
	h.waitFor("the inbox with unread mail and rows", func() bool {
		for _, r := range h.folderRows() {
			if r.Name() == "Inbox" && r.Badge() != "" && r.Badge() != "0" {
				return h.w.list.mailbox.Role == app.RoleInbox && len(h.messageRows()) > 0
			}
		}
		return false
	})
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// windowTitled returns an open window of the test app whose title starts
// with prefix, or nil.
func (h *harness) windowTitled(prefix string) fyne.Window {
	for _, w := range h.w.app.Driver().AllWindows() {
		if strings.HasPrefix(w.Title(), prefix) {
			return w
		}
	}
	return nil
}

// monospaceLabel returns the first monospace label laid out in o (a
// message's headers or source), or nil.
func monospaceLabel(o fyne.CanvasObject) *widget.Label {
	if o == nil {
		return nil
	}
	for _, obj := range test.LaidOutObjects(o) {
		if l, ok := obj.(*widget.Label); ok && l.TextStyle.Monospace {
			return l
		}
	}
	return nil
}

// labelWithPrefix returns the first label laid out in o whose text starts
// with prefix, or nil.
func labelWithPrefix(o fyne.CanvasObject, prefix string) *widget.Label {
	if o == nil {
		return nil
	}
	for _, obj := range test.LaidOutObjects(o) {
		if l, ok := obj.(*widget.Label); ok && strings.HasPrefix(l.Text, prefix) {
			return l
		}
	}
	return nil
}

// statusText returns every account's state text in the status bar.
func (h *harness) statusText() string {
	s := h.w.status
	var out string
	for _, a := range s.accounts {
		if l := s.labels[a.ID]; l != nil {
			out += l.Text + "\n"
		}
	}
	return out
}

// ctx returns a context that ends with the test. It has no deadline of its
// own: tests keep it for their whole length, which on a loaded machine is
// longer than any one wait (a 20 s deadline here expired in the middle of
// TestReadStarAndUnread, and every store read after it failed); each wait
// is bounded by waitLimit instead.
func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	h.t.Cleanup(cancel)
	return ctx
}

func itoa(n int) string { return strconv.Itoa(n) }
