package app

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// shortDir returns a temporary directory whose paths fit a unix socket.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ti")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestInstanceHandsArgumentsToTheRunningOne claims the instance twice over
// one data directory: the second claim hands its arguments to the first and
// is told so; a claim over another data directory is an instance of its own.
func TestInstanceHandsArgumentsToTheRunningOne(t *testing.T) {
	run := shortDir(t)
	data := filepath.Join(shortDir(t), "data")
	sock, err := InstanceSocket(data, run)
	if err != nil {
		t.Fatal(err)
	}
	first, err := ClaimInstance(sock, nil, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	got := make(chan []string, 2)
	first.Serve(func(args []string) { got <- args })

	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket: %v %v", fi, err)
	}
	want := []string{"mailto:bob@example.com?subject=Hi", "/tmp/x.eml"}
	second, err := ClaimInstance(sock, want, t.Logf)
	if !errors.Is(err, ErrHandedOver) || second != nil {
		t.Fatalf("second claim: %v, %v", second, err)
	}
	// The handler has run before the second launch was told ok.
	if args := <-got; !slices.Equal(args, want) {
		t.Fatalf("first got %q, want %q", args, want)
	}
	if _, err := ClaimInstance(sock, nil, t.Logf); !errors.Is(err, ErrHandedOver) {
		t.Fatalf("a plain launch: %v", err)
	}
	if args := <-got; len(args) != 0 {
		t.Fatalf("plain launch sent %q", args)
	}

	other, err := InstanceSocket(filepath.Join(shortDir(t), "data"), run)
	if err != nil || other == sock {
		t.Fatalf("another data dir shares the socket: %s %v", other, err)
	}
	inst, err := ClaimInstance(other, nil, t.Logf)
	if err != nil {
		t.Fatalf("another data dir: %v", err)
	}
	inst.Close()
}

// TestInstanceReplacesAStaleSocket starts where a dead instance left its
// socket file behind: the next launch becomes the instance.
func TestInstanceReplacesAStaleSocket(t *testing.T) {
	sock, err := InstanceSocket(filepath.Join(shortDir(t), "data"), shortDir(t))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("the stale socket should be there: %v", err)
	}
	inst, err := ClaimInstance(sock, []string{"x"}, t.Logf)
	if err != nil {
		t.Fatalf("claim over a stale socket: %v", err)
	}
	inst.Close()
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Close left the socket: %v", err)
	}
}

// TestInstanceSocketFallsBackToAPrivateDir checks the socket's directory
// when there is no runtime directory: private to the user, and a directory
// others may enter is refused.
func TestInstanceSocketFallsBackToAPrivateDir(t *testing.T) {
	data := filepath.Join(shortDir(t), "d")
	sock, err := InstanceSocket(data, "")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(sock) != filepath.Join(data, "run") {
		t.Fatalf("socket at %s", sock)
	}
	fi, err := os.Stat(filepath.Dir(sock))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("run dir: %v %v", fi, err)
	}
	os.Chmod(filepath.Dir(sock), 0o755)
	if _, err := InstanceSocket(data, ""); err == nil {
		t.Fatal("a run directory others may enter was accepted")
	}
}
