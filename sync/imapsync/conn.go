package imapsync

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/goroutine"
	"github.com/ternmail/tern/internal/imapguard"
	"github.com/ternmail/tern/internal/oauthsasl"
)

// ErrTimeout means a server did not answer a command in time; the
// connection was closed. It is accounts.ErrTimeout.
var ErrTimeout = accounts.ErrTimeout

// Permanent reports whether err needs the user to act (a wrong password, an
// untrusted certificate, a missing password, an OAuth grant the provider
// no longer honours) rather than a retry.
func Permanent(err error) bool {
	var ae *accounts.AuthError
	var ce *accounts.CertError
	return errors.As(err, &ae) || errors.As(err, &ce) || errors.Is(err, accounts.ErrSecretNotFound) ||
		errors.Is(err, accounts.ErrSignInAgain) || accounts.IsKeychainUnavailable(err)
}

// conn is one logged-in IMAP connection with a watchdog. It is used by one
// goroutine at a time; the unilateral-data channels are written by
// go-imap's reader goroutine.
type conn struct {
	c *imapclient.Client
	// raw is the network connection beneath go-imap (and TLS): closing it
	// ends any read or write, where go-imap's Close also waits for its
	// reader goroutine.
	raw net.Conn
	// g is the guard beneath go-imap: what it refused, and the network's
	// own error, say what a failed command met.
	g        *imapguard.Conn
	addr     string
	timeout  time.Duration
	timedOut atomic.Bool
	// shutDown says this side closed the connection (shut).
	shutDown atomic.Bool
	// lastRead is when bytes last came from the server (Unix nanoseconds):
	// the watchdog waits for silence, not for a whole command to end, so a
	// big FETCH on a slow link is not cut while data flows.
	lastRead atomic.Int64
	selected string
	// selUIDValidity is the UIDVALIDITY of the selected mailbox.
	selUIDValidity uint32
	// selKeywords says the selected mailbox's PERMANENTFLAGS has \*: any
	// keyword may be set.
	selKeywords bool
	// selects counts the SELECTs sent, so that tests can tell a reused
	// selection from a new one.
	selects int
	// changed is signalled when the server reports new, expunged or
	// re-flagged messages in the selected mailbox (EXISTS, EXPUNGE, FETCH).
	changed chan struct{}
	// news says what changed has announced since takeNews: newsAny for
	// new or expunged messages or a flag change without a MODSEQ, else the
	// highest MODSEQ of the flag changes reported (CONDSTORE), 0 for none.
	news atomic.Uint64
	stop func() bool
	m    *meter
	// logf reports the panics of the connection's background goroutines;
	// nil reports them to the log package.
	logf func(format string, args ...any)
	// ns is the personal namespace (RFC 2342), asked once per connection
	// by personal; nsAsked says whether it was.
	ns      imap.NamespaceDescriptor
	nsAsked bool
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// newsAny is conn.news for a change that MODSEQ cannot place.
const newsAny = ^uint64(0)

// takeNews returns and clears what changed has announced (see conn.news).
func (cn *conn) takeNews() uint64 { return cn.news.Swap(0) }

// credential is what dial signs in with: a password (LOGIN), or an OAuth
// 2.0 access token (AUTHENTICATE OAUTHBEARER if the server offers it, else
// XOAUTH2).
type credential struct {
	secret string
	oauth  bool
}

// dial connects and logs in to the account's IMAP server. Cancelling ctx
// closes the connection. m counts its traffic (nil: counted nowhere), and
// logf reports the panics of its background goroutines (nil: the log
// package).
func dial(ctx context.Context, acct accounts.Account, cred credential, roots *x509.CertPool, timeout time.Duration, m *meter, logf func(string, ...any)) (*conn, error) {
	ep := acct.IMAP
	addr := ep.Addr()
	if m == nil {
		m = new(meter)
	}
	cn := &conn{addr: addr, timeout: timeout, changed: make(chan struct{}, 1), m: m, logf: logf}
	pin := acct.PinFor(ep.Host, ep.Port)
	opts := &imapclient.Options{
		TLSConfig: accounts.TLSConfig(ep.Host, ep.Port, pin, roots),
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Expunge: func(uint32) {
				cn.news.Store(newsAny)
				signal(cn.changed)
			},
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					cn.news.Store(newsAny)
					signal(cn.changed)
				}
			},
			// Flags changed by another client or by this engine's other
			// connection (reported during IDLE).
			Fetch: func(msg *imapclient.FetchMessageData) {
				buf, _ := msg.Collect()
				for {
					old := cn.news.Load()
					next := old
					switch {
					case old == newsAny:
					case buf == nil || buf.ModSeq == 0:
						next = newsAny
					default:
						next = max(old, buf.ModSeq)
					}
					if cn.news.CompareAndSwap(old, next) {
						break
					}
				}
				signal(cn.changed)
			},
		},
	}
	type result struct {
		c   *imapclient.Client
		raw net.Conn
		g   *imapguard.Conn
		err error
	}
	done := make(chan result, 1)
	var dialed result
	goroutine.GoErr("imapsync: dial "+addr, discard, func() error {
		dialed.c, dialed.raw, dialed.g, dialed.err = dialClient(addr, ep.Security, timeout, opts, &cn.lastRead, m)
		return nil
	}, func(err error) {
		if err != nil { // a panic
			dialed = result{err: err}
		}
		done <- dialed
	})
	var r result
	abandon := func() {
		goroutine.Go("imapsync: abandon "+addr, nil, func() {
			if r := <-done; r.c != nil {
				r.raw.Close()
				r.c.Close()
			}
		})
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r = <-done:
	case <-t.C:
		abandon()
		return nil, &accounts.ConnectError{Protocol: "IMAP", Addr: addr, Err: ErrTimeout}
	case <-ctx.Done():
		abandon()
		return nil, ctx.Err()
	}
	if r.err != nil {
		return nil, connectError(addr, r.err)
	}
	cn.c, cn.raw, cn.g = r.c, r.raw, r.g
	cn.stop = context.AfterFunc(ctx, cn.shut)
	if err := cn.do(cn.c.WaitGreeting); err != nil {
		cn.stop()
		cn.shut()
		return nil, connectError(addr, err)
	}
	user := ep.Username
	if user == "" {
		user = acct.Email
	}
	refused := false // the server reported the token invalid in a SASL challenge
	err := cn.do(func() error {
		if !cred.oauth {
			return cn.c.Login(user, cred.secret).Wait()
		}
		mech := oauthsasl.XOAUTH2
		if cn.c.Caps().Has(imap.Cap("AUTH=" + oauthsasl.OAuthBearer)) {
			mech = oauthsasl.OAuthBearer
		}
		sc, err := oauthsasl.New(mech, user, cred.secret, ep.Host, ep.Port)
		if err != nil {
			return err
		}
		err = cn.c.Authenticate(sc)
		refused = sc.Refusal() != nil
		return err
	})
	if err != nil {
		cn.close()
		var ie *imap.Error
		// After XOAUTH2's error challenge go-imap sends the empty answer
		// as "=", which Dovecot answers with BAD: the challenge was the
		// refusal.
		if refused || errors.As(err, &ie) && (ie.Type == imap.StatusResponseTypeNo || ie.Code == imap.ResponseCodeAuthenticationFailed) {
			return nil, &accounts.AuthError{Protocol: "IMAP", Addr: addr, Usernames: []string{user}, Err: err}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, connectError(addr, err)
	}
	return cn, nil
}

