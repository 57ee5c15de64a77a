package app

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBusDeliversInOrder(t *testing.T) {
	b := NewBus()
	s := b.Subscribe(8)
	defer s.Close()
	b.Publish(MailboxesChanged{Account: "a"})
	b.Publish(MessagesChanged{Account: "a", MailboxID: 3})
	ctx := context.Background()
	ev, _ := s.Next(ctx)
	if ev != (MailboxesChanged{Account: "a"}) {
		t.Fatalf("first = %#v", ev)
	}
	ev, _ = s.Next(ctx)
	if ev != (MessagesChanged{Account: "a", MailboxID: 3}) {
		t.Fatalf("second = %#v", ev)
	}
}

func TestBusFullSubscriberGetsResyncAndPublisherNeverBlocks(t *testing.T) {
	b := NewBus()
	slow := b.Subscribe(2)
	defer slow.Close()
	fast := b.Subscribe(1000)
	defer fast.Close()
	done := make(chan struct{})
	go func() {
		for i := 0; i < 500; i++ {
			b.Publish(MessagesChanged{MailboxID: int64(i)})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish blocked on a full subscriber")
	}
	ctx := context.Background()
	ev, _ := slow.Next(ctx)
	if _, ok := ev.(Resync); !ok {
		t.Fatalf("slow subscriber got %#v, want Resync first", ev)
	}
	// After the Resync the queued events still come, then nothing is owed.
	for i := 0; i < 2; i++ {
		if ev, _ := slow.Next(ctx); ev == nil {
			t.Fatal("queued event lost")
		}
	}
	for i := 0; i < 500; i++ {
		ev, _ := fast.Next(ctx)
		if ev.(MessagesChanged).MailboxID != int64(i) {
			t.Fatalf("fast subscriber event %d = %#v", i, ev)
		}
	}
}

func TestSubscriptionClose(t *testing.T) {
	b := NewBus()
	s := b.Subscribe(1)
	go func() {
		time.Sleep(20 * time.Millisecond)
		s.Close()
	}()
	if _, err := s.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close: %v", err)
	}
	b.Publish(AccountsChanged{}) // no panic on a closed subscription
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	s2 := b.Subscribe(1)
	if _, err := s2.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next with expired ctx: %v", err)
	}
}
