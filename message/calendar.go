package message

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// An Event is the summary of one VEVENT of an iCalendar invitation
// (text/calendar, RFC 5545): what the reader shows above the body.
type Event struct {
	Method      string // the calendar's METHOD, upper case: REQUEST, CANCEL, REPLY, PUBLISH…
	UID         string
	Summary     string
	Location    string
	Start, End  time.Time // End is zero when the event has neither DTEND nor DURATION
	AllDay      bool      // dates without times; End is exclusive
	Floating    bool      // times without a zone: the same wall clock everywhere
	TZID        string    // the zone named by the invitation, "" for UTC or floating times
	Organizer   Address
	Attendees   int  // how many attendees are listed
	Recurring   bool // the event has a recurrence rule
	Status      string
	Description string // first lines of the description, bounded
}

// Calendar limits.
const (
	maxCalendarBytes  = 1 << 20
	maxCalendarEvents = 20
	maxCalendarText   = 500
	maxCalendarParts  = 5
)

// ErrNoEvents is returned by ParseCalendar when the data has no VEVENT.
var ErrNoEvents = errors.New("message: no calendar event")

// IsCalendar reports whether an attachment is an iCalendar object.
func IsCalendar(a Attachment) bool {
	switch a.ContentType {
	case "text/calendar", "application/ics", "text/x-vcalendar":
		return true
	}
	return strings.HasSuffix(strings.ToLower(a.Filename), ".ics")
}

// CalendarEvents returns the events of the calendar parts of a parsed
// message (raw is the message it was parsed from), without duplicates.
func CalendarEvents(raw []byte, m *Message) []Event {
	var out []Event
	seen := map[string]bool{}
	parts := 0
	for _, a := range m.Attachments {
		if !IsCalendar(a) || a.Size > maxCalendarBytes*4 {
			continue
		}
		if parts++; parts > maxCalendarParts {
			break
		}
		data, err := PartData(raw, a.PartPath)
		if err != nil {
			continue
		}
		evs, _ := ParseCalendar(data)
		for _, e := range evs {
			key := e.UID + "\x00" + e.Start.String() + "\x00" + e.Summary
			if seen[key] || len(out) >= maxCalendarEvents {
				continue
			}
			seen[key] = true
			out = append(out, e)
		}
	}
	return out
}

// icsLine is one unfolded content line: NAME;PARAM=V:VALUE.
type icsLine struct {
	name   string // upper case
	params map[string]string
	value  string
}

