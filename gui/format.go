package gui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ternmail/tern/app"
)

// listDate formats a message date for the list: the time for today, "Jan 2"
// for this year, "2024-01-02" before.
func listDate(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(now.Location())
	y, m, d := t.Date()
	ny, nm, nd := now.Date()
	switch {
	case y == ny && m == nm && d == nd:
		return t.Format("15:04")
	case y == ny:
		return t.Format("Jan 2")
	}
	return t.Format("2006-01-02")
}

// readerDate formats a message date for the reader's header.
func readerDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("Mon, Jan 2, 2006 at 15:04")
}

// thousands formats n with comma separators: 1200 → "1,200".
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// byteSize formats a size for the attachment list.
func byteSize(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.0f KB", float64(n)/1000)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}

// senderText returns what the list shows as the sender.
func senderText(from []app.Address) string {
	if len(from) == 0 {
		return "(no sender)"
	}
	s := from[0].Display()
	if len(from) > 1 {
		s += fmt.Sprintf(" +%d", len(from)-1)
	}
	return s
}

// subjectText returns the subject, or a placeholder for an empty one.
func subjectText(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(no subject)"
	}
	return s
}

// oneLine collapses whitespace so that a preview fits a single row.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// statusText describes an account's sync state for the status bar. now is
// used for the retry countdown.
func statusText(st app.Status, now time.Time) string {
	switch st.State {
	case app.StateConnecting:
		return "Connecting…"
	case app.StateSyncing:
		switch {
		case st.Folder != "" && st.Total > 0:
			return fmt.Sprintf("Syncing %s %s/%s", st.Folder, thousands(st.Done), thousands(st.Total))
		case st.Folder != "":
			return "Syncing " + st.Folder + "…"
		}
		return "Syncing…"
	case app.StateIdle:
		return "Up to date"
	case app.StateOffline:
		s := "Offline"
		if !st.Retry.IsZero() {
			if d := st.Retry.Sub(now); d > 0 {
				s += " — retrying in " + shortDuration(d)
			} else {
				s += " — retrying now"
			}
		}
		if st.Err != "" {
			s += ": " + st.Err
		}
		return s
	case app.StateError:
		if st.Err != "" {
			return "Error: " + st.Err
		}
		return "Error"
	case app.StateStopped, "":
		return "Not syncing"
	}
	return string(st.State)
}

// shortDuration rounds d up to whole seconds (or minutes past two minutes).
func shortDuration(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	if secs < 120 {
		return fmt.Sprintf("%d s", secs)
	}
	return fmt.Sprintf("%d min", (secs+59)/60)
}