// dialClient connects to addr with security sec, through a connection
// that records in lastRead when bytes arrive (beneath TLS), and puts a
// guard between the connection (above TLS) and go-imap.
func dialClient(addr string, sec accounts.Security, timeout time.Duration, opts *imapclient.Options, lastRead *atomic.Int64, m *meter) (*imapclient.Client, net.Conn, *imapguard.Conn, error) {
	switch sec {
	case accounts.SecurityTLS, accounts.SecuritySTARTTLS, accounts.SecurityNone:
	default:
		return nil, nil, nil, fmt.Errorf("unknown security %q for %s", sec, addr)
	}
	raw, err := (&net.Dialer{Timeout: timeout}).Dial("tcp", addr)
	if err != nil {
		return nil, nil, nil, err
	}
	pc := &progressConn{Conn: raw, last: lastRead, m: m}
	pc.touch()
	cfg := opts.TLSConfig.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName, _, _ = net.SplitHostPort(addr)
	}
	switch sec {
	case accounts.SecurityTLS:
		if cfg.NextProtos == nil {
			cfg.NextProtos = []string{"imap"}
		}
		tc := tls.Client(pc, cfg)
		raw.SetDeadline(time.Now().Add(timeout))
		if err := tc.Handshake(); err != nil {
			raw.Close()
			return nil, nil, nil, err
		}
		raw.SetDeadline(time.Time{})
		g := imapguard.New(tc)
		return imapclient.New(g, opts), raw, g, nil
	case accounts.SecuritySTARTTLS:
		raw.SetDeadline(time.Now().Add(timeout))
		tc, err := imapguard.StartTLS(pc, cfg)
		if err != nil {
			raw.Close()
			var re *imapguard.RefusedError
			if errors.As(err, &re) {
				err = fmt.Errorf("STARTTLS refused, so the connection would stay in plaintext: %w",
					&imap.Error{Type: imap.StatusResponseType(re.Status), Text: re.Text})
			}
			return nil, nil, nil, err
		}
		raw.SetDeadline(time.Time{})
		g := imapguard.NewAfterStartTLS(tc)
		return imapclient.New(g, opts), raw, g, nil
	}
	g := imapguard.New(pc)
	return imapclient.New(g, opts), raw, g, nil
}

