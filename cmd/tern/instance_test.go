package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/mailtest"
)

// runtimeDir returns a private directory short enough for a socket.
func runtimeDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// headless runs bin in dir with an environment that has no graphical
// session, as over ssh: only PATH, HOME and XDG_RUNTIME_DIR.
func headless(t *testing.T, bin, dir, home, run string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_RUNTIME_DIR=" + run}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errb.String()
}

// TestWindowWithoutDisplaySaysSo starts the window where there is no
// graphical session: one line says so, the exit code is not zero, and no
// panic or goroutine dump is printed; the verbs work as ever.
func TestWindowWithoutDisplaySaysSo(t *testing.T) {
	bin := buildTern(t)
	home := t.TempDir()
	run := runtimeDir(t)
	for _, args := range [][]string{{}, {"--demo"}, {"mailto:bob@example.com?subject=Hi"}} {
		code, stdout, stderr := headless(t, bin, home, home, run, append([]string{"--home", filepath.Join(home, "tern")}, args...)...)
		if code != 1 || stdout != "" || strings.Count(stderr, "\n") != 1 ||
			!strings.HasPrefix(stderr, "tern: the window needs a graphical session") ||
			!strings.Contains(stderr, "command-line verbs work without one") {
			t.Errorf("tern %v: exit %d\nstdout %q\nstderr %q", args, code, stdout, stderr)
		}
	}
	if code, stdout, stderr := headless(t, bin, home, home, run, "--home", filepath.Join(home, "tern"), "account", "list", "--json"); code != 0 {
		t.Errorf("account list without a display: exit %d %q %q", code, stdout, stderr)
	}
}

// TestSecondLaunchHandsItsArguments plays the running window with an
// instance in this process; a second process launched with a mailto: link
// and a message file (relative to its working directory) hands both over
// and exits 0, without a display and without opening the store.
func TestSecondLaunchHandsItsArguments(t *testing.T) {
	bin := buildTern(t)
	home := t.TempDir()
	data := filepath.Join(home, "tern")
	run := runtimeDir(t)
	sock, err := app.InstanceSocket(data, run)
	if err != nil {
		t.Fatal(err)
	}
	first, err := app.ClaimInstance(sock, nil, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	got := make(chan []string, 1)
	first.Serve(func(args []string) { got <- args })

	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "note.eml"), []byte("Subject: x\r\n\r\nhi\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := "mailto:bob@example.com?subject=Hi&body=a%20b"
	code, stdout, stderr := headless(t, bin, work, home, run, "--home", data, link, "note.eml")
	if code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("second launch: exit %d %q %q", code, stdout, stderr)
	}
	want := []string{link, filepath.Join(work, "note.eml")}
	if args := <-got; !slices.Equal(args, want) {
		t.Fatalf("the running one got %q, want %q", args, want)
	}
	if _, err := os.Stat(filepath.Join(data, "tern.db")); !os.IsNotExist(err) {
		t.Fatalf("the second launch opened the store: %v", err)
	}
	// A file that is not there is an error of the launch, not of the window.
	code, _, stderr = headless(t, bin, work, home, run, "--home", data, "missing.eml")
	if code != 1 || !strings.HasPrefix(stderr, "tern: cannot open missing.eml") {
		t.Fatalf("missing file: exit %d %q", code, stderr)
	}
}

// TestVerbsBesideTheWindow runs tern sync and tern list while a window's
// core (store open, engine running) works on the same home: the verbs run
// their own short pass on the same store, and the messages end up stored
// once each, seen by both.
func TestVerbsBesideTheWindow(t *testing.T) {
	srv := mailtest.ServerForTest(t, &mailtest.ServerOptions{Username: "ann@example.test", TLS: true})
	c := newCLI(t)
	addDemoAccount(t, c, srv)
	window, err := app.New(app.Options{Home: c.home, Secrets: c.secrets, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer window.Shutdown()
	window.Start()

	appendN := func(from, n int) {
		for i := from; i < from+n; i++ {
			raw := fmt.Sprintf("From: bob@example.test\r\nTo: ann@example.test\r\nSubject: beside %d\r\n\r\nhi\r\n", i)
			if _, err := srv.Append("INBOX", []byte(raw), nil, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendN(0, 3)
	window.SyncNow("")
	c.ok("", "sync")
	appendN(3, 2)
	window.SyncNow("")
	c.ok("", "sync")

	var msgs []messageJSON
	if err := json.Unmarshal([]byte(c.ok("", "list", "INBOX", "--limit", "100", "--json")), &msgs); err != nil {
		t.Fatal(err)
	}
	subjects := map[string]int{}
	for _, m := range msgs {
		subjects[m.Subject]++
	}
	if len(msgs) != 5 || len(subjects) != 5 {
		t.Fatalf("INBOX after two engines: %d messages, subjects %v", len(msgs), subjects)
	}
	inbox, err := window.MailboxByRole(context.Background(), window.Accounts()[0].ID, app.RoleInbox)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := window.CountMessages(context.Background(), inbox.ID); err != nil || n != 5 {
		t.Fatalf("the window's core counts %d (%v)", n, err)
	}
}
