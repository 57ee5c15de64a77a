package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Kinds of pending action.
const (
	ActionAddFlag    = "add-flag"    // Arg is the flag
	ActionRemoveFlag = "remove-flag" // Arg is the flag
	ActionMove       = "move"        // Arg is the target mailbox's name; the message is hidden meanwhile
	ActionCopy       = "copy"        // Arg is the target mailbox's name
	ActionExpunge    = "expunge"     // delete for good; the message is hidden meanwhile
)

// Action is a local change recorded for replay to the server, in order.
type Action struct {
	ID          int64
	Account     string
	MailboxID   int64
	Mailbox     string // the mailbox's server name
	UIDValidity uint32
	UID         uint32
	Kind        string
	Arg         string
	Created     time.Time
	Attempts    int
	LastError   string
	// MessageID is the message's Message-ID (without angle brackets), by
	// which replay finds it again after the mailbox's UIDVALIDITY changed;
	// "" if it has none.
	MessageID string
}

// SetFlag sets (on) or clears flag on message id locally and records the
// change as a pending action, in one transaction. Setting a flag the message
// already has records nothing. It returns the updated message.
func (db *DB) SetFlag(ctx context.Context, id int64, flag string, on bool) (Message, error) {
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := setFlagTx(tx, id, flag, on)
		return err
	})
	if err != nil {
		return Message{}, err
	}
	return db.Message(ctx, id)
}

// setFlagTx is SetFlag inside tx. It returns the message as it was before.
func setFlagTx(tx *sql.Tx, id int64, flag string, on bool) (Message, error) {
	m, err := scanMessage(tx.QueryRow(`SELECT `+messageCols+` FROM messages WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return m, ErrNotFound
	}
	if err != nil {
		return m, err
	}
	if hasFlag(m.Flags, flag) == on {
		return m, nil
	}
	kind := ActionAddFlag
	if !on {
		kind = ActionRemoveFlag
	}
	uidValidity, msgID, err := actionKeyTx(tx, m)
	if err != nil {
		return m, err
	}
	if err := applyFlag(tx, id, m.Flags, flag, on); err != nil {
		return m, err
	}
	_, err = tx.Exec(`INSERT INTO pending_actions (account, mailbox_id, uidvalidity, uid, kind, arg, created, message_id) VALUES (?,?,?,?,?,?,?,?)`,
		m.Account, m.MailboxID, uidValidity, m.UID, kind, flag, time.Now().Unix(), msgID)
	return m, err
}

func applyFlag(tx *sql.Tx, id int64, flags []string, flag string, on bool) error {
	var next []string
	for _, f := range flags {
		if f != flag && !(len(f) == len(flag) && hasFlag([]string{f}, flag)) {
			next = append(next, f)
		}
	}
	if on {
		next = append(next, flag)
	}
	_, err := tx.Exec(`UPDATE messages SET flags=?, seen=?, flagged=?, answered=?, draft=? WHERE id=?`,
		joinFlags(next), boolInt(hasFlag(next, FlagSeen)), boolInt(hasFlag(next, FlagFlagged)),
		boolInt(hasFlag(next, FlagAnswered)), boolInt(hasFlag(next, FlagDraft)), id)
	return err
}

// PendingActions returns the pending actions of account in the order they
// were made.
func (db *DB) PendingActions(ctx context.Context, account string) ([]Action, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT p.id, p.account, p.mailbox_id, mb.name, p.uidvalidity, p.uid, p.kind, p.arg, p.created, p.attempts, p.last_error,
			coalesce(nullif(p.message_id, ''), (SELECT m.message_id FROM messages m
				WHERE m.mailbox_id = p.mailbox_id AND m.uidvalidity = p.uidvalidity AND m.uid = p.uid), '')
		FROM pending_actions p JOIN mailboxes mb ON mb.id = p.mailbox_id WHERE p.account = ? ORDER BY p.id`, account)
	if err != nil {
		return nil, fmt.Errorf("store: pending actions: %w", err)
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var a Action
		var created int64
		if err := rows.Scan(&a.ID, &a.Account, &a.MailboxID, &a.Mailbox, &a.UIDValidity, &a.UID, &a.Kind, &a.Arg, &created, &a.Attempts, &a.LastError, &a.MessageID); err != nil {
			return nil, err
		}
		a.Created = fromUnix(created)
		out = append(out, a)
	}
	return out, rows.Err()
}

// ActionDone removes a pending action the server has applied.
func (db *DB) ActionDone(ctx context.Context, id int64) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM pending_actions WHERE id = ?`, id)
		return err
	})
}

// RetargetAction points pending action a, whose mailbox changed
// UIDVALIDITY, at the same message under its new uidValidity and uid, and
// gives the stored copy of that message (if already fetched again) the
// local effect the action had on the old one. It returns a as retargeted.
func (db *DB) RetargetAction(ctx context.Context, a Action, uidValidity, uid uint32) (Action, error) {
	err := db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE pending_actions SET uidvalidity = ?, uid = ?, message_id = ? WHERE id = ?`,
			uidValidity, uid, a.MessageID, a.ID); err != nil {
			return err
		}
		m, err := scanMessage(tx.QueryRow(`SELECT `+messageCols+` FROM messages WHERE mailbox_id=? AND uidvalidity=? AND uid=?`, a.MailboxID, uidValidity, uid))
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		switch a.Kind {
		case ActionAddFlag, ActionRemoveFlag:
			return applyFlag(tx, m.ID, m.Flags, a.Arg, a.Kind == ActionAddFlag)
		case ActionMove, ActionExpunge:
			_, err := tx.Exec(`UPDATE messages SET hidden = 1 WHERE id = ?`, m.ID)
			return err
		}
		return nil
	})
	if err != nil {
		return a, fmt.Errorf("store: retarget action: %w", err)
	}
	a.UIDValidity, a.UID = uidValidity, uid
	return a, nil
}

