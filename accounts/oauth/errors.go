package oauth

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Errors of a sign-in, in words a user can act on.
var (
	// ErrStateMismatch means the redirect carried a state value Tern did
	// not send: the sign-in was not started by this window, possibly a
	// forged request. Nothing is exchanged.
	ErrStateMismatch = errors.New("the browser came back with a sign-in that Tern did not start (its state value does not match); nothing was signed in, try again")
	// ErrNoCode means the redirect carried neither a code nor an error.
	ErrNoCode = errors.New("the provider sent the browser back without a sign-in code; try again")
	// ErrDenied means the user (or an administrator's policy) did not
	// grant Tern access: OAuth's access_denied.
	ErrDenied = errors.New("permission was not given in the browser; Tern cannot read or send this account's mail without it")
	// ErrTimedOut means no redirect came back before the flow's timeout.
	ErrTimedOut = errors.New("no sign-in came back from the browser in time; try again")
	// ErrCanceled means the sign-in was canceled before it finished.
	ErrCanceled = errors.New("the sign-in was canceled")
	// ErrNoRefreshToken means the provider signed in but gave no refresh
	// token, so Tern could not stay signed in.
	ErrNoRefreshToken = errors.New("the provider gave no lasting permission (no refresh token); try again, and grant offline access")
)

// ProviderError is an error the provider reported, in the redirect or from
// its token endpoint, other than those with a variable of their own.
type ProviderError struct {
	// Code is OAuth's error code: "invalid_request", "server_error", …
	Code string
	// Description is the provider's error_description, cleaned of control
	// characters and shortened.
	Description string
}

func (e *ProviderError) Error() string {
	s := "the provider refused the sign-in (" + e.Code + ")"
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// clean makes text from the network fit for one line of an error: no
// control characters, at most 200 runes.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return strings.TrimSpace(s)
}

// OpenError means the browser could not be opened. URL is the address to
// open by hand; the flow keeps waiting for it.
type OpenError struct {
	URL string
	Err error
}

func (e *OpenError) Error() string {
	return fmt.Sprintf("could not open the browser (%v); open this address yourself: %s", e.Err, e.URL)
}

func (e *OpenError) Unwrap() error { return e.Err }
