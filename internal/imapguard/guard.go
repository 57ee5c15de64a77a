// Package imapguard reads an IMAP server's responses ahead of go-imap's
// client: it follows IMAP's framing, drops what go-imap would choke on but
// a client must ignore, and bounds everything before it is buffered. It
// also runs STARTTLS so that it can sit above TLS. The sync engine and
// discovery's probe read every IMAP connection through it.
package imapguard

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
)

// Bounds on what a server may send, enforced by a Conn before go-imap reads
// a byte of it.
const (
	// maxLine is the longest line (the text between CRLFs or literals) of
	// a response.
	maxLine = 1 << 20
	// maxListLine is the longest line of a response that lists numbers
	// (SEARCH, SORT, THREAD, ESEARCH): a plain SEARCH of a mailbox of a
	// million messages is an 8 MB line.
	maxListLine = 64 << 20
	// maxSmallLiteral bounds every literal that is not a message body or
	// part: header sections, strings of an envelope or body structure,
	// mailbox names.
	maxSmallLiteral = 1 << 20
	// maxResponse bounds the bytes of one response apart from its body
	// literals: its lines and small literals together.
	maxResponse = 8 << 20
	// MaxNesting bounds the nesting of parentheses in a FETCH response,
	// where a body structure nests one level per MIME level (Dovecot
	// itself stops parsing MIME at 100 levels).
	MaxNesting = 256
	// guardBufSize is the guard's read buffer: memory per connection.
	guardBufSize = 64 << 10
)

// ErrBounds is beneath every refusal of a Conn (errors.Is).
var ErrBounds = errors.New("bounds")

// Error is what a Conn refused: a response beyond a bound, or framing
// that is not IMAP's.
type Error struct {
	msg string
	// Body is the announced size of a body literal refused for its size,
	// else 0.
	Body int64
}

func (e *Error) Error() string { return e.msg }
func (e *Error) Unwrap() error { return ErrBounds }

func refuse(format string, args ...any) error {
	return &Error{msg: fmt.Sprintf(format, args...)}
}

type respKind int

const (
	respPass respKind = iota // handed to go-imap
	respDrop                 // an untagged response go-imap does not know: dropped
	respHold                 // LIST, LSUB, STATUS: held whole, checked, then passed or dropped
)

// Conn sits between the network connection (above TLS) and go-imap's
// reader. It follows IMAP's framing (lines, and the literals {n}, {n+},
// ~{n} that a line announces at its end) and
//
//   - drops every untagged response go-imap does not know, which would
//     otherwise end the connection (RFC 3501 §2.2.2: a client ignores
//     what it does not understand);
//   - drops LIST and STATUS responses for a mailbox whose name does not
//     decode (modified UTF-7), recording the name (see TakeSkipped);
//   - bounds the length of a line, the nesting of a FETCH response, the
//     size of every literal (a body by bodyLimit, everything else by
//     maxSmallLiteral) and of a response, and fails the connection beyond
//     them, before anything is buffered.
//
// Read is for one goroutine (go-imap's reader); SetBodyLimit, Failure,
// NetErr and TakeSkipped are safe from any goroutine. Writes go straight
// through.
type Conn struct {
	net.Conn
	br *bufio.Reader

	out []byte // bytes ready for go-imap
	// lit is what is left of the current literal; litKind says what to do
	// with it (that of its response).
	lit int64
	// The response being read: inResp says a literal ended its last line,
	// so that the next line continues it.
	inResp  bool
	kind    respKind
	fetch   bool // a FETCH response: nesting is counted
	lineMax int
	lineLen int
	respLen int64
	depth   int
	inQuote bool
	escaped bool
	tail    []byte // the end of the current line, where a literal is announced
	held    []byte // a respHold response
	typ     string
	scratch []byte

	bodyLimit atomic.Int64

	mu      sync.Mutex
	err     error // the guard's refusal, once
	rerr    error // the network's error on read or write, once
	skipped []string
}

