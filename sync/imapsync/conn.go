package imapsync

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/ternmail/tern/accounts"
)

// ErrTimeout means a server did not answer a command in time; the
// connection was closed.
var ErrTimeout = errors.New("the server stopped answering")

// AuthError means the server refused the user name or password. Retrying
// will not help until the user changes them.
type AuthError struct {
	Host     string
	Username string
	Err      error
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("the server %s refused the user name or password for %s", e.Host, e.Username)
}

func (e *AuthError) Unwrap() error { return e.Err }

// ConnectError means the server could not be reached or the connection
// broke. Retrying later may help.
type ConnectError struct {
	Addr string
	Err  error
}

func (e *ConnectError) Error() string {
	reason := e.Err.Error()
	switch {
	case errors.Is(e.Err, syscall.ECONNREFUSED):
		reason = "connection refused (is the server running, and is the port right?)"
	case errors.Is(e.Err, ErrTimeout):
		reason = ErrTimeout.Error()
	case isTimeout(e.Err):
		reason = "timed out"
	case errors.Is(e.Err, io.EOF) || errors.Is(e.Err, net.ErrClosed):
		reason = "the connection was closed by the server"
	default:
		var dnsErr *net.DNSError
		if errors.As(e.Err, &dnsErr) {
			reason = "no such host"
		}
	}
	return fmt.Sprintf("cannot reach %s: %s", e.Addr, reason)
}

func (e *ConnectError) Unwrap() error { return e.Err }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Permanent reports whether err needs the user to act (a wrong password, an
// untrusted certificate, a missing password) rather than a retry.
func Permanent(err error) bool {
	var ae *AuthError
	var ce *accounts.CertError
	return errors.As(err, &ae) || errors.As(err, &ce) || errors.Is(err, accounts.ErrSecretNotFound) || accounts.IsKeychainUnavailable(err)
}

// conn is one logged-in IMAP connection with a watchdog. It is used by one
// goroutine at a time; the unilateral-data channels are written by
// go-imap's reader goroutine.
type conn struct {
	c        *imapclient.Client
	addr     string
	timeout  time.Duration
	timedOut atomic.Bool
	selected string
	// changed is signalled when the server reports new, expunged or
	// re-flagged messages in the selected mailbox (EXISTS, EXPUNGE, FETCH).
	changed chan struct{}
	stop    func() bool
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// dial connects and logs in to the account's IMAP server. Cancelling ctx
// closes the connection.
func dial(ctx context.Context, acct accounts.Account, password string, roots *x509.CertPool, timeout time.Duration) (*conn, error) {
	ep := acct.IMAP
	addr := ep.Addr()
	cn := &conn{addr: addr, timeout: timeout, changed: make(chan struct{}, 1)}
	pin := acct.PinnedCerts[addr]
	opts := &imapclient.Options{
		TLSConfig: accounts.TLSConfig(ep.Host, ep.Port, pin, roots),
		Dialer:    &net.Dialer{Timeout: timeout},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Expunge: func(uint32) { signal(cn.changed) },
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					signal(cn.changed)
				}
			},
			// Flags changed by another client (reported during IDLE).
			Fetch: func(msg *imapclient.FetchMessageData) {
				msg.Collect()
				signal(cn.changed)
			},
		},
	}
	type result struct {
		c   *imapclient.Client
		err error
	}
	done := make(chan result, 1)
	go func() {
		var c *imapclient.Client
		var err error
		switch ep.Security {
		case accounts.SecurityTLS:
			c, err = imapclient.DialTLS(addr, opts)
		case accounts.SecuritySTARTTLS:
			c, err = imapclient.DialStartTLS(addr, opts)
		case accounts.SecurityNone:
			c, err = imapclient.DialInsecure(addr, opts)
		default:
			err = fmt.Errorf("unknown security %q for %s", ep.Security, addr)
		}
		done <- result{c, err}
	}()
	var r result
	abandon := func() {
		go func() {
			if r := <-done; r.c != nil {
				r.c.Close()
			}
		}()
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r = <-done:
	case <-t.C:
		abandon()
		return nil, &ConnectError{Addr: addr, Err: ErrTimeout}
	case <-ctx.Done():
		abandon()
		return nil, ctx.Err()
	}
	if r.err != nil {
		return nil, connectError(addr, r.err)
	}
	cn.c = r.c
	cn.stop = context.AfterFunc(ctx, func() { cn.c.Close() })
	if err := cn.do(cn.c.WaitGreeting); err != nil {
		cn.stop()
		cn.c.Close()
		return nil, connectError(addr, err)
	}
	user := ep.Username
	if user == "" {
		user = acct.Email
	}
	err := cn.do(func() error { return cn.c.Login(user, password).Wait() })
	if err != nil {
		cn.close()
		var ie *imap.Error
		if errors.As(err, &ie) && (ie.Type == imap.StatusResponseTypeNo || ie.Code == imap.ResponseCodeAuthenticationFailed) {
			return nil, &AuthError{Host: addr, Username: user, Err: err}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, connectError(addr, err)
	}
	return cn, nil
}

