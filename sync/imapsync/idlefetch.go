package imapsync

import (
	"context"
	"errors"
	"math"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/ternmail/tern/store"
)

// idleFetchNew stores the headers of messages that arrived in INBOX, on
// the idle connection, which has INBOX selected already: new mail reaches
// the list without waiting for the worker to SELECT INBOX again (on a
// large Maildir that SELECT alone costs a third of a second). The worker's
// pass that follows still does the full sync of the folder (flags, modseq,
// expunges), so this is only a head start. The new-mail event for a
// message is raised by whichever of the two adds it to the store; this
// does nothing when the store has not synced the folder under this
// UIDVALIDITY.
// from is the lowest UID not yet fetched here; it returns the next one.
func (e *Engine) idleFetchNew(ctx context.Context, cn *conn, name string, uidValidity uint32, from uint32) (uint32, error) {
	mb, err := e.st.MailboxByName(ctx, e.acct.ID, name)
	if err != nil || mb.UIDValidity != uidValidity || mb.UIDNext == 0 {
		return from, nil
	}
	from = max(from, mb.UIDNext)
	opts := headerItems(false)
	var msgs []store.Message
	// The range ends at the highest UID there can be, not at "*": "from:*"
	// names the last message even when its UID is below from, and go-imap
	// hands a reply outside the command's UID set to the unilateral
	// handler, which took it for a change on the server and woke this
	// loop again, for ever.
	set := imap.UIDSet{imap.UIDRange{Start: imap.UID(from), Stop: imap.UID(math.MaxUint32)}}
	err = cn.fetch(set, opts, func(buf *imapclient.FetchMessageBuffer) error {
		if uint32(buf.UID) >= from {
			msgs = append(msgs, toStoreMessage(e.acct.ID, mb, buf))
		}
		return nil
	})
	var ie *imap.Error
	if errors.As(err, &ie) {
		e.opts.Logf("sync %s: new mail on the idle connection: %v (the worker fetches it)", e.acct.ID, err)
		return from, nil
	}
	if err != nil || len(msgs) == 0 {
		return from, err
	}
	added, err := e.st.PutMessagesAdded(ctx, e.acct.ID, mb.ID, msgs)
	if err != nil {
		return from, err
	}
	e.opts.OnChange(Change{Kind: ChangeMessages, MailboxID: mb.ID})
	if len(added) > 0 { // the worker's pass may have stored (and announced) them first
		e.opts.OnChange(Change{Kind: ChangeNewMail, MailboxID: mb.ID, Count: len(added)})
	}
	for _, m := range msgs {
		from = max(from, m.UID+1)
	}
	return from, nil
}
