//go:build !(linux || freebsd || openbsd || netbsd || dragonfly)

package accounts

// sessionBusPreflight is a no-op where the keychain does not use D-Bus.
func sessionBusPreflight() error { return nil }