// progressConn records when bytes arrive, and counts the bytes each way.
type progressConn struct {
	net.Conn
	last *atomic.Int64
	m    *meter
}

func (pc *progressConn) touch() { pc.last.Store(time.Now().UnixNano()) }

func (pc *progressConn) Read(p []byte) (int, error) {
	n, err := pc.Conn.Read(p)
	if n > 0 {
		pc.touch()
		pc.m.recv.Add(int64(n))
	}
	return n, err
}

func (pc *progressConn) Write(p []byte) (int, error) {
	n, err := pc.Conn.Write(p)
	pc.m.sent.Add(int64(n))
	return n, err
}

// errPlaintext is a server that answered a TLS handshake in plaintext.
var errPlaintext = errors.New("plaintext where TLS was expected (are the port and its security setting right?)")

// connectError returns err, met while connecting to addr, in the words of
// the accounts vocabulary; an error already in them is returned as it is.
func connectError(addr string, err error) error {
	var ce *accounts.CertError
	var pe *accounts.ProtocolError
	var cne *accounts.ConnectError
	var ge *imapguard.Error
	var ie *imap.Error
	var rh tls.RecordHeaderError
	switch {
	case errors.As(err, &ce):
		return ce
	case errors.As(err, &pe), errors.As(err, &cne):
		return err
	case errors.As(err, &ge):
		return &accounts.ProtocolError{Protocol: "IMAP", Addr: addr, Err: err}
	case errors.As(err, &rh):
		return &accounts.ProtocolError{Protocol: "IMAP", Addr: addr, Err: errPlaintext}
	case errors.As(err, &ie):
		return fmt.Errorf("%s: %w", addr, err)
	}
	return &accounts.ConnectError{Protocol: "IMAP", Addr: addr, Err: err}
}

// errUnreadable is a response go-imap could not read, as a command sent
// after go-imap closed the connection over it learns.
var errUnreadable = errors.New("a response that cannot be read")

