package store

import (
	"os"
	"syscall"
)

// openDirect creates p for writing that bypasses the page cache (O_DIRECT),
// or returns an error when the file system refuses it (tmpfs, some FUSE).
func openDirect(p string) (*os.File, error) {
	return os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_DIRECT, 0o600)
}
