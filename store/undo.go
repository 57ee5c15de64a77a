package store

import (
	"context"
	"database/sql"
	"time"
)

// Undone says what UndoHide did.
type Undone int

const (
	// UndoneNothing: no move or delete of the message is pending (the
	// engine has replayed it); nothing changed.
	UndoneNothing Undone = iota
	// UndoneCancelled: a pending delete was dropped and the message shown
	// again.
	UndoneCancelled
	// UndoneShown: the message is shown again where it was, but its
	// pending move stays queued, because the engine may be replaying it at
	// this moment: the caller queues the move back (QueueMoveBack).
	UndoneShown
)

// UndoHide takes back, locally, the move or delete of message id that waits
// for replay, in one transaction; see Undone for what it did. A pending
// delete is dropped: an engine that read it just before still deletes the
// message, which then leaves the list again.
func (db *DB) UndoHide(ctx context.Context, id int64) (Undone, error) {
	var done Undone
	err := db.write(ctx, func(tx *sql.Tx) error {
		done = UndoneNothing
		m, err := scanMessage(tx.QueryRow(`SELECT `+messageCols+` FROM messages WHERE id = ?`, id))
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		var actID int64
		var kind string
		err = tx.QueryRow(`SELECT id, kind FROM pending_actions WHERE mailbox_id = ? AND kind IN (?, ?)
				AND ((uidvalidity = ? AND uid = ?) OR (uidvalidity = 0 AND message_id = ? AND message_id != ''))
			ORDER BY id DESC LIMIT 1`,
			m.MailboxID, ActionMove, ActionExpunge, m.UIDValidity, m.UID, m.MessageID).Scan(&actID, &kind)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		done = UndoneShown
		if kind == ActionExpunge {
			done = UndoneCancelled
			if _, err := tx.Exec(`DELETE FROM pending_actions WHERE id = ?`, actID); err != nil {
				return err
			}
		}
		_, err = tx.Exec(`UPDATE messages SET hidden = 0 WHERE id = ?`, id)
		return err
	})
	return done, err
}

// QueueMoveBack records a move, for replay, of the message whose
// Message-ID is msgID from mailbox from to mailbox to (both of account).
// It is for a message the engine has moved into from already, whose UID
// there the store may not know yet: when from's copy is stored it is hidden
// and the action keyed by its UID; otherwise the action carries UIDVALIDITY
// 0, which no mailbox has, so that replay finds the message by its
// Message-ID (see the engine's retarget).
func (db *DB) QueueMoveBack(ctx context.Context, account string, from, to int64, msgID string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		var name string
		if err := tx.QueryRow(`SELECT name FROM mailboxes WHERE id = ? AND account = ?`, to, account).Scan(&name); err != nil {
			if err == sql.ErrNoRows {
				return ErrNotFound
			}
			return err
		}
		var id int64
		var uidValidity, uid uint32
		err := tx.QueryRow(`SELECT id, uidvalidity, uid FROM messages WHERE mailbox_id = ? AND message_id = ? AND hidden = 0 ORDER BY uid DESC LIMIT 1`,
			from, msgID).Scan(&id, &uidValidity, &uid)
		switch {
		case err == sql.ErrNoRows:
		case err != nil:
			return err
		default:
			if _, err := tx.Exec(`UPDATE messages SET hidden = 1 WHERE id = ?`, id); err != nil {
				return err
			}
		}
		_, err = tx.Exec(`INSERT INTO pending_actions (account, mailbox_id, uidvalidity, uid, kind, arg, created, message_id) VALUES (?,?,?,?,?,?,?,?)`,
			account, from, uidValidity, uid, ActionMove, name, time.Now().Unix(), msgID)
		return err
	})
}

// actionKeyTx returns the UIDVALIDITY and Message-ID under which an action
// made now on message m is recorded. As a rule that is m's own UIDVALIDITY
// (with m's UID) and no Message-ID. A message shown again by UndoHide while
// its move still waits for replay is different: the engine will move it
// away and back, and the server will give the copy that comes back a new
// UID. An action on it is then recorded under UIDVALIDITY 0, which no
// mailbox has, with its Message-ID, so that replay, coming after the move
// back, finds the copy that came back by Message-ID (the engine's
// retarget) instead of acting on a UID the server no longer has.
func actionKeyTx(tx *sql.Tx, m Message) (uidValidity uint32, msgID string, err error) {
	if m.MessageID == "" {
		return m.UIDValidity, "", nil
	}
	var n int
	err = tx.QueryRow(`SELECT count(*) FROM pending_actions WHERE mailbox_id = ? AND kind IN (?, ?)
			AND ((uidvalidity = ? AND uid = ?) OR (uidvalidity = 0 AND message_id = ?))
			AND EXISTS (SELECT 1 FROM messages WHERE id = ? AND hidden = 0)`,
		m.MailboxID, ActionMove, ActionExpunge, m.UIDValidity, m.UID, m.MessageID, m.ID).Scan(&n)
	if err != nil || n == 0 {
		return m.UIDValidity, "", err
	}
	return 0, m.MessageID, nil
}
