package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/ternmail/tern/store"
)

// ErrGone says a message cannot be brought back: it was deleted for good on
// the server, or moved without a Message-ID to find it by.
var ErrGone = errors.New("the message cannot be brought back")

// Undo takes step back, locally at once where it can and on the server
// through the action queue:
//
//   - a flag change is reversed (a change queued after the first one);
//   - a move, whether or not the engine has replayed it yet, is answered
//     by a move back keyed by the message's Message-ID, because the server
//     gives the message a new UID in the folder it went to; a move still
//     pending shows the message again at once (its row leaves and comes
//     back when the engine replays the two), one already replayed when the
//     engine has moved it back and synced its folder. An action on a row
//     shown again at once is keyed by the message's Message-ID, so that it
//     reaches the copy the move back brings under a new UID;
//   - a delete for good still pending is cancelled; one replayed cannot be
//     undone.
//
// It returns an error wrapping ErrGone when some message could not be
// brought back; the others are.
func (c *Core) Undo(ctx context.Context, step *Step) error {
	if !step.Undoable() {
		return errors.New("there is nothing to undo")
	}
	var flags []store.Change
	gone := 0
	for _, it := range step.items {
		switch it.change.Kind {
		case store.ActionAddFlag, store.ActionRemoveFlag:
			flags = append(flags, store.Change{ID: it.before.ID, Kind: flagKind(it.before.HasFlag(it.change.Flag)), Flag: it.change.Flag})
		case store.ActionMove, store.ActionExpunge:
			done, err := c.store.UndoHide(ctx, it.before.ID)
			if err != nil {
				return err
			}
			if done == store.UndoneCancelled {
				continue
			}
			if it.change.Kind == store.ActionExpunge || it.before.MessageID == "" {
				gone++
				continue
			}
			if err := c.store.QueueMoveBack(ctx, it.before.Account, it.change.Target, it.before.MailboxID, it.before.MessageID); err != nil {
				return err
			}
		}
	}
	if len(flags) > 0 {
		if _, err := c.store.ApplyChanges(ctx, flags); err != nil {
			return err
		}
	}
	c.changed(step.items)
	if gone > 0 {
		return fmt.Errorf("%d of %d messages: %w", gone, step.Count, ErrGone)
	}
	return nil
}
