// Package accounts holds Tern's account configuration, the passwords that go
// with it, and the TLS settings used to reach mail servers.
//
// The configuration lives in accounts.toml (see [Load] and [Config.Save]). That
// file never holds a secret: passwords are kept in the OS keychain through
// [NewKeyring], or for the session only in memory through [NewMemorySecrets]
// when no keychain is available and the user chose that. Errors returned by
// this package never contain a secret.
//
// Server certificates are verified against the system roots; a certificate
// that fails verification can be trusted explicitly by pinning its SHA-256
// fingerprint (see [TLSConfig] and [CertError]).
//
// The package also holds the errors every layer returns when a mail server
// cannot be used: [ConnectError], [CertError] and [AuthError], with [Explain]
// the one table that puts a network error into plain words.
package accounts
