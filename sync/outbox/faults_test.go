package outbox

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
)

// The fault tests send through real Postfix behind a mailtest.FaultProxy
// that breaks the submission connection at chosen points. Submission runs
// over STARTTLS, so the faults are placed by byte counts: a message of a
// few MB is nearly all of what the client sends, and a point in its middle
// is in the middle of DATA.

// faultSender is a Worker that sends as alice through a FaultProxy in
// front of r's submission port.
type faultSender struct {
	r     *mailtest.Real
	proxy *mailtest.FaultProxy
	db    *store.DB
	w     *Worker
	// changed is signalled at each change of an outbox message.
	changed chan struct{}
	// uncertain counts the messages found uncertain.
	uncertain int
}

func newFaultSender(t *testing.T, configure func(*Options)) *faultSender {
	t.Helper()
	r := mailtest.RealForTest(t)
	proxy := mailtest.FaultProxyForTest(t, r.SubmissionAddr)
	host, _, _ := net.SplitHostPort(r.SubmissionAddr)
	acct := accounts.Account{ID: "acct", Email: "alice@example.test",
		SMTP: accounts.Endpoint{Host: host, Port: proxy.Port(), Security: accounts.SecuritySTARTTLS, Username: "alice@example.test"}}
	if err := acct.TrustCert(host, proxy.Port(), r.CertSHA256); err != nil {
		t.Fatal(err)
	}
	o := testOptions(acct)
	o.Password = func(context.Context, string) (string, error) { return "alice-secret", nil }
	o.CommandTimeout = 20 * time.Second
	o.DataTimeout = 30 * time.Second
	o.MaxAttempts = 10
	o.Logf = t.Logf
	changed := make(chan struct{}, 1)
	o.OnChange = func(string, int64) {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	if configure != nil {
		configure(o)
	}
	db := openStore(t, "")
	w := New(db, o)
	runWorker(t, w)
	return &faultSender{r: r, proxy: proxy, db: db, w: w, changed: changed}
}

// faultMail is a message of about size bytes to bob with Message-ID id.
func faultMail(id string, size int) *Message {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: fault %s\r\nMessage-ID: <%s>\r\nDate: Mon, 02 Jun 2025 10:00:00 +0200\r\n\r\n", id, id)
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "%s, line %d: text that makes the message as big as the test wants it.\r\n", id, i)
	}
	return &Message{Account: "acct", From: "alice@example.test", Rcpts: []string{"bob@example.test"},
		Raw: []byte(b.String()), Subject: "fault " + id, MessageID: id, NoUndo: true}
}

// send queues m and settles it.
func (s *faultSender) send(t *testing.T, m *Message) store.OutboxItem {
	t.Helper()
	return s.settle(t, queue(t, s.w, m).ID, m.MessageID)
}

// settle waits until message id (Message-ID msgID) is final and checks it
// was sent. An uncertain message (the connection broke after the whole
// message may have reached the server) is logged, checked not delivered
// (every fault here comes before the message's end), and sent again, as a
// user who checked would.
func (s *faultSender) settle(t *testing.T, id int64, msgID string) store.OutboxItem {
	t.Helper()
	it := s.waitItem(t, id, "the message to be final", func(it store.OutboxItem) bool { return it.Final() })
	if it.State == store.OutboxUncertain {
		t.Logf("message %s uncertain: %s", msgID, it.LastError)
		s.uncertain++
		if n := s.delivered(t, msgID); n != 0 {
			t.Fatalf("%s: uncertain and delivered %d times though the fault came before its end", msgID, n)
		}
		if _, err := s.w.Retry(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		it = s.waitItem(t, id, "the message sent again to be final", func(it store.OutboxItem) bool { return it.Final() })
	}
	if it.State != store.OutboxSent {
		t.Fatalf("%s: %s: %s", msgID, it.State, it.LastError)
	}
	return it
}

// waitItem waits until outbox message id satisfies ok, looking again at
// each change the worker reports.
func (s *faultSender) waitItem(t *testing.T, id int64, what string, ok func(store.OutboxItem) bool) store.OutboxItem {
	t.Helper()
	deadline := time.NewTimer(90 * time.Second)
	defer deadline.Stop()
	for {
		it, err := s.db.OutboxItem(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(it) {
			return it
		}
		select {
		case <-s.changed:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s: %s %s", what, it.State, it.LastError)
		}
	}
}

// bobInbox is an IMAP connection to bob's INBOX whose arrived channel is
// signalled when the server reports new messages.
type bobInbox struct {
	c       *imapclient.Client
	arrived chan struct{}
}

func (s *faultSender) bob(t *testing.T) *bobInbox {
	t.Helper()
	b := &bobInbox{arrived: make(chan struct{}, 1)}
	c, err := imapclient.DialStartTLS(s.r.IMAPAddr, &imapclient.Options{TLSConfig: s.r.TLSConfig(),
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case b.arrived <- struct{}{}:
				default:
				}
			}
		}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login("bob@example.test", "bob-secret").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	b.c = c
	return b
}

// count counts the messages with Message-ID id.
func (b *bobInbox) count(t *testing.T, id string) int {
	t.Helper()
	data, err := b.c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: "<" + id + ">"}}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return len(data.AllUIDs())
}

