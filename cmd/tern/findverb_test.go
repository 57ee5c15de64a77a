package main

import "testing"

// TestFindVerbStepsOverFlagValues: a flag that takes a value may come
// before the verb ("tern --at 17:30 send"); its value is never taken for
// the verb, for every flag of every verb.
func TestFindVerbStepsOverFlagValues(t *testing.T) {
	for _, c := range []struct {
		argv []string
		want string
	}{
		{[]string{"--at", "17:30", "send", "--to", "a@b.example"}, "send"},
		{[]string{"--home", "/tmp/x", "--json", "list", "INBOX"}, "list"},
		{[]string{"--folder", "Receipts", "search", "invoice"}, "search"},
		{[]string{"--to", "Archive", "move", "INBOX", "4"}, "move"},
		{[]string{"--read", "mark", "INBOX", "4"}, "mark"},
		{[]string{"--at=17:30", "send"}, "send"},
		{[]string{"--json", "--", "show"}, "show"},
		{[]string{"--demo"}, ""},
	} {
		if got := findVerb(c.argv); got != c.want {
			t.Errorf("findVerb(%q) = %q, want %q", c.argv, got, c.want)
		}
	}
	for verb, flags := range verbFlags {
		for name, takes := range flags {
			if !takes {
				continue
			}
			argv := []string{"--" + name, "value", verb}
			if got := findVerb(argv); got != verb {
				t.Errorf("findVerb(%q) = %q: the value of --%s taken for the verb", argv, got, name)
			}
		}
	}
}
