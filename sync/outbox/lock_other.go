//go:build !unix

package outbox

// tryLock does not lock on this platform yet: two Tern processes sharing a
// store must not both run a Worker.
func tryLock(path string) (unlock func(), ok bool, err error) {
	return func() {}, true, nil
}