// await waits in IDLE until a message with Message-ID id is there.
func (b *bobInbox) await(t *testing.T, r *mailtest.Real, id string) {
	t.Helper()
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	for b.count(t, id) == 0 {
		idle, err := b.c.Idle()
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-b.arrived:
		case <-deadline.C:
			t.Fatalf("%s never arrived; Postfix log:\n%s", id, r.LogTail(30))
		}
		if err := idle.Close(); err != nil {
			t.Fatal(err)
		}
		if err := idle.Wait(); err != nil {
			t.Fatal(err)
		}
	}
}

// delivered counts the messages with Message-ID id in bob's INBOX now.
func (s *faultSender) delivered(t *testing.T, id string) int {
	t.Helper()
	return s.bob(t).count(t, id)
}

// assertDeliveredOnce checks that each of ids reached bob exactly once:
// it waits for them, then sends a last message straight to Postfix
// (not through the proxy) and waits for that one, so that a second copy
// of any, queued before it, has had its turn to arrive.
func (s *faultSender) assertDeliveredOnce(t *testing.T, ids ...string) {
	t.Helper()
	bob := s.bob(t)
	sentinel := fmt.Sprintf("sentinel-%d@example.test", time.Now().UnixNano())
	m := faultMail(sentinel, 500)
	if err := s.r.Submit(mailtest.RealUser{Name: "alice@example.test", Password: "alice-secret"}, m.From, m.Rcpts, m.Raw); err != nil {
		t.Fatal(err)
	}
	for _, id := range append([]string{sentinel}, ids...) {
		bob.await(t, s.r, id)
	}
	for _, id := range ids {
		if n := bob.count(t, id); n != 1 {
			t.Fatalf("%s delivered %d times", id, n)
		}
	}
	apps, err := s.db.PendingAppends(context.Background(), "acct")
	if err != nil {
		t.Fatal(err)
	}
	copies := map[int64]int{}
	for _, a := range apps {
		copies[a.OutboxID]++
	}
	if len(apps) != len(ids) || len(copies) != len(ids) {
		t.Fatalf("%d Sent copies pending for %d messages: %+v", len(apps), len(ids), apps)
	}
}

// TestFaultMidData breaks the connection in the middle of DATA, by each
// kind of fault: the message is not lost and reaches the recipient once,
// and one copy of it waits for Sent.
func TestFaultMidData(t *testing.T) {
	t.Parallel()
	s := newFaultSender(t, func(o *Options) {
		// A truncated stream leaves the client's last writes unread:
		// the write deadline ends them.
		o.CommandTimeout = 5 * time.Second
	})
	var ids []string
	for i, action := range []mailtest.FaultAction{mailtest.FaultReset, mailtest.FaultDrop, mailtest.FaultTruncate} {
		m := faultMail(fmt.Sprintf("mid-data-%d@example.test", i), 2<<20)
		tr := s.proxy.Arm(mailtest.Fault{Dir: mailtest.ToServer, After: 512 << 10, Action: action})
		it := s.send(t, m)
		if !tr.Disarm() {
			t.Fatalf("%v: the fault did not fire", action)
		}
		if it.Attempts < 2 {
			t.Fatalf("%v: sent in %d attempts: the fault cost none", action, it.Attempts)
		}
		t.Logf("%v mid-DATA: sent after %d attempts", action, it.Attempts)
		ids = append(ids, m.MessageID)
	}
	s.assertDeliveredOnce(t, ids...)
}

// TestFaultServerDown queues a message while the submission server
// refuses connections, then lets it back: the message is retried by
// itself and delivered once.
func TestFaultServerDown(t *testing.T) {
	t.Parallel()
	s := newFaultSender(t, nil)
	s.proxy.SetDown(true)
	m := faultMail("while-down@example.test", 2000)
	it := queue(t, s.w, m)
	cur := s.waitItem(t, it.ID, "two failed attempts", func(it store.OutboxItem) bool { return it.Attempts >= 2 })
	if cur.State != store.OutboxQueued || cur.LastError == "" {
		t.Fatalf("while the server is down: %s %q", cur.State, cur.LastError)
	}
	t.Logf("while down: %s", cur.LastError)
	s.proxy.SetDown(false)
	s.settle(t, it.ID, m.MessageID)
	s.assertDeliveredOnce(t, m.MessageID)
}

// TestFaultBlackholeMidData takes the network away in the middle of DATA:
// the write deadline ends the attempt instead of hanging, and once the
// network is back the message is sent, once.
func TestFaultBlackholeMidData(t *testing.T) {
	t.Parallel()
	s := newFaultSender(t, func(o *Options) {
		o.CommandTimeout = 3 * time.Second
		o.DataTimeout = 3 * time.Second
	})
	m := faultMail("blackhole@example.test", 2<<20)
	stall := s.proxy.Arm(mailtest.Fault{Dir: mailtest.ToServer, After: 512 << 10, Action: mailtest.FaultMark})
	it := queue(t, s.w, m)
	select {
	case <-stall.Fired():
	case <-time.After(60 * time.Second):
		t.Fatal("DATA never reached the middle")
	}
	s.proxy.Blackhole()
	// The attempt ends (queued again, or uncertain) while the network is
	// still gone.
	cur := s.waitItem(t, it.ID, "the attempt to end during the outage", func(it store.OutboxItem) bool { return it.Attempts >= 1 })
	t.Logf("during the outage: %s: %s", cur.State, cur.LastError)
	s.proxy.ReleaseCut()
	s.settle(t, it.ID, m.MessageID)
	s.assertDeliveredOnce(t, m.MessageID)
}