// ParseCalendar reads the events of an iCalendar object. It is lenient
// (bad lines are skipped) and bounded.
func ParseCalendar(data []byte) ([]Event, error) {
	if len(data) > maxCalendarBytes {
		data = data[:maxCalendarBytes]
	}
	text := strings.ToValidUTF8(string(data), "\uFFFD")
	lines := unfoldICS(text)
	var (
		events   []Event
		method   string
		cur      *Event
		depth    []string // the components we are in
		tzOffset = map[string]*time.Location{}
		tzid     string // the VTIMEZONE being read
		tzName   string // STANDARD or DAYLIGHT inside it
	)
	type pending struct {
		ev         int
		start, end icsLine
		duration   string
		hasEnd     bool
	}
	var times []pending
	for _, raw := range lines {
		l, ok := parseICSLine(raw)
		if !ok {
			continue
		}
		switch l.name {
		case "BEGIN":
			comp := strings.ToUpper(strings.TrimSpace(l.value))
			if len(depth) >= 10 {
				continue
			}
			depth = append(depth, comp)
			if comp == "VEVENT" && len(depth) >= 1 && cur == nil {
				if len(events) >= maxCalendarEvents {
					continue
				}
				events = append(events, Event{})
				cur = &events[len(events)-1]
				times = append(times, pending{ev: len(events) - 1})
			}
			if comp == "STANDARD" || comp == "DAYLIGHT" {
				tzName = comp
			}
			continue
		case "END":
			comp := strings.ToUpper(strings.TrimSpace(l.value))
			for k := len(depth) - 1; k >= 0; k-- {
				if depth[k] == comp {
					depth = depth[:k]
					break
				}
			}
			switch comp {
			case "VEVENT":
				cur = nil
			case "VTIMEZONE":
				tzid = ""
			case "STANDARD", "DAYLIGHT":
				tzName = ""
			}
			continue
		}
		inner := ""
		if len(depth) > 0 {
			inner = depth[len(depth)-1]
		}
		switch {
		case inner == "VCALENDAR" && l.name == "METHOD":
			method = strings.ToUpper(strings.TrimSpace(l.value))
		case inner == "VTIMEZONE" && l.name == "TZID":
			tzid = strings.TrimSpace(l.value)
		case tzName != "" && tzid != "" && l.name == "TZOFFSETTO":
			// A zone Go does not know is approximated by its standard
			// offset (or its only one).
			if off, ok := parseUTCOffset(l.value); ok && (tzName == "STANDARD" || tzOffset[tzid] == nil) {
				tzOffset[tzid] = time.FixedZone(tzid, off)
			}
		case inner == "VEVENT" && cur != nil:
			p := &times[len(times)-1]
			switch l.name {
			case "UID":
				cur.UID = icsText(l.value, 200)
			case "SUMMARY":
				cur.Summary = icsText(l.value, maxCalendarText)
			case "LOCATION":
				cur.Location = icsText(l.value, maxCalendarText)
			case "DESCRIPTION":
				cur.Description = icsText(l.value, maxCalendarText)
			case "STATUS":
				cur.Status = strings.ToUpper(icsText(l.value, 40))
			case "RRULE", "RDATE":
				cur.Recurring = true
			case "ORGANIZER":
				cur.Organizer = icsAddress(l)
			case "ATTENDEE":
				cur.Attendees++
			case "DTSTART":
				p.start = l
			case "DTEND":
				p.end, p.hasEnd = l, true
			case "DURATION":
				p.duration = l.value
			}
		}
	}
	for _, p := range times {
		e := &events[p.ev]
		e.Method = method
		start, allDay, floating, zone, ok := icsTime(p.start, tzOffset)
		if !ok {
			continue
		}
		e.Start, e.AllDay, e.Floating, e.TZID = start, allDay, floating, zone
		if p.hasEnd {
			if end, _, _, _, ok := icsTime(p.end, tzOffset); ok && !end.Before(start) {
				e.End = end
			}
		} else if d, ok := parseICSDuration(p.duration); ok {
			e.End = start.Add(d)
		} else if allDay {
			e.End = start.AddDate(0, 0, 1)
		}
	}
	if len(events) == 0 {
		return nil, ErrNoEvents
	}
	return events, nil
}

// unfoldICS splits text into content lines, joining folded ones (a line
// starting with a space or tab continues the previous one).
func unfoldICS(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && len(out) > 0 {
			if len(out[len(out)-1]) < 64<<10 {
				out[len(out)-1] += line[1:]
			}
			continue
		}
		if len(out) >= 50000 {
			break
		}
		out = append(out, line)
	}
	return out
}

// parseICSLine splits a content line into its name, parameters and value;
// quoted parameter values may hold ':' and ';'.
func parseICSLine(s string) (icsLine, bool) {
	l := icsLine{params: map[string]string{}}
	i := strings.IndexAny(s, ";:")
	if i <= 0 {
		return l, false
	}
	l.name = strings.ToUpper(strings.TrimSpace(s[:i]))
	for s[i] == ';' {
		j := i + 1
		quoted := false
		for ; j < len(s); j++ {
			c := s[j]
			if c == '"' {
				quoted = !quoted
			} else if !quoted && (c == ';' || c == ':') {
				break
			}
		}
		if k, v, ok := strings.Cut(s[i+1:j], "="); ok && len(l.params) < 20 {
			l.params[strings.ToUpper(strings.TrimSpace(k))] = strings.Trim(v, `"`)
		}
		if j >= len(s) {
			return l, false
		}
		i = j
	}
	l.value = s[i+1:]
	return l, true
}

