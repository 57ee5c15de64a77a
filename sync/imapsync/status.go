package imapsync

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ternmail/tern/store"
)

// State is what an engine is doing.
type State string

// Engine states.
const (
	StateStopped    State = "stopped"
	StateConnecting State = "connecting"
	StateSyncing    State = "syncing"
	StateIdle       State = "idle"    // up to date, waiting for new mail
	StateOffline    State = "offline" // the server is unreachable; retrying
	StateError      State = "error"   // needs the user (wrong password, untrusted certificate)
)

// Status is a snapshot of an engine's state, for the status bar and the
// command line.
type Status struct {
	State  State
	Folder string // the folder being synced, if any
	Done   int    // progress within Folder
	Total  int
	Err    string // why, in StateOffline and StateError
	Since  time.Time
	Retry  time.Time // when the next attempt is due, in StateOffline
	// Cause is the error behind Err, for errors.Is and errors.As:
	// accounts.ErrSignInAgain says the account waits for the user to
	// sign in again in the browser.
	Cause error
}

// ChangeKind says what a Change is about.
type ChangeKind int

// Kinds of change an engine reports.
const (
	ChangeMailboxes    ChangeKind = iota + 1 // the folder list or its counts
	ChangeMessages                           // messages of MailboxID were added, changed or removed
	ChangeNewMail                            // Count new messages arrived in MailboxID (not on the first sync)
	ChangeBody                               // the body of MessageID was stored
	ChangeActionFailed                       // a pending action was refused and reverted; see Err and Message
)

// Change is one thing an engine wrote to the store.
type Change struct {
	Kind      ChangeKind
	MailboxID int64
	MessageID int64
	Count     int
	Message   store.Message
	Err       error
}

// FolderReport says what one sync pass did to one folder.
type FolderReport struct {
	Name        string        `json:"name"`
	Role        store.Role    `json:"role,omitempty"`
	ServerTotal int           `json:"server_total"`
	Stored      int           `json:"stored"`
	Unread      int           `json:"unread"`
	New         int           `json:"new"`
	FlagUpdates int           `json:"flag_updates"`
	Removed     int           `json:"removed"`
	Skipped     bool          `json:"unchanged,omitempty"` // nothing had changed since the last pass
	Duration    time.Duration `json:"-"`
	Millis      int64         `json:"ms"`
}

// Report says what one full sync pass did.
type Report struct {
	Account  string         `json:"account"`
	Folders  []FolderReport `json:"folders"`
	Actions  int            `json:"actions_replayed"`
	Bodies   int            `json:"bodies_fetched"`
	Duration time.Duration  `json:"-"`
	Millis   int64          `json:"ms"`
}

// Stats counts what an engine has done on the network since it was made:
// the numbers that show whether it settles when nothing happens.
type Stats struct {
	Passes    int64 // sync passes run (full or INBOX only)
	BytesSent int64 // bytes written to the server, beneath TLS
	BytesRecv int64 // bytes read from the server, beneath TLS
	Idling    int   // connections in IDLE now
	// SkippedFolders names, as the server sent them, the folders the last
	// listing left out because their names do not decode (invalid
	// modified UTF-7, control characters): the rest of the account syncs
	// without them.
	SkippedFolders []string
}

// meter is an engine's running Stats, shared by its connections; it is
// safe for concurrent use.
type meter struct {
	passes, sent, recv, idling atomic.Int64
	// For Engine.settled: IDLE commands started, whether the worker waits
	// for a signal, and how often it stopped waiting.
	idleStarts, waiting, wakes atomic.Int64

	mu      sync.Mutex
	skipped []string // Stats.SkippedFolders
}

func (m *meter) stats() Stats {
	m.mu.Lock()
	skipped := slices.Clone(m.skipped)
	m.mu.Unlock()
	return Stats{Passes: m.passes.Load(), BytesSent: m.sent.Load(), BytesRecv: m.recv.Load(), Idling: int(m.idling.Load()),
		SkippedFolders: skipped}
}
