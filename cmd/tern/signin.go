package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"

	"github.com/ternmail/tern/app"
)

// cmdAccountSignIn signs an OAuth account in again in the browser: it
// prints the authorization URL on a line of its own, tries to open the
// browser, and waits for the redirect.
func cmdAccountSignIn(ctx context.Context, core *app.Core, a *args, e *env, id string) error {
	acct, ok := core.Account(id)
	if !ok {
		return fmt.Errorf("no account %q (see tern account list)", id)
	}
	if !acct.UsesOAuth() {
		return fmt.Errorf("account %s signs in with a password, not in the browser", id)
	}
	open := e.open
	if open == nil {
		open = func(u string) error {
			fmt.Fprintln(e.stderr, "Open this address in your browser to sign in as "+acct.Email+":")
			fmt.Fprintln(e.stdout, u)
			// Best effort: the URL is printed either way.
			if cmd := exec.Command("xdg-open", u); cmd.Start() == nil {
				cmd.Process.Release()
			}
			return nil
		}
	}
	if err := core.SignIn(ctx, id, open); err != nil {
		return err
	}
	return out(e, a, map[string]string{"signed_in": id}, func(w io.Writer) {
		fmt.Fprintf(w, "Signed in: %s syncs and sends again.\n", acct.Email)
	})
}
