package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ternmail/tern/app"
)

// width is the terminal width the text report fits.
const width = 80

// wrap writes text after prefix, wrapped at width, continuation lines
// indented by indent spaces.
func wrap(w io.Writer, prefix string, indent int, text string) {
	line := prefix
	pad := strings.Repeat(" ", indent)
	empty := true
	for _, word := range strings.Fields(text) {
		for len(word) > width-indent { // a word longer than a line: cut it
			if !empty {
				fmt.Fprintln(w, line)
				line, empty = pad, true
			}
			fmt.Fprintln(w, line+word[:width-indent])
			word = word[width-indent:]
		}
		if !empty && len(line)+1+len(word) > width {
			fmt.Fprintln(w, line)
			line, empty = pad, true
		}
		if empty {
			line += word
		} else {
			line += " " + word
		}
		empty = false
	}
	fmt.Fprintln(w, line)
}

var mark = map[string]string{"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "-   "}

func printServer(w io.Writer, title string, s *app.HealthServer) {
	fmt.Fprintf(w, "%s: %s %s\n", title, s.Protocol, s.Endpoint.String())
	for _, st := range s.Steps {
		el := ""
		if d := st.Elapsed.Round(time.Millisecond); d > 0 {
			el = fmt.Sprintf(" (%s)", d)
		}
		wrap(w, fmt.Sprintf("  %s %-12s ", mark[string(st.Status)], st.Name), 20, st.Detail+el)
	}
	var missing []string
	for _, c := range s.Capabilities {
		if !c.Present && c.Cost != "" {
			missing = append(missing, c.Name+": "+c.Cost)
		}
	}
	for _, m := range missing {
		wrap(w, "       without ", 20, m)
	}
	if len(s.AuthMechanisms) > 0 {
		wrap(w, "       sign-in by ", 20, strings.Join(s.AuthMechanisms, " "))
	}
	if !s.ServerTime.IsZero() {
		wrap(w, "       server time ", 20, fmt.Sprintf("%s (this computer: %+ds)", s.ServerTime.UTC().Format(time.RFC3339), int64(s.ClockSkew/time.Second)))
	}
	for _, a := range s.Alternates {
		res := "answers"
		if !a.OK {
			res = "no: " + a.Detail
		}
		wrap(w, "       also tried ", 20, a.Endpoint.String()+": "+res)
	}
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04") + fmt.Sprintf(" (%s ago)", time.Since(t).Round(time.Second))
}

func printHealth(w io.Writer, r *app.HealthReport, diags []diagnosisJSON) {
	fmt.Fprintf(w, "Account %s (%s), checked %s\n\n", r.Account, r.Email, r.Checked.Local().Format("2006-01-02 15:04:05"))
	printServer(w, "Incoming", r.Incoming)
	fmt.Fprintln(w)
	printServer(w, "Outgoing", r.Outgoing)
	fmt.Fprintln(w)
	l := r.Local
	fmt.Fprintln(w, "In Tern:")
	sync := l.Sync
	if l.SyncError != "" {
		sync += ": " + l.SyncError
	}
	wrap(w, "  sync        ", 14, sync)
	wrap(w, "  synced      ", 14, fmt.Sprintf("%d of %d folders; last %s", l.SyncedFolders, l.Folders, ago(l.LastSynced)))
	full := "never"
	if !l.LastFullSync.IsZero() {
		full = fmt.Sprintf("%s, took %s", ago(l.LastFullSync), l.FullSyncDuration.Round(time.Millisecond))
	}
	wrap(w, "  full sync   ", 14, full)
	push := "not connected"
	switch {
	case l.Push:
		push = "connected (IDLE)"
	case l.Sync == "stopped":
		push = "not running in this process (the window keeps it)"
	}
	wrap(w, "  push        ", 14, push)
	pending := fmt.Sprintf("%d", l.Pending)
	if l.Pending > 0 {
		pending += ", oldest " + ago(l.OldestPending)
		if l.PendingLastError != "" {
			pending += "; last error: " + l.PendingLastError
		}
	}
	wrap(w, "  pending     ", 14, pending)
	wrap(w, "  outbox      ", 14, fmt.Sprintf("%d waiting, %d failed", l.OutboxWaiting, len(l.OutboxFailed)))
	for _, p := range l.OutboxFailed {
		wrap(w, "    ", 6, fmt.Sprintf("#%d %q (%d bytes): %s", p.ID, p.Subject, p.Size, p.LastError))
	}
	for _, p := range l.SentCopyFailed {
		wrap(w, "    sent, ", 6, fmt.Sprintf("#%d %q: %s", p.ID, p.Subject, p.LastError))
	}
	wrap(w, "  bodies      ", 14, fmt.Sprintf("%d not downloaded yet", l.MissingBodies))
	fmt.Fprintln(w)
	if len(diags) == 0 {
		fmt.Fprintln(w, "No problem found.")
		return
	}
	fmt.Fprintln(w, "Problems:")
	for _, d := range diags {
		wrap(w, "  * ", 4, d.Summary)
		wrap(w, "    seen: ", 10, d.Evidence)
		wrap(w, "    fix:  ", 10, d.Fix)
		if d.Action != nil {
			wrap(w, "    action: ", 12, d.Action.Label)
		}
	}
}
