package accounts

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// mapBackend is an in-memory keyringBackend with go-keyring's errors.
type mapBackend struct {
	mu    sync.Mutex
	items map[string]string
}

func newMapBackend() *mapBackend { return &mapBackend{items: make(map[string]string)} }

func (m *mapBackend) Get(service, user string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.items[service+"\x00"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (m *mapBackend) Set(service, user, secret string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[service+"\x00"+user] = secret
	return nil
}

func (m *mapBackend) Delete(service, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.items[service+"\x00"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(m.items, service+"\x00"+user)
	return nil
}

// hangBackend blocks every call until release is closed, like a keychain
// waiting for an unlock prompt nobody answers.
type hangBackend struct{ release chan struct{} }

func (h hangBackend) Get(string, string) (string, error) { <-h.release; return "late", nil }
func (h hangBackend) Set(string, string, string) error   { <-h.release; return nil }
func (h hangBackend) Delete(string, string) error        { <-h.release; return nil }

// errBackend fails every call with err.
type errBackend struct{ err error }

func (e errBackend) Get(string, string) (string, error) { return "", e.err }
func (e errBackend) Set(string, string, string) error   { return e.err }
func (e errBackend) Delete(string, string) error        { return e.err }

// testSecrets runs the behaviour every Secrets implementation shares.
func testSecrets(t *testing.T, s Secrets) {
	t.Helper()
	ctx := context.Background()
	const pw = "pä$$ wörd \"'\\ 🔑"
	if _, err := s.Get(ctx, "acct-a", ServerIMAP); !errors.Is(err, ErrSecretNotFound) {
		t.Fatalf("Get before Set: %v, want ErrSecretNotFound", err)
	}
	if err := s.Set(ctx, "acct-a", ServerIMAP, pw); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "acct-a", ServerIMAP); err != nil || got != pw {
		t.Fatalf("Get = %q, %v", got, err)
	}
	// Other accounts and servers are separate items.
	if err := s.Set(ctx, "acct-b", ServerIMAP, "b-imap"); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "acct-a", ServerSMTP, "a-smtp"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ id, server, want string }{
		{"acct-a", ServerIMAP, pw}, {"acct-b", ServerIMAP, "b-imap"}, {"acct-a", ServerSMTP, "a-smtp"},
	} {
		if got, err := s.Get(ctx, c.id, c.server); err != nil || got != c.want {
			t.Errorf("Get(%s, %s) = %q, %v; want %q", c.id, c.server, got, err, c.want)
		}
	}
	if _, err := s.Get(ctx, "acct-b", ServerSMTP); !errors.Is(err, ErrSecretNotFound) {
		t.Errorf("Get(acct-b, smtp) = %v, want ErrSecretNotFound", err)
	}
	// Overwrite.
	if err := s.Set(ctx, "acct-a", ServerIMAP, "new"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, "acct-a", ServerIMAP); got != "new" {
		t.Errorf("after overwrite Get = %q", got)
	}
	// Delete one; the others stay.
	if err := s.Delete(ctx, "acct-a", ServerIMAP); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get(ctx, "acct-a", ServerIMAP)
	if !errors.Is(err, ErrSecretNotFound) || IsKeychainUnavailable(err) {
		t.Errorf("Get after Delete: %v, want ErrSecretNotFound", err)
	}
	if got, _ := s.Get(ctx, "acct-b", ServerIMAP); got != "b-imap" {
		t.Errorf("acct-b lost its secret: %q", got)
	}
	if err := s.Delete(ctx, "acct-a", ServerIMAP); err != nil {
		t.Errorf("Delete of a missing secret: %v", err)
	}
	for _, id := range []string{"acct-b", "acct-a"} {
		for _, srv := range []string{ServerIMAP, ServerSMTP} {
			if err := s.Delete(ctx, id, srv); err != nil {
				t.Error(err)
			}
		}
	}
	// Bad keys are refused before reaching the store.
	for _, k := range [][2]string{{"", ServerIMAP}, {"acct-a", ""}, {"a/b", ServerIMAP}, {"acct-a", "imap/x"}} {
		if err := s.Set(ctx, k[0], k[1], "x"); err == nil {
			t.Errorf("Set(%q, %q) accepted", k[0], k[1])
		}
	}
	if err := ProbeKeychain(ctx, s); err != nil {
		t.Errorf("ProbeKeychain: %v", err)
	}
}

func TestMemorySecrets(t *testing.T) {
	testSecrets(t, NewMemorySecrets())
}

func TestMemorySecretsConcurrent(t *testing.T) {
	s := NewMemorySecrets()
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("acct-%d", g%3)
			for i := range 200 {
				want := fmt.Sprintf("%d-%d", g, i)
				if err := s.Set(ctx, id, fmt.Sprintf("s%d", g), want); err != nil {
					t.Error(err)
					return
				}
				if got, err := s.Get(ctx, id, fmt.Sprintf("s%d", g)); err != nil || got != want {
					t.Errorf("Get = %q, %v; want %q", got, err, want)
					return
				}
				s.Get(ctx, id, "s0")
				if i%10 == 0 {
					s.Delete(ctx, id, fmt.Sprintf("s%d", g))
				}
			}
		}()
	}
	wg.Wait()
}

