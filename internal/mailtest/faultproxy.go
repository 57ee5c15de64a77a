package mailtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ternmail/tern/internal/goroutine"
)

// FaultDir is the direction of the bytes a Fault watches.
type FaultDir int

// Directions of a FaultProxy's traffic.
const (
	// ToServer is what the client sends (commands, APPEND literals, DATA).
	ToServer FaultDir = iota + 1
	// ToClient is what the server sends (greetings, FETCH responses).
	ToClient
)

func (d FaultDir) String() string {
	switch d {
	case ToServer:
		return "to server"
	case ToClient:
		return "to client"
	}
	return "direction " + strconv.Itoa(int(d))
}

// FaultAction is what a FaultProxy does to a connection when a Fault fires.
type FaultAction int

// Fault actions.
const (
	// FaultDrop closes both sides of the connection (each peer sees FIN).
	FaultDrop FaultAction = iota + 1
	// FaultReset aborts both sides with a TCP RST (SO_LINGER 0): the peers
	// see "connection reset by peer".
	FaultReset
	// FaultTruncate stops the watched direction there and half-closes it:
	// its receiver sees the end of the stream in the middle of whatever
	// it was reading, while the other direction still flows.
	FaultTruncate
	// FaultStall stops forwarding in both directions with the connection
	// left open, for Fault.Delay or, with no Delay, until Trigger.Release.
	FaultStall
	// FaultMark changes nothing: its trigger only fires, so that a test
	// can wait for a point in the traffic (a server's "+ idling").
	FaultMark
)

func (a FaultAction) String() string {
	switch a {
	case FaultDrop:
		return "drop"
	case FaultReset:
		return "reset"
	case FaultTruncate:
		return "truncate"
	case FaultStall:
		return "stall"
	case FaultMark:
		return "mark"
	}
	return "action " + strconv.Itoa(int(a))
}

// Fault says where a FaultProxy breaks a connection. It fires once, on the
// first connection whose traffic in Dir reaches the point.
type Fault struct {
	// Dir is the direction watched. Required.
	Dir FaultDir
	// Pattern, if not empty, is a byte string to wait for in Dir (a
	// command or response word: "FETCH", "+ idling", "APPEND", "DATA").
	// Patterns match plaintext only: through TLS, use After alone.
	Pattern string
	// After is how many bytes in Dir pass before the fault fires: counted
	// from the end of Pattern's first occurrence, or, without a Pattern,
	// from when the fault is armed (from the start of connections made
	// later). The bytes before that point are forwarded.
	After int64
	// Action is what happens then. Required.
	Action FaultAction
	// Delay bounds a FaultStall; zero means until Trigger.Release.
	Delay time.Duration
}

// Trigger is an armed Fault. Its methods are safe for concurrent use.
type Trigger struct {
	f       Fault
	fired   chan struct{}
	release chan struct{}
	relOnce sync.Once
	mu      sync.Mutex
	done    bool // fired (guarded by mu)
	cancel  bool // disarmed before firing (guarded by mu)
}

// Fired is closed when the fault has fired.
func (t *Trigger) Fired() <-chan struct{} { return t.fired }

// Release ends a FaultStall (at once if it has not fired yet: it then
// stalls nothing). It does nothing for other actions.
func (t *Trigger) Release() { t.relOnce.Do(func() { close(t.release) }) }

// Disarm keeps the fault from firing if it has not fired yet, and reports
// whether it had fired.
func (t *Trigger) Disarm() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cancel = !t.done
	return t.done
}

// claim marks t fired if it may still fire, and reports whether it did.
func (t *Trigger) claim() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done || t.cancel {
		return false
	}
	t.done = true
	close(t.fired)
	return true
}

func (t *Trigger) live() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return !t.done && !t.cancel
}

// FaultProxyOptions configures StartFaultProxy. A nil *FaultProxyOptions
// means the defaults.
type FaultProxyOptions struct {
	// Logf, if set, receives a line for each fault fired and each
	// connection refused.
	Logf func(format string, args ...any)
	// DialTimeout bounds the connection to the target; zero means 10 s.
	DialTimeout time.Duration
}