// icsText unescapes a TEXT value and makes it safe to show: no controls
// except newlines, at most max runes.
func icsText(v string, max int) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\\' && i+1 < len(v) {
			i++
			switch v[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(v[i])
			}
			continue
		}
		b.WriteByte(c)
	}
	s := strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		if r == '\t' {
			return ' '
		}
		if unicode.IsControl(r) || isBidiControl(r) {
			return -1
		}
		return r
	}, b.String())
	return truncateRunes(strings.TrimSpace(s), max)
}

// icsAddress reads an ORGANIZER or ATTENDEE: its CN and mailto: address.
func icsAddress(l icsLine) Address {
	v := strings.TrimSpace(l.value)
	if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
		v = v[7:]
	}
	return Address{Name: icsText(l.params["CN"], 200), Email: icsText(v, 200)}
}

// windowsZones maps the Windows zone names Outlook uses to IANA zones
// (the common ones).
var windowsZones = map[string]string{
	"UTC": "UTC", "GMT Standard Time": "Europe/London", "Greenwich Standard Time": "Atlantic/Reykjavik",
	"W. Europe Standard Time": "Europe/Berlin", "Romance Standard Time": "Europe/Paris",
	"Central Europe Standard Time": "Europe/Budapest", "Central European Standard Time": "Europe/Warsaw",
	"E. Europe Standard Time": "Europe/Chisinau", "FLE Standard Time": "Europe/Kiev", "GTB Standard Time": "Europe/Bucharest",
	"Russian Standard Time": "Europe/Moscow", "Eastern Standard Time": "America/New_York",
	"Central Standard Time": "America/Chicago", "Mountain Standard Time": "America/Denver",
	"Pacific Standard Time": "America/Los_Angeles", "India Standard Time": "Asia/Kolkata",
	"China Standard Time": "Asia/Shanghai", "Tokyo Standard Time": "Asia/Tokyo",
	"AUS Eastern Standard Time": "Australia/Sydney", "E. South America Standard Time": "America/Sao_Paulo",
}

// icsZone resolves a TZID: an IANA name, a common Windows name, else the
// offset its VTIMEZONE declares.
func icsZone(tzid string, declared map[string]*time.Location) *time.Location {
	name := strings.TrimSpace(tzid)
	for _, n := range []string{name, strings.TrimPrefix(name, "/"), windowsZones[name]} {
		if n == "" || n == "Local" || strings.ContainsAny(n, "\\") || strings.Contains(n, "..") {
			continue
		}
		if loc, err := time.LoadLocation(n); err == nil {
			return loc
		}
	}
	// Thunderbird's /mozilla.org/20070129_1/Europe/Berlin and the like.
	if parts := strings.Split(name, "/"); len(parts) > 2 {
		n := strings.Join(parts[len(parts)-2:], "/")
		if !strings.Contains(n, "..") {
			if loc, err := time.LoadLocation(n); err == nil {
				return loc
			}
		}
	}
	return declared[tzid]
}

// icsTime parses a DTSTART or DTEND.
func icsTime(l icsLine, declared map[string]*time.Location) (t time.Time, allDay, floating bool, tzid string, ok bool) {
	v := strings.TrimSpace(l.value)
	if v == "" {
		return
	}
	if strings.EqualFold(l.params["VALUE"], "DATE") || len(v) == 8 {
		t, err := time.ParseInLocation("20060102", v, time.UTC)
		return t, true, false, "", err == nil
	}
	if strings.HasSuffix(v, "Z") || strings.HasSuffix(v, "z") {
		t, err := time.Parse("20060102T150405", v[:len(v)-1])
		return t, false, false, "", err == nil
	}
	if id := l.params["TZID"]; id != "" {
		if loc := icsZone(id, declared); loc != nil {
			t, err := time.ParseInLocation("20060102T150405", v, loc)
			return t, false, false, icsText(id, 80), err == nil
		}
	}
	t, err := time.ParseInLocation("20060102T150405", v, time.UTC)
	return t, false, true, icsText(l.params["TZID"], 80), err == nil
}

