package desktopnotify_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ternmail/tern/internal/desktopnotify"
	"github.com/ternmail/tern/internal/desktopnotify/notifytest"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestSendAndActions sends a notification with actions to a service on a
// private bus, checks what the service received, and follows a click on
// an action back to the client; a signal about another program's
// notification is not passed on.
func TestSendAndActions(t *testing.T) {
	addr := notifytest.Bus(t)
	srv := notifytest.Start(t, addr, nil)
	events := make(chan desktopnotify.Event, 8)
	c, err := desktopnotify.Connect(ctxT(t), &desktopnotify.Options{Address: addr, OnEvent: func(ev desktopnotify.Event) { events <- ev }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.HasActions() {
		t.Fatalf("capabilities %v", c.Capabilities())
	}
	id, err := c.Send(ctxT(t), desktopnotify.Notification{AppName: "Tern", Icon: "org.ternmail.tern", Summary: "Alice",
		Body: "Lunch", Category: "email.arrived", DesktopEntry: "org.ternmail.tern", Urgency: desktopnotify.UrgencyNormal,
		Actions: []desktopnotify.Action{{Key: "default", Label: "Open"}, {Key: "mark-read", Label: "Mark read"}}})
	if err != nil {
		t.Fatal(err)
	}
	calls := srv.Calls()
	if len(calls) != 1 {
		t.Fatalf("calls %+v", calls)
	}
	got := calls[0]
	if got.ID != id || got.AppName != "Tern" || got.Summary != "Alice" || got.Body != "Lunch" || got.Icon != "org.ternmail.tern" ||
		got.Timeout != -1 || !slices.Equal(got.Actions, []string{"default", "Open", "mark-read", "Mark read"}) {
		t.Fatalf("call %+v", got)
	}
	if got.Hints["category"] != "email.arrived" || got.Hints["desktop-entry"] != "org.ternmail.tern" || got.Hints["urgency"] != byte(1) {
		t.Fatalf("hints %+v", got.Hints)
	}

	// Another program's notification: its signals are not ours.
	if err := srv.Invoke(id+100, "default"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Invoke(id, "mark-read"); err != nil {
		t.Fatal(err)
	}
	want := []desktopnotify.Event{
		{Kind: desktopnotify.ActionInvoked, ID: id, Action: "mark-read"},
		{Kind: desktopnotify.Closed, ID: id, Reason: desktopnotify.ReasonDismissed},
	}
	for _, w := range want {
		select {
		case ev := <-events:
			if ev != w {
				t.Fatalf("event %+v, want %+v", ev, w)
			}
		case <-ctxT(t).Done():
			t.Fatalf("no event %+v", w)
		}
	}
	if err := c.CloseNotification(ctxT(t), id); err != nil || !slices.Equal(srv.Closed(), []uint32{id}) {
		t.Fatalf("close: %v %v", err, srv.Closed())
	}
}

// TestNoActionsCapability: a service that does not list "actions" gets
// none.
func TestNoActionsCapability(t *testing.T) {
	addr := notifytest.Bus(t)
	srv := notifytest.Start(t, addr, []string{"body"})
	c, err := desktopnotify.Connect(ctxT(t), &desktopnotify.Options{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Send(ctxT(t), desktopnotify.Notification{Summary: "S", Actions: []desktopnotify.Action{{Key: "default", Label: "Open"}}}); err != nil {
		t.Fatal(err)
	}
	if calls := srv.Calls(); len(calls) != 1 || len(calls[0].Actions) != 0 {
		t.Fatalf("calls %+v", calls)
	}
}

// TestNoService: without a bus, or with a bus and no service on it,
// Connect says so with ErrNoService.
func TestNoService(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	if _, err := desktopnotify.Connect(ctxT(t), nil); !errors.Is(err, desktopnotify.ErrNoService) {
		t.Fatalf("no bus: %v", err)
	}
	addr := notifytest.Bus(t)
	if _, err := desktopnotify.Connect(ctxT(t), &desktopnotify.Options{Address: addr}); !errors.Is(err, desktopnotify.ErrNoService) {
		t.Fatalf("no service: %v", err)
	}
}
