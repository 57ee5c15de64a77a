package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Draft is a message being written, saved locally by the composer. The
// recipient fields are kept as the user typed them, so that a half-typed
// address survives a restart.
type Draft struct {
	ID         int64 // 0 for a new draft
	Account    string
	From       string // "Name <email>"
	To, Cc     string
	Bcc        string
	Subject    string
	Body       string
	InReplyTo  string
	References []string
	SourceID   int64 // the local message replied to or forwarded, or 0
	Created    time.Time
	Updated    time.Time
	// Attachments are read by Draft; SaveDraft writes them only when
	// asked to, so that saving while typing does not rewrite big files.
	Attachments []DraftFile
}

// DraftFile is a file attached to a draft.
type DraftFile struct {
	Filename    string
	ContentType string
	Data        []byte
}

// SaveDraft inserts d (ID 0) or updates it, and returns its ID. The
// attachments are replaced by d.Attachments when withFiles is true, and
// left alone otherwise. Updating a draft that no longer exists (deleted,
// or sent, meanwhile) fails with ErrNotFound.
func (db *DB) SaveDraft(ctx context.Context, d *Draft, withFiles bool) (int64, error) {
	now := time.Now().UnixMilli()
	id := d.ID
	err := db.write(ctx, func(tx *sql.Tx) error {
		refs := strings.Join(d.References, " ")
		if id == 0 {
			res, err := tx.Exec(`INSERT INTO drafts (account, from_addr, to_addr, cc_addr, bcc_addr, subject, body,
				in_reply_to, refs, source_id, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
				d.Account, d.From, d.To, d.Cc, d.Bcc, d.Subject, d.Body, d.InReplyTo, refs, d.SourceID, now, now)
			if err != nil {
				return fmt.Errorf("store: save draft: %w", err)
			}
			if id, err = res.LastInsertId(); err != nil {
				return err
			}
		} else {
			res, err := tx.Exec(`UPDATE drafts SET account=?, from_addr=?, to_addr=?, cc_addr=?, bcc_addr=?, subject=?, body=?,
				in_reply_to=?, refs=?, source_id=?, updated=? WHERE id = ?`,
				d.Account, d.From, d.To, d.Cc, d.Bcc, d.Subject, d.Body, d.InReplyTo, refs, d.SourceID, now, id)
			if err != nil {
				return fmt.Errorf("store: save draft: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrNotFound
			}
		}
		if err := queueDraftSave(tx, d.Account, id); err != nil {
			return err
		}
		if !withFiles {
			return nil
		}
		if _, err := tx.Exec(`DELETE FROM draft_attachments WHERE draft_id = ?`, id); err != nil {
			return err
		}
		for i, f := range d.Attachments {
			if _, err := tx.Exec(`INSERT INTO draft_attachments (draft_id, pos, filename, content_type, data) VALUES (?,?,?,?,?)`,
				id, i, f.Filename, f.ContentType, nonNil(f.Data)); err != nil {
				return fmt.Errorf("store: save draft attachment: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

const draftCols = `id, account, from_addr, to_addr, cc_addr, bcc_addr, subject, body, in_reply_to, refs, source_id, created, updated`

func scanDraft(r rowScanner) (Draft, error) {
	var d Draft
	var refs string
	var created, updated int64
	err := r.Scan(&d.ID, &d.Account, &d.From, &d.To, &d.Cc, &d.Bcc, &d.Subject, &d.Body, &d.InReplyTo, &refs,
		&d.SourceID, &created, &updated)
	d.References = strings.Fields(refs)
	d.Created, d.Updated = fromMS(created), fromMS(updated)
	return d, err
}

// Draft returns draft id with its attachments, or ErrNotFound.
func (db *DB) Draft(ctx context.Context, id int64) (Draft, error) {
	d, err := scanDraft(db.r.QueryRowContext(ctx, `SELECT `+draftCols+` FROM drafts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, ErrNotFound
	}
	if err != nil {
		return d, fmt.Errorf("store: draft: %w", err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT filename, content_type, data FROM draft_attachments WHERE draft_id = ? ORDER BY pos`, id)
	if err != nil {
		return d, fmt.Errorf("store: draft attachments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f DraftFile
		if err := rows.Scan(&f.Filename, &f.ContentType, &f.Data); err != nil {
			return d, err
		}
		d.Attachments = append(d.Attachments, f)
	}
	return d, rows.Err()
}

// Drafts returns the drafts of account (every account when empty), the
// most recently saved first, without their attachments' content (the
// Attachments carry names and types only).
func (db *DB) Drafts(ctx context.Context, account string) ([]Draft, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+draftCols+` FROM drafts WHERE ?1 = '' OR account = ?1 ORDER BY updated DESC, id DESC`, account)
	if err != nil {
		return nil, fmt.Errorf("store: drafts: %w", err)
	}
	var out []Draft
	for rows.Next() {
		d, err := scanDraft(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		frows, err := db.r.QueryContext(ctx, `SELECT filename, content_type FROM draft_attachments WHERE draft_id = ? ORDER BY pos`, out[i].ID)
		if err != nil {
			return nil, err
		}
		for frows.Next() {
			var f DraftFile
			if err := frows.Scan(&f.Filename, &f.ContentType); err != nil {
				frows.Close()
				return nil, err
			}
			out[i].Attachments = append(out[i].Attachments, f)
		}
		frows.Close()
	}
	return out, nil
}

// DeleteDraft deletes draft id and its attachments, and queues the removal
// of its copy from the server's Drafts folder (dropping a copy still
// waiting to be uploaded); a missing draft is not an error.
func (db *DB) DeleteDraft(ctx context.Context, id int64) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		d, err := scanDraft(tx.QueryRow(`SELECT `+draftCols+` FROM drafts WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("store: delete draft: %w", err)
		}
		if _, err := tx.Exec(`DELETE FROM pending_actions WHERE kind = ? AND arg = ?`, ActionDraftSave, strconv.FormatInt(id, 10)); err != nil {
			return err
		}
		// The server may hold a copy even when its upload is still
		// pending (stopped between APPEND and DraftActionDone): always ask
		// the engine to look.
		if _, err := tx.Exec(`INSERT INTO pending_actions (account, mailbox_id, uidvalidity, uid, kind, arg, created) VALUES (?,0,0,0,?,?,?)`,
			d.Account, ActionDraftDelete, DraftMessageID(d), time.Now().Unix()); err != nil {
			return err
		}
		_, err = tx.Exec(`DELETE FROM drafts WHERE id = ?`, id)
		return err
	})
}

// Kinds of pending action on the server's Drafts folder. Their MailboxID,
// UIDValidity are zero, so PendingActions (which joins mailboxes) does not
// list them; see DraftActions.
const (
	// ActionDraftSave uploads the current version of a local draft. Its
	// Arg is the draft's ID (decimal) and its UID column counts the saves
	// since it was queued: several saves make one upload.
	ActionDraftSave = "draft-save"
	// ActionDraftDelete removes every copy of a deleted (or sent) draft
	// from the server. Its Arg is the draft's Message-ID.
	ActionDraftDelete = "draft-delete"
)

// DraftMessageID returns the Message-ID, without angle brackets, that every
// server copy of local draft d carries, so that a new version can find
// and replace the previous one.
func DraftMessageID(d Draft) string {
	return fmt.Sprintf("tern-draft.%d.%d@tern.invalid", d.Created.UnixMilli(), d.ID)
}

// queueDraftSave records an upload of draft id, or counts one more save
// on the upload already queued.
func queueDraftSave(tx *sql.Tx, account string, id int64) error {
	arg := strconv.FormatInt(id, 10)
	res, err := tx.Exec(`UPDATE pending_actions SET uid = uid + 1, account = ? WHERE kind = ? AND arg = ?`, account, ActionDraftSave, arg)
	if err != nil {
		return fmt.Errorf("store: save draft: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = tx.Exec(`INSERT INTO pending_actions (account, mailbox_id, uidvalidity, uid, kind, arg, created) VALUES (?,0,0,1,?,?,?)`,
		account, ActionDraftSave, arg, time.Now().Unix())
	if err != nil {
		return fmt.Errorf("store: save draft: %w", err)
	}
	return nil
}

// DraftAction is a pending change to the server's Drafts folder: an upload
// of local draft DraftID (Kind ActionDraftSave), or the removal of the
// copies with MessageID (ActionDraftDelete).
//
// The sync engine replays it: it looks up the copies with MessageID in the
// Drafts folder, APPENDs the draft's current version (for a save), marks
// the old copies \Deleted and UID EXPUNGEs them, then calls
// DraftActionDone with Gen; on a temporary failure ActionRetry(ActionID);
// on a permanent one ActionDone.
type DraftAction struct {
	ActionID  int64
	Account   string
	Kind      string
	DraftID   int64  // ActionDraftSave
	MessageID string // ActionDraftDelete
	Gen       int64  // saves counted when read
	Attempts  int
	LastError string
}

// DraftActions returns the pending Drafts folder changes of account, in the
// order they were made.
func (db *DB) DraftActions(ctx context.Context, account string) ([]DraftAction, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, account, kind, arg, uid, attempts, last_error FROM pending_actions
		WHERE account = ? AND kind IN (?, ?) ORDER BY id`, account, ActionDraftSave, ActionDraftDelete)
	if err != nil {
		return nil, fmt.Errorf("store: draft actions: %w", err)
	}
	defer rows.Close()
	var out []DraftAction
	for rows.Next() {
		var a DraftAction
		var arg string
		if err := rows.Scan(&a.ActionID, &a.Account, &a.Kind, &arg, &a.Gen, &a.Attempts, &a.LastError); err != nil {
			return nil, err
		}
		if a.Kind == ActionDraftSave {
			a.DraftID, _ = strconv.ParseInt(arg, 10, 64)
		} else {
			a.MessageID = arg
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// DraftActionDone removes a Drafts folder change the server has applied,
// unless the draft was saved again since it was read (gen differs): the
// newer version then stays queued.
func (db *DB) DraftActionDone(ctx context.Context, actionID, gen int64) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM pending_actions WHERE id = ? AND uid = ?`, actionID, gen)
		return err
	})
}
