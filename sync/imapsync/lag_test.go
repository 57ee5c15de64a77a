package imapsync

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
)

// lagRelay forwards TCP between the engine and target as a link whose
// receiver lags behind its sender does: from the first body literal
// ("BODY[] {") of a connection on, the server's bytes reach the engine
// only when the reply to a command the engine sent is complete (its tagged
// status line has arrived). When the server's side breaks, what the relay
// still holds is lost, as the bytes in flight are when a TCP connection is
// reset, and the engine's side is reset too.
//
// It is the slowest receiver possible, and so it makes a case that
// otherwise needs a loaded machine happen every time.
type lagRelay struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup
}

func newLagRelay(t *testing.T, target string) *lagRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &lagRelay{ln: ln, target: target}
	r.wg.Add(1)
	go r.accept()
	t.Cleanup(func() {
		ln.Close()
		r.wg.Wait()
	})
	return r
}

func (r *lagRelay) port() int { return r.ln.Addr().(*net.TCPAddr).Port }

func (r *lagRelay) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", r.target)
		if err != nil {
			c.Close()
			continue
		}
		var tags tagSet
		r.wg.Add(2)
		go func() {
			defer r.wg.Done()
			tags.copy(up, c)
			up.(*net.TCPConn).CloseWrite()
		}()
		go func() {
			defer r.wg.Done()
			lagCopy(c, up, &tags)
		}()
	}
}

// tagSet is the tags of the commands the engine sent on one connection.
type tagSet struct {
	mu   sync.Mutex
	tags map[string]bool
}

// copy copies the engine's commands to dst, noting the tag that begins
// each line.
func (ts *tagSet) copy(dst io.Writer, src io.Reader) {
	var line []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		for _, b := range buf[:n] {
			line = append(line, b)
			if b == '\n' {
				if tag, _, ok := bytes.Cut(line, []byte(" ")); ok && len(tag) > 1 && tag[0] == 'T' {
					if _, aerr := strconv.Atoi(string(tag[1:])); aerr == nil {
						ts.mu.Lock()
						if ts.tags == nil {
							ts.tags = map[string]bool{}
						}
						ts.tags[string(tag)] = true
						ts.mu.Unlock()
					}
				}
				line = line[:0]
			}
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// completeUpTo returns how much of held ends with the last tagged status
// line of a command in ts, 0 if none is complete.
func (ts *tagSet) completeUpTo(held []byte) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	end := 0
	for start := 0; start < len(held); {
		i := bytes.IndexByte(held[start:], '\n')
		if i < 0 {
			break
		}
		line := held[start : start+i+1]
		if tag, _, ok := bytes.Cut(line, []byte(" ")); ok && ts.tags[string(tag)] {
			end = start + i + 1
		}
		start += i + 1
	}
	return end
}

// lagCopy copies the server's bytes from up to c, holding them from the
// first body literal on until a reply is complete; see lagRelay.
func lagCopy(c, up net.Conn, tags *tagSet) {
	pattern := []byte("BODY[] {")
	var held, tail []byte // tail: the last bytes forwarded, to find the pattern across reads
	lagging := false
	buf := make([]byte, 64<<10)
	for {
		n, err := up.Read(buf)
		if lagging {
			held = append(held, buf[:n]...)
		} else {
			seen := append(tail, buf[:n]...)
			if i := bytes.Index(seen, pattern); i >= 0 {
				lagging = true
				at := max(i-len(tail), 0) // the pattern's start in buf, or 0 if it began before
				if _, werr := c.Write(buf[:at]); werr != nil {
					return
				}
				held = append(held, buf[at:n]...)
			} else {
				if _, werr := c.Write(buf[:n]); werr != nil {
					return
				}
				tail = append([]byte(nil), seen[max(len(seen)-len(pattern), 0):]...)
			}
		}
		if lagging {
			if k := tags.completeUpTo(held); k > 0 {
				if _, werr := c.Write(held[:k]); werr != nil {
					return
				}
				held = append([]byte(nil), held[k:]...)
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				c.Write(held)
				c.Close()
				return
			}
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
			return
		}
	}
}