func TestKeychainWithFakeBackend(t *testing.T) {
	b := newMapBackend()
	testSecrets(t, newKeychain(&KeyringOptions{Service: "tern-test"}, b))
	if len(b.items) != 0 {
		t.Errorf("items left behind: %v", b.items)
	}
	k := newKeychain(&KeyringOptions{Service: "svc"}, b)
	k.Set(context.Background(), "acct-a", ServerIMAP, "x")
	if _, ok := b.items["svc\x00acct-a/imap"]; !ok {
		t.Errorf("item not stored as service svc, user acct-a/imap: %v", b.items)
	}
}

func TestKeychainTimeout(t *testing.T) {
	h := hangBackend{release: make(chan struct{})}
	defer close(h.release)
	k := NewKeyring(&KeyringOptions{Timeout: 100 * time.Millisecond}).(*keychain)
	k.backend = h
	ctx := context.Background()
	ops := map[string]func() error{
		"get":    func() error { _, err := k.Get(ctx, "acct-a", ServerIMAP); return err },
		"set":    func() error { return k.Set(ctx, "acct-a", ServerIMAP, "s3cret-value") },
		"delete": func() error { return k.Delete(ctx, "acct-a", ServerIMAP) },
		"probe":  func() error { return ProbeKeychain(ctx, k) },
	}
	for name, op := range ops {
		start := time.Now()
		err := op()
		if d := time.Since(start); d > 30*time.Second { // a hang guard; the error kind proves the path
			t.Errorf("%s took %v with a 100ms timeout", name, d)
		}
		if !IsKeychainUnavailable(err) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v; want a KeychainError for a timeout", name, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "did not answer within 100ms") || strings.Contains(msg, "s3cret") {
			t.Errorf("%s: message %q", name, msg)
		}
	}

	// The caller's context ends first: its error, not "unavailable".
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	k.timeout = time.Hour
	_, err := k.Get(cctx, "acct-a", ServerIMAP)
	if !errors.Is(err, context.DeadlineExceeded) || IsKeychainUnavailable(err) {
		t.Errorf("with a short context: %v", err)
	}
}

func TestKeychainErrorMessages(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		backend error
		want    string
	}{
		{errors.New("The name org.freedesktop.secrets was not provided by any .service files"), "no Secret Service on the session bus (is gnome-keyring or KeePassXC running?)"},
		{errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"), "locked"},
		{errors.New("dial unix /nonexistent: connect: no such file or directory"), "cannot connect to the D-Bus session bus"},
		{errNoSessionBus, "no D-Bus session bus"},
		{errors.New("refused: s3cret-value"), "details withheld"},
	}
	for _, tt := range tests {
		k := newKeychain(nil, errBackend{tt.backend})
		err := k.Set(ctx, "acct-a", ServerIMAP, "s3cret-value")
		if !IsKeychainUnavailable(err) {
			t.Errorf("%v: not unavailable: %v", tt.backend, err)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "keychain unavailable: ") || !strings.Contains(msg, tt.want) || strings.Contains(msg, "s3cret") {
			t.Errorf("message %q; want it to contain %q and no secret", msg, tt.want)
		}
	}
	k := newKeychain(nil, errBackend{keyring.ErrSetDataTooBig})
	if err := k.Set(ctx, "acct-a", ServerIMAP, "x"); err == nil || IsKeychainUnavailable(err) {
		t.Errorf("too big: %v", err)
	}
	if IsKeychainUnavailable(ErrSecretNotFound) || IsKeychainUnavailable(nil) {
		t.Error("IsKeychainUnavailable true for a non-keychain error")
	}
}

// TestKeyringNoSessionBus uses the real go-keyring with a session bus that
// does not exist: a quick, plain KeychainError.
func TestKeyringNoSessionBus(t *testing.T) {
	ctx := context.Background()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
	k := NewKeyring(&KeyringOptions{Service: "tern-test", Timeout: 3 * time.Second})
	start := time.Now()
	_, err := k.Get(ctx, "acct-a", ServerIMAP)
	if d := time.Since(start); d > 30*time.Second { // a hang guard; the error kind proves the path
		t.Errorf("Get took %v", d)
	}
	if !IsKeychainUnavailable(err) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get: %v; want an unavailable error that is not a timeout", err)
	}
	if !strings.Contains(err.Error(), "keychain unavailable: cannot connect to the D-Bus session bus") {
		t.Errorf("message: %q", err)
	}
	if err := ProbeKeychain(ctx, k); !IsKeychainUnavailable(err) {
		t.Errorf("ProbeKeychain: %v", err)
	}

	// No address at all: refused before the D-Bus library would start a
	// bus of its own with dbus-launch.
	if _, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid())); err == nil {
		t.Skip("this machine has a per-user bus at /run/user/UID/bus")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	_, err = k.Get(ctx, "acct-a", ServerIMAP)
	if !IsKeychainUnavailable(err) || !strings.Contains(err.Error(), "no D-Bus session bus") {
		t.Errorf("without an address: %v", err)
	}
}

