package store

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
)

// TestRecentMigration opens a store whose messages kept \Recent, as syncs
// before migration 13 stored it, and checks that the flag is gone and the
// others are kept.
func TestRecentMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tern.db")
	raw := oldStore(t, path, 12,
		`INSERT INTO mailboxes (id, account, name) VALUES (1, 'a', 'INBOX')`,
		`INSERT INTO messages (account, mailbox_id, uidvalidity, uid, flags) VALUES
			('a', 1, 1, 1, '\Recent'), ('a', 1, 1, 2, '\Seen \Recent \Flagged'), ('a', 1, 1, 3, '\Seen'), ('a', 1, 1, 4, '\Recent $Label1')`,
	)
	db := upgraded(t, raw, path)
	msgs, err := db.Messages(context.Background(), 1, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint32][]string{1: nil, 2: {`\Seen`, `\Flagged`}, 3: {`\Seen`}, 4: {`$Label1`}}
	if len(msgs) != len(want) {
		t.Fatalf("%d messages after the migration, want %d", len(msgs), len(want))
	}
	for _, m := range msgs {
		if !slices.Equal(m.Flags, want[m.UID]) {
			t.Errorf("UID %d: flags %q, want %q", m.UID, m.Flags, want[m.UID])
		}
	}
}
