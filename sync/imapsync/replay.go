package imapsync

import (
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2"

	"github.com/ternmail/tern/store"
)

// replay sends pending local actions to the server, in order, then files
// sent mail in the Sent folder.
func (e *Engine) replay(ctx context.Context, cn *conn) (int, error) {
	n, err := e.replayActions(ctx, cn)
	if err != nil {
		return n, err
	}
	m, err := e.replayFolderless(ctx, cn)
	return n + m, err
}

// replayFolderless files what waits for the folder list: copies of sent
// mail and drafts.
func (e *Engine) replayFolderless(ctx context.Context, cn *conn) (int, error) {
	m, err := e.replayAppends(ctx, cn)
	if err != nil {
		return m, err
	}
	d, err := e.replayDrafts(ctx, cn)
	return m + d, err
}

// FileSent connects and files the copies of sent mail that wait for the
// Sent folder, reading the folder list first when it was never read, and
// returns how many it filed. It is for the command line, which exits right
// after sending; like SyncOnce it must not run at the same time as Run.
func (e *Engine) FileSent(ctx context.Context) (int, error) {
	cn, err := e.connect(ctx)
	if err != nil {
		return 0, err
	}
	defer cn.close()
	e.passMu.Lock()
	defer e.passMu.Unlock()
	e.touched = map[string]bool{}
	if !e.foldersKnown(ctx) {
		if _, err := e.listMailboxes(ctx, cn); err != nil {
			return 0, err
		}
	}
	return e.replayAppends(ctx, cn)
}

// roleFolder returns the name of the account's folder for role (the
// user's override first, then the stored folder list). ok is false while
// no folder list has been read yet, when an empty name means "not known
// yet" rather than "the account has none".
func (e *Engine) roleFolder(ctx context.Context, role store.Role) (name string, ok bool) {
	name = e.acct.Folders[string(role)]
	if name == "" {
		if mb, err := e.st.MailboxByRole(ctx, e.acct.ID, role); err == nil {
			name = mb.Name
		}
	}
	return name, name != "" || e.foldersKnown(ctx)
}

// replayAppends APPENDs messages the outbox sent to the Sent folder.
func (e *Engine) replayAppends(ctx context.Context, cn *conn) (int, error) {
	apps, err := e.st.PendingAppends(ctx, e.acct.ID)
	if err != nil || len(apps) == 0 {
		return 0, err
	}
	sent, ok := e.roleFolder(ctx, store.RoleSent)
	if !ok {
		return 0, nil // before the first pass: kept for the next one
	}
	done := 0
	for _, a := range apps {
		if sent == "" {
			e.logStoreErr(a.ActionID, "give up", e.st.AppendFailed(ctx, a.ActionID, errors.New("the account has no Sent folder")))
			continue
		}
		raw, err := e.st.OutboxRaw(ctx, a.OutboxID)
		if err != nil {
			e.logStoreErr(a.ActionID, "give up", e.st.AppendFailed(ctx, a.ActionID, err))
			continue
		}
		if filed, err := e.sentCopyFiled(ctx, cn, sent, a.OutboxID); err != nil {
			return done, err
		} else if filed { // appended before a crash: no second copy
			e.logStoreErr(a.ActionID, "mark done", e.st.AppendDone(ctx, a.ActionID))
			continue
		}
		err = cn.do(func() error {
			cmd := cn.c.Append(sent, int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}})
			if _, err := cmd.Write(raw); err != nil {
				cmd.Close()
				return err
			}
			if err := cmd.Close(); err != nil {
				return err
			}
			_, err := cmd.Wait()
			return err
		})
		if err != nil {
			var ie *imap.Error
			if errors.As(err, &ie) {
				e.logStoreErr(a.ActionID, "give up", e.st.AppendFailed(ctx, a.ActionID, err))
				continue
			}
			e.logStoreErr(a.ActionID, "count a try", e.st.ActionRetry(ctx, a.ActionID, err))
			return done, err
		}
		if err := e.st.AppendDone(ctx, a.ActionID); err != nil {
			return done, err
		}
		e.touched[sent] = true
		done++
	}
	return done, nil
}

// MaxActionAttempts is how many times a pending action may be cut off by a
// broken connection before it counts as refused: reverted locally and
// reported. A refusal by the server (a NO or BAD) counts at once. An
// offline account does not count tries: actions are replayed only on a
// connection that logged in.
const MaxActionAttempts = 10