// failed returns the error of a command that failed with err, which is not
// the server's refusal: what the guard refused, else what the network
// failed with, else, when go-imap's reader stopped on its own, the
// server's malformed response. Only the network's errors are "cannot
// reach": the server was reached.
func (cn *conn) failed(err error) error {
	if cn.g == nil {
		return &accounts.ConnectError{Protocol: "IMAP", Addr: cn.addr, Err: err}
	}
	if gerr := cn.g.Failure(); gerr != nil {
		return &accounts.ProtocolError{Protocol: "IMAP", Addr: cn.addr, Err: gerr}
	}
	if !cn.shutDown.Load() {
		if nerr := cn.g.NetErr(); nerr != nil {
			return &accounts.ConnectError{Protocol: "IMAP", Addr: cn.addr, Err: nerr}
		}
		select {
		case <-cn.c.Closed():
			if errors.Is(err, net.ErrClosed) { // a command sent after go-imap gave up
				err = errUnreadable
			}
			return &accounts.ProtocolError{Protocol: "IMAP", Addr: cn.addr, Err: err}
		default:
		}
	}
	return &accounts.ConnectError{Protocol: "IMAP", Addr: cn.addr, Err: err}
}

// do runs one step under the watchdog: if the server sends nothing for
// the timeout while it runs, the connection is closed and do returns
// ErrTimeout. Data arriving (a big FETCH on a slow link) extends the
// deadline.
func (cn *conn) do(fn func() error) error {
	start := time.Now().UnixNano()
	var mu sync.Mutex
	var t *time.Timer
	stopped := false
	var check func()
	check = func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		last := max(start, cn.lastRead.Load())
		if rest := cn.timeout - time.Since(time.Unix(0, last)); rest > 0 {
			t = time.AfterFunc(rest, check)
			return
		}
		cn.timedOut.Store(true)
		cn.shut()
	}
	mu.Lock()
	t = time.AfterFunc(cn.timeout, check)
	mu.Unlock()
	err := fn()
	mu.Lock()
	stopped = true
	t.Stop()
	mu.Unlock()

	if cn.timedOut.Load() {
		return &accounts.ConnectError{Protocol: "IMAP", Addr: cn.addr, Err: ErrTimeout}
	}
	if err != nil {
		var ie *imap.Error
		if !errors.As(err, &ie) {
			return cn.failed(err)
		}
	}
	return err
}

// shut closes the connection at once without waiting for anything: the
// network connection first, which ends go-imap's reads and writes, then
// go-imap's client in the background, since its Close waits for its reader.
func (cn *conn) shut() {
	cn.shutDown.Store(true)
	cn.raw.Close()
	goroutine.Go("imapsync: close "+cn.addr, cn.logf, func() { cn.c.Close() })
}

func (cn *conn) close() {
	if cn.stop != nil {
		cn.stop()
	}
	done := make(chan struct{})
	goroutine.Go("imapsync: logout "+cn.addr, cn.logf, func() {
		defer close(done)
		cn.c.Logout().Wait()
	})
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	cn.shut()
}

// allowBodies lets body literals as big as the bodies of messages of the
// given RFC822.SIZEs through the guard (see imapguard.BodyBound), until
// the returned function is called.
func (cn *conn) allowBodies(sizes ...int64) func() {
	if cn.g == nil {
		return func() {}
	}
	var limit int64
	for _, s := range sizes {
		limit = max(limit, imapguard.BodyBound(s))
	}
	cn.g.SetBodyLimit(limit)
	return func() { cn.g.SetBodyLimit(0) }
}

func (cn *conn) has(c imap.Cap) bool { return cn.c.Caps().Has(c) }

// personal returns the server's personal namespace: its prefix ("INBOX."
// on Courier-style servers, most often "") and delimiter. A server
// without NAMESPACE, or one that refuses it, has the empty prefix.
func (cn *conn) personal() (imap.NamespaceDescriptor, error) {
	if cn.nsAsked || !cn.has(imap.CapNamespace) {
		return cn.ns, nil
	}
	var data *imap.NamespaceData
	err := cn.do(func() error {
		var err error
		data, err = cn.c.Namespace().Wait()
		return err
	})
	var ie *imap.Error
	switch {
	case errors.As(err, &ie):
	case err != nil:
		return cn.ns, err
	case len(data.Personal) > 0:
		cn.ns = data.Personal[0]
	}
	cn.nsAsked = true
	return cn.ns, nil
}

func (cn *conn) noop() error { return cn.do(func() error { return cn.c.Noop().Wait() }) }

