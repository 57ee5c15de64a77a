package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/ternmail/tern/internal/mailtest"
	"github.com/ternmail/tern/message"
)

// hostileMessage has a sender whose display name reverses itself on the
// terminal (U+202E), a subject and a body with terminal escape sequences,
// and an attachment whose name hides its real extension.
const hostileMessage = "From: =?UTF-8?Q?Support=E2=80=AEgro.kcabnav?= <attacker@evil.test>\r\n" +
	"To: dave@example.test\r\n" +
	"Subject: =?UTF-8?Q?Account_=1B=5B31mlocked=E2=80=AE?=\r\n" +
	"Date: Mon, 01 Dec 2025 10:00:00 +0000\r\n" +
	"Message-ID: <hostile-1@evil.test>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"b\"\r\n" +
	"\r\n" +
	"--b\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"Please read the attached invoice.=1B]0;pwned=07\r\n" +
	"--b\r\n" +
	"Content-Type: application/octet-stream\r\n" +
	"Content-Disposition: attachment; filename*=UTF-8''invoice%E2%80%AEfdp.exe\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"aGVsbG8=\r\n" +
	"--b--\r\n"

// TestShowNeutralisesHostileHeadersRealDovecot delivers a message with a
// forged-looking sender to a real Dovecot, syncs it, and reads it with
// show, list and search: the text output carries no raw control or bidi
// character, escapes them visibly, and puts the reader's sender warning
// above the headers; --json keeps the decoded values and adds the warning.
func TestShowNeutralisesHostileHeadersRealDovecot(t *testing.T) {
	user := mailtest.RealUser{Name: "dave@example.test", Password: "dave-pw-4"}
	real := mailtest.RealForTest(t, user)
	if err := real.Deliver(user.Name, []byte(hostileMessage)); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t)
	c.ok(user.Password+"\n", "account", "add", "--email", user.Name, "--imap", real.IMAPAddr+":starttls",
		"--smtp", real.SubmissionAddr+":starttls", "--accept-cert", real.CertSHA256, "--password-stdin")
	c.ok("", "sync")

	var msgs []messageJSON
	if err := json.Unmarshal([]byte(c.ok("", "list", "INBOX", "--json")), &msgs); err != nil || len(msgs) != 1 {
		t.Fatalf("list --json: %+v %v", msgs, err)
	}
	uid := strconv.Itoa(int(msgs[0].UID))

	raw := func(what, out string) {
		t.Helper()
		if i := strings.IndexFunc(out, func(r rune) bool {
			return r == '\u202e' || r == 0x1b || r == 0x07 || r == '\r'
		}); i >= 0 {
			t.Errorf("%s prints a raw control or bidi character at %d:\n%q", what, i, out)
		}
	}

	// The decoded subject keeps its U+202E (the parser drops the ESC);
	// text output must show it escaped.
	subject := msgs[0].Subject
	if !strings.ContainsRune(subject, '\u202e') {
		t.Fatalf("decoded subject %q lost its U+202E", subject)
	}
	shownSubject := message.Printable(subject)

	show := c.ok("", "show", "INBOX", uid)
	raw("show", show)
	lines := strings.Split(show, "\n")
	warn := "WARNING: This sender may be forged: text-direction override in the sender. The real address is attacker@evil.test."
	if lines[0] != warn || !strings.HasPrefix(lines[1], "From:") {
		t.Errorf("show should start with the sender warning, then the headers:\n%s", show)
	}
	for _, want := range []string{
		"From:    Support<U+202E>gro.kcabnav <attacker@evil.test>",
		"Subject: " + shownSubject + "\n",
		"Please read the attached invoice.",
		"Attachment: invoice",
	} {
		if !strings.Contains(show, want) {
			t.Errorf("show lacks %q:\n%s", want, show)
		}
	}

	var shown struct {
		From           []string `json:"from"`
		Subject        string   `json:"subject"`
		SenderWarnings []string `json:"sender_warnings"`
	}
	if err := json.Unmarshal([]byte(c.ok("", "show", "INBOX", uid, "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	if len(shown.From) != 1 || shown.From[0] != "Support\u202egro.kcabnav <attacker@evil.test>" ||
		shown.Subject != subject {
		t.Errorf("show --json should keep the decoded values: %+v", shown)
	}
	if len(shown.SenderWarnings) != 1 || shown.SenderWarnings[0] != strings.TrimPrefix(warn, "WARNING: ") {
		t.Errorf("show --json sender_warnings = %q", shown.SenderWarnings)
	}

	for _, argv := range [][]string{{"list", "INBOX"}, {"search", "invoice"}} {
		out := c.ok("", argv...)
		raw(strings.Join(argv, " "), out)
		if !strings.Contains(out, "Support<U+202E>gro.kcabnav") || !strings.Contains(out, shownSubject) {
			t.Errorf("tern %s should show the escapes:\n%s", strings.Join(argv, " "), out)
		}
	}
}
