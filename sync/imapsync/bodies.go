package imapsync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/ternmail/tern/internal/goroutine"
	"github.com/ternmail/tern/internal/imapguard"
	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/store"
)

// ErrGone means a message is no longer on the server.
var ErrGone = errors.New("the message is no longer on the server")

// TooLargeError says the server sends a message's body bigger than Tern
// downloads (a body literal beyond imapguard.BodyBound of its
// RFC822.SIZE): the sync skips it, and opening it shows that instead.
type TooLargeError struct {
	Size int64 // the body's size as the server announced it, in bytes
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("This message is larger than Tern downloads (%s).", megabytes(e.Size))
}

func megabytes(n int64) string {
	if n < 10<<20 {
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d MB", n>>20)
}

// refusedBody returns the size of the body literal the guard refused for
// its size when err is that refusal, else 0.
func refusedBody(err error) int64 {
	var ge *imapguard.Error
	if errors.As(err, &ge) {
		return ge.Body
	}
	return 0
}

var fullBody = &imap.FetchItemBodySection{Peek: true}

// fetchBodies fetches up to limit missing bodies in the background, newest
// first, and returns how many it stored.
func (e *Engine) fetchBodies(ctx context.Context, cn *conn, limit int) (int, error) {
	e.passMu.Lock()
	defer e.passMu.Unlock()
	var since time.Time
	if days := e.acct.Sync.BodiesMaxAgeDays; days > 0 {
		since = time.Now().AddDate(0, 0, -days)
	}
	msgs, err := e.st.MissingBodies(ctx, e.acct.ID, since, limit)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	byBox := map[int64][]store.Message{}
	var order []int64
	for _, m := range msgs {
		if _, ok := byBox[m.MailboxID]; !ok {
			order = append(order, m.MailboxID)
		}
		byBox[m.MailboxID] = append(byBox[m.MailboxID], m)
	}
	stored := 0
	for _, id := range order {
		mb, err := e.st.Mailbox(ctx, id)
		if err != nil {
			continue
		}
		n, err := e.fetchBodiesIn(ctx, cn, mb, byBox[id])
		stored += n
		if err != nil {
			return stored, err
		}
	}
	return stored, nil
}

func (e *Engine) fetchBodiesIn(ctx context.Context, cn *conn, mb store.Mailbox, msgs []store.Message) (int, error) {
	e.setStatus(Status{State: StateSyncing, Folder: mb.Name})
	if cn.selected != mb.Name {
		sel, err := cn.selectMailbox(mb.Name, false)
		if err != nil {
			return 0, err
		}
		if sel.UIDValidity != mb.UIDValidity {
			return 0, nil // the next pass resets this mailbox
		}
	}
	byUID := map[uint32]store.Message{}
	uids := make([]imap.UID, 0, len(msgs))
	for _, m := range msgs {
		if m.UIDValidity == mb.UIDValidity {
			byUID[m.UID] = m
			uids = append(uids, imap.UID(m.UID))
		}
	}
	// Bodies arrive, are parsed (for preview and search text) and written
	// to their files, and are committed to the store in three goroutines, a
	// batch at a time, so that the three overlap.
	stored := 0
	byMsgID := make(map[int64]store.Message, len(msgs))
	for _, m := range msgs {
		byMsgID[m.ID] = m
	}
	st := startWriterDrop(2, func(bodies []store.Body) error {
		n, err := e.st.PutBodies(ctx, bodies)
		stored += n
		return err
	}, e.st.DiscardBodyFiles)
	w := startWriter(2, func(bodies []store.Body) error {
		for i := range bodies {
			bodies[i].Info = parseBody(byMsgID[bodies[i].MessageID], bodies[i].Raw).Info
		}
		// The files are written here rather than by PutBodies, so that
		// the store's transaction for the batch before runs meanwhile.
		if err := e.st.WriteBodyFiles(bodies); err != nil {
			return err
		}
		if err := st.put(bodies); err != nil {
			e.st.DiscardBodyFiles(bodies)
			return err
		}
		return nil
	})
	const flushBytes = 4 << 20
	var bodies []store.Body
	size := 0
	opts := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{fullBody}}
	sizes := make([]int64, 0, len(byUID))
	for _, m := range byUID {
		sizes = append(sizes, m.Size)
	}
	defer cn.allowBodies(sizes...)()
	each := func(buf *imapclient.FetchMessageBuffer) error {
		m, ok := byUID[uint32(buf.UID)]
		raw := buf.FindBodySection(fullBody)
		if !ok || raw == nil {
			return nil
		}
		delete(byUID, m.UID)
		bodies = append(bodies, store.Body{MessageID: m.ID, Raw: raw})
		if size += len(raw); size >= flushBytes {
			if err := w.put(bodies); err != nil {
				return err
			}
			bodies, size = nil, 0
		}
		return nil
	}
	// The first batch (one message) is fetched on its own, the rest only
	// once its reply has been read: a link that breaks at the same point of
	// every connection loses what was in flight then, which with the
	// batches pipelined could be every body of every pass; this way each
	// pass stores at least one.
	batches := bySize(uids, byUID, maxFetchBytes)
	err := cn.fetchAll(batches[:min(1, len(batches))], opts, each)
	if err == nil && len(batches) > 1 {
		err = cn.fetchAll(batches[1:], opts, each)
	}
	if size := refusedBody(err); size > 0 {
		// The server answers a batch in UID order: the body refused is
		// the lowest UID not received of the first batch not received
		// whole.
		if m, ok := refusedIn(batches, byUID); ok {
			e.opts.Logf("sync %s: %s UID %d: body of %d bytes refused; skipped from now on", e.acct.ID, mb.Name, m.UID, size)
			if merr := e.st.MarkTooLarge(ctx, m.ID, size); merr != nil {
				e.opts.Logf("sync %s: %v", e.acct.ID, merr)
			}
		}
	}
	// The bodies that arrived whole are kept also when the FETCH broke
	// off: a link that breaks again and again still makes progress.
	if len(bodies) > 0 {
		if perr := w.put(bodies); err == nil {
			err = perr
		}
	}
	if werr := w.close(); err == nil {
		err = werr
	}
	if serr := st.close(); err == nil {
		err = serr
	}
	if err != nil {
		return stored, err
	}
	// What the server did not return has been expunged.
	if len(byUID) > 0 {
		var gone []uint32
		for uid := range byUID {
			gone = append(gone, uid)
		}
		if err := e.st.DeleteUIDs(ctx, mb.ID, mb.UIDValidity, gone); err != nil {
			return stored, err
		}
	}
	e.opts.OnChange(Change{Kind: ChangeMessages, MailboxID: mb.ID})
	return stored, nil
}

