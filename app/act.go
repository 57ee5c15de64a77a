package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/ternmail/tern/store"
	"github.com/ternmail/tern/sync/imapsync"
)

// ActKind is what Act does to the messages it names.
type ActKind string

// The kinds of ActRequest.
const (
	ActRead    ActKind = "read"    // mark read (\Seen)
	ActUnread  ActKind = "unread"  // mark unread
	ActStar    ActKind = "star"    // star (\Flagged)
	ActUnstar  ActKind = "unstar"  // take the star away
	ActMove    ActKind = "move"    // move to ActRequest.To
	ActArchive ActKind = "archive" // move to the account's Archive folder
	ActDelete  ActKind = "delete"  // move to Trash, or delete for good from Trash
)

// ActRequest names messages by folder and UID, the way the command line
// does, and what to do to them.
type ActRequest struct {
	Account string
	// Folder is the messages' folder, as FindMailbox takes it.
	Folder string
	UIDs   []uint32
	Kind   ActKind
	// To is the target folder of ActMove, as FindMailbox takes it.
	To string
}

// Act applies req to each message it names through the pending-action
// queue, as the window's actions do: locally at once, on the server at the
// engine's next pass (ReplayNow runs one). Everything is checked before
// anything changes: an unknown folder, a UID the store does not hold (or
// holds hidden, moved or deleted already), or a move to the same folder is
// an error and changes nothing. It returns how many messages changed (a
// message that is read already is not marked read again).
func (c *Core) Act(ctx context.Context, req ActRequest) (int, error) {
	if len(req.UIDs) == 0 {
		return 0, errors.New("no UID given")
	}
	if _, ok := c.Account(req.Account); !ok {
		return 0, fmt.Errorf("no account %q", req.Account)
	}
	mb, err := c.FindMailbox(ctx, req.Account, req.Folder)
	if err != nil {
		return 0, err
	}
	var target store.Mailbox
	switch req.Kind {
	case ActRead, ActUnread, ActStar, ActUnstar, ActDelete:
	case ActMove:
		if target, err = c.FindMailbox(ctx, req.Account, req.To); err != nil {
			return 0, err
		}
		if target.ID == mb.ID {
			return 0, fmt.Errorf("the messages are in %s already", mb.Path())
		}
	case ActArchive:
		if target, err = c.store.MailboxByRole(ctx, req.Account, store.RoleArchive); errors.Is(err, store.ErrNotFound) {
			return 0, errors.New("this account has no Archive folder")
		} else if err != nil {
			return 0, err
		}
	default:
		return 0, fmt.Errorf("unknown action %q", req.Kind)
	}
	msgs, err := c.messagesByUID(ctx, mb, req.UIDs)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range msgs {
		changed := true
		switch req.Kind {
		case ActRead, ActUnread:
			on := req.Kind == ActRead
			changed = hasFlagFold(m.Flags, store.FlagSeen) != on
			err = c.SetSeen(ctx, m.ID, on)
		case ActStar, ActUnstar:
			on := req.Kind == ActStar
			changed = hasFlagFold(m.Flags, store.FlagFlagged) != on
			err = c.SetFlagged(ctx, m.ID, on)
		case ActMove:
			err = c.MoveMessage(ctx, m.ID, target.ID)
		case ActArchive:
			changed = target.ID != m.MailboxID
			if changed {
				err = c.MoveMessage(ctx, m.ID, target.ID)
			}
		case ActDelete:
			err = c.Delete(ctx, m.ID)
		}
		if err != nil {
			return n, fmt.Errorf("UID %d: %w", m.UID, err)
		}
		if changed {
			n++
		}
	}
	return n, nil
}

// messagesByUID returns the messages of mb with uids, in that order, or
// an error naming the UIDs the folder does not show: not stored, or hidden
// while a move or delete of them waits for the server.
func (c *Core) messagesByUID(ctx context.Context, mb store.Mailbox, uids []uint32) ([]store.Message, error) {
	pending, err := c.store.PendingActions(ctx, mb.Account)
	if err != nil {
		return nil, err
	}
	gone := map[uint32]bool{}
	for _, a := range pending {
		if a.MailboxID == mb.ID && a.UIDValidity == mb.UIDValidity && (a.Kind == store.ActionMove || a.Kind == store.ActionExpunge) {
			gone[a.UID] = true
		}
	}
	var msgs []store.Message
	var missing []string
	seen := map[uint32]bool{}
	for _, uid := range uids {
		if seen[uid] {
			continue
		}
		seen[uid] = true
		m, err := c.store.MessageByUID(ctx, mb.ID, mb.UIDValidity, uid)
		if errors.Is(err, store.ErrNotFound) || (err == nil && gone[uid]) {
			missing = append(missing, fmt.Sprint(uid))
			continue
		}
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	if len(missing) > 0 {
		what := "no message with UID"
		if len(missing) > 1 {
			what = "no messages with UIDs"
		}
		return nil, fmt.Errorf("%s %s in %s (see tern list %s)", what, strings.Join(missing, ", "), mb.Path(), mb.Path())
	}
	return msgs, nil
}

func hasFlagFold(flags []string, flag string) bool {
	for _, f := range flags {
		if strings.EqualFold(f, flag) {
			return true
		}
	}
	return false
}

// Replay is what ReplayNow did.
type Replay struct {
	// Report is the sync pass's report; nil when it could not connect.
	Report *imapsync.Report
	// Failed are the actions the server refused during the pass; each was
	// reverted locally.
	Failed []ActionFailed
	// Pending is how many actions of the account still wait for the
	// server after the pass.
	Pending int
}

// ReplayNow connects to account's IMAP server and runs one full sync pass
// that sends the queued actions first, without fetching bodies. err is the
// pass's error (an accounts.ConnectError when the server cannot be
// reached); the returned Replay is set either way. It is for the command
// line, which exits after it: it must not run while Start runs the
// account's engine.
func (c *Core) ReplayNow(ctx context.Context, account string) (*Replay, error) {
	a, ok := c.Account(account)
	if !ok {
		return nil, fmt.Errorf("no account %q", account)
	}
	r := &Replay{}
	var mu sync.Mutex
	o := c.syncOptions()
	o.BodiesPerPass = -1
	o.Password = func(ctx context.Context) (string, error) { return c.password(ctx, account, "imap") }
	o.OnStatus = func(st imapsync.Status) { c.bus.Publish(StatusChanged{Account: account, Status: st}) }
	o.OnChange = func(ch imapsync.Change) {
		if ch.Kind == imapsync.ChangeActionFailed {
			mu.Lock()
			r.Failed = append(r.Failed, ActionFailed{Account: account, Message: ch.Message, Err: ch.Err})
			mu.Unlock()
		}
		c.publishChange(account, ch)
	}
	rep, err := imapsync.New(c.store, a, o).SyncOnce(ctx)
	pending, perr := c.store.PendingActions(context.WithoutCancel(ctx), account)
	if perr != nil && err == nil {
		err = perr
	}
	mu.Lock()
	defer mu.Unlock()
	r.Report, r.Pending = rep, len(pending)
	return r, err
}
