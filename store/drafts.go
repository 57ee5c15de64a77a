package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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

// DeleteDraft deletes draft id and its attachments; a missing draft is not
// an error.
func (db *DB) DeleteDraft(ctx context.Context, id int64) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM drafts WHERE id = ?`, id)
		return err
	})
}
