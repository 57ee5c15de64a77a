package imapsync

import (
	"errors"
	"fmt"

	"github.com/ternmail/tern/internal/goroutine"
)

// discard drops a report, for a goroutine whose panic comes back to its
// caller as an error that the caller reports.
func discard(string, ...any) {}

// writer stores batches in a goroutine of its own, so that the next batch
// is read from the server while the previous one is written to the store.
// put and close are called from one goroutine.
type writer[T any] struct {
	ch   chan T
	done chan struct{}
	err  error // set by the writer goroutine before done is closed
}

// startWriter starts a writer that calls write for each batch, in order,
// with up to depth batches waiting.
func startWriter[T any](depth int, write func(T) error) *writer[T] {
	return startWriterDrop(depth, write, nil)
}

// startWriterDrop is startWriter, and calls drop (if not nil) for each
// batch not written because an earlier write failed.
func startWriterDrop[T any](depth int, write func(T) error, drop func(T)) *writer[T] {
	w := &writer[T]{ch: make(chan T, depth), done: make(chan struct{})}
	goroutine.GoErr("imapsync: writer", discard, func() error {
		for batch := range w.ch {
			if w.err != nil { // drain after a failure
				if drop != nil {
					drop(batch)
				}
				continue
			}
			w.err = write(batch)
		}
		return w.err
	}, func(err error) {
		var pe *goroutine.PanicError
		if errors.As(err, &pe) {
			// The caller reports the error: its text carries the stack.
			err = fmt.Errorf("internal error while storing: %v\n%s", pe.Value, pe.Stack)
		}
		w.err = err
		close(w.done)
	})
	return w
}

// put queues a batch; it fails at once if an earlier write failed.
func (w *writer[T]) put(batch T) error {
	select {
	case <-w.done:
		return w.err
	default:
	}
	select {
	case w.ch <- batch:
		return nil
	case <-w.done: // the writer stopped (a panic) with the queue full
		return w.err
	}
}

// close waits for every queued batch to be written and returns the first
// error.
func (w *writer[T]) close() error {
	close(w.ch)
	<-w.done
	return w.err
}
