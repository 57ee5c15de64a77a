package imapsync

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/ternmail/tern/internal/imapguard"
	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/store"
)

// pass replays pending actions and syncs INBOX, or every folder when full.
func (e *Engine) pass(ctx context.Context, cn *conn, full bool) (*Report, error) {
	e.passMu.Lock()
	defer e.passMu.Unlock()
	e.meter.passes.Add(1)
	if !full {
		if _, err := e.st.MailboxByRole(ctx, e.acct.ID, store.RoleInbox); err != nil {
			full = true // nothing stored yet
		}
	}
	start := time.Now()
	rep := &Report{Account: e.acct.ID}
	e.setStatus(Status{State: StateSyncing})
	e.touched = map[string]bool{}
	// Only a full pass lists the folders; an INBOX pass needs no look.
	known := !full || e.foldersKnown(ctx)
	n, err := e.replay(ctx, cn)
	rep.Actions = n
	if err != nil {
		return rep, err
	}
	var boxes []store.Mailbox
	var statuses map[string]*imap.StatusData
	if full {
		boxes, statuses, err = e.listMailboxesStatus(ctx, cn)
		if err != nil {
			return rep, err
		}
		if !known {
			// Copies of sent mail and drafts wait for the folder list to
			// name Sent and Drafts: file them in this pass, not the next.
			n, err := e.replayFolderless(ctx, cn)
			rep.Actions += n
			if err != nil {
				return rep, err
			}
			for name := range e.touched {
				delete(statuses, name) // read before the APPEND
			}
		}
	} else {
		inbox, err := e.st.MailboxByRole(ctx, e.acct.ID, store.RoleInbox)
		if err != nil {
			return rep, err
		}
		boxes = []store.Mailbox{inbox}
		if st, err := e.selectedStatus(cn, inbox.Name); err != nil {
			return rep, err
		} else if st != nil {
			statuses = map[string]*imap.StatusData{inbox.Name: st}
		}
		for name := range e.touched {
			if mb, err := e.st.MailboxByName(ctx, e.acct.ID, name); err == nil && mb.ID != inbox.ID {
				boxes = append(boxes, mb)
			}
		}
	}
	for _, mb := range boxes {
		if !mb.Selectable {
			continue
		}
		if unchanged(mb, statuses[mb.Name]) {
			rep.Folders = append(rep.Folders, FolderReport{Name: mb.Name, Role: mb.Role, ServerTotal: mb.ServerTotal,
				Stored: mb.Total, Unread: mb.Unread, Skipped: true})
			continue
		}
		fr, err := e.syncMailbox(ctx, cn, mb, statuses[mb.Name])
		if err != nil {
			return rep, err
		}
		rep.Folders = append(rep.Folders, fr)
	}
	if full {
		e.opts.OnChange(Change{Kind: ChangeMailboxes})
	}
	rep.Duration = time.Since(start)
	rep.Millis = rep.Duration.Milliseconds()
	if full {
		if err := e.st.SetFullPass(ctx, e.acct.ID, time.Now(), rep.Duration); err != nil {
			e.opts.Logf("sync %s: recording the pass: %v", e.acct.ID, err)
		}
	}
	return rep, nil
}

// unchanged reports whether a LIST-STATUS answer shows mailbox mb exactly
// as the last completed sync left it, so that it need not be selected.
func unchanged(mb store.Mailbox, st *imap.StatusData) bool {
	if st == nil || st.NumMessages == nil || mb.UIDNext == 0 {
		return false
	}
	return st.UIDValidity == mb.UIDValidity && uint32(st.UIDNext) == mb.UIDNext &&
		int(*st.NumMessages) == mb.ServerTotal && st.HighestModSeq == mb.ModSeq && st.HighestModSeq != 0
}

// listMailboxes reads the folder list and stores it.
func (e *Engine) listMailboxes(ctx context.Context, cn *conn) ([]store.Mailbox, error) {
	boxes, _, err := e.listMailboxesStatus(ctx, cn)
	return boxes, err
}

