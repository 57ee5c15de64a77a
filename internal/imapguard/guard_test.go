package imapguard

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
)

// guardOutput runs in through a guard that reads in steps of step bytes
// (the network's arbitrary cuts), with the given body limit, and returns
// what go-imap would read and the guard's refusal.
func guardOutput(t *testing.T, in string, bodyLimit int64) (string, error) {
	t.Helper()
	client, server := net.Pipe()
	defer client.Close()
	go func() {
		defer server.Close()
		for i := 0; i < len(in); i += 7 {
			if _, err := server.Write([]byte(in[i:min(i+7, len(in))])); err != nil {
				return
			}
		}
	}()
	g := New(client)
	g.SetBodyLimit(bodyLimit)
	var out bytes.Buffer
	_, err := io.Copy(&out, g)
	if ferr := g.Failure(); ferr != nil {
		err = ferr
	}
	return out.String(), err
}

func TestGuardFraming(t *testing.T) {
	big := strings.Repeat("b", 3000)
	cases := []struct {
		name, in, want string
		bodyLimit      int64
		refused        string
	}{
		{name: "known responses pass", in: "* 3 EXISTS\r\n* OK [UIDNEXT 4] x\r\nA1 OK done\r\n+ go on\r\n",
			want: "* 3 EXISTS\r\n* OK [UIDNEXT 4] x\r\nA1 OK done\r\n+ go on\r\n"},
		{name: "unknown dropped with its literals", in: "* XFOO {4}\r\nab\r\n rest {2}\r\n{}\r\n* 2 XNUM\r\nA1 OK\r\n",
			want: "A1 OK\r\n"},
		{name: "literal in a FETCH passes", in: "* 1 FETCH (BODY[] {5}\r\n(((((\r\n)\r\n",
			want: "* 1 FETCH (BODY[] {5}\r\n(((((\r\n)\r\n", bodyLimit: 10},
		{name: "body within its limit", in: "* 1 FETCH (UID 1 BODY[] {3000}\r\n" + big + ")\r\n",
			want: "* 1 FETCH (UID 1 BODY[] {3000}\r\n" + big + ")\r\n", bodyLimit: 2 << 20},
		{name: "body part and partial count as body", in: "* 1 FETCH (BODY[1.2]<0> {3000}\r\n" + big + " BODY[TEXT] {0}\r\n)\r\n",
			want: "* 1 FETCH (BODY[1.2]<0> {3000}\r\n" + big + " BODY[TEXT] {0}\r\n)\r\n", bodyLimit: 2 << 20},
		{name: "body beyond its limit", in: "* 1 FETCH (BODY[] {3000001}\r\n", bodyLimit: 2 << 20,
			refused: "a literal of 3000001 bytes where at most 2097152"},
		{name: "header beyond the small bound", in: "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {2000000}\r\n", bodyLimit: 64 << 20,
			refused: "a literal of 2000000 bytes where at most 1048576"},
		{name: "MIME header is a header", in: "* 1 FETCH (BODY[2.MIME] {2000000}\r\n", bodyLimit: 64 << 20,
			refused: "where at most 1048576"},
		{name: "quoted parentheses do not nest", in: "* 1 FETCH (X \"" + strings.Repeat("(", 1000) + "\")\r\n",
			want: "* 1 FETCH (X \"" + strings.Repeat("(", 1000) + "\")\r\n"},
		{name: "nesting bounded", in: "* 1 FETCH " + strings.Repeat("(", 300) + "\r\n", refused: "nested more than 256"},
		{name: "text parentheses are text", in: "* OK " + strings.Repeat("(", 300) + "\r\n",
			want: "* OK " + strings.Repeat("(", 300) + "\r\n"},
		{name: "line bounded", in: "* OK " + strings.Repeat("a", 2<<20), refused: "a line of more than 1048576"},
		{name: "search lines may be long", in: "* SEARCH" + strings.Repeat(" 1234567", 200000) + "\r\n",
			want: "* SEARCH" + strings.Repeat(" 1234567", 200000) + "\r\n"},
		{name: "literal size overflow", in: "* 1 FETCH (BODY[] {99999999999999999999}\r\n", refused: "a literal of 99999999999999999999"},
		{name: "bad mailbox dropped, others pass", in: "* LIST () \"/\" \"&AAA-\"\r\n* LIST () \"/\" {4}\r\nG&-o\r\n* STATUS \"x&Jjo\" (UNSEEN 1)\r\n* LIST (\\Noselect) NIL INBOX\r\nA1 OK\r\n",
			want: "* LIST () \"/\" {4}\r\nG&-o\r\n* LIST (\\Noselect) NIL INBOX\r\nA1 OK\r\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := guardOutput(t, c.in, c.bodyLimit)
			if c.refused != "" {
				var ge *Error
				if !errors.As(err, &ge) || !strings.Contains(err.Error(), c.refused) {
					t.Fatalf("error %v, want a refusal saying %q", err, c.refused)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if got != c.want {
				t.Errorf("go-imap reads %.200q, want %.200q", got, c.want)
			}
		})
	}
}

func TestValidMailboxName(t *testing.T) {
	for name, want := range map[string]bool{
		"INBOX": true, "Sent": true, "a/b.c": true, "&-": true, "Entw&APw-rfe": true, "Zürich": true,
		"../../etc": true, "&ZeVnLIqe-": true,
		"&AAA-": false, "bad&Jjo": false, "a\x01b": false, "&2D3-": false, "\xff": false, "&AAo-": false,
	} {
		if got := ValidMailboxName(name); got != want {
			t.Errorf("ValidMailboxName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestBodyBound(t *testing.T) {
	if got := BodyBound(80); got < 80 || got > 2<<20 {
		t.Errorf("BodyBound(80) = %d", got)
	}
	if got := BodyBound(30 << 20); got < 30<<20 {
		t.Errorf("BodyBound(30 MB) = %d, below the size", got)
	}
	if got := BodyBound(0); got <= 0 {
		t.Errorf("BodyBound(0) = %d: an unknown size must still be bounded and allowed", got)
	}
}
