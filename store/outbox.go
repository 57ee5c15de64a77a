package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// States of an outbox message.
//
//	queued → sending → sent | partial | failed
//	queued → failed (a permanent refusal before DATA, or too many attempts)
//	sending → queued (a temporary refusal of DATA, retried later)
//	sending → uncertain (Tern stopped, or the connection broke, after the
//	         message was handed over but before the server's answer was
//	         recorded)
//
// A message is "sending" only from the DATA command on: before that the
// server cannot have accepted it, and the row stays "queued".
const (
	OutboxQueued    = "queued"    // waiting for NextAttempt
	OutboxSending   = "sending"   // DATA in progress
	OutboxSent      = "sent"      // every recipient accepted
	OutboxPartial   = "partial"   // some recipients accepted, the others refused for good
	OutboxFailed    = "failed"    // refused for good (LastError has the server's words)
	OutboxUncertain = "uncertain" // possibly sent: retry or cancel is the user's call
)

// Per-recipient results of an outbox message.
const (
	RcptSent     = "sent"     // the server accepted the message for this recipient
	RcptRejected = "rejected" // refused for good (5xx)
	RcptDeferred = "deferred" // refused for now (4xx); retried
)

// ActionAppend is the kind of pending action that appends a sent message
// to the account's Sent folder. Its Arg is the outbox row ID (decimal);
// see PendingAppends.
const ActionAppend = "append"

