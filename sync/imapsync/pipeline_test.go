package imapsync

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/ternmail/tern/accounts"
)

// within runs fn and fails the test with every goroutine's stack if fn has
// not returned after d, so that a hang fails at once with its cause instead
// of waiting for go test's global timeout. fn must not call t.Fatal.
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Fatalf("%s did not return within %v; goroutines:\n%s", what, d, buf[:n])
	}
}

// interleavingServer is a scripted IMAP server that answers two pipelined
// UID FETCH commands with the second one's message first, as a server
// running them in parallel may.
func interleavingServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		fmt.Fprint(c, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n")
		var fetches []string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			tag, rest, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
			switch cmd := strings.ToUpper(rest); {
			case strings.HasPrefix(cmd, "LOGIN"):
				fmt.Fprintf(c, "%s OK [CAPABILITY IMAP4rev1] logged in\r\n", tag)
			case strings.HasPrefix(cmd, "UID FETCH"):
				fetches = append(fetches, tag)
				if len(fetches) < 2 {
					continue
				}
				// The second command's message, then the first's: a
				// literal each, so go-imap's reader stops at the first
				// until the second command's reader reads it.
				body2, body1 := strings.Repeat("2", 100000), "first body"
				fmt.Fprintf(c, "* 2 FETCH (UID 20 BODY[] {%d}\r\n%s)\r\n", len(body2), body2)
				fmt.Fprintf(c, "* 1 FETCH (UID 10 BODY[] {%d}\r\n%s)\r\n", len(body1), body1)
				fmt.Fprintf(c, "%s OK fetched\r\n%s OK fetched\r\n", fetches[0], fetches[1])
				fetches = nil
			case strings.HasPrefix(cmd, "LOGOUT"):
				fmt.Fprintf(c, "* BYE\r\n%s OK bye\r\n", tag)
				return
			default:
				fmt.Fprintf(c, "%s BAD not scripted\r\n", tag)
			}
		}
	}()
	return ln.Addr().String()
}

// TestFetchAllInterleavedReplies sends two pipelined body FETCHes to a
// server that answers the second before the first. The replies must both
// arrive, in batch order; reading the commands one after the other in one
// goroutine hung for good (go-imap's reader waited for someone to read the
// second command's literal while the first command waited for its end,
// and the watchdog's Close waited for that reader).
func TestFetchAllInterleavedReplies(t *testing.T) {
	addr := interleavingServer(t)
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	acct := accounts.Account{ID: "a", Email: "a@example.test",
		IMAP: accounts.Endpoint{Host: host, Port: p, Security: accounts.SecurityNone}}
	cn, err := dial(context.Background(), acct, credential{secret: "pw"}, nil, 2*time.Second, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cn.close()
	var got []string
	var ferr error
	within(t, 10*time.Second, "fetchAll", func() {
		opts := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{fullBody}}
		ferr = cn.fetchAll([][]imap.UID{{10}, {20}}, opts, func(buf *imapclient.FetchMessageBuffer) error {
			got = append(got, fmt.Sprintf("%d:%d", buf.UID, len(buf.FindBodySection(fullBody))))
			return nil
		})
	})
	if ferr != nil {
		t.Fatal(ferr)
	}
	if want := []string{"10:10", "20:100000"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("fetched %v, want %v", got, want)
	}
}
