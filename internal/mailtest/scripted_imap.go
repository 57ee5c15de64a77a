package mailtest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ternmail/tern/internal/goroutine"
)

// ScriptStep is one exchange of a scripted IMAP server: when the client's
// next command (without its tag) matches Expect, the server writes Reply,
// with every "{tag}" replaced by the command's tag, in one write, then
// calls Stream, if set, to write more.
type ScriptStep struct {
	// Expect is a regular expression, matched case-insensitively against
	// the command line without its tag and CRLF ("LOGIN ...", "UID FETCH
	// 1:* (...)").
	Expect string
	// Reply is written byte for byte, after "{tag}" is replaced; several
	// responses go out in one TCP write.
	Reply string
	// Stream, when not nil, writes after Reply (a huge literal, a line
	// without end, a flood), given the command's tag; its error ends the
	// connection.
	Stream func(w io.Writer, tag string) error
	// StartTLS upgrades the connection to TLS (with the server's TLSConfig)
	// after Reply is written, as a STARTTLS command's OK does.
	StartTLS bool
	// Close ends the connection after the reply.
	Close bool
}

// ScriptedIMAPOptions configures StartScriptedIMAP.
type ScriptedIMAPOptions struct {
	// Greeting is written when a client connects; default
	// "* OK [CAPABILITY IMAP4rev1] scripted\r\n".
	Greeting string
	// Steps are played in order, each once, on every connection.
	Steps []ScriptStep
	// Any are tried, in order, for a command that does not match the next
	// step; each may match any number of times. A command matching neither
	// gets "{tag} BAD unexpected command" and is recorded as unexpected.
	Any []ScriptStep
	// TLSConfig is the server's TLS configuration: for implicit TLS from
	// the first byte when ImplicitTLS, and for StartTLS steps.
	TLSConfig   *tls.Config
	ImplicitTLS bool
}

// ScriptedCommand is one command a client sent to a scripted server.
type ScriptedCommand struct {
	Tag  string
	Line string // the command without its tag, with any literals inline
	TLS  bool   // whether it arrived over TLS
}

// ScriptedIMAP is a loopback IMAP server whose every reply is scripted. Its
// methods are safe for concurrent use; what it records is complete for a
// connection once the client has closed it or the script ended it.
type ScriptedIMAP struct {
	opts ScriptedIMAPOptions
	ln   net.Listener

	mu         sync.Mutex
	commands   []ScriptedCommand
	plain      bytes.Buffer // everything received before TLS
	unexpected []string
	conns      []net.Conn
	wg         sync.WaitGroup
	closed     bool
}

// StartScriptedIMAP starts a scripted IMAP server on a random loopback port.
// Call Close when done, or use ScriptedIMAPForTest.
func StartScriptedIMAP(opts ScriptedIMAPOptions) (*ScriptedIMAP, error) {
	if opts.Greeting == "" {
		opts.Greeting = "* OK [CAPABILITY IMAP4rev1] scripted\r\n"
	}
	if opts.ImplicitTLS && opts.TLSConfig == nil {
		return nil, errors.New("mailtest: implicit TLS needs a TLSConfig")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &ScriptedIMAP{opts: opts, ln: ln}
	s.wg.Add(1)
	goroutine.Go("mailtest: scripted IMAP accept", nil, s.accept)
	return s, nil
}

// ScriptedIMAPForTest starts a scripted IMAP server that is closed when t
// ends.
func ScriptedIMAPForTest(t testing.TB, opts ScriptedIMAPOptions) *ScriptedIMAP {
	t.Helper()
	s, err := StartScriptedIMAP(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Addr returns the server's host:port.
func (s *ScriptedIMAP) Addr() string { return s.ln.Addr().String() }

// Port returns the server's port.
func (s *ScriptedIMAP) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Commands returns the commands received so far, on all connections.
func (s *ScriptedIMAP) Commands() []ScriptedCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ScriptedCommand(nil), s.commands...)
}

// Plaintext returns every byte received outside TLS, on all connections.
func (s *ScriptedIMAP) Plaintext() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.plain.Bytes())
}

// Unexpected returns the commands that matched no step.
func (s *ScriptedIMAP) Unexpected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.unexpected...)
}

