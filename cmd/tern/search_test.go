package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ternmail/tern/internal/mailtest"
)

// TestCLISearch runs tern search over the synced demo mailbox: operators
// select what they say, a term and its negation split the mailbox, the
// folder scope holds, and a bad query fails with one line naming the
// problem.
func TestCLISearch(t *testing.T) {
	srv := mailtest.DemoForTest(t)
	c := newCLI(t)
	addDemoAccount(t, c, srv)
	c.ok("", "sync")

	search := func(args ...string) searchJSON {
		t.Helper()
		var res searchJSON
		out := c.ok("", append([]string{"search", "--json", "--limit", "1000"}, args...)...)
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("search %v: %v\n%s", args, err, out)
		}
		if res.Here != len(res.Messages) || res.More {
			t.Fatalf("search %v: %d here, %d listed", args, res.Here, len(res.Messages))
		}
		return res
	}
	read, unread := search("is:read"), search("is:unread")
	total := read.Here + unread.Here
	from := search("from:priya")
	notFrom := search("-from:priya")
	if from.Here == 0 || from.Here+notFrom.Here != total {
		t.Errorf("from:priya %d + -from:priya %d != %d", from.Here, notFrom.Here, total)
	}
	for _, m := range from.Messages {
		if len(m.From) == 0 || !strings.Contains(strings.ToLower(m.From[0]), "priya") {
			t.Errorf("from:priya found a message from %v", m.From)
		}
	}
	for _, m := range notFrom.Messages {
		if len(m.From) > 0 && strings.Contains(strings.ToLower(m.From[0]), "priya") {
			t.Errorf("-from:priya found a message from %v", m.From)
		}
	}
	// A leading - after -- and without it.
	if again := search("--", "-from:priya"); again.Here != notFrom.Here {
		t.Errorf("-- -from:priya: %d, want %d", again.Here, notFrom.Here)
	}
	if again := search("-from:priya"); again.Here != notFrom.Here {
		t.Errorf("-from:priya as an argument of its own: %d, want %d", again.Here, notFrom.Here)
	}
	for _, m := range unread.Messages {
		for _, f := range m.Flags {
			if f == `\Seen` {
				t.Errorf("is:unread found a read message: %+v", m.Subject)
			}
		}
	}
	inbox := search("--folder", "INBOX", "is:read")
	if inbox.Here == 0 || inbox.Here >= read.Here {
		t.Errorf("is:read in INBOX: %d of %d", inbox.Here, read.Here)
	}
	for _, m := range inbox.Messages {
		if m.Folder != "INBOX" {
			t.Errorf("--folder INBOX found a message in %s", m.Folder)
		}
	}
	if in := search("in:inbox", "is:read"); in.Here != inbox.Here {
		t.Errorf("in:inbox is:read %d, --folder INBOX %d", in.Here, inbox.Here)
	}
	att := search("has:attachment")
	for _, m := range att.Messages {
		if !m.HasAttachments {
			t.Errorf("has:attachment found %q", m.Subject)
		}
	}
	if att.Here == 0 {
		t.Error("has:attachment found nothing in the demo mailbox")
	}

	// Text output: a header, a row per message and the counts.
	out := c.ok("", "search", "from:priya", "--server")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "FOLDER") || len(lines) != from.Here+2 || lines[len(lines)-1] != fmt.Sprintf("%d here", from.Here) {
		t.Errorf("text output:\n%s", out)
	}

	for q, want := range map[string]string{
		"form:priya":        `tern: bad search: unknown operator "form:" — did you mean from:? (at character 1)`,
		"before:2026-13-01": "tern: bad search: before: needs a date like 2026-12-31 (at character 1)",
		"in:Nowhere x":      `tern: bad search: no folder "Nowhere" (at character 1)`,
	} {
		if errs := c.fails("", "search", q); strings.TrimSpace(errs) != want {
			t.Errorf("search %q: %q, want %q", q, errs, want)
		}
	}
}