// listMailboxesStatus reads the folder list, with each folder's status in
// the same round trip where the server has LIST-STATUS and CONDSTORE, and
// stores the list.
func (e *Engine) listMailboxesStatus(ctx context.Context, cn *conn) ([]store.Mailbox, map[string]*imap.StatusData, error) {
	opts := &imap.ListOptions{}
	if cn.has(imap.CapSpecialUse) {
		opts.ReturnSpecialUse = true
	}
	if cn.has(imap.CapListStatus) {
		opts.ReturnStatus = syncStatus(cn)
	}
	if opts.ReturnStatus != nil && cn.selected != "" {
		// The selected mailbox's status may be this session's view of it
		// (Dovecot's is), which only a command brings up to date.
		if err := cn.noop(); err != nil {
			return nil, nil, err
		}
	}
	var list []*imap.ListData
	err := cn.do(func() error {
		var err error
		list, err = cn.c.List("", "*", opts).Collect()
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	statuses := map[string]*imap.StatusData{}
	for _, l := range list {
		if l.Status != nil {
			statuses[l.Mailbox] = l.Status
		}
	}
	var subscribed map[string]bool
	err = cn.do(func() error {
		lsub, err := cn.c.List("", "*", &imap.ListOptions{SelectSubscribed: true}).Collect()
		if err != nil {
			return nil // LIST (SUBSCRIBED) is optional: treat all as subscribed
		}
		subscribed = map[string]bool{}
		for _, l := range lsub {
			subscribed[l.Mailbox] = true
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	e.noteSkipped(cn.g.TakeSkipped())
	ns, err := cn.personal()
	if err != nil {
		return nil, nil, err
	}
	boxes := make([]store.Mailbox, 0, len(list))
	roles := map[store.Role]bool{}
	for _, l := range list {
		b := store.Mailbox{Name: l.Mailbox, Selectable: true, Subscribed: subscribed == nil || subscribed[l.Mailbox] || strings.EqualFold(l.Mailbox, "INBOX")}
		if l.Delim != 0 {
			b.Delim = string(l.Delim)
		}
		if ns.Prefix != "" && strings.HasPrefix(l.Mailbox, ns.Prefix) && len(l.Mailbox) > len(ns.Prefix) {
			b.Prefix = ns.Prefix
		}
		for _, a := range l.Attrs {
			b.Attrs = append(b.Attrs, string(a))
			if strings.EqualFold(string(a), string(imap.MailboxAttrNoSelect)) || strings.EqualFold(string(a), string(imap.MailboxAttrNonExistent)) {
				b.Selectable = false
			}
		}
		boxes = append(boxes, b)
	}
	// Roles from SPECIAL-USE first, then from well-known names for roles
	// still missing; the user's overrides win over both.
	for i := range boxes {
		if r := store.Role(roleOf("", toAttrs(boxes[i].Attrs))); r != "" && !roles[r] {
			boxes[i].Role, roles[r] = r, true
		}
	}
	for i := range boxes {
		if boxes[i].Role != "" {
			continue
		}
		if r := store.Role(roleOf(boxes[i].Path(), nil)); r != "" && !roles[r] {
			boxes[i].Role, roles[r] = r, true
		}
	}
	for r, name := range e.acct.Folders {
		role := store.Role(r)
		for i := range boxes {
			if boxes[i].Role == role {
				boxes[i].Role = ""
			}
		}
		for i := range boxes {
			if boxes[i].Name == name {
				boxes[i].Role = role
			}
		}
	}
	stored, err := e.st.SetMailboxes(ctx, e.acct.ID, boxes)
	if err != nil {
		return nil, nil, err
	}
	if err := e.storeUnseen(ctx, cn, stored, statuses); err != nil {
		return nil, nil, err
	}
	return stored, statuses, nil
}

// storeUnseen records each folder's unseen count on the server, so that a
// folder whose headers are not synced yet shows its unread count at once:
// from the LIST-STATUS answer, or else from STATUS, pipelined, for the
// folders not completely synced (the others count their stored messages).
func (e *Engine) storeUnseen(ctx context.Context, cn *conn, boxes []store.Mailbox, statuses map[string]*imap.StatusData) error {
	unseen := map[string]int{}
	var ask []string
	for _, mb := range boxes {
		if st := statuses[mb.Name]; st != nil && st.NumUnseen != nil {
			unseen[mb.Name] = int(*st.NumUnseen)
		} else if mb.Selectable && mb.UIDNext == 0 {
			ask = append(ask, mb.Name)
		}
	}
	if len(ask) > 0 {
		err := cn.do(func() error {
			cmds := make([]*imapclient.StatusCommand, len(ask))
			for i, name := range ask {
				cmds[i] = cn.c.Status(name, &imap.StatusOptions{NumUnseen: true})
			}
			for i, cmd := range cmds {
				data, err := cmd.Wait()
				var ie *imap.Error
				if errors.As(err, &ie) {
					continue // that folder cannot say; the others can
				}
				if err != nil {
					return err
				}
				if data.NumUnseen != nil {
					unseen[ask[i]] = int(*data.NumUnseen)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	n, err := e.st.SetServerUnread(ctx, e.acct.ID, unseen)
	if n > 0 {
		e.opts.OnChange(Change{Kind: ChangeMailboxes})
	}
	return err
}

func toAttrs(s []string) []imap.MailboxAttr {
	out := make([]imap.MailboxAttr, len(s))
	for i, a := range s {
		out[i] = imap.MailboxAttr(a)
	}
	return out
}

// syncStatus is what a pass asks of a mailbox's status: what unchanged
// and reselect compare, and the unseen count.
func syncStatus(cn *conn) *imap.StatusOptions {
	return &imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true, NumUnseen: true,
		HighestModSeq: cn.has(imap.CapCondStore)}
}

// selectedStatus returns the status of mailbox name when it is the one
// selected on cn, read after a NOOP by a LIST of that name alone with
// LIST-STATUS (which, unlike STATUS, RFC 9051 allows for the selected
// mailbox), so that a pass can skip the mailbox or its SELECT; nil when
// that cannot be had.
func (e *Engine) selectedStatus(cn *conn, name string) (*imap.StatusData, error) {
	if cn.selected != name || !cn.has(imap.CapListStatus) || strings.ContainsAny(name, "*%") {
		return nil, nil
	}
	if err := cn.noop(); err != nil {
		return nil, err
	}
	opts := &imap.ListOptions{ReturnStatus: syncStatus(cn)}
	var list []*imap.ListData
	err := cn.do(func() error {
		var err error
		list, err = cn.c.List("", name, opts).Collect()
		return err
	})
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) {
			return nil, nil // then a SELECT will tell
		}
		return nil, err
	}
	for _, l := range list {
		if l.Mailbox == name {
			return l.Status, nil
		}
	}
	return nil, nil
}

// syncMailbox brings one mailbox's headers and flags up to date and
// removes what the server expunged. st is the server's status of it, read
// in this pass, or nil. Its steps: open the mailbox (openMailbox), skip it
// when nothing changed (skipUnchanged), compare UIDs (diffUIDs), update the
// flags of the stored messages and remove the expunged ones
// (updateStored), fetch the new ones (fetchNew), and record the state the
// next pass compares with.
func (e *Engine) syncMailbox(ctx context.Context, cn *conn, mb store.Mailbox, st *imap.StatusData) (fr FolderReport, err error) {
	start := time.Now()
	fr = FolderReport{Name: mb.Name, Role: mb.Role}
	defer func() { // on the named result: the returned report gets its time
		fr.Duration = time.Since(start)
		fr.Millis = fr.Duration.Milliseconds()
	}()
	sel, condstore, err := e.openMailbox(ctx, cn, &mb, st)
	if sel != nil {
		fr.ServerTotal = int(sel.NumMessages)
	}
	if sel == nil || err != nil {
		return fr, err
	}
	stored, err := e.st.CountStored(ctx, mb.ID)
	if err != nil {
		return fr, err
	}
	if skipped, err := e.skipUnchanged(ctx, cn, mb, sel, condstore, stored, &fr); skipped || err != nil {
		return fr, err
	}
	missing, removed, err := e.diffUIDs(ctx, cn, mb, sel, stored)
	if err != nil {
		return fr, err
	}
	if err := e.updateStored(ctx, cn, mb, condstore, stored, removed, &fr); err != nil {
		return fr, err
	}
	if err := e.fetchNew(ctx, cn, mb, missing, condstore, &fr); err != nil {
		return fr, err
	}
	err = e.st.SetSyncState(ctx, mb.ID, store.SyncState{
		UIDValidity: sel.UIDValidity, UIDNext: uint32(sel.UIDNext), ModSeq: sel.HighestModSeq, ServerTotal: int(sel.NumMessages),
	})
	if err != nil {
		return fr, err
	}
	fr.Stored, _ = e.st.CountMessages(ctx, mb.ID) // for the report only: 0 if unknown
	fr.Unread = e.unread(ctx, mb.ID)
	return fr, nil
}

// openMailbox selects mb on cn (or keeps it selected, see reselect) and
// reports whether CONDSTORE applies to it. When the server renumbered it
// (a new UIDVALIDITY), its stored messages are dropped and *mb is reset to
// sync it from scratch; *mb then has the server's UIDVALIDITY. A folder the
// server refuses to open is logged and gives a nil sel and no error: the
// pass goes on with the others.
func (e *Engine) openMailbox(ctx context.Context, cn *conn, mb *store.Mailbox, st *imap.StatusData) (sel *imap.SelectData, condstore bool, err error) {
	condstore = cn.has(imap.CapCondStore)
	sel = cn.reselect(mb.Name, st, condstore)
	if sel == nil {
		sel, err = cn.selectMailbox(mb.Name, condstore)
		if err != nil {
			var ie *imap.Error
			if errors.As(err, &ie) {
				// The folder vanished or cannot be opened: report, go on.
				e.opts.Logf("sync %s: select %q: %v", e.acct.ID, mb.Name, err)
				return nil, false, nil
			}
			return nil, false, err
		}
	}
	if sel.HighestModSeq == 0 {
		condstore = false
	}
	if mb.UIDValidity != 0 && sel.UIDValidity != mb.UIDValidity {
		e.opts.Logf("sync %s: %q UIDVALIDITY changed %d → %d: refetching", e.acct.ID, mb.Name, mb.UIDValidity, sel.UIDValidity)
		if err := e.st.ResetMailbox(ctx, mb.ID, sel.UIDValidity); err != nil {
			return sel, condstore, err
		}
		mb.UIDNext, mb.ModSeq = 0, 0
		e.opts.OnChange(Change{Kind: ChangeMessages, MailboxID: mb.ID})
	}
	if mb.UIDValidity == 0 {
		// Recorded before the first message is stored: a pass cut short
		// (killed) must not leave messages whose UIDVALIDITY the folder
		// does not have, which look-ups by UID would not find.
		if err := e.st.SetSyncState(ctx, mb.ID, store.SyncState{UIDValidity: sel.UIDValidity}); err != nil {
			return sel, condstore, err
		}
	}
	mb.UIDValidity = sel.UIDValidity
	return sel, condstore, nil
}

// skipUnchanged finishes fr and reports true when mb, of which stored
// messages are in the store, has neither new nor expunged messages on the
// server: with CONDSTORE and an unchanged HIGHESTMODSEQ nothing is asked;
// without CONDSTORE only the flags are compared (one UID FETCH of FLAGS).
func (e *Engine) skipUnchanged(ctx context.Context, cn *conn, mb store.Mailbox, sel *imap.SelectData, condstore bool, stored int, fr *FolderReport) (bool, error) {
	if mb.UIDNext == 0 || uint32(sel.UIDNext) != mb.UIDNext || stored != int(sel.NumMessages) {
		return false, nil
	}
	if condstore {
		if sel.HighestModSeq != mb.ModSeq {
			return false, nil
		}
		fr.Skipped, fr.Stored = true, stored
		fr.Unread = e.unread(ctx, mb.ID)
		return true, nil
	}
	// Nothing new nor expunged, but without CONDSTORE only the flags
	// themselves can say whether another client changed them.
	n, err := e.syncFlags(ctx, cn, mb, false)
	if err != nil {
		return true, err
	}
	if n > 0 {
		e.opts.OnChange(Change{Kind: ChangeMessages, MailboxID: mb.ID})
	}
	if int(sel.NumMessages) != mb.ServerTotal { // our own replay expunged
		err := e.st.SetSyncState(ctx, mb.ID, store.SyncState{
			UIDValidity: sel.UIDValidity, UIDNext: uint32(sel.UIDNext), ServerTotal: int(sel.NumMessages)})
		if err != nil {
			return true, err
		}
	}
	fr.FlagUpdates, fr.Skipped = n, n == 0
	fr.Stored, _ = e.st.CountMessages(ctx, mb.ID) // for the report only: 0 if unknown
	fr.Unread = e.unread(ctx, mb.ID)
	return true, nil
}

// updateStored brings the stored messages of mb (stored of them) up to
// date before the new ones are fetched: their flags, then the removal of
// those the server expunged (removed).
func (e *Engine) updateStored(ctx context.Context, cn *conn, mb store.Mailbox, condstore bool, stored int, removed []uint32, fr *FolderReport) error {
	if stored > len(removed) {
		n, err := e.syncFlags(ctx, cn, mb, condstore)
		if err != nil {
			return err
		}
		fr.FlagUpdates = n
	}
	if len(removed) > 0 {
		if err := e.st.DeleteUIDs(ctx, mb.ID, mb.UIDValidity, removed); err != nil {
			return err
		}
		fr.Removed = len(removed)
	}
	if fr.FlagUpdates > 0 || fr.Removed > 0 {
		e.opts.OnChange(Change{Kind: ChangeMessages, MailboxID: mb.ID})
	}
	return nil
}

// fetchNew fetches the headers of the messages of mb the store lacks
// (missing), newest first, in batches; each batch is stored while the next
// is fetched. The messages from the last UIDNEXT on that this pass adds to
// the store are announced as new mail: one the idle connection stored
// meanwhile was announced by it.
func (e *Engine) fetchNew(ctx context.Context, cn *conn, mb store.Mailbox, missing []imap.UID, condstore bool, fr *FolderReport) error {
	slices.SortFunc(missing, func(a, b imap.UID) int { return int(b) - int(a) })
	newMail := 0 // written by the writer goroutine, read after its close
	w := startWriter(2, func(msgs []store.Message) error {
		added, err := e.st.PutMessagesAdded(ctx, e.acct.ID, mb.ID, msgs)
		if err != nil {
			return err
		}
		for _, u := range added {
			if mb.UIDNext != 0 && u >= mb.UIDNext {
				newMail++
			}
		}
		e.opts.OnChange(Change{Kind: ChangeMessages, MailboxID: mb.ID})
		return nil
	})
	for i := 0; i < len(missing); i += e.opts.BatchSize {
		batch := missing[i:min(i+e.opts.BatchSize, len(missing))]
		e.setStatus(Status{State: StateSyncing, Folder: mb.Name, Done: i, Total: len(missing)})
		msgs, err := e.fetchHeaders(cn, mb, batch, condstore)
		if err != nil {
			w.close()
			return err
		}
		fr.New += len(msgs)
		if err := w.put(msgs); err != nil { // msgs belongs to the writer now
			w.close()
			return err
		}
	}
	if err := w.close(); err != nil {
		return err
	}
	if newMail > 0 {
		e.opts.OnChange(Change{Kind: ChangeNewMail, MailboxID: mb.ID, Count: newMail})
	}
	return nil
}

func (e *Engine) unread(ctx context.Context, id int64) int {
	b, err := e.st.Mailbox(ctx, id)
	if err != nil {
		return 0
	}
	return b.Unread
}

// diffUIDs works out which server UIDs the store lacks and which stored
// UIDs the server expunged. After a completed sync, the UIDs from the last
// UIDNEXT on are the new ones, and when they account for the whole count
// nothing was expunged: no need to compare every UID.
func (e *Engine) diffUIDs(ctx context.Context, cn *conn, mb store.Mailbox, sel *imap.SelectData, stored int) (missing []imap.UID, removed []uint32, err error) {
	search := func(criteria *imap.SearchCriteria) ([]imap.UID, error) {
		var uids []imap.UID
		err := cn.do(func() error {
			data, err := cn.c.UIDSearch(criteria, nil).Wait()
			if err == nil {
				uids = data.AllUIDs()
			}
			return err
		})
		return uids, err
	}
	if sel.NumMessages == 0 {
		uids, err := e.st.UIDs(ctx, mb.ID, mb.UIDValidity)
		return nil, uids, err
	}
	if mb.UIDNext != 0 {
		var fresh []imap.UID
		if uint32(sel.UIDNext) > mb.UIDNext {
			var set imap.UIDSet
			set.AddRange(imap.UID(mb.UIDNext), 0)
			uids, err := search(&imap.SearchCriteria{UID: []imap.UIDSet{set}})
			if err != nil {
				return nil, nil, err
			}
			for _, u := range uids { // "n:*" also matches the last UID when it is below n
				if uint32(u) >= mb.UIDNext {
					fresh = append(fresh, u)
				}
			}
		}
		// Rows from UIDNEXT on may be stored already (the idle
		// connection's head start): they count among the fresh ones, and
		// one the server no longer has is removed.
		ahead, err := e.st.UIDsFrom(ctx, mb.ID, mb.UIDValidity, mb.UIDNext)
		if err != nil {
			return nil, nil, err
		}
		if stored-len(ahead)+len(fresh) == int(sel.NumMessages) {
			onServer := make(map[uint32]bool, len(fresh))
			for _, u := range fresh {
				onServer[uint32(u)] = true
			}
			for _, u := range ahead {
				if !onServer[u] {
					removed = append(removed, u)
				}
			}
			return fresh, removed, nil
		}
	}
	serverUIDs, err := search(&imap.SearchCriteria{})
	if err != nil {
		return nil, nil, err
	}
	storedUIDs, err := e.st.UIDs(ctx, mb.ID, mb.UIDValidity)
	if err != nil {
		return nil, nil, err
	}
	have := make(map[uint32]bool, len(storedUIDs))
	for _, u := range storedUIDs {
		have[u] = true
	}
	onServer := make(map[uint32]bool, len(serverUIDs))
	for _, u := range serverUIDs {
		onServer[uint32(u)] = true
		if !have[uint32(u)] {
			missing = append(missing, u)
		}
	}
	for _, u := range storedUIDs {
		if !onServer[u] {
			removed = append(removed, u)
		}
	}
	return missing, removed, nil
}

// syncFlags fetches flags of the stored messages: only what changed since
// the last HIGHESTMODSEQ with CONDSTORE, else all of them.
func (e *Engine) syncFlags(ctx context.Context, cn *conn, mb store.Mailbox, condstore bool) (int, error) {
	// After a completed sync everything below the old UIDNEXT is stored;
	// after an interrupted one, ask only for what is stored.
	var set imap.UIDSet
	if mb.UIDNext > 1 {
		set.AddRange(1, imap.UID(mb.UIDNext-1))
	} else {
		uids, err := e.st.UIDs(ctx, mb.ID, mb.UIDValidity)
		if err != nil || len(uids) == 0 {
			return 0, err
		}
		for _, u := range uids {
			set.AddNum(imap.UID(u))
		}
	}
	opts := &imap.FetchOptions{UID: true, Flags: true}
	if condstore && mb.ModSeq > 0 {
		opts.ModSeq = true
		opts.ChangedSince = mb.ModSeq
	}
	var ups []store.FlagUpdate
	err := cn.fetch(set, opts, func(buf *imapclient.FetchMessageBuffer) error {
		ups = append(ups, store.FlagUpdate{UID: uint32(buf.UID), Flags: flagStrings(buf.Flags), ModSeq: buf.ModSeq})
		return nil
	})
	if err != nil {
		return 0, err
	}
	return e.st.UpdateFlags(ctx, mb.ID, mb.UIDValidity, ups)
}

// listSection is the raw header fields the list, threading and search
// take (subject, addresses, date, message IDs), decoded by
// message.ParseListHeader exactly as the reader decodes them. It stands in
// for the server's ENVELOPE, which go-imap decodes itself, reading a UTF-8
// encoded word byte for byte: one stray byte then turned the whole subject
// into mojibake in the list while the reader showed it right.
var listSection = &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: message.ListHeaderFields(), Peek: true}

// headerItems is what a header sync fetches of each message.
func headerItems(condstore bool) *imap.FetchOptions {
	return &imap.FetchOptions{
		UID: true, Flags: true, InternalDate: true, RFC822Size: true,
		BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
		BodySection:   []*imap.FetchItemBodySection{listSection},
		ModSeq:        condstore,
	}
}

// fetchHeaders fetches what the message list needs for uids.
func (e *Engine) fetchHeaders(cn *conn, mb store.Mailbox, uids []imap.UID, condstore bool) ([]store.Message, error) {
	opts := headerItems(condstore)
	msgs := make([]store.Message, 0, len(uids))
	err := cn.fetch(imap.UIDSetNum(uids...), opts, func(buf *imapclient.FetchMessageBuffer) error {
		if buf.UID != 0 {
			msgs = append(msgs, toStoreMessage(e.acct.ID, mb, buf))
		}
		return nil
	})
	return msgs, err
}

func toStoreMessage(account string, mb store.Mailbox, buf *imapclient.FetchMessageBuffer) store.Message {
	m := store.Message{
		Account: account, MailboxID: mb.ID, UIDValidity: mb.UIDValidity, UID: uint32(buf.UID), ModSeq: buf.ModSeq,
		Flags: flagStrings(buf.Flags), InternalDate: buf.InternalDate, Size: buf.RFC822Size,
	}
	if raw := buf.FindBodySection(listSection); raw != nil {
		l := message.ParseListHeader(raw)
		m.Subject, m.Date, m.MessageID, m.InReplyTo, m.References = l.Subject, l.Date, l.MessageID, l.InReplyTo, l.References
		m.From, m.To, m.Cc, m.ReplyTo = storeAddrs(l.From), storeAddrs(l.To), storeAddrs(l.Cc), storeAddrs(l.ReplyTo)
	}
	if m.Date.IsZero() {
		m.Date = m.InternalDate
	}
	if buf.BodyStructure != nil {
		m.HasAttachments = hasAttachments(buf.BodyStructure)
	}
	return m
}

// flagStrings returns flags as stored, without \Recent: that flag belongs
// to one IMAP session (the first to see a message), so it says nothing
// about the message to the user and is stale at the next session.
func flagStrings(flags []imap.Flag) []string {
	out := make([]string, 0, len(flags))
	for _, f := range flags {
		if !strings.EqualFold(string(f), `\Recent`) {
			out = append(out, string(f))
		}
	}
	return out
}

// hasAttachments reports whether a body structure has a part a user would
// call an attachment: a disposition of attachment, or a named non-text part.
// It looks no deeper than imapguard.MaxNesting levels, and keeps no path: go-imap's
// Walk copies the path at every level, which costs memory quadratic in the
// depth.
func hasAttachments(bs imap.BodyStructure) bool { return attachmentIn(bs, 0) }

func attachmentIn(bs imap.BodyStructure, depth int) bool {
	if depth > imapguard.MaxNesting {
		return false
	}
	switch p := bs.(type) {
	case *imap.BodyStructureMultiPart:
		for _, c := range p.Children {
			if attachmentIn(c, depth+1) {
				return true
			}
		}
	case *imap.BodyStructureSinglePart:
		d := p.Disposition()
		if d != nil && strings.EqualFold(d.Value, "attachment") {
			return true
		}
		return p.Filename() != "" && !strings.EqualFold(p.Type, "text") && (d == nil || !strings.EqualFold(d.Value, "inline"))
	}
	return false
}

// storeAddrs converts decoded addresses to the store's.
func storeAddrs(in []message.Address) []store.Address {
	var out []store.Address
	for _, a := range in {
		out = append(out, store.Address{Name: a.Name, Email: a.Email})
	}
	return out
}