// DropConns closes every open connection (the server keeps listening).
func (s *ScriptedIMAP) DropConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
}

// Close stops the server, closes its connections and waits for them.
func (s *ScriptedIMAP) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	err := s.ln.Close()
	s.DropConns()
	s.wg.Wait()
	return err
}

func (s *ScriptedIMAP) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns = append(s.conns, c)
		s.wg.Add(1)
		s.mu.Unlock()
		goroutine.Go("mailtest: scripted IMAP conn", nil, func() {
			defer s.wg.Done()
			defer c.Close()
			s.serve(c)
		})
	}
}

// recorder records what the client sends before TLS.
type recorder struct {
	net.Conn
	s   *ScriptedIMAP
	tls bool
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if n > 0 && !r.tls {
		r.s.mu.Lock()
		r.s.plain.Write(p[:n])
		r.s.mu.Unlock()
	}
	return n, err
}

var literalRE = regexp.MustCompile(`\{(\d+)(\+?)\}$`)

func (s *ScriptedIMAP) serve(raw net.Conn) {
	rec := &recorder{Conn: raw, s: s}
	var c net.Conn = rec
	if s.opts.ImplicitTLS {
		rec.tls = true
		tc := tls.Server(rec, s.opts.TLSConfig)
		if tc.Handshake() != nil {
			return
		}
		c = tc
	}
	br := bufio.NewReader(c)
	if _, err := io.WriteString(c, s.opts.Greeting); err != nil {
		return
	}
	steps := make([]*regexp.Regexp, len(s.opts.Steps))
	for i, st := range s.opts.Steps {
		steps[i] = regexp.MustCompile("(?is)" + st.Expect)
	}
	anys := make([]*regexp.Regexp, len(s.opts.Any))
	for i, st := range s.opts.Any {
		anys[i] = regexp.MustCompile("(?is)" + st.Expect)
	}
	next := 0
	for {
		line, err := readCommand(br, c)
		if err != nil {
			return
		}
		tag, cmd, _ := strings.Cut(line, " ")
		s.mu.Lock()
		s.commands = append(s.commands, ScriptedCommand{Tag: tag, Line: cmd, TLS: rec.tls})
		s.mu.Unlock()
		var step *ScriptStep
		if next < len(steps) && steps[next].MatchString(cmd) {
			step = &s.opts.Steps[next]
			next++
		} else {
			for i, re := range anys {
				if re.MatchString(cmd) {
					step = &s.opts.Any[i]
					break
				}
			}
		}
		if step == nil {
			s.mu.Lock()
			s.unexpected = append(s.unexpected, cmd)
			s.mu.Unlock()
			if _, err := io.WriteString(c, tag+" BAD unexpected command\r\n"); err != nil {
				return
			}
			continue
		}
		if _, err := io.WriteString(c, strings.ReplaceAll(step.Reply, "{tag}", tag)); err != nil {
			return
		}
		if step.Stream != nil {
			if step.Stream(c, tag) != nil {
				return
			}
		}
		if step.StartTLS {
			if s.opts.TLSConfig == nil {
				return
			}
			// What the client sent after STARTTLS and before its
			// handshake would be read as TLS, and fail it.
			if br.Buffered() > 0 {
				return
			}
			rec.tls = true
			tc := tls.Server(rec, s.opts.TLSConfig)
			if tc.Handshake() != nil {
				return
			}
			c = tc
			br = bufio.NewReader(c)
		}
		if step.Close {
			return
		}
	}
}

// readCommand reads one command line, with its literals inline (a
// synchronizing literal gets its continuation request).
func readCommand(br *bufio.Reader, w io.Writer) (string, error) {
	var sb strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		sb.WriteString(line)
		m := literalRE.FindStringSubmatch(line)
		if m == nil {
			return sb.String(), nil
		}
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 64<<20 {
			return "", fmt.Errorf("mailtest: client literal of %s bytes", m[1])
		}
		if m[2] == "" {
			if _, err := io.WriteString(w, "+ go on\r\n"); err != nil {
				return "", err
			}
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(br, buf); err != nil {
			return "", err
		}
		sb.WriteString("\r\n")
		sb.Write(buf)
	}
}
