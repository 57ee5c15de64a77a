package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestBinaryLinksNoTestCode checks that the shipped binary links neither Go's
// testing package nor internal/mailtest: the demo mailbox comes from
// internal/demomail, and test helpers stay in test builds.
func TestBinaryLinksNoTestCode(t *testing.T) {
	out := goList(t, "-deps", ".")
	forbidden := map[string]bool{
		"testing": true,
		"github.com/ternmail/tern/internal/mailtest": true,
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps listed nothing")
	}
	for _, pkg := range deps {
		if forbidden[pkg] {
			t.Errorf("the tern binary depends on %s", pkg)
		}
	}
}

// TestAppIsTheOnlyDoor checks the import rule of the window and the command
// line: their non-test files reach the store and the sync engines only
// through package app, never by importing store or sync/* themselves.
func TestAppIsTheOnlyDoor(t *testing.T) {
	const mod = "github.com/ternmail/tern/"
	out := goList(t, "-f", "{{.ImportPath}} {{join .Imports \" \"}}", mod+"gui/...", mod+"cmd/...")
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 2 {
		t.Fatalf("go list listed too little:\n%s", out)
	}
	for _, line := range lines {
		fields := strings.Fields(line)
		for _, imp := range fields[1:] {
			for _, banned := range []string{mod + "store", mod + "sync"} {
				if imp == banned || strings.HasPrefix(imp, banned+"/") {
					t.Errorf("%s imports %s; use package app instead", fields[0], imp)
				}
			}
		}
	}
}

// goList runs go list with args in this package's directory and returns
// its standard output.
func goList(t *testing.T, args ...string) []byte {
	t.Helper()
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := exec.LookPath(goCmd); err != nil {
		p, err := exec.LookPath("go")
		if err != nil {
			t.Fatalf("no go command in %s or on PATH: %v", goCmd, err)
		}
		goCmd = p
	}
	out, err := exec.Command(goCmd, append([]string{"list"}, args...)...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, ee.Stderr)
		}
		t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
	}
	return out
}
