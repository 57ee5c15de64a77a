package message

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones the tests name, whatever the host has
)

func TestCalendarFixture(t *testing.T) {
	raw := readFixture(t, "calendar.eml")
	m, err := Parse(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	evs := CalendarEvents(raw, m)
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	e := evs[0]
	if e.Method != "REQUEST" || e.Summary != "Quarterly planning, Q2" || e.Location != "Room Fjord; 3rd floor" {
		t.Errorf("event %+v", e)
	}
	if e.Organizer != (Address{Name: "Raman, Priya", Email: "priya@example.org"}) || e.Attendees != 2 {
		t.Errorf("organizer %+v, %d attendees", e.Organizer, e.Attendees)
	}
	if e.TZID != "W. Europe Standard Time" || e.Start.Location().String() != "Europe/Berlin" {
		t.Errorf("zone %q %v", e.TZID, e.Start.Location())
	}
	if want := time.Date(2025, 3, 18, 13, 0, 0, 0, time.UTC); !e.Start.Equal(want) || e.End.Sub(e.Start) != 90*time.Minute {
		t.Errorf("start %v end %v", e.Start, e.End)
	}
	if e.Description != "Agenda:\n1. Budget\n2. Hiring" {
		t.Errorf("description %q", e.Description)
	}
	ny, _ := time.LoadLocation("America/New_York")
	want := "Tue 18 Mar 2025, 14:00 – 15:30 (Europe/Berlin, CET); Tue 18 Mar 2025, 09:00 – 10:30 your time (America/New_York, EDT)"
	if got := e.When(ny); got != want {
		t.Errorf("When:\n got %q\nwant %q", got, want)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if got := e.When(berlin); got != "Tue 18 Mar 2025, 14:00 – 15:30 (Europe/Berlin, CET)" {
		t.Errorf("When in Berlin: %q", got)
	}
}

func TestCalendarCorpusInvite(t *testing.T) {
	m, raw, _ := corpusDoc(t, "invite.eml")
	evs := CalendarEvents(raw, m)
	if len(evs) != 1 {
		t.Fatalf("%d events: %+v", len(evs), evs)
	}
	e := evs[0]
	if e.Summary != "Design review" || e.TZID != "" {
		t.Errorf("%+v", e)
	}
	if got := e.When(time.UTC); got != "Thu 6 Mar 2025, 13:00 – 14:00 (UTC)" {
		t.Errorf("When %q", got)
	}
}

func TestParseCalendar(t *testing.T) {
	cal := func(lines ...string) []byte {
		return []byte("BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VCALENDAR\r\n")
	}
	tests := []struct {
		name  string
		data  []byte
		check func(t *testing.T, e Event)
	}{
		{"all day", cal("BEGIN:VEVENT", "SUMMARY:Holiday", "DTSTART;VALUE=DATE:20250401", "DTEND;VALUE=DATE:20250404", "END:VEVENT"),
			func(t *testing.T, e Event) {
				if got := e.When(time.UTC); !e.AllDay || got != "Tue 1 Apr 2025 – Thu 3 Apr 2025 (all day)" || e.Method != "CANCEL" {
					t.Errorf("%q %+v", got, e)
				}
			}},
		{"one day", cal("BEGIN:VEVENT", "DTSTART;VALUE=DATE:20250401", "END:VEVENT"),
			func(t *testing.T, e Event) {
				if got := e.When(time.UTC); got != "Tue 1 Apr 2025 (all day)" {
					t.Errorf("%q", got)
				}
			}},
		{"duration", cal("BEGIN:VEVENT", "DTSTART:20250401T100000Z", "DURATION:PT1H30M", "RRULE:FREQ=WEEKLY", "END:VEVENT"),
			func(t *testing.T, e Event) {
				if e.End.Sub(e.Start) != 90*time.Minute || !e.Recurring {
					t.Errorf("%+v", e)
				}
			}},
		{"floating", cal("BEGIN:VEVENT", "DTSTART:20250401T100000", "END:VEVENT"),
			func(t *testing.T, e Event) {
				if got := e.When(time.UTC); !e.Floating || got != "Tue 1 Apr 2025, 10:00 (local time wherever you are)" {
					t.Errorf("%q", got)
				}
			}},
		{"iana and mozilla zone", cal("BEGIN:VEVENT", "DTSTART;TZID=/mozilla.org/20070129_1/Europe/Paris:20250701T090000", "DTEND;TZID=\"Europe/Paris\":20250701T100000", "END:VEVENT"),
			func(t *testing.T, e Event) {
				if e.Start.Location().String() != "Europe/Paris" || e.End.Sub(e.Start) != time.Hour {
					t.Errorf("%+v", e)
				}
			}},
		{"unknown zone with declared offset", cal("BEGIN:VTIMEZONE", "TZID:Custom Zone", "BEGIN:STANDARD", "TZOFFSETTO:+0530", "END:STANDARD", "END:VTIMEZONE",
			"BEGIN:VEVENT", "DTSTART;TZID=Custom Zone:20250701T090000", "END:VEVENT"),
			func(t *testing.T, e Event) {
				if _, off := e.Start.Zone(); off != 5*3600+1800 || e.TZID != "Custom Zone" {
					t.Errorf("%+v", e)
				}
			}},
		{"escapes and controls", cal("BEGIN:VEVENT", "SUMMARY:a\\;b\\,c\\\\d\x07\u202e", "ORGANIZER:MAILTO:x@y.example", "END:VEVENT"),
			func(t *testing.T, e Event) {
				if e.Summary != "a;b,c\\d" || e.Organizer.Email != "x@y.example" {
					t.Errorf("%+v", e)
				}
			}},
		{"end before start ignored", cal("BEGIN:VEVENT", "DTSTART:20250401T100000Z", "DTEND:20250301T100000Z", "END:VEVENT"),
			func(t *testing.T, e Event) {
				if !e.End.IsZero() {
					t.Errorf("%+v", e)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := ParseCalendar(tt.data)
			if err != nil || len(evs) != 1 {
				t.Fatalf("%v %d", err, len(evs))
			}
			tt.check(t, evs[0])
		})
	}
	if _, err := ParseCalendar([]byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")); err != ErrNoEvents {
		t.Errorf("err %v", err)
	}
	many := strings.Repeat("BEGIN:VEVENT\r\nDTSTART:20250401T100000Z\r\nEND:VEVENT\r\n", 100)
	if evs, _ := ParseCalendar([]byte(many)); len(evs) != maxCalendarEvents {
		t.Errorf("%d events", len(evs))
	}
}

func FuzzCalendar(f *testing.F) {
	f.Add(readFixture(f, "calendar.eml"))
	f.Add([]byte("BEGIN:VEVENT\r\nDTSTART;TZID=\"a:b\";X=1:20250101T000000\r\nDURATION:P1W2DT3H\r\nEND:VEVENT"))
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, _ := ParseCalendar(data)
		for _, e := range evs {
			_ = e.When(time.UTC)
		}
	})
}
