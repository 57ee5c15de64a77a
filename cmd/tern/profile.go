package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/ternmail/tern/internal/goroutine"
)

// profileStart starts a CPU profile of this process into the file named
// by TERN_CPUPROFILE, if set, for TERN_CPUPROFILE_SECONDS seconds (10
// unless told), which covers a launch and the first clicks
// (scripts/measure-window.sh). A window killed by its script never returns
// from run, hence the fixed span. Errors go to stderr; the profile is a
// tool for developers, never on for users.
func profileStart(getenv func(string) string, stderr io.Writer) {
	name := getenv("TERN_CPUPROFILE")
	if name == "" {
		return
	}
	secs, err := strconv.Atoi(getenv("TERN_CPUPROFILE_SECONDS"))
	if err != nil || secs <= 0 {
		secs = 10
	}
	f, err := os.Create(name)
	if err != nil {
		fmt.Fprintf(stderr, "tern: cpu profile: %v\n", err)
		return
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(stderr, "tern: cpu profile: %v\n", err)
		f.Close()
		return
	}
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	goroutine.Go("cpu profile", logf, func() {
		time.Sleep(time.Duration(secs) * time.Second)
		pprof.StopCPUProfile()
		f.Close()
		fmt.Fprintf(stderr, "tern: cpu profile of %d s written to %s\n", secs, name)
	})
}