// reselect returns the selected mailbox's state as a new SELECT of it would,
// from st, the server's status of it read after a NOOP, without sending the
// SELECT: in Dovecot that costs a scan of the mailbox (300 ms for 100,000
// messages) where the NOOP and the status cost a millisecond. It returns nil
// when name is not the selected mailbox or st does not agree with what this
// session has been told (UIDVALIDITY, message count), and then only a SELECT
// will do.
//
// A server answers a status of the selected mailbox either from this
// session's view (Dovecot), which the NOOP has just brought up to date, or
// from the mailbox itself, which is at least as new: either way the
// HIGHESTMODSEQ covers no change that a FETCH sent afterwards would miss.
func (cn *conn) reselect(name string, st *imap.StatusData, condstore bool) *imap.SelectData {
	if name == "" || cn.selected != name || st == nil || st.NumMessages == nil || st.UIDNext == 0 ||
		st.UIDValidity != cn.selUIDValidity || (condstore && st.HighestModSeq == 0) {
		return nil
	}
	mbox := cn.c.Mailbox()
	if mbox == nil || mbox.NumMessages != *st.NumMessages {
		return nil
	}
	return &imap.SelectData{NumMessages: mbox.NumMessages, UIDValidity: st.UIDValidity, UIDNext: st.UIDNext, HighestModSeq: st.HighestModSeq}
}

// selectMailbox selects name (read-write), with CONDSTORE when condstore.
func (cn *conn) selectMailbox(name string, condstore bool) (*imap.SelectData, error) {
	var data *imap.SelectData
	cn.selects++
	err := cn.do(func() error {
		var err error
		data, err = cn.c.Select(name, &imap.SelectOptions{CondStore: condstore}).Wait()
		return err
	})
	if err != nil {
		cn.selected = ""
		return nil, err
	}
	cn.selected, cn.selUIDValidity = name, data.UIDValidity
	cn.selKeywords = allowsKeywords(data.PermanentFlags)
	return data, nil
}

// Verify logs in to the account's IMAP server with password (or, with
// opts.TokenSource, an access token) and logs out. Its error is meant for
// the user.
func Verify(ctx context.Context, acct accounts.Account, password string, opts *Options) error {
	o := opts.withDefaults()
	var cn *conn
	var err error
	if o.TokenSource != nil {
		cn, err = dialOAuth(ctx, acct, o.TokenSource, o.Roots, o.CommandTimeout, nil, o.Logf)
	} else {
		cn, err = dial(ctx, acct, credential{secret: password}, o.Roots, o.CommandTimeout, nil, o.Logf)
	}
	if err != nil {
		return err
	}
	cn.close()
	return nil
}

func roleOf(name string, attrs []imap.MailboxAttr) string {
	for _, a := range attrs {
		switch imap.MailboxAttr(strings.ToLower(string(a))) {
		case lower(imap.MailboxAttrSent):
			return "sent"
		case lower(imap.MailboxAttrDrafts):
			return "drafts"
		case lower(imap.MailboxAttrTrash):
			return "trash"
		case lower(imap.MailboxAttrJunk):
			return "junk"
		case lower(imap.MailboxAttrArchive):
			return "archive"
		case lower(imap.MailboxAttrAll):
			return "all"
		case lower(imap.MailboxAttrFlagged):
			return "flagged"
		}
	}
	if strings.EqualFold(name, "INBOX") {
		return "inbox"
	}
	// Well-known names, for servers without SPECIAL-USE; name is the one
	// people see, without the namespace prefix.
	switch strings.ToLower(name) {
	case "sent", "sent items", "sent mail", "sent messages", "[gmail]/sent mail":
		return "sent"
	case "drafts", "draft", "[gmail]/drafts":
		return "drafts"
	case "trash", "deleted items", "deleted messages", "bin", "[gmail]/trash":
		return "trash"
	case "junk", "spam", "junk e-mail", "junk email", "[gmail]/spam":
		return "junk"
	case "archive", "archives":
		return "archive"
	}
	return ""
}

func lower(a imap.MailboxAttr) imap.MailboxAttr { return imap.MailboxAttr(strings.ToLower(string(a))) }

