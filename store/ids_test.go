package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestMessageIDsNeverReused: a message stored after the newest row was
// deleted (moved away, expunged) gets an ID of its own, also after the
// store is closed and opened again. SQLite alone hands out max(id)+1, so
// the new message took the deleted one's ID, and the window, undo steps
// and notifications that named the old message by ID named the new one.
func TestMessageIDsNeverReused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tern.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	inbox := seedMailbox(t, db, 3)
	put := func(db *DB, uid uint32) int64 {
		t.Helper()
		if err := db.PutMessages(ctx, "acct", inbox.ID, []Message{{UIDValidity: 7, UID: uid, InternalDate: time.Now(), Subject: "new"}}); err != nil {
			t.Fatal(err)
		}
		m, err := db.MessageByUID(ctx, inbox.ID, 7, uid)
		if err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	seen := map[int64]uint32{}
	for uid := uint32(4); uid <= 6; uid++ {
		id := put(db, uid)
		if old, ok := seen[id]; ok {
			t.Fatalf("UID %d got ID %d, which UID %d had", uid, id, old)
		}
		seen[id] = uid
		if err := db.DeleteUIDs(ctx, inbox.ID, 7, []uint32{uid}); err != nil {
			t.Fatal(err)
		}
		if uid == 5 { // and across a reopen
			db.Close()
			if db, err = Open(path); err != nil {
				t.Fatal(err)
			}
		}
	}
	db.Close()
}
