package store

import (
	"context"
	"fmt"
	"strings"
)

// Unified folders list the messages of every account together, newest
// first: the mailboxes of one role (Inbox, Sent, Drafts) of all accounts,
// or, for RoleFlagged, every starred message of every account outside
// Trash, Junk and the server's own All and Flagged views (which would
// repeat them).

// unifiedSkipRoles are the roles whose mailboxes the unified Starred
// folder leaves out.
var unifiedSkipRoles = []any{RoleTrash, RoleJunk, RoleAll, RoleFlagged}

// UnifiedMessages returns a page of the unified folder of role, newest
// first, messages of all accounts together.
func (db *DB) UnifiedMessages(ctx context.Context, role Role, offset, limit int) ([]Message, error) {
	if role == RoleFlagged {
		return db.queryMessages(ctx, `SELECT `+messageCols+` FROM messages INDEXED BY messages_flagged
			WHERE flagged = 1 AND hidden = 0
			AND mailbox_id NOT IN (SELECT id FROM mailboxes WHERE role IN (`+marks(len(unifiedSkipRoles))+`))
			ORDER BY internal_date DESC, id DESC LIMIT ? OFFSET ?`,
			append(append([]any{}, unifiedSkipRoles...), limit, offset)...)
	}
	ids, err := db.roleMailboxes(ctx, role)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	// Each mailbox's newest offset+limit rows come from its date index;
	// only those are merged, never the whole of every mailbox.
	parts := make([]string, len(ids))
	args := make([]any, 0, 2*len(ids)+2)
	for i, id := range ids {
		parts[i] = `SELECT * FROM (SELECT ` + messageCols + ` FROM messages WHERE mailbox_id = ? AND hidden = 0
			ORDER BY internal_date DESC, uid DESC LIMIT ?)`
		args = append(args, id, offset+limit)
	}
	args = append(args, limit, offset)
	return db.queryMessages(ctx, `SELECT * FROM (`+strings.Join(parts, ` UNION ALL `)+`)
		ORDER BY internal_date DESC, id DESC LIMIT ? OFFSET ?`, args...)
}

// CountUnified returns how many messages the unified folder of role
// shows, and how many of them are unread.
func (db *DB) CountUnified(ctx context.Context, role Role) (total, unread int, err error) {
	if role == RoleFlagged {
		err = db.r.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(seen = 0), 0) FROM messages INDEXED BY messages_flagged
			WHERE flagged = 1 AND hidden = 0
			AND mailbox_id NOT IN (SELECT id FROM mailboxes WHERE role IN (`+marks(len(unifiedSkipRoles))+`))`,
			unifiedSkipRoles...).Scan(&total, &unread)
	} else {
		err = db.r.QueryRowContext(ctx, `SELECT coalesce(sum(shown), 0), coalesce(sum(unread), 0) FROM mailboxes WHERE role = ?`,
			role).Scan(&total, &unread)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("store: unified %s: %w", role, err)
	}
	return total, unread, nil
}

// roleMailboxes returns the IDs of every account's mailboxes of role.
func (db *DB) roleMailboxes(ctx context.Context, role Role) ([]int64, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id FROM mailboxes WHERE role = ? ORDER BY account, id`, role)
	if err != nil {
		return nil, fmt.Errorf("store: unified %s: %w", role, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
