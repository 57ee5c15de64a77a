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
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := exec.LookPath(goCmd); err != nil {
		p, err := exec.LookPath("go")
		if err != nil {
			t.Fatalf("no go command in %s or on PATH: %v", goCmd, err)
		}
		goCmd = p
	}
	out, err := exec.Command(goCmd, "list", "-deps", ".").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list -deps: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list -deps: %v", err)
	}
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