// replayActions replays the actions on stored messages, in order.
func (e *Engine) replayActions(ctx context.Context, cn *conn) (int, error) {
	acts, err := e.st.PendingActions(ctx, e.acct.ID)
	if err != nil || len(acts) == 0 {
		return 0, err
	}
	junk, _ := e.roleFolder(ctx, store.RoleJunk)
	done := 0
	for _, a := range acts {
		if a.Attempts >= MaxActionAttempts {
			// The connection has died during this action every time: give
			// it up rather than let it hold back the actions behind it.
			e.actionFailed(ctx, a, fmt.Errorf("gave up after %d tries (last: %s)", a.Attempts, a.LastError))
			continue
		}
		if cn.selected != a.Mailbox {
			if _, err := cn.selectMailbox(a.Mailbox, false); err != nil {
				if err := e.actionError(ctx, a, err, fmt.Sprintf("folder %q cannot be opened", a.Mailbox), false); err != nil {
					return done, err
				}
				continue
			}
		}
		if cn.selUIDValidity != a.UIDValidity {
			// The server renumbered the folder: find the message again.
			var ok bool
			a, ok, err = e.retarget(ctx, cn, a)
			if err != nil {
				if err := e.actionError(ctx, a, err, "", true); err != nil {
					return done, err
				}
				continue
			}
			if !ok {
				continue
			}
		}
		var expunged bool
		err := cn.do(func() error {
			var err error
			if err := junkKeywords(cn, a, junk); err != nil {
				return err
			}
			expunged, err = e.apply(cn, a)
			return err
		})
		if err != nil {
			if err := e.actionError(ctx, a, err, "", true); err != nil {
				return done, err
			}
			continue
		}
		if expunged {
			// Gone from the source; a move shows up in its target when
			// that is synced, in this pass. Without UIDPLUS the message
			// stays on the server marked \Deleted, and in the store
			// hidden, until some client expunges it.
			if err := e.st.DeleteUIDs(ctx, a.MailboxID, a.UIDValidity, []uint32{a.UID}); err != nil {
				return done, err
			}
		}
		if a.Kind == store.ActionMove || a.Kind == store.ActionCopy {
			e.touched[a.Arg] = true
		}
		if err := e.st.ActionDone(ctx, a.ID); err != nil {
			return done, err
		}
		done++
	}
	return done, nil
}

// actionError settles err from replaying action a. The server's refusal
// (an imap.Error) fails the action, which tells the user (after what, when
// given), and replay goes on: it returns nil. Anything else is the
// connection's and is returned, to end the pass; when counted, it counts as
// one of the action's tries (see MaxActionAttempts).
func (e *Engine) actionError(ctx context.Context, a store.Action, err error, what string, counted bool) error {
	var ie *imap.Error
	if errors.As(err, &ie) {
		if what != "" {
			err = fmt.Errorf("%s: %w", what, err)
		}
		e.actionFailed(ctx, a, err)
		return nil
	}
	if counted {
		e.logStoreErr(a.ID, "count a try", e.st.ActionRetry(ctx, a.ID, err))
	}
	return err
}

// logStoreErr logs err, the failure of a store write (what) that settles
// pending action id or counts one of its tries, unless it is nil or
// store.ErrNotFound (the action is gone already). Replay goes on as if the
// write had been made: the action stays pending, and the next pass settles
// it again the same way (an uncounted try only postpones MaxActionAttempts).
func (e *Engine) logStoreErr(id int64, what string, err error) {
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		e.opts.Logf("sync %s: action %d: %s: %v", e.acct.ID, id, what, err)
	}
}

// retarget finds the message of action a again after its mailbox (selected
// on cn) changed UIDVALIDITY, by Message-ID, and points a at its new UID.
// It reports false when the action was settled instead: a delete of a
// message that is gone is done; any other action on it failed and was
// reported.
func (e *Engine) retarget(ctx context.Context, cn *conn, a store.Action) (store.Action, bool, error) {
	if a.MessageID == "" {
		e.actionFailed(ctx, a, errors.New("the server renumbered the folder, and the message has no Message-ID to find it by"))
		return a, false, nil
	}
	var uid imap.UID
	err := cn.do(func() error {
		var err error
		uid, err = findByMessageID(cn, a.MessageID)
		return err
	})
	if err != nil {
		return a, false, err
	}
	if uid == 0 {
		if a.Kind == store.ActionExpunge {
			e.logStoreErr(a.ID, "mark done", e.st.ActionDone(ctx, a.ID))
		} else {
			e.actionFailed(ctx, a, errors.New("the message is no longer in the folder"))
		}
		return a, false, nil
	}
	e.opts.Logf("sync %s: %q renumbered: action %d now on UID %d", e.acct.ID, a.Mailbox, a.ID, uid)
	a, err = e.st.RetargetAction(ctx, a, cn.selUIDValidity, uint32(uid))
	return a, err == nil, err
}

