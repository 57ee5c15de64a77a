package health

import (
	"fmt"
	"net"
	"net/mail"
	"regexp"
	"time"
)

// ClockTolerance is how far this computer's clock may be from a server's
// before a check diagnoses it.
const ClockTolerance = 5 * time.Minute

// maxGreeting bounds the greeting line kept for its date.
const maxGreeting = 512

// greetingConn keeps the first line the server sends on a connection
// (bounded), for the date some servers put in their greeting. Reads are
// made by one goroutine at a time, as a protocol client makes them.
type greetingConn struct {
	net.Conn
	line []byte
	done bool
}

func (g *greetingConn) Read(p []byte) (int, error) {
	n, err := g.Conn.Read(p)
	for _, b := range p[:n] {
		if g.done {
			break
		}
		if b == '\n' {
			g.done = true
		} else if len(g.line) < maxGreeting {
			g.line = append(g.line, b)
		}
	}
	return n, err
}

// greetingDate matches an RFC 5322 date (the day name optional, a numeric
// or named zone), as Exim, Sendmail and Exchange write in an SMTP greeting.
var greetingDate = regexp.MustCompile(`(?i)(?:(?:mon|tue|wed|thu|fri|sat|sun),\s*)?\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\s+\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?\s+(?:[+-]\d{4}|[a-z]{1,5})\b`)

// greetingTime returns the date in a server's greeting, if it has one.
func greetingTime(greeting string) (time.Time, bool) {
	m := greetingDate.FindString(greeting)
	if m == "" {
		return time.Time{}, false
	}
	t, err := mail.ParseDate(m)
	return t, err == nil
}

// clock compares the server's time, from its greeting, with this
// computer's clock at the moment the greeting was read, and diagnoses a
// difference over ClockTolerance. A server whose greeting has no date
// leaves ServerTime zero: IMAP greetings and most SMTP ones have none.
func (p *probe) clock(greeting string, at time.Time) {
	t, ok := greetingTime(greeting)
	if !ok {
		return
	}
	p.srv.ServerTime = t
	p.srv.ClockSkew = at.Sub(t).Round(time.Second)
	skew := p.srv.ClockSkew
	if skew.Abs() < ClockTolerance {
		return
	}
	way := "ahead of"
	if skew < 0 {
		way = "behind"
	}
	p.srv.diagnose(Diagnosis{Code: DiagClockOff,
		Evidence: fmt.Sprintf("the server's greeting gives its time as %s; this computer's clock said %s",
			t.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339)),
		Summary: fmt.Sprintf("This computer's clock is %s %s the server's. Certificates and sign-in codes are checked against the clock, and mail is dated by it.",
			skewWords(skew.Abs()), way),
		Fix: "Set the date, time and time zone automatically (network time) in the system settings."})
}

// skewWords says a clock difference in the largest unit that fits.
func skewWords(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	}
	return fmt.Sprintf("%d minutes", int(d/time.Minute))
}
