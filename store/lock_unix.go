//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
)

// openLock opens the store's lock file at p and tries to lock it
// exclusively, without waiting. alone reports whether it did: then no other
// process has the store open. Every process holds the lock (shared, see
// shareLock) for as long as it has the store open, and the kernel drops it
// when the process dies, however it dies. On a file system that cannot
// lock, the store works unlocked and is never alone.
func openLock(p string) (f *os.File, alone bool, err error) {
	f, err = os.OpenFile(p, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return nil, false, err
	}
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, false, nil
		}
		return f, false, nil
	}
	return f, true, nil
}

// shareLock turns f's lock into a shared one, or takes a shared one,
// waiting while another process holds it exclusively (while it sweeps at
// its open).
func shareLock(f *os.File) error {
	if f == nil {
		return nil
	}
	return flock(f, syscall.LOCK_SH)
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