// fetchAll runs one UID FETCH per batch under the watchdog, each sent
// before the previous one's reply is read (so that splitting costs no round
// trip), and calls each for every message in batch order; an error stops
// them all.
//
// A server may interleave the replies of pipelined commands (Dovecot runs
// a second FETCH while the first waits to write a big literal), and
// go-imap's reader stops at a literal until that command's reader has read
// it. So every command in flight is read by a goroutine of its own into a
// queue as long as its batch, and each takes the queues in order: a reply
// to a later command never waits behind an earlier one. Reading them all
// in this goroutine instead hung for good, with the watchdog's Close
// waiting on the stuck reader.
func (cn *conn) fetchAll(batches [][]imap.UID, opts *imap.FetchOptions, each func(*imapclient.FetchMessageBuffer) error) error {
	if len(batches) == 0 {
		return nil
	}
	if len(batches) == 1 {
		return cn.fetch(imap.UIDSetNum(batches[0]...), opts, each)
	}
	return cn.do(func() error {
		send := func(batch []imap.UID) *fetchQueue {
			return cn.readFetch(cn.c.Fetch(imap.UIDSetNum(batch...), opts), len(batch))
		}
		next := send(batches[0])
		var err error
		for i := range batches {
			q := next
			next = nil
			if err == nil && i+1 < len(batches) {
				next = send(batches[i+1])
			}
			for buf := range q.bufs {
				if err == nil {
					err = each(buf)
				}
			}
			if err == nil {
				err = q.err
			}
			if err != nil && next == nil {
				return err
			}
		}
		return err
	})
}

// fetchQueue is one FETCH command's messages, read by a goroutine of its
// own; err is set before bufs is closed.
type fetchQueue struct {
	bufs chan *imapclient.FetchMessageBuffer
	err  error
}

// readFetch reads cmd's messages, at most n, into a new queue. It never
// waits for the queue's reader, so go-imap's reader never waits for it.
func (cn *conn) readFetch(cmd *imapclient.FetchCommand, n int) *fetchQueue {
	q := &fetchQueue{bufs: make(chan *imapclient.FetchMessageBuffer, n)}
	goroutine.GoErr("imapsync: fetch reader", discard, func() error {
		var err error
		sent := 0
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			buf, cerr := cn.collect(msg)
			switch {
			case err != nil:
			case cerr != nil:
				err = cerr
			case sent < n:
				q.bufs <- buf
				sent++
			}
		}
		if cerr := cmd.Close(); err == nil {
			err = cerr
		}
		return err
	}, func(err error) {
		q.err = err
		close(q.bufs)
	})
	return q
}

// maxPreallocLiteral is the largest literal read into a buffer of its
// announced size at once; a bigger one (or a server lying about its size)
// is read growing as its bytes actually arrive.
const maxPreallocLiteral = 64 << 20

// collect is imapclient's FetchMessageData.Collect, except that a body
// section is read into a buffer of the literal's announced size instead of
// one grown by doubling: bodies are most of the bytes of a sync, and the
// copies of a growing buffer cost more than reading them.
//
// A literal that fails to read means the connection broke in the middle
// of it. go-imap's reader goes on decoding then, and go-imap's draining of
// the message would read the literal again, racing with it on the same
// buffer: so collect closes the connection and waits for that reader to
// end before anything else reads.
func (cn *conn) collect(msg *imapclient.FetchMessageData) (*imapclient.FetchMessageBuffer, error) {
	buf := &imapclient.FetchMessageBuffer{SeqNum: msg.SeqNum}
	var err error
	for item := msg.Next(); item != nil; item = msg.Next() {
		if err != nil {
			continue // drain what is left of this message
		}
		switch item := item.(type) {
		case imapclient.FetchItemDataBodySection:
			var b []byte
			if b, err = readLiteral(item.Literal); err != nil {
				cn.broken()
			}
			buf.BodySection = append(buf.BodySection, imapclient.FetchBodySectionBuffer{Section: item.Section, Bytes: b})
		case imapclient.FetchItemDataBinarySection:
			var b []byte
			if b, err = readLiteral(item.Literal); err != nil {
				cn.broken()
			}
			buf.BinarySection = append(buf.BinarySection, imapclient.FetchBinarySectionBuffer{Section: item.Section, Bytes: b})
		case imapclient.FetchItemDataFlags:
			buf.Flags = item.Flags
		case imapclient.FetchItemDataEnvelope:
			buf.Envelope = item.Envelope
		case imapclient.FetchItemDataInternalDate:
			buf.InternalDate = item.Time
		case imapclient.FetchItemDataRFC822Size:
			buf.RFC822Size = item.Size
		case imapclient.FetchItemDataUID:
			buf.UID = item.UID
		case imapclient.FetchItemDataBodyStructure:
			buf.BodyStructure = item.BodyStructure
		case imapclient.FetchItemDataBinarySectionSize:
			buf.BinarySectionSize = append(buf.BinarySectionSize, item)
		case imapclient.FetchItemDataModSeq:
			buf.ModSeq = item.ModSeq
		}
	}
	return buf, err
}

