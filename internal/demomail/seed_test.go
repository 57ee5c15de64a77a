package demomail

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

// latin1Reader lets go-message decode the seed's ISO-8859-1 parts without
// importing go-message/charset (which would pull in golang.org/x/text).
func latin1Reader(cs string, r io.Reader) (io.Reader, error) {
	if cs != "iso-8859-1" {
		return nil, errors.New("unsupported charset " + cs)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var out strings.Builder
	for _, c := range b {
		out.WriteRune(rune(c))
	}
	return strings.NewReader(out.String()), nil
}

func TestSeedDemoMessages(t *testing.T) {
	if message.CharsetReader == nil {
		message.CharsetReader = latin1Reader
	}
	now := time.Date(2025, 11, 20, 15, 30, 0, 0, time.UTC)
	start := time.Now()
	seed := Seed(now)
	t.Logf("Seed: %d messages in %v", len(seed), time.Since(start))
	if len(seed) < 500 {
		t.Fatalf("only %d messages", len(seed))
	}

	perBox := map[string]int{}
	ids := map[string]bool{}
	type info struct{ refs []string }
	var infos []info
	var nonASCIIFrom, latin1, htmlOnly, alternative, attachments, rfc2231, qp, b64, threads, unreadToday, flagged, answered, drafts int
	var newest time.Time
	for i, m := range seed {
		perBox[m.Mailbox]++
		if m.Date.After(now) || m.Date.Before(now.AddDate(0, 0, -200)) {
			t.Errorf("message %d: date %v out of range", i, m.Date)
		}
		if m.Date.After(newest) {
			newest = m.Date
		}
		if i > 0 && m.Date.Before(seed[i-1].Date) {
			t.Errorf("message %d not in date order", i)
		}
		raw := m.Raw
		// Every line ends with CRLF: no bare LF or CR, and at most 998 chars.
		if !bytes.HasSuffix(raw, []byte("\r\n")) {
			t.Errorf("message %d does not end with CRLF", i)
		}
		for j, line := range bytes.Split(raw, []byte("\r\n")) {
			if bytes.ContainsAny(line, "\r\n") {
				t.Fatalf("message %d line %d has a bare CR/LF: %q", i, j, line)
			}
			if len(line) > 998 {
				t.Fatalf("message %d line %d is %d bytes", i, j, len(line))
			}
		}
		if bytes.Contains(raw, []byte("ISO-8859-1")) {
			latin1++
		}
		if bytes.Contains(raw, []byte("filename*=")) {
			rfc2231++
		}
		if bytes.Contains(raw, []byte("Content-Transfer-Encoding: quoted-printable")) {
			qp++
		}
		if bytes.Contains(raw, []byte("Content-Transfer-Encoding: base64")) {
			b64++
		}
		for _, f := range m.Flags {
			switch f {
			case `\Flagged`:
				flagged++
			case `\Answered`:
				answered++
			case `\Draft`:
				drafts++
			}
		}
		seen := false
		for _, f := range m.Flags {
			seen = seen || f == string(imap.FlagSeen)
		}
		if !seen && now.Sub(m.Date) < 12*time.Hour {
			unreadToday++
		}

		r, err := mail.CreateReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("message %d: %v\n%s", i, err, raw)
		}
		h := r.Header
		for _, k := range []string{"Message-Id", "Date", "From", "To", "Subject", "Mime-Version"} {
			if !h.Has(k) {
				t.Errorf("message %d lacks %s", i, k)
			}
		}
		if _, err := h.Date(); err != nil {
			t.Errorf("message %d: Date: %v", i, err)
		}
		if _, err := h.Subject(); err != nil {
			t.Errorf("message %d: Subject: %v", i, err)
		}
		from, err := h.AddressList("From")
		if err != nil || len(from) != 1 {
			t.Fatalf("message %d: From: %v %v", i, from, err)
		}
		if !isASCII(from[0].Name) {
			nonASCIIFrom++
		}
		id, err := h.MessageID()
		if err != nil || id == "" || ids[id] {
			t.Fatalf("message %d: bad or duplicate Message-ID %q: %v", i, id, err)
		}
		ids[id] = true
		refs, err := h.MsgIDList("References")
		if err != nil {
			t.Fatalf("message %d: References: %v", i, err)
		}
		infos = append(infos, info{refs})
		ct, _, _ := h.ContentType()
		switch ct {
		case "text/html":
			htmlOnly++
		case "multipart/alternative":
			alternative++
		}
		for {
			p, err := r.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("message %d: NextPart: %v", i, err)
			}
			if _, ok := p.Header.(*mail.AttachmentHeader); ok {
				attachments++
				if _, err := p.Header.(*mail.AttachmentHeader).Filename(); err != nil {
					t.Errorf("message %d: filename: %v", i, err)
				}
			}
			body, err := io.ReadAll(p.Body)
			if err != nil {
				t.Fatalf("message %d: reading part: %v", i, err)
			}
			if ict, _, _ := p.Header.(interface {
				ContentType() (string, map[string]string, error)
			}).ContentType(); strings.HasPrefix(ict, "text/") && len(body) == 0 {
				t.Errorf("message %d: empty %s part", i, ict)
			}
		}
	}
	for _, in := range infos {
		if len(in.refs) > 0 && ids[in.refs[len(in.refs)-1]] {
			threads++
		}
	}
	t.Logf("per mailbox %v; non-ASCII From %d, latin1 %d, html-only %d, alternative %d, attachments %d, RFC 2231 %d, QP %d, base64 %d, replies in-seed %d, unread today %d, flagged %d, answered %d",
		perBox, nonASCIIFrom, latin1, htmlOnly, alternative, attachments, rfc2231, qp, b64, threads, unreadToday, flagged, answered)

	if len(perBox) < 5 {
		t.Errorf("only %d mailboxes", len(perBox))
	}
	for _, box := range Mailboxes {
		if box != "Projects" && perBox[box] == 0 {
			t.Errorf("mailbox %q is empty", box)
		}
	}
	if perBox["INBOX"] < len(seed)/3 {
		t.Errorf("INBOX has only %d messages", perBox["INBOX"])
	}
	if now.Sub(newest) > time.Hour || newest.YearDay() != now.YearDay() {
		t.Errorf("newest message %v is not from today", newest)
	}
	for name, n := range map[string]int{"non-ASCII From": nonASCIIFrom, "ISO-8859-1": latin1, "HTML-only": htmlOnly,
		"multipart/alternative": alternative, "attachments": attachments, "RFC 2231 filenames": rfc2231,
		"quoted-printable": qp, "base64": b64, "replies to seeded messages": threads, "unread today": unreadToday,
		"flagged": flagged, "answered": answered, "drafts": drafts} {
		if n < 3 {
			t.Errorf("too few %s: %d", name, n)
		}
	}
}

