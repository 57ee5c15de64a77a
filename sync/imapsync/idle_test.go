package imapsync

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ternmail/tern/store"
)

// TestSyncInprocIdleRestarts runs the engine with a tiny IDLE restart
// interval, with a dedicated idle connection (2) and with one connection
// (1): IDLE is restarted again and again and new mail still arrives by push
// after several restarts, and after the server ends IDLE without a word.
// In-process only: it counts the IDLE commands the server was sent, and
// ends IDLE from the server's side, which only that server can do.
func TestSyncInprocIdleRestarts(t *testing.T) {
	for _, conns := range []int{1, 2} {
		t.Run(fmt.Sprint(conns), func(t *testing.T) {
			f := newFixture(t, profileInproc, nil)
			f.opts.Connections = conns
			f.opts.PollInterval = time.Hour // new mail can come only by IDLE
			f.opts.IdleRestart = 30 * time.Millisecond
			f.opts.BodiesPerPass = -1
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			e := New(f.st, f.acct, f.opts)
			done := make(chan struct{})
			go func() { e.Run(ctx); close(done) }()
			waitFor(t, "idle", func() bool { return e.Status().State == StateIdle })
			inbox, _ := f.st.MailboxByRole(ctx, f.acct.ID, store.RoleInbox)
			deliver := func(i int) {
				t.Helper()
				f.deliverAndWait(t, inbox, fmt.Sprintf("after restarts %d", i))
			}
			for i := 0; i < 3; i++ {
				base := f.srv.IdleCommands()
				waitFor(t, "five IDLE restarts", func() bool { return f.srv.IdleCommands() >= base+5 })
				deliver(i)
			}
			// The server ends IDLE but keeps the connection: the engine
			// notices at its next restart and push goes on.
			f.srv.EndIdles()
			deliver(3)
			base := f.srv.IdleCommands()
			waitFor(t, "IDLE again", func() bool { return f.srv.IdleCommands() > base })
			deliver(4)
			cancel()
			<-done
		})
	}
}
