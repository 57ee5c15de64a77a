package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"os/exec"
	"strings"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/internal/goroutine"
)

// cmdAccountReauth signs an OAuth account in again in the browser (tern
// account reauth ID, or its alias signin): it prints the authorization
// URL on a line of its own, tries to open the browser, and waits for the
// redirect or the redirect URL pasted on standard input.
func cmdAccountReauth(ctx context.Context, core *app.Core, a *args, e *env, id string) error {
	acct, ok := core.Account(id)
	if !ok {
		return fmt.Errorf("no account %q (see tern account list)", id)
	}
	if !acct.UsesOAuth() {
		return fmt.Errorf("account %s signs in with a password, not in the browser", id)
	}
	pasted, stop := pastedRedirects(ctx, e)
	defer stop()
	if err := core.SignInWith(ctx, id, browserOpener(a, e, acct.Email), &app.SignInOptions{Pasted: pasted}); err != nil {
		return err
	}
	return out(e, a, map[string]string{"signed_in": id}, func(w io.Writer) {
		fmt.Fprintf(w, "Signed in: %s syncs and sends again.\n", acct.Email)
	})
}

// browserOpener prints the authorization URL on a line of its own (on
// standard output, or standard error with --json), then opens the
// browser: the env's opener, or xdg-open at best effort.
func browserOpener(a *args, e *env, email string) app.Opener {
	return func(u string) error {
		w := e.stdout
		if a.has("json") {
			w = e.stderr
		}
		fmt.Fprintln(e.stderr, "Open this address in your browser to sign in as "+email+
			" (or paste here the address the browser shows afterwards):")
		fmt.Fprintln(w, u)
		if e.open != nil {
			return e.open(u)
		}
		// Best effort: the URL is printed either way.
		if cmd := exec.Command("xdg-open", u); cmd.Start() == nil {
			cmd.Process.Release()
		}
		return nil
	}
}

// pastedRedirects reads standard input for the redirect URL the user
// pastes and sends the first one that looks like it; other lines get a
// hint. stop ends the wait.
func pastedRedirects(ctx context.Context, e *env) (<-chan string, func()) {
	ch := make(chan string)
	ctx, stop := context.WithCancel(ctx)
	goroutine.Go("pasted redirect reader", nil, func() {
		defer close(ch)
		sc := bufio.NewScanner(io.LimitReader(e.stdin, 1<<20))
		sc.Buffer(make([]byte, 0, 4096), 64<<10)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			if !isRedirectURL(line) {
				fmt.Fprintln(e.stderr, "That is not the address the browser came back to: paste the whole address, starting http://127.0.0.1: or http://localhost:")
				continue
			}
			select {
			case ch <- line:
			case <-ctx.Done():
			}
			return
		}
	})
	return ch, stop
}

// isRedirectURL reports whether s looks like a loopback redirect of a
// sign-in: an http URL with a state or an error in its query.
func isRedirectURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" {
		return false
	}
	q := u.Query()
	return q.Get("state") != "" || q.Get("error") != "" || q.Get("code") != ""
}
