package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/message"
)

// sendFlags are the flags of send and outbox.
var sendFlags = map[string]bool{"to": true, "cc": true, "bcc": true, "subject": true, "attach": true, "eml": true, "timeout": true, "at": true}

const defaultSendTimeout = 2 * time.Minute

type rcptJSON struct {
	Status  string `json:"status"`
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

type outboxJSON struct {
	ID          int64               `json:"id"`
	Account     string              `json:"account"`
	State       string              `json:"state"`
	From        string              `json:"from"`
	Rcpts       []string            `json:"rcpts"`
	Subject     string              `json:"subject"`
	MessageID   string              `json:"message_id"`
	Size        int64               `json:"size"`
	Created     time.Time           `json:"created"`
	NextAttempt *time.Time          `json:"next_attempt,omitempty"`
	SentAt      *time.Time          `json:"sent_at,omitempty"`
	Attempts    int                 `json:"attempts"`
	LastError   string              `json:"last_error,omitempty"`
	Results     map[string]rcptJSON `json:"results"`
	// SentCopy says where the copy in Sent stands after send: filed,
	// queued, server (the provider keeps its own) or none.
	SentCopy      string `json:"sent_copy,omitempty"`
	SentCopyError string `json:"sent_copy_error,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func outboxOut(it app.OutboxItem) outboxJSON {
	o := outboxJSON{ID: it.ID, Account: it.Account, State: it.State, From: it.From, Rcpts: it.Rcpts, Subject: it.Subject,
		MessageID: it.MessageID, Size: it.Size, Created: it.Created, SentAt: timePtr(it.SentAt),
		Attempts: it.Attempts, LastError: it.LastError, Results: map[string]rcptJSON{}}
	if it.State == app.OutboxQueued {
		o.NextAttempt = timePtr(it.NextAttempt)
	}
	for k, v := range it.Results {
		o.Results[k] = rcptJSON{Status: v.Status, Code: v.Code, Message: v.Message}
	}
	return o
}

// splitList splits repeated and comma-separated flag values into
// addresses.
func splitList(flag string, values []string) ([]message.Address, error) {
	var out []message.Address
	for _, v := range values {
		list, err := message.ParseAddresses(v)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", flag, err)
		}
		out = append(out, list...)
	}
	return out, nil
}

func sendTimeout(a *args) (time.Duration, error) {
	s := a.str("timeout")
	if s == "" {
		return defaultSendTimeout, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		if n, err2 := strconv.Atoi(s); err2 == nil {
			return time.Duration(n) * time.Second, nil
		}
		return 0, fmt.Errorf("--timeout wants a duration such as 30s or 2m, not %q", s)
	}
	return d, nil
}

func cmdSend(ctx context.Context, core *app.Core, a *args, pos []string, e *env) error {
	if len(pos) != 0 {
		return fmt.Errorf("send takes no arguments (the body comes on standard input); got %q", pos[0])
	}
	acct, err := pickAccount(core, a)
	if err != nil {
		return err
	}
	timeout, err := sendTimeout(a)
	if err != nil {
		return err
	}
	opts := &app.SendOptions{NoUndo: true}
	if v := a.str("at"); v != "" {
		if opts.At, err = app.ParseSendTime(v, time.Now()); err != nil {
			return fmt.Errorf("--at: %w", err)
		}
	}
	var it app.OutboxItem
	if eml := a.str("eml"); eml != "" {
		for _, f := range []string{"to", "cc", "bcc", "subject", "attach"} {
			if a.has(f) {
				return fmt.Errorf("--eml sends the file as it is: --%s is not allowed with it", f)
			}
		}
		raw, err := os.ReadFile(eml)
		if err != nil {
			return err
		}
		it, err = core.SendRaw(ctx, acct.ID, raw, opts)
		if err != nil {
			return err
		}
	} else {
		d := &message.Draft{Subject: a.str("subject")}
		if d.To, err = splitList("to", a.all("to")); err != nil {
			return err
		}
		if d.Cc, err = splitList("cc", a.all("cc")); err != nil {
			return err
		}
		if d.Bcc, err = splitList("bcc", a.all("bcc")); err != nil {
			return err
		}
		if len(d.To)+len(d.Cc)+len(d.Bcc) == 0 {
			return fmt.Errorf("send needs --to (or --cc, --bcc, or --eml FILE)")
		}
		for _, v := range a.all("attach") {
			for _, name := range strings.Split(v, ",") {
				if name = strings.TrimSpace(name); name == "" {
					continue
				}
				data, err := os.ReadFile(name)
				if err != nil {
					return fmt.Errorf("--attach: %w", err)
				}
				d.Attachments = append(d.Attachments, message.DraftAttachment{Filename: filepath.Base(name), Data: data})
			}
		}
		body, err := io.ReadAll(e.stdin)
		if err != nil {
			return fmt.Errorf("reading the body from standard input: %w", err)
		}
		d.Text = string(body)
		it, err = core.Send(ctx, acct.ID, d, opts)
		if err != nil {
			return err
		}
	}
	if !opts.At.IsZero() {
		return out(e, a, outboxOut(it), func(w io.Writer) {
			fmt.Fprintf(w, "Queued message %d to %s, to be sent at %s while Tern runs (the window keeps the outbox going).\n",
				it.ID, strings.Join(it.Rcpts, ", "), it.NextAttempt.Format("2006-01-02 15:04"))
		})
	}
	return waitAndReport(ctx, core, a, e, it.ID, timeout)
}

// waitAndReport waits until message id is final, prints it, and returns an
// error unless it was sent to every recipient.
func waitAndReport(ctx context.Context, core *app.Core, a *args, e *env, id int64, timeout time.Duration) error {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	it, err := core.WaitSent(wctx, id)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return err
	}
	o := outboxOut(it)
	copyLine := ""
	if it.State == app.OutboxSent || it.State == app.OutboxPartial {
		// File the copy in Sent before exiting, within what is left of
		// the timeout: a later sync would, but the user expects it now.
		where, err := core.FileSentCopy(wctx, it.Account, it.ID)
		o.SentCopy = string(where)
		if err != nil {
			o.SentCopyError = err.Error()
		}
		switch where {
		case app.SentCopyFiled:
			copyLine = "Filed a copy in Sent."
		case app.SentCopyServer:
			copyLine = "The server files its own copy in Sent."
		case app.SentCopyQueued:
			copyLine = "The copy for Sent is queued; the next sync files it"
			if err != nil {
				copyLine += " (" + oneLine(err.Error()) + ")"
			}
			copyLine += "."
		default:
			if err != nil {
				copyLine = "No copy in Sent: " + oneLine(err.Error()) + "."
			}
		}
	}
	if a.has("json") {
		if err := out(e, a, o, nil); err != nil {
			return err
		}
	}
	switch it.State {
	case app.OutboxSent:
		if !a.has("json") {
			fmt.Fprintf(e.stdout, "Sent message %d to %s.\n", it.ID, strings.Join(it.Rcpts, ", "))
			if copyLine != "" {
				fmt.Fprintln(e.stdout, copyLine)
			}
		}
		return nil
	case app.OutboxPartial:
		if !a.has("json") && copyLine != "" {
			fmt.Fprintln(e.stdout, copyLine)
		}
		var refused []string
		for _, r := range it.Rcpts {
			if res := it.Results[r]; res.Status == app.RcptRejected {
				refused = append(refused, r+" ("+res.Message+")")
			}
		}
		return fmt.Errorf("message %d was sent, but refused for %s", it.ID, strings.Join(refused, "; "))
	case app.OutboxFailed:
		return fmt.Errorf("message %d failed: %s", it.ID, it.LastError)
	case app.OutboxUncertain:
		return fmt.Errorf("message %d may or may not have been sent: %s", it.ID, it.LastError)
	}
	why := ""
	if it.LastError != "" {
		why = " (last error: " + it.LastError + ")"
	}
	return fmt.Errorf("message %d is not sent yet%s; it stays in the outbox and Tern will try again (tern outbox)", it.ID, why)
}

func cmdOutbox(ctx context.Context, core *app.Core, a *args, pos []string, e *env) error {
	if len(pos) == 0 {
		list, err := core.Outbox(ctx, a.str("account"))
		if err != nil {
			return err
		}
		items := []outboxJSON{}
		for _, it := range list {
			items = append(items, outboxOut(it))
		}
		return out(e, a, items, func(w io.Writer) {
			if len(items) == 0 {
				fmt.Fprintln(w, "The outbox is empty.")
				return
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATE\tACCOUNT\tTO\tSUBJECT\tDETAIL")
			for _, it := range list {
				detail := oneLine(it.LastError)
				if it.State == app.OutboxQueued && detail == "" {
					detail = "due " + it.NextAttempt.Format("2006-01-02 15:04:05")
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", it.ID, it.State, it.Account,
					truncate(strings.Join(it.Rcpts, ", "), 40), truncate(it.Subject, 40), truncate(detail, 100))
			}
			tw.Flush()
			uncertainHint(w, list)
		})
	}
	if len(pos) != 2 {
		return fmt.Errorf("usage: tern outbox [retry ID | cancel ID | resend ID | mark-sent ID]")
	}
	id, err := strconv.ParseInt(pos[1], 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%q is not an outbox message ID (see tern outbox)", pos[1])
	}
	switch pos[0] {
	case "resend", "mark-sent":
		return cmdOutboxUncertain(ctx, core, a, e, pos[0], id)
	case "retry":
		timeout, err := sendTimeout(a)
		if err != nil {
			return err
		}
		if _, err := core.RetrySend(ctx, id); err != nil {
			return outboxErr(id, err)
		}
		return waitAndReport(ctx, core, a, e, id, timeout)
	case "cancel":
		it, _, err := core.CancelSend(ctx, id)
		if err != nil {
			return outboxErr(id, err)
		}
		return out(e, a, map[string]any{"cancelled": it.ID}, func(w io.Writer) {
			fmt.Fprintf(w, "Cancelled message %d (%s).\n", it.ID, it.Subject)
		})
	}
	return fmt.Errorf("unknown outbox command %q (retry ID, cancel ID, resend ID, mark-sent ID)", pos[0])
}

func outboxErr(id int64, err error) error {
	if errors.Is(err, app.ErrNotFound) {
		return fmt.Errorf("no message %d in the outbox (see tern outbox)", id)
	}
	return err
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
