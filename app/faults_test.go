package app

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/message"
	"github.com/ternmail/tern/store"
	"github.com/ternmail/tern/sync/outbox"
)

// The keychain fault tests run a core in a child process (this test
// binary, TestFaultKeychainChild) whose OS keychain is missing (no D-Bus
// session bus) or hangs (a session bus address where a listener accepts and
// never answers). The child's D-Bus library keeps process-wide state that a
// hung connection would leave stuck, hence the separate process.

const (
	faultChildEnv = "TERN_FAULT_KEYCHAIN_CHILD"
	faultHomeEnv  = "TERN_FAULT_KEYCHAIN_HOME"
)

// TestFaultKeychainChild is the child's part: with the account saved in
// $TERN_FAULT_KEYCHAIN_HOME and the keychain broken, every path that needs
// the password reports a clear error instead of hanging, and a message
// sent meanwhile stays queued. It prints one line per result.
func TestFaultKeychainChild(t *testing.T) {
	home := os.Getenv(faultHomeEnv)
	if os.Getenv(faultChildEnv) == "" || home == "" {
		t.Skip("run by TestFaultKeychain")
	}
	// The OS keychain as the window uses it, with a short timeout; one
	// attempt to send, the next an hour later.
	c, err := New(Options{Home: home, Secrets: accounts.NewKeyring(&accounts.KeyringOptions{Timeout: time.Second}),
		Outbox: &outbox.Options{UndoDelay: -1, RetryBase: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	accts := c.Accounts()
	if len(accts) != 1 {
		t.Fatalf("%d accounts", len(accts))
	}
	id := accts[0].ID
	ctx := context.Background()
	sub := c.Subscribe()
	defer sub.Close()

	for _, m := range c.MissingPasswords(ctx) {
		fmt.Printf("MISSING %s\n", m.Err)
	}
	_, err = c.SyncOnce(ctx, id)
	fmt.Printf("SYNC %v\n", err)

	c.Start()
	it, err := c.Send(ctx, id, &message.Draft{To: []message.Address{{Email: "bob@example.test"}}, Subject: "while the keychain is broken", Text: "Hello.\n"}, &SendOptions{NoUndo: true})
	if err != nil {
		t.Fatal(err)
	}
	var status Status
	var item store.OutboxItem
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	// The outbox records the keychain's failure as the message's last
	// error without counting a send attempt (the message never reached
	// a server).
	for item.LastError == "" || status.Err == "" {
		if item, err = c.store.OutboxItem(ctx, it.ID); err != nil {
			t.Fatal(err)
		}
		if s := c.Status(id); s.State == "error" || s.State == "offline" {
			status = s
		}
		if item.LastError != "" && status.Err != "" {
			break
		}
		if _, err := sub.Next(wctx); err != nil {
			t.Fatalf("waiting for the engine and the outbox: %v (status %+v, outbox %s %q)", err, c.Status(id), item.State, item.LastError)
		}
	}
	fmt.Printf("STATUS %s %s\n", status.State, status.Err)
	fmt.Printf("OUTBOX %d %s %s\n", item.ID, item.State, item.LastError)
	fmt.Printf("ATTEMPTS %d\n", item.Attempts)
	c.Shutdown()
	fmt.Println("DONE")
}

// silentBus listens on a unix socket, accepts connections and never
// answers: a D-Bus session bus that hangs.
func silentBus(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tern-bus-") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "bus")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, never read or answered
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return "unix:path=" + path
}

// childEnv is the environment without the variables that point at a
// D-Bus session bus or a keyring.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "DBUS_SESSION_BUS_ADDRESS", "GNOME_KEYRING_CONTROL", faultChildEnv, faultHomeEnv:
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// TestFaultKeychain runs the child with the keychain missing and with it
// hanging, checks that each path reports the keychain in plain words, and
// then that the message queued meanwhile is sent once the password is
// given for the session: nothing waits forever and nothing is lost.
func TestFaultKeychain(t *testing.T) {
	if _, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid())); err == nil {
		t.Skip("this machine has a session bus at its standard path; the child could not be cut off from it")
	}
	alice := mailtest.RealUser{Name: "alice@example.test", Password: "alice-pw-f"}
	bob := mailtest.RealUser{Name: "bob@example.test", Password: "bob-pw-f"}
	real := mailtest.RealForTest(t, alice, bob)
	for _, tc := range []struct {
		name string
		env  func(t *testing.T) []string
		want string // in every error
	}{
		{"missing", func(*testing.T) []string { return nil }, "keychain unavailable: no D-Bus session bus"},
		{"hanging", func(t *testing.T) []string { return []string{"DBUS_SESSION_BUS_ADDRESS=" + silentBus(t)} },
			"keychain unavailable: the keychain did not answer within 1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			c0, acct := coreWithRealAccountAt(t, home, real, alice)
			c0.Shutdown()

			ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestFaultKeychainChild$", "-test.count=1")
			cmd.Env = childEnv(append(tc.env(t), faultChildEnv+"=1", faultHomeEnv+"="+home)...)
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("the child hung:\n%s", out)
			}
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			lines := map[string]string{}
			sc := bufio.NewScanner(strings.NewReader(string(out)))
			for sc.Scan() {
				if k, v, ok := strings.Cut(sc.Text(), " "); ok && strings.ToUpper(k) == k {
					lines[k] = v
				}
			}
			if _, ok := lines["DONE"]; !ok && !strings.Contains(string(out), "\nDONE\n") {
				t.Fatalf("the child did not finish:\n%s", out)
			}
			for _, k := range []string{"MISSING", "SYNC", "STATUS", "OUTBOX"} {
				if !strings.Contains(lines[k], tc.want) {
					t.Errorf("%s: %q does not say %q", k, lines[k], tc.want)
				}
				if strings.Contains(lines[k], "cannot reach") {
					t.Errorf("%s: %q blames the server for the keychain", k, lines[k])
				}
				t.Logf("%s %s", k, lines[k])
			}
			if !strings.HasPrefix(lines["STATUS"], "error ") {
				t.Errorf("engine status %q, want error (the user must act)", lines["STATUS"])
			}
			var outboxID int64
			var state string
			fmt.Sscanf(lines["OUTBOX"], "%d %s", &outboxID, &state)
			if state != store.OutboxQueued {
				t.Fatalf("the message is %q, want queued for a retry", state)
			}
			if lines["ATTEMPTS"] != "0" {
				t.Errorf("the keychain's failure counted %s send attempts, want 0", lines["ATTEMPTS"])
			}

			// The password given for this session: the queued message
			// goes out, once.
			mem := accounts.NewMemorySecrets()
			for _, server := range []string{accounts.ServerIMAP, "smtp"} {
				if err := mem.Set(context.Background(), acct.ID, server, alice.Password); err != nil {
					t.Fatal(err)
				}
			}
			// A clock past the retry the child's attempt scheduled.
			later := func() time.Time { return time.Now().Add(2 * time.Hour) }
			c, err := New(Options{Home: home, Secrets: mem, Outbox: &outbox.Options{Now: later}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Shutdown()
			c.Start()
			it, err := c.WaitSent(ctx, outboxID)
			if err != nil || it.State != store.OutboxSent {
				t.Fatalf("after the password was given: %+v %v", it, err)
			}
			all, err := c.Outbox(ctx, acct.ID)
			if err != nil || len(all) != 1 {
				t.Fatalf("outbox: %d messages, %v", len(all), err)
			}
		})
	}
}

// coreWithRealAccountAt is coreWithRealAccount with the core's home at
// home, and the password kept in memory only.
func coreWithRealAccountAt(t *testing.T, home string, real *mailtest.Real, user mailtest.RealUser) (*Core, accounts.Account) {
	t.Helper()
	c, err := New(Options{Home: home, Secrets: accounts.NewMemorySecrets()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	a := accounts.Account{Name: "Alice", Email: user.Name, IMAP: endpointOf(t, real.IMAPAddr), SMTP: endpointOf(t, real.SubmissionAddr),
		PinnedCerts: map[string]string{real.IMAPAddr: real.CertSHA256, real.SubmissionAddr: real.CertSHA256}}
	acct, err := c.AddAccount(context.Background(), a, user.Password, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, acct
}
