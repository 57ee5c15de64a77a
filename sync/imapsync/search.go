package imapsync

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/ternmail/tern/store"
	"github.com/ternmail/tern/store/query"
)

// SearchOptions tunes Engine.Search. The zero value, or nil, means
// defaults.
type SearchOptions struct {
	// Location is the time zone in which before: and after: days begin;
	// nil means time.Local. (A server compares dates in its own zone.)
	Location *time.Location
	// MaxFetch caps how many messages the store lacks (new since the last
	// sync) have their headers fetched, newest first, per search; 0 means
	// 200.
	MaxFetch int
}

// Search asks the server which messages of mailboxes (of this engine's
// account) match q, and returns the store IDs of those it found, per
// mailbox in the order given. Messages the store lacks have their headers
// fetched and stored first, so that every ID can be shown. A mailbox whose
// UIDVALIDITY differs from the store's is left out (the next sync pass
// renews it).
//
// Terms IMAP cannot express (has:attachment) are left out of the server's
// criteria, so the server may find more than q allows: the caller filters
// the IDs against the store (store.SearchOptions.SkipText). in: and
// account: are the caller's choice of mailboxes and are ignored here.
//
// Search runs on the engine's on-demand connection (the one FetchBody
// uses), never on the connections of the sync loop, so it neither disturbs
// IDLE nor wakes the engine. When ctx ends, the command in flight is cut
// off by closing that connection (the next use opens a new one). Search is
// safe to call from any goroutine; searches and body fetches take turns on
// the connection.
func (e *Engine) Search(ctx context.Context, q query.Query, mailboxes []store.Mailbox, opts *SearchOptions) ([]int64, error) {
	var o SearchOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxFetch <= 0 {
		o.MaxFetch = 200
	}
	criteria := Criteria(q, o.Location)
	e.fetchMu.Lock()
	defer e.fetchMu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var ids []int64
	for _, mb := range mailboxes {
		if mb.Account != e.acct.ID || !mb.Selectable || mb.UIDValidity == 0 {
			continue
		}
		found, err := e.searchMailbox(ctx, mb, criteria, &o)
		if err != nil {
			return nil, err
		}
		ids = append(ids, found...)
	}
	return ids, nil
}

// searchMailbox runs one mailbox's search on the on-demand connection,
// opened if needed; e.fetchMu is held.
func (e *Engine) searchMailbox(ctx context.Context, mb store.Mailbox, criteria *imap.SearchCriteria, o *SearchOptions) ([]int64, error) {
	if e.fetchConn == nil {
		cn, err := e.connect(ctx)
		if err != nil {
			return nil, err
		}
		e.fetchConn = cn
	}
	cn := e.fetchConn
	stop := context.AfterFunc(ctx, cn.shut)
	uids, err := e.searchOn(cn, mb, criteria)
	if !stop() { // ctx ended: cn is shut
		e.fetchConn = nil
		return nil, ctx.Err()
	}
	var ie *imap.Error
	if err != nil && !errors.As(err, &ie) {
		cn.close()
		e.fetchConn = nil
	}
	if err != nil || len(uids) == 0 {
		return nil, err
	}
	known, err := e.st.IDsByUID(ctx, mb.ID, mb.UIDValidity, uids)
	if err != nil {
		return nil, err
	}
	var missing []imap.UID
	for _, u := range uids {
		if _, ok := known[u]; !ok {
			missing = append(missing, imap.UID(u))
		}
	}
	if len(missing) > 0 {
		// The newest first: UIDs grow with arrival.
		slices.Sort(missing)
		missing = missing[max(0, len(missing)-o.MaxFetch):]
		stop := context.AfterFunc(ctx, cn.shut)
		msgs, err := e.fetchHeaders(cn, mb, missing, false)
		if !stop() {
			e.fetchConn = nil
			return nil, ctx.Err()
		}
		if err != nil {
			if !errors.As(err, &ie) {
				cn.close()
				e.fetchConn = nil
			}
			return nil, err
		}
		if len(msgs) > 0 {
			if err := e.st.PutMessages(ctx, e.acct.ID, mb.ID, msgs); err != nil {
				return nil, err
			}
			e.opts.OnChange(Change{Kind: ChangeMessages, MailboxID: mb.ID})
			if known, err = e.st.IDsByUID(ctx, mb.ID, mb.UIDValidity, uids); err != nil {
				return nil, err
			}
		}
	}
	ids := make([]int64, 0, len(known))
	for _, u := range uids {
		if id, ok := known[u]; ok {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// searchOn selects mb on cn if needed and returns the UIDs the server's
// UID SEARCH finds; none when the mailbox's UIDVALIDITY changed.
func (e *Engine) searchOn(cn *conn, mb store.Mailbox, criteria *imap.SearchCriteria) ([]uint32, error) {
	if cn.selected != mb.Name || cn.selUIDValidity != mb.UIDValidity {
		sel, err := cn.selectMailbox(mb.Name, false)
		if err != nil {
			return nil, err
		}
		if sel.UIDValidity != mb.UIDValidity {
			return nil, nil
		}
	}
	var uids []uint32
	err := cn.do(func() error {
		data, err := cn.c.UIDSearch(criteria, nil).Wait()
		if err != nil {
			return err
		}
		for _, u := range data.AllUIDs() {
			uids = append(uids, uint32(u))
		}
		return nil
	})
	return uids, err
}

// Criteria translates q into IMAP SEARCH criteria, with the days of
// before: and after: taken in loc (time.Local when nil; IMAP compares
// dates only). Words and phrases become TEXT (the server looks in all the
// headers and the body, as a substring), from:, to:, cc: and subject:
// their header, and is: a flag. has:, in: and account: have no IMAP
// counterpart and are left out.
func Criteria(q query.Query, loc *time.Location) *imap.SearchCriteria {
	var all imap.SearchCriteria
	for _, t := range q.Terms {
		var c imap.SearchCriteria
		switch t.Kind {
		case query.Text:
			c.Text = []string{t.Value}
		case query.From, query.To, query.Cc, query.Subject:
			key := map[query.Kind]string{query.From: "From", query.To: "To", query.Cc: "Cc", query.Subject: "Subject"}[t.Kind]
			c.Header = []imap.SearchCriteriaHeaderField{{Key: key, Value: t.Value}}
		case query.Unread:
			c.NotFlag = []imap.Flag{imap.FlagSeen}
		case query.Read:
			c.Flag = []imap.Flag{imap.FlagSeen}
		case query.Starred:
			c.Flag = []imap.Flag{imap.FlagFlagged}
		case query.Before:
			c.Before = t.Date.In(loc)
		case query.After:
			c.Since = t.Date.In(loc).AddDate(0, 0, 1)
		default:
			continue
		}
		if t.Neg {
			all.Not = append(all.Not, c)
		} else {
			all.And(&c)
		}
	}
	return &all
}
