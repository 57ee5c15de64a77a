package mailtest

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lineServer is a TCP server that answers each line it reads with
// reply(line), and reports each connection's received bytes when it ends.
type lineServer struct {
	ln       net.Listener
	received chan string
}

func startLineServer(t *testing.T, reply func(line string) string) *lineServer {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &lineServer{ln: ln, received: make(chan string, 16)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var got strings.Builder
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					got.WriteString(line)
					if err != nil {
						s.received <- got.String()
						return
					}
					if r := reply(line); r != "" {
						c.Write([]byte(r))
					}
				}
			}()
		}
	}()
	return s
}

func (s *lineServer) addr() string { return s.ln.Addr().String() }

func dialProxy(t *testing.T, p *FaultProxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func waitFired(t *testing.T, tr *Trigger) {
	t.Helper()
	select {
	case <-tr.Fired():
	case <-time.After(10 * time.Second):
		t.Fatal("the fault did not fire")
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestFaultProxyDropAtPattern cuts the server's reply a given number of
// bytes after a pattern: the client gets exactly that prefix, then EOF.
func TestFaultProxyDropAtPattern(t *testing.T) {
	srv := startLineServer(t, func(string) string { return "* 1 FETCH (BODY[] {10}\r\n0123456789)\r\nA1 OK done\r\n" })
	p := FaultProxyForTest(t, srv.addr())
	tr := p.Arm(Fault{Dir: ToClient, Pattern: "BODY[] {10}\r\n", After: 4, Action: FaultDrop})
	c := dialProxy(t, p)
	c.Write([]byte("A1 UID FETCH 1 BODY[]\r\n"))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "* 1 FETCH (BODY[] {10}\r\n0123" {
		t.Fatalf("client got %q", got)
	}
	waitFired(t, tr)
	// One shot: the next connection is left alone.
	c2 := dialProxy(t, p)
	c2.Write([]byte("A2 NOOP\r\n"))
	line, err := bufio.NewReader(c2).ReadString(')')
	if err != nil || !strings.HasSuffix(line, "0123456789)") {
		t.Fatalf("second connection: %q, %v", line, err)
	}
	if p.Forwarded() != 2 {
		t.Fatalf("forwarded %d connections", p.Forwarded())
	}
}

// TestFaultProxyResetAfterBytes resets a connection after a byte count
// in the client's direction: the server gets the prefix, the client a
// reset.
func TestFaultProxyResetAfterBytes(t *testing.T) {
	srv := startLineServer(t, func(string) string { return "" })
	p := FaultProxyForTest(t, srv.addr())
	tr := p.Arm(Fault{Dir: ToServer, After: 5, Action: FaultReset})
	c := dialProxy(t, p)
	c.Write([]byte("hello world\r\n"))
	_, err := io.ReadAll(c)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("client read: %v, want a reset", err)
	}
	waitFired(t, tr)
	if got := <-srv.received; got != "hello" {
		t.Fatalf("server got %q", got)
	}
}

// TestFaultProxyTruncate ends the client's stream in the middle of a
// line; the server's answer to what came before still reaches the
// client.
func TestFaultProxyTruncate(t *testing.T) {
	srv := startLineServer(t, func(line string) string { return "ok " + line })
	p := FaultProxyForTest(t, srv.addr())
	p.Arm(Fault{Dir: ToServer, Pattern: "DATA\r\n", After: 3, Action: FaultTruncate})
	c := dialProxy(t, p)
	c.Write([]byte("DATA\r\nSubject: x\r\n"))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "ok DATA\r\n" {
		t.Fatalf("client got %q", got)
	}
	if got := <-srv.received; got != "DATA\r\nSub" {
		t.Fatalf("server got %q", got)
	}
}

// TestFaultProxyStallAndRelease stalls at a pattern split across two
// writes; after Release everything arrives in order.
func TestFaultProxyStallAndRelease(t *testing.T) {
	srv := startLineServer(t, func(line string) string { return line })
	p := FaultProxyForTest(t, srv.addr())
	tr := p.Arm(Fault{Dir: ToClient, Pattern: "IDLE", Action: FaultStall})
	mark := p.Arm(Fault{Dir: ToClient, Pattern: "one", Action: FaultMark})
	c := dialProxy(t, p)
	br := bufio.NewReader(c)
	c.Write([]byte("one ID"))
	c.Write([]byte("LE two\r\n"))
	waitFired(t, tr)
	waitFired(t, mark)
	c.Write([]byte("three\r\n"))
	tr.Release()
	for _, want := range []string{"one IDLE two\r\n", "three\r\n"} {
		line, err := br.ReadString('\n')
		if err != nil || line != want {
			t.Fatalf("got %q, %v; want %q", line, err, want)
		}
	}
}

// TestFaultProxyBlackhole holds all traffic and new connections; Release
// lets them through, ReleaseCut resets what was open.
func TestFaultProxyBlackhole(t *testing.T) {
	srv := startLineServer(t, func(line string) string { return line })
	p := FaultProxyForTest(t, srv.addr())
	ctx := testCtx(t)
	c1 := dialProxy(t, p)
	br1 := bufio.NewReader(c1)
	c1.Write([]byte("before\r\n"))
	if l, err := br1.ReadString('\n'); err != nil || l != "before\r\n" {
		t.Fatalf("%q %v", l, err)
	}

	p.Blackhole()
	c1.Write([]byte("during\r\n"))
	c2 := dialProxy(t, p)
	if err := p.WaitUntil(ctx, func() bool { return p.Accepted() == 2 }); err != nil {
		t.Fatal(err)
	}
	if p.Forwarded() != 1 {
		t.Fatalf("a connection reached the server through the black hole: %d", p.Forwarded())
	}
	p.Release()
	if l, err := br1.ReadString('\n'); err != nil || l != "during\r\n" {
		t.Fatalf("after release: %q %v", l, err)
	}
	if err := p.WaitUntil(ctx, func() bool { return p.Forwarded() == 2 }); err != nil {
		t.Fatal(err)
	}

	p.Blackhole()
	p.ReleaseCut()
	for _, c := range []net.Conn{c1, c2} {
		if _, err := io.ReadAll(c); !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("after ReleaseCut: %v, want a reset", err)
		}
	}
	c3 := dialProxy(t, p)
	c3.Write([]byte("after\r\n"))
	if l, err := bufio.NewReader(c3).ReadString('\n'); err != nil || l != "after\r\n" {
		t.Fatalf("new connection after ReleaseCut: %q %v", l, err)
	}
}

// TestFaultProxyDown refuses connections while down and counts them.
func TestFaultProxyDown(t *testing.T) {
	srv := startLineServer(t, func(line string) string { return line })
	p := FaultProxyForTest(t, srv.addr())
	c1 := dialProxy(t, p)
	if err := p.WaitUntil(testCtx(t), func() bool { return p.Forwarded() == 1 }); err != nil {
		t.Fatal(err)
	}
	p.SetDown(true)
	if n := p.CutAll(FaultDrop); n != 1 {
		t.Fatalf("cut %d connections", n)
	}
	if _, err := io.ReadAll(c1); err != nil {
		t.Fatalf("a dropped connection: %v, want EOF", err)
	}
	// The reset may come before the dial returns, or at the first read.
	c2, err := net.Dial("tcp", p.Addr())
	if err == nil {
		_, err = io.ReadAll(c2)
		c2.Close()
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("while down: %v, want a reset", err)
	}
	if p.Refused() != 1 {
		t.Fatalf("refused %d", p.Refused())
	}
	p.SetDown(false)
	c3 := dialProxy(t, p)
	c3.Write([]byte("up\r\n"))
	if l, err := bufio.NewReader(c3).ReadString('\n'); err != nil || l != "up\r\n" {
		t.Fatalf("up again: %q %v", l, err)
	}
	if err := p.WaitUntil(testCtx(t), func() bool { return p.Open() == 1 }); err != nil {
		t.Fatalf("open connections: %d", p.Open())
	}
}

// TestRealRestartDovecot restarts Dovecot under a connected client: the
// connection ends, a new one logs in and finds the mail delivered before.
func TestRealRestartDovecot(t *testing.T) {
	r := RealForTest(t)
	user := r.Users[0]
	if err := r.Deliver(user.Name, []byte("Subject: before\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", r.IMAPAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := r.RestartDovecot(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(c); err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("the old connection: %v", err)
	}
	if err := r.Deliver(user.Name, []byte("Subject: after\r\n\r\nhi\r\n")); err != nil {
		t.Fatalf("delivery after the restart: %v", err)
	}
}

// TestFaultProxyStallDelay stalls for a set time, after which everything
// flows on by itself.
func TestFaultProxyStallDelay(t *testing.T) {
	srv := startLineServer(t, func(line string) string { return line })
	p := FaultProxyForTest(t, srv.addr())
	tr := p.Arm(Fault{Dir: ToServer, After: 2, Action: FaultStall, Delay: 20 * time.Millisecond})
	c := dialProxy(t, p)
	c.Write([]byte("delayed\r\n"))
	if l, err := bufio.NewReader(c).ReadString('\n'); err != nil || l != "delayed\r\n" {
		t.Fatalf("%q %v", l, err)
	}
	waitFired(t, tr)
}
