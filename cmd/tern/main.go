// Command tern is the Tern mail client: the GUI by default, and a command
// line for scripting, diagnosis and tests over the same core.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ternmail/tern/accounts"
	"github.com/ternmail/tern/app"
	// cleanlocale's init runs before Fyne's and turns a locale Fyne cannot
	// parse (C.UTF-8) into English, so no verb prints Fyne's locale error.
	_ "github.com/ternmail/tern/cmd/tern/internal/cleanlocale"
)

// version is set by the build (-ldflags "-X main.version=…").
var version = "0.1.0-dev"

const usage = `Tern, a desktop mail client.

Usage:
  tern [--home DIR] [--demo]              open the window (--demo: the embedded demo mailbox)
  tern account add --email E [--name N] --password-stdin [--imap HOST:PORT:tls|starttls|none]
                   [--smtp HOST:PORT:tls|starttls|none] [--username U] [--accept-cert SHA256:HEX]
                                          servers not given are discovered; both are logged in to
  tern account add --email E --oauth [--name N] [--imap …] [--smtp …] [--accept-cert SHA256:HEX]
                                          sign in in the browser (Gmail, Outlook): prints the address
                                          to open, waits for the browser, or for the address it shows
                                          afterwards pasted on standard input; then as above
  tern autoconfig EMAIL                   discover the servers for EMAIL, with evidence (no login)
  tern account list
  tern account remove ID
  tern account reauth ID                  sign an OAuth account (Gmail, Outlook) in again in the browser,
                                          as add --oauth does (signin is the same)
  tern sync [--account ID]                one full sync pass, then exit
  tern folders [--account ID]
  tern list FOLDER [--limit N] [--account ID]
  tern show FOLDER UID [--account ID]
  tern search QUERY [--folder F] [--server] [--limit N] [--account ID]
                                          words, "phrases", from: to: cc: subject: has:attachment
                                          is:unread|read|starred before:|after:YYYY-MM-DD in:FOLDER
                                          account:ID, -TERM negates; --server asks the server too
                                          (a negated word goes after --: tern search -- x -word)
  tern mark FOLDER UID... --read|--unread|--star|--unstar [--account ID]
  tern move FOLDER UID... --to FOLDER | delete FOLDER UID... | archive FOLDER UID...
                                          applied here at once, then sent to the server; when it
                                          cannot be reached they stay queued for the next sync
  tern send [--account ID] --to A [--cc B] [--bcc C] [--subject S] [--attach FILE]... [--at TIME] [--timeout 2m] < body
  tern send [--account ID] --eml FILE     send a message file as it is (Bcc is taken out)
  tern outbox [--account ID]              messages waiting, sent or failed
  tern outbox retry ID | outbox cancel ID
  tern outbox resend ID | outbox mark-sent ID   for a message that may or may not have been sent
  tern doctor [--account ID] [--trace FILE]   check each account's servers and state, step by
                                          step, and say what is wrong and how to fix it
  tern mailto:ADDR?subject=S&body=B      open the composer filled in (in the running window, if any)
  tern FILE.eml                           open a message file in a reader window
  tern version

Every verb takes --json for machine-readable output and --home DIR (or
TERN_HOME) to keep everything under DIR.
`

// env is what a verb runs with.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// secrets holds the passwords; nil means the OS keychain.
	secrets accounts.Secrets
	// autoconfig points server discovery and verification at test
	// servers; nil means the real network.
	autoconfig *discoveryOptions
	// open opens the browser for an OAuth sign-in; nil prints the URL
	// and tries xdg-open.
	open func(url string) error
	// oauth tunes the OAuth sign-ins (test authorization servers); nil
	// means the providers' presets.
	oauth *app.OAuthOptions
}

func main() {
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	profileStart(e.getenv, e.stderr)
	os.Exit(run(os.Args[1:], e))
}

// run executes one command line and returns the exit code.
func run(argv []string, e *env) int {
	if err := dispatch(argv, e); err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprint(e.stderr, usage)
			return 2
		}
		fmt.Fprintf(e.stderr, "tern: %s\n", oneLine(err.Error()))
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// flag specs: name → takes a value.
var commonFlags = map[string]bool{"home": true, "json": false, "demo": false, "help": false, "h": false, "account": true}

