// Package notifytest runs a private D-Bus session bus and a notification
// service of its own on it, for tests: the service records what it was
// asked to show and emits the signals a user's clicks would.
package notifytest

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/ternmail/tern/internal/desktopnotify"
)

// Bus starts a private session bus (dbus-daemon, from Debian's dbus
// package) for the length of the test and returns its address. The test
// never shares the bus the desktop or other tests use, so that its
// service owns the notification name alone.
func Bus(t testing.TB) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Fatalf("dbus-daemon is missing: install the dbus package (scripts/deps.sh test)")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "bus.conf")
	// A session bus listening on a socket in the test's directory only.
	err = os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=`+dir+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemon, "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("dbus-daemon printed no address: %v: %s", err, stderr.String())
	}
	return strings.TrimSpace(line)
}

// Call is one Notify call the service received, with the id it returned.
type Call struct {
	ID         uint32
	AppName    string
	ReplacesID uint32
	Icon       string
	Summary    string
	Body       string
	Actions    []string // key, label, key, label…
	Hints      map[string]any
	Timeout    int32
}

// ActionKeys returns the keys of c's actions.
func (c Call) ActionKeys() []string {
	var keys []string
	for i := 0; i+1 < len(c.Actions); i += 2 {
		keys = append(keys, c.Actions[i])
	}
	return keys
}

// Server is a notification service on a bus: it owns
// org.freedesktop.Notifications and answers Notify, GetCapabilities,
// CloseNotification and GetServerInformation.
//
// Its methods are safe for concurrent use; the bus calls it from its own
// goroutine.
type Server struct {
	conn *dbus.Conn
	caps []string

	mu      sync.Mutex
	calls   []Call
	closed  []uint32
	next    uint32
	changed chan struct{} // closed and replaced at each call
}

// Start exports a notification service with capabilities caps (nil:
// "body" and "actions") on the bus at addr until the test ends.
func Start(t testing.TB, addr string, caps []string) *Server {
	t.Helper()
	if caps == nil {
		caps = []string{"body", desktopnotify.CapActions}
	}
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connect to the test bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	s := &Server{conn: conn, caps: caps, changed: make(chan struct{})}
	if err := conn.Export(service{s}, desktopnotify.Path, desktopnotify.Interface); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName(desktopnotify.Name, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: %v %v", desktopnotify.Name, reply, err)
	}
	return s
}

// Calls returns the Notify calls so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Closed returns the ids CloseNotification was called with.
func (s *Server) Closed() []uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint32(nil), s.closed...)
}

// Wait waits until the service has received n Notify calls, or ctx ends,
// and returns the calls.
func (s *Server) Wait(ctx context.Context, n int) ([]Call, error) {
	for {
		s.mu.Lock()
		if len(s.calls) >= n {
			defer s.mu.Unlock()
			return append([]Call(nil), s.calls...), nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return s.Calls(), ctx.Err()
		}
	}
}

// Invoke emits ActionInvoked for notification id and key, as a click
// does, then NotificationClosed (dismissed), as servers do after an
// action.
func (s *Server) Invoke(id uint32, key string) error {
	if err := s.conn.Emit(desktopnotify.Path, desktopnotify.Interface+".ActionInvoked", id, key); err != nil {
		return err
	}
	return s.conn.Emit(desktopnotify.Path, desktopnotify.Interface+".NotificationClosed", id, desktopnotify.ReasonDismissed)
}

// Expire emits NotificationClosed for id with the reason "expired".
func (s *Server) Expire(id uint32) error {
	return s.conn.Emit(desktopnotify.Path, desktopnotify.Interface+".NotificationClosed", id, desktopnotify.ReasonExpired)
}

// service holds the methods exported on the bus.
type service struct{ s *Server }

func (v service) Notify(app string, replaces uint32, icon, summary, body string, actions []string,
	hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s := v.s
	s.mu.Lock()
	defer s.mu.Unlock()
	id := replaces
	if id == 0 {
		s.next++
		id = s.next
	}
	h := map[string]any{}
	for k, val := range hints {
		h[k] = val.Value()
	}
	s.calls = append(s.calls, Call{ID: id, AppName: app, ReplacesID: replaces, Icon: icon, Summary: summary,
		Body: body, Actions: actions, Hints: h, Timeout: timeout})
	close(s.changed)
	s.changed = make(chan struct{})
	return id, nil
}

func (v service) GetCapabilities() ([]string, *dbus.Error) { return v.s.caps, nil }

func (v service) CloseNotification(id uint32) *dbus.Error {
	v.s.mu.Lock()
	v.s.closed = append(v.s.closed, id)
	v.s.mu.Unlock()
	return nil
}

func (v service) GetServerInformation() (name, vendor, version, spec string, err *dbus.Error) {
	return "notifytest", "Tern", "1", "1.2", nil
}

// waitLimit bounds the waits of WaitT.
const waitLimit = 20 * time.Second

// WaitT is Wait that fails the test after a bound.
func (s *Server) WaitT(t testing.TB, n int) []Call {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	calls, err := s.Wait(ctx, n)
	if err != nil {
		t.Fatalf("waited for %d notifications, got %d: %+v", n, len(calls), calls)
	}
	return calls
}
