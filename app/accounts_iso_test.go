package app

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/store"
	"github.com/ternmail/tern/sync/imapsync"
)

// TestSlowAccountDelaysNoOther runs two accounts, one of them on a server
// that accepts connections and never answers: the other syncs as if alone.
func TestSlowAccountDelaysNoOther(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never a byte
		}
	}()
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{TLS: true, Seed: mailtest.DemoSeed(time.Now())})
	c, err := New(Options{Home: t.TempDir(), Secrets: accounts.NewMemorySecrets(),
		Sync: &imapsync.Options{CommandTimeout: 3 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	ctx := context.Background()
	port := silent.Addr().(*net.TCPAddr).Port
	slow := accounts.Account{Name: "Slow", Email: "slow@example.test",
		IMAP: accounts.Endpoint{Host: "127.0.0.1", Port: port, Security: accounts.SecurityNone},
		SMTP: accounts.Endpoint{Host: "127.0.0.1", Port: port, Security: accounts.SecurityNone}}
	if _, err := c.AddAccount(ctx, slow, "pw", &AddOptions{SkipVerify: true}); err != nil {
		t.Fatal(err)
	}
	good, err := c.AddAccount(ctx, mailtest.DemoAccount(srv), srv.Password, &AddOptions{SkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c.Start()
	waitUntil(t, "the good account synced", func() bool {
		inbox, err := c.Store().MailboxByRole(ctx, good.ID, store.RoleInbox)
		return err == nil && inbox.Total > 0 && c.Status(good.ID).State == imapsync.StateIdle
	})
	t.Logf("good account idle after %v; slow account: %+v", time.Since(start), c.Status("slow-example-test"))
	if st := c.Status("slow-example-test").State; st == imapsync.StateIdle {
		t.Fatalf("the silent account claims to be idle")
	}
	waitUntil(t, "the slow account offline", func() bool { return c.Status("slow-example-test").State == imapsync.StateOffline })
}
