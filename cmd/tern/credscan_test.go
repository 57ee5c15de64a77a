//go:build linux

package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ternmail/tern/internal/mailtest"
)

// TestCredentialScan drives the tern binary through setup (a login that
// fails, then one that works), a sync killed with SIGKILL after it wrote a
// body pack, one killed so with SIGQUIT (the Go runtime's crash dump of every goroutine) and
// a sync that completes. After each step it reads every byte Tern wrote:
// its home (accounts.toml, the store, its -wal and -shm, body files, lock
// files), its temporary directory and everything it printed. Neither
// password may appear in any of them, raw or base64-encoded as in AUTH
// PLAIN and AUTH LOGIN at any alignment. Every file must also be its
// owner's alone (0600, directories 0700), although the home was made 0755
// and Tern runs under umask 022.
//
// The password lives in the Secret Service, so the test runs under a
// private D-Bus session with gnome-keyring (scripts/with-keyring.sh, as
// make test does).
func TestCredentialScan(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("needs a Secret Service: run under dbus-run-session -- bash scripts/with-keyring.sh (make test does)")
	}
	root := t.TempDir()
	bin := filepath.Join(root, "tern")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	home, tmp, outs := filepath.Join(root, "home"), filepath.Join(root, "tmp"), filepath.Join(root, "out")
	for _, d := range []string{home, tmp, outs} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chmod(d, 0o755)
	}
	old := syscall.Umask(0o022) // the children inherit it
	defer syscall.Umask(old)

	user := "scan@example.test"
	pass, wrong := "pw-"+randomHex(t, 12), "wrong-"+randomHex(t, 12)
	var seed []mailtest.SeedMessage
	for i := range 300 {
		raw := fmt.Sprintf("From: a@example.test\r\nTo: %s\r\nSubject: message %d\r\nMessage-ID: <%d@scan.test>\r\n\r\n%s\r\n",
			user, i, i, strings.Repeat(fmt.Sprintf("line %d of a long message\r\n", i), 2500))
		seed = append(seed, mailtest.SeedMessage{Mailbox: "INBOX", Raw: []byte(raw)})
	}
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: user, Password: pass, TLS: true, Seed: seed})

	var env []string
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); name != "TMPDIR" && !strings.HasPrefix(name, "TERN_") {
			env = append(env, kv)
		}
	}
	env = append(env, "TMPDIR="+tmp)
	step := 0
	tern := func(stdin string, args ...string) *exec.Cmd {
		step++
		cmd := exec.Command(bin, append([]string{"--home", home}, args...)...)
		cmd.Env = env
		cmd.Stdin = strings.NewReader(stdin)
		f, err := os.OpenFile(filepath.Join(outs, fmt.Sprintf("%d-%s.txt", step, args[0])), os.O_WRONLY|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		cmd.Stdout, cmd.Stderr = f, f
		return cmd
	}
	addArgs := []string{"account", "add", "--email", user, "--imap", srv.IMAPAddr + ":tls", "--smtp", srv.SMTPAddr + ":tls",
		"--accept-cert", srv.CertSHA256, "--password-stdin"}
	needles := credentialForms(user, pass, wrong)
	scan := func(after string) {
		t.Helper()
		if scanFiles(t, after, home, needles, true) == 0 || scanFiles(t, after, outs, needles, false) == 0 {
			t.Fatalf("after %s: nothing to scan", after)
		}
		scanFiles(t, after, tmp, needles, true)
	}

	if err := tern(wrong+"\n", addArgs...).Run(); err == nil {
		t.Fatal("account add with a wrong password succeeded")
	}
	scan("a failed login")
	if err := tern(pass+"\n", addArgs...).Run(); err != nil {
		t.Fatalf("account add: %v\n%s", err, readOut(t, outs, step))
	}
	scan("setup")

	// Each sync is killed right after it has written a body pack, with
	// more bodies to come and the pack maybe not committed yet.
	packs := watchPacks(t, filepath.Join(home, "tern.db-bodies"))
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGQUIT} {
		select {
		case <-packs:
		default:
		}
		cmd := tern("", "sync")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case <-packs:
		case err := <-exited:
			t.Fatalf("sync ended before it wrote a body pack: %v\n%s", err, readOut(t, outs, step))
		}
		cmd.Process.Signal(sig)
		if err := <-exited; err == nil {
			t.Fatalf("sync completed before %v reached it", sig)
		}
		scan(fmt.Sprintf("a sync killed by %v", sig))
	}
	if out := readOut(t, outs, step); !strings.Contains(out, "goroutine ") {
		t.Errorf("SIGQUIT left no goroutine dump to scan:\n%s", out)
	}

	if err := tern("", "sync").Run(); err != nil {
		t.Fatalf("sync after the crashes: %v\n%s", err, readOut(t, outs, step))
	}
	if out := readOut(t, outs, step); !strings.Contains(out, "300") {
		t.Errorf("the last sync does not report the 300 messages:\n%s", out)
	}
	scan("a complete sync")
}

