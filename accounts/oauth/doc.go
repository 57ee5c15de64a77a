// Package oauth signs a mail account in with OAuth 2.0, the way native
// applications should (RFC 8252): the system browser, a redirect to a
// listener on the loopback interface, PKCE with S256 (RFC 7636) and a
// random state value. It knows the presets of Google and Microsoft, and
// gives the sync engine and the outbox the account's access tokens at run
// time through an [accounts.TokenSource] that refreshes them.
//
// The package is UI-agnostic: the browser is opened through an [Opener]
// that the window or the command line supplies, and errors are in words a
// user can act on. The refresh token lives only in the keychain
// ([accounts.Secrets], server [ServerOAuth]); it never appears in a file,
// a log or an error.
package oauth
