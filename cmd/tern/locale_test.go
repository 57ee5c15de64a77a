package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinaryPrintsOnlyItsOwnOutput builds tern and runs a few verbs under
// the locales of containers, ssh logins and cron (C.UTF-8, C, POSIX, none)
// and an ordinary one: stdout and stderr must be exactly what the same
// verb writes in-process, with no line from Fyne about the locale.
func TestBinaryPrintsOnlyItsOwnOutput(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "tern")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// The environment without any locale variable; each case adds its own.
	var base []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == "LANG" || name == "LANGUAGE" || strings.HasPrefix(name, "LC_") || strings.HasPrefix(name, "TERN_") {
			continue
		}
		base = append(base, kv)
	}
	verbs := [][]string{{"version"}, {"version", "--json"}, {"account", "list"}, {"account", "list", "--json"}, {"folders"}}
	c := newCLI(t)
	for _, locale := range [][]string{{"LANG=C.UTF-8"}, {"LANG=C"}, {"LC_ALL=POSIX"}, {}, {"LANG=en_US.UTF-8"},
		{"LC_ALL=C.UTF-8", "LANG=en_US.UTF-8"}, {"LANG=en_US.UTF-8", "LANGUAGE=C.UTF-8"}} {
		for _, verb := range verbs {
			wantCode, wantOut, wantErr := c.run("", verb...)
			cmd := exec.Command(bin, append([]string{"--home", t.TempDir()}, verb...)...)
			cmd.Env = append(append([]string{}, base...), locale...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != wantCode || stdout.String() != wantOut || stderr.String() != wantErr {
				t.Errorf("%v tern %s: exit %d\nstdout %q\nstderr %q\nwant exit %d\nstdout %q\nstderr %q",
					locale, strings.Join(verb, " "), code, stdout.String(), stderr.String(), wantCode, wantOut, wantErr)
			}
		}
	}
}
