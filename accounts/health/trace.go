package health

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ternmail/tern/accounts"
)

// DefaultTraceLines is the number of lines a Trace keeps per connection
// when NewTrace is given 0.
const DefaultTraceLines = 200

// maxTraceLine bounds one line of a trace.
const maxTraceLine = 300

// redacted replaces what a trace must not hold.
const redacted = "[redacted]"

// Trace records the last lines of every connection of a check, for a
// support request: commands and responses, with passwords, SASL exchanges
// and message contents replaced by "[redacted]" before they are stored.
// It is safe for concurrent use; a nil *Trace records nothing.
type Trace struct {
	max   int
	mu    sync.Mutex
	conns []*connTrace
	start time.Time
}

// NewTrace returns a Trace keeping the last n lines of each connection
// (DefaultTraceLines when n is 0).
func NewTrace(n int) *Trace {
	if n <= 0 {
		n = DefaultTraceLines
	}
	return &Trace{max: n, start: time.Now()}
}

// TraceLine is one line of a connection: C for the client, S for the
// server.
type TraceLine struct {
	At   time.Duration // since the Trace was made
	Dir  string
	Text string
}

// TraceConn is the record of one connection.
type TraceConn struct {
	Label   string // "IMAP 127.0.0.1:993 tls"
	Dropped int    // earlier lines no longer kept
	Lines   []TraceLine
}

// Conns returns a copy of what was recorded, connection by connection.
func (t *Trace) Conns() []TraceConn {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]TraceConn, 0, len(t.conns))
	for _, c := range t.conns {
		out = append(out, TraceConn{Label: c.label, Dropped: c.dropped, Lines: append([]TraceLine(nil), c.lines...)})
	}
	return out
}

// WriteTo writes the trace as text, one line per exchange.
func (t *Trace) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	for _, c := range t.Conns() {
		fmt.Fprintf(&b, "== %s\n", c.Label)
		if c.Dropped > 0 {
			fmt.Fprintf(&b, "   (%d earlier lines not kept)\n", c.Dropped)
		}
		for _, l := range c.Lines {
			fmt.Fprintf(&b, "%8.3fs %s: %s\n", l.At.Seconds(), l.Dir, l.Text)
		}
	}
	return b.WriteTo(w)
}

// connTrace records one connection. Its methods are safe on nil.
type connTrace struct {
	t       *Trace
	label   string
	dropped int
	lines   []TraceLine
	// Guarded by t.mu:
	partial [2][]byte // an unfinished line per direction
	secret  bool      // in a sign-in exchange: client lines are redacted
	data    bool      // in SMTP DATA: client lines are redacted
	off     bool      // past STARTTLS on the plaintext connection
}

func (t *Trace) open(proto string, ep accounts.Endpoint) *connTrace {
	if t == nil {
		return nil
	}
	c := &connTrace{t: t, label: proto + " " + ep.String()}
	t.mu.Lock()
	t.conns = append(t.conns, c)
	t.mu.Unlock()
	return c
}

// wrap returns nc, recording what crosses it.
func (c *connTrace) wrap(nc net.Conn) net.Conn {
	if c == nil {
		return nc
	}
	return &tracedConn{Conn: nc, c: c}
}

// plainDone stops recording the plaintext connection once STARTTLS is
// done: what follows on it is the handshake and ciphertext.
func (c *connTrace) plainDone() {
	if c == nil {
		return
	}
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	c.off = true
	c.partial = [2][]byte{}
}

type tracedConn struct {
	net.Conn
	c *connTrace
}

func (tc *tracedConn) Read(p []byte) (int, error) {
	n, err := tc.Conn.Read(p)
	tc.c.feed(1, p[:n])
	return n, err
}

func (tc *tracedConn) Write(p []byte) (int, error) {
	tc.c.feed(0, p)
	return tc.Conn.Write(p)
}

func (c *connTrace) feed(dir int, p []byte) {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	if c.off {
		return
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(c.partial[dir]) < 4*maxTraceLine {
				c.partial[dir] = append(c.partial[dir], p...)
			}
			return
		}
		line := append(c.partial[dir], p[:i]...)
		c.partial[dir] = nil
		p = p[i+1:]
		if dir == 0 {
			c.client(strings.TrimRight(string(line), "\r"))
		} else {
			c.server(strings.TrimRight(string(line), "\r"))
		}
	}
}

var (
	// signIn matches a command that starts a sign-in: IMAP LOGIN and
	// AUTHENTICATE, SMTP AUTH. What follows the mechanism is redacted.
	signIn = regexp.MustCompile(`(?i)^((?:\S+ )?(?:LOGIN|AUTHENTICATE \S+|AUTH \S+))(?: .*)?$`)
	// dataCmd and appendCmd start message contents.
	dataCmd = regexp.MustCompile(`(?i)^(DATA|BDAT\b.*)$`)
)

func (c *connTrace) client(line string) {
	switch {
	case c.secret || c.data:
		if c.data && line == "." {
			c.data = false
			c.add("C", line)
			return
		}
		c.add("C", redacted)
		return
	case signIn.MatchString(line):
		m := signIn.FindStringSubmatch(line)
		c.secret = true
		if m[1] == line {
			c.add("C", line)
		} else {
			c.add("C", m[1]+" "+redacted)
		}
		return
	case dataCmd.MatchString(line):
		c.data = true
	}
	c.add("C", bound(line))
}

func (c *connTrace) server(line string) {
	if c.secret {
		// A continuation carries SASL data; any other answer ends the
		// sign-in.
		if strings.HasPrefix(line, "+") || strings.HasPrefix(line, "334") {
			c.add("S", line[:min(len(line), 3)]+" "+redacted)
			return
		}
		c.secret = false
	}
	if c.data && !strings.HasPrefix(line, "354") {
		c.data = false // DATA refused: no contents follow
	}
	c.add("S", bound(line))
}

func bound(s string) string {
	if len(s) > maxTraceLine {
		return s[:maxTraceLine] + fmt.Sprintf("… (%d bytes)", len(s))
	}
	return s
}

func (c *connTrace) add(dir, text string) {
	c.lines = append(c.lines, TraceLine{At: time.Since(c.t.start), Dir: dir, Text: text})
	if len(c.lines) > c.t.max {
		n := len(c.lines) - c.t.max
		c.dropped += n
		c.lines = append(c.lines[:0], c.lines[n:]...)
	}
}