// FaultProxy is a TCP proxy on 127.0.0.1 between a client under test and a
// server (Dovecot, Postfix, an in-process server) that breaks connections
// where a test says: after some bytes or at a pattern in one direction it
// drops, resets, truncates or stalls a connection (Arm); it can refuse
// new connections as a server that is down does (SetDown), cut every
// connection at once (CutAll), and black-hole all traffic until released
// (Blackhole), so that a test simulates minutes without a network without
// waiting minutes.
//
// A FaultProxy is safe for concurrent use; its connections are served by
// goroutines of its own until Close.
type FaultProxy struct {
	ln     net.Listener
	target string
	opts   FaultProxyOptions

	mu       sync.Mutex
	conns    map[*faultConn]struct{}
	triggers []*Trigger
	down     bool
	downMode FaultAction
	hole     chan struct{} // non-nil while black-holed; closed at release
	accepted int           // connections accepted
	forwards int           // connections that reached the target
	refused  int           // connections refused while down
	closed   bool
	events   chan struct{} // closed and replaced at every change of the counters
	quit     chan struct{}
	wg       sync.WaitGroup
}

// StartFaultProxy listens on a free port of 127.0.0.1 and forwards each
// connection to target.
func StartFaultProxy(target string, opts *FaultProxyOptions) (*FaultProxy, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &FaultProxy{ln: ln, target: target, conns: map[*faultConn]struct{}{},
		events: make(chan struct{}), quit: make(chan struct{})}
	if opts != nil {
		p.opts = *opts
	}
	if p.opts.DialTimeout <= 0 {
		p.opts.DialTimeout = 10 * time.Second
	}
	if p.opts.Logf == nil {
		p.opts.Logf = func(string, ...any) {}
	}
	p.wg.Add(1)
	goroutine.Go("mailtest: fault proxy "+p.Addr(), p.opts.Logf, func() {
		defer p.wg.Done()
		p.serve()
	})
	return p, nil
}

