package desktopnotify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/ternmail/tern/internal/goroutine"
)

// The service's names on the bus.
const (
	Name      = "org.freedesktop.Notifications"
	Path      = dbus.ObjectPath("/org/freedesktop/Notifications")
	Interface = "org.freedesktop.Notifications"
)

// Well-known action keys. DefaultAction is what a click on the
// notification itself invokes.
const DefaultAction = "default"

// CapActions is the capability a server lists when it shows actions.
const CapActions = "actions"

// ErrNoService means there is no session bus address, or no notification
// service on the bus (none running and none the bus can start).
var ErrNoService = errors.New("desktopnotify: no notification service on the session bus")

// Options configures Connect. A nil *Options means the defaults.
type Options struct {
	// Address is the bus address; "" means $DBUS_SESSION_BUS_ADDRESS.
	// Connect never starts a bus of its own.
	Address string
	// OnEvent receives the service's ActionInvoked and NotificationClosed
	// signals for notifications this client sent. It is called from one
	// goroutine of the client's, one event at a time; nil drops them.
	OnEvent func(Event)
	// Logf receives diagnostics; nil discards them.
	Logf func(format string, args ...any)
}

// Action is a button on a notification: Key comes back in an Event when
// the user chooses it, Label is what the button says.
type Action struct {
	Key, Label string
}

// Urgency is a notification's urgency hint.
type Urgency byte

// The urgency levels of the specification.
const (
	UrgencyLow      Urgency = 0
	UrgencyNormal   Urgency = 1
	UrgencyCritical Urgency = 2
)

// Notification is one notification to show.
type Notification struct {
	// AppName names the sender, such as "Tern".
	AppName string
	// Icon is an icon name from the icon theme or a file:// URI; "" for
	// none.
	Icon string
	// Summary is the title line; Body the text below it (the
	// specification allows a little markup, which callers must escape).
	Summary, Body string
	// Actions are the buttons, shown only by servers that list the
	// "actions" capability; Send drops them for the others.
	Actions []Action
	// Category is the "category" hint, such as "email.arrived".
	Category string
	// DesktopEntry is the "desktop-entry" hint: the desktop file's name
	// without ".desktop".
	DesktopEntry string
	// Urgency is the "urgency" hint.
	Urgency Urgency
	// ReplacesID, when not 0, replaces that notification of this client.
	ReplacesID uint32
	// Timeout is how long the notification stays; 0 means the server's
	// default.
	Timeout time.Duration
}

// EventKind says what an Event reports.
type EventKind int

// The kinds of Event.
const (
	// ActionInvoked: the user chose Event.Action.
	ActionInvoked EventKind = iota + 1
	// Closed: the notification went away, for Event.Reason.
	Closed
)

// Close reasons of the specification.
const (
	ReasonExpired   uint32 = 1
	ReasonDismissed uint32 = 2
	ReasonClosed    uint32 = 3 // by CloseNotification
	ReasonUndefined uint32 = 4
)

// Event is a signal from the service about a notification this client
// sent.
type Event struct {
	Kind   EventKind
	ID     uint32
	Action string // ActionInvoked
	Reason uint32 // Closed
}

// Client is a connection to the notification service.
//
// A Client is safe for concurrent use. Options.OnEvent runs on the
// client's own goroutine, never on the caller's.
type Client struct {
	conn    *dbus.Conn
	kill    context.CancelFunc // ends the connection's context
	obj     dbus.BusObject
	caps    []string
	onEvent func(Event)
	logf    func(format string, args ...any)
	signals chan *dbus.Signal
	done    chan struct{}

	mu   sync.Mutex
	sent map[uint32]bool // notifications this client sent and not yet closed
}

// maxTracked bounds the notifications a client remembers as its own.
const maxTracked = 1000