// randomHex returns n random bytes in hex: a password no test data holds
// by chance.
func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// credentialForms returns what would betray the passwords: each raw, the
// AUTH PLAIN responses (with and without an authorization identity), and
// the base64 characters that encode a password alone at each of the three
// alignments it can have inside a longer base64 text (AUTH LOGIN sends it
// at the first).
func credentialForms(user string, passwords ...string) map[string]string {
	forms := map[string]string{}
	for _, p := range passwords {
		forms[p] = "the password " + p
		for _, authz := range []string{"", user} {
			forms[base64.StdEncoding.EncodeToString([]byte(authz+"\x00"+user+"\x00"+p))] = "AUTH PLAIN of " + p
		}
		for shift := range 3 {
			enc := base64.StdEncoding.EncodeToString(append(make([]byte, shift), p...))
			// Characters wholly inside the password's bits.
			from, to := (8*shift+5)/6, 8*(shift+len(p))/6
			forms[enc[from:to]] = fmt.Sprintf("base64 of %s at offset %d", p, shift)
		}
	}
	return forms
}

// scanFiles reads every file under dir and fails for each needle found in
// one. With private it also fails for a file not 0600 or a directory below
// dir not 0700. It returns how many files it read.
func scanFiles(t *testing.T, after, dir string, needles map[string]string, private bool) int {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			if private && p != dir && fi.Mode().Perm() != 0o700 {
				t.Errorf("after %s: %s: directory mode %v, want 0700", after, p, fi.Mode().Perm())
			}
			return nil
		}
		files++
		if private && fi.Mode().Perm() != 0o600 {
			t.Errorf("after %s: %s: mode %v, want 0600", after, p, fi.Mode().Perm())
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for n, what := range needles {
			if bytes.Contains(data, []byte(n)) {
				t.Errorf("after %s: %s holds %s", after, p, what)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// readOut returns what step printed.
func readOut(t *testing.T, outs string, step int) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(outs, fmt.Sprintf("%d-*.txt", step)))
	if len(m) != 1 {
		t.Fatalf("output of step %d: %v", step, m)
	}
	b, err := os.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// watchPacks pre-creates the shard directories of the store's body
// directory and watches them with inotify. The channel receives a value
// each time a file in one is closed after writing: a body pack was
// written. The watch ends with the test.
func watchPacks(t *testing.T, bodies string) <-chan struct{} {
	t.Helper()
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "inotify") // non-blocking: Close ends a Read
	t.Cleanup(func() { f.Close() })
	for i := range 256 {
		dir := filepath.Join(bodies, fmt.Sprintf("%02x", i))
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			t.Fatal(err)
		}
		if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_CLOSE_WRITE); err != nil {
			t.Fatal(err)
		}
	}
	written := make(chan struct{}, 1)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			if _, err := f.Read(buf); err != nil {
				return
			}
			select {
			case written <- struct{}{}:
			default:
			}
		}
	}()
	return written
}
