package outbox

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/store"
)

// TestHelperProcess is the child of the kill tests: it opens the store,
// queues one message and sends it until the parent kills it.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv("TERN_OUTBOX_HELPER")
	if mode == "" {
		t.Skip("helper process only")
	}
	dbPath := os.Getenv("TERN_OUTBOX_DB")
	db, err := store.Open(dbPath)
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	o := testOptions(testAccount(os.Getenv("TERN_OUTBOX_SMTP"), accounts.SecurityNone))
	o.LockPath = filepath.Join(filepath.Dir(dbPath), "outbox.lock")
	o.CommandTimeout = time.Minute
	o.DataTimeout = time.Minute
	if mode == "after250" {
		d := &net.Dialer{}
		o.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &spyConn{Conn: c}, nil
		}
	}
	w := New(db, o)
	m := testMessage("bob@example.com")
	m.MessageID = "kill@example.com"
	it, err := w.Queue(context.Background(), m)
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Println("QUEUED", it.ID)
	w.Run(context.Background())
	os.Exit(0)
}

// spyConn stops the client for good once the server's reply to the final
// "." arrives, before Tern can record it, and tells the parent.
type spyConn struct {
	net.Conn
	tail []byte
	dot  atomic.Bool
}

func (c *spyConn) Write(b []byte) (int, error) {
	c.tail = append(c.tail, b...)
	if len(c.tail) > 5 {
		c.tail = c.tail[len(c.tail)-5:]
	}
	if bytes.Equal(c.tail, []byte("\r\n.\r\n")) {
		c.dot.Store(true)
	}
	return c.Conn.Write(b)
}

func (c *spyConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if c.dot.Load() && bytes.Contains(b[:n], []byte("250")) {
		fmt.Println("GOT250")
		select {}
	}
	return n, err
}

// child runs the helper process in mode and returns it with its stdout
// lines.
func child(t *testing.T, mode, dbPath, smtpAddr string) (*exec.Cmd, chan string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "TERN_OUTBOX_HELPER="+mode, "TERN_OUTBOX_DB="+dbPath, "TERN_OUTBOX_SMTP="+smtpAddr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, lines
}

func expectLine(t *testing.T, lines chan string, prefix string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("child exited before %q", prefix)
			}
			if strings.HasPrefix(l, "ERROR") {
				t.Fatal(l)
			}
			if strings.HasPrefix(l, prefix) {
				return
			}
		case <-timeout:
			t.Fatalf("no %q from the child", prefix)
		}
	}
}

func kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()
}

// restart opens the store again and runs a worker against f, as Tern does
// when it starts.
func restart(t *testing.T, dbPath string, f *fakeServer) (*store.DB, *Worker, store.OutboxItem) {
	t.Helper()
	db := openStore(t, dbPath)
	o := testOptions(testAccount(f.addr, accounts.SecurityNone))
	o.LockPath = filepath.Join(filepath.Dir(dbPath), "outbox.lock")
	w := New(db, o)
	runWorker(t, w)
	list, err := db.Outbox(context.Background(), "")
	if err != nil || len(list) != 1 {
		t.Fatalf("outbox after restart: %v %v", list, err)
	}
	// Let the worker recover (or send) it.
	deadline := time.Now().Add(20 * time.Second)
	for {
		it, _ := db.OutboxItem(context.Background(), list[0].ID)
		if it.Final() || time.Now().After(deadline) {
			return db, w, it
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestKillBeforeSending(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	dbPath := filepath.Join(t.TempDir(), "tern.db")
	cmd, lines := child(t, "connect", dbPath, ln.Addr().String())
	expectLine(t, lines, "QUEUED")
	select {
	case c := <-accepted: // connected, nothing said yet
		defer c.Close()
	case <-time.After(30 * time.Second):
		t.Fatal("the child never connected")
	}
	kill(t, cmd)

	f := startFake(t, &fakeServer{})
	db, _, it := restart(t, dbPath, f)
	if it.State != store.OutboxSent || len(f.got()) != 1 || len(appends(t, db)) != 1 {
		t.Fatalf("after restart: %+v, received %d", it, len(f.got()))
	}
}

func TestKillDuringData(t *testing.T) {
	inData := make(chan struct{}, 1)
	f := &fakeServer{}
	f.rawData = func(n int, c *smtp.Conn, r io.Reader) error {
		if n == 1 {
			io.ReadFull(r, make([]byte, 10))
			inData <- struct{}{}
			io.Copy(io.Discard, r) // until the client dies
			return fmt.Errorf("client vanished")
		}
		b, err := io.ReadAll(r)
		if err == nil {
			f.mu.Lock()
			f.received = append(f.received, envelope{data: b})
			f.mu.Unlock()
		}
		return err
	}
	startFake(t, f)
	dbPath := filepath.Join(t.TempDir(), "tern.db")
	cmd, lines := child(t, "data", dbPath, f.addr)
	expectLine(t, lines, "QUEUED")
	select {
	case <-inData:
	case <-time.After(30 * time.Second):
		t.Fatal("no DATA")
	}
	kill(t, cmd)

	db, w, it := restart(t, dbPath, f)
	// The attempt cut off was counted before DATA.
	if it.State != store.OutboxUncertain || it.LastError != UncertainReason || it.Attempts != 1 || len(appends(t, db)) != 0 {
		t.Fatalf("after restart: %+v", it)
	}
	if _, err := w.Retry(context.Background(), it.ID); err != nil {
		t.Fatal(err)
	}
	if it = wait(t, w, it.ID); it.State != store.OutboxSent || len(appends(t, db)) != 1 || len(f.got()) != 1 {
		t.Fatalf("after retry: %+v, received %d", it, len(f.got()))
	}
}

func TestKillAfterServerAccepted(t *testing.T) {
	f := startFake(t, &fakeServer{})
	dbPath := filepath.Join(t.TempDir(), "tern.db")
	cmd, lines := child(t, "after250", dbPath, f.addr)
	expectLine(t, lines, "QUEUED")
	expectLine(t, lines, "GOT250")
	kill(t, cmd)

	// The documented gap: the server has the message, Tern could not
	// record it, so it is uncertain and not copied to Sent.
	db, _, it := restart(t, dbPath, f)
	if it.State != store.OutboxUncertain || it.Attempts != 1 || len(f.got()) != 1 || len(appends(t, db)) != 0 {
		t.Fatalf("after restart: %+v, received %d", it, len(f.got()))
	}
}
