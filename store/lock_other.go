//go:build !unix

package store

import "os"

// openLock does not lock on this platform: the store never knows it is
// alone, and orphaned body files are left to the age-based sweep.
func openLock(p string) (f *os.File, alone bool, err error) { return nil, false, nil }

// shareLock does nothing on this platform.
func shareLock(f *os.File) error { return nil }