// TestKeyringHangingBus uses the real go-keyring against a "bus" that
// accepts the connection and never answers: the call must return after the
// timeout.
func TestKeyringHangingBus(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "bus")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+sock)
	k := NewKeyring(&KeyringOptions{Service: "tern-test", Timeout: 300 * time.Millisecond})
	start := time.Now()
	_, err = k.Get(context.Background(), "acct-a", ServerIMAP)
	if d := time.Since(start); d > 30*time.Second { // a hang guard; the error kind proves the path
		t.Errorf("Get took %v with a 300ms timeout", d)
	}
	if !IsKeychainUnavailable(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get: %v; want a timeout", err)
	}

	// Hang up. The abandoned call then fails and releases the D-Bus
	// library's connection lock, so later calls work (here: fail fast).
	ln.Close()
	mu.Lock()
	for _, c := range conns {
		c.Close()
	}
	mu.Unlock()
	k = NewKeyring(&KeyringOptions{Service: "tern-test", Timeout: 5 * time.Second})
	if _, err := k.Get(context.Background(), "acct-a", ServerIMAP); !IsKeychainUnavailable(err) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("after hang-up: %v", err)
	}
}

const keyringChildEnv = "TERN_ACCOUNTS_TEST_KEYRING_CHILD"

// TestKeyring runs TestKeyringReal in a child process under a private D-Bus
// session with a private, unlocked gnome-keyring (HOME and XDG directories in
// a temporary directory), so that it never touches the user's keychain.
func TestKeyring(t *testing.T) {
	if os.Getenv(keyringChildEnv) != "" {
		t.Skip("in the child")
	}
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		t.Skip("the Secret Service test needs D-Bus")
	}
	for _, tool := range []string{"dbus-run-session", "gnome-keyring-daemon", "dbus-send"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: install dbus and gnome-keyring (make test does): %v", tool, err)
		}
	}
	tmp := t.TempDir()
	env := []string{keyringChildEnv + "=1"}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY", "GNOME_KEYRING_CONTROL", "SSH_AUTH_SOCK",
			"HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR":
			continue
		}
		env = append(env, kv)
	}
	for _, d := range []string{"home", "data", "config", "cache", "run"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	env = append(env,
		"HOME="+filepath.Join(tmp, "home"),
		"XDG_DATA_HOME="+filepath.Join(tmp, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(tmp, "config"),
		"XDG_CACHE_HOME="+filepath.Join(tmp, "cache"),
		"XDG_RUNTIME_DIR="+filepath.Join(tmp, "run"),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dbus-run-session", "--", "sh", "-c",
		`printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$@"`, "sh",
		os.Args[0], "-test.run=^TestKeyringReal$", "-test.v", "-test.count=1", "-test.timeout=60s")
	cmd.Env = env
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestKeyringReal") {
		t.Fatalf("keyring test under dbus-run-session + gnome-keyring: %v\n%s", err, out)
	}
	t.Logf("child output:\n%s", out)
}

// TestKeyringReal is run by TestKeyring inside a private session with an
// unlocked gnome-keyring.
func TestKeyringReal(t *testing.T) {
	if os.Getenv(keyringChildEnv) == "" {
		t.Skip("run by TestKeyring")
	}
	ctx := context.Background()
	k := NewKeyring(&KeyringOptions{Service: "tern-test", Timeout: 5 * time.Second})

	// gnome-keyring-daemon returns once it is set up, but give the bus a
	// moment in case its name is still being registered.
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if err = ProbeKeychain(ctx, k); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("keychain not usable: %v", err)
	}

	testSecrets(t, k)

	// Another service name does not see Tern's items.
	if err := k.Set(ctx, "acct-a", ServerIMAP, "x"); err != nil {
		t.Fatal(err)
	}
	other := NewKeyring(&KeyringOptions{Service: "tern-other"})
	if _, err := other.Get(ctx, "acct-a", ServerIMAP); !errors.Is(err, ErrSecretNotFound) {
		t.Errorf("other service: %v", err)
	}

	// A locked keychain with nobody to answer the unlock prompt (no
	// display here): unavailable, quickly, in plain words.
	lock := exec.Command("dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.secrets",
		"/org/freedesktop/secrets", "org.freedesktop.Secret.Service.Lock",
		"array:objpath:/org/freedesktop/secrets/collection/login")
	if out, err := lock.CombinedOutput(); err != nil {
		t.Fatalf("locking the keychain: %v\n%s", err, out)
	}
	short := NewKeyring(&KeyringOptions{Service: "tern-test", Timeout: 3 * time.Second})
	start := time.Now()
	_, err = short.Get(ctx, "acct-a", ServerIMAP)
	t.Logf("locked keychain: %v (after %v)", err, time.Since(start).Round(time.Millisecond))
	if !IsKeychainUnavailable(err) {
		t.Errorf("Get from a locked keychain: %v; want unavailable", err)
	} else if msg := err.Error(); !strings.Contains(msg, "locked") && !strings.Contains(msg, "did not answer") {
		t.Errorf("message %q", msg)
	}
}