// New returns a Conn reading c's responses for go-imap: pass it to
// imapclient.New.
func New(c net.Conn) *Conn {
	return &Conn{Conn: c, br: bufio.NewReaderSize(c, guardBufSize)}
}

// NewAfterStartTLS is New for a connection secured by StartTLS: it hands
// go-imap a greeting first (the server's came before TLS and was
// discarded), one without capabilities, so that go-imap asks for them anew
// over TLS.
func NewAfterStartTLS(c net.Conn) *Conn {
	g := New(c)
	g.out = []byte("* OK TLS\r\n")
	return g
}

// SetBodyLimit sets the largest body literal accepted from now on: the
// RFC822.SIZE of the biggest message being fetched with slack (see
// BodyBound); 0 accepts none bigger than maxSmallLiteral.
func (g *Conn) SetBodyLimit(n int64) { g.bodyLimit.Store(n) }

// BodyBound is the body literal accepted for a message whose RFC822.SIZE
// is size: servers that store LF line ends may count them as one byte and
// send two, so twice the size, and a floor for tiny or unknown sizes.
func BodyBound(size int64) int64 {
	const unknown = 64 << 20
	if size <= 0 {
		return unknown
	}
	return 2*size + 1<<20
}

// Failure returns the guard's refusal, or nil.
func (g *Conn) Failure() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// NetErr returns the error the network returned, or nil.
func (g *Conn) NetErr() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rerr
}

// TakeSkipped returns and forgets the names of the mailboxes dropped
// because they do not decode.
func (g *Conn) TakeSkipped() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.skipped
	g.skipped = nil
	return s
}

func (g *Conn) fail(err error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err == nil {
		g.err = err
	}
	return g.err
}

// noteNet records the network's error. A closed connection is this side's
// doing (go-imap's after a response it could not read, or the engine's),
// not the network's.
func (g *Conn) noteNet(err error) {
	if err == nil || errors.Is(err, net.ErrClosed) {
		return
	}
	g.mu.Lock()
	if g.rerr == nil {
		g.rerr = err
	}
	g.mu.Unlock()
}

func (g *Conn) Write(p []byte) (int, error) {
	n, err := g.Conn.Write(p)
	g.noteNet(err)
	return n, err
}

// Read hands go-imap the server's bytes, less what the guard drops.
func (g *Conn) Read(p []byte) (int, error) {
	for len(g.out) == 0 {
		if err := g.Failure(); err != nil {
			return 0, err
		}
		if g.lit > 0 {
			switch g.kind {
			case respPass: // streamed, never buffered here
				n, err := g.br.Read(p[:min(int64(len(p)), g.lit)])
				g.lit -= int64(n)
				if err != nil {
					g.noteNet(err)
				}
				return n, err
			case respDrop:
				n, err := g.br.Discard(int(min(g.lit, guardBufSize)))
				g.lit -= int64(n)
				if err != nil {
					g.noteNet(err)
					return 0, err
				}
				continue
			case respHold: // small, checked against maxSmallLiteral
				start := len(g.held)
				g.held = append(g.held, make([]byte, g.lit)...)
				if _, err := io.ReadFull(g.br, g.held[start:]); err != nil {
					g.noteNet(err)
					return 0, err
				}
				g.lit = 0
				continue
			}
		}
		if err := g.segment(); err != nil {
			return 0, err
		}
	}
	n := copy(p, g.out)
	g.out = g.out[n:]
	return n, nil
}

