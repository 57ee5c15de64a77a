package app

import "context"

// UnifiedRoles returns the roles that have a unified folder across
// accounts, in the order the folder tree shows them. RoleFlagged is
// Starred: every starred message of every account (outside Trash and
// Junk), whatever its folder.
func UnifiedRoles() []Role { return []Role{RoleInbox, RoleFlagged, RoleSent, RoleDrafts} }

// UnifiedMessages returns a page of the unified folder of role, newest
// first, the messages of all accounts together; each Message names its
// Account, and actions on it (by its ID) act on that account.
func (c *Core) UnifiedMessages(ctx context.Context, role Role, offset, limit int) ([]Message, error) {
	return c.store.UnifiedMessages(ctx, role, offset, limit)
}

// CountUnified returns how many messages the unified folder of role shows,
// and how many of them are unread.
func (c *Core) CountUnified(ctx context.Context, role Role) (total, unread int, err error) {
	return c.store.CountUnified(ctx, role)
}
