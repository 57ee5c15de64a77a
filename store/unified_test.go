package store

import (
	"context"
	"testing"
	"time"
)

func TestUnifiedAcrossAccounts(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	inA, sentA, trashA := threadBoxes(t, db, "a")
	inB, _, _ := threadBoxes(t, db, "b")
	at := func(h int) time.Time { return threadBase.Add(time.Duration(h) * time.Hour) }
	msg := func(uid uint32, h int, flags ...string) Message {
		return Message{UIDValidity: 1, UID: uid, InternalDate: at(h), Flags: flags}
	}
	put(t, db, inA, msg(1, 1), msg(2, 4, FlagFlagged), msg(3, 6, FlagSeen))
	put(t, db, inB, msg(1, 2, FlagSeen), msg(2, 3), msg(3, 5, FlagFlagged, FlagSeen))
	put(t, db, sentA, msg(1, 7, FlagSeen, FlagFlagged))
	put(t, db, trashA, msg(1, 8, FlagFlagged)) // starred in Trash: not in Starred

	page := func(role Role, off, lim int) string {
		t.Helper()
		msgs, err := db.UnifiedMessages(ctx, role, off, lim)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, m := range msgs {
			s += m.Account + m.InternalDate.UTC().Format("15") + " "
		}
		return s
	}
	if got, want := page(RoleInbox, 0, 10), "a15 b14 a13 b12 b11 a10 "; got != want {
		t.Errorf("unified inbox %q, want %q", got, want)
	}
	if got, want := page(RoleInbox, 2, 3), "a13 b12 b11 "; got != want {
		t.Errorf("unified inbox page 2..4 %q, want %q", got, want)
	}
	if got, want := page(RoleFlagged, 0, 10), "a16 b14 a13 "; got != want {
		t.Errorf("unified starred %q, want %q", got, want)
	}
	for _, c := range []struct {
		role          Role
		total, unread int
	}{{RoleInbox, 6, 3}, {RoleSent, 1, 0}, {RoleDrafts, 0, 0}, {RoleFlagged, 3, 1}} {
		total, unread, err := db.CountUnified(ctx, c.role)
		if err != nil || total != c.total || unread != c.unread {
			t.Errorf("CountUnified(%s) = %d, %d, %v; want %d, %d", c.role, total, unread, err, c.total, c.unread)
		}
	}
	if got := page(RoleDrafts, 0, 10); got != "" {
		t.Errorf("unified drafts %q, want none", got)
	}
}