// segment reads the next piece of a line: up to its LF, or a buffer full.
func (g *Conn) segment() error {
	chunk, err := g.br.ReadSlice('\n')
	complete := err == nil
	if err == bufio.ErrBufferFull {
		err = nil
	}
	if err != nil {
		g.noteNet(err)
		return err
	}
	if !g.inResp && g.lineLen == 0 {
		g.start(chunk)
	}
	g.lineLen += len(chunk)
	g.respLen += int64(len(chunk))
	if g.lineLen > g.lineMax {
		return g.fail(refuse("a line of more than %d bytes", g.lineMax))
	}
	if g.kind != respDrop && g.respLen > maxResponse {
		return g.fail(refuse("a response of more than %d bytes", maxResponse))
	}
	if g.fetch {
		if err := g.nest(chunk); err != nil {
			return err
		}
	}
	g.keepTail(chunk)
	switch g.kind {
	case respPass:
		g.out = append(g.scratch[:0], chunk...)
		g.scratch = g.out
	case respHold:
		g.held = append(g.held, chunk...)
	}
	if !complete {
		return nil
	}
	// The line ends: with a literal, or with the response.
	n, ok, err := literalAt(g.tail)
	if err != nil {
		return g.fail(err)
	}
	g.lineLen, g.inQuote, g.escaped = 0, false, false
	if !ok {
		g.endResponse()
		return nil
	}
	limit := int64(maxSmallLiteral)
	body := g.fetch && bodySection(g.tail)
	if body {
		if b := g.bodyLimit.Load(); b > limit {
			limit = b
		}
	}
	if n > limit {
		err := refuse("a literal of %d bytes where at most %d were expected", n, limit)
		if body {
			err.(*Error).Body = n
		}
		return g.fail(err)
	}
	if !body {
		g.respLen += n
		if g.kind != respDrop && g.respLen > maxResponse {
			return g.fail(refuse("a response of more than %d bytes", maxResponse))
		}
	}
	g.lit = n
	g.inResp = true
	g.tail = g.tail[:0]
	return nil
}

// start classifies the response whose first line begins with chunk.
func (g *Conn) start(chunk []byte) {
	g.kind, g.fetch, g.respLen, g.depth, g.lineMax = respPass, false, 0, 0, maxLine
	g.tail, g.held = g.tail[:0], g.held[:0]
	if len(chunk) < 2 || chunk[0] != '*' || chunk[1] != ' ' {
		return // tagged, or a continuation request
	}
	rest := chunk[2:]
	typ, rest := atom(rest)
	num := false
	if isNumber(typ) && len(rest) > 0 && rest[0] == ' ' {
		num = true
		typ, _ = atom(rest[1:])
	}
	t := string(bytes.ToUpper(typ))
	g.typ = t
	switch {
	case num && (t == "EXISTS" || t == "RECENT" || t == "EXPUNGE"):
	case num && t == "FETCH":
		g.fetch = true
	case num:
		g.kind = respDrop
	case t == "LIST" || t == "STATUS":
		g.kind = respHold
	case t == "SEARCH" || t == "SORT" || t == "THREAD" || t == "ESEARCH":
		g.lineMax = maxListLine
	case knownUntagged[t]:
	default:
		g.kind = respDrop
	}
}

// knownUntagged are the untagged responses (other than numbered ones)
// go-imap's client reads; any other ends its connection.
var knownUntagged = map[string]bool{
	"OK": true, "NO": true, "BAD": true, "BYE": true, "PREAUTH": true,
	"CAPABILITY": true, "ENABLED": true, "FLAGS": true, "ID": true, "NAMESPACE": true,
	"METADATA": true, "QUOTA": true, "QUOTAROOT": true, "MYRIGHTS": true, "ACL": true,
}

// endResponse finishes the response that just ended: a held one is
// checked and handed on or dropped.
func (g *Conn) endResponse() {
	g.inResp = false
	if g.kind == respHold {
		if name, ok := heldMailbox(g.held, g.typ); ok && !ValidMailboxName(name) {
			g.mu.Lock()
			if len(g.skipped) < 100 {
				g.skipped = append(g.skipped, name)
			}
			g.mu.Unlock()
		} else {
			g.out = append(g.scratch[:0], g.held...)
			g.scratch = g.out
		}
		g.held = g.held[:0]
	}
	g.kind, g.fetch = respPass, false
}

