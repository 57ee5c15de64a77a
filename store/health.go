package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SyncHealth is what the store knows of an account's sync, for the
// account health report.
type SyncHealth struct {
	// MissingBodies counts the visible messages whose body is not stored.
	MissingBodies int
	// Folders counts the account's folders; Synced those synced at least once.
	Folders, Synced int
	// LastSynced is the latest time a folder finished syncing;
	// OldestSynced the earliest among the synced folders (every synced
	// folder is at least that fresh). Zero when none synced.
	LastSynced, OldestSynced time.Time
	// LastFullPass is when the last complete sync pass (every folder)
	// ended, and FullPassDuration how long it took; zero when none ended.
	LastFullPass     time.Time
	FullPassDuration time.Duration
}

// SyncHealth returns what the store knows of account's sync.
func (db *DB) SyncHealth(ctx context.Context, account string) (SyncHealth, error) {
	var h SyncHealth
	var last, oldest int64
	err := db.r.QueryRowContext(ctx, `SELECT count(*), count(nullif(synced_at, 0)),
			coalesce(max(synced_at), 0), coalesce(min(nullif(synced_at, 0)), 0)
		FROM mailboxes WHERE account = ?`, account).Scan(&h.Folders, &h.Synced, &last, &oldest)
	if err != nil {
		return h, fmt.Errorf("store: sync health: %w", err)
	}
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE account = ? AND has_body = 0 AND hidden = 0`,
		account).Scan(&h.MissingBodies); err != nil {
		return h, fmt.Errorf("store: sync health: %w", err)
	}
	h.LastSynced, h.OldestSynced = fromUnix(last), fromUnix(oldest)
	var finished, millis int64
	err = db.r.QueryRowContext(ctx, `SELECT finished, millis FROM sync_passes WHERE account = ?`, account).Scan(&finished, &millis)
	switch {
	case err == nil:
		h.LastFullPass, h.FullPassDuration = fromUnix(finished), time.Duration(millis)*time.Millisecond
	case !errors.Is(err, sql.ErrNoRows):
		return h, fmt.Errorf("store: sync health: %w", err)
	}
	return h, nil
}

// SetFullPass records that a complete sync pass of account ended at
// finished after d.
func (db *DB) SetFullPass(ctx context.Context, account string, finished time.Time, d time.Duration) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO sync_passes (account, finished, millis) VALUES (?, ?, ?)
			ON CONFLICT (account) DO UPDATE SET finished = excluded.finished, millis = excluded.millis`,
			account, finished.Unix(), d.Milliseconds())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record sync pass: %w", err)
	}
	return nil
}
