package app

import (
	"github.com/ternmail/tern/store"
	"github.com/ternmail/tern/sync/imapsync"
)

// The data types the window and the command line read through Core. They
// are the store's and the sync engine's own plain values, named here so that
// app stays the only package its callers import: a caller never holds a
// store or an engine, only snapshots.

// Mailbox is a snapshot of one folder of an account.
type Mailbox = store.Mailbox

// Message is a snapshot of one message's headers and state.
type Message = store.Message

// Address is one name and address of a message header.
type Address = store.Address

// RecentAddress is an address the account has written to or read from,
// for completion in the composer.
type RecentAddress = store.RecentAddress

// Draft is a message being written, saved locally.
type Draft = store.Draft

// DraftFile is one attachment of a Draft.
type DraftFile = store.DraftFile

// OutboxItem is a snapshot of one message of the send queue.
type OutboxItem = store.OutboxItem

// Role is the special use of a mailbox; the zero Role is an ordinary folder.
type Role = store.Role

// The roles a mailbox can have.
const (
	RoleInbox   = store.RoleInbox
	RoleSent    = store.RoleSent
	RoleDrafts  = store.RoleDrafts
	RoleArchive = store.RoleArchive
	RoleTrash   = store.RoleTrash
	RoleJunk    = store.RoleJunk
	RoleAll     = store.RoleAll
	RoleFlagged = store.RoleFlagged
)

// Message flags, as Message.Flags holds them (see Message.HasFlag).
const (
	FlagSeen    = store.FlagSeen
	FlagFlagged = store.FlagFlagged
)

// States of an OutboxItem (see store.OutboxItem for the transitions).
const (
	OutboxQueued    = store.OutboxQueued
	OutboxSending   = store.OutboxSending
	OutboxSent      = store.OutboxSent
	OutboxPartial   = store.OutboxPartial
	OutboxFailed    = store.OutboxFailed
	OutboxUncertain = store.OutboxUncertain
)

// Per-recipient results of an OutboxItem.
const (
	RcptSent     = store.RcptSent
	RcptRejected = store.RcptRejected
	RcptDeferred = store.RcptDeferred
)

// ErrNotFound is returned (wrapped or not) when a message, mailbox, draft or
// outbox row does not exist, or no longer does.
var ErrNotFound = store.ErrNotFound

// State is the sync state of an account, the State of its Status.
type State = imapsync.State

// The sync states of an account.
const (
	StateStopped    = imapsync.StateStopped
	StateConnecting = imapsync.StateConnecting
	StateSyncing    = imapsync.StateSyncing
	StateIdle       = imapsync.StateIdle
	StateOffline    = imapsync.StateOffline
	StateError      = imapsync.StateError
)

// SyncReport says what one sync pass of an account did (see SyncOnce).
type SyncReport = imapsync.Report

// TooLargeError is what opening a message whose body is bigger than Tern
// downloads returns; its text is the reader's line for it.
type TooLargeError = imapsync.TooLargeError
