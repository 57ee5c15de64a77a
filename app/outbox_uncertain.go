package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ternmail/tern/store"
)

// UncertainChoice is what the user decides about an outbox message that
// may or may not have been sent (state store.OutboxUncertain).
type UncertainChoice int

// The choices for an uncertain message.
const (
	// SendAgain queues the message again, now: recipients who got it
	// already get it twice.
	SendAgain UncertainChoice = iota + 1
	// MarkSent records the message as sent and files a copy in Sent
	// (unless the provider files its own, or Sent has it already).
	MarkSent
)

// String returns the choice as the command line names it.
func (ch UncertainChoice) String() string {
	switch ch {
	case SendAgain:
		return "resend"
	case MarkSent:
		return "mark-sent"
	}
	return fmt.Sprintf("UncertainChoice(%d)", int(ch))
}

// ResolveUncertain applies the user's choice to uncertain outbox message
// id and returns it as it then is. A message in any other state fails with
// a *store.OutboxStateError (Tern may have settled it meanwhile, after a
// sync found it in Sent). SendAgain starts the outbox worker.
func (c *Core) ResolveUncertain(ctx context.Context, id int64, choice UncertainChoice) (store.OutboxItem, error) {
	it, err := c.store.OutboxItem(ctx, id)
	if err != nil {
		return it, err
	}
	switch choice {
	case SendAgain:
		if it.State != store.OutboxUncertain {
			return it, &store.OutboxStateError{ID: id, State: it.State, Op: "send again"}
		}
		return c.outboxWorker(true).Retry(ctx, id)
	case MarkSent:
		return c.outboxWorker(false).MarkSent(ctx, id)
	}
	return it, fmt.Errorf("unknown choice %v for an uncertain message", choice)
}

// UncertainAdvice says, in words for the user, what Tern knows about
// uncertain message it and what each choice does.
func UncertainAdvice(it store.OutboxItem, now time.Time) string {
	var b strings.Builder
	b.WriteString("Tern lost contact with the server while handing this message over")
	if !it.Updated.IsZero() {
		fmt.Fprintf(&b, " (%s)", ago(now.Sub(it.Updated)))
	}
	b.WriteString(", so it may or may not have been sent. ")
	if it.MessageID != "" {
		b.WriteString("After each sync Tern looks for it in your Sent folder, and in your inbox when you were among the recipients, and marks it sent when it is there; it has not found it yet. ")
	}
	if it.Attempts > 1 {
		fmt.Fprintf(&b, "Tern tried %d times. ", it.Attempts)
	}
	b.WriteString("If a recipient has it, mark it as sent; otherwise send it again (anyone who got it already gets it twice).")
	return b.String()
}

func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}

// afterSync settles the account's uncertain outbox messages that the sync
// just stored a copy of (in Sent, or in INBOX when the account was among
// the recipients). The engine calls it, through its status, after each
// pass; it is one indexed query when nothing is uncertain.
func (c *Core) afterSync(account string) {
	ctx, cancel := context.WithTimeout(c.runCtx, 10*time.Second)
	defer cancel()
	if _, err := c.outboxWorker(false).ResolveUncertain(ctx, account); err != nil && ctx.Err() == nil {
		c.opts.Logf("outbox: %s: looking for uncertain messages: %v", account, err)
	}
}
