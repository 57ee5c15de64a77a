package store

import (
	"context"
	"database/sql"
	"time"
)

// CancelHide takes back a move or delete of message id that waits for
// replay: the pending action is dropped and the message shown again, in
// one transaction. It reports false, changing nothing, when no such action
// is pending (the engine has replayed it, or there was none).
func (db *DB) CancelHide(ctx context.Context, id int64) (bool, error) {
	var found bool
	err := db.write(ctx, func(tx *sql.Tx) error {
		found = false
		m, err := scanMessage(tx.QueryRow(`SELECT `+messageCols+` FROM messages WHERE id = ?`, id))
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		res, err := tx.Exec(`DELETE FROM pending_actions WHERE id = (SELECT max(id) FROM pending_actions
			WHERE mailbox_id = ? AND uidvalidity = ? AND uid = ? AND kind IN (?, ?))`,
			m.MailboxID, m.UIDValidity, m.UID, ActionMove, ActionExpunge)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		found = true
		_, err = tx.Exec(`UPDATE messages SET hidden = 0 WHERE id = ?`, id)
		return err
	})
	return found, err
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