// nest counts the parentheses of chunk outside quoted strings.
func (g *Conn) nest(chunk []byte) error {
	for _, c := range chunk {
		switch {
		case g.escaped:
			g.escaped = false
		case g.inQuote:
			switch c {
			case '\\':
				g.escaped = true
			case '"':
				g.inQuote = false
			}
		case c == '"':
			g.inQuote = true
		case c == '(':
			if g.depth++; g.depth > MaxNesting {
				return g.fail(refuse("a FETCH response nested more than %d levels deep", MaxNesting))
			}
		case c == ')':
			g.depth--
		}
	}
	return nil
}

const tailSize = 1024

// keepTail keeps the last tailSize bytes of the current line.
func (g *Conn) keepTail(chunk []byte) {
	if len(chunk) >= tailSize {
		g.tail = append(g.tail[:0], chunk[len(chunk)-tailSize:]...)
		return
	}
	if over := len(g.tail) + len(chunk) - tailSize; over > 0 {
		g.tail = append(g.tail[:0], g.tail[over:]...)
	}
	g.tail = append(g.tail, chunk...)
}

// literalAt returns the size of the literal announced at the end of line
// ("{n}\r\n", "{n+}\r\n", "~{n}\r\n"), if any.
func literalAt(line []byte) (int64, bool, error) {
	line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
	if len(line) == 0 || line[len(line)-1] != '}' {
		return 0, false, nil
	}
	open := bytes.LastIndexByte(line, '{')
	if open < 0 {
		return 0, false, nil
	}
	digits := bytes.TrimSuffix(line[open+1:len(line)-1], []byte("+"))
	if !isNumber(digits) {
		return 0, false, nil
	}
	if len(digits) > 18 {
		return 0, false, refuse("a literal of %s bytes", digits)
	}
	n, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil {
		return 0, false, refuse("a literal of %s bytes", digits)
	}
	return n, true, nil
}

// bodySection reports whether the literal announced at the end of line
// holds a message or a part of one (BODY[], BODY[1.2], BODY[TEXT],
// BINARY[2], RFC822, RFC822.TEXT), rather than a header or a string.
func bodySection(line []byte) bool {
	line = bytes.TrimRight(line, "\r\n")
	line = line[:bytes.LastIndexByte(line, '{')]
	line = bytes.TrimSuffix(bytes.TrimRight(line, " "), []byte("~"))
	line = bytes.TrimRight(line, " ")
	up := bytes.ToUpper(line)
	if bytes.HasSuffix(up, []byte(" RFC822")) || bytes.HasSuffix(up, []byte(" RFC822.TEXT")) ||
		bytes.HasSuffix(up, []byte("(RFC822")) || bytes.HasSuffix(up, []byte("(RFC822.TEXT")) {
		return true
	}
	if i := bytes.LastIndexByte(up, '<'); i >= 0 && bytes.HasSuffix(up, []byte(">")) {
		up = up[:i] // a partial fetch's origin
	}
	if !bytes.HasSuffix(up, []byte("]")) {
		return false
	}
	open := bytes.LastIndexByte(up, '[')
	if open < 0 {
		return false
	}
	item, spec := up[:open], up[open+1:len(up)-1]
	if !bytes.HasSuffix(item, []byte("BODY")) && !bytes.HasSuffix(item, []byte("BINARY")) {
		return false
	}
	// A part number, then nothing or TEXT; HEADER, HEADER.FIELDS and MIME
	// are headers.
	for len(spec) > 0 && (spec[0] >= '0' && spec[0] <= '9' || spec[0] == '.') {
		spec = spec[1:]
	}
	return len(spec) == 0 || string(spec) == "TEXT"
}

func isNumber(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// atom returns the atom at the start of b and what follows it.
func atom(b []byte) ([]byte, []byte) {
	i := 0
	for i < len(b) {
		switch c := b[i]; {
		case c <= ' ', c >= 0x7f, c == '(', c == ')', c == '{', c == '"', c == '[', c == ']', c == '%', c == '*', c == '\\':
			return b[:i], b[i:]
		}
		i++
	}
	return b, nil
}