// broken closes a connection whose literal failed to read and waits (at
// most the command timeout) for go-imap's reader to end; see collect.
func (cn *conn) broken() {
	cn.raw.Close()
	t := time.NewTimer(cn.timeout)
	defer t.Stop()
	select {
	case <-cn.c.Closed():
	case <-t.C:
	}
}

func readLiteral(lit imap.LiteralReader) ([]byte, error) {
	if lit == nil {
		return nil, nil
	}
	n := lit.Size()
	if n < 0 || n > maxPreallocLiteral {
		return io.ReadAll(lit)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(lit, b); err != nil {
		return nil, err
	}
	return b, nil
}

// fetch runs one FETCH under the watchdog and calls each for every message
// as it arrives; an error from each stops the command. With one command in
// flight every reply with a literal is either this command's or goes to the
// unilateral handler, which reads it in a goroutine of its own.
func (cn *conn) fetch(set imap.NumSet, opts *imap.FetchOptions, each func(*imapclient.FetchMessageBuffer) error) error {
	return cn.do(func() error {
		cmd := cn.c.Fetch(set, opts)
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			buf, err := cn.collect(msg)
			if err == nil {
				err = each(buf)
			}
			if err != nil {
				cmd.Close()
				return err
			}
		}
		return cmd.Close()
	})
}

// idle runs one IDLE command for at most d and reports whether the server
// reported a change. It returns at a change, a signal on kick, ctx's end or
// after d, stopping IDLE; and with an error when the connection closes or
// the IDLE command ends by itself (go-imap's own restart failed): push must
// never stop without a word.
//
// known, when not nil, is asked about each report of news (see conn.news);
// news it knows does not end IDLE, so a change the engine made itself,
// reported late, costs no command.
func (cn *conn) idle(ctx context.Context, d time.Duration, kick <-chan struct{}, known func(news uint64) bool) (changed bool, err error) {
	var cmd *imapclient.IdleCommand
	if err := cn.do(func() error {
		var err error
		cmd, err = cn.c.Idle()
		return err
	}); err != nil {
		return false, err
	}
	cn.m.idleStarts.Add(1)
	cn.m.idling.Add(1)
	defer cn.m.idling.Add(-1)
	ended := make(chan error, 1)
	goroutine.GoErr("imapsync: idle "+cn.addr, discard, cmd.Wait, func(err error) { ended <- err })
	t := time.NewTimer(d)
	defer t.Stop()
wait:
	select {
	case <-cn.changed:
		if known != nil && known(cn.takeNews()) {
			goto wait
		}
		changed = true
	case <-kick:
	case <-t.C:
	case <-ctx.Done():
	case <-cn.c.Closed():
		return false, cn.failed(net.ErrClosed)
	case err := <-ended:
		cmd.Close()
		if err == nil {
			err = errors.New("the server ended IDLE")
		}
		return false, &accounts.ConnectError{Protocol: "IMAP", Addr: cn.addr, Err: fmt.Errorf("IDLE stopped: %w", err)}
	}
	err = cn.do(func() error {
		if err := cmd.Close(); err != nil {
			return err
		}
		return <-ended
	})
	return changed, err
}
