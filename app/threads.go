package app

import (
	"context"

	"github.com/ternmail/tern/store"
)

// Conversation is a snapshot of one thread as a folder's conversation
// list shows it: its newest message in that folder, how many messages it
// has across the account's folders and how many are unread, and who wrote.
type Conversation = store.Conversation

// Conversations returns a page of the conversations of a mailbox, the one
// with the newest message there first. A conversation spans the account's
// folders (a reply filed in Sent belongs to the conversation it answers).
func (c *Core) Conversations(ctx context.Context, mailboxID int64, offset, limit int) ([]Conversation, error) {
	return c.store.ConversationPage(ctx, mailboxID, offset, limit)
}

// CountConversations returns how many conversations have a message in a
// mailbox.
func (c *Core) CountConversations(ctx context.Context, mailboxID int64) (int, error) {
	return c.store.CountConversations(ctx, mailboxID)
}

// ConversationMessages returns the messages of conversation threadID of
// account across its folders, oldest first, seen from mailbox from: a
// message filed in several folders comes once (from's copy if it has one),
// and Trash and Junk are left out unless from is one of them.
func (c *Core) ConversationMessages(ctx context.Context, account string, threadID, from int64) ([]Message, error) {
	return c.store.ConversationMessages(ctx, account, threadID, from)
}