// Connect connects to the bus and asks the service for its capabilities,
// which starts the service when the bus can. With no bus address or no
// service, the error wraps ErrNoService; other failures (a bus that does
// not answer, a service that fails) do not. ctx bounds the connection and
// the first call.
func Connect(ctx context.Context, opts *Options) (*Client, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	addr := o.Address
	if addr == "" {
		addr = os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	}
	if addr == "" {
		return nil, ErrNoService
	}
	// The connection lives until Close; ctx bounds only its making.
	life, kill := context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, kill)
	conn, err := dbus.Connect(addr, dbus.WithContext(life))
	if !stop() || err != nil {
		kill()
		if err == nil {
			conn.Close()
			err = ctx.Err()
		}
		return nil, fmt.Errorf("desktopnotify: connect to the session bus: %w", err)
	}
	c := &Client{
		conn:    conn,
		kill:    kill,
		obj:     conn.Object(Name, Path),
		onEvent: o.OnEvent,
		logf:    o.Logf,
		signals: make(chan *dbus.Signal, 64),
		done:    make(chan struct{}),
		sent:    map[uint32]bool{},
	}
	if err := c.obj.CallWithContext(ctx, Interface+".GetCapabilities", 0).Store(&c.caps); err != nil {
		conn.Close()
		kill()
		var de dbus.Error
		if errors.As(err, &de) && de.Name == "org.freedesktop.DBus.Error.ServiceUnknown" {
			return nil, fmt.Errorf("%w: %v", ErrNoService, err)
		}
		return nil, fmt.Errorf("desktopnotify: ask the service: %w", err)
	}
	// Signals come from the service's unique name; the match on the
	// interface and path is what the specification promises.
	if err := conn.AddMatchSignalContext(ctx, dbus.WithMatchInterface(Interface), dbus.WithMatchObjectPath(Path)); err != nil {
		conn.Close()
		kill()
		return nil, fmt.Errorf("desktopnotify: listen for signals: %w", err)
	}
	conn.Signal(c.signals)
	goroutine.Go("desktopnotify: signals", c.logf, c.listen)
	return c, nil
}

// Capabilities returns what the service said it can do.
func (c *Client) Capabilities() []string { return slices.Clone(c.caps) }

// HasActions reports whether the service shows actions.
func (c *Client) HasActions() bool { return slices.Contains(c.caps, CapActions) }

// Send shows n and returns the id the service gave it.
func (c *Client) Send(ctx context.Context, n Notification) (uint32, error) {
	var actions []string
	if c.HasActions() {
		for _, a := range n.Actions {
			actions = append(actions, a.Key, a.Label)
		}
	}
	if actions == nil {
		actions = []string{}
	}
	hints := map[string]dbus.Variant{"urgency": dbus.MakeVariant(byte(n.Urgency))}
	if n.Category != "" {
		hints["category"] = dbus.MakeVariant(n.Category)
	}
	if n.DesktopEntry != "" {
		hints["desktop-entry"] = dbus.MakeVariant(n.DesktopEntry)
	}
	timeout := int32(-1)
	if n.Timeout > 0 {
		timeout = int32(min(n.Timeout.Milliseconds(), 1<<31-1))
	}
	// The lock is held across the call so that a signal for the new id,
	// which may come right after the reply, waits until it is known.
	c.mu.Lock()
	defer c.mu.Unlock()
	var id uint32
	err := c.obj.CallWithContext(ctx, Interface+".Notify", 0,
		n.AppName, n.ReplacesID, n.Icon, n.Summary, n.Body, actions, hints, timeout).Store(&id)
	if err != nil {
		return 0, fmt.Errorf("desktopnotify: notify: %w", err)
	}
	if len(c.sent) >= maxTracked {
		clear(c.sent)
	}
	c.sent[id] = true
	return id, nil
}

// CloseNotification asks the service to take notification id away.
func (c *Client) CloseNotification(ctx context.Context, id uint32) error {
	return c.obj.CallWithContext(ctx, Interface+".CloseNotification", 0, id).Err
}

// Close disconnects from the bus; the event goroutine ends.
func (c *Client) Close() error {
	err := c.conn.Close()
	c.kill()
	<-c.done
	return err
}

// listen turns the service's signals into Events for this client's
// notifications, until the connection closes.
func (c *Client) listen() {
	defer close(c.done)
	for sig := range c.signals {
		if sig.Path != Path {
			continue
		}
		var ev Event
		switch sig.Name {
		case Interface + ".ActionInvoked":
			var key string
			if len(sig.Body) != 2 || dbus.Store(sig.Body, &ev.ID, &key) != nil {
				continue
			}
			ev.Kind, ev.Action = ActionInvoked, key
		case Interface + ".NotificationClosed":
			if len(sig.Body) != 2 || dbus.Store(sig.Body, &ev.ID, &ev.Reason) != nil {
				continue
			}
			ev.Kind = Closed
		default:
			continue
		}
		c.mu.Lock()
		ours := c.sent[ev.ID]
		if ev.Kind == Closed {
			delete(c.sent, ev.ID)
		}
		c.mu.Unlock()
		if ours && c.onEvent != nil {
			c.onEvent(ev)
		}
	}
}

// HasCapability reports whether the service listed capability name.
func (c *Client) HasCapability(name string) bool { return slices.Contains(c.caps, name) }
