package gui

import (
	"testing"
	"time"

	"github.com/ternmail/tern/app"
	"github.com/ternmail/tern/sync/imapsync"
)

func TestListDate(t *testing.T) {
	now := time.Date(2025, 6, 15, 14, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2025, 6, 15, 9, 5, 0, 0, time.UTC), "09:05"},
		{time.Date(2025, 1, 2, 9, 5, 0, 0, time.UTC), "Jan 2"},
		{time.Date(2024, 1, 2, 9, 5, 0, 0, time.UTC), "2024-01-02"},
		{time.Time{}, ""},
	} {
		if got := listDate(tc.t, now); got != tc.want {
			t.Errorf("listDate(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

func TestStatusText(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		st   app.Status
		want string
	}{
		{app.Status{State: imapsync.StateSyncing, Folder: "INBOX", Done: 1200, Total: 5000}, "Syncing INBOX 1,200/5,000"},
		{app.Status{State: imapsync.StateIdle}, "Up to date"},
		{app.Status{State: imapsync.StateOffline, Retry: now.Add(29500 * time.Millisecond), Err: "connection refused"}, "Offline — retrying in 30 s: connection refused"},
		{app.Status{State: imapsync.StateError, Err: "wrong password for alice@example.com"}, "Error: wrong password for alice@example.com"},
	} {
		if got := statusText(tc.st, now); got != tc.want {
			t.Errorf("statusText(%+v) = %q, want %q", tc.st, got, tc.want)
		}
	}
}

func TestThousandsAndSizes(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1200: "-1,200"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
	if got := byteSize(1_500_000); got != "1.5 MB" {
		t.Errorf("byteSize = %q", got)
	}
}

func TestWithFlag(t *testing.T) {
	f := withFlag([]string{`\seen`, `\Answered`}, `\Seen`, false)
	if len(f) != 1 || f[0] != `\Answered` {
		t.Errorf("clear: %v", f)
	}
	f = withFlag(f, `\Flagged`, true)
	if len(f) != 2 || f[1] != `\Flagged` {
		t.Errorf("set: %v", f)
	}
}
