package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Change is one local change to one message, for ApplyChanges: a pending
// action Kind (ActionAddFlag or ActionRemoveFlag with Flag, ActionMove or
// ActionCopy with Target, ActionExpunge) on message ID.
type Change struct {
	ID     int64
	Kind   string
	Flag   string
	Target int64
}

// ApplyChanges applies changes locally and records each as a pending
// action, in one transaction: all of them or none. A flag change a message
// already shows records nothing. It returns each changed message as it was
// before its change, in the order of changes.
func (db *DB) ApplyChanges(ctx context.Context, changes []Change) ([]Message, error) {
	var before []Message
	err := db.write(ctx, func(tx *sql.Tx) error {
		before = before[:0]
		for _, c := range changes {
			var m Message
			var err error
			switch c.Kind {
			case ActionAddFlag, ActionRemoveFlag:
				m, err = setFlagTx(tx, c.ID, c.Flag, c.Kind == ActionAddFlag)
				if err == nil && hasFlag(m.Flags, c.Flag) == (c.Kind == ActionAddFlag) {
					continue // nothing changed
				}
			case ActionMove, ActionCopy, ActionExpunge:
				m, err = hideTx(tx, c.ID, c.Kind, c.Target)
			default:
				err = fmt.Errorf("store: unknown change %q", c.Kind)
			}
			if err != nil {
				return fmt.Errorf("store: message %d: %w", c.ID, err)
			}
			before = append(before, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return before, nil
}