// refusedIn returns the message whose body a FETCH of batches was reading
// when it failed, byUID holding the messages not received.
func refusedIn(batches [][]imap.UID, byUID map[uint32]store.Message) (store.Message, bool) {
	for _, b := range batches {
		var low store.Message
		found := false
		for _, u := range b {
			if m, ok := byUID[uint32(u)]; ok && (!found || m.UID < low.UID) {
				low, found = m, true
			}
		}
		if found {
			return low, true
		}
	}
	return store.Message{}, false
}

// maxFetchBytes caps the RFC822.SIZE total one body FETCH asks for, so that
// one command stays short on a slow link and an interruption loses little.
const maxFetchBytes = 8 << 20

// bySize splits uids, in order, into batches whose messages' sizes add up
// to at most limit (a bigger message goes alone). The first batches are
// small, one message, then two, four and so on: a link that breaks loses
// what was in flight when it broke, which over one big FETCH can be every
// body after the first bytes, so a link that breaks at the same point of
// every connection would let no pass store anything. A batch whose reply
// has been read to its end is stored whatever happens after it.
func bySize(uids []imap.UID, byUID map[uint32]store.Message, limit int64) [][]imap.UID {
	var out [][]imap.UID
	var cur []imap.UID
	var total int64
	most := 1 // messages in the current batch at most
	for _, u := range uids {
		sz := byUID[uint32(u)].Size
		if len(cur) > 0 && (total+sz > limit || len(cur) >= most) {
			out = append(out, cur)
			cur, total = nil, 0
			most = min(2*most, maxFetchMessages)
		}
		cur = append(cur, u)
		total += sz
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// maxFetchMessages caps the messages of one body FETCH, once the first
// batches have grown.
const maxFetchMessages = 1 << 16

// parseBody derives the preview, the search text and the attachment flag
// from a raw body.
func parseBody(m store.Message, raw []byte) store.Body {
	info := store.BodyInfo{HasAttachments: m.HasAttachments}
	if pm, err := message.Parse(raw, nil); err == nil {
		info.Text = pm.Text
		info.Preview = message.Preview(pm.Text, 200)
		for _, a := range pm.Attachments {
			if !a.Inline {
				info.HasAttachments = true
			}
		}
	}
	return store.Body{MessageID: m.ID, Raw: raw, Info: info}
}

// storeBody parses raw and stores it.
func (e *Engine) storeBody(ctx context.Context, m store.Message, raw []byte) error {
	b := parseBody(m, raw)
	return e.st.PutBody(ctx, m.ID, b.Raw, b.Info)
}

// FetchBody returns the raw body of message id, fetching and storing it if
// needed. It uses a connection of its own, so that opening a message never
// waits behind a background sync.
func (e *Engine) FetchBody(ctx context.Context, id int64) ([]byte, error) {
	if raw, err := e.st.Body(ctx, id); err == nil {
		return raw, nil
	}
	m, err := e.st.Message(ctx, id)
	if err != nil {
		return nil, err
	}
	if size, err := e.st.TooLarge(ctx, id); err == nil && size > 0 {
		return nil, &TooLargeError{Size: size}
	}
	mb, err := e.st.Mailbox(ctx, m.MailboxID)
	if err != nil {
		return nil, err
	}
	type result struct {
		raw []byte
		err error
	}
	done := make(chan result, 1)
	var raw []byte
	goroutine.GoErr("sync "+e.acct.ID+": body", discard, func() error {
		var err error
		raw, err = e.fetchOne(m, mb)
		return err
	}, func(err error) { done <- result{raw, err} })
	select {
	case r := <-done:
		if size := refusedBody(r.err); size > 0 {
			if err := e.st.MarkTooLarge(context.WithoutCancel(ctx), m.ID, size); err != nil {
				e.opts.Logf("sync %s: %v", e.acct.ID, err)
			}
			return nil, &TooLargeError{Size: size}
		}
		if r.err != nil {
			return nil, r.err
		}
		if err := e.storeBody(context.WithoutCancel(ctx), m, r.raw); err != nil && !errors.Is(err, store.ErrNotFound) {
			return r.raw, err
		}
		e.opts.OnChange(Change{Kind: ChangeBody, MessageID: m.ID, MailboxID: m.MailboxID})
		e.opts.OnChange(Change{Kind: ChangeMessages, MailboxID: m.MailboxID})
		return r.raw, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fetchOne fetches one body on the on-demand connection.
func (e *Engine) fetchOne(m store.Message, mb store.Mailbox) ([]byte, error) {
	var raw []byte
	err := e.withFetchConn(func(cn *conn) error {
		var err error
		raw, err = e.fetchOneOn(cn, m, mb)
		return err
	})
	return raw, err
}

// withFetchConn runs fn on the on-demand connection (opened if needed),
// once more on a fresh connection if the first one had gone stale.
func (e *Engine) withFetchConn(fn func(cn *conn) error) error {
	e.fetchMu.Lock()
	defer e.fetchMu.Unlock()
	var lastErr error
	for attempt := 0; attempt < 2; attempt++ {
		if e.fetchConn == nil {
			cn, err := e.connect(context.Background())
			if err != nil {
				return err
			}
			e.fetchConn = cn
		}
		err := fn(e.fetchConn)
		var ie *imap.Error
		if err == nil || errors.Is(err, ErrGone) || errors.As(err, &ie) {
			return err
		}
		lastErr = err
		e.fetchConn.close()
		e.fetchConn = nil
	}
	return lastErr
}

func (e *Engine) fetchOneOn(cn *conn, m store.Message, mb store.Mailbox) ([]byte, error) {
	if cn.selected != mb.Name {
		sel, err := cn.selectMailbox(mb.Name, false)
		if err != nil {
			return nil, err
		}
		if sel.UIDValidity != m.UIDValidity {
			return nil, ErrGone
		}
	}
	var raw []byte
	opts := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{fullBody}}
	defer cn.allowBodies(m.Size)()
	err := cn.fetch(imap.UIDSetNum(imap.UID(m.UID)), opts, func(b *imapclient.FetchMessageBuffer) error {
		if uint32(b.UID) == m.UID {
			raw = b.FindBodySection(fullBody)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, ErrGone
	}
	return raw, nil
}

func (e *Engine) closeFetchConn() {
	e.fetchMu.Lock()
	defer e.fetchMu.Unlock()
	if e.fetchConn != nil {
		e.fetchConn.close()
		e.fetchConn = nil
	}
}

// wait waits on cn for new mail in INBOX (IDLE, or NOOP polling without
// it), a kick, ctx's end, or d.
func (e *Engine) wait(ctx context.Context, cn *conn, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	if parked, err := e.park(ctx, cn); err != nil {
		return err
	} else if !parked {
		return e.sleepErr(ctx, d)
	}
	// NOOP first: a server may hold back news of the selected mailbox
	// until the next command, and not send it when IDLE starts.
	if err := cn.noop(); err != nil {
		return err
	}
	select { // a change reported before we started waiting
	case <-cn.changed:
		return nil
	default:
	}
	if !cn.has(imap.CapIdle) && !cn.has(imap.CapIMAP4rev2) {
		step := min(d, 30*time.Second)
		if e.sleep(ctx, step) {
			return nil
		}
		return cn.noop()
	}
	// At most IdleRestart in one IDLE: then a (cheap) pass and IDLE again.
	_, err := cn.idle(ctx, min(d, e.opts.IdleRestart), e.kick, nil)
	return err
}

// park leaves INBOX selected on the worker's connection between passes,
// as the last pass would have it, so that the next pass finds INBOX's
// changes with a NOOP and a status instead of a SELECT (see reselect). It
// reports false when INBOX is not known yet or the server will not open it
// (which the pass reports); its error is the connection's.
func (e *Engine) park(ctx context.Context, cn *conn) (bool, error) {
	inbox, err := e.st.MailboxByRole(ctx, e.acct.ID, store.RoleInbox)
	if err != nil {
		return false, nil
	}
	if cn.selected != inbox.Name {
		if _, err := cn.selectMailbox(inbox.Name, cn.has(imap.CapCondStore)); err != nil {
			var ie *imap.Error
			if errors.As(err, &ie) {
				e.opts.Logf("sync %s: select %q: %v", e.acct.ID, inbox.Name, err)
				return false, nil
			}
			return false, err
		}
	}
	return true, nil
}

func (e *Engine) sleepErr(ctx context.Context, d time.Duration) error {
	e.sleep(ctx, d)
	return ctx.Err()
}
