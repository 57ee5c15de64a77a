// Package goroutine starts goroutines that survive a panic.
//
// Every goroutine of Tern's production code is started here, so that a bug
// in one of them is reported instead of taking the whole program down. A
// test of this package fails for any go statement elsewhere.
package goroutine

import (
	"fmt"
	"log"
	"runtime/debug"
)

// PanicError is a panic recovered in a goroutine started by GoErr.
type PanicError struct {
	// Name is the goroutine's name, as given to GoErr.
	Name string
	// Value is the value passed to panic.
	Value any
	// Stack is the goroutine's stack where it panicked.
	Stack []byte
}

// Error returns "internal error: " and the panic's value.
func (e *PanicError) Error() string { return fmt.Sprintf("internal error: %v", e.Value) }

// Go runs fn in a new goroutine. A panic in fn is recovered and reported
// through logf, with name and the goroutine's stack; a nil logf reports to
// the standard library's log package.
func Go(name string, logf func(format string, args ...any), fn func()) {
	go func() {
		defer report(name, logf, nil)
		fn()
	}()
}

// GoErr is Go for a function that fails: once fn has returned, done is
// called in the new goroutine with fn's error, or with a *PanicError if fn
// panicked (reported through logf as Go does). done is always called, once.
func GoErr(name string, logf func(format string, args ...any), fn func() error, done func(error)) {
	go func() {
		var err error
		defer func() { done(err) }()
		defer report(name, logf, &err)
		err = fn()
	}()
}

// report recovers a panic, logs it and stores it in *errp (if errp is not
// nil). It must be deferred directly.
func report(name string, logf func(format string, args ...any), errp *error) {
	r := recover()
	if r == nil {
		return
	}
	p := &PanicError{Name: name, Value: r, Stack: debug.Stack()}
	if logf == nil {
		logf = log.Printf
	}
	logf("%s: panic: %v\n%s", name, r, p.Stack)
	if errp != nil {
		*errp = p
	}
}