func TestSeedDeterministic(t *testing.T) {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	a, b := Seed(now), Seed(now)
	if len(a) != len(b) {
		t.Fatalf("lengths differ: %d vs %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Mailbox != b[i].Mailbox || !a[i].Date.Equal(b[i].Date) || !bytes.Equal(a[i].Raw, b[i].Raw) ||
			strings.Join(a[i].Flags, " ") != strings.Join(b[i].Flags, " ") {
			t.Fatalf("message %d differs", i)
		}
	}
	c := Seed(now.Add(48 * time.Hour))
	if bytes.Equal(a[len(a)-1].Raw, c[len(c)-1].Raw) {
		t.Error("seed does not depend on now")
	}
}

func TestSeedNonASCIIHeaders(t *testing.T) {
	seed := Seed(time.Now())
	want := map[string]bool{"José Müller": false, "李小龍": false, "Søren Kierkegård": false, "Zoë Ω. Papadopoulou": false}
	for _, m := range seed {
		r, err := mail.CreateReader(bytes.NewReader(m.Raw))
		if err != nil {
			t.Fatal(err)
		}
		from, _ := r.Header.AddressList("From")
		if _, ok := want[from[0].Name]; ok {
			want[from[0].Name] = true
			// Raw header must be RFC 2047-encoded (pure ASCII).
			line, _ := bufio.NewReader(bytes.NewReader(m.Raw)).ReadString(0)
			for _, l := range strings.Split(line, "\r\n") {
				if strings.HasPrefix(l, "From:") && !isASCII(l) {
					t.Errorf("raw From header not encoded: %q", l)
				}
			}
		}
	}
	for name, ok := range want {
		if !ok {
			t.Errorf("no message from %s", name)
		}
	}
}
func TestDemoStart(t *testing.T) {
	start := time.Now()
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t.Logf("Start took %v", time.Since(start))
	if !s.TLS || s.CertSHA256 == "" || s.Username != Address {
		t.Fatalf("demo server: %+v", s)
	}
	want := map[string]uint32{}
	for _, m := range Seed(time.Now()) {
		want[m.Mailbox]++
	}
	c := dialIMAP(t, s, nil)
	boxes := listNames(t, c, nil)
	for _, name := range Mailboxes {
		if boxes[name] == nil {
			t.Errorf("LIST lacks %q", name)
			continue
		}
		st, err := c.Status(name, &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			t.Fatal(err)
		}
		if *st.NumMessages != want[name] {
			t.Errorf("%s: %d messages, want %d", name, *st.NumMessages, want[name])
		}
	}
	if d := boxes["Drafts"]; d == nil || len(d.Attrs) < 2 || d.Attrs[1] != imap.MailboxAttrDrafts {
		t.Errorf("Drafts attrs: %+v", d)
	}
}
