package app

import (
	"context"
	"errors"
	"fmt"
)

// MoveMessage moves message id to mailbox target of the same account:
// hidden locally at once, moved on the server in the background.
func (c *Core) MoveMessage(ctx context.Context, id, target int64) error {
	return c.localAction(ctx, func() (Message, error) { return c.store.Move(ctx, id, target) })
}

// CopyMessage copies message id to mailbox target of the same account.
func (c *Core) CopyMessage(ctx context.Context, id, target int64) error {
	return c.localAction(ctx, func() (Message, error) { return c.store.Copy(ctx, id, target) })
}

// Archive moves message id to its account's archive folder.
func (c *Core) Archive(ctx context.Context, id int64) error {
	return c.moveToRole(ctx, id, RoleArchive, "an Archive folder")
}

// MarkJunk moves message id to its account's junk folder.
func (c *Core) MarkJunk(ctx context.Context, id int64) error {
	return c.moveToRole(ctx, id, RoleJunk, "a Junk folder")
}

// Delete moves message id to Trash, or deletes it for good when it is in
// Trash already or the account has no Trash.
func (c *Core) Delete(ctx context.Context, id int64) error {
	m, err := c.store.Message(ctx, id)
	if err != nil {
		return err
	}
	trash, err := c.store.MailboxByRole(ctx, m.Account, RoleTrash)
	if errors.Is(err, ErrNotFound) || (err == nil && trash.ID == m.MailboxID) {
		return c.localAction(ctx, func() (Message, error) { return c.store.Expunge(ctx, id) })
	}
	if err != nil {
		return err
	}
	return c.MoveMessage(ctx, id, trash.ID)
}

func (c *Core) moveToRole(ctx context.Context, id int64, role Role, what string) error {
	m, err := c.store.Message(ctx, id)
	if err != nil {
		return err
	}
	target, err := c.store.MailboxByRole(ctx, m.Account, role)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("this account has no %s", what)
	}
	if err != nil {
		return err
	}
	if target.ID == m.MailboxID {
		return nil
	}
	return c.MoveMessage(ctx, id, target.ID)
}

// localAction applies a local change recorded for replay, tells the
// subscribers, and wakes the account's engine.
func (c *Core) localAction(ctx context.Context, apply func() (Message, error)) error {
	m, err := apply()
	if err != nil {
		return err
	}
	c.bus.Publish(MessagesChanged{Account: m.Account, MailboxID: m.MailboxID})
	c.bus.Publish(MailboxesChanged{Account: m.Account})
	c.mu.Lock()
	run, ok := c.engines[m.Account]
	c.mu.Unlock()
	if ok {
		run.engine.Kick()
	}
	return nil
}

// CreateFolder creates a folder in account on the server. It waits on the
// network: call it off the UI goroutine.
func (c *Core) CreateFolder(ctx context.Context, account, name string) error {
	e, err := c.engine(account)
	if err != nil {
		return err
	}
	return e.CreateMailbox(ctx, name)
}

// RenameFolder renames a folder of account on the server; its messages are
// fetched again under the new name.
func (c *Core) RenameFolder(ctx context.Context, account, from, to string) error {
	e, err := c.engine(account)
	if err != nil {
		return err
	}
	return e.RenameMailbox(ctx, from, to)
}

// DeleteFolder deletes a folder of account, with its messages, on the
// server.
func (c *Core) DeleteFolder(ctx context.Context, account, name string) error {
	e, err := c.engine(account)
	if err != nil {
		return err
	}
	return e.DeleteMailbox(ctx, name)
}
