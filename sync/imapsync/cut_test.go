package imapsync

import (
	"context"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// cutProxy forwards TCP to target and, while armed, cuts each connection
// after it has carried limit bytes from the server.
type cutProxy struct {
	ln     net.Listener
	target string
	limit  atomic.Int64 // 0: never cut
	cuts   atomic.Int32
	wg     sync.WaitGroup
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() { ln.Close() })
	return p
}

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *cutProxy) handle(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	go io.Copy(s, c)
	limit := p.limit.Load()
	if limit == 0 {
		io.Copy(c, s)
		return
	}
	io.CopyN(c, s, limit)
	p.cuts.Add(1)
}

func (p *cutProxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// TestSyncCutMidFetchResumes cuts the connection in the middle of the
// initial header FETCH, again and again: every pass keeps what it stored,
// the next one fetches only the rest, and the store ends up complete.
// In-process only: the link is under test, not the server, and the cut
// points are byte counts of that server's replies.
func TestSyncCutMidFetchResumes(t *testing.T) {
	seed := mailtest.DemoSeed(time.Now())
	f := newFixture(t, profileInproc, seed)
	proxy := newCutProxy(t, f.srv.IMAPAddr)
	acct := f.acct.Clone()
	acct.IMAP.Port = proxy.port()
	acct.PinnedCerts = map[string]string{"127.0.0.1:" + strconv.Itoa(proxy.port()): f.srv.CertSHA256}
	f.opts.BatchSize = 50
	f.opts.BodiesPerPass = -1
	ctx := context.Background()

	proxy.limit.Store(60_000) // a few batches' worth of headers
	var fetched []int
	for attempt := 0; attempt < 30; attempt++ {
		rep, err := New(f.st, acct, f.opts).SyncOnce(ctx)
		n := 0
		if rep != nil {
			for _, fr := range rep.Folders {
				n += fr.New
			}
		}
		if err == nil {
			fetched = append(fetched, n)
			break
		}
		inbox, _ := f.st.MailboxByRole(ctx, acct.ID, store.RoleInbox)
		stored, _ := f.st.CountMessages(ctx, inbox.ID)
		fetched = append(fetched, stored)
		if stored >= 150 {
			proxy.limit.Store(0) // enough cuts: let it finish
		}
	}
	if proxy.cuts.Load() < 2 {
		t.Fatalf("the proxy cut %d connections; the test did not test", proxy.cuts.Load())
	}
	// Complete and exact.
	want := seedCounts(seed)
	for name, n := range want {
		mb, err := f.st.MailboxByName(ctx, acct.ID, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, _ := f.st.CountMessages(ctx, mb.ID); got != n {
			t.Errorf("%s: %d stored, %d seeded", name, got, n)
		}
	}
	// Nothing was fetched twice: a final pass finds nothing new.
	rep, err := New(f.st, acct, f.opts).SyncOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, fr := range rep.Folders {
		if fr.New != 0 {
			t.Errorf("%s: %d fetched again", fr.Name, fr.New)
		}
	}
	t.Logf("cuts: %d; stored after each attempt: %v", proxy.cuts.Load(), fetched)
}

// TestSyncRunSurvivesCuts runs the engine in the background through a
// proxy that cuts connections: it goes offline, reconnects with backoff and
// ends up idle with everything stored. In-process only, as
// TestSyncCutMidFetchResumes.
func TestSyncRunSurvivesCuts(t *testing.T) {
	seed := mailtest.DemoSeed(time.Now())
	f := newFixture(t, profileInproc, seed)
	proxy := newCutProxy(t, f.srv.IMAPAddr)
	acct := f.acct.Clone()
	acct.IMAP.Port = proxy.port()
	acct.PinnedCerts = map[string]string{"127.0.0.1:" + strconv.Itoa(proxy.port()): f.srv.CertSHA256}
	f.opts.BatchSize = 50
	f.opts.BodiesPerPass = -1
	f.opts.MaxBackoff = 200 * time.Millisecond
	var offline atomic.Int32
	f.opts.OnStatus = func(s Status) {
		if s.State == StateOffline {
			if offline.Add(1) >= 3 {
				proxy.limit.Store(0)
			}
		}
	}
	proxy.limit.Store(40_000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := New(f.st, acct, f.opts)
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	waitFor(t, "idle after the cuts", func() bool { return e.Status().State == StateIdle })
	if offline.Load() < 3 {
		t.Fatalf("went offline %d times", offline.Load())
	}
	inbox, _ := f.st.MailboxByRole(ctx, acct.ID, store.RoleInbox)
	if got := seedCounts(seed)["INBOX"]; inbox.Total != got {
		t.Fatalf("INBOX %d stored, %d seeded", inbox.Total, got)
	}
	cancel()
	<-done
}
