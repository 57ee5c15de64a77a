package imapsync

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// slowProxy forwards TCP to target, the server's bytes at about 640 KB/s;
// once stallAfter bytes (when set) have passed on a connection, it forwards
// nothing more but keeps the connection open.
type slowProxy struct {
	ln         net.Listener
	target     string
	stallAfter atomic.Int64
	stalls     atomic.Int32
}

func newSlowProxy(t *testing.T, target string) *slowProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &slowProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.handle(c)
		}
	}()
	return p
}

func (p *slowProxy) handle(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				s.Write(buf[:n])
			}
			if err != nil {
				s.Close()
				return
			}
		}
	}()
	buf := make([]byte, 16<<10)
	var sent int64
	stall := p.stallAfter.Load()
	for {
		n, err := s.Read(buf)
		if n > 0 {
			if stall > 0 && sent+int64(n) > stall {
				p.stalls.Add(1)
				s.SetReadDeadline(time.Now().Add(time.Minute)) // silent, open, until the client gives up
				c.Read(make([]byte, 1))
				return
			}
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
			sent += int64(n)
			time.Sleep(25 * time.Millisecond)
		}
		if err != nil {
			return
		}
	}
}

func (p *slowProxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// TestSyncSlowLinkBigBody fetches a 2 MB body through a link slow enough
// that the FETCH takes several times the command timeout: data keeps
// arriving, so the watchdog lets it finish. A link that stalls in the middle
// of the same FETCH is still cut by the watchdog. In-process only: the
// link is under test, not the server.
func TestSyncSlowLinkBigBody(t *testing.T) {
	var big strings.Builder
	for i := 0; big.Len() < 2<<20; i++ {
		fmt.Fprintf(&big, "line %d of a long report, over a slow link, padded to look like text.\r\n", i)
	}
	mk := func(id, subject, body string) []byte {
		return []byte("From: a@example.test\r\nTo: demo@tern.example\r\nSubject: " + subject + "\r\nMessage-ID: <" + id +
			"@x>\r\nDate: Mon, 02 Jun 2025 10:00:00 +0200\r\n\r\n" + body)
	}
	seed := []mailtest.SeedMessage{
		{Mailbox: "INBOX", Raw: mk("small1", "small one", "hi\r\n")},
		{Mailbox: "INBOX", Raw: mk("big", "the big one", big.String())},
		{Mailbox: "INBOX", Raw: mk("small2", "small two", "hello\r\n")},
	}
	f := newInprocFixture(t, &mailtest.ServerOptions{TLS: true, Seed: seed})
	proxy := newSlowProxy(t, f.srv.IMAPAddr)
	acct := f.acct.Clone()
	acct.IMAP.Port = proxy.port()
	acct.PinnedCerts = map[string]string{"127.0.0.1:" + strconv.Itoa(proxy.port()): f.srv.CertSHA256}
	f.opts.CommandTimeout = time.Second // the big FETCH takes over 3 s here
	ctx := context.Background()

	// A stall in the middle of the body FETCH: the watchdog cuts it.
	proxy.stallAfter.Store(1 << 20)
	_, stallErr := New(f.st, acct, f.opts).SyncOnce(ctx) // headers fit below the stall point
	if stallErr == nil || proxy.stalls.Load() == 0 {
		t.Fatalf("through a stalling link: %v, %d stalls", stallErr, proxy.stalls.Load())
	}
	if !errors.Is(stallErr, ErrTimeout) {
		t.Fatalf("a stall is not reported as a timeout: %v", stallErr)
	}
	inbox, err := f.st.MailboxByRole(ctx, acct.ID, store.RoleInbox)
	if err != nil {
		t.Fatal(err)
	}
	var bigMsg store.Message
	msgs, _ := f.st.Messages(ctx, inbox.ID, 0, 10)
	for _, m := range msgs {
		if m.MessageID == "big@x" {
			bigMsg = m
		}
	}
	if bigMsg.ID == 0 || bigMsg.HasBody {
		t.Fatalf("after the stall: big message %+v", bigMsg)
	}

	// Slow but flowing: the same FETCH completes.
	proxy.stallAfter.Store(0)
	start := time.Now()
	rep, err := New(f.st, acct, f.opts).SyncOnce(ctx)
	if err != nil {
		var ce *accounts.ConnectError
		t.Fatalf("slow link: %v (timeout: %v)", err, errors.As(err, &ce) && errors.Is(ce.Err, ErrTimeout))
	}
	took := time.Since(start)
	if took < f.opts.CommandTimeout {
		t.Fatalf("the sync took %v, under the command timeout: the link was not slow enough to test", took)
	}
	raw, err := f.st.Body(ctx, bigMsg.ID)
	if err != nil || len(raw) < 2<<20 {
		t.Fatalf("big body: %d bytes, %v", len(raw), err)
	}
	t.Logf("bodies %d over the slow link in %v", rep.Bodies, took)
}

// TestBodyBatchesBySize checks that body FETCH batches stay under the size
// cap, a message bigger than the cap going alone, and that the first
// batches are small and grow.
func TestBodyBatchesBySize(t *testing.T) {
	for _, c := range []struct {
		sizes []int64 // MiB
		want  string
	}{
		{[]int64{3, 3, 3, 9, 1, 1, 7, 2}, "[[1] [2 3] [4] [5 6] [7] [8]]"},
		{[]int64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, "[[1] [2 3] [4 5 6 7] [8 9 10]]"},
	} {
		byUID := map[uint32]store.Message{}
		var uids []imap.UID
		for i, sz := range c.sizes {
			u := uint32(i + 1)
			byUID[u] = store.Message{UID: u, Size: sz << 20}
			uids = append(uids, imap.UID(u))
		}
		if got := fmt.Sprint(bySize(uids, byUID, maxFetchBytes)); got != c.want {
			t.Errorf("sizes %v: batches %s, want %s", c.sizes, got, c.want)
		}
	}
}
