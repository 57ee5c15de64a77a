package app

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/ternmail/tern/sync/imapsync"
)

// Event is something that changed. Events only say what changed; the store
// holds the data.
type Event interface{ isEvent() }

// AccountsChanged says accounts were added, removed or edited.
type AccountsChanged struct{}

// MailboxesChanged says the folder list or folder counts of Account changed.
type MailboxesChanged struct{ Account string }

// MessagesChanged says messages of one mailbox were added, changed or
// removed.
type MessagesChanged struct {
	Account   string
	MailboxID int64
}

// NewMail says new messages arrived in a mailbox during a sync after the
// first one; a GUI may notify on it.
type NewMail struct {
	Account   string
	MailboxID int64
	Count     int
}

// BodyFetched says the body of message MessageID is now in the store.
type BodyFetched struct {
	Account   string
	MessageID int64
}

// StatusChanged says the sync state of an account changed.
type StatusChanged struct {
	Account string
	Status  Status
}

// ActionFailed says a local action was refused by the server and reverted.
type ActionFailed struct {
	Account string
	Message Message
	Err     error
}

// Resync tells a subscriber that it missed events and should reload
// everything it shows.
type Resync struct{}

func (AccountsChanged) isEvent()  {}
func (MailboxesChanged) isEvent() {}
func (MessagesChanged) isEvent()  {}
func (NewMail) isEvent()          {}
func (BodyFetched) isEvent()      {}
func (StatusChanged) isEvent()    {}
func (ActionFailed) isEvent()     {}
func (Resync) isEvent()           {}

// Status is the sync state of one account.
type Status = imapsync.Status

// ErrClosed is returned by Subscription.Next after Close.
var ErrClosed = errors.New("app: subscription closed")

// Bus delivers events to subscribers without ever blocking the publisher.
// A subscriber whose buffer is full misses events and is sent Resync
// instead.
//
// Bus is safe for concurrent use.
type Bus struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{subs: map[*Subscription]struct{}{}} }

// Subscription is one subscriber's queue. Next is meant to be called from one
// goroutine; Close may be called from any.
type Subscription struct {
	bus      *Bus
	ch       chan Event
	overflow atomic.Bool
	done     chan struct{}
	once     sync.Once
}

// Subscribe returns a new subscription with room for buffer events
// (64 if buffer <= 0).
func (b *Bus) Subscribe(buffer int) *Subscription {
	if buffer <= 0 {
		buffer = 64
	}
	s := &Subscription{bus: b, ch: make(chan Event, buffer), done: make(chan struct{})}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Publish sends ev to every subscriber that has room, and marks the others
// for a Resync. It never blocks.
func (b *Bus) Publish(ev Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		select {
		case s.ch <- ev:
		default:
			s.overflow.Store(true)
		}
	}
}

// Next waits for the next event. After missed events it returns Resync once,
// before the events still queued.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	if s.overflow.Swap(false) {
		return Resync{}, nil
	}
	select {
	case ev := <-s.ch:
		return ev, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.done:
		return nil, ErrClosed
	}
}

// Close unsubscribes; a blocked Next returns ErrClosed.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.bus.mu.Lock()
		delete(s.bus.subs, s)
		s.bus.mu.Unlock()
		close(s.done)
	})
}
