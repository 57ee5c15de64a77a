package gui

import (
	"errors"
	"testing"

	"github.com/ternmail/tern/app"
)

// TestReaderTooLarge shows a message whose body is bigger than Tern
// downloads: the reader says so, in the engine's words, and offers no
// retry, which would only fail again; another failure keeps its retry.
func TestReaderTooLarge(t *testing.T) {
	h := newHarness(t, nil)
	r := h.w.reader
	r.fail(errors.New("cannot reach the server"))
	if !r.retryBtn.Visible() {
		t.Fatal("a failure to load offers no retry")
	}
	r.retryBtn.Hide() // as opening the next message does
	r.fail(&app.TooLargeError{Size: 80 << 20})
	if want := "This message is larger than Tern downloads (80 MB)."; r.state.Text != want || !r.state.Visible() {
		t.Errorf("reader says %q (shown %v), want %q", r.state.Text, r.state.Visible(), want)
	}
	if r.retryBtn.Visible() {
		t.Error("a message too large offers a retry")
	}
}