// ActionRetry records a temporary failure of a pending action; it stays
// queued.
func (db *DB) ActionRetry(ctx context.Context, id int64, cause error) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE pending_actions SET attempts = attempts + 1, last_error = ? WHERE id = ?`, cause.Error(), id)
		return err
	})
}

// ActionFailed drops a pending action the server refused for good and
// reverts its local effect, in one transaction. It returns the message as it
// is after the revert (zero if the message is gone).
func (db *DB) ActionFailed(ctx context.Context, a Action) (Message, error) {
	var id int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`DELETE FROM pending_actions WHERE id = ?`, a.ID); err != nil {
			return err
		}
		row := tx.QueryRow(`SELECT `+messageCols+` FROM messages WHERE mailbox_id=? AND uidvalidity=? AND uid=?`, a.MailboxID, a.UIDValidity, a.UID)
		if a.UIDValidity == 0 && a.MessageID != "" { // keyed by Message-ID (see actionKeyTx)
			row = tx.QueryRow(`SELECT `+messageCols+` FROM messages WHERE mailbox_id=? AND message_id=? ORDER BY uid DESC LIMIT 1`, a.MailboxID, a.MessageID)
		}
		m, err := scanMessage(row)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		id = m.ID
		switch a.Kind {
		case ActionAddFlag:
			return applyFlag(tx, m.ID, m.Flags, a.Arg, false)
		case ActionRemoveFlag:
			return applyFlag(tx, m.ID, m.Flags, a.Arg, true)
		case ActionMove, ActionExpunge:
			_, err := tx.Exec(`UPDATE messages SET hidden = 0 WHERE id = ?`, m.ID)
			return err
		}
		return nil
	})
	if err != nil || id == 0 {
		return Message{}, err
	}
	return db.Message(ctx, id)
}

// Move hides message id from its mailbox and records a move to mailbox
// target for replay, in one transaction. The message shows up in target
// when the engine has moved it and synced target.
func (db *DB) Move(ctx context.Context, id, target int64) (Message, error) {
	return db.hide(ctx, id, ActionMove, target)
}

// Copy records a copy of message id to mailbox target for replay.
func (db *DB) Copy(ctx context.Context, id, target int64) (Message, error) {
	return db.hide(ctx, id, ActionCopy, target)
}

// Expunge hides message id and records its deletion for good for replay.
func (db *DB) Expunge(ctx context.Context, id int64) (Message, error) {
	return db.hide(ctx, id, ActionExpunge, 0)
}

func (db *DB) hide(ctx context.Context, id int64, kind string, target int64) (Message, error) {
	var m Message
	err := db.write(ctx, func(tx *sql.Tx) error {
		var err error
		m, err = hideTx(tx, id, kind, target)
		return err
	})
	return m, err
}

// hideTx is hide inside tx. It returns the message as it was before.
func hideTx(tx *sql.Tx, id int64, kind string, target int64) (Message, error) {
	m, err := scanMessage(tx.QueryRow(`SELECT `+messageCols+` FROM messages WHERE id = ? AND hidden = 0`, id))
	if err == sql.ErrNoRows {
		return m, ErrNotFound
	}
	if err != nil {
		return m, err
	}
	arg := ""
	if target != 0 {
		if target == m.MailboxID {
			return m, fmt.Errorf("store: the message is already in that folder")
		}
		var account string
		if err := tx.QueryRow(`SELECT name, account FROM mailboxes WHERE id = ?`, target).Scan(&arg, &account); err != nil {
			if err == sql.ErrNoRows {
				return m, ErrNotFound
			}
			return m, err
		}
		if account != m.Account {
			return m, fmt.Errorf("store: moving mail between accounts is not supported")
		}
	}
	uidValidity, msgID, err := actionKeyTx(tx, m)
	if err != nil {
		return m, err
	}
	if kind != ActionCopy {
		if _, err := tx.Exec(`UPDATE messages SET hidden = 1 WHERE id = ?`, id); err != nil {
			return m, err
		}
	}
	_, err = tx.Exec(`INSERT INTO pending_actions (account, mailbox_id, uidvalidity, uid, kind, arg, created, message_id) VALUES (?,?,?,?,?,?,?,?)`,
		m.Account, m.MailboxID, uidValidity, m.UID, kind, arg, time.Now().Unix(), msgID)
	return m, err
}