func spec(extra map[string]bool) map[string]bool {
	m := map[string]bool{}
	for k, v := range commonFlags {
		m[k] = v
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// verbFlags are each verb's own flags, beside commonFlags.
var verbFlags = map[string]map[string]bool{
	"account": {"email": true, "name": true, "password-stdin": false, "imap": true, "smtp": true, "username": true, "accept-cert": true, "oauth": false},
	"list":    {"limit": true},
	"search":  {"limit": true, "folder": true, "server": false},
	"send":    sendFlags,
	"outbox":  sendFlags,
	"mark":    actFlags,
	"move":    actFlags,
	"delete":  actFlags,
	"archive": actFlags,
	"doctor":  {"trace": true},
}

func dispatch(argv []string, e *env) error {
	verb := findVerb(argv)
	extra := verbFlags[verb]
	a, err := parseArgs(argv, spec(extra))
	if err != nil {
		return err
	}
	if a.has("help") || a.has("h") || verb == "help" {
		return errUsage
	}
	if verb == "version" {
		return out(e, a, map[string]string{"version": version}, func(w io.Writer) { fmt.Fprintf(w, "tern %s\n", version) })
	}
	if verb == "" || isOpenArg(verb) {
		return runWindow(a, e)
	}
	opts, cleanup, err := coreOptions(a, e)
	if err != nil {
		return err
	}
	defer cleanup()
	core, err := app.New(opts)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer core.Shutdown()
	if len(a.pos) == 0 || a.pos[0] != verb {
		return errUsage
	}
	pos := a.pos[1:]
	switch verb {
	case "account":
		return cmdAccount(ctx, core, a, pos, e)
	case "sync":
		return cmdSync(ctx, core, a, e)
	case "folders":
		return cmdFolders(ctx, core, a, e)
	case "list":
		return cmdList(ctx, core, a, pos, e)
	case "show":
		return cmdShow(ctx, core, a, pos, e)
	case "search":
		return cmdSearch(ctx, core, a, pos, e)
	case "autoconfig":
		return cmdAutoconfig(ctx, core, a, pos, e)
	case "send":
		return cmdSend(ctx, core, a, pos, e)
	case "outbox":
		return cmdOutbox(ctx, core, a, pos, e)
	case "mark", "move", "delete", "archive":
		return cmdAct(ctx, core, verb, a, pos, e)
	case "doctor":
		return cmdDoctor(ctx, core, a, e)
	}
	return fmt.Errorf("unknown command %q (try tern --help)", verb)
}

// takesValue reports whether flag name, of any verb, takes a value, so
// that findVerb can step over the value (as in "tern --at 17:30 send").
func takesValue(name string) bool {
	if commonFlags[name] {
		return true
	}
	for _, flags := range verbFlags {
		if flags[name] {
			return true
		}
	}
	return false
}

// findVerb returns the first argument that is neither a flag nor a flag's
// value.
func findVerb(argv []string) string {
	for i := 0; i < len(argv); i++ {
		s := argv[i]
		if s == "--" {
			if i+1 < len(argv) {
				return argv[i+1]
			}
			return ""
		}
		if !strings.HasPrefix(s, "-") {
			return s
		}
		if name := strings.TrimLeft(s, "-"); !strings.Contains(name, "=") && takesValue(name) {
			i++
		}
	}
	return ""
}

// coreOptions works out where Tern keeps its files: --home, TERN_HOME, or
// the XDG directories. --demo without a home runs in a throwaway one.
func coreOptions(a *args, e *env) (app.Options, func(), error) {
	opts := app.Options{Home: a.str("home"), Secrets: e.secrets, StartDemo: startDemo, Autoconfig: e.autoconfig, OAuth: e.oauth}
	if e.getenv("TERN_DEBUG") != "" {
		logger := log.New(e.stderr, "tern: ", log.LstdFlags)
		opts.Logf = logger.Printf
	}
	cleanup := func() {}
	if opts.Home == "" {
		opts.Home = e.getenv("TERN_HOME")
	}
	if opts.Home == "" && a.has("demo") {
		dir, err := os.MkdirTemp("", "tern-demo-")
		if err != nil {
			return opts, cleanup, err
		}
		opts.Home = dir
		cleanup = func() { os.RemoveAll(dir) }
	}
	if opts.Home == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return opts, cleanup, fmt.Errorf("cannot find your home directory; pass --home DIR: %w", err)
		}
		opts.ConfigDir = xdg(e, "XDG_CONFIG_HOME", filepath.Join(home, ".config"))
		opts.DataDir = xdg(e, "XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
	}
	return opts, cleanup, nil
}

func xdg(e *env, name, def string) string {
	if v := e.getenv(name); v != "" && filepath.IsAbs(v) {
		return filepath.Join(v, "tern")
	}
	return filepath.Join(def, "tern")
}

// out prints v as JSON with --json, else calls text.
func out(e *env, a *args, v any, text func(w io.Writer)) error {
	if a.has("json") {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(e.stdout)
	return nil
}
