package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/gui"
)

// errNoDisplay is the one line a window launch prints without a graphical
// session, instead of the toolkit's panic.
var errNoDisplay = errors.New("the window needs a graphical session (neither DISPLAY nor WAYLAND_DISPLAY is set); " +
	"the command-line verbs work without one (tern --help)")

// hasDisplay reports whether a graphical session is there to open a
// window on.
func hasDisplay(e *env) bool {
	return e.getenv("DISPLAY") != "" || e.getenv("WAYLAND_DISPLAY") != ""
}

// isOpenArg reports whether s is something the window opens rather than a
// verb: a mailto: link, a file:// URL or a message file.
func isOpenArg(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "mailto:") || strings.HasPrefix(l, "file://") || strings.HasSuffix(l, ".eml")
}

// openArgs checks the window's arguments and makes file arguments absolute
// paths, for the running instance has a working directory of its own.
func openArgs(pos []string) ([]string, error) {
	var out []string
	for _, s := range pos {
		switch l := strings.ToLower(s); {
		case strings.HasPrefix(l, "mailto:"):
			out = append(out, s)
		case strings.HasPrefix(l, "file://"):
			u, err := url.Parse(s)
			if err != nil || (u.Host != "" && u.Host != "localhost") {
				return nil, fmt.Errorf("cannot open %q: not a local file", s)
			}
			out = append(out, u.Path)
		default:
			if !strings.HasSuffix(l, ".eml") {
				return nil, fmt.Errorf("unknown command %q (try tern --help)", s)
			}
			p, err := filepath.Abs(s)
			if err != nil {
				return nil, err
			}
			if _, err := os.Stat(p); err != nil {
				return nil, fmt.Errorf("cannot open %s: %w", s, err)
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// runWindow opens the window, or, when a Tern window already runs over the
// same data directory, hands it the arguments (mailto: links, message
// files) and returns. Only the window that holds the instance socket opens
// the store with background sync; a second window never does.
func runWindow(a *args, e *env) error {
	open, err := openArgs(a.pos)
	if err != nil {
		return err
	}
	opts, cleanup, err := coreOptions(a, e)
	if err != nil {
		return err
	}
	defer cleanup()
	data := opts.DataDir
	if data == "" {
		data = opts.Home
	}
	sock, err := app.InstanceSocket(data, e.getenv("XDG_RUNTIME_DIR"))
	if err != nil {
		return err
	}
	inst, err := app.ClaimInstance(sock, open, opts.Logf)
	if errors.Is(err, app.ErrHandedOver) {
		return nil
	}
	if err != nil {
		return err
	}
	defer inst.Close()
	if !hasDisplay(e) {
		return errNoDisplay
	}
	core, err := app.New(opts)
	if err != nil {
		return err
	}
	defer core.Shutdown()
	return gui.Run(core, &gui.Options{Demo: a.has("demo"), Logf: opts.Logf, Instance: inst, Open: open})
}
