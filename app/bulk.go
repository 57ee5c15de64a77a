package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/ternmail/tern/store"
)

// Act is what Core.Act does to a set of messages.
type Act int

// The acts on messages.
const (
	ActRead    Act = iota // mark read
	ActUnread             // mark unread
	ActStar               // star (\Flagged)
	ActUnstar             // unstar
	ActMove               // move to a folder
	ActCopy               // copy to a folder
	ActArchive            // move to the account's Archive folder
	ActDelete             // move to Trash, or delete for good in Trash
	ActJunk               // move to the account's Junk folder
	ActNotJunk            // move from Junk to the Inbox
)

// Step is one act on one or more messages as it was done, for Core.Undo
// and for telling the user what happened. A Step is not modified once
// returned and may be shared between goroutines.
type Step struct {
	// Act is what was done.
	Act Act
	// Target is the folder messages were moved or copied to (for
	// ActArchive, ActJunk and ActNotJunk, that of the first message; for
	// ActDelete, the Trash, if any message went there); zero for flags.
	Target Mailbox
	// Count is how many messages changed.
	Count int

	items []stepItem
}

// stepItem is one message's part of a Step: the message as it was before
// and the change made to it.
type stepItem struct {
	before Message
	change store.Change
}

// Undoable reports whether Core.Undo can take s back: flag changes, moves
// and deletes can; copies cannot.
func (s *Step) Undoable() bool { return s != nil && s.Count > 0 && s.Act != ActCopy }

// String says what s did, for a toast: "Moved 12 messages to Receipts".
func (s *Step) String() string {
	n := "1 message"
	if s.Count != 1 {
		n = fmt.Sprintf("%d messages", s.Count)
	}
	name := s.Target.Name
	switch s.Act {
	case ActRead:
		return "Marked " + n + " as read"
	case ActUnread:
		return "Marked " + n + " as unread"
	case ActStar:
		return "Starred " + n
	case ActUnstar:
		return "Unstarred " + n
	case ActMove:
		return "Moved " + n + " to " + name
	case ActCopy:
		return "Copied " + n + " to " + name
	case ActArchive:
		return "Archived " + n
	case ActDelete:
		return "Deleted " + n
	case ActJunk:
		return "Marked " + n + " as junk"
	case ActNotJunk:
		return "Marked " + n + " as not junk"
	}
	return "Changed " + n
}

// Act does act to the messages ids (for ActMove and ActCopy, into the
// folder target of their account) locally at once, in one store
// transaction, and queues the changes for the server. Messages that already
// are as act wants them are left out of the returned Step; an error
// changes nothing.
func (c *Core) Act(ctx context.Context, ids []int64, act Act, target int64) (*Step, error) {
	changes := make([]store.Change, 0, len(ids))
	roles := map[string]Mailbox{} // account + role → folder
	roleBox := func(account string, role Role) (Mailbox, error) {
		key := account + "\x00" + string(role)
		if b, ok := roles[key]; ok {
			return b, nil
		}
		b, err := c.store.MailboxByRole(ctx, account, role)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return b, err
		}
		roles[key] = b
		return b, nil
	}
	step := &Step{Act: act}
	if target != 0 {
		b, err := c.store.Mailbox(ctx, target)
		if err != nil {
			return nil, err
		}
		step.Target = b
	}
	for _, id := range ids {
		m, err := c.store.Message(ctx, id)
		if err != nil {
			return nil, err
		}
		ch := store.Change{ID: id}
		switch act {
		case ActRead, ActUnread:
			ch.Kind, ch.Flag = flagKind(act == ActRead), FlagSeen
		case ActStar, ActUnstar:
			ch.Kind, ch.Flag = flagKind(act == ActStar), FlagFlagged
		case ActMove, ActCopy:
			if target == m.MailboxID {
				continue
			}
			ch.Kind, ch.Target = store.ActionMove, target
			if act == ActCopy {
				ch.Kind = store.ActionCopy
			}
		case ActArchive, ActJunk, ActNotJunk:
			role, what := RoleArchive, "an Archive folder"
			if act == ActJunk {
				role, what = RoleJunk, "a Junk folder"
			} else if act == ActNotJunk {
				role, what = RoleInbox, "an Inbox"
			}
			b, err := roleBox(m.Account, role)
			if err != nil {
				return nil, err
			}
			if b.ID == 0 {
				return nil, fmt.Errorf("this account has no %s", what)
			}
			if b.ID == m.MailboxID {
				continue
			}
			if act == ActNotJunk {
				junk, err := roleBox(m.Account, RoleJunk)
				if err != nil {
					return nil, err
				}
				if junk.ID != m.MailboxID {
					continue // only mail in Junk goes back to the Inbox
				}
			}
			ch.Kind, ch.Target = store.ActionMove, b.ID
			if step.Target.ID == 0 {
				step.Target = b
			}
		case ActDelete:
			trash, err := roleBox(m.Account, RoleTrash)
			if err != nil {
				return nil, err
			}
			if trash.ID == 0 || trash.ID == m.MailboxID {
				ch.Kind = store.ActionExpunge
			} else {
				ch.Kind, ch.Target = store.ActionMove, trash.ID
				if step.Target.ID == 0 {
					step.Target = trash
				}
			}
		default:
			return nil, fmt.Errorf("app: unknown act %d", act)
		}
		changes = append(changes, ch)
	}
	before, err := c.store.ApplyChanges(ctx, changes)
	if err != nil {
		return nil, err
	}
	// ApplyChanges leaves out the flag changes that changed nothing; the
	// rest come back in order.
	byID := make(map[int64]store.Change, len(changes))
	for _, ch := range changes {
		byID[ch.ID] = ch
	}
	for _, m := range before {
		step.items = append(step.items, stepItem{before: m, change: byID[m.ID]})
	}
	step.Count = len(step.items)
	c.changed(step.items)
	return step, nil
}

func flagKind(on bool) string {
	if on {
		return store.ActionAddFlag
	}
	return store.ActionRemoveFlag
}

// changed tells the subscribers which folders items touched and wakes
// their accounts' engines.
func (c *Core) changed(items []stepItem) {
	type box struct {
		account string
		id      int64
	}
	seen := map[box]bool{}
	accts := map[string]bool{}
	for _, it := range items {
		for _, id := range []int64{it.before.MailboxID, it.change.Target} {
			b := box{it.before.Account, id}
			if id == 0 || seen[b] {
				continue
			}
			seen[b] = true
			c.bus.Publish(MessagesChanged{Account: b.account, MailboxID: id})
		}
		accts[it.before.Account] = true
	}
	for a := range accts {
		c.bus.Publish(MailboxesChanged{Account: a})
		c.mu.Lock()
		run, ok := c.engines[a]
		c.mu.Unlock()
		if ok {
			run.engine.Kick()
		}
	}
}