// parseUTCOffset parses "+0100" or "-053000".
func parseUTCOffset(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if len(s) != 5 && len(s) != 7 {
		return 0, false
	}
	sign := 1
	switch s[0] {
	case '-':
		sign = -1
	case '+':
	default:
		return 0, false
	}
	n, err := strconv.Atoi(s[1:])
	if err != nil || n < 0 {
		return 0, false
	}
	if len(s) == 5 {
		n *= 100
	}
	h, m, sec := n/10000, n/100%100, n%100
	if h > 23 || m > 59 || sec > 59 {
		return 0, false
	}
	return sign * (h*3600 + m*60 + sec), true
}

// parseICSDuration parses a DURATION such as "PT1H30M" or "P1D".
func parseICSDuration(s string) (time.Duration, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	if !strings.HasPrefix(s, "P") || len(s) < 3 {
		return 0, false
	}
	var d time.Duration
	n := 0
	digits := false
	for _, c := range s[1:] {
		switch {
		case c >= '0' && c <= '9':
			if n > 1_000_000 {
				return 0, false
			}
			n = n*10 + int(c-'0')
			digits = true
			continue
		case c == 'T':
			continue
		case !digits:
			return 0, false
		case c == 'W':
			d += time.Duration(n) * 7 * 24 * time.Hour
		case c == 'D':
			d += time.Duration(n) * 24 * time.Hour
		case c == 'H':
			d += time.Duration(n) * time.Hour
		case c == 'M':
			d += time.Duration(n) * time.Minute
		case c == 'S':
			d += time.Duration(n) * time.Second
		default:
			return 0, false
		}
		n, digits = 0, false
	}
	if neg {
		return 0, false
	}
	return d, true
}

// When describes when e happens, with its time zone: in the invitation's
// own zone, followed by the time in local when that differs.
func (e Event) When(local *time.Location) string {
	if e.Start.IsZero() {
		return ""
	}
	if local == nil {
		local = time.Local
	}
	const day = "Mon 2 Jan 2006"
	if e.AllDay {
		s := e.Start.Format(day)
		if last := e.End.AddDate(0, 0, -1); !e.End.IsZero() && last.After(e.Start) {
			s += " – " + last.Format(day)
		}
		return s + " (all day)"
	}
	span := func(loc *time.Location) string {
		start := e.Start.In(loc)
		s := start.Format(day + ", 15:04")
		if !e.End.IsZero() {
			end := e.End.In(loc)
			if end.YearDay() == start.YearDay() && end.Year() == start.Year() {
				s += " – " + end.Format("15:04")
			} else {
				s += " – " + end.Format(day+", 15:04")
			}
		}
		return s
	}
	if e.Floating {
		return span(time.UTC) + " (local time wherever you are)"
	}
	zone := func(loc *time.Location) string {
		abbr := e.Start.In(loc).Format("MST")
		name := loc.String()
		if loc == time.Local || name == "Local" || name == abbr {
			return abbr
		}
		return name + ", " + abbr
	}
	if e.TZID == "" || e.Start.Location() == time.UTC {
		return fmt.Sprintf("%s (%s)", span(local), zone(local))
	}
	own := e.Start.Location()
	s := fmt.Sprintf("%s (%s)", span(own), zone(own))
	_, ownOff := e.Start.Zone()
	_, localOff := e.Start.In(local).Zone()
	if ownOff != localOff {
		s += fmt.Sprintf("; %s your time (%s)", span(local), zone(local))
	}
	return s
}
