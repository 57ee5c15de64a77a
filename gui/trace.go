package gui

import (
	"fmt"
	"os"
	"time"
)

// traceOn is set by TERN_TRACE_WINDOW=1: the window then writes a line to
// standard error when the list first shows rows and when the reader shows
// a message's headers and its body, each with the wall clock in Unix
// nanoseconds, for scripts/measure-window.sh to time launch and a click
// against. The event is the UI goroutine's change; Fyne paints it in the
// next frame.
var traceOn = os.Getenv("TERN_TRACE_WINDOW") == "1"

// trace writes one trace line (see traceOn).
func trace(event string, detail any) {
	if traceOn {
		fmt.Fprintf(os.Stderr, "tern-trace %s %d %v\n", event, time.Now().UnixNano(), detail)
	}
}