// findByMessageID returns the lowest UID in the selected mailbox whose
// Message-ID is exactly id and which is not marked \Deleted (a copy moved
// away without UIDPLUS stays so), or 0. HEADER search matches substrings,
// so the candidates' envelopes are checked.
func findByMessageID(cn *conn, id string) (imap.UID, error) {
	data, err := cn.c.UIDSearch(&imap.SearchCriteria{
		Header:  []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}},
		NotFlag: []imap.Flag{imap.FlagDeleted},
	}, nil).Wait()
	if err != nil {
		return 0, err
	}
	uids := data.AllUIDs()
	if len(uids) == 0 {
		return 0, nil
	}
	if len(uids) > 100 {
		uids = uids[:100]
	}
	msgs, err := cn.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, Envelope: true}).Collect()
	if err != nil {
		return 0, err
	}
	var best imap.UID
	for _, m := range msgs {
		if m.Envelope != nil && m.Envelope.MessageID == id && (best == 0 || m.UID < best) {
			best = m.UID
		}
	}
	return best, nil
}

// apply performs one pending action on the selected mailbox and reports
// whether the message is gone from it (moved or expunged).
func (e *Engine) apply(cn *conn, a store.Action) (expunged bool, err error) {
	uids := imap.UIDSetNum(imap.UID(a.UID))
	switch a.Kind {
	case store.ActionAddFlag, store.ActionRemoveFlag:
		op := imap.StoreFlagsAdd
		if a.Kind == store.ActionRemoveFlag {
			op = imap.StoreFlagsDel
		}
		return false, cn.c.Store(uids, &imap.StoreFlags{Op: op, Silent: true, Flags: []imap.Flag{imap.Flag(a.Arg)}}, nil).Close()
	case store.ActionCopy:
		_, err := cn.c.Copy(uids, a.Arg).Wait()
		return false, err
	case store.ActionMove:
		if cn.has(imap.CapMove) || cn.has(imap.CapIMAP4rev2) {
			_, err := cn.c.Move(uids, a.Arg).Wait()
			return err == nil, err
		}
		// COPY, then STORE \Deleted and UID EXPUNGE where UIDPLUS allows
		// (never go-imap's fallback, which sends a bare EXPUNGE).
		if _, err := cn.c.Copy(uids, a.Arg).Wait(); err != nil {
			return false, err
		}
		return e.expungeUIDs(cn, uids)
	case store.ActionExpunge:
		return e.expungeUIDs(cn, uids)
	}
	return false, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "unknown local action " + a.Kind}
}

// expunge deletes exactly uids. Without UIDPLUS the message is only marked
// \Deleted: a bare EXPUNGE would also remove what others marked.
func (e *Engine) expunge(cn *conn, uids imap.UIDSet) error {
	_, err := e.expungeUIDs(cn, uids)
	return err
}

// expungeUIDs is expunge, and reports whether uids are gone from the
// server (false without UIDPLUS).
func (e *Engine) expungeUIDs(cn *conn, uids imap.UIDSet) (bool, error) {
	err := cn.c.Store(uids, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
	if err != nil {
		return false, err
	}
	if cn.has(imap.CapUIDPlus) || cn.has(imap.CapIMAP4rev2) {
		return true, cn.c.UIDExpunge(uids).Close()
	}
	return false, nil
}

// actionFailed gives action a up: the store reverts its local effect, and
// the subscribers hear why (cause) with the message as it is now.
func (e *Engine) actionFailed(ctx context.Context, a store.Action, cause error) {
	m, err := e.st.ActionFailed(ctx, a)
	if err != nil {
		e.opts.Logf("sync %s: revert action %d: %v", e.acct.ID, a.ID, err)
	}
	who := "the server refused to"
	if ie := (*imap.Error)(nil); !errors.As(cause, &ie) {
		who = "Tern could not"
	}
	what := "change " + a.Arg + " on"
	switch a.Kind {
	case store.ActionMove:
		what = "move to " + a.Arg
	case store.ActionCopy:
		what = "copy to " + a.Arg
	case store.ActionExpunge:
		what = "delete"
	}
	e.opts.OnChange(Change{Kind: ChangeActionFailed, MailboxID: a.MailboxID, Message: m,
		Err: fmt.Errorf("%s %s a message in %s: %w", who, what, a.Mailbox, cause)})
}