// FaultProxyForTest starts a FaultProxy to target for a test (logging to
// t.Logf) and closes it when the test ends.
func FaultProxyForTest(t testing.TB, target string) *FaultProxy {
	t.Helper()
	p, err := StartFaultProxy(target, &FaultProxyOptions{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's address, host:port.
func (p *FaultProxy) Addr() string { return p.ln.Addr().String() }

// Port is the proxy's port.
func (p *FaultProxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// Arm arms a fault and returns its trigger.
func (p *FaultProxy) Arm(f Fault) *Trigger {
	if f.Dir != ToServer && f.Dir != ToClient {
		panic("mailtest: Fault.Dir must be ToServer or ToClient")
	}
	if f.Action < FaultDrop || f.Action > FaultMark {
		panic("mailtest: Fault.Action unset")
	}
	t := &Trigger{f: f, fired: make(chan struct{}), release: make(chan struct{})}
	p.mu.Lock()
	p.triggers = append(p.triggers, t)
	p.mu.Unlock()
	return t
}

// SetDown makes the proxy refuse new connections (down) or accept them
// again. A refused connection is accepted and reset at once, so that the
// proxy keeps its port for when the server comes back: the client sees
// its connection reset before any greeting. Connections already open are
// left alone (CutAll ends them).
func (p *FaultProxy) SetDown(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
}

// CutAll ends every open connection with action (FaultDrop or FaultReset)
// and returns how many it ended.
func (p *FaultProxy) CutAll(action FaultAction) int {
	p.mu.Lock()
	cs := make([]*faultConn, 0, len(p.conns))
	for c := range p.conns {
		cs = append(cs, c)
	}
	p.mu.Unlock()
	for _, c := range cs {
		c.end(action)
	}
	return len(cs)
}

// Blackhole stops all traffic: the bytes of open connections are held,
// and new connections are accepted but not connected to the target, as
// when a network path is gone and packets vanish. Release or ReleaseCut
// ends it.
func (p *FaultProxy) Blackhole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hole == nil {
		p.hole = make(chan struct{})
	}
}

// Release ends a Blackhole: held bytes flow on, as after a network that
// came back within TCP's retransmission time.
func (p *FaultProxy) Release() { p.release(false) }

// ReleaseCut ends a Blackhole by resetting every connection that was open
// during it, as after a network that came back with its connection state
// lost (a NAT or firewall that forgot it). New connections work.
func (p *FaultProxy) ReleaseCut() { p.release(true) }

func (p *FaultProxy) release(cut bool) {
	p.mu.Lock()
	h := p.hole
	p.hole = nil
	var cs []*faultConn
	if cut && h != nil {
		for c := range p.conns {
			cs = append(cs, c)
		}
	}
	p.mu.Unlock()
	for _, c := range cs {
		c.end(FaultReset)
	}
	if h != nil {
		close(h)
	}
}

// Accepted is how many connections the proxy has accepted, refused ones
// included.
func (p *FaultProxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Forwarded is how many connections have reached the target.
func (p *FaultProxy) Forwarded() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.forwards
}

// Refused is how many connections were refused while the proxy was down.
func (p *FaultProxy) Refused() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refused
}

// Open is how many connections are open now.
func (p *FaultProxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// WaitUntil waits until cond, which may call the proxy's counters, holds:
// it looks again at each connection accepted, forwarded, refused or
// closed. It returns ctx's error if ctx ends first.
func (p *FaultProxy) WaitUntil(ctx context.Context, cond func() bool) error {
	for {
		p.mu.Lock()
		ev := p.events
		p.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ev:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// event wakes WaitUntil; p.mu must be held.
func (p *FaultProxy) event() {
	close(p.events)
	p.events = make(chan struct{})
}

// Close stops listening, ends every connection and releases everything
// held. It waits for the proxy's goroutines.
func (p *FaultProxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.quit)
	p.mu.Unlock()
	p.ln.Close()
	p.CutAll(FaultDrop)
	p.wg.Wait()
}

func (p *FaultProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			return
		}
		p.accepted++
		if p.down {
			p.refused++
			p.event()
			p.mu.Unlock()
			abort(c)
			p.opts.Logf("mailtest: fault proxy %s: refused a connection (down)", p.Addr())
			continue
		}
		fc := &faultConn{p: p, client: c.(*net.TCPConn), ended: make(chan struct{})}
		p.conns[fc] = struct{}{}
		p.event()
		p.wg.Add(1)
		p.mu.Unlock()
		goroutine.Go("mailtest: fault proxy connection", p.opts.Logf, func() {
			defer p.wg.Done()
			fc.run()
		})
	}
}

// abort closes c with a TCP RST.
func abort(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// holeNow returns the black hole's channel (nil when there is none).
func (p *FaultProxy) holeNow() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hole
}

// faultConn is one proxied connection.
type faultConn struct {
	p      *FaultProxy
	client *net.TCPConn

	mu      sync.Mutex
	server  *net.TCPConn // nil until dialed
	stalls  []*Trigger   // active FaultStalls
	endOnce sync.Once
	ended   chan struct{}
}

func (c *faultConn) run() {
	p := c.p
	defer func() {
		c.end(FaultDrop)
		p.mu.Lock()
		delete(p.conns, c)
		p.event()
		p.mu.Unlock()
	}()
	// A connection made during a black hole waits for the network.
	if !c.waitHole() {
		return
	}
	d := net.Dialer{Timeout: p.opts.DialTimeout}
	s, err := d.Dial("tcp", p.target)
	if err != nil {
		p.opts.Logf("mailtest: fault proxy %s: dialing %s: %v", p.Addr(), p.target, err)
		abort(c.client)
		return
	}
	c.mu.Lock()
	c.server = s.(*net.TCPConn)
	c.mu.Unlock()
	select {
	case <-c.ended: // cut while dialing: end did not see the server side
		s.Close()
		return
	default:
	}
	p.mu.Lock()
	p.forwards++
	p.event()
	p.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(2)
	goroutine.Go("mailtest: fault proxy to server", p.opts.Logf, func() {
		defer wg.Done()
		c.pipe(ToServer, c.client, c.server)
	})
	goroutine.Go("mailtest: fault proxy to client", p.opts.Logf, func() {
		defer wg.Done()
		c.pipe(ToClient, c.server, c.client)
	})
	wg.Wait()
}

// waitHole waits while the proxy is black-holed, and reports whether the
// connection may go on (false: it was cut, or the release cut it).
func (c *faultConn) waitHole() bool {
	h := c.p.holeNow()
	if h == nil {
		return true
	}
	select {
	case <-h:
	case <-c.ended:
		return false
	}
	select {
	case <-c.ended: // ReleaseCut
		return false
	default:
		return true
	}
}

// waitStalls waits for the connection's stalls to end; false if it was
// cut meanwhile.
func (c *faultConn) waitStalls() bool {
	for {
		c.mu.Lock()
		var t *Trigger
		if len(c.stalls) > 0 {
			t = c.stalls[0]
		}
		c.mu.Unlock()
		if t == nil {
			return true
		}
		var timeout <-chan time.Time
		if t.f.Delay > 0 {
			tm := time.NewTimer(t.f.Delay)
			defer tm.Stop()
			timeout = tm.C
		}
		select {
		case <-t.release:
		case <-timeout:
		case <-c.ended:
			return false
		}
		c.mu.Lock()
		if len(c.stalls) > 0 && c.stalls[0] == t {
			c.stalls = c.stalls[1:]
		}
		c.mu.Unlock()
	}
}

// end ends the connection with action (FaultDrop or FaultReset).
func (c *faultConn) end(action FaultAction) {
	c.endOnce.Do(func() {
		close(c.ended)
		c.mu.Lock()
		s := c.server
		c.mu.Unlock()
		if action == FaultReset {
			abort(c.client)
			if s != nil {
				abort(s)
			}
			return
		}
		c.client.Close()
		if s != nil {
			s.Close()
		}
	})
}

// watch is one armed trigger's progress on one direction of a connection.
type watch struct {
	t     *Trigger
	start int64 // stream offset from which After counts; -1 until Pattern is seen
	tail  []byte
}

// pipe forwards src to dst in direction dir, applying the black hole,
// stalls and the faults armed for dir.
func (c *faultConn) pipe(dir FaultDir, src, dst *net.TCPConn) {
	p := c.p
	buf := make([]byte, 32<<10)
	var pos int64 // bytes of this direction forwarded so far
	watches := map[*Trigger]*watch{}
	for {
		n, rerr := src.Read(buf)
		chunk := buf[:n]
		for len(chunk) > 0 {
			if !c.waitHole() || !c.waitStalls() {
				return
			}
			// The earliest armed fault that fires within chunk.
			cut, t := c.nextFault(dir, pos, chunk, watches)
			if _, err := dst.Write(chunk[:cut]); err != nil {
				c.end(FaultDrop)
				return
			}
			pos += int64(cut)
			chunk = chunk[cut:]
			if t == nil || !t.claim() {
				continue
			}
			if t.f.Action != FaultMark {
				p.opts.Logf("mailtest: fault proxy %s: %s %s after %d bytes", p.Addr(), t.f.Action, dir, pos)
			}
			switch t.f.Action {
			case FaultDrop, FaultReset:
				c.end(t.f.Action)
				return
			case FaultTruncate:
				dst.CloseWrite()
				src.CloseRead()
				return
			case FaultStall:
				c.mu.Lock()
				c.stalls = append(c.stalls, t)
				c.mu.Unlock()
			}
		}
		if rerr != nil {
			if !c.waitHole() || !c.waitStalls() {
				return
			}
			// Pass the end of the stream on; the other direction may
			// still have something to say.
			dst.CloseWrite()
			if !errors.Is(rerr, net.ErrClosed) && !errors.Is(rerr, io.EOF) {
				c.end(FaultReset)
			}
			return
		}
	}
}

// nextFault returns how many bytes of chunk (which starts at stream offset
// pos) to forward, and the trigger that fires there (nil: forward it all).
func (c *faultConn) nextFault(dir FaultDir, pos int64, chunk []byte, watches map[*Trigger]*watch) (int, *Trigger) {
	p := c.p
	p.mu.Lock()
	live := p.triggers[:0]
	var mine []*Trigger
	for _, t := range p.triggers {
		if !t.live() {
			continue
		}
		live = append(live, t)
		if t.f.Dir == dir {
			mine = append(mine, t)
		}
	}
	p.triggers = live
	p.mu.Unlock()

	// A fault may fire after the chunk's last byte (at len(chunk)): a
	// pattern that ends a server's last words before it waits (IDLE's
	// "+ idling") must fire without more bytes coming.
	best, bestT := len(chunk)+1, (*Trigger)(nil)
	for _, t := range mine {
		w := watches[t]
		if w == nil {
			w = &watch{t: t, start: pos}
			if t.f.Pattern != "" {
				w.start = -1
			}
			watches[t] = w
		}
		if w.start < 0 {
			pat := []byte(t.f.Pattern)
			window := append(append([]byte(nil), w.tail...), chunk...)
			if i := bytes.Index(window, pat); i >= 0 {
				w.start = pos + int64(i+len(pat)-len(w.tail))
			} else {
				keep := min(len(pat)-1, len(window))
				w.tail = append(w.tail[:0], window[len(window)-keep:]...)
				continue
			}
		}
		at := w.start + t.f.After - pos // offset in chunk where it fires
		if at < 0 {
			at = 0
		}
		if at < int64(best) {
			best, bestT = int(at), t
		}
	}
	if bestT == nil {
		return len(chunk), nil
	}
	return best, bestT
}

// String describes the proxy, for logs.
func (p *FaultProxy) String() string {
	return fmt.Sprintf("fault proxy %s → %s", p.Addr(), p.target)
}
