package store

import (
	"context"
	"database/sql"
)

// SetServerUnread records the server's count of unseen messages for the
// named mailboxes of account (from STATUS or LIST-STATUS), so that a folder
// whose headers are not synced yet still shows how much is unread. Names
// the store does not know are ignored. Once a mailbox has completed a sync,
// its Unread counts the stored messages instead, which also reflects local
// changes not yet replayed. It returns how many mailboxes' counts changed.
func (db *DB) SetServerUnread(ctx context.Context, account string, unseen map[string]int) (int, error) {
	if len(unseen) == 0 {
		return 0, nil
	}
	changed := 0
	err := db.write(ctx, func(tx *sql.Tx) error {
		st, err := tx.Prepare(`UPDATE mailboxes SET server_unread = ? WHERE account = ? AND name = ? AND server_unread != ?`)
		if err != nil {
			return err
		}
		defer st.Close()
		for name, n := range unseen {
			res, err := st.Exec(n, account, name, n)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			changed += int(k)
		}
		return nil
	})
	return changed, err
}
