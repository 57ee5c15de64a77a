package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/message"
)

// actFlags are the flags of mark, move, delete and archive.
var actFlags = map[string]bool{"read": false, "unread": false, "star": false, "unstar": false, "to": true}

type actJSON struct {
	Action  string   `json:"action"`
	Folder  string   `json:"folder"`
	To      string   `json:"to,omitempty"`
	UIDs    []uint32 `json:"uids"`
	Changed int      `json:"changed"`
	// Queued is how many actions of the account still wait for the
	// server when the command exits; QueuedWhy says why.
	Queued    int    `json:"queued"`
	QueuedWhy string `json:"queued_why,omitempty"`
	// SyncError is an error of the sync pass after the actions were sent.
	SyncError string `json:"sync_error,omitempty"`
}

// cmdAct runs tern mark, move, delete or archive: the actions go through
// the same queue as the window's (applied to the store at once), then one
// sync pass sends them to the server before the command exits. When the
// server cannot be reached they stay queued, and the command says so and
// succeeds: the next sync, or the window, sends them. A refusal by the
// server (the change is then undone locally) is an error.
func cmdAct(ctx context.Context, core *app.Core, verb string, a *args, pos []string, e *env) error {
	var kinds []app.ActKind
	switch verb {
	case "mark":
		for _, k := range []app.ActKind{app.ActRead, app.ActUnread, app.ActStar, app.ActUnstar} {
			if a.has(string(k)) {
				kinds = append(kinds, k)
			}
		}
		if len(kinds) == 0 {
			return fmt.Errorf("usage: tern mark FOLDER UID... --read|--unread|--star|--unstar")
		}
		if (a.has("read") && a.has("unread")) || (a.has("star") && a.has("unstar")) {
			return fmt.Errorf("mark: --read and --unread (or --star and --unstar) contradict each other")
		}
	case "move":
		if a.str("to") == "" {
			return fmt.Errorf("usage: tern move FOLDER UID... --to FOLDER")
		}
		kinds = []app.ActKind{app.ActMove}
	case "archive":
		kinds = []app.ActKind{app.ActArchive}
	case "delete":
		kinds = []app.ActKind{app.ActDelete}
	}
	for _, f := range []string{"read", "unread", "star", "unstar"} {
		if verb != "mark" && a.has(f) {
			return fmt.Errorf("--%s belongs to tern mark", f)
		}
	}
	if verb != "move" && a.has("to") {
		return fmt.Errorf("--to belongs to tern move")
	}
	if len(pos) < 2 {
		return fmt.Errorf("usage: tern %s FOLDER UID...", verb)
	}
	uids, err := parseUIDs(pos[1:])
	if err != nil {
		return err
	}
	acct, err := pickAccount(core, a)
	if err != nil {
		return err
	}
	res := actJSON{Action: verb, Folder: pos[0], To: a.str("to"), UIDs: uids}
	var done []string
	for _, k := range kinds {
		n, err := core.Act(ctx, app.ActRequest{Account: acct.ID, Folder: pos[0], UIDs: uids, Kind: k, To: a.str("to")})
		res.Changed += n
		if err != nil {
			return err
		}
		done = append(done, string(k))
	}
	if verb == "mark" {
		res.Action = "mark " + strings.Join(done, " ")
	}
	rep, err := core.ReplayNow(ctx, acct.ID)
	if rep == nil {
		return err
	}
	if len(rep.Failed) > 0 {
		var why []string
		for _, f := range rep.Failed {
			why = append(why, fmt.Sprintf("UID %d: %v", f.Message.UID, f.Err))
		}
		return fmt.Errorf("the server refused %d action(s), undone here: %s", len(rep.Failed), strings.Join(why, "; "))
	}
	res.Queued = rep.Pending
	if err != nil {
		if rep.Pending > 0 {
			res.QueuedWhy = oneLine(err.Error())
		} else {
			res.SyncError = oneLine(err.Error())
		}
	}
	return out(e, a, res, func(w io.Writer) {
		if res.Queued > 0 {
			why := ""
			if res.QueuedWhy != "" {
				why = " (" + res.QueuedWhy + ")"
			}
			fmt.Fprintf(w, "queued: %d %s will be sent at the next sync%s\n", res.Queued, plural(res.Queued, "action", "actions"), why)
			return
		}
		line := actSummary(verb, done, res.Changed, message.Printable(pos[0]), message.Printable(res.To))
		if res.SyncError != "" {
			line += " (the sync after it failed: " + res.SyncError + ")"
		}
		fmt.Fprintln(w, line)
	})
}

// actSummary says what an action did, in one line.
func actSummary(verb string, kinds []string, n int, folder, to string) string {
	msgs := fmt.Sprintf("%d %s", n, plural(n, "message", "messages"))
	switch verb {
	case "mark":
		var words []string
		for _, k := range kinds {
			words = append(words, map[string]string{"read": "read", "unread": "unread", "star": "starred", "unstar": "unstarred"}[k])
		}
		return fmt.Sprintf("Marked %s %s in %s.", msgs, strings.Join(words, " and "), folder)
	case "move":
		return fmt.Sprintf("Moved %s from %s to %s.", msgs, folder, to)
	case "archive":
		return fmt.Sprintf("Archived %s from %s.", msgs, folder)
	}
	return fmt.Sprintf("Deleted %s from %s.", msgs, folder)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// parseUIDs reads UIDs given as separate arguments or separated by commas.
func parseUIDs(list []string) ([]uint32, error) {
	var uids []uint32
	for _, arg := range list {
		for _, s := range strings.Split(arg, ",") {
			if s == "" {
				continue
			}
			n, err := strconv.ParseUint(s, 10, 32)
			if err != nil || n == 0 {
				return nil, fmt.Errorf("a UID is a whole number above 0, not %q", s)
			}
			uids = append(uids, uint32(n))
		}
	}
	if len(uids) == 0 {
		return nil, fmt.Errorf("no UID given")
	}
	return uids, nil
}
