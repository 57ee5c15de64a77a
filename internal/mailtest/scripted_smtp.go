package mailtest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ternmail/tern/internal/goroutine"
)

// ScriptedSMTPOptions configures a ScriptedSMTP. A nil *ScriptedSMTPOptions
// means plaintext connections and no certificate.
type ScriptedSMTPOptions struct {
	// TLS is the server side of TLS: for ImplicitTLS and for
	// SMTPSession.StartTLS.
	TLS *tls.Config
	// ImplicitTLS starts every connection with the TLS handshake, as on
	// port 465.
	ImplicitTLS bool
	// Timeout bounds each read and write of a session; default 10 s, so
	// that a script waiting for a client that went away ends.
	Timeout time.Duration
}

// ScriptedSMTP is an SMTP server on a loopback port that says only what
// the test's script writes, byte for byte (several replies in one write,
// replies split across writes, anything at all), and records everything
// each client sent, before and after TLS separately.
//
// The script runs once per accepted connection, on a goroutine of its own.
// ScriptedSMTP is safe for concurrent use.
type ScriptedSMTP struct {
	// Addr is the listening address, "127.0.0.1:port".
	Addr string

	ln     net.Listener
	opts   ScriptedSMTPOptions
	script func(*SMTPSession) error
	wg     sync.WaitGroup

	mu       sync.Mutex
	sessions []*SMTPSession
	done     chan struct{} // receives after each session ends
}