func connectError(addr string, err error) error {
	var ce *accounts.CertError
	if errors.As(err, &ce) {
		return ce
	}
	var ie *imap.Error
	if errors.As(err, &ie) {
		return fmt.Errorf("%s: %w", addr, err)
	}
	return &ConnectError{Addr: addr, Err: err}
}

// do runs one step under the watchdog: if it takes longer than the
// timeout, the connection is closed and do returns ErrTimeout.
func (cn *conn) do(fn func() error) error {
	t := time.AfterFunc(cn.timeout, func() {
		cn.timedOut.Store(true)
		cn.c.Close()
	})
	err := fn()
	t.Stop()

	if cn.timedOut.Load() {
		return &ConnectError{Addr: cn.addr, Err: ErrTimeout}
	}
	if err != nil {
		var ie *imap.Error
		if !errors.As(err, &ie) {
			return &ConnectError{Addr: cn.addr, Err: err}
		}
	}
	return err
}

func (cn *conn) close() {
	if cn.stop != nil {
		cn.stop()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		cn.c.Logout().Wait()
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	cn.c.Close()
}

func (cn *conn) has(c imap.Cap) bool { return cn.c.Caps().Has(c) }

// selectMailbox selects name (read-write) unless it is already selected.
func (cn *conn) selectMailbox(name string, condstore bool) (*imap.SelectData, error) {
	var data *imap.SelectData
	err := cn.do(func() error {
		var err error
		data, err = cn.c.Select(name, &imap.SelectOptions{CondStore: condstore}).Wait()
		return err
	})
	if err != nil {
		cn.selected = ""
		return nil, err
	}
	cn.selected = name
	return data, nil
}

// Verify logs in to the account's IMAP server with password and logs out.
// Its error is meant for the user.
func Verify(ctx context.Context, acct accounts.Account, password string, opts *Options) error {
	o := opts.withDefaults()
	cn, err := dial(ctx, acct, password, o.Roots, o.CommandTimeout)
	if err != nil {
		return err
	}
	cn.close()
	return nil
}

func roleOf(name string, attrs []imap.MailboxAttr) string {
	for _, a := range attrs {
		switch imap.MailboxAttr(strings.ToLower(string(a))) {
		case lower(imap.MailboxAttrSent):
			return "sent"
		case lower(imap.MailboxAttrDrafts):
			return "drafts"
		case lower(imap.MailboxAttrTrash):
			return "trash"
		case lower(imap.MailboxAttrJunk):
			return "junk"
		case lower(imap.MailboxAttrArchive):
			return "archive"
		case lower(imap.MailboxAttrAll):
			return "all"
		case lower(imap.MailboxAttrFlagged):
			return "flagged"
		}
	}
	if strings.EqualFold(name, "INBOX") {
		return "inbox"
	}
	// Well-known names, for servers without SPECIAL-USE.
	switch strings.ToLower(name) {
	case "sent", "sent items", "sent mail", "sent messages", "[gmail]/sent mail":
		return "sent"
	case "drafts", "draft", "[gmail]/drafts":
		return "drafts"
	case "trash", "deleted items", "deleted messages", "bin", "[gmail]/trash":
		return "trash"
	case "junk", "spam", "junk e-mail", "junk email", "[gmail]/spam":
		return "junk"
	case "archive", "archives":
		return "archive"
	}
	return ""
}

func lower(a imap.MailboxAttr) imap.MailboxAttr { return imap.MailboxAttr(strings.ToLower(string(a))) }

// fetch runs one FETCH under the watchdog and calls each for every message
// as it arrives; an error from each stops the command.
func (cn *conn) fetch(set imap.NumSet, opts *imap.FetchOptions, each func(*imapclient.FetchMessageBuffer) error) error {
	return cn.do(func() error {
		cmd := cn.c.Fetch(set, opts)
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			buf, err := msg.Collect()
			if err == nil {
				err = each(buf)
			}
			if err != nil {
				cmd.Close()
				return err
			}
		}
		return cmd.Close()
	})
}
