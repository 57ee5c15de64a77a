package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/ternmail/tern/app"
)

// cmdOutboxUncertain is "tern outbox resend ID" and "tern outbox mark-sent
// ID": the user's choice for a message that may or may not have been sent.
func cmdOutboxUncertain(ctx context.Context, core *app.Core, a *args, e *env, verb string, id int64) error {
	timeout, err := sendTimeout(a)
	if err != nil {
		return err
	}
	choice := app.SendAgain
	if verb == "mark-sent" {
		choice = app.MarkSent
	}
	it, err := core.ResolveUncertain(ctx, id, choice)
	if err != nil {
		return outboxErr(id, err)
	}
	if choice == app.MarkSent && !a.has("json") {
		fmt.Fprintf(e.stdout, "Marked message %d (%s) as sent.\n", it.ID, it.Subject)
	}
	// Sends (resend) or files the copy in Sent (both), and reports.
	return waitAndReport(ctx, core, a, e, id, timeout)
}

// uncertainHint tells, under the outbox listing, what to do with the
// messages that may or may not have been sent.
func uncertainHint(w io.Writer, list []app.OutboxItem) {
	n := 0
	for _, it := range list {
		if it.State == app.OutboxUncertain {
			fmt.Fprintf(w, "\nMessage %d is uncertain: %s\n", it.ID, app.UncertainAdvice(it, time.Now()))
			n++
		}
	}
	if n > 0 {
		fmt.Fprintln(w, "  tern outbox mark-sent ID   it arrived: record it as sent and file it in Sent")
		fmt.Fprintln(w, "  tern outbox resend ID      send it again")
	}
}