// RcptResult is the server's answer for one recipient.
type RcptResult struct {
	Status  string `json:"status"` // RcptSent, RcptRejected or RcptDeferred
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// OutboxItem is one outgoing message, without its raw bytes (see
// OutboxRaw).
type OutboxItem struct {
	ID          int64
	Account     string
	State       string
	From        string   // MAIL FROM
	Rcpts       []string // every envelope recipient
	Subject     string
	MessageID   string
	Size        int64
	Created     time.Time
	Updated     time.Time
	NextAttempt time.Time // when a queued message is due (undo window, send later, backoff)
	SentAt      time.Time // when the last DATA was accepted
	Attempts    int
	LastError   string
	Results     map[string]RcptResult // by recipient, as given in Rcpts
}

// Remaining returns the recipients that have no final result yet.
func (it *OutboxItem) Remaining() []string {
	var out []string
	for _, r := range it.Rcpts {
		switch it.Results[r].Status {
		case RcptSent, RcptRejected:
		default:
			out = append(out, r)
		}
	}
	return out
}

// Final reports whether the state needs nothing more from Tern.
func (it *OutboxItem) Final() bool {
	switch it.State {
	case OutboxSent, OutboxPartial, OutboxFailed, OutboxUncertain:
		return true
	}
	return false
}

// NewOutbox describes a message to queue.
type NewOutbox struct {
	Account   string
	From      string
	Rcpts     []string
	Subject   string
	MessageID string
	Raw       []byte
	// NotBefore is when the message may be sent at the earliest: the end
	// of the undo window, or a "send later" time. Zero means now.
	NotBefore time.Time
}

// OutboxStateError reports an operation the message's state forbids, such
// as cancelling a message being sent.
type OutboxStateError struct {
	ID    int64
	State string
	Op    string // "cancel", "retry", "send", "mark as sent"
}

func (e *OutboxStateError) Error() string {
	switch {
	case e.State == OutboxSending:
		return fmt.Sprintf("message %d is being sent right now; it cannot %s", e.ID, e.Op)
	case e.State == OutboxSent || e.State == OutboxPartial && e.Op == "cancel":
		return fmt.Sprintf("message %d was already sent; nothing to %s", e.ID, e.Op)
	case e.Op == opMarkSent:
		return fmt.Sprintf("message %d is %s; only a message that may or may not have been sent (uncertain) can be marked as sent", e.ID, e.State)
	}
	return fmt.Sprintf("message %d is %s; cannot %s it", e.ID, e.State, e.Op)
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

const outboxCols = `id, account, state, mail_from, rcpts, subject, message_id, size, created, updated, next_attempt, sent_at, attempts, last_error, rcpt_status`

type rowScanner interface{ Scan(...any) error }

func scanOutbox(r rowScanner) (OutboxItem, error) {
	var it OutboxItem
	var rcpts, results string
	var created, updated, next, sent int64
	err := r.Scan(&it.ID, &it.Account, &it.State, &it.From, &rcpts, &it.Subject, &it.MessageID, &it.Size,
		&created, &updated, &next, &sent, &it.Attempts, &it.LastError, &results)
	if err != nil {
		return it, err
	}
	it.Created, it.Updated, it.NextAttempt, it.SentAt = fromMS(created), fromMS(updated), fromMS(next), fromMS(sent)
	if err := json.Unmarshal([]byte(rcpts), &it.Rcpts); err != nil {
		return it, fmt.Errorf("store: outbox %d: recipients: %w", it.ID, err)
	}
	it.Results = map[string]RcptResult{}
	if err := json.Unmarshal([]byte(results), &it.Results); err != nil {
		return it, fmt.Errorf("store: outbox %d: results: %w", it.ID, err)
	}
	return it, nil
}

func outboxTx(tx *sql.Tx, id int64) (OutboxItem, error) {
	it, err := scanOutbox(tx.QueryRow(`SELECT `+outboxCols+` FROM outbox WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return it, ErrNotFound
	}
	return it, err
}

// QueueOutbox stores a message to send and returns its row. The message is
// durable when QueueOutbox returns.
func (db *DB) QueueOutbox(ctx context.Context, m NewOutbox) (OutboxItem, error) {
	if m.Account == "" || m.From == "" || len(m.Rcpts) == 0 || len(m.Raw) == 0 {
		return OutboxItem{}, errors.New("store: queue: account, sender, recipients and message are required")
	}
	rcpts, err := json.Marshal(m.Rcpts)
	if err != nil {
		return OutboxItem{}, err
	}
	now := time.Now()
	next := m.NotBefore
	if next.IsZero() {
		next = now
	}
	var id int64
	err = db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO outbox (account, state, mail_from, rcpts, raw, created, updated, next_attempt, subject, message_id, size)
			VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
			m.Account, OutboxQueued, m.From, string(rcpts), m.Raw, ms(now), ms(now), ms(next), m.Subject, m.MessageID, len(m.Raw))
		if err != nil {
			return fmt.Errorf("store: queue: %w", err)
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return OutboxItem{}, err
	}
	return db.OutboxItem(ctx, id)
}

// Outbox returns the outbox of account (every account when empty), newest
// first.
func (db *DB) Outbox(ctx context.Context, account string) ([]OutboxItem, error) {
	q := `SELECT ` + outboxCols + ` FROM outbox`
	var args []any
	if account != "" {
		q += ` WHERE account = ?`
		args = append(args, account)
	}
	return db.queryOutbox(ctx, q+` ORDER BY id DESC`, args...)
}

func (db *DB) queryOutbox(ctx context.Context, q string, args ...any) ([]OutboxItem, error) {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		it, err := scanOutbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// OutboxItem returns one outbox message, or ErrNotFound.
func (db *DB) OutboxItem(ctx context.Context, id int64) (OutboxItem, error) {
	it, err := scanOutbox(db.r.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return it, ErrNotFound
	}
	return it, err
}

// OutboxRaw returns the raw bytes of an outbox message, or ErrNotFound. It
// returns an empty slice once the message is sent and no longer needed
// (copied to Sent, or not to be copied).
func (db *DB) OutboxRaw(ctx context.Context, id int64) ([]byte, error) {
	var raw []byte
	err := db.r.QueryRowContext(ctx, `SELECT raw FROM outbox WHERE id = ?`, id).Scan(&raw)
	if err == sql.ErrNoRows {
		return nil, ErrNotFound
	}
	return raw, err
}

// DueOutbox returns the queued messages due at now, oldest due first.
func (db *DB) DueOutbox(ctx context.Context, now time.Time) ([]OutboxItem, error) {
	return db.queryOutbox(ctx, `SELECT `+outboxCols+` FROM outbox WHERE state = ? AND next_attempt <= ? ORDER BY next_attempt, id`,
		OutboxQueued, ms(now))
}

// NextOutboxAttempts returns, for each account with queued messages, when
// the next one is due.
func (db *DB) NextOutboxAttempts(ctx context.Context) (map[string]time.Time, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT account, MIN(next_attempt) FROM outbox WHERE state = ? GROUP BY account`, OutboxQueued)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var account string
		var next int64
		if err := rows.Scan(&account, &next); err != nil {
			return nil, err
		}
		out[account] = time.UnixMilli(next)
	}
	return out, rows.Err()
}

// BeginOutboxData marks a queued message "sending", just before its DATA
// command, and counts the attempt, durably: a process killed during DATA
// leaves a message whose attempts include the one that was cut off. It
// fails with an *OutboxStateError when the message is no longer queued
// (cancelled or retried meanwhile).
func (db *DB) BeginOutboxData(ctx context.Context, id int64) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE outbox SET state = ?, attempts = attempts + 1, updated = ? WHERE id = ? AND state = ?`,
			OutboxSending, ms(time.Now()), id, OutboxQueued)
		if err != nil {
			return fmt.Errorf("store: outbox: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			it, err := outboxTx(tx, id)
			if err != nil {
				return err
			}
			return &OutboxStateError{ID: id, State: it.State, Op: "send"}
		}
		return nil
	})
}

// OutboxUpdate is the outcome of one attempt to send an outbox message.
type OutboxUpdate struct {
	// State is the new state. With OutboxQueued the message is retried at
	// NextAttempt.
	State       string
	NextAttempt time.Time
	// LastError is the reason of a failure, in the server's words.
	LastError string
	// Results are merged into the message's per-recipient results.
	Results map[string]RcptResult
	// Attempt counts this update as one more attempt, unless the message
	// is "sending": BeginOutboxData counted that attempt already.
	Attempt bool
	// Delivered says the server accepted DATA in this attempt.
	Delivered bool
	// AppendSent records a pending ActionAppend when the message is
	// delivered for the first time, in the same transaction.
	AppendSent bool
}

// UpdateOutbox records the outcome of an attempt and returns the updated
// message. When the message is final (sent or partial) and nothing else
// needs its bytes, they are dropped.
func (db *DB) UpdateOutbox(ctx context.Context, id int64, u OutboxUpdate) (OutboxItem, error) {
	err := db.write(ctx, func(tx *sql.Tx) error {
		it, err := outboxTx(tx, id)
		if err != nil {
			return err
		}
		firstDelivery := false
		if u.Delivered {
			firstDelivery = true
			for _, r := range it.Results {
				if r.Status == RcptSent {
					firstDelivery = false
				}
			}
		}
		for k, v := range u.Results {
			it.Results[k] = v
		}
		results, err := json.Marshal(it.Results)
		if err != nil {
			return err
		}
		now := time.Now()
		attempts := it.Attempts
		if u.Attempt && it.State != OutboxSending {
			attempts++
		}
		sentAt := ms(it.SentAt)
		if u.Delivered {
			sentAt = ms(now)
		}
		if _, err := tx.Exec(`UPDATE outbox SET state=?, next_attempt=?, last_error=?, rcpt_status=?, attempts=?, sent_at=?, updated=? WHERE id=?`,
			u.State, ms(u.NextAttempt), u.LastError, string(results), attempts, sentAt, ms(now), id); err != nil {
			return fmt.Errorf("store: outbox: %w", err)
		}
		appendPending := false
		if firstDelivery && u.AppendSent {
			if _, err := tx.Exec(`INSERT INTO pending_actions (account, mailbox_id, uidvalidity, uid, kind, arg, created) VALUES (?,0,0,0,?,?,?)`,
				it.Account, ActionAppend, strconv.FormatInt(id, 10), now.Unix()); err != nil {
				return fmt.Errorf("store: outbox: %w", err)
			}
			appendPending = true
		} else {
			appendPending, err = hasAppend(tx, id)
			if err != nil {
				return err
			}
		}
		if u.State == OutboxSent && !appendPending {
			_, err = tx.Exec(`UPDATE outbox SET raw = x'' WHERE id = ?`, id)
		}
		return err
	})
	if err != nil {
		return OutboxItem{}, err
	}
	return db.OutboxItem(ctx, id)
}

func hasAppend(tx *sql.Tx, outboxID int64) (bool, error) {
	var n int
	err := tx.QueryRow(`SELECT COUNT(*) FROM pending_actions WHERE kind = ? AND arg = ?`, ActionAppend, strconv.FormatInt(outboxID, 10)).Scan(&n)
	return n > 0, err
}

// RecoverOutbox marks every message left "sending" by a process that
// stopped "uncertain": the server may have accepted it. Call it only when
// no other process is sending from this store. It returns the messages it
// changed.
func (db *DB) RecoverOutbox(ctx context.Context, reason string) ([]OutboxItem, error) {
	var ids []int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.Query(`SELECT id FROM outbox WHERE state = ?`, OutboxSending)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE outbox SET state = ?, last_error = ?, updated = ? WHERE state = ?`,
			OutboxUncertain, reason, ms(time.Now()), OutboxSending)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	var out []OutboxItem
	for _, id := range ids {
		it, err := db.OutboxItem(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// RetryOutbox queues a failed, uncertain, partial or queued message again,
// due at at (zero: now), with a fresh count of attempts. The recipients
// that accepted it already are not sent it again; the refused ones are.
func (db *DB) RetryOutbox(ctx context.Context, id int64, at time.Time) (OutboxItem, error) {
	if at.IsZero() {
		at = time.Now()
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		it, err := outboxTx(tx, id)
		if err != nil {
			return err
		}
		switch it.State {
		case OutboxFailed, OutboxUncertain, OutboxPartial, OutboxQueued:
		default:
			return &OutboxStateError{ID: id, State: it.State, Op: "retry"}
		}
		kept := map[string]RcptResult{}
		for k, v := range it.Results {
			if v.Status == RcptSent {
				kept[k] = v
			}
		}
		results, _ := json.Marshal(kept)
		_, err = tx.Exec(`UPDATE outbox SET state=?, next_attempt=?, attempts=0, rcpt_status=?, updated=? WHERE id=?`,
			OutboxQueued, ms(at), string(results), ms(time.Now()), id)
		return err
	})
	if err != nil {
		return OutboxItem{}, err
	}
	return db.OutboxItem(ctx, id)
}

// CancelOutbox removes a message that no recipient has received yet
// (queued, failed or uncertain) and returns it with its raw bytes, so that
// it can go back to the composer. A message being sent, or sent to anyone,
// fails with an *OutboxStateError.
func (db *DB) CancelOutbox(ctx context.Context, id int64) (OutboxItem, []byte, error) {
	var it OutboxItem
	var raw []byte
	err := db.write(ctx, func(tx *sql.Tx) error {
		var err error
		it, err = outboxTx(tx, id)
		if err != nil {
			return err
		}
		switch it.State {
		case OutboxQueued, OutboxFailed, OutboxUncertain:
		default:
			return &OutboxStateError{ID: id, State: it.State, Op: "cancel"}
		}
		for _, r := range it.Results {
			if r.Status == RcptSent {
				return &OutboxStateError{ID: id, State: OutboxPartial, Op: "cancel"}
			}
		}
		if err := tx.QueryRow(`SELECT raw FROM outbox WHERE id = ?`, id).Scan(&raw); err != nil {
			return err
		}
		_, err = tx.Exec(`DELETE FROM outbox WHERE id = ?`, id)
		return err
	})
	return it, raw, err
}

// PruneOutbox deletes sent and partially sent messages last updated before
// before whose copy to Sent is no longer pending. It returns how many it
// deleted.
func (db *DB) PruneOutbox(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM outbox WHERE state IN (?, ?) AND updated < ?
			AND CAST(id AS TEXT) NOT IN (SELECT arg FROM pending_actions WHERE kind = ?)`,
			OutboxSent, OutboxPartial, ms(before), ActionAppend)
		if err != nil {
			return fmt.Errorf("store: outbox: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// SentAppend is a pending copy of a sent message to the account's Sent
// folder (a pending action of kind ActionAppend).
//
// The sync engine replays it: it resolves the Sent folder itself (the
// account's Folders[sent] override, else the mailbox with role "sent"),
// reads the bytes with OutboxRaw(OutboxID), APPENDs them with the \Seen
// flag, then calls AppendDone; on a temporary failure ActionRetry(ActionID);
// on a permanent one AppendFailed. Its MailboxID, UIDValidity and UID are
// zero, so PendingActions (which joins mailboxes) does not list it.
type SentAppend struct {
	ActionID  int64
	OutboxID  int64
	Account   string
	Created   time.Time
	Attempts  int
	LastError string
}

// PendingAppends returns the pending copies to Sent of account, oldest
// first.
func (db *DB) PendingAppends(ctx context.Context, account string) ([]SentAppend, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, account, arg, created, attempts, last_error FROM pending_actions
		WHERE account = ? AND kind = ? ORDER BY id`, account, ActionAppend)
	if err != nil {
		return nil, fmt.Errorf("store: pending appends: %w", err)
	}
	defer rows.Close()
	var out []SentAppend
	for rows.Next() {
		var a SentAppend
		var arg string
		var created int64
		if err := rows.Scan(&a.ActionID, &a.Account, &arg, &created, &a.Attempts, &a.LastError); err != nil {
			return nil, err
		}
		a.OutboxID, _ = strconv.ParseInt(arg, 10, 64)
		a.Created = fromUnix(created)
		out = append(out, a)
	}
	return out, rows.Err()
}

// AppendDone removes a pending copy to Sent that the server has stored,
// and drops the outbox message's bytes when nothing else needs them.
func (db *DB) AppendDone(ctx context.Context, actionID int64) error {
	return db.finishAppend(ctx, actionID, "")
}

// AppendFailed removes a pending copy to Sent that the server refused for
// good, noting cause on the outbox message (which stays sent).
func (db *DB) AppendFailed(ctx context.Context, actionID int64, cause error) error {
	msg := "could not copy to the Sent folder"
	if cause != nil {
		msg += ": " + cause.Error()
	}
	return db.finishAppend(ctx, actionID, msg)
}

func (db *DB) finishAppend(ctx context.Context, actionID int64, note string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		var arg string
		err := tx.QueryRow(`SELECT arg FROM pending_actions WHERE id = ? AND kind = ?`, actionID, ActionAppend).Scan(&arg)
		if err == sql.ErrNoRows {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM pending_actions WHERE id = ?`, actionID); err != nil {
			return err
		}
		id, _ := strconv.ParseInt(arg, 10, 64)
		if note != "" {
			if _, err := tx.Exec(`UPDATE outbox SET last_error = ? WHERE id = ?`, note, id); err != nil {
				return err
			}
		}
		_, err = tx.Exec(`UPDATE outbox SET raw = x'' WHERE id = ? AND state = ?`, id, OutboxSent)
		return err
	})
}

const opMarkSent = "mark as sent"

// ResolveOptions says where ResolveUncertainOutbox looks for an uncertain
// message.
type ResolveOptions struct {
	// SentMailbox is the name of the account's Sent folder; "" means the
	// mailbox with role "sent".
	SentMailbox string
	// Own are the account's addresses. A copy in INBOX proves delivery
	// only when one of them was among the message's recipients: the
	// account received its own mail.
	Own []string
	// AppendSent records a pending copy to Sent (ActionAppend) for a
	// message found in INBOX only.
	AppendSent bool
}

// How close before an outbox message's creation a stored copy may be dated
// and still count as that message (clocks of client and server differ).
const resolveSkew = time.Hour

// ResolveUncertainOutbox marks "sent" each uncertain message of account
// whose Message-ID the store holds, dated after the message was queued, in
// the account's Sent folder, or in its INBOX when one of opts.Own was among
// its recipients: the server did accept it. A message found in INBOX only
// gets a pending copy to Sent with opts.AppendSent (the sync engine files
// it unless Sent has it by then). It returns the messages it changed.
func (db *DB) ResolveUncertainOutbox(ctx context.Context, account string, opts ResolveOptions) ([]OutboxItem, error) {
	uncertain, err := db.queryOutbox(ctx, `SELECT `+outboxCols+` FROM outbox WHERE state = ? AND account = ? ORDER BY id`,
		OutboxUncertain, account)
	if err != nil || len(uncertain) == 0 {
		return nil, err
	}
	var changed []int64
	err = db.write(ctx, func(tx *sql.Tx) error {
		sentQ := `SELECT id FROM mailboxes WHERE account = ? AND role = ?`
		var sentArg any = RoleSent
		if opts.SentMailbox != "" {
			sentQ, sentArg = `SELECT id FROM mailboxes WHERE account = ? AND name = ?`, opts.SentMailbox
		}
		sentBoxes, err := ids(tx, sentQ, account, sentArg)
		if err != nil {
			return err
		}
		inboxes, err := ids(tx, `SELECT id FROM mailboxes WHERE account = ? AND (role = ? OR name = 'INBOX' COLLATE NOCASE)`, account, RoleInbox)
		if err != nil {
			return err
		}
		for _, it := range uncertain {
			if it.MessageID == "" {
				continue
			}
			since := it.Created.Add(-resolveSkew).Unix()
			where, at, err := findCopy(tx, sentBoxes, it.MessageID, since)
			if err != nil {
				return err
			}
			inSent := at > 0
			if !inSent && ownRecipient(it, opts.Own) {
				where, at, err = findCopy(tx, inboxes, it.MessageID, since)
				if err != nil {
					return err
				}
			}
			if at == 0 {
				continue
			}
			note := "found in " + where + " after Tern lost track of it"
			if err := markSentTx(tx, it, note, time.Unix(at, 0), opts.AppendSent && !inSent); err != nil {
				return err
			}
			changed = append(changed, it.ID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	var out []OutboxItem
	for _, id := range changed {
		it, err := db.OutboxItem(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

func ids(tx *sql.Tx, q string, args ...any) ([]int64, error) {
	rows, err := tx.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// findCopy returns the name of a mailbox among boxes holding a message
// with Message-ID msgID dated at or after since (Unix seconds), and the
// earliest such date; 0 when there is none.
func findCopy(tx *sql.Tx, boxes []int64, msgID string, since int64) (string, int64, error) {
	for _, box := range boxes {
		var name string
		var at sql.NullInt64
		err := tx.QueryRow(`SELECT (SELECT name FROM mailboxes WHERE id = ?), MIN(internal_date) FROM messages
			WHERE mailbox_id = ? AND message_id = ? AND internal_date >= ?`, box, box, msgID, since).Scan(&name, &at)
		if err != nil {
			return "", 0, err
		}
		if at.Valid && at.Int64 > 0 {
			return name, at.Int64, nil
		}
	}
	return "", 0, nil
}

func ownRecipient(it OutboxItem, own []string) bool {
	for _, r := range it.Rcpts {
		for _, o := range own {
			if o != "" && strings.EqualFold(r, o) {
				return true
			}
		}
	}
	return false
}

// markSentTx records it, uncertain, as sent to every recipient without a
// final result, with note as each one's result and sentAt as its time;
// appendSent records a pending copy to Sent unless one is pending.
func markSentTx(tx *sql.Tx, it OutboxItem, note string, sentAt time.Time, appendSent bool) error {
	rejected := false
	for _, r := range it.Rcpts {
		switch it.Results[r].Status {
		case RcptSent:
		case RcptRejected:
			rejected = true
		default:
			it.Results[r] = RcptResult{Status: RcptSent, Message: note}
		}
	}
	state := OutboxSent
	if rejected {
		state = OutboxPartial
	}
	results, err := json.Marshal(it.Results)
	if err != nil {
		return err
	}
	now := time.Now()
	if _, err := tx.Exec(`UPDATE outbox SET state=?, last_error='', rcpt_status=?, sent_at=?, updated=? WHERE id=?`,
		state, string(results), ms(sentAt), ms(now), it.ID); err != nil {
		return err
	}
	pending, err := hasAppend(tx, it.ID)
	if err != nil {
		return err
	}
	if appendSent && !pending {
		if _, err := tx.Exec(`INSERT INTO pending_actions (account, mailbox_id, uidvalidity, uid, kind, arg, created) VALUES (?,0,0,0,?,?,?)`,
			it.Account, ActionAppend, strconv.FormatInt(it.ID, 10), now.Unix()); err != nil {
			return err
		}
		pending = true
	}
	if state == OutboxSent && !pending {
		_, err = tx.Exec(`UPDATE outbox SET raw = x'' WHERE id = ?`, it.ID)
	}
	return err
}

// MarkOutboxSent records the user's word that an uncertain message did
// reach the server: it becomes "sent" (or "partial", when some recipients
// had refused it), with a pending copy to Sent when appendSent (the sync
// engine files it unless Sent has it). Any other state fails with an
// *OutboxStateError.
func (db *DB) MarkOutboxSent(ctx context.Context, id int64, appendSent bool) (OutboxItem, error) {
	err := db.write(ctx, func(tx *sql.Tx) error {
		it, err := outboxTx(tx, id)
		if err != nil {
			return err
		}
		if it.State != OutboxUncertain {
			return &OutboxStateError{ID: id, State: it.State, Op: opMarkSent}
		}
		return markSentTx(tx, it, "marked as sent", it.Updated, appendSent)
	})
	if err != nil {
		return OutboxItem{}, err
	}
	return db.OutboxItem(ctx, id)
}