// StartScriptedSMTP listens on 127.0.0.1 and runs script for every
// connection. Close stops it.
func StartScriptedSMTP(script func(*SMTPSession) error, opts *ScriptedSMTPOptions) (*ScriptedSMTP, error) {
	var o ScriptedSMTPOptions
	if opts != nil {
		o = *opts
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.ImplicitTLS && o.TLS == nil {
		return nil, errors.New("mailtest: implicit TLS needs a TLS configuration")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &ScriptedSMTP{Addr: ln.Addr().String(), ln: ln, opts: o, script: script, done: make(chan struct{}, 1024)}
	s.wg.Add(1)
	goroutine.GoErr("mailtest: scripted SMTP", nil, func() error {
		for {
			c, err := ln.Accept()
			if err != nil {
				return nil
			}
			s.serve(c)
		}
	}, func(error) { s.wg.Done() })
	return s, nil
}

// ScriptedSMTPForTest starts a ScriptedSMTP that closes when t ends.
func ScriptedSMTPForTest(t testing.TB, script func(*SMTPSession) error, opts *ScriptedSMTPOptions) *ScriptedSMTP {
	t.Helper()
	s, err := StartScriptedSMTP(script, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func (s *ScriptedSMTP) serve(c net.Conn) {
	ss := &SMTPSession{srv: s, raw: c, timeout: s.opts.Timeout}
	ss.rec = &smtpRecorder{r: c, into: &ss.plain, mu: &ss.mu}
	ss.conn = c
	ss.br = bufio.NewReader(ss.rec)
	s.mu.Lock()
	s.sessions = append(s.sessions, ss)
	s.mu.Unlock()
	s.wg.Add(1)
	goroutine.GoErr("mailtest: scripted SMTP session", nil, func() error {
		defer c.Close()
		if s.opts.ImplicitTLS {
			if err := ss.handshake(); err != nil {
				return err
			}
		}
		return s.script(ss)
	}, func(err error) {
		ss.mu.Lock()
		ss.err, ss.ended = err, true
		ss.mu.Unlock()
		ss.conn.Close()
		s.done <- struct{}{}
		s.wg.Done()
	})
}

// Close stops listening, closes every connection and waits for the
// scripts to return.
func (s *ScriptedSMTP) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	for _, ss := range s.sessions {
		ss.raw.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// Sessions returns the connections accepted so far, in order.
func (s *ScriptedSMTP) Sessions() []*SMTPSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*SMTPSession(nil), s.sessions...)
}

// WaitSessions waits until n sessions have ended (their scripts returned),
// at most timeout, and returns the sessions accepted so far.
func (s *ScriptedSMTP) WaitSessions(n int, timeout time.Duration) ([]*SMTPSession, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		ended := 0
		for _, ss := range s.Sessions() {
			if ss.Ended() {
				ended++
			}
		}
		if ended >= n {
			return s.Sessions(), nil
		}
		select {
		case <-s.done:
		case <-t.C:
			return s.Sessions(), fmt.Errorf("mailtest: %d of %d SMTP sessions ended in %v", ended, n, timeout)
		}
	}
}

// SMTPSession is one client connection to a ScriptedSMTP, as its script
// sees it. Its methods other than the accessors (Plain, Secure, Ended,
// Err) belong to the script's goroutine; the accessors are safe from any.
type SMTPSession struct {
	srv     *ScriptedSMTP
	raw     net.Conn // the TCP connection
	conn    net.Conn // raw, or the TLS connection over it
	rec     *smtpRecorder
	br      *bufio.Reader
	timeout time.Duration

	mu            sync.Mutex
	plain, secure bytes.Buffer
	tls           bool
	ended         bool
	err           error
}

// smtpRecorder appends what it reads to a buffer.
type smtpRecorder struct {
	r    io.Reader
	into *bytes.Buffer
	mu   *sync.Mutex
}

func (r *smtpRecorder) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.mu.Lock()
	r.into.Write(b[:n])
	r.mu.Unlock()
	return n, err
}

// prefixConn reads first what a bufio.Reader had buffered, then from the
// connection.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// Reply writes s to the client as it is, in one write: several replies,
// part of a reply or anything else.
func (ss *SMTPSession) Reply(s string) error {
	ss.conn.SetWriteDeadline(time.Now().Add(ss.timeout))
	_, err := io.WriteString(ss.conn, s)
	return err
}

// ReadLine reads one line from the client (at most 64 KiB), without its
// line ending.
func (ss *SMTPSession) ReadLine() (string, error) {
	ss.conn.SetReadDeadline(time.Now().Add(ss.timeout))
	var line []byte
	for {
		part, more, err := ss.br.ReadLine()
		line = append(line, part...)
		if err != nil {
			return string(line), err
		}
		if len(line) > 64<<10 {
			return string(line), errors.New("mailtest: line too long")
		}
		if !more {
			return string(line), nil
		}
	}
}

// Expect reads one line and fails unless it starts with prefix (ignoring
// case).
func (ss *SMTPSession) Expect(prefix string) (string, error) {
	line, err := ss.ReadLine()
	if err != nil {
		return line, fmt.Errorf("mailtest: waiting for %q: %w", prefix, err)
	}
	if !strings.HasPrefix(strings.ToUpper(line), strings.ToUpper(prefix)) {
		return line, fmt.Errorf("mailtest: got %q, want %q", line, prefix)
	}
	return line, nil
}

// Exchange is Expect(prefix) then Reply(reply).
func (ss *SMTPSession) Exchange(prefix, reply string) error {
	if _, err := ss.Expect(prefix); err != nil {
		return err
	}
	return ss.Reply(reply)
}

// Peek waits until the client has sent n more bytes and returns them
// without consuming them: a script can wait for the client's TLS
// ClientHello, say, before it writes what the client should not read.
func (ss *SMTPSession) Peek(n int) ([]byte, error) {
	ss.conn.SetReadDeadline(time.Now().Add(ss.timeout))
	b, err := ss.br.Peek(n)
	return bytes.Clone(b), err
}

// ReadData reads the message after a 354 reply, byte for byte as sent,
// up to and including the end-of-data line ("\r\n.\r\n"), at most
// 64 MiB. Only CRLF "." CRLF ends it: a bare LF before or after the dot
// does not, as in a server that reads strictly.
func (ss *SMTPSession) ReadData() ([]byte, error) {
	var data []byte
	for {
		ss.conn.SetReadDeadline(time.Now().Add(ss.timeout))
		b, err := ss.br.ReadByte()
		if err != nil {
			return data, err
		}
		data = append(data, b)
		if len(data) > 64<<20 {
			return data, errors.New("mailtest: DATA too long")
		}
		if bytes.Equal(data, []byte(".\r\n")) || bytes.HasSuffix(data, []byte("\r\n.\r\n")) {
			return data, nil
		}
	}
}

// StartTLS runs the server side of the TLS handshake now (after the
// script wrote its "220" to STARTTLS). Plain keeps what the client sent
// before its handshake; what it sends over TLS is recorded in Secure.
func (ss *SMTPSession) StartTLS() error {
	if ss.srv.opts.TLS == nil {
		return errors.New("mailtest: StartTLS without a TLS configuration")
	}
	return ss.handshake()
}

func (ss *SMTPSession) handshake() error {
	// Bytes read ahead of the handshake (the ClientHello, after Peek) go
	// to the TLS layer first, and are not plaintext the client sent.
	pending, _ := ss.br.Peek(ss.br.Buffered())
	ss.mu.Lock()
	if !ss.tls {
		ss.plain.Truncate(ss.plain.Len() - len(pending))
	}
	ss.mu.Unlock()
	under := &prefixConn{Conn: ss.raw, r: io.MultiReader(bytes.NewReader(bytes.Clone(pending)), ss.raw)}
	tc := tls.Server(under, ss.srv.opts.TLS)
	tc.SetDeadline(time.Now().Add(ss.timeout))
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("mailtest: TLS handshake: %w", err)
	}
	tc.SetDeadline(time.Time{})
	ss.mu.Lock()
	ss.tls = true
	ss.mu.Unlock()
	ss.conn = tc
	ss.rec = &smtpRecorder{r: tc, into: &ss.secure, mu: &ss.mu}
	ss.br = bufio.NewReader(ss.rec)
	return nil
}

// Close closes the connection.
func (ss *SMTPSession) Close() error { return ss.conn.Close() }

// Plain returns what the client sent before TLS (everything, on a
// connection without TLS).
func (ss *SMTPSession) Plain() []byte {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return bytes.Clone(ss.plain.Bytes())
}

// Secure returns what the client sent after the TLS handshake, decrypted.
func (ss *SMTPSession) Secure() []byte {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return bytes.Clone(ss.secure.Bytes())
}

// TLS reports whether the session completed a TLS handshake.
func (ss *SMTPSession) TLS() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.tls
}

// Ended reports whether the script has returned.
func (ss *SMTPSession) Ended() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.ended
}

// Err returns the script's error once it has returned.
func (ss *SMTPSession) Err() error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.err
}
